"""The command line. `run(argv, stdout, stderr) -> int` is what tests call; `main()` wraps it.

Exit codes: 0 the gate passes; 1 the gate fails (a verdict at or past --fail-on); 2 invalid
input or usage, with a message naming file, line and field; never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import gc
import itertools
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from jurisdiction._version import __version__
from jurisdiction.errors import InputError, JurisdictionError, Problem, UsageError
from jurisdiction.evaluation.assessment import Assessment
from jurisdiction.evaluation.batch import gc_paused
from jurisdiction.evaluation.evaluator import Evaluator
from jurisdiction.law.rulebook import RuleBook
from jurisdiction.outputs.formats import FORMATS, stream
from jurisdiction.outputs.gate import FAIL_ON, Checked
from jurisdiction.outputs.waivers import Waivers
from jurisdiction.practice.inputs import Skipped, Spec, git_show, read_one
from jurisdiction.practice.model import Practice
from jurisdiction.practice.specs import practice_from_document
from jurisdiction.reading.loading import parse_bytes

__all__ = ["main", "run"]


ENGINE_NAMES = ["auto", "rete", "native"]
BACKENDS = ["duckdb", "spark"]
TAXONOMY_KINDS = {"category": "data categories", "use": "data uses", "subject": "data subjects"}
# `timeline --format`: outputs.timeline's formats and the HTML report (a test keeps them equal;
# named here so that a command other than `timeline` does not import the timeline's modules)
TIMELINE_FORMAT_NAMES = ("html", "ics", "json", "markdown", "text")

# the commands that load a rule library (through `_book`)
LOADS_LIBRARY = frozenset({"check", "diff", "timeline", "explain", "rules", "jurisdictions", "users"})


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        days = -1
    if days < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days; write a whole number, 0 or more")
    return days


def _parser() -> _Parser:
    p = _Parser(
        prog="jurisdiction",
        description="Which notice, consent, opt-out, policy update or "
        "assessment a data practice needs, jurisdiction by jurisdiction.",
    )
    p.add_argument("--version", action="version", version=f"jurisdiction {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument("--today", type=_date, help="evaluation date (default: the system date)")
        cmd.add_argument("--rules", metavar="DIR", help="rule library (default: the shipped one)")
        cmd.add_argument("--engine", choices=ENGINE_NAMES, default="auto")

    def gate(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument(
            "--fail-on",
            choices=list(FAIL_ON),
            default="blocked",
            help="fail the gate at this verdict or worse (never: report only)",
        )
        cmd.add_argument(
            "--fail-on-warnings", action="store_true", help="let warning-severity obligations fail the gate too"
        )
        cmd.add_argument(
            "--accept-uncovered",
            action="store_true",
            help="do not fail the gate for users in jurisdictions the rule library does not cover "
            "(they are still reported)",
        )

    check = sub.add_parser("check", help="assess practice specs")
    check.add_argument("paths", nargs="+", metavar="PATH", help="spec files, folders, or - for standard input")
    check.add_argument("--format", choices=sorted(FORMATS), default="text")
    check.add_argument("--include", action="append", metavar="GLOB", help="in folders, only matching files")
    check.add_argument("--exclude", action="append", metavar="GLOB", help="in folders, skip matching files")
    check.add_argument(
        "--detail",
        action="store_true",
        help="text: every obligation with its citation, source, reasons and uncertainty (default: one line per duty)",
    )
    check.add_argument(
        "--strict",
        action="store_true",
        help="in folders, a .yaml/.yml/.json file that is not a practice spec is an error (default: skipped, listed)",
    )
    check.add_argument(
        "--skip-other-files",
        action="store_true",
        help="files named that are not practice specs are skipped and listed, as in a folder (the pre-commit hook "
        "names every YAML/JSON file a commit touches; default: a named file must be a spec)",
    )
    check.add_argument("--stdin-filename", default="<stdin>", metavar="NAME", help="the name `-` is reported as")
    check.add_argument(
        "--waivers", metavar="FILE", help="waivers file (default: ./jurisdiction.waivers.yaml if present)"
    )
    check.add_argument("--base", metavar="GIT_REF", help="gate only what changed since this git revision")
    check.add_argument("--fides-facts", metavar="FILE", help="practice facts for Fides system manifests")
    gate(check)
    common(check)

    diff = sub.add_parser(
        "diff",
        help="what a change to a spec does to its obligations; fails on regressions (added, worse, sooner)",
    )
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("--format", choices=["text", "json"], default="text")
    gate(diff)
    common(diff)

    timeline = sub.add_parser(
        "timeline",
        help="the dates in a window on which practices' obligations fall due, laws come into force "
        "or assessments change, with the lead time; --fail-within makes it a gate",
    )
    timeline.add_argument("paths", nargs="+", metavar="PATH", help="spec files, folders, or - for standard input")
    timeline.add_argument(
        "--from", "--today", dest="start", type=_date, help="first day of the window (default: the system date)"
    )
    timeline.add_argument("--until", type=_date, help="last day of the window (default: a year after --from)")
    timeline.add_argument("--format", choices=TIMELINE_FORMAT_NAMES, default="text")
    timeline.add_argument(
        "--fail-within",
        type=_days,
        metavar="DAYS",
        help="fail (exit 1) when an unmet obligation is due within DAYS days of --from, or already overdue",
    )
    timeline.add_argument(
        "--fail-on-warnings", action="store_true", help="with --fail-within: warning-severity obligations count too"
    )
    timeline.add_argument(
        "--waivers",
        metavar="FILE",
        help="with --fail-within: waivers file (default: ./jurisdiction.waivers.yaml if present); an obligation "
        "a waiver covers through the gate's last day does not fail it",
    )
    timeline.add_argument("--include", action="append", metavar="GLOB", help="in folders, only matching files")
    timeline.add_argument("--exclude", action="append", metavar="GLOB", help="in folders, skip matching files")
    timeline.add_argument(
        "--strict",
        action="store_true",
        help="in folders, a .yaml/.yml/.json file that is not a practice spec is an error (default: skipped, listed)",
    )
    timeline.add_argument("--stdin-filename", default="<stdin>", metavar="NAME", help="the name `-` is reported as")
    timeline.add_argument("--rules", metavar="DIR", help="rule library (default: the shipped one)")
    timeline.add_argument("--engine", choices=ENGINE_NAMES, default="auto")

    explain = sub.add_parser("explain", help="why and why not, rule by rule")
    explain.add_argument("spec", metavar="SPEC")
    explain.add_argument("--jurisdiction", metavar="CODE", help="only this jurisdiction (a code or group)")
    explain.add_argument("--rule", metavar="ID", help="only this law (us-ca-ccpa) or rule (us-ca-ccpa/notice-...)")
    explain.add_argument("--format", choices=["text", "json"], default="text")
    common(explain)

    rules = sub.add_parser("rules", help="list, validate or test a rule library")
    rules.add_argument("action", choices=["list", "validate", "test", "lint", "matrix", "upcoming"])
    rules.add_argument("dir", nargs="?", metavar="DIR")
    rules.add_argument("--format", choices=["text", "json"], default="text")
    rules.add_argument("--engine", choices=ENGINE_NAMES, default="auto")
    rules.add_argument("--coverage", action="store_true", help="report rules no case exercises")
    rules.add_argument(
        "--threshold",
        type=float,
        default=0.0,
        metavar="PCT",
        help="with --coverage: fail below this rule coverage (percent)",
    )
    rules.add_argument("--write", metavar="FILE", help="matrix: write it to FILE instead of stdout")
    rules.add_argument(
        "--within",
        type=_days,
        default=90,
        metavar="DAYS",
        help="upcoming: what takes effect or ends within DAYS days of --today (default 90)",
    )
    rules.add_argument("--today", type=_date, help="upcoming: the first day looked at (default: the system date)")

    jur = sub.add_parser("jurisdictions", help="list codes, names and groups")
    jur.add_argument("query", nargs="?")
    jur.add_argument("--format", choices=["text", "json"], default="text")
    jur.add_argument("--rules", metavar="DIR", help="rule library whose coverage to show (default: the shipped one)")

    tax = sub.add_parser(
        "taxonomy",
        help="list data categories, data uses and data subjects (the keys specs and rules use)",
        description="Lists the taxonomy's keys with their descriptions. QUERY keeps the keys that start "
        "with it or contain it, or whose name or description contains it (any case).",
    )
    tax.add_argument("query", nargs="?", metavar="QUERY")
    tax.add_argument(
        "--kind", action="append", choices=list(TAXONOMY_KINDS), help="only this kind (repeatable; default all)"
    )
    tax.add_argument("--format", choices=["text", "json"], default="text")

    serve = sub.add_parser(
        "serve",
        help="run the HTTP service (needs the `serve` extra)",
        description="Every flag may also be given as JURISDICTION_<FLAG> in the environment "
        "(JURISDICTION_ADMIN_TOKEN, JURISDICTION_BODY_SECONDS, ...); a flag wins over the environment.",
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--rules", metavar="DIR", help="rule library (default: the shipped one)")
    serve.add_argument("--workers", type=int, help="worker processes (default 1)")
    serve.add_argument("--engine", choices=ENGINE_NAMES)
    serve.add_argument("--decision-log", metavar="FILE", help="append one JSON line per decision (created 0600)")
    serve.add_argument("--admin-token", metavar="TOKEN", help="enables POST /v1/admin/reload with this bearer token")
    serve.add_argument("--max-body", type=int, metavar="BYTES", help="largest request body (default 1 MiB)")
    serve.add_argument("--body-seconds", type=float, metavar="S", help="a body must arrive within S seconds (10)")
    serve.add_argument("--keep-alive", type=int, dest="keep_alive_seconds", metavar="S", help="idle keep-alive (5 s)")
    serve.add_argument(
        "--max-connections", type=int, metavar="N", help="beyond N connections, new requests get 503 (1000)"
    )
    serve.add_argument(
        "--no-access-log", dest="access_log", action="store_const", const=False, help="no line per request"
    )

    users = sub.add_parser("users", help="count the affected users in a user table, per jurisdiction and plan step")
    users.add_argument("spec", metavar="SPEC")
    users.add_argument("--users", dest="table_path", metavar="PATH", help="user table: Parquet (file or folder) or CSV")
    users.add_argument("--map", dest="columns", metavar="COLUMNS", help="role=column,... or a YAML/JSON file")
    users.add_argument("--backend", choices=BACKENDS, default="duckdb", help="where the SQL runs")
    users.add_argument("--out", metavar="DIR", help="write each plan step's user ids there (Parquet)")
    users.add_argument("--force", action="store_true", help="with --out: replace step files that exist already")
    users.add_argument("--format", choices=["text", "json", "html"], default="text")
    users.add_argument("--print-sql", action="store_true", help="print the SQL (for a warehouse) and stop")
    users.add_argument("--table", default="users", help="with --print-sql: the table name in the SQL")
    users.add_argument("--today", type=_date, help="evaluation date (default: the system date)")
    users.add_argument("--rules", metavar="DIR", help="rule library (default: the shipped one)")
    users.add_argument("--rule-engine", choices=ENGINE_NAMES, default="auto", help="the rules engine")
    # --engine names the rules engine, as in every other command; it also still takes the
    # backend names it took before --backend existed.
    users.add_argument(
        "--engine",
        choices=ENGINE_NAMES + BACKENDS,
        action=_EngineOrBackend,
        help="the rules engine (auto|rete|native); duckdb|spark is read as --backend",
    )

    schema = sub.add_parser("schema", help="print a JSON Schema")
    schema.add_argument("which", choices=["practice", "rules", "tests", "assessment", "timeline"])
    return p


def run(
    argv: Sequence[str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    stdin: IO[bytes] | None = None,
    collector_paused: bool = False,
) -> int:
    """Run one command; its exit code. `collector_paused`: the caller turned the cyclic garbage
    collector off for start-up (`python -m jurisdiction` does); it is back on once the library
    is loaded (`_book`), and before any command that loads none."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        with contextlib.redirect_stdout(out):  # where argparse writes --help and --version
            args = _parser().parse_args(list(argv) if argv is not None else None)
        args.stdin = stdin if stdin is not None else (sys.stdin.buffer if sys.stdin is not None else None)
        args.collector_paused = collector_paused and args.command in LOADS_LIBRARY
        if collector_paused and not args.collector_paused:
            gc.enable()
        handler = {
            "check": _check,
            "explain": _explain,
            "rules": _rules,
            "jurisdictions": _jurisdictions,
            "taxonomy": _taxonomy,
            "schema": _schema,
            "serve": _serve,
            "diff": _diff,
            "timeline": _timeline,
            "users": _users,
        }[args.command]
        return handler(args, out, err)
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    except InputError as exc:
        for problem in exc.problems:
            err.write(f"error: {problem.render()}\n")
        return 2
    except UsageError as exc:
        err.write(f"error: {exc}\n")
        return 2
    except JurisdictionError as exc:  # pragma: no cover - every subclass is handled above
        err.write(f"error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): nothing left to say to it
        return 141
    except Exception as exc:
        err.write(f"internal error (please report it, with the input): {type(exc).__name__}: {exc}\n")
        return 3
    finally:
        if collector_paused:
            gc.enable()


def main(collector_paused: bool = False) -> None:
    """The `jurisdiction` command: run it, exit with its code."""
    code = run(collector_paused=collector_paused)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader closed the pipe: point stdout at nothing, so the interpreter's own flush at
        # exit does not complain either (the Python documentation's recipe for SIGPIPE)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = code or 141
    sys.exit(code)


class _EngineOrBackend(argparse.Action):
    def __call__(self, parser: Any, namespace: argparse.Namespace, value: Any, option: str | None = None) -> None:
        setattr(namespace, "backend" if value in BACKENDS else "rule_engine", value)


def _book(args: argparse.Namespace, path: str | None, with_tests: bool = False) -> RuleBook:
    book = RuleBook.load(path, with_tests=with_tests)
    if args.collector_paused:  # start-up is over: what it built lives on, never to be scanned again
        args.collector_paused = False
        gc.freeze()
        gc.enable()
    return book


# specs read and evaluated at a time: a folder gate holds one chunk, never the whole folder
CHUNK = 64
# output is held back until every spec is read (bad input means an error and no output): in
# memory up to this size, then in a temporary file
HELD_IN_MEMORY = 8 * 2**20


def _check(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from jurisdiction.errors import SpecError
    from jurisdiction.outputs.gate import Gate, Report
    from jurisdiction.practice.inputs import spec_files

    files = spec_files(args.paths, args.include or (), args.exclude or ())
    book = _book(args, args.rules)
    run = _Run(args, Evaluator(book, args.engine), args.today or dt.date.today(), _waivers(args, book), err)
    scanned = () if args.strict else set(files) if args.skip_other_files else set(files) - set(args.paths)
    items = run.checked(files, scanned)
    first = list(itertools.islice(items, 2))  # one spec or many: the JSON output's shape
    gate = Gate(args.fail_on, args.fail_on_warnings, args.accept_uncovered)
    many = len(files) > 1 or len(first) > 1
    report = Report(itertools.chain(first, items), gate, run.expired, many=many, detail=args.detail)
    with tempfile.SpooledTemporaryFile(max_size=HELD_IN_MEMORY, mode="w+", encoding="utf-8") as held:
        for piece in stream(args.format, report):
            held.write(piece)
        if run.problems:
            raise SpecError(run.problems)
        if run.duplicates:
            raise UsageError(
                f"practice ids must be unique across the specs checked together: {', '.join(sorted(run.duplicates))}"
            )
        if not report.tally.specs:
            if args.skip_other_files:  # a commit that touches no spec: nothing to gate
                err.write("no practice spec among the files named: nothing to check\n")
                return 0
            raise UsageError("none of the files found is a practice spec (see the skipped files above)")
        held.seek(0)
        shutil.copyfileobj(held, out)
    return report.exit_code


class _Run:
    """One `check` over many files, read and evaluated a chunk at a time. Bad files are
    noted in `problems` (and the rest still read, so every problem is listed at once)."""

    def __init__(self, args: argparse.Namespace, evaluator: Evaluator, today: dt.date, waivers: Waivers, err: IO[str]):
        self.args, self.evaluator, self.today, self.waivers, self.err = args, evaluator, today, waivers, err
        self.problems: list[Problem] = []
        self.expired: list[str] = []
        self.duplicates: set[str] = set()
        self.ids: set[str] = set()

    def checked(self, files: Sequence[str], scanned: Collection[str]) -> Iterator[Checked]:
        """The checked specs of `files`, in order; files in `scanned` (found in a folder) that are
        not specs are skipped and listed on stderr."""
        progress = len(files) >= 50 and getattr(self.err, "isatty", lambda: False)()
        for start in range(0, len(files), CHUNK):
            # the collector off while a chunk is read, evaluated and written (it found nothing to
            # free and took half the time); on between chunks, so garbage is bounded by a chunk
            with gc_paused():
                specs = []
                for raw in files[start : start + CHUNK]:
                    found = self.read(raw, raw in scanned)
                    if isinstance(found, Skipped):
                        self.err.write(f"skipped {found.source}: {found.why} (--strict makes this an error)\n")
                        continue
                    specs.extend(found)
                if self.problems:  # the run ends in an error: read on for more, evaluate nothing
                    continue
                practices = [s.practice for s in specs]
                for spec, assessment in zip(specs, self.evaluator.evaluate_many(practices, self.today), strict=True):
                    yield self.item(spec, assessment)
            if progress:
                done = min(len(files), start + CHUNK)
                filled = done * 30 // len(files)
                self.err.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{len(files)} files")
                self.err.flush()
        if progress:
            self.err.write("\n")

    def read(self, raw: str, lenient: bool) -> list[Spec] | Skipped:
        args = self.args
        try:
            found = read_one(
                raw, stdin=args.stdin, stdin_name=args.stdin_filename, fides_facts=args.fides_facts, lenient=lenient
            )
        except InputError as exc:
            self.problems.extend(exc.problems)
            return []
        for spec in found if isinstance(found, list) else ():
            if spec.practice.id in self.ids:
                self.duplicates.add(spec.practice.id)
            self.ids.add(spec.practice.id)
        return found

    def item(self, spec: Spec, assessment: Assessment) -> Checked:
        assessment, gone = self.waivers.apply(assessment, self.today)
        self.expired.extend(gone)
        base = None
        ref = self.args.base
        if ref is not None:
            if spec.path is None:
                raise UsageError("--base compares files with their git history; standard input has none")
            old = git_show(spec.path, ref)
            if old is not None:
                earlier = practice_from_document(parse_bytes(old, f"{ref}:{spec.source}"))
                base = self.evaluator.evaluate(earlier, self.today)
        return Checked(assessment, spec.source, spec.document, base, gated_change=ref is not None)


def _diff(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from jurisdiction.outputs.gate import Checked, Gate, Report, worsening
    from jurisdiction.practice.inputs import read_specs

    old, new = (read_specs([p])[0] for p in (args.old, args.new))
    evaluator = Evaluator(_book(args, args.rules), args.engine)
    today = args.today or dt.date.today()
    before, after = evaluator.evaluate(old.practice, today), evaluator.evaluate(new.practice, today)
    item = Checked(after, new.source, new.document, before, gated_change=True)
    report = Report([item], Gate(args.fail_on, args.fail_on_warnings, args.accept_uncovered))
    change = item.change
    assert change is not None
    obs = {o.id: o for o in after.obligations}
    was = {o.id: o for o in before.obligations}
    passed = "passed" if report.passed else "failed"
    if args.format == "json":
        out.write(
            json.dumps(
                {
                    "old": old.source,
                    "new": new.source,
                    "today": today.isoformat(),
                    "added": [obs[i].model_dump(mode="json", exclude_none=True) for i in change.added],
                    "worse": [
                        {
                            "id": i,
                            "was": {"status": was[i].status, "severity": was[i].severity},
                            "now": {"status": obs[i].status, "severity": obs[i].severity},
                        }
                        for i in change.worse
                    ],
                    "sooner": [{"id": i, "was": str(was[i].due), "now": str(obs[i].due)} for i in change.sooner],
                    "removed": [was[i].model_dump(mode="json", exclude_none=True) for i in change.removed],
                    "verdict": {"old": before.verdict, "new": after.verdict},
                    "gate": passed,
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    else:
        out.write(f"{old.source} -> {new.source} as of {today}: verdict {before.verdict} -> {after.verdict}\n")
        for i in change.added:
            o = obs[i]
            out.write(f"+ {i} [{o.status}, due {o.due}, {o.severity}] {o.title} ({o.citation})\n")
        for i in change.worse:
            out.write(f"^ {i} [{worsening(was[i], obs[i])}] {obs[i].title} ({obs[i].citation})\n")
        for i in change.sooner:
            out.write(f"! {i} due sooner: {was[i].due} -> {obs[i].due}\n")
        for i in change.removed:
            out.write(f"- {i} {was[i].title}\n")
        out.write(f"{change.counts()}; gate {passed}\n")
    return report.exit_code


def _timeline(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from jurisdiction.outputs.gate import Gate
    from jurisdiction.outputs.timeline import gate_within, render_timeline
    from jurisdiction.practice.inputs import read_inputs, spec_files

    start = args.start or dt.date.today()
    ahead = max(365, args.fail_within or 0)
    until = args.until or start + dt.timedelta(days=ahead)
    if until < start:
        raise UsageError(f"--until {until} is before --from {start}: give a later --until, or leave it out")
    if args.fail_within is not None and start + dt.timedelta(days=args.fail_within) > until:
        raise UsageError(
            f"--fail-within {args.fail_within} looks past --until {until}: give --until "
            f"{start + dt.timedelta(days=args.fail_within)} or later, or leave it out"
        )
    files = spec_files(args.paths, args.include or (), args.exclude or ())
    scanned = () if args.strict else set(files) - set(args.paths)
    inputs = read_inputs(files, stdin=args.stdin, stdin_name=args.stdin_filename, scanned=scanned)
    for skip in inputs.skipped:
        err.write(f"skipped {skip.source}: {skip.why} (--strict makes this an error)\n")
    if not inputs.specs:
        raise UsageError("none of the files found is a practice spec (see the skipped files above)")
    practices = [s.practice for s in inputs.specs]
    _unique_ids(practices)
    evaluator = Evaluator(_book(args, args.rules), args.engine)
    timeline = evaluator.timelines(practices, start, until)
    if args.fail_within is not None:
        gate = Gate(fail_on_warnings=args.fail_on_warnings)
        timeline = gate_within(timeline, args.fail_within, gate, _waivers(args, evaluator.book))
    if args.format == "html":  # the compliance report as of --from, with each practice's timeline
        from jurisdiction.outputs.gate import Checked, Report
        from jurisdiction.outputs.html_report import render_html

        items = [Checked(evaluator.evaluate(s.practice, start), s.source, s.document) for s in inputs.specs]
        lines = {line.practice: line for line in timeline.practices}
        out.write(render_html(Report(items, many=len(items) > 1), timelines=lines))
    else:
        out.write(render_timeline(args.format, timeline))
    return 1 if timeline.gate is not None and not timeline.gate.passed else 0


def _unique_ids(practices: Sequence[Practice]) -> None:
    ids: dict[str, int] = {}
    for p in practices:
        ids[p.id] = ids.get(p.id, 0) + 1
    dupes = sorted(k for k, v in ids.items() if v > 1)
    if dupes:
        raise UsageError(f"practice ids must be unique across the specs checked together: {', '.join(dupes)}")


def _waivers(args: argparse.Namespace, book: RuleBook) -> Waivers:
    from jurisdiction.outputs.waivers import DEFAULT_FILE, load_waivers

    if args.waivers:
        return load_waivers(args.waivers, book.rules)
    return load_waivers(DEFAULT_FILE, book.rules, required=False)


def _explain(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from jurisdiction.evaluation.explain import explain_practice, render_explanation
    from jurisdiction.practice.specs import load_practice

    practice = load_practice(args.spec)
    evaluator = Evaluator(_book(args, args.rules), args.engine)
    report = explain_practice(evaluator, practice, args.today or dt.date.today(), args.jurisdiction, args.rule)
    if args.format == "json":
        out.write(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    else:
        out.write(render_explanation(report))
    return 0


def _rules(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    book = _book(args, args.dir, with_tests=args.action in ("validate", "test", "lint"))
    if args.action == "lint":
        return _lint(book, args, out)
    if args.action == "upcoming":
        return _upcoming(book, args, out)
    if args.action == "matrix":
        from jurisdiction.law.matrix import render_matrix

        text = render_matrix(book)
        if args.write:
            Path(args.write).write_text(text, encoding="utf-8")
        else:
            out.write(text)
        return 0
    if args.action == "validate":
        n_rules = sum(len(law.spec.rules) for law in book.laws)
        n_cases = sum(len(t.cases) for _, t, _ in book.tests)
        out.write(f"{len(book.laws)} laws, {n_rules} rules, {n_cases} test cases: valid ({book.revision})\n")
        return 0
    if args.action == "list":
        rows = [law.summary() for law in book.laws]
        if args.format == "json":
            out.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        else:
            from jurisdiction.law.matrix import STATUS_WORDS, coverage_rows

            totals: Counter[str] = Counter(c.status for _, c, _ in coverage_rows(book))
            for row in rows:
                where = "; ".join(
                    f"{','.join(a['in'])} from {a['from']}" + (f" to {a['to']}" if a["to"] else "")
                    for a in row["applies"]
                )
                out.write(
                    f"{row['id']}: {row['title']}\n    {row['citation']} <{row['url']}>\n"
                    f"    applies: {where}; {len(row['rules'])} rules"
                    f"{', ' + str(row['unverified_rules']) + ' unverified' if row['unverified_rules'] else ''}\n"
                )
            summary = ", ".join(f"{totals[s]} {word.strip('*')}" for s, word in STATUS_WORDS.items())
            out.write(f"coverage of the world's {sum(totals.values())} countries and split subdivisions: {summary}\n")
        return 0
    from jurisdiction.evaluation.ruletests import run_tests

    results = list(run_tests(book, args.engine))
    failed = [r for r in results if not r.passed]
    fired = {rid for r in results for rid in r.fired}
    tested_laws = {r.law for r in results}
    all_rules = sorted(book.rules)
    uncovered = [rid for rid in all_rules if rid not in fired]
    coverage = 100.0 * (len(all_rules) - len(uncovered)) / len(all_rules) if all_rules else 100.0
    if args.format == "json":
        out.write(
            json.dumps(
                {
                    "results": [
                        {
                            "file": r.file,
                            "line": r.line,
                            "law": r.law,
                            "case": r.case,
                            "passed": r.passed,
                            "failures": list(r.failures),
                        }
                        for r in results
                    ],
                    "passed": len(results) - len(failed),
                    "failed": len(failed),
                    "coverage": {
                        "percent": round(coverage, 1),
                        "uncovered": uncovered,
                        "laws_without_tests": sorted(set(book.law_ids) - tested_laws),
                    },
                },
                indent=2,
            )
            + "\n"
        )
    else:
        for r in results:
            where = f"{r.file}:{r.line}" if r.line else r.file
            out.write(f"{'PASS' if r.passed else 'FAIL'} {where} {r.case}\n")
            for failure in r.failures:
                out.write(f"    {failure}\n")
        if args.coverage:
            out.write(f"rule coverage: {coverage:.1f}% ({len(all_rules) - len(uncovered)}/{len(all_rules)} rules)\n")
            for rid in uncovered:
                out.write(f"    not exercised: {rid}\n")
            for law_id in sorted(set(book.law_ids) - tested_laws):
                out.write(f"    law without tests: {law_id}\n")
        out.write(f"{len(results) - len(failed)} passed, {len(failed)} failed\n")
    if failed or not results:
        return 1
    if args.coverage and coverage < args.threshold:
        err.write(f"rule coverage {coverage:.1f}% is below the threshold {args.threshold:.1f}%\n")
        return 1
    return 0


def _upcoming(book: RuleBook, args: argparse.Namespace, out: IO[str]) -> int:
    from jurisdiction.law.upcoming import upcoming

    start = args.today or dt.date.today()
    until = start + dt.timedelta(days=args.within)
    rows = upcoming(book, start, until)
    if args.format == "json":
        body = {"from": start.isoformat(), "until": until.isoformat(), "changes": [r.as_dict() for r in rows]}
        out.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return 0
    last = None
    for row in rows:
        if row.date != last:
            days = (row.date - start).days
            when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
            out.write(f"{'' if last is None else chr(10)}{row.date} ({when})\n")
            last = row.date
        unverified = " [unverified]" if not row.verified else ""
        where = ", ".join(row.jurisdictions)
        out.write(f"  {row.rule or row.law} [{row.kind}] in {where}: {row.what}{unverified}\n")
        out.write(f"      {row.citation} <{row.url}>\n")
    n = len(rows)
    out.write(
        f"{'' if last is None else chr(10)}{n} change{'s' if n != 1 else ''} in the rule library "
        f"from {start} to {until}\n"
    )
    return 0


def _lint(book: RuleBook, args: argparse.Namespace, out: IO[str]) -> int:
    from jurisdiction.law.lint import lint

    findings = lint(book, tested={test.law for _, test, _ in book.tests})
    errors = [f for f in findings if f.level == "error"]
    if args.format == "json":
        rows = [
            {"file": f.file, "line": f.line, "code": f.code, "level": f.level, "message": f.message} for f in findings
        ]
        out.write(json.dumps(rows, indent=2) + "\n")
    else:
        for f in findings:
            out.write(f.render() + "\n")
        out.write(f"{len(book.laws)} laws: {len(errors)} problem(s), {len(findings) - len(errors)} note(s)\n")
    return 1 if errors else 0


def _jurisdictions(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from jurisdiction.law.matrix import STATUS_WORDS
    from jurisdiction.vocabulary.regions import search

    rows = search(args.query)
    book = _book(args, args.rules)
    for row in rows:
        if row["kind"] != "group":
            code = str(row["code"])
            laws = [law.id for law, _ in book.laws_for(code)]
            row["laws"] = laws
            row["coverage"] = book.coverage_status(code, laws).as_dict()
    if args.format == "json":
        out.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")  # `[]` when nothing matches
    if not rows:  # as text or JSON: a query that matches nothing is an error
        err.write(f"error: no code or name matches {args.query!r}; try a country name or an ISO 3166 code\n")
        return 2
    if args.format == "json":
        return 0
    for row in rows:
        extra = ""
        if row["kind"] == "group":
            extra = f" — members: {' '.join(row['members'])}"  # type: ignore[arg-type]
        elif row["kind"] == "country":
            bits = []
            if row.get("groups"):
                bits.append("in " + ", ".join(row["groups"]))  # type: ignore[arg-type]
            if row.get("subdivisions"):
                bits.append(f"{row['subdivisions']} subdivisions")
            extra = f" ({'; '.join(bits)})" if bits else ""
        if "coverage" in row:
            coverage = row["coverage"]
            assert isinstance(coverage, dict)
            extra += f" — {STATUS_WORDS[coverage['status']].strip('*')}"
            extra += f": {', '.join(row['laws'])}" if row["laws"] else f": {coverage['why']}"  # type: ignore[arg-type]
        out.write(f"{row['code']}\t{row['name']}{extra}\n")
    return 0


def _taxonomy(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from jurisdiction.vocabulary.taxonomy import KIND_WORDS, list_terms

    words = args.kind or list(TAXONOMY_KINDS)
    rows = list_terms(args.query, [KIND_WORDS[w] for w in words])
    if args.format == "json":
        out.write(json.dumps(rows, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    if not rows:
        which = ", ".join(TAXONOMY_KINDS[w] for w in words)
        err.write(
            f"error: no key, name or description among the {which} matches {args.query!r}; "
            "run `jurisdiction taxonomy` without a query to list every key\n"
        )
        return 2
    if args.format == "json":
        return 0
    for word, label in TAXONOMY_KINDS.items():
        kind = KIND_WORDS[word]
        mine = [r for r in rows if r["kind"] == kind]
        if not mine:
            continue
        out.write(f"{label} ({len(mine)}):\n")
        for row in mine:
            extra = " [project sub-key]" if row["origin"] == "jurisdiction" else ""
            out.write(f"  {row['key']}{extra}\t{row['description'] or row['name']}\n")
    return 0


def _serve(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    try:
        from jurisdiction.service import ServerSettings, run_server
    except ImportError as exc:
        raise UsageError(
            f"`jurisdiction serve` needs the serve extra ({exc.name} is missing): pip install 'jurisdiction[serve]'"
        ) from None
    names = {f.name for f in dataclasses.fields(ServerSettings)}
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    return run_server(ServerSettings.from_environment(os.environ, **given))


def _users(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from jurisdiction.practice.specs import practice_from_document
    from jurisdiction.reading.loading import load_document
    from jurisdiction.users import parse_column_map, plan_users, render_users_json, render_users_text

    columns = parse_column_map(args.columns)
    document = load_document(args.spec)
    practice = practice_from_document(document)
    today = args.today or dt.date.today()
    plan = plan_users(practice, Evaluator(_book(args, args.rules), args.rule_engine), today)
    if args.print_sql:
        from jurisdiction.users import counts_sql, ids_sql

        dialect = args.backend
        columns = columns.unchecked()
        out.write(counts_sql(plan, columns, args.table, dialect))
        if args.out:
            for step in plan.steps:
                out.write(f"\n-- step {step.step} ({step.kind}): user ids\n")
                out.write(ids_sql(plan, columns, step, args.table, dialect))
        return 0
    if not args.table_path:
        raise UsageError("jurisdiction users: give the user table with --users PATH (or --print-sql)")
    from jurisdiction.users.backends import count_users

    progress = _progress_bar(err, "users") if getattr(err, "isatty", lambda: False)() else None
    counts = count_users(
        plan, args.table_path, columns, backend=args.backend, out=args.out, force=args.force, progress=progress
    )
    if progress is not None:
        err.write("\n")
    if args.format == "json":
        out.write(render_users_json(counts))
    elif args.format == "html":
        from jurisdiction.outputs.gate import Checked, Report
        from jurisdiction.outputs.html_report import render_html

        out.write(render_html(Report([Checked(plan.assessment, args.spec, document)]), users={counts.practice: counts}))
    else:
        out.write(render_users_text(counts))
    return 0


def _progress_bar(err: IO[str], label: str) -> Any:
    def show(done: float) -> None:
        filled = int(done * 30)
        err.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done * 100:5.1f}% {label}")
        err.flush()

    return show


def _schema(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from jurisdiction.schemas import schema_text

    out.write(schema_text(args.which))
    return 0
