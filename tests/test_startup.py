"""What a command pays for at start-up: `import jurisdiction` imports nothing heavy, and a
one-spec `check` imports neither the timeline, the service, the users' planner, pycountry
(whose data files are read directly) nor what only other formats or options use, with the
garbage collector back on once the library is loaded. docs/performance.md has the figures
(benchmarks/gate.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import jurisdiction
from jurisdiction.cli import TIMELINE_FORMAT_NAMES
from jurisdiction.outputs.timeline import TIMELINE_FORMATS
from tests.helpers import EXAMPLES, ROOT

REPORT = """
import atexit, gc, json, sys
def report():
    sys.stderr.write(json.dumps({"modules": sorted(sys.modules), "gc": gc.isenabled(),
                                 "frozen": gc.get_freeze_count()}))
atexit.register(report)
"""


def _run(code: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", REPORT + code], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )
    report: dict[str, object] = json.loads(done.stderr[done.stderr.index('{"modules"') :])
    report["stdout"], report["returncode"] = done.stdout, done.returncode
    return report


def test_importing_the_package_imports_nothing_heavy() -> None:
    got = _run("import jurisdiction")
    assert not {"pydantic", "ruamel.yaml", "pycountry", "jurisdiction.evaluation.evaluator"} & set(got["modules"])


def test_the_public_names_import_when_first_used() -> None:
    got = _run("from jurisdiction import *; print(Evaluator.__module__, Timeline.__module__)")
    assert got["stdout"].split() == ["jurisdiction.evaluation.evaluator", "jurisdiction.evaluation.timeline"]
    assert set(jurisdiction.__all__) <= set(dir(jurisdiction))
    assert all(getattr(jurisdiction, name) is not None for name in jurisdiction.__all__)
    try:
        jurisdiction.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown name was found")


def test_a_one_spec_check_imports_only_what_it_uses() -> None:
    spec = EXAMPLES / "sensitive-health-insights.yaml"
    got = _run(
        f"sys.argv = ['jurisdiction', 'check', {str(spec)!r}, '--today', '2026-12-01']\n"
        "from jurisdiction.__main__ import main\nmain()"
    )
    assert got["returncode"] == 0 and "1 action required" in str(got["stdout"])
    unneeded = {
        "pycountry",
        "jurisdiction.evaluation.timeline",
        "jurisdiction.outputs.timeline",
        "jurisdiction.service",
        "jurisdiction.users",
        "jurisdiction.engines.rete",
        "subprocess",  # git, for --base
        "html",  # markdown
        "xml.etree.ElementTree",  # JUnit
    }
    assert not unneeded & set(got["modules"])
    assert got["gc"] is True and got["frozen"] > 0  # the collector is back on; start-up's objects frozen


def test_the_timeline_formats_named_by_the_parser_are_the_ones_rendered() -> None:
    assert set(TIMELINE_FORMAT_NAMES) == {*TIMELINE_FORMATS, "html"}
