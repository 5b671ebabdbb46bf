"""The HTTP service (`jurisdiction serve`): FastAPI on uvicorn, the `serve` extra.

    POST /v1/assessments?today=&fail_on=   a spec (JSON or YAML by Content-Type) → its assessment
    GET  /v1/jurisdictions?query=          codes, names, groups
    GET  /v1/rules, /v1/rules/{id}         the laws of the library; one law or one rule
    GET  /healthz, /readyz                 liveness; readiness (a library is loaded)
    POST /v1/admin/reload                  re-read the rule library (bearer token)
    GET  /openapi.json                     the OpenAPI document

Every response names the rule library it was answered with: the header `X-Rules-Revision`
and, in JSON bodies, `rules_revision`. A request keeps the library it arrived with, so a
reload (SIGHUP or the admin endpoint) never changes an answer mid-request; a library that
does not load is rejected and the old one keeps serving. SIGTERM stops accepting, lets
in-flight requests finish, then exits. Errors are JSON, never a stack trace; invalid specs
get 422 with the same problems (file, line, field, message, valid, suggestion) as the CLI.

`create_app` gives the ASGI app for embedding in another server:

    >>> from jurisdiction.service.server import create_app
    >>> app = create_app()
    >>> sorted(r.path for r in app.routes if r.path.startswith("/v1/"))[:3]
    ['/v1/admin/reload', '/v1/assessments', '/v1/jurisdictions']
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import hmac
import json
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal

import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic_core import to_json
from starlette.exceptions import HTTPException as StarletteHTTPException

from jurisdiction._version import __version__
from jurisdiction.errors import InputError, Problem, RuleError, suggest
from jurisdiction.evaluation.evaluator import Evaluator
from jurisdiction.law.rulebook import RuleBook
from jurisdiction.outputs.gate import FAIL_ON, Gate
from jurisdiction.practice.specs import parse_practice

__all__ = ["ServerSettings", "create_app", "run_server"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FailOn = Literal["blocked", "action_required", "never"]
JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
# a request body that takes longer than this to arrive gets 408 (a slow client holds no worker hostage)
BODY_SECONDS = float(os.environ.get("JURISDICTION_BODY_SECONDS", "10"))
SPEC_SOURCE = "<request body>"
SNAPSHOT = "jurisdiction.library"  # the ASGI scope key holding the library a request arrived with
# With several workers the supervisor accepts every connection and hands it to the workers in
# turn (SCM_RIGHTS over a Unix socket pair); JURISDICTION_SHARED_SOCKET=1 (or a platform
# without fd passing) makes the workers accept from one shared socket instead.
HANDOFF = hasattr(socket, "send_fds") and not os.environ.get("JURISDICTION_SHARED_SOCKET")


@dataclass(frozen=True)
class ServerSettings:
    """How the service runs; `run_server`'s arguments."""

    host: str = "127.0.0.1"
    port: int = 8000
    rules: str | None = None
    workers: int = 1
    engine: str = "auto"
    decision_log: str | None = None
    admin_token: str | None = None
    max_body: int = 1_048_576
    supervised: bool = False  # a worker under run_server's supervisor: tell it about reloads


@dataclass(frozen=True)
class _Library:
    """One loaded rule library and everything answered from it. Immutable: swapped whole."""

    book: RuleBook
    evaluator: Evaluator
    loaded: str
    laws: list[dict[str, Any]] = field(default_factory=list)

    @property
    def revision(self) -> str:
        return self.book.revision


def _load_library(settings: ServerSettings) -> _Library:
    book = RuleBook.load(settings.rules)
    evaluator = Evaluator(book, settings.engine)
    laws = [_law_row(law) for law in book.laws]
    return _Library(book, evaluator, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), laws)


def _law_row(law: Any) -> dict[str, Any]:
    spec = law.spec.law
    return {
        "id": law.id,
        "title": spec.title,
        "citation": spec.citation,
        "url": str(spec.url),
        "applies": [
            {"in": e.in_, "from": e.from_.isoformat(), "to": e.to.isoformat() if e.to else None} for e in spec.applies
        ],
        "rules": [f"{law.id}/{r.id}" for r in law.spec.rules],
        "verified": spec.verified,
    }


