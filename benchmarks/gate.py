"""The CI gate as a platform team runs it: `jurisdiction check DIR` over a folder of specs, and
a one-spec check from a cold process (what every pre-commit run pays).

    python benchmarks/gate.py              # full run: 3,000 specs (figures for docs/performance.md)
    python benchmarks/gate.py --smoke      # CI: 60 specs, just proves it runs
    python benchmarks/gate.py --specs 10000 --broad

The folder holds copies of the examples under distinct ids, their users spread over the US, the
EU, Europe and the Americas (`--broad`: every country of the world in every spec). Each run is a
child process; its peak RSS is the kernel's (`wait4`), its output goes to a file whose size is
printed. The compiled-library cache lives in a temporary folder: the cold check is timed with it
warm (the usual case) and with the cache off.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCOPES = (
    "[US]",
    "[EU]",
    "[US, EU, GB, CH, CA]",
    "[BR, AR, CL, CO, MX, PE, US-CA, US-TX]",
)


def write_specs(folder: Path, n: int, broad: bool) -> None:
    """`n` specs in `folder`, copies of the examples with distinct ids and varied users."""
    examples = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.yaml"))]
    world = None
    if broad:
        import pycountry

        world = "[" + ", ".join(sorted(c.alpha_2 for c in pycountry.countries)) + "]"
    for i in range(n):
        text = examples[i % len(examples)]
        text = re.sub(r"(?m)^id: .*$", f"id: practice-{i:05d}", text)
        scope = world or SCOPES[i % len(SCOPES)]
        text = re.sub(r"(?m)^  regions: .*$", f"  regions: {scope}", text)
        text = re.sub(r"(?m)^  counts: .*$", "", text)
        text = re.sub(r"(?m)^users: \{.*\}$", f"users: {{regions: {scope}, min_age: 18}}", text)
        (folder / f"practice-{i:05d}.yaml").write_text(text, encoding="utf-8")


def run(args: list[str], env: dict[str, str], out: Path) -> tuple[float, float, int]:
    """(seconds, peak RSS in MiB, exit code) of one CLI run, its output to `out`."""
    with out.open("wb") as sink:
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "jurisdiction", *args], stdout=sink, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--specs", type=int, default=3000)
    ap.add_argument("--broad", action="store_true", help="every country in every spec")
    ap.add_argument("--formats", default="text,json,sarif,github")
    args = ap.parse_args()
    n = 60 if args.smoke else args.specs
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        env = dict(os.environ, JURISDICTION_CACHE_DIR=str(base / "cache"), PYTHONPATH=str(ROOT))
        one = ROOT / "examples" / "sensitive-health-insights.yaml"
        run(["check", str(one)], env, base / "warm.out")  # fills the cache
        for label, cache in (("cache warm", env), ("cache off", dict(env, JURISDICTION_CACHE_DIR="off"))):
            times = [
                run(["check", str(one), "--today", "2026-12-01"], cache, base / "one.out")
                for _ in range(3 if args.smoke else 9)
            ]
            print(
                f"one-spec cold check ({label}): median {statistics.median(t for t, _, _ in times):.3f} s, "
                f"peak RSS {max(r for _, r, _ in times):.0f} MiB"
            )
        folder = base / "specs"
        folder.mkdir()
        write_specs(folder, n, args.broad)
        for fmt in args.formats.split(","):
            out = base / f"gate.{fmt}"
            seconds, rss, code = run(["check", str(folder), "--format", fmt, "--today", "2026-12-01"], env, out)
            failed |= code not in (0, 1)
            print(
                f"folder gate, {n} {'broad ' if args.broad else ''}specs, --format {fmt}: {seconds:.2f} s "
                f"({n / seconds:.0f} specs/s), peak RSS {rss:.0f} MiB, output {out.stat().st_size / 2**20:.1f} MiB, "
                f"exit {code}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
