"""A long fuzzing run of the spec and rule readers, in a process with a memory limit.

    python benchmarks/fuzz.py                   # 20,000 specs and 2,000 rule files, 2 GiB, 10 min at most
    python benchmarks/fuzz.py --smoke           # CI: 300 and 30

Inputs are the examples and a law file, mutated deterministically from a seed (insertions,
deletions, YAML punctuation repeated hundreds of times, NUL bytes, tabs). Every input must be
read into a model or refused with an `InputError`; anything else (another exception, a crash,
the memory limit, the time limit) is reported and the run exits 1. Prints inputs per second and
the peak memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jurisdiction import RuleBook, parse_practice  # noqa: E402
from jurisdiction.errors import InputError  # noqa: E402

BITS = [b"[", b"]", b"{", b"}", b": ", b"- ", b"&a ", b"*a", b"\n", b"  ", b"'", b'"', b"#", b"!!", b"\t", b"\x00"]


def mutate(rng: random.Random, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(rng.randint(1, 8)):
        at = rng.randint(0, max(0, len(data) - 1))
        action = rng.choice(["insert", "delete", "replace", "bits"])
        if action == "delete":
            del data[at : at + rng.randint(1, 40)]
        elif action == "bits":
            data[at:at] = rng.choice(BITS) * rng.randint(1, 5000)
        else:
            chunk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 12)))
            data[at : at + (len(chunk) if action == "replace" else 0)] = chunk
    return bytes(data)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--specs", type=int, default=20_000)
    ap.add_argument("--rules", type=int, default=2_000)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--memory-mib", type=int, default=2048)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    if args.smoke:
        args.specs, args.rules = 300, 30
    limit = args.memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    rng = random.Random(args.seed)
    seeds = [p.read_bytes() for p in sorted((ROOT / "examples").glob("*.yaml"))]
    law = (ROOT / "rules" / "us-va-vcdpa" / "law.yaml").read_bytes()
    failures: list[str] = []
    began = time.monotonic()
    read = refused = 0
    for n in range(args.specs):
        blob = mutate(rng, rng.choice(seeds))
        try:
            parse_practice(blob, "fuzz.yaml")
            read += 1
        except InputError:
            refused += 1
        except Exception as exc:  # the finding this tool looks for
            failures.append(f"spec #{n}: {type(exc).__name__}: {exc}"[:300])
        if time.monotonic() - began > args.seconds:
            failures.append(f"time limit after {n + 1} specs")
            break
    spec_seconds = time.monotonic() - began
    library = Path(tempfile.mkdtemp())
    try:
        (library / "law").mkdir()
        for n in range(args.rules):
            (library / "law" / "law.yaml").write_bytes(mutate(rng, law))
            try:
                RuleBook.load(library)
            except InputError:
                pass
            except Exception as exc:
                failures.append(f"rule file #{n}: {type(exc).__name__}: {exc}"[:300])
    finally:
        shutil.rmtree(library, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = args.specs / spec_seconds
    print(f"specs: {args.specs} in {spec_seconds:.1f} s ({rate:,.0f}/s): {read} read, {refused} refused")
    print(f"rule files: {args.rules}; peak RSS {peak:.0f} MiB (limit {args.memory_mib} MiB)")
    for failure in failures[:20]:
        print("FAIL", failure)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
