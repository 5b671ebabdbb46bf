"""Bad input: every broken spec, rule file and command line exits 2 with a message that names
the file, line and field, says what is valid and, where one fits, suggests a fix; never a
traceback.

One deliberately broken fixture per message (OpenFisca-style):
  tests/fixtures/bad/specs/<case>.yaml           practice specs
  tests/fixtures/bad/rules/<case>/<law>/...      rule libraries

Each fixture carries a `# bad: ...` comment on line 1, so line numbers below count it.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from jurisdiction.cli import run

BAD = Path(__file__).parent / "fixtures" / "bad"
SPECS = BAD / "specs"
RULES = BAD / "rules"
TODAY = "2024-09-20"
OK_SPEC = SPECS / "ok_norway.yaml"


# --------------------------------------------------------------------------- helpers


def cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def no_crash(code: int, err: str) -> None:
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    assert code != 3, err


def blocks(err: str) -> list[str]:
    """stderr split into one text block per reported problem."""
    return [("error: " + b).rstrip() for b in re.split(r"^error: ", err, flags=re.M) if b.strip()]


@dataclass(frozen=True)
class Expect:
    """What the message about one problem must say."""

    file: str  # as shown on stderr
    line: int | None
    field: str | None
    says: tuple[str, ...]
    valid: str | None = None
    suggestion: str | None = None


def find_block(err: str, want: Expect) -> str:
    where = re.escape(want.file) + (rf":{want.line}(?::\d+)?" if want.line is not None else "")
    head = rf"^error: {where}: " + (re.escape(want.field) + ": " if want.field else "")
    hits = [b for b in blocks(err) if re.match(head, b)]
    assert hits, f"no problem reported at {want.file}:{want.line} field {want.field!r}:\n{err}"
    matching = [b for b in hits if all(s in b for s in want.says)]
    assert matching, f"{want.says!r} not said at {want.file}:{want.line}:\n{err}"
    return matching[0]


def assert_problem(code: int, out: str, err: str, want: Expect) -> None:
    no_crash(code, err)
    assert code == 2, (code, err)
    assert out == "", "machine output must stay empty on invalid input"
    block = find_block(err, want)
    if want.valid is not None:
        assert re.search(r"^\s+valid: .*" + re.escape(want.valid), block, re.M), block
    if want.suggestion is not None:
        assert re.search(r"^\s+did you mean: .*" + re.escape(want.suggestion), block, re.M), block


# --------------------------------------------------------------------------- specs

SPEC_CASES = {
    # YAML 1.1 booleans are strings in YAML 1.2: say so, and suggest the boolean.
    "yaml11_yes": (8, "sale", ("'yes' is not a boolean", "YAML 1.1"), "true or false", "true"),
    "yaml11_on": (8, "sale", ("'on' is not a boolean", "YAML 1.1"), "true or false", "true"),
    "duplicate_key": (13, None, ('duplicate key "control"', "each key may appear once"), None, None),
    "min_age_word": (11, "users.min_age", ("expected a valid integer", "'sixteen'"), None, None),
    "regions_string": (10, "users.regions", ("expected a valid list", "'DE'"), None, None),
    "region_name": (10, "users.regions[1]", ("unknown region code 'Germany'", "ISO 3166-1"), None, "DE (Germany)"),
    "region_unknown_subdivision": (10, "users.regions[0]", ("unknown region code 'US-XX'", "ISO 3166-2"), None, "US-"),
    "taxonomy_unknown": (6, "data_uses[0]", ("unknown data use key 'train_ai'", "fideslang"), None, "train_ai_system"),
    "unknown_field": (6, "data_use", ("unknown field `data_use`",), "data_uses", "data_uses"),
    "nested_unknown_field": (
        16,
        "policy.update",
        ("unknown field `update`",),
        "discloses, updated, notified",
        "updated",
    ),
    "missing_field": (2, "title", ("required field `title` is missing",), "Human title", None),
    "date_invalid": (13, "starts", ("'2024-13-01' is not a date", "YYYY-MM-DD"), None, None),
    "date_timestamp": (13, "starts", ("not a timestamp", "YYYY-MM-DD"), None, None),
    "ends_before_starts": (14, "ends", ("ends (2024-07-01) is before starts (2024-08-01)",), None, None),
    "control_invalid": (12, "control", ("'optout' is not allowed",), "none, opt_out or opt_in", "opt_out"),
    "bad_id": (2, "id", ("'Bad ID' is not a valid id",), "lowercase letters, digits", "bad-id"),
    "unsupported_tag": (
        11,
        "users.min_age",
        ("is not supported here",),
        "a string, number, boolean",
        "remove the YAML tag",
    ),
    "non_string_key": (9, None, ("a key must be text, not int 1",), "a plain key", 'quote it: "1"'),
    "huge_number": (
        11,
        "users.min_age",
        ("a number with 5,000 digits is too large to read",),
        "at most 4,300 digits",
        None,
    ),
    "empty": (1, None, ("the file is empty",), "a YAML or JSON mapping", None),
    "comments_only": (1, None, ("the file holds no data",), "a YAML or JSON mapping", None),
    "list_not_mapping": (2, None, ("expected a mapping of fields, got list",), "id, title", None),
    "not_utf8": (2, None, ("not UTF-8: byte 0xe9",), "UTF-8 text", "re-save the file as UTF-8"),
    "nul_byte": (11, None, ("NUL byte",), None, None),
    "deep_nesting": (3, None, ("nesting is deeper than 48 levels",), None, None),
    "json_syntax": (4, None, ("not valid JSON: Expecting ',' delimiter",), None, None),
    "json_trailing_comma": (3, None, ("not valid JSON",), "JSON, since the file's name ends in .json", None),
}


def spec_path(case: str) -> Path:
    json_file = SPECS / f"{case}.json"
    return json_file if json_file.exists() else SPECS / f"{case}.yaml"


@pytest.mark.parametrize("case", sorted(SPEC_CASES))
def test_bad_spec(case: str) -> None:
    line, field, says, valid, suggestion = SPEC_CASES[case]
    path = spec_path(case)
    code, out, err = cli("check", path, "--today", TODAY)
    assert_problem(code, out, err, Expect(str(path), line, field, says, valid, suggestion))


@pytest.mark.parametrize("case", ["yaml11_yes", "region_name", "date_invalid", "ends_before_starts"])
def test_bad_spec_explain(case: str) -> None:
    """`explain` reads specs the same way as `check`."""
    line, field, says, valid, suggestion = SPEC_CASES[case]
    path = spec_path(case)
    code, out, err = cli("explain", path, "--today", TODAY)
    assert_problem(code, out, err, Expect(str(path), line, field, says, valid, suggestion))


def test_every_spec_fixture_is_covered() -> None:
    on_disk = {p.stem for p in SPECS.iterdir() if p.is_file()}
    positives = {"ok_norway", "ok_valid"}
    xfails = {"counts_duplicate_code"}
    assert on_disk - positives - xfails == set(SPEC_CASES)


def test_no_is_norway() -> None:
    code, out, err = cli("check", SPECS / "ok_norway.yaml", "--today", TODAY, "--format", "json", "--fail-on", "never")
    assert (code, err) == (0, "")
    names = {j["code"]: j["name"] for j in json.loads(out)["jurisdictions"]}
    assert names["NO"] == "Norway"
    assert "SE" in names


def test_valid_json_spec() -> None:
    code, out, err = cli("check", SPECS / "ok_valid.json", "--today", TODAY, "--format", "json", "--fail-on", "never")
    assert (code, err) == (0, "")
    assert json.loads(out)["practice"] == "ok-valid-json"


def test_huge_file(tmp_path: Path) -> None:
    big = tmp_path / "huge.yaml"
    text = OK_SPEC.read_text(encoding="utf-8")
    big.write_text(text + "description: " + "x" * (8 * 1024 * 1024) + "\n", encoding="utf-8")
    code, out, err = cli("check", big, "--today", TODAY)
    assert_problem(
        code,
        out,
        err,
        Expect(str(big), None, None, ("the limit is 8,388,608",), "under 8 MiB", "split it into several files"),
    )


@pytest.mark.parametrize("kind", ["fifo", "device", "symlink-loop"])
def test_special_files_are_refused_without_reading(kind: str, tmp_path: Path) -> None:
    """A FIFO would block forever and /dev/zero fill memory: only regular files are read."""
    path = tmp_path / "spec.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path = Path("/dev/zero")
    else:
        path.symlink_to(tmp_path / "other.yaml")
        (tmp_path / "other.yaml").symlink_to(path)
    says = "cannot open it" if kind == "symlink-loop" else "not a regular file"
    code, out, err = cli("check", path, "--today", TODAY)
    assert_problem(code, out, err, Expect(str(path), None, None, (says,)))


def test_standard_input_is_read_up_to_the_limit() -> None:
    """`check -` reads at most 8 MiB (+1 byte) of an endless stream, then refuses."""
    done = subprocess.run(
        [sys.executable, "-m", "jurisdiction", "check", "-", "--today", TODAY],
        stdin=open("/dev/zero", "rb"),  # noqa: SIM115 - closed with the process
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "the limit is 8,388,608" in done.stderr and "Traceback" not in done.stderr


def test_missing_file(tmp_path: Path) -> None:
    gone = tmp_path / "nope.yaml"
    code, out, err = cli("check", gone, "--today", TODAY)
    assert_problem(code, out, err, Expect(str(gone), None, None, ("no such file",)))


def test_directory_without_specs(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a spec\n")
    code, out, err = cli("check", tmp_path, "--today", TODAY)
    assert_problem(code, out, err, Expect(str(tmp_path), None, None, ("no .yaml, .yml or .json specs",)))


def test_several_bad_specs_all_reported() -> None:
    cases = ["yaml11_yes", "min_age_word", "region_name", "date_invalid"]
    paths = [spec_path(c) for c in cases]
    code, out, err = cli("check", *paths, OK_SPEC, "--today", TODAY)
    no_crash(code, err)
    assert code == 2 and out == ""
    for case, path in zip(cases, paths, strict=True):
        line, field, says, valid, suggestion = SPEC_CASES[case]
        find_block(err, Expect(str(path), line, field, says, valid, suggestion))
    assert str(OK_SPEC) not in err
    assert len(blocks(err)) == len(cases)


def test_bad_spec_directory_reports_every_file(tmp_path: Path) -> None:
    for case in ("yaml11_on", "control_invalid"):
        (tmp_path / f"{case}.yaml").write_bytes(spec_path(case).read_bytes())
    code, out, err = cli("check", tmp_path, "--today", TODAY)
    no_crash(code, err)
    assert code == 2 and out == ""
    assert f"{tmp_path / 'yaml11_on.yaml'}:8:" in err
    assert f"{tmp_path / 'control_invalid.yaml'}:12:" in err


# --------------------------------------------------------------------------- command line

USAGE_CASES = {
    "unknown subcommand": (["bogus"], "invalid choice: 'bogus'"),
    "no subcommand": ([], "required: command"),
    "check without paths": (["check"], "required: PATH"),
    "bad --today": (["check", OK_SPEC, "--today", "2024-13-01"], "'2024-13-01' is not a date; write YYYY-MM-DD"),
    "word --today": (["check", OK_SPEC, "--today", "yesterday"], "'yesterday' is not a date"),
    "bad --fail-on": (["check", OK_SPEC, "--fail-on", "sometimes"], "invalid choice: 'sometimes'"),
    "bad --engine": (["check", OK_SPEC, "--engine", "turbo"], "invalid choice: 'turbo'"),
    "bad --format": (["check", OK_SPEC, "--format", "xml"], "invalid choice: 'xml'"),
    "bad rules action": (["rules", "frobnicate"], "invalid choice: 'frobnicate'"),
    "bad schema": (["schema", "everything"], "invalid choice: 'everything'"),
}


@pytest.mark.parametrize("name", sorted(USAGE_CASES))
def test_bad_usage(name: str) -> None:
    argv, says = USAGE_CASES[name]
    code, out, err = cli(*argv)
    no_crash(code, err)
    assert code == 2, err
    assert out == ""
    assert err.startswith("error: jurisdiction") and says in err, err


def test_bad_choice_lists_valid_choices() -> None:
    code, _, err = cli("check", OK_SPEC, "--fail-on", "sometimes")
    assert code == 2
    for choice in ("blocked", "action_required", "never"):
        assert choice in err


def test_duplicate_practice_ids() -> None:
    code, out, err = cli("check", OK_SPEC, OK_SPEC, "--today", TODAY)
    no_crash(code, err)
    assert code == 2 and out == "" and "ok-norway" in err and "unique" in err


def test_explain_unknown_jurisdiction() -> None:
    code, out, err = cli("explain", OK_SPEC, "--today", TODAY, "--jurisdiction", "Germany")
    no_crash(code, err)
    assert code == 2 and out == ""
    assert "Germany" in err and "did you mean: DE" in err


# --------------------------------------------------------------------------- real subprocess


def python_m(*argv: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jurisdiction", *map(str, argv)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["check", SPECS / "yaml11_yes.yaml", "--today", TODAY],
        ["check", SPECS / "date_invalid.yaml", "--today", TODAY],
        ["check", SPECS / "not_utf8.yaml"],
        ["check", OK_SPEC, "--engine", "turbo"],
        ["bogus"],
        ["rules", "validate", RULES / "several_broken"],
    ],
    ids=["yaml11", "date", "utf8", "engine", "subcommand", "rules"],
)
def test_subprocess_exit_2_without_traceback(argv: list[object], tmp_path: Path) -> None:
    done = python_m(*argv, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert done.stderr.startswith("error: ")
    assert done.stdout == ""


def test_subprocess_names_file_line_field(tmp_path: Path) -> None:
    path = SPECS / "region_name.yaml"
    done = python_m("check", path, "--today", TODAY, cwd=tmp_path)
    assert done.returncode == 2
    assert f"{path}:10:" in done.stderr and "users.regions[1]" in done.stderr
    assert "did you mean: DE (Germany)" in done.stderr


# --------------------------------------------------------------------------- rule libraries

LAW = "test-law/law.yaml"

RULE_CASES = {
    "key_list_in_any_under": (
        LAW,
        21,
        "terms.ai-training.when.data_uses.any_under[0]",
        ("a key of `data_uses` must be text, not a list",),
        "a key, or a flat list of keys",
        None,
    ),
    "unknown_fact": (
        LAW,
        31,
        "rules[0].when.all[1].min_agee",
        ("unknown fact or term `min_agee`",),
        "min_age",
        "min_age",
    ),
    "unknown_operator": (
        LAW,
        31,
        "rules[0].when.all[1].min_age.below",
        ("operator `below`",),
        "eq, ne, lt, le, gt, ge, in, not_in",
        None,
    ),
    "wrong_operator": (
        LAW,
        21,
        "terms.ai-training.when.data_uses.lt",
        ("operator `lt` does not apply to set fact `data_uses`",),
        "any_under, none_under, has, lacks",
        None,
    ),
    "unknown_taxonomy_key": (
        LAW,
        21,
        "terms.ai-training.when.data_uses.any_under[0]",
        ("unknown data use key 'train_ai'",),
        "fideslang",
        "train_ai_system",
    ),
    "unknown_term": (
        LAW,
        30,
        "rules[0].when.all[0].ai-trainin",
        ("unknown fact or term `ai-trainin`",),
        "ai-training",
        "ai-training",
    ),
    "unknown_parameter": (
        LAW,
        31,
        "rules[0].when.all[1].min_age.lt.param",
        ("unknown parameter `age-of-consnt`",),
        "age-of-consent",
        "age-of-consent",
    ),
    "duplicate_rule_id": (LAW, 35, "rules[1].id", ("rule id `notice` is used twice",), None, None),
    "missing_citation": (
        LAW,
        23,
        "rules[0].citation",
        ("required field `citation` is missing",),
        "GDPR Art. 13(3)",
        None,
    ),
    "missing_url": (LAW, 23, "rules[0].url", ("required field `url` is missing",), "Source URL", None),
    "invalid_url": (LAW, 27, "rules[0].url", ("'see the act' is not a valid URL",), "https://", None),
    "unknown_key": (LAW, 25, "rules[0].kinds", ("unknown field `kinds`",), "id, title, kind, severity", "kind"),
    "invalid_kind": (
        LAW,
        25,
        "rules[0].kind",
        ("'notify' is not allowed",),
        "policy_update, notice, opt_out, consent, parental_consent, impact_assessment, disclosure or prohibited",
        "notice",
    ),
    "no_done": (LAW, 23, "rules[0]", ("a rule other than `prohibited` needs `done`",), "done: {on:", None),
    "to_before_from": (LAW, 27, "rules[0].to", ("`to` is before `from`",), None, None),
    "invalid_date": (LAW, 9, "law.applies[0].from", ("'2020-13-01' is not a date", "YYYY-MM-DD"), None, None),
    "duplicate_key": (LAW, 26, None, ('duplicate key "kind"',), None, None),
    "tests_unknown_law": (
        "test-law/tests.yaml",
        1,
        "law",
        ("tests name law `test-lw`, which no file defines",),
        "test-law",
        None,
    ),
    "duplicate_law_id": (
        "test-law-copy/law.yaml",
        3,
        "law.id",
        ("law id `test-law` is also used by duplicate_law_id/test-law/law.yaml",),
        None,
        None,
    ),
}


def rule_commands(lib: Path) -> dict[str, list[object]]:
    return {"validate": ["rules", "validate", lib], "check": ["check", OK_SPEC, "--rules", lib, "--today", TODAY]}


# `check --rules DIR` reads the law files only; the tests.yaml beside them are for `rules validate|test`.
RULE_RUNS = [
    (case, command)
    for case in sorted(RULE_CASES)
    for command in ("validate", "check")
    if not (command == "check" and RULE_CASES[case][0].endswith("tests.yaml"))
]


@pytest.mark.parametrize(("case", "command"), RULE_RUNS)
def test_bad_rules(case: str, command: str) -> None:
    file, line, field, says, valid, suggestion = RULE_CASES[case]
    lib = RULES / case
    code, out, err = cli(*rule_commands(lib)[command])
    assert_problem(code, out, err, Expect(f"{case}/{file}", line, field, says, valid, suggestion))


def test_every_rule_fixture_is_covered() -> None:
    on_disk = {p.name for p in RULES.iterdir() if p.is_dir()}
    others = {
        "ok",
        "empty",
        "several_broken",
        "law_broken_with_tests",
        "tests_invalid_practice",
        "tests_unknown_rule",
        "tests_duplicate_case",
        "param_on_bool_fact",
    }
    assert on_disk - others == set(RULE_CASES)


def test_ok_rules_pass() -> None:
    code, out, err = cli("rules", "validate", RULES / "ok")
    assert (code, err) == (0, "") and "1 laws, 1 rules, 1 test cases: valid" in out
    code, out, err = cli("rules", "test", RULES / "ok", "--engine", "native")
    assert (code, err) == (0, ""), out


@pytest.mark.parametrize("command", ["validate", "check"])
def test_empty_rules_folder(command: str) -> None:
    lib = RULES / "empty"
    code, out, err = cli(*rule_commands(lib)[command])
    assert_problem(code, out, err, Expect(str(lib), None, None, ("no law files found",), "one folder per law", None))


def test_missing_rules_folder(tmp_path: Path) -> None:
    code, out, err = cli("check", OK_SPEC, "--rules", tmp_path / "nope")
    assert_problem(code, out, err, Expect(str(tmp_path / "nope"), None, None, ("no such rule folder",)))


SEVERAL = [
    Expect("several_broken/aaa/law.yaml", 3, None, ("node content",)),
    Expect("several_broken/bbb/law.yaml", 25, "rules[0].kind", ("'notify' is not allowed",), "notice", "notice"),
    Expect(
        "several_broken/ccc/law.yaml", 31, "rules[0].when.all[1].min_agee", ("unknown fact or term",), None, "min_age"
    ),
    Expect("several_broken/ddd/law.yaml", 23, "rules[0].kind", ("required field `kind` is missing",)),
    Expect("several_broken/ddd/law.yaml", 25, "rules[0].kinds", ("unknown field `kinds`",), None, "kind"),
    Expect("several_broken/ddd/law.yaml", 27, "rules[0].url", ("'see the act' is not a valid URL",), "https://"),
]


@pytest.mark.parametrize("command", ["validate", "check"])
def test_several_broken_rule_files_all_reported_in_order(command: str) -> None:
    code, out, err = cli(*rule_commands(RULES / "several_broken")[command])
    no_crash(code, err)
    assert code == 2 and out == ""
    for want in SEVERAL:
        assert_problem(code, out, err, want)
    where = [re.match(r"error: ([^:]+):(\d+)", b) for b in blocks(err)]
    assert all(where), err
    order = [(m.group(1), int(m.group(2))) for m in where if m]
    assert order == sorted(order), err
    assert order == [(w.file, w.line) for w in SEVERAL], err


# --------------------------------------------------------------------------- known problems elsewhere


def test_broken_law_does_not_orphan_its_tests() -> None:
    code, _, err = cli("rules", "validate", RULES / "law_broken_with_tests")
    assert code == 2 and "'notify' is not allowed" in err
    assert "which no file defines" not in err


def test_rules_validate_checks_test_practices() -> None:
    code, _, err = cli("rules", "validate", RULES / "tests_invalid_practice")
    assert code == 2
    assert re.search(r"tests_invalid_practice/test-law/tests\.yaml:8:\d+: base\.users\.min_age", err), err


def test_rules_validate_checks_expected_rule_ids() -> None:
    code, _, err = cli("rules", "validate", RULES / "tests_unknown_rule")
    assert code == 2
    assert "notise" in err and "did you mean: notice" in err


def test_duplicate_test_case_names() -> None:
    code, _, err = cli("rules", "validate", RULES / "tests_duplicate_case")
    assert code == 2 and "notice applies" in err


def test_param_compared_with_wrong_fact_type() -> None:
    code, _, err = cli("rules", "validate", RULES / "param_on_bool_fact")
    assert code == 2 and "sale" in err


def test_counts_duplicate_code_after_normalising() -> None:
    path = SPECS / "counts_duplicate_code.yaml"
    code, _, err = cli("check", path, "--today", TODAY)
    assert code == 2 and f"{path}:9:" in err and "users.counts" in err


def _hostile(tmp_path: Path, name: str, text: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    # a subprocess: a crash of the YAML composer would take the test runner down with it
    return subprocess.run(
        [sys.executable, "-m", "jurisdiction", "check", str(path), "--today", TODAY],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _aliases(levels: int) -> str:
    text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, levels + 1):
        text += f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n"
    return text


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("deep-flow.yaml", "a: " + "[" * 100_000 + "]" * 100_000 + "\n", "nesting is deeper than 48 levels"),
        ("deep-json.json", '{"a":' * 20_000 + "1" + "}" * 20_000, "nesting is deeper than 48 levels"),
        (
            "deep-block.yaml",
            "\n".join(["a:", *(" " * i + f"k{i}:" for i in range(1, 200)), " " * 200 + "v"]) + "\n",
            "nesting is deeper than 48 levels",
        ),
        ("alias-bomb.yaml", _aliases(7), "expands to more than 250,000 values"),
        ("many-aliases.yaml", "a: &a x\nb: [" + ", ".join(["*a"] * 1500) + "]\n", "more than 1,000 YAML alias"),
    ],
)
def test_hostile_documents_are_refused_quickly(tmp_path: Path, name: str, text: str, says: str) -> None:
    """Deep nesting once crashed the process (the C composer overflows its stack) and an alias
    bomb held a worker for minutes at gigabytes: both are refused, with exit code 2."""
    import time

    began = time.monotonic()
    done = _hostile(tmp_path, name, text)
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    assert says in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - began < 30


def test_problems_are_capped_per_file(tmp_path: Path) -> None:
    """76,000 unknown keys once gave 26 MB of messages in 7 s: the first 50, then a count."""
    keys = "\n".join(f"k{i}: 1" for i in range(76_000))
    done = _hostile(tmp_path, "many-keys.yaml", f"id: x\ntitle: t\n{keys}\n")
    assert done.returncode == 2
    assert "and 75,955 more problems in this file (the first 50 are shown)" in done.stderr
    assert len(done.stderr) < 50_000
