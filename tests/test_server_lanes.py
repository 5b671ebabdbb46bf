"""The service's fast paths, against real `jurisdiction serve` processes on 127.0.0.1 and the
ASGI app called directly (no mocks):

- the fast lane for `POST /v1/assessments` (a plain `today`/`fail_on` query, handled by the
  outermost ASGI layer) answers exactly as the FastAPI route does, for good specs, bad specs and
  bad requests; `_quick_query` takes only the plain forms, and FastAPI still reports bad values;
- assessments take turns first come, first served, one at a time, and hand the turn over through
  the event loop;
- `--workers 2` serves a burst on per-worker SO_REUSEPORT sockets and on one shared socket, and
  exits 0 on SIGTERM;
- the loaded library is frozen out of the garbage collector's sight in a server process, and
  never in an application embedded in someone else's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from jurisdiction.outputs.gate import FAIL_ON  # noqa: E402
from jurisdiction.reading.loading import load_document  # noqa: E402
from jurisdiction.service.server import ServerSettings, _Edge, _quick_query, _Service  # noqa: E402
from tests.helpers import EXAMPLES, ROOT  # noqa: E402
from tests.test_server import SPEC, Server, start  # noqa: E402

TODAY = "2025-06-01"
FAST = f"?today={TODAY}&fail_on=never"
# Queries `_quick_query` refuses but FastAPI reads as FAST: each forces the FastAPI lane for the same answer.
FORCED = {
    "unknown parameter": FAST + "&x=1",
    "repeated fail_on": FAST + "&fail_on=never",
    "repeated today": f"?today={TODAY}&today={TODAY}&fail_on=never",
    "percent-encoded date": "?today=2025%2D06%2D01&fail_on=never",
    "trailing ampersand": FAST + "&",
    "parameter without value": FAST + "&verbose",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start(tmp_path_factory.mktemp("lanes"))
    yield srv
    code, err = _stop(srv)
    assert code == 0
    assert "Traceback" not in err


def _stop(srv: Server) -> tuple[int, str]:
    """SIGTERM, wait; the exit code and what the server wrote to stderr (its pipes closed)."""
    try:
        code = srv.stop()
    finally:
        err = srv.proc.stderr.read().decode() if srv.proc.stderr else ""
        for pipe in (srv.proc.stdout, srv.proc.stderr):
            if pipe:
                pipe.close()
    return code, err


def _post(server: Server, query: str, body: bytes, kind: str | None) -> httpx.Response:
    headers = {"content-type": kind} if kind is not None else {}
    return server.post("/v1/assessments" + query, content=body, headers=headers)


# -- the fast lane and the FastAPI lane give the same answers -----------------------------------
def _bodies() -> list[Any]:
    cases = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        as_json = json.dumps(load_document(path).data, default=str).encode()
        cases.append(pytest.param(path.read_bytes(), "application/yaml", 200, id=f"{path.stem}.yaml"))
        cases.append(pytest.param(as_json, "application/json", 200, id=f"{path.stem}.json"))
    spec = SPEC.read_bytes()
    cases += [
        pytest.param(spec, "application/yaml; charset=utf-8", 200, id="yaml-with-charset"),
        pytest.param(spec, None, 200, id="no-content-type"),
        pytest.param(spec.replace(b"train_ai_system.generative", b"train_ai_sytem"), "application/yaml", 422, id="bad"),
        pytest.param(b"", "application/yaml", 422, id="empty-body"),
        pytest.param(b" \n\t\n", "application/yaml", 422, id="blank-body"),
        pytest.param(spec, "text/plain", 415, id="text-plain"),
        pytest.param(b'{"id": "x",\n  "title": }', "application/json", 422, id="malformed-json"),
        pytest.param(b"[1, 2]", "application/json", 422, id="json-array"),
    ]
    return cases


def test_fast_and_forced_queries_take_their_lanes() -> None:
    # the comparison below is only a comparison of two lanes if these hold
    assert _quick_query(FAST[1:].encode()) == (dt.date(2025, 6, 1), "never")
    for name, query in FORCED.items():
        assert _quick_query(query[1:].encode()) is None, name


def _comparable(r: httpx.Response) -> tuple[int, Any, str | None, set[str]]:
    assert "Traceback" not in r.text and 'File "' not in r.text
    assert r.headers["content-type"] == "application/json"
    assert int(r.headers["content-length"]) == len(r.content)
    body = r.json()
    assert body["rules_revision"] == r.headers["x-rules-revision"]
    decision = body.pop("decision_id", None)
    if r.status_code == 200:
        assert decision and r.headers["x-decision-id"] == decision
    else:
        assert decision is None and "x-decision-id" not in r.headers
        assert body["problems"], body
    return r.status_code, body, r.headers["x-rules-revision"], set(r.headers) - {"date"}


@pytest.mark.parametrize(("body", "kind", "status"), _bodies())
def test_fast_lane_answers_as_the_fastapi_lane(served: Server, body: bytes, kind: str | None, status: int) -> None:
    fast = _post(served, FAST, body, kind)
    got = _comparable(fast)
    assert got[0] == status, fast.text
    decisions = {fast.headers.get("x-decision-id")}
    for name, query in FORCED.items():
        slow = _post(served, query, body, kind)
        assert _comparable(slow) == got, f"{name}: {query}"
        decisions.add(slow.headers.get("x-decision-id"))
    payload = fast.json()
    if status == 200:
        assert payload["gate"] == {"fail_on": "never", "passes": True}
        assert len(decisions) == 1 + len(FORCED)  # a decision id per answer
    elif status == 415:
        assert payload["error"] == "unsupported Content-Type"
    elif kind == "application/json" and body.startswith(b"{"):
        (problem,) = payload["problems"]
        assert problem["message"].startswith("not valid JSON") and problem["line"] == 2
    else:
        assert payload["error"] == "invalid spec"
        assert all(p["file"] == "<request body>" for p in payload["problems"])


def test_the_default_gate_is_the_same_in_both_lanes(served: Server) -> None:
    # without fail_on (the default gate, `blocked`): an example that is blocked fails it in both lanes
    body = SPEC.read_bytes()
    fast = _post(served, f"?today={TODAY}", body, "application/yaml")
    slow = _post(served, f"?x=1&today={TODAY}", body, "application/yaml")
    assert _comparable(fast) == _comparable(slow)
    assert fast.json()["gate"] == {"fail_on": "blocked", "passes": False}


# -- _quick_query ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", (None, "blocked")),
        (b"today=2025-06-01", (dt.date(2025, 6, 1), "blocked")),
        (b"fail_on=never", (None, "never")),
        (b"today=2025-06-01&fail_on=action_required", (dt.date(2025, 6, 1), "action_required")),
        (b"fail_on=blocked&today=2024-02-29", (dt.date(2024, 2, 29), "blocked")),
        *[(f"fail_on={level}".encode(), (None, level)) for level in FAIL_ON],
    ],
)
def test_quick_query_takes_plain_queries(raw: bytes, expected: tuple[dt.date | None, str]) -> None:
    assert _quick_query(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"today=20250601",
        b"today=2025-13-01",
        b"today=2025-02-29",
        b"today=2025-6-1",
        b"today=+025-06-01",
        b"today=2025-06-01T00:00:00",
        b"today=2025%2D06%2D01",
        b"today=",
        b"today",
        b"TODAY=2025-06-01",
        b"fail_on=sometimes",
        b"fail_on=Never",
        b"fail_on=",
        b"fail_on",
        b"foo=1",
        b"today=2025-06-01&x=1",
        b"today=2025-06-01&today=2025-06-01",
        b"fail_on=never&fail_on=never",
        b"today=2025-06-01&",
        b"&today=2025-06-01",
        b"&",
        b"today=2025-06-01;fail_on=never",
        b"today=\xff\xff\xff\xff-06-01",
    ],
)
def test_quick_query_refuses_everything_else(raw: bytes) -> None:
    assert _quick_query(raw) is None


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("?today=20250601", {"today"}),
        ("?today=2025-13-01", {"today"}),
        ("?today=2025-02-29&fail_on=never", {"today"}),
        ("?today=", {"today"}),
        ("?fail_on=sometimes", {"fail_on"}),
        ("?today=2025-06-01&fail_on=", {"fail_on"}),
        ("?today=2025-06-01&fail_on=Never&x=1", {"fail_on"}),
        ("?today=yesterday&fail_on=sometimes", {"today", "fail_on"}),
    ],
)
def test_bad_query_values_get_a_structured_422(served: Server, query: str, fields: set[str]) -> None:
    assert _quick_query(query[1:].encode()) is None  # FastAPI's lane
    r = _post(served, query, SPEC.read_bytes(), "application/yaml")
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/json"
    assert "x-decision-id" not in r.headers
    body = r.json()
    assert body["error"] == "invalid request"
    assert body["rules_revision"] == r.headers["x-rules-revision"]
    assert {p["field"] for p in body["problems"]} == fields
    valid = {"today": "a date, YYYY-MM-DD", "fail_on": ", ".join(FAIL_ON)}
    for problem in body["problems"]:
        assert problem["file"] == "<query>" and problem["message"]
        assert problem["valid"] == valid[problem["field"]]


# -- which lane _Edge takes, seen from the app behind it ---------------------------------------
async def _call(
    app: Any, method: str, query: bytes, chunks: list[bytes], kind: bytes
) -> tuple[int, dict[bytes, bytes]]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/v1/assessments",
        "raw_path": b"/v1/assessments",
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"test"), (b"content-type", kind)],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    incoming = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    head = next(m for m in sent if m["type"] == "http.response.start")
    return head["status"], dict(head["headers"])


def test_edge_answers_plain_queries_itself_and_replays_the_body_for_the_rest() -> None:
    service = _Service(ServerSettings())
    behind: list[tuple[bytes, bytes]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:  # the app behind the edge (FastAPI's place)
        message = await receive()
        behind.append((scope["query_string"], message["body"]))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    edge = _Edge(app, service)
    spec = SPEC.read_bytes()
    chunks = [spec[:100], spec[100:1000], spec[1000:]]
    revision = service.library.revision.encode()

    async def scenario() -> None:
        status, headers = await _call(edge, "POST", b"today=2025-06-01&fail_on=never", chunks, b"application/yaml")
        assert (status, behind) == (200, [])  # the fast lane: answered at the edge
        assert headers[b"x-rules-revision"] == revision and headers[b"x-decision-id"]
        status, headers = await _call(edge, "POST", b"today=2025-06-01&x=1", chunks, b"application/yaml")
        assert status == 299 and headers[b"x-rules-revision"] == revision
        assert behind == [(b"today=2025-06-01&x=1", spec)]  # the body read at the edge, replayed whole
        status, _ = await _call(edge, "POST", b"today=2025-06-01", [b""], b"text/plain")
        assert (status, len(behind)) == (415, 1)
        status, _ = await _call(edge, "PUT", b"today=2025-06-01", chunks, b"application/yaml")
        assert (status, behind[-1]) == (299, (b"today=2025-06-01", spec))  # only POST takes the fast lane

    asyncio.run(scenario())


# -- turns ----------------------------------------------------------------------------------------
def test_turns_are_first_come_first_served_one_at_a_time_through_the_loop() -> None:
    service = _Service(ServerSettings())
    order: list[str] = []
    events: list[str] = []
    holders = 0
    most = 0

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        a_may_finish = asyncio.Event()

        async def assess(name: str) -> None:
            nonlocal holders, most
            async with service.turn():
                holders += 1
                most = max(most, holders)
                order.append(name)
                events.append(f"{name} in")
                if name == "A":
                    await a_may_finish.wait()
                for _ in range(3):
                    await asyncio.sleep(0)  # room for anyone to barge in
                holders -= 1
                events.append(f"{name} out")
                if name == "A":
                    # the last thing A does in its turn: a callback for the loop's next pass runs before
                    # B in any case; one that the next pass schedules, only if the turn is handed over
                    # through the loop (the holder yields once before it lets go)
                    loop.call_soon(events.append, "marker")
                    loop.call_soon(loop.call_soon, events.append, "marker after a loop pass")

        async def late(name: str) -> None:
            # asks for the turn in the loop pass after A lets go, before B (woken by A's release) runs
            while "A out" not in events:
                await asyncio.sleep(0)
            await asyncio.sleep(0)
            await assess(name)

        tasks = [asyncio.create_task(assess(name)) for name in "ABC"]
        for _ in range(5):
            await asyncio.sleep(0)
        assert order == ["A"]  # A holds the turn; B and C wait
        tasks += [asyncio.create_task(assess(name)) for name in "DE"]  # arrive while B and C wait
        tasks.append(asyncio.create_task(late("F")))  # a newcomer just as the turn is free
        for _ in range(5):
            await asyncio.sleep(0)
        assert order == ["A"]
        a_may_finish.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)

    asyncio.run(scenario())
    assert order == ["A", "B", "C", "D", "E", "F"]
    assert most == 1
    assert events.index("A out") < events.index("B in")
    assert events.index("marker") < events.index("B in")
    assert events.index("marker after a loop pass") < events.index("B in")


def test_a_failing_holder_gives_up_the_turn() -> None:
    service = _Service(ServerSettings())
    order: list[str] = []

    async def scenario() -> None:
        async def assess(name: str) -> None:
            async with service.turn():
                order.append(name)
                await asyncio.sleep(0)
                if name == "A":
                    raise ValueError("broken")

        results = await asyncio.wait_for(
            asyncio.gather(*(assess(name) for name in "ABC"), return_exceptions=True), timeout=10
        )
        assert [type(r).__name__ for r in results] == ["ValueError", "NoneType", "NoneType"]

    asyncio.run(scenario())
    assert order == ["A", "B", "C"]


# -- workers ------------------------------------------------------------------------------------
def _holders(port: int, state: str) -> dict[int, int]:
    """pid → how many sockets on 127.0.0.1:port in `state` (0A listening, 01 established) it
    holds, from /proc/net/tcp and the processes' descriptor tables."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == state and fields[1] == f"0100007F:{port:04X}":
            inodes.add(f"socket:[{fields[9]}]")
    found: dict[int, int] = {}
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            links = [os.readlink(fd) for fd in fd_dir.iterdir()]
        except OSError:
            continue
        held = sum(1 for link in links if link in inodes)
        if held:
            found[int(fd_dir.parent.name)] = held
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="/proc/net/tcp and /proc/*/fd are Linux's")
@pytest.mark.parametrize("shared", [False, True], ids=["handoff", "shared-socket"])
def test_two_workers_serve_a_burst_and_stop_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: bool
) -> None:
    if shared:
        monkeypatch.setenv("JURISDICTION_SHARED_SOCKET", "1")
    else:
        monkeypatch.delenv("JURISDICTION_SHARED_SOCKET", raising=False)
    srv = start(tmp_path, "--workers", "2")
    try:
        # hand-off: only the supervisor listens; shared: the supervisor and both workers hold it
        want = 1 if not shared else 3
        deadline = time.monotonic() + 20
        while len(_holders(srv.port, "0A")) != want and time.monotonic() < deadline:
            time.sleep(0.05)
        listeners = _holders(srv.port, "0A")
        assert len(listeners) == want, listeners
        if not shared:
            assert set(listeners) == {srv.proc.pid}
            # eight idle connections: the supervisor hands them out in turn, four each
            idle = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(8)]
            try:
                deadline = time.monotonic() + 20
                while sum(_holders(srv.port, "01").values()) < 8 and time.monotonic() < deadline:
                    time.sleep(0.05)
                held = _holders(srv.port, "01")
                assert sorted(held.values()) == [4, 4], held
                assert srv.proc.pid not in held
            finally:
                for conn in idle:
                    conn.close()

        body = SPEC.read_bytes()
        gate = threading.Barrier(40)

        def one(_: int) -> tuple[int, str, str, str]:
            gate.wait(timeout=20)
            r = _post(srv, FAST, body, "application/yaml")
            return r.status_code, r.headers.get("x-decision-id", ""), r.json().get("decision_id", ""), r.text

        with ThreadPoolExecutor(40) as pool:
            answers = list(pool.map(one, range(40)))
        assert [a[0] for a in answers] == [200] * 40, {a[3][:200] for a in answers if a[0] != 200}
        assert all(header == field for _, header, field, _ in answers)
        assert len({a[1] for a in answers}) == 40
    finally:
        code, err = _stop(srv)
    assert code == 0
    assert "Traceback" not in err
    logged = {json.loads(line)["decision_id"] for line in srv.log.read_text().splitlines()}
    assert {a[1] for a in answers} <= logged


