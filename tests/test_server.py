"""The HTTP service, against real `jurisdiction serve` processes on 127.0.0.1 (no mocks):
answers, structured errors, size and time limits, reloads (good and broken, by SIGHUP and by
the admin endpoint), and SIGTERM under load. Every test is bounded by timeouts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from tests.helpers import EXAMPLES, RULES, WARN_ONLY, cli, with_uncovered  # noqa: E402

HOST = "127.0.0.1"
TOKEN = "test-token-4f1c"
SPEC = EXAMPLES / "linkedin-2024-as-happened.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    port: int
    rules: Path
    log: Path
    stderr: Path

    def get(self, path: str, **kw: object) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10, **kw)  # type: ignore[arg-type]

    def post(self, path: str, **kw: object) -> httpx.Response:
        return httpx.post(self.url + path, timeout=10, **kw)  # type: ignore[arg-type]

    def assess(self, body: bytes, kind: str = "application/yaml", query: str = "?today=2024-09-20") -> httpx.Response:
        return self.post("/v1/assessments" + query, content=body, headers={"content-type": kind})

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise


def start(tmp: Path, *extra: str) -> Server:
    rules = tmp / "rules"
    if not rules.exists():
        shutil.copytree(RULES, rules, ignore=shutil.ignore_patterns("tests.yaml", "__pycache__"))
    port = free_port()
    log = tmp / "decisions.jsonl"
    cmd = [sys.executable, "-m", "jurisdiction", "serve", "--host", HOST, "--port", str(port)]
    cmd += ["--rules", str(rules), "--admin-token", TOKEN, "--decision-log", str(log), *extra]
    env = {**os.environ, "JURISDICTION_BODY_SECONDS": "1"}
    stderr = tmp / f"stderr-{port}.log"  # a file, not a pipe: the access log must never block the server
    with stderr.open("wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
    server = Server(proc, f"http://{HOST}:{port}", port, rules, log, stderr)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {stderr.read_text()}")
        try:
            if server.get("/readyz").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("server did not become ready")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start(tmp_path_factory.mktemp("serve"))
    yield srv
    assert srv.stop() == 0
    assert "Traceback" not in srv.stderr.read_text()


def no_trace(r: httpx.Response) -> None:
    assert "Traceback" not in r.text and 'File "' not in r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["x-rules-revision"]


# -- answers ---------------------------------------------------------------------------------
def test_assessment_is_the_cli_json_with_gate_and_revision(server: Server) -> None:
    r = server.assess(SPEC.read_bytes())
    assert r.status_code == 200
    body = r.json()
    expected = json.loads(cli("check", SPEC, "--today", "2024-09-20", "--format", "json", "--rules", server.rules).out)
    assert body["gate"] == {"fail_on": "blocked", "accept_uncovered": False, "passes": False}
    assert body.pop("decision_id") == r.headers["x-decision-id"]
    del body["gate"]
    assert body == expected
    assert r.headers["x-rules-revision"] == body["rules_revision"]


def test_json_body_and_fail_on(server: Server) -> None:
    spec = json.dumps(_spec_data(), default=str)
    r = server.assess(spec.encode(), "application/json", "?today=2024-09-20&fail_on=never")
    assert r.status_code == 200
    assert r.json()["gate"] == {"fail_on": "never", "accept_uncovered": False, "passes": True}
    assert r.json()["verdict"] == "blocked"


def _spec_data() -> dict[str, object]:
    from jurisdiction.reading.loading import load_document

    return load_document(SPEC).data  # type: ignore[no-any-return]


def test_catalogue_routes(server: Server) -> None:
    for path in ("/v1/jurisdictions?query=EU", "/v1/rules", "/v1/rules/eu-gdpr", "/healthz", "/readyz"):
        r = server.get(path)
        assert r.status_code == 200, path
        no_trace(r)
        assert r.json()["rules_revision"] == r.headers["x-rules-revision"]
    rules = server.get("/v1/rules").json()["laws"]
    rid = rules[0]["rules"][0]
    assert server.get(f"/v1/rules/{rid}").json()["rule"]["id"] == rid
    missing = server.get(f"/v1/rules/{rid}x")
    assert missing.status_code == 404 and missing.json()["suggestion"] == rid
    spec = server.get("/openapi.json").json()
    assert {"/v1/assessments", "/v1/rules", "/v1/rules/{rule_id}", "/healthz", "/readyz"} <= set(spec["paths"])


# -- errors ----------------------------------------------------------------------------------
def test_malformed_and_invalid_specs_get_structured_422(server: Server) -> None:
    r = server.assess(b'{"id": "x",\n  "title": }', "application/json")
    assert r.status_code == 422
    no_trace(r)
    (problem,) = r.json()["problems"]
    assert problem["line"] == 2 and problem["message"].startswith("not valid JSON")
    # a trailing comma is valid YAML, but a body sent as JSON is read as JSON, as a .json file is
    r = server.assess(b'{"id": "x",\n  "title": "y",\n}', "application/json")
    assert r.status_code == 422
    (problem,) = r.json()["problems"]
    assert problem["code"] == "json_syntax" and "Content-Type" in problem["valid"]

    r = server.assess(SPEC.read_bytes().replace(b"train_ai_system.generative", b"train_ai_sytem"))
    assert r.status_code == 422
    bad = next(p for p in r.json()["problems"] if p.get("field", "").startswith("data_uses"))
    assert bad["line"] > 1 and bad["suggestion"] and bad["file"] == "<request body>"

    for body, kind in ((b"", "application/yaml"), (b"\xff\xfe", "application/yaml"), (b"[1, 2]", "application/json")):
        r = server.assess(body, kind)
        assert r.status_code == 422, body
        no_trace(r)
    r = server.assess(SPEC.read_bytes(), "text/plain")
    assert r.status_code == 415
    r = server.assess(SPEC.read_bytes(), query="?today=yesterday&fail_on=sometimes")
    assert r.status_code == 422
    assert {p["field"] for p in r.json()["problems"]} == {"today", "fail_on"}


def test_unknown_routes_and_methods(server: Server) -> None:
    for r in (server.get("/nope"), server.get("/v1/assessments"), server.post("/healthz")):
        assert r.status_code in (404, 405)
        no_trace(r)


def test_oversize_bodies_get_413(server: Server) -> None:
    big = b"# padding\n" * 120_000  # 1.2 MB > the 1 MiB default
    r = server.assess(big + SPEC.read_bytes())
    assert r.status_code == 413
    no_trace(r)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(130):
            yield b"#" * 9_999 + b"\n"

    r = server.post("/v1/assessments", content=chunks(), headers={"content-type": "application/yaml"})
    assert r.status_code == 413
    assert server.get("/healthz").status_code == 200


def test_slow_body_gets_408_and_does_not_block_others(server: Server) -> None:
    body = SPEC.read_bytes()
    with socket.create_connection((HOST, server.port), timeout=10) as s:
        s.sendall(
            b"POST /v1/assessments HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:20]
        )
        began = time.monotonic()
        assert server.assess(body).status_code == 200  # served while the slow one dribbles
        reply = s.recv(65536)
        assert reply.startswith(b"HTTP/1.1 408"), reply[:100]
        assert time.monotonic() - began < 5


# -- reloads ---------------------------------------------------------------------------------
def _law_file(rules: Path) -> Path:
    return sorted(rules.glob("*/law.yaml"))[0]


def test_admin_reload_rejects_a_broken_library_and_keeps_serving(server: Server) -> None:
    assert server.post("/v1/admin/reload").status_code == 401
    assert server.post("/v1/admin/reload", headers={"authorization": "Bearer nope"}).status_code == 401
    auth = {"authorization": f"Bearer {TOKEN}"}
    before = server.get("/readyz").json()["rules_revision"]
    law = _law_file(server.rules)
    good = law.read_text()
    try:
        law.write_text(good + "\nnot_a_field: 1\n")
        r = server.post("/v1/admin/reload", headers=auth)
        assert r.status_code == 422
        no_trace(r)
        assert r.json()["problems"][0]["field"] == "not_a_field"
        assert r.json()["rules_revision"] == before
        ok = server.assess(SPEC.read_bytes())
        assert ok.status_code == 200 and ok.headers["x-rules-revision"] == before
    finally:
        law.write_text(good + "\n# reloaded\n")
    r = server.post("/v1/admin/reload", headers=auth)
    assert r.status_code == 200 and r.json()["previous"] == before and r.json()["changed"]
    assert server.assess(SPEC.read_bytes()).headers["x-rules-revision"] == r.json()["rules_revision"]


def _wait_for_revision(server: Server, want: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        seen = server.get("/healthz").headers["x-rules-revision"]
        if seen == want or (want == "changed" and seen):
            return seen
        time.sleep(0.05)
    return seen


def test_sighup_reload_broken_then_good(server: Server) -> None:
    before = server.get("/healthz").headers["x-rules-revision"]
    law = _law_file(server.rules)
    good = law.read_text()
    try:
        law.write_text("law: [unclosed\n")
        server.proc.send_signal(signal.SIGHUP)
        time.sleep(1.0)  # a reload takes well under a second; it must not have swapped
        r = server.assess(SPEC.read_bytes())
        assert r.status_code == 200 and r.headers["x-rules-revision"] == before
    finally:
        law.write_text(good + "\n# sighup\n")
    server.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while server.get("/healthz").headers["x-rules-revision"] == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.get("/healthz").headers["x-rules-revision"] != before
    assert server.proc.poll() is None


# -- SIGTERM under load, several workers -------------------------------------------------------
def test_sigterm_during_load_loses_nothing(tmp_path: Path) -> None:
    srv = start(tmp_path, "--workers", "2")
    body = SPEC.read_bytes()
    outcomes: list[str] = []
    decisions: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(timeout=15) as c:
            while not stop.is_set():
                try:
                    r = c.post(
                        srv.url + "/v1/assessments?today=2024-09-20",
                        content=body,
                        headers={"content-type": "application/yaml"},
                    )
                except httpx.TransportError as exc:  # refused or closed before an answer: clean
                    with lock:
                        outcomes.append(f"closed:{type(exc).__name__}")
                    time.sleep(0.02)
                    continue
                with lock:
                    outcomes.append(str(r.status_code))
                    if r.status_code == 200:
                        assert r.json()["decision_id"] == r.headers["x-decision-id"]
                        decisions.append(r.headers["x-decision-id"])

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.5)
        srv.proc.send_signal(signal.SIGHUP)  # a reload under load, too
        time.sleep(1.0)
        answered = len(decisions)
        srv.proc.send_signal(signal.SIGTERM)
        code = srv.proc.wait(timeout=20)
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=20)
    assert code == 0
    assert answered > 10
    assert set(outcomes) <= {"200"} | {o for o in outcomes if o.startswith("closed:")}, set(outcomes)
    # nothing lost: every answered decision is in the decision log, once
    logged = [json.loads(line) for line in srv.log.read_text().splitlines()]
    ids = [entry["decision_id"] for entry in logged]
    assert len(ids) == len(set(ids))
    assert set(decisions) <= set(ids)
    assert {"decision_id", "rules_revision", "practice", "verdict", "time"} <= set(logged[0])
    assert "Traceback" not in srv.stderr.read_text()


def test_the_gate_fails_on_users_the_library_does_not_cover(server: Server, tmp_path: Path) -> None:
    """As `check`: users where the library has no complete law fail the gate, unless accepted."""
    spec = with_uncovered(SPEC, tmp_path).read_bytes()
    strict = server.assess(spec, query="?today=2024-09-20&fail_on=never").json()
    assert strict["coverage"]["uncovered"] and strict["gate"]["passes"]  # never: reports only
    body = server.assess(spec, query="?today=2024-09-20&fail_on=action_required").json()
    assert body["gate"]["passes"] is False
    accepted = server.assess(spec, query="?today=2024-09-20&fail_on=blocked&accept_uncovered=true").json()
    assert accepted["gate"] == {"fail_on": "blocked", "accept_uncovered": True, "passes": False}  # it is blocked


def test_gate_is_the_cli_gate_warnings_never_fail(server: Server) -> None:
    # only a warning (the Art. 6(4) compatibility test) is pending: the verdict is
    # action_required, but, as with `jurisdiction check --fail-on action_required`, the gate passes
    spec = WARN_ONLY.read_bytes()
    body = server.assess(spec, query="?today=2025-10-01&fail_on=action_required").json()
    assert body["verdict"] == "action_required"
    assert body["gate"] == {"fail_on": "action_required", "accept_uncovered": False, "passes": True}


# -- queries, HEAD, the log of requests ---------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "fields", "suggestion"),
    [
        ("?todya=2024-09-20", {"todya"}, "today"),
        ("?today=2024-09-20&today=2024-09-21", {"today"}, None),
        ("?fail_on=blockd", {"fail_on"}, "blocked"),
        ("?today=2024-13-01", {"today"}, None),
    ],
)
def test_query_parameters_are_checked(server: Server, query: str, fields: set[str], suggestion: str | None) -> None:
    """An unknown parameter is a 422 naming it (not an evaluation as of today)."""
    r = server.assess(SPEC.read_bytes(), query=query)
    assert r.status_code == 422
    no_trace(r)
    problems = r.json()["problems"]
    assert {p["field"] for p in problems} == fields
    if suggestion:
        assert problems[0]["suggestion"] == suggestion
    assert all(p["code"] for p in problems)


def test_head_answers_on_get_routes(server: Server) -> None:
    for path in ("/healthz", "/readyz", "/v1/rules", "/openapi.json"):
        r = httpx.head(server.url + path, timeout=10)
        assert r.status_code == 200 and r.content == b"", path
        assert r.headers["x-rules-revision"]


def test_serve_says_where_it_listens_and_logs_requests(server: Server) -> None:
    server.get("/healthz")
    time.sleep(0.2)
    text = server.stderr.read_text()
    assert f"http://{HOST}:{server.port}" in text
    assert '"GET /healthz HTTP/1.1" 200' in text


# -- the decision log ---------------------------------------------------------------------------
def test_decision_log_is_private_and_follows_rotation(server: Server) -> None:
    assert server.assess(SPEC.read_bytes()).status_code == 200
    time.sleep(0.3)  # written by the log's own thread
    assert server.log.stat().st_mode & 0o777 == 0o600
    rotated = server.log.with_suffix(".1")
    server.log.rename(rotated)  # what logrotate does
    r = server.assess(SPEC.read_bytes())
    decision = r.headers["x-decision-id"]
    deadline = time.monotonic() + 5
    while not (server.log.exists() and decision in server.log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert decision in server.log.read_text() and decision not in rotated.read_text()
    assert server.log.stat().st_mode & 0o777 == 0o600


# -- workers under uvicorn's supervisor ---------------------------------------------------------
def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _wait(check: Any, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:  # gone meanwhile
        return False
    return state != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:  # the process ended between listing and reading
        return ""


def _workers(srv: Server) -> list[int]:
    # uvicorn's spawned workers (a resource tracker may sit beside them)
    return [
        p for p in _children(srv.proc.pid) if "jurisdiction" in _cmdline(p) or "multiprocessing.spawn" in _cmdline(p)
    ]


def test_a_killed_worker_is_replaced_again_and_again(tmp_path: Path) -> None:
    """No lifetime budget: every crash is replaced, and the service keeps answering."""
    srv = start(tmp_path, "--workers", "2")
    try:
        assert _wait(lambda: len(_workers(srv)) >= 2)
        for _ in range(4):
            victim = _workers(srv)[0]
            os.kill(victim, signal.SIGKILL)
            assert _wait(lambda v=victim: v not in _workers(srv) and len(_workers(srv)) >= 2)
            assert server_answers(srv)
    finally:
        assert srv.stop() == 0


def server_answers(srv: Server) -> bool:
    return _wait(lambda: _ok(srv), timeout=20)


def _ok(srv: Server) -> bool:
    try:
        return srv.assess(SPEC.read_bytes()).status_code == 200
    except httpx.TransportError:
        return False


def test_workers_stop_when_their_supervisor_is_killed(tmp_path: Path) -> None:
    srv = start(tmp_path, "--workers", "2")
    assert _wait(lambda: len(_workers(srv)) >= 2)
    workers = _workers(srv)
    srv.proc.kill()
    srv.proc.wait(10)
    assert _wait(lambda: not any(_alive(w) for w in workers), timeout=15), "orphaned workers"


def test_a_library_that_cannot_start_stops_the_supervisor_with_an_error(tmp_path: Path) -> None:
    """A worker that cannot start at all would fail the same way forever: the supervisor exits 1
    for the orchestrator to see, instead of listening with no worker behind it."""
    srv = start(tmp_path, "--workers", "2")
    law = _law_file(srv.rules)
    assert _wait(lambda: len(_workers(srv)) >= 2)
    law.write_text("law: [unclosed\n")
    for worker in _workers(srv):
        os.kill(worker, signal.SIGKILL)
    try:
        code = srv.proc.wait(timeout=30)
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()
    assert code == 1
    log = srv.stderr.read_text()
    assert "the rule library does not load" in log and "Traceback" not in log


def test_an_embedded_app_is_never_frozen() -> None:
    """gc.freeze() is for processes the service runs itself, never an app embedded elsewhere."""
    code = "import gc\nfrom jurisdiction.service import create_app\ncreate_app()\nprint(gc.get_freeze_count())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"


def test_an_admin_reload_reaches_every_worker(tmp_path: Path) -> None:
    srv = start(tmp_path, "--workers", "2")
    try:
        before = srv.get("/readyz").json()["rules_revision"]
        law = _law_file(srv.rules)
        law.write_text(law.read_text() + "\n# changed\n")
        r = srv.post("/v1/admin/reload", headers={"authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200 and r.json()["changed"]
        new = r.json()["rules_revision"]

        def all_new() -> bool:  # each request on a new connection: either worker may take it
            try:
                return all(srv.get("/healthz").headers["x-rules-revision"] == new for _ in range(20))
            except httpx.TransportError:
                return False

        assert _wait(all_new, timeout=30), f"still {before} somewhere"
    finally:
        assert srv.stop() == 0


def test_hostile_bodies_get_a_422_and_the_worker_lives(server: Server) -> None:
    """A deeply nested body once crashed the worker, and an alias bomb held it for minutes."""
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 8)
    )
    for body, kind in (
        (b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "application/json"),
        (b"a: " + b"[" * 60_000 + b"]" * 60_000, "application/yaml"),
        (bomb.encode(), "application/yaml"),
    ):
        began = time.monotonic()
        r = server.assess(body, kind)
        assert r.status_code == 422, r.text[:300]
        no_trace(r)
        assert time.monotonic() - began < 5
    assert server.get("/healthz").status_code == 200


# -- slow and half-open clients ---------------------------------------------------------------------
def test_a_request_head_that_never_ends_is_cut_off(server: Server) -> None:
    """A client that connects and sends nothing (or dribbles) gets 408 after the head deadline;
    one whose head grows past 64 KiB gets 431 at once, without the server reading the rest."""
    from jurisdiction.service.protocol import HEADER_BYTES, HEADER_SECONDS

    with socket.create_connection((HOST, server.port), timeout=HEADER_SECONDS + 10) as silent:
        began = time.monotonic()
        reply = silent.recv(4096)
        assert reply.startswith(b"HTTP/1.1 408"), reply[:80]
        assert HEADER_SECONDS - 1 < time.monotonic() - began < HEADER_SECONDS + 5
    with socket.create_connection((HOST, server.port), timeout=10) as huge:
        huge.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        try:
            for _ in range(64):  # up to 2 MiB, far past the limit; the server stops reading
                huge.sendall(b"a" * 32_768)
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = huge.recv(4096)
        assert reply.startswith(b"HTTP/1.1 431"), reply[:80]
    assert HEADER_BYTES < 2 * 1024 * 1024
    assert server.get("/healthz").status_code == 200


def test_half_open_connections_do_not_starve_real_clients(server: Server) -> None:
    idle = [socket.create_connection((HOST, server.port), timeout=5) for _ in range(300)]
    try:
        for _ in range(10):
            assert server.assess(SPEC.read_bytes()).status_code == 200
    finally:
        for s in idle:
            s.close()