class _Service:
    """The current library, reloads, and the decision log of one server process."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.library = _load_library(settings)
        self._reload_lock = threading.Lock()
        self._turn: asyncio.Lock | None = None
        self._log_fd: int | None = None
        if settings.decision_log:
            self._log_fd = os.open(settings.decision_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def reload(self) -> tuple[str, str]:
        """Load the library again; swap it in only if it loads. Returns (old, new) revisions;
        raises `RuleError` (and keeps the old library) when it does not load."""
        with self._reload_lock:
            old = self.library
            revision = old.revision
            fresh = _load_library(self.settings)
            self.library = fresh  # one reference assignment: requests hold the one they started with
            del old
            _settle(again=True)
            return revision, fresh.revision

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Assessments take their turn in the order their requests arrived. The event loop
        otherwise runs every request that arrived during one poll before it polls again, so a
        request that just missed a poll waits for a whole round and then for its place in the
        next: some clients waited twice as long as others (p99 twice p50). The turn is handed
        over through the loop (the holder yields once before it lets go), so the loop polls
        between two assessments and queues what arrived behind what waits (asyncio's lock
        serves its waiters first come, first served)."""
        lock = self._turn
        if lock is None:
            lock = self._turn = asyncio.Lock()  # made in the loop that serves
        async with lock:
            yield
            await asyncio.sleep(0)

    @property
    def logging(self) -> bool:
        return self._log_fd is not None

    def log_decision(self, entry: dict[str, Any]) -> None:
        if self._log_fd is not None:
            # one write() per line on an O_APPEND descriptor: lines from several workers never interleave
            os.write(self._log_fd, (json.dumps(entry, ensure_ascii=False) + "\n").encode())

    def close(self) -> None:
        if self._log_fd is not None:
            os.close(self._log_fd)
            self._log_fd = None


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False).encode(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _problems(status: int, error: str, problems: list[Problem], revision: str) -> Response:
    return _refused(status, error, problems, revision).response()


def _internal_error(revision: str) -> bytes:
    return json.dumps({"error": "internal error; the request was not processed", "rules_revision": revision}).encode()


class _Edge:
    """Outermost ASGI layer: pins the library for the request, enforces the body size limit
    and the body read deadline, and names the library's revision on every response."""

    def __init__(self, app: ASGIApp, service: _Service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        library = self.service.library
        scope[SNAPSHOT] = library
        revision = library.revision.encode()

        async def send_named(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-rules-revision", revision)]
            await send(message)

        limit = self.service.settings.max_body
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(send_named, 413, f"the request body is larger than the limit of {limit:,} bytes")
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send_named)
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(BODY_SECONDS):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return  # the client went away: nobody to answer
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        await self._refuse(
                            send_named, 413, f"the request body is larger than the limit of {limit:,} bytes"
                        )
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await self._refuse(send_named, 408, f"the request body did not arrive within {BODY_SECONDS:g} s")
            return
        body = b"".join(chunks)
        if scope["path"] == "/v1/assessments" and scope["method"] == "POST":
            query = _quick_query(scope.get("query_string", b""))
            if query is not None:
                # The fast lane: a plain query string needs none of FastAPI's routing and
                # parameter validation (a fifth of the cost of a small assessment); anything
                # else goes through FastAPI, which says what is wrong with it.
                await self._assess(scope, body, query, send_named)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_named)

    async def _assess(self, scope: Scope, body: bytes, query: tuple[dt.date | None, str], send: Send) -> None:
        kind = next((v for k, v in scope.get("headers", []) if k == b"content-type"), b"").decode("latin-1")
        try:
            async with self.service.turn():
                answer = _answer(self.service, scope[SNAPSHOT], body, kind, *query)
        except Exception:  # as FastAPI's handler: the trace to the server log, never to the client
            logging.getLogger("jurisdiction.service.server").exception("POST /v1/assessments failed")
            answer = _Answer(500, _internal_error(scope[SNAPSHOT].revision))
        await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers()})
        await send({"type": "http.response.body", "body": answer.body})

    async def _refuse(self, send: Send, status: int, message: str) -> None:
        payload = json.dumps({"error": message, "rules_revision": self.service.library.revision}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                # the rest of the body is not read: the connection cannot be reused
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


@dataclass(frozen=True)
class _Answer:
    """One response of POST /v1/assessments, for either lane to send."""

    status: int
    body: bytes
    decision: str | None = None

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [(b"content-type", b"application/json"), (b"content-length", str(len(self.body)).encode())]
        if self.decision is not None:
            out.append((b"x-decision-id", self.decision.encode()))
        return out

    def response(self) -> Response:
        extra = {"X-Decision-Id": self.decision} if self.decision is not None else None
        return Response(self.body, status_code=self.status, media_type="application/json", headers=extra)


def _refused(status: int, error: str, problems: list[Problem], revision: str) -> _Answer:
    payload = {"error": error, "problems": [p.as_dict() for p in problems], "rules_revision": revision}
    return _Answer(status, json.dumps(payload, ensure_ascii=False).encode())


def _answer(
    service: _Service, library: _Library, body: bytes, content_type: str, today: dt.date | None, fail_on: str
) -> _Answer:
    """Assess one request body: the whole of POST /v1/assessments but for reading the query."""
    kind = content_type.split(";")[0].strip().lower()
    if kind and kind not in JSON_TYPES + YAML_TYPES and not kind.endswith("+json"):
        return _refused(
            415,
            "unsupported Content-Type",
            [Problem(f"Content-Type {kind!r} is not a spec format", valid=", ".join(JSON_TYPES + YAML_TYPES))],
            library.revision,
        )
    if not body.strip():
        return _refused(422, "invalid spec", [Problem("the request body is empty", file=SPEC_SOURCE)], library.revision)
    try:
        practice = parse_practice(body, SPEC_SOURCE)
    except InputError as exc:
        if kind in JSON_TYPES or kind.endswith("+json"):
            broken = _json_problem(body)  # a JSON body that is not JSON: say it in JSON's terms
            if broken is not None:
                return _refused(422, "invalid spec", [broken], library.revision)
        return _refused(422, "invalid spec", list(exc.problems), library.revision)
    day = today or dt.date.today()
    # plain data, not models: serialised as `check --format json` would, at a fraction of the cost
    result = library.evaluator.evaluate_plain(practice, day)
    # the same gate as `jurisdiction check`: warnings never fail it
    passes = Gate(fail_on).passes(result.obligations)
    decision = uuid.uuid4().hex
    if service.logging:
        service.log_decision(
            {
                "decision_id": decision,
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                "rules_revision": library.revision,
                "practice": practice.id,
                "today": day.isoformat(),
                "verdict": result.verdict,
                "fail_on": fail_on,
                "passes": passes,
            }
        )
    result.data["gate"] = {"fail_on": fail_on, "passes": passes}
    result.data["decision_id"] = decision
    return _Answer(200, to_json(result.data), decision)


def _quick_query(raw: bytes) -> tuple[dt.date | None, str] | None:
    """(today, fail_on) from a plain query string (`today=YYYY-MM-DD`, `fail_on=<level>`, each
    at most once, nothing else), or None: then FastAPI reads it, and reports what is wrong."""
    today: dt.date | None = None
    fail_on = "blocked"
    seen: set[bytes] = set()
    for part in raw.split(b"&") if raw else ():
        name, sep, value = part.partition(b"=")
        if not sep or name in seen:
            return None
        seen.add(name)
        if name == b"today" and len(value) == 10 and value[4:5] == b"-" and value[7:8] == b"-":
            try:
                today = dt.date.fromisoformat(value.decode("ascii"))
            except ValueError:
                return None
        elif name == b"fail_on" and value.decode("latin-1") in FAIL_ON:
            fail_on = value.decode("latin-1")
        else:
            return None
    return today, fail_on


def _json_problem(body: bytes) -> Problem | None:
    """What is wrong with a body that should be JSON, or None when it is JSON."""
    try:
        json.loads(body)
    except json.JSONDecodeError as exc:
        return Problem(
            f"not valid JSON: {exc.msg}", file=SPEC_SOURCE, line=exc.lineno, column=exc.colno, valid="a JSON object"
        )
    except (ValueError, RecursionError) as exc:  # not UTF-8, or nested too deeply
        return Problem(f"not valid JSON: {exc}", file=SPEC_SOURCE, valid="a JSON object in UTF-8")
    return None


def _spec_body(description: str) -> dict[str, Any]:
    from jurisdiction.schemas import schema_text

    schema = json.loads(schema_text("practice"))
    schema.pop("$schema", None)
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/json": {"schema": schema},
                "application/yaml": {"schema": {"type": "string", "description": "The same spec, as YAML."}},
            },
        }
    }