# -- the garbage collector -----------------------------------------------------------------------
def _freeze_counts(code: str) -> dict[str, int]:
    prelude = "import gc, json\nfrom jurisdiction.service import server\nseen = {'start': gc.get_freeze_count()}\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + code + "\nprint(json.dumps(seen))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    counts: dict[str, int] = json.loads(done.stdout.splitlines()[-1])
    return counts


def test_a_server_process_freezes_what_it_loaded() -> None:
    seen = _freeze_counts(
        "app = server.create_app()\n"
        "server._settle()\n"
        "seen['settled'] = gc.get_freeze_count()\n"
        "app.state.service.reload()\n"  # a reload settles again in a process that settled at start
        "seen['reloaded'] = gc.get_freeze_count()\n"
    )
    assert seen["start"] == 0
    assert seen["settled"] > 0
    assert seen["reloaded"] > 0


def test_an_embedded_app_is_never_frozen() -> None:
    seen = _freeze_counts(
        "server._settle(again=True)\n"
        "seen['again'] = gc.get_freeze_count()\n"
        "app = server.create_app()\n"
        "app.state.service.reload()\n"  # the owner's process never settled: a reload leaves it so
        "seen['reloaded'] = gc.get_freeze_count()\n"
    )
    assert seen == {"start": 0, "again": 0, "reloaded": 0}


