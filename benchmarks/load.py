"""A bounded load test of `jurisdiction serve`, on loopback only (127.0.0.1).

    python benchmarks/load.py                      # 64 clients for 30 s (figures for docs/performance.md)
    python benchmarks/load.py --clients 16 --duration 10 --workers 1
    python benchmarks/load.py --smoke              # CI: 4 clients for 3 s; exit 1 on any error

It starts a real `jurisdiction serve` subprocess on a free port, warms it up, then runs
closed-loop clients (each sends the next request when its answer arrives, over a kept-alive
connection) posting specs in turn to POST /v1/assessments: the five examples, then 1,000
generated specs that vary everything the rules read (`tools/varied_specs.py`), so that the
figures are not those of five answers learnt by heart; JSON bodies by default, as services
send them (`--yaml` for YAML). It prints requests/s,
p50/p99 latency, errors (anything but a complete 200 answer), and the server's memory (RSS of
the whole process tree) after start, after the warm-up and at the end.

Targets (issue 5): zero errors, p99 < 50 ms at the default load, RSS growth < 10% after warm-up.
Exit code: 1 when there was any error; the other targets are reported, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # loopback only, by design: this is not a tool to load anyone else's server
TODAY = "2025-06-01"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def tree_rss_kib(pid: int) -> int:
    """RSS of a process and all its descendants (Linux /proc), in KiB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with code {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not become ready in time")


def bodies(specs: list[Path], varied: int, as_yaml: bool) -> list[tuple[bytes, str]]:
    """(body, content type) per request in the rotation: the spec files, then `varied`
    generated specs (tools/varied_specs.py), as JSON (what services send) or as YAML."""
    sys.path[:0] = [str(ROOT)]
    from jurisdiction import load_practice
    from tools.varied_specs import varied_specs

    data = [load_practice(p).model_dump(mode="json", exclude_none=True) for p in specs]
    data += varied_specs(varied)
    if as_yaml:
        from ruamel.yaml import YAML

        yaml = YAML(typ="safe", pure=True)
        out = []
        for item in data:
            stream = io.StringIO()
            yaml.dump(item, stream)
            out.append((stream.getvalue().encode(), "application/yaml"))
        return out
    return [(json.dumps(item).encode(), "application/json") for item in data]


def requests_for(port: int, payloads: list[tuple[bytes, str]]) -> list[bytes]:
    out = []
    for body, kind in payloads:
        head = (
            f"POST /v1/assessments?today={TODAY}&fail_on=never HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
            f"Content-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


class _Exchange(asyncio.Protocol):
    """One kept-alive HTTP/1.1 connection, read with as little work as the job needs (the load
    generator shares the machine with the server): find the head, read Content-Length, count
    the body's bytes without keeping them."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiting: asyncio.Future[tuple[int, bool]] | None = None
        self.head = bytearray()
        self.left = -1  # body bytes still to come; -1: reading the head
        self.status = 0
        self.close = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def ask(self, payload: bytes) -> asyncio.Future[tuple[int, bool]]:
        assert self.transport is not None
        self.waiting = asyncio.get_running_loop().create_future()
        self.head.clear()
        self.left = -1
        self.transport.write(payload)
        return self.waiting

    def data_received(self, data: bytes) -> None:
        if self.left < 0:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self.head[:end]).split(b"\r\n")
            self.status = int(lines[0].split(b" ", 2)[1])
            self.left, self.close = 0, False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    self.left = int(value)
                elif name.lower() == b"connection" and value.strip().lower() == b"close":
                    self.close = True
            self.left -= len(self.head) - end - 4
        else:
            self.left -= len(data)
        if self.left <= 0 and self.waiting is not None and not self.waiting.done():
            self.waiting.set_result((self.status, self.close))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_exception(ConnectionError(f"the server closed the connection ({exc or 'EOF'})"))


async def client(k: int, port: int, payloads: list[bytes], until: float, lat: list[float], errors: list[str]) -> None:
    loop = asyncio.get_running_loop()
    conn: _Exchange | None = None
    # each client its own order (seeded): in lockstep, 64 clients would all post the same
    # stretch of the list at once, and a run of heavy specs would hit every client together
    order = random.Random(k).sample(range(len(payloads)), len(payloads))
    i = 0
    while time.monotonic() < until:
        payload = payloads[order[i % len(order)]]
        i += 1
        started = time.perf_counter()
        try:
            if conn is None:
                _, conn = await loop.create_connection(_Exchange, HOST, port)
            status, close = await asyncio.wait_for(conn.ask(payload), 30)
            lat.append(time.perf_counter() - started)
            if status != 200:
                errors.append(f"HTTP {status}")
            if close:
                assert conn.transport is not None
                conn.transport.close()
                conn = None
        except (OSError, TimeoutError, ValueError, IndexError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            if conn is not None and conn.transport is not None:
                conn.transport.close()
            conn = None
    if conn is not None and conn.transport is not None:
        conn.transport.close()


async def run_load(
    port: int, clients: int, seconds: float, payloads: list[bytes]
) -> tuple[list[float], list[str], float]:
    lat: list[float] = []
    errors: list[str] = []
    began = time.monotonic()
    until = began + seconds
    await asyncio.gather(*(client(k, port, payloads, until, lat, errors) for k in range(clients)))
    return lat, errors, time.monotonic() - began


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=64, help="concurrent closed-loop clients (default 64)")
    ap.add_argument("--duration", type=float, default=30, help="seconds of measured load (default 30)")
    ap.add_argument("--warmup", type=float, default=5, help="seconds of unmeasured load first (default 5)")
    ap.add_argument("--workers", type=int, default=2, help="server worker processes (default 2: both cores)")
    ap.add_argument("--engine", default="auto", choices=["auto", "native", "rete"])
    ap.add_argument("--smoke", action="store_true", help="CI: 4 clients, 3 s, 1 s warm-up")
    ap.add_argument("--spec", action="append", type=Path, help="spec file(s) to post (default: examples/*.yaml)")
    ap.add_argument(
        "--varied",
        type=int,
        default=1000,
        help="generated specs posted after the spec files, each different (default 1000; 0: the spec files only)",
    )
    ap.add_argument("--yaml", action="store_true", help="post the specs as YAML (default: JSON, as services do)")
    args = ap.parse_args()
    specs: list[Path] = args.spec or sorted((ROOT / "examples").glob("*.yaml"))
    if args.smoke:
        args.clients, args.duration, args.warmup = 4, 3.0, 1.0
    if args.clients < 1 or args.clients > 1024 or args.duration <= 0 or args.duration > 600:
        ap.error("bounded by design: 1..1024 clients, at most 600 s")

    payloads = bodies(specs, args.varied, args.yaml)
    port = free_port()
    cmd = [sys.executable, "-m", "jurisdiction", "serve", "--host", HOST, "--port", str(port), "--no-access-log"]
    cmd += ["--workers", str(args.workers), "--engine", args.engine]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(port, proc)
        rss_start = tree_rss_kib(proc.pid)
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        wire = requests_for(port, payloads)
        asyncio.run(run_load(port, args.clients, args.warmup, wire))
        rss_warm = tree_rss_kib(proc.pid)
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        lat, errors, elapsed = asyncio.run(run_load(port, args.clients, args.duration, wire))
        used = resource.getrusage(resource.RUSAGE_SELF)
        rss_end = tree_rss_kib(proc.pid)
    finally:
        proc.terminate()
        try:
            _, stderr = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
    growth = (rss_end - rss_warm) / rss_warm * 100 if rss_warm else float("nan")
    shown = ", ".join(p.name for p in specs) + (f" and {args.varied} generated specs" if args.varied else "")
    print(
        f"load: {args.clients} clients, {args.duration:g} s, server --workers {args.workers} --engine {args.engine} "
        f"(127.0.0.1; {'YAML' if args.yaml else 'JSON'} bodies, in turn: {shown})"
    )
    print(f"requests: {len(lat)} in {elapsed:.1f} s = {len(lat) / elapsed:.0f} req/s")
    print(f"latency: p50 {pct(lat, 50) * 1e3:.1f} ms, p99 {pct(lat, 99) * 1e3:.1f} ms, max {max(lat) * 1e3:.1f} ms")
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    spent = used.ru_utime - cpu.ru_utime + used.ru_stime - cpu.ru_stime
    print(f"load generator CPU: {spent:.1f} s of {elapsed:.1f} s (it shares the machine with the server)")
    print(
        f"server RSS: {rss_start / 1024:.1f} MiB at start, {rss_warm / 1024:.1f} MiB after warm-up, "
        f"{rss_end / 1024:.1f} MiB at the end ({growth:+.1f}% after warm-up)"
    )
    print(f"server exit code after SIGTERM: {proc.returncode}")
    text = stderr.decode(errors="replace")
    if proc.returncode != 0 or "Traceback" in text or " ERROR " in text:  # else only uvicorn's INFO lines
        print("server stderr:\n" + text[-2000:])
    return 1 if errors or proc.returncode != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