def create_app(settings: ServerSettings | None = None, **options: Any) -> FastAPI:
    """The ASGI application. `options` are `ServerSettings` fields (rules, engine, …); the
    rule library is loaded now, so a broken one raises `RuleError` here."""
    settings = replace(settings or ServerSettings(), **options)
    if settings.admin_token is None and os.environ.get("JURISDICTION_ADMIN_TOKEN"):
        settings = replace(settings, admin_token=os.environ["JURISDICTION_ADMIN_TOKEN"])
    service = _Service(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        starting = getattr(app.state, "on_start", None)
        if starting is not None:  # a supervised worker: start taking connections
            starting()
        yield
        service.close()

    app = FastAPI(
        title="jurisdiction",
        version=__version__,
        description="Which notice, consent, opt-out, policy update or assessment a planned data practice "
        "needs, jurisdiction by jurisdiction. Every response names the rule library's revision "
        "(header `X-Rules-Revision`, field `rules_revision`).",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = service

    def library_of(request: Request) -> _Library:
        found: _Library = request.scope.get(SNAPSHOT) or service.library
        return found

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        text = {404: "no such route", 405: "method not allowed here"}.get(exc.status_code, str(exc.detail))
        return _json(
            {"error": text, "path": request.url.path, "rules_revision": library_of(request).revision},
            status=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for err in exc.errors():
            loc = [str(part) for part in err.get("loc", ()) if part not in ("query", "path", "body")]
            valid = None
            if loc == ["fail_on"]:
                valid = ", ".join(FAIL_ON)
            elif loc == ["today"]:
                valid = "a date, YYYY-MM-DD"
            problems.append(
                Problem(str(err.get("msg", "invalid")), file="<query>", field=".".join(loc) or None, valid=valid)
            )
        return _problems(422, "invalid request", problems, library_of(request).revision)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        # the trace goes to the server log (uvicorn's), never into a response
        return Response(_internal_error(library_of(request).revision), status_code=500, media_type="application/json")

    @app.post(
        "/v1/assessments",
        summary="Assess a practice spec",
        response_description="The assessment (as `jurisdiction check --format json`), with `gate` and `decision_id`.",
        openapi_extra=_spec_body("A practice spec, JSON or YAML (by Content-Type), as DESIGN.md describes."),
        responses={
            422: {"description": "invalid spec: `problems` as the CLI reports them"},
            413: {"description": "body too large"},
            415: {"description": "unsupported Content-Type"},
        },
    )
    async def assess(
        request: Request,
        today: Annotated[dt.date | None, Query(description="Evaluation date (default: the server's date).")] = None,
        fail_on: Annotated[FailOn, Query(description="The gate: fails at or past this verdict.")] = "blocked",
    ) -> Response:
        kind = request.headers.get("content-type", "")
        body = await request.body()
        async with service.turn():
            return _answer(service, library_of(request), body, kind, today, fail_on).response()

    @app.get("/v1/jurisdictions", summary="Codes, names and groups")
    async def jurisdictions(
        request: Request,
        query: Annotated[str | None, Query(description="A code, name or group; all when absent.")] = None,
    ) -> Response:
        from jurisdiction.vocabulary.regions import search

        return _json({"jurisdictions": search(query), "rules_revision": library_of(request).revision})

    @app.get("/v1/rules", summary="The laws of the rule library")
    async def rules(request: Request) -> Response:
        library = library_of(request)
        return _json({"laws": library.laws, "rules_revision": library.revision})

    @app.get("/v1/rules/{rule_id:path}", summary="One law (by law id) or one rule (by `law/rule` id)")
    async def rule(request: Request, rule_id: str) -> Response:
        library = library_of(request)
        book = library.book
        if rule_id in book.by_id:
            law = book.by_id[rule_id]
            detail = {
                **_law_row(law),
                "law": law.spec.law.model_dump(mode="json", by_alias=True, exclude_none=True),
                "rule_details": [r.model_dump(mode="json", by_alias=True, exclude_none=True) for r in law.spec.rules],
            }
            return _json({"law": detail, "rules_revision": library.revision})
        if rule_id in book.rules:
            law, found = book.rules[rule_id]
            payload = {"id": rule_id, "law": law.id, **found.model_dump(mode="json", by_alias=True, exclude_none=True)}
            payload["id"] = rule_id
            return _json({"rule": payload, "rules_revision": library.revision})
        hint = suggest(rule_id, [*book.by_id, *book.rules])
        return _json(
            {"error": f"no law or rule `{rule_id}`", "suggestion": hint, "rules_revision": library.revision},
            status=404,
        )

    @app.get("/healthz", summary="Liveness")
    async def healthz(request: Request) -> Response:
        return _json({"status": "ok", "rules_revision": library_of(request).revision})

    @app.get("/readyz", summary="Readiness: a rule library is loaded")
    async def readyz(request: Request) -> Response:
        library = library_of(request)
        return _json(
            {
                "status": "ready",
                "rules_revision": library.revision,
                "laws": len(library.book.laws),
                "engine": library.evaluator.engine.name,
                "loaded": library.loaded,
            }
        )

    @app.post(
        "/v1/admin/reload",
        summary="Re-read the rule library; a broken one is rejected and the old one keeps serving",
        responses={401: {"description": "missing or wrong bearer token"}, 422: {"description": "library invalid"}},
    )
    async def reload(request: Request) -> Response:
        library = library_of(request)
        token = settings.admin_token
        if not token:
            return _json(
                {"error": "reload over HTTP is off; start with --admin-token", "rules_revision": library.revision},
                status=403,
            )
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return _json(
                {"error": "a valid bearer token is required", "rules_revision": library.revision},
                status=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        from starlette.concurrency import run_in_threadpool

        try:
            old, new = await run_in_threadpool(service.reload)
        except RuleError as exc:
            current = service.library.revision
            error = f"the rule library does not load; still serving {current}"
            return _problems(422, error, list(exc.problems), current)
        if settings.supervised:
            os.kill(os.getppid(), signal.SIGHUP)  # the supervisor has the sibling workers reload too
        return _json({"rules_revision": new, "previous": old, "changed": new != old})

    app.add_middleware(_Edge, service=service)
    return app


# -- running -------------------------------------------------------------------------------
def _signals(app: FastAPI) -> None:
    """SIGHUP reloads; SIGTERM/SIGINT are uvicorn's (stop accepting, finish in-flight
    requests), which re-raises the signal once done: the handler left for it is a no-op, so the
    process exits with code 0 after a graceful shutdown."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: None)
    service: _Service = app.state.service

    def reload_in_background() -> None:
        with contextlib.suppress(RuleError):  # a broken library: keep serving the old one
            service.reload()

    def on_hup(signum: int, frame: Any) -> None:
        threading.Thread(target=reload_in_background, name="jurisdiction-reload", daemon=True).start()

    signal.signal(signal.SIGHUP, on_hup)


def _uvicorn_config(app: Any, settings: ServerSettings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=10,
        server_header=False,
        lifespan="on",
    )


_settled = False


def _settle(*, again: bool = False) -> None:
    """Move what is loaded now (the rule library: some 85,000 objects) out of the cyclic
    garbage collector's sight. A full collection over it takes about 20 ms, and would land on
    whichever requests are in flight; the library lives as long as the process, or until a
    reload, which calls this again (`again`: only in a process that settled at start, never
    in an application embedded in someone else's)."""
    global _settled
    if again and not _settled:
        return
    _settled = True
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _listener(settings: ServerSettings) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(2048)
    return sock


def _worker(settings: ServerSettings, sock: socket.socket | None, channel: socket.socket | None) -> None:
    """One worker process under `run_server`'s supervisor: it serves the connections the
    supervisor hands over on `channel`, or accepts from the shared socket `sock`."""
    app = create_app(settings)
    _signals(app)
    server = uvicorn.Server(_uvicorn_config(app, settings))
    if channel is not None:
        app.state.on_start = lambda: _take_connections(server, channel)
    _settle()
    server.run(sockets=[sock] if sock is not None else [])


def _take_connections(server: uvicorn.Server, channel: socket.socket) -> None:
    """Serve each connection the supervisor sends (one descriptor per message) as uvicorn
    serves those it accepts itself, on the running loop."""
    loop = asyncio.get_running_loop()
    config = server.config

    def protocol() -> asyncio.Protocol:
        made: asyncio.Protocol = config.http_protocol_class(  # type: ignore[call-arg]
            config=config, server_state=server.server_state, app_state=server.lifespan.state
        )
        return made

    opening: set[asyncio.Task[Any]] = set()

    def take() -> None:
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(channel, 16, 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data, fds = b"", []
            if not data and not fds:  # the supervisor is gone
                loop.remove_reader(channel.fileno())
                return
            for fd in fds:
                conn = socket.socket(fileno=fd)
                if server.should_exit:  # shutting down: no new connections
                    conn.close()
                    continue
                conn.setblocking(False)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                task = loop.create_task(loop.connect_accepted_socket(protocol, conn))
                opening.add(task)  # held until done: the loop keeps only weak references
                task.add_done_callback(opening.discard)

    channel.setblocking(False)
    loop.add_reader(channel.fileno(), take)


def run_server(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    rules: str | None = None,
    workers: int = 1,
    engine: str = "auto",
    decision_log: str | None = None,
    admin_token: str | None = None,
    max_body: int = 1_048_576,
) -> int:
    """Serve until SIGTERM or SIGINT; returns the exit code. Raises `RuleError` when the rule
    library does not load at start (the CLI reports it, exit code 2)."""
    settings = ServerSettings(host, port, rules, max(1, workers), engine, decision_log, admin_token, max_body)
    if settings.workers == 1:
        app = create_app(settings)
        _signals(app)
        _settle()
        server = uvicorn.Server(_uvicorn_config(app, settings))
        server.run()
        return 0 if server.started else 1
    return _supervise(settings)


def _supervise(settings: ServerSettings) -> int:
    """Several worker processes. The supervisor accepts the connections and hands them to the
    workers in turn, so each serves its share: when workers accept for themselves (one shared
    socket, or SO_REUSEPORT sockets the kernel picks among by hash), one of two workers was
    measured holding 39 of 64 connections, or all but one of them, and its clients waited half
    as long again or twice as long. Where descriptors cannot be passed, the workers share the
    socket. SIGHUP is passed on to every worker (each reloads, keeping its old library if the
    new one is broken); SIGTERM/SIGINT is passed on and waited for (each finishes its
    in-flight requests)."""
    _load_library(settings)  # fail fast, with the library's problems, before any worker starts
    sock = _listener(settings)  # a clear error now if the port is taken
    settings = replace(settings, port=sock.getsockname()[1])
    handoff = HANDOFF
    if not handoff:
        sock.set_inheritable(True)
    context = multiprocessing.get_context("spawn")
    child = replace(settings, supervised=True)
    procs: list[Any] = []
    channels: list[socket.socket | None] = [None] * settings.workers
    stopping = threading.Event()

    def start(i: int) -> Any:
        if not handoff:
            proc = context.Process(target=_worker, args=(child, sock, None), name="jurisdiction-worker")
            proc.start()
            return proc
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        proc = context.Process(target=_worker, args=(child, None, theirs), name="jurisdiction-worker")
        proc.start()
        theirs.close()
        old, channels[i] = channels[i], mine
        if old is not None:
            old.close()
        return proc

    def hand_out() -> None:
        turn = 0
        sock.settimeout(0.2)
        while not stopping.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed: shutting down
            with conn:  # the worker holds its own copy once sent
                for _ in range(len(channels)):
                    channel = channels[turn % len(channels)]
                    turn += 1
                    if channel is None:
                        continue
                    try:
                        socket.send_fds(channel, [b"c"], [conn.fileno()])
                        break
                    except OSError:
                        continue  # that worker is gone (it is being replaced): the next one

    def forward(signum: int, frame: Any) -> None:
        if signum in (signal.SIGTERM, signal.SIGINT):
            stopping.set()
        for proc in procs:
            if proc.pid is not None and proc.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM if signum == signal.SIGINT else signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    procs.extend(start(i) for i in range(settings.workers))
    if handoff:
        threading.Thread(target=hand_out, name="jurisdiction-accept", daemon=True).start()
    restarts = 0
    while not stopping.wait(0.2):
        for i, proc in enumerate(procs):
            if not proc.is_alive() and restarts < 10 * settings.workers:
                restarts += 1  # a worker died (not asked to): replace it
                procs[i] = start(i)
    sock.close()  # no new connections; the workers finish theirs
    deadline = time.monotonic() + 15
    for proc in procs:
        proc.join(max(0.1, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join(2)
    for channel in channels:
        if channel is not None:
            channel.close()
    return 0