@pytest.mark.skipif(sys.platform != "linux", reason="/proc/net/tcp and /proc/*/fd are Linux's")
def test_a_killed_worker_is_replaced_and_the_handoff_skips_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed outright: the supervisor hands new connections to the live one, starts
    a replacement, and hands connections to it too. No client of a new connection is left
    without an answer."""
    monkeypatch.delenv("JURISDICTION_SHARED_SOCKET", raising=False)
    srv = start(tmp_path, "--workers", "2")
    body = SPEC.read_bytes()
    try:
        idle = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(2)]
        deadline = time.monotonic() + 20
        while len(_holders(srv.port, "01")) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = sorted(_holders(srv.port, "01"))
        assert len(workers) == 2
        for conn in idle:
            conn.close()
        os.kill(workers[0], 9)
        # new connections meanwhile: each one answered (by the survivor, or the replacement)
        answers = [_post(srv, FAST, body, "application/yaml").status_code for _ in range(20)]
        assert answers == [200] * 20
        # the replacement comes up and gets its share of new connections
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            probe = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(4)]
            time.sleep(0.3)
            held = _holders(srv.port, "01")
            for conn in probe:
                conn.close()
            if len(held) == 2 and workers[0] not in held:
                break
            time.sleep(0.5)
        assert len(held) == 2 and workers[0] not in held, held
        assert _post(srv, FAST, body, "application/yaml").status_code == 200
    finally:
        code, err = _stop(srv)
    assert code == 0
    assert "Traceback" not in err
