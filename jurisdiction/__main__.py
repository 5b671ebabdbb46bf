"""`python -m jurisdiction` and the `jurisdiction` command.

Start-up (the imports, then the library's load) allocates many objects that live as long as
the process and frees none, so the cyclic garbage collector has nothing to find in it: it is
off until the command is under way (`cli.main` turns it back on), which took a tenth off a
one-spec check (benchmarks/gate.py).
"""

import gc


def main() -> None:
    gc.disable()
    from jurisdiction.cli import main as command

    command(collector_paused=True)


if __name__ == "__main__":
    main()
