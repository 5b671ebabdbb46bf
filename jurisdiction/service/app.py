"""The HTTP service's application: a Starlette app, the `serve` extra. Process management
(one process or several, signals) is `jurisdiction.service.run`'s; this module only answers.

    POST /v1/assessments?today=&fail_on=   a spec (JSON or YAML by Content-Type) → its assessment
    POST /v1/timelines?from=&until=&fail_within=   a spec → its timeline (`jurisdiction timeline`)
    GET  /v1/jurisdictions?query=          codes, names, groups
    GET  /v1/rules, /v1/rules/{id}         the laws of the library; one law or one rule
    GET  /healthz, /readyz                 liveness; readiness (a library is loaded)
    POST /v1/admin/reload                  re-read the rule library (bearer token)
    GET  /openapi.json                     the OpenAPI document

Every response names the rule library it was answered with: the header `X-Rules-Revision`
and, in JSON bodies, `rules_revision`. A request keeps the library it arrived with, so a
reload never changes an answer mid-request; a library that does not load is rejected and
the old one keeps serving. Errors are JSON, never a stack trace; invalid specs get 422 with
the same problems (code, file, line, field, message, valid, suggestion) as the CLI, and so do
unknown or malformed query parameters. GET routes answer HEAD too.

`create_app` gives the ASGI app, to embed in another server:

    >>> app = create_app()
    >>> sorted(r.path for r in app.routes if r.path.startswith("/v1/"))[:3]
    ['/v1/admin/reload', '/v1/assessments', '/v1/jurisdictions']
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import hmac
import json
import logging
import os
import signal
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from pydantic_core import to_json
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jurisdiction._version import __version__
from jurisdiction.errors import InputError, Problem, RuleError, suggest
from jurisdiction.evaluation.evaluator import Evaluator
from jurisdiction.law.rulebook import RuleBook
from jurisdiction.outputs.gate import FAIL_ON, Gate
from jurisdiction.outputs.timeline import gate_within
from jurisdiction.practice.specs import parse_practice
from jurisdiction.schemas import schema_text
from jurisdiction.service.decisions import DecisionLog
from jurisdiction.service.settings import ServerSettings
from jurisdiction.vocabulary.regions import search

__all__ = ["Library", "Service", "create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
SPEC_SOURCE = "<request body>"
SNAPSHOT = "jurisdiction.library"  # the ASGI scope key holding the library a request arrived with
ASSESS_QUERY = ("today", "fail_on", "accept_uncovered")
TIMELINE_QUERY = ("from", "until", "fail_within", "fail_on_warnings")
DEFAULT_WINDOW = 365  # days: the timeline's window when `until` is not given
DATE_HELP = "a date, YYYY-MM-DD"
log = logging.getLogger("jurisdiction.service")


@dataclasses.dataclass(frozen=True)
class Library:
    """One loaded rule library and everything answered from it. Immutable: swapped whole."""

    book: RuleBook
    evaluator: Evaluator
    loaded: str
    laws: list[dict[str, Any]]

    @property
    def revision(self) -> str:
        return self.book.revision

    @classmethod
    def load(cls, settings: ServerSettings) -> Library:
        book = RuleBook.load(settings.rules)
        loaded = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return cls(book, Evaluator(book, settings.engine), loaded, [law.summary() for law in book.laws])


class Service:
    """One process's service: its settings, the current library, reloads and the decision log."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.library = Library.load(settings)
        self.decisions = DecisionLog(settings.decision_log) if settings.decision_log else None
        self._reloading = threading.Lock()
        self._turn: asyncio.Lock | None = None

    def reload(self) -> tuple[str, str]:
        """Load the library again; swap it in only if it loads. Returns (old, new) revisions;
        raises `RuleError` (and keeps the old library) when it does not load."""
        with self._reloading:
            old = self.library.revision
            self.library = Library.load(self.settings)  # one reference: requests keep theirs
            if self.decisions is not None:
                self.decisions.reopen()
            return old, self.library.revision

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Assessments take their turn in the order their requests arrived. The event loop
        otherwise runs every request that arrived during one poll before it polls again, so a
        request that just missed a poll waits a whole round and then for its place in the next
        (measured: 2 of 32 clients averaged twice the others' latency). The holder yields once
        before it lets go, so the loop polls between two assessments, and asyncio's lock serves
        its waiters first come, first served."""
        if self._turn is None:
            self._turn = asyncio.Lock()  # made in the loop that serves
        async with self._turn:
            yield
            await asyncio.sleep(0)

    def close(self) -> None:
        if self.decisions is not None:
            self.decisions.close()


# -- responses -------------------------------------------------------------------------------
def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _refused(status: int, error: str, problems: list[Problem], revision: str) -> Response:
    return _json({"error": error, "problems": [p.as_dict() for p in problems], "rules_revision": revision}, status)


def _query(request: Request, allowed: tuple[str, ...]) -> tuple[dict[str, Any], list[Problem]]:
    """The query parameters a route takes, checked: each known one at most once and valid,
    no unknown one (a typo such as `?todya=` would otherwise be evaluated as of today)."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, raw in request.query_params.multi_items():
        if name not in allowed:
            problems.append(
                Problem(
                    f"unknown query parameter `{name}`",
                    file="<query>",
                    field=name,
                    valid=", ".join(allowed) or "none",
                    suggestion=suggest(name, allowed),
                    code="unknown_parameter",
                )
            )
        elif name in values:
            problems.append(Problem(f"`{name}` is given twice", file="<query>", field=name, code="duplicate_parameter"))
        elif name in ("today", "from", "until"):
            try:
                values[name] = dt.date.fromisoformat(raw)
            except ValueError:
                problems.append(
                    Problem(f"{raw!r} is not a date", file="<query>", field=name, valid=DATE_HELP, code="not_a_date")
                )
        elif name == "fail_within":
            if raw.isdigit():
                values[name] = int(raw)
            else:
                problems.append(
                    Problem(
                        f"{raw!r} is not a number of days",
                        file="<query>",
                        field=name,
                        valid="a whole number, 0 or more",
                        code="not_days",
                    )
                )
        elif name in ("accept_uncovered", "fail_on_warnings"):
            if raw.lower() in ("true", "1", "false", "0"):
                values[name] = raw.lower() in ("true", "1")
            else:
                problems.append(
                    Problem(
                        f"{raw!r} is not a boolean",
                        file="<query>",
                        field=name,
                        valid="true or false",
                        code="not_boolean",
                    )
                )
        elif name == "fail_on":
            if raw in FAIL_ON:
                values[name] = raw
            else:
                problems.append(
                    Problem(
                        f"{raw!r} is not allowed",
                        file="<query>",
                        field=name,
                        valid=", ".join(FAIL_ON),
                        suggestion=suggest(raw, FAIL_ON),
                        code="not_allowed",
                    )
                )
        else:
            values[name] = raw
    return values, problems


def _spec_problems(body: bytes, kind: str) -> tuple[Any, list[Problem]]:
    """The practice in a request body, or what is wrong with it."""
    if not body.strip():
        return None, [Problem("the request body is empty", file=SPEC_SOURCE, code="empty")]
    try:  # a body sent as JSON is read as JSON (as a .json file is), not as YAML
        return parse_practice(body, SPEC_SOURCE, strict_json=kind in JSON_TYPES or kind.endswith("+json")), []
    except InputError as exc:
        return None, list(exc.problems)


# -- the ASGI edge -----------------------------------------------------------------------------
class _Edge:
    """Outermost layer: pins the library for the request, enforces the body size limit and
    the body read deadline, and names the library's revision on every response."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
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
        seconds = self.service.settings.body_seconds
        try:
            async with asyncio.timeout(seconds):
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
            await self._refuse(send_named, 408, f"the request body did not arrive within {seconds:g} s")
            return
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_named)

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


# -- the routes --------------------------------------------------------------------------------
def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _library(request: Request) -> Library:
    """The library the request arrived with (the edge pins it), else the current one."""
    found: Library = request.scope.get(SNAPSHOT) or _service(request).library
    return found


def _spec_type(request: Request) -> tuple[str, Problem | None]:
    """The request body's media type, and the problem when it is not a spec format."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind and kind not in JSON_TYPES + YAML_TYPES and not kind.endswith("+json"):
        return kind, Problem(
            f"Content-Type {kind!r} is not a spec format",
            valid=", ".join(JSON_TYPES + YAML_TYPES),
            code="unsupported_media_type",
        )
    return kind, None


async def assess(request: Request) -> Response:
    service, library = _service(request), _library(request)
    query, problems = _query(request, ASSESS_QUERY)
    if problems:
        return _refused(422, "invalid request", problems, library.revision)
    kind, problem = _spec_type(request)
    if problem is not None:
        return _refused(415, "unsupported Content-Type", [problem], library.revision)
    body = await request.body()
    async with service.turn():
        practice, problems = _spec_problems(body, kind)
        if problems:
            return _refused(422, "invalid spec", problems, library.revision)
        day = query.get("today") or dt.date.today()
        fail_on = query.get("fail_on", "blocked")
        # plain data, not models: serialised as `check --format json` would, at a fraction of the cost
        result = library.evaluator.evaluate_plain(practice, day)
        accept = query.get("accept_uncovered", False)
        uncovered = result.data["coverage"]["uncovered"] if "coverage" in result.data else []
        # the CLI's gate: warnings never fail it; users where the library has no law do, unless accepted
        passes = Gate(fail_on, accept_uncovered=accept).passes(result.obligations, None, uncovered)
        decision = uuid.uuid4().hex
        if service.decisions is not None:
            service.decisions.record(
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
        result.data["gate"] = {"fail_on": fail_on, "accept_uncovered": accept, "passes": passes}
        result.data["decision_id"] = decision
        return Response(to_json(result.data), media_type="application/json", headers={"X-Decision-Id": decision})


def _window(query: dict[str, Any]) -> tuple[dt.date, dt.date, list[Problem]]:
    """The timeline's window from the query (`from` default today, `until` a year later or
    `fail_within` days later if that is further), or what is wrong with it."""
    start = query.get("from") or dt.date.today()
    within = query.get("fail_within")
    until = query.get("until") or start + dt.timedelta(days=max(DEFAULT_WINDOW, within or 0))
    problems = []
    if until < start:
        problems.append(
            Problem(
                f"`until` {until} is before `from` {start}",
                file="<query>",
                field="until",
                valid=f"a date on or after {start}",
                code="empty_window",
            )
        )
    elif within is not None and start + dt.timedelta(days=within) > until:
        problems.append(
            Problem(
                f"`fail_within` {within} looks past `until` {until}",
                file="<query>",
                field="fail_within",
                valid=f"at most {(until - start).days}, or a later `until`",
                code="gate_past_window",
            )
        )
    return start, until, problems


async def timelines(request: Request) -> Response:
    """A spec's timeline, as `jurisdiction timeline --format json` prints it (with `gate` when
    `fail_within` is given)."""
    service, library = _service(request), _library(request)
    query, problems = _query(request, TIMELINE_QUERY)
    start, until, more = _window(query)
    problems += more if not problems else []
    if problems:
        return _refused(422, "invalid request", problems, library.revision)
    kind, problem = _spec_type(request)
    if problem is not None:
        return _refused(415, "unsupported Content-Type", [problem], library.revision)
    body = await request.body()
    async with service.turn():
        practice, problems = _spec_problems(body, kind)
        if problems:
            return _refused(422, "invalid spec", problems, library.revision)
        timeline = library.evaluator.timelines([practice], start, until)
        within = query.get("fail_within")
        if within is not None:
            timeline = gate_within(timeline, within, Gate(fail_on_warnings=query.get("fail_on_warnings", False)))
        payload = timeline.model_dump(mode="json", by_alias=True, exclude_none=True)
        return Response(to_json(payload), media_type="application/json")


async def jurisdictions(request: Request) -> Response:
    library = _library(request)
    query, problems = _query(request, ("query",))
    if problems:
        return _refused(422, "invalid request", problems, library.revision)
    return _json({"jurisdictions": search(query.get("query")), "rules_revision": library.revision})


async def rules(request: Request) -> Response:
    library = _library(request)
    return _json({"laws": library.laws, "rules_revision": library.revision})


async def rule(request: Request) -> Response:
    library = _library(request)
    book, rule_id = library.book, request.path_params["rule_id"]
    if rule_id in book.by_id:
        law = book.by_id[rule_id]
        detail = {
            **law.summary(),
            "law": law.spec.law.model_dump(mode="json", by_alias=True, exclude_none=True),
            "rule_details": [r.model_dump(mode="json", by_alias=True, exclude_none=True) for r in law.spec.rules],
        }
        return _json({"law": detail, "rules_revision": library.revision})
    if rule_id in book.rules:
        law, found = book.rules[rule_id]
        payload = {"law": law.id, **found.model_dump(mode="json", by_alias=True, exclude_none=True)}
        payload["id"] = rule_id
        return _json({"rule": payload, "rules_revision": library.revision})
    hint = suggest(rule_id, [*book.by_id, *book.rules])
    error = {"error": f"no law or rule `{rule_id}`", "suggestion": hint, "rules_revision": library.revision}
    return _json(error, status=404)


async def healthz(request: Request) -> Response:
    return _json({"status": "ok", "rules_revision": _library(request).revision})


async def readyz(request: Request) -> Response:
    library = _library(request)
    return _json(
        {
            "status": "ready",
            "rules_revision": library.revision,
            "laws": len(library.book.laws),
            "engine": library.evaluator.engine.name,
            "loaded": library.loaded,
        }
    )


async def reload(request: Request) -> Response:
    service, library = _service(request), _library(request)
    token = service.settings.admin_token
    if not token:
        error = "reload over HTTP is off; start with --admin-token"
        return _json({"error": error, "rules_revision": library.revision}, status=403)
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return _json(
            {"error": "a valid bearer token is required", "rules_revision": library.revision},
            status=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        old, new = await run_in_threadpool(service.reload)
    except RuleError as exc:
        current = service.library.revision
        return _refused(422, f"the rule library does not load; still serving {current}", list(exc.problems), current)
    if service.settings.supervisor_pid is not None:
        # the library loads: have the supervisor replace every worker, one at a time, each
        # loading it (this one included), so that they all answer from the same revision
        os.kill(service.settings.supervisor_pid, signal.SIGHUP)
    return _json({"rules_revision": new, "previous": old, "changed": new != old})


async def openapi_json(request: Request) -> Response:
    return _json(openapi_document())


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    text = {404: "no such route", 405: "method not allowed here"}.get(status, "error")
    headers = dict(exc.headers) if isinstance(exc, HTTPException) and exc.headers else None
    payload = {"error": text, "path": request.url.path, "rules_revision": _library(request).revision}
    return _json(payload, status=status, headers=headers)


async def internal_error(request: Request, exc: Exception) -> Response:
    # the trace goes to the server's log, never into a response
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    payload = {"error": "internal error; the request was not processed", "rules_revision": _library(request).revision}
    return _json(payload, status=500)


ROUTES = [
    Route("/v1/assessments", assess, methods=["POST"]),
    Route("/v1/timelines", timelines, methods=["POST"]),
    Route("/v1/jurisdictions", jurisdictions, methods=["GET"]),
    Route("/v1/rules", rules, methods=["GET"]),
    Route("/v1/rules/{rule_id:path}", rule, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/v1/admin/reload", reload, methods=["POST"]),
    Route("/openapi.json", openapi_json, methods=["GET"]),
]


def create_app(settings: ServerSettings | None = None, **options: Any) -> Starlette:
    """The ASGI application. `options` are `ServerSettings` fields (rules, engine, …); the
    rule library is loaded now, so a broken one raises `RuleError` here."""
    service = Service(dataclasses.replace(settings or ServerSettings(), **options))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        service.close()  # the decision log: what is queued is written, then flushed to disk

    app = Starlette(
        routes=ROUTES,
        exception_handlers={HTTPException: http_error, Exception: internal_error},
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_middleware(_Edge, service=service)
    return app


# -- OpenAPI -----------------------------------------------------------------------------------
@functools.cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document, its schemas taken from the shipped JSON Schemas (built once)."""
    components: dict[str, Any] = {}

    def schema(which: str) -> dict[str, Any]:
        raw = json.loads(schema_text(which))
        for name, definition in raw.pop("$defs", {}).items():
            components[name] = definition
        raw.pop("$schema", None)
        raw.pop("$id", None)
        components[raw.get("title", which)] = raw
        return {"$ref": f"#/components/schemas/{raw.get('title', which)}"}

    practice, assessment, timeline = schema("practice"), schema("assessment"), schema("timeline")
    text = json.dumps(components).replace('"#/$defs/', '"#/components/schemas/')
    problem = {"description": "invalid: `problems`, each with code, message, file, line, field, valid, suggestion"}
    json_body = {"content": {"application/json": {"schema": {"type": "object"}}}}

    def get(summary: str, params: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
        parameters = [
            {"name": n, "in": "query", "required": False, "description": d, "schema": {"type": "string"}}
            for n, d in params
        ]
        return {"get": {"summary": summary, "parameters": parameters, "responses": {"200": json_body}}}

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "jurisdiction",
            "version": __version__,
            "description": "Which notice, consent, opt-out, policy update or assessment a planned data practice "
            "needs, jurisdiction by jurisdiction. Every response names the rule library's revision "
            "(header `X-Rules-Revision`, field `rules_revision`).",
        },
        "paths": {
            "/v1/assessments": {
                "post": {
                    "summary": "Assess a practice spec",
                    "parameters": [
                        {
                            "name": "today",
                            "in": "query",
                            "required": False,
                            "description": "Evaluation date (default: the server's date).",
                            "schema": {"type": "string", "format": "date"},
                        },
                        {
                            "name": "accept_uncovered",
                            "in": "query",
                            "required": False,
                            "description": "true: users where the library has no law do not fail the gate.",
                            "schema": {"type": "boolean", "default": False},
                        },
                        {
                            "name": "fail_on",
                            "in": "query",
                            "required": False,
                            "description": "The gate: fails at or past this verdict.",
                            "schema": {"enum": list(FAIL_ON), "default": "blocked"},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "description": "A practice spec, JSON or YAML (by Content-Type).",
                        "content": {
                            "application/json": {"schema": practice},
                            "application/yaml": {"schema": {"type": "string", "description": "The spec as YAML."}},
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The assessment (as `jurisdiction check --format json`), with `gate` "
                            "and `decision_id`.",
                            "content": {"application/json": {"schema": assessment}},
                        },
                        "413": {"description": "body too large"},
                        "408": {"description": "the body did not arrive in time"},
                        "415": {"description": "unsupported Content-Type"},
                        "422": problem,
                    },
                }
            },
            "/v1/timelines": {
                "post": {
                    "summary": "A practice spec's timeline: the dates on which obligations fall due, laws come "
                    "into force or the assessment changes",
                    "parameters": [
                        {
                            "name": "from",
                            "in": "query",
                            "required": False,
                            "description": "First day of the window (default: the server's date).",
                            "schema": {"type": "string", "format": "date"},
                        },
                        {
                            "name": "until",
                            "in": "query",
                            "required": False,
                            "description": "Last day of the window (default: a year after `from`).",
                            "schema": {"type": "string", "format": "date"},
                        },
                        {
                            "name": "fail_within",
                            "in": "query",
                            "required": False,
                            "description": "The gate: fails when an unmet obligation is due within this many days "
                            "of `from`, or already overdue (`gate.passed`).",
                            "schema": {"type": "integer", "minimum": 0},
                        },
                        {
                            "name": "fail_on_warnings",
                            "in": "query",
                            "required": False,
                            "description": "true: warning-severity obligations count toward the gate.",
                            "schema": {"type": "boolean", "default": False},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "description": "A practice spec, JSON or YAML (by Content-Type).",
                        "content": {
                            "application/json": {"schema": practice},
                            "application/yaml": {"schema": {"type": "string", "description": "The spec as YAML."}},
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The timeline (as `jurisdiction timeline --format json`).",
                            "content": {"application/json": {"schema": timeline}},
                        },
                        "413": {"description": "body too large"},
                        "408": {"description": "the body did not arrive in time"},
                        "415": {"description": "unsupported Content-Type"},
                        "422": problem,
                    },
                }
            },
            "/v1/jurisdictions": get("Codes, names and groups", (("query", "A code, name or group."),)),
            "/v1/rules": get("The laws of the rule library"),
            "/v1/rules/{rule_id}": {
                "get": {
                    "summary": "One law (by law id) or one rule (by `law/rule` id)",
                    "parameters": [{"name": "rule_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": json_body, "404": {"description": "no such law or rule"}},
                }
            },
            "/healthz": get("Liveness"),
            "/readyz": get("Readiness: a rule library is loaded"),
            "/v1/admin/reload": {
                "post": {
                    "summary": "Re-read the rule library; a broken one is rejected and the old one keeps serving",
                    "responses": {
                        "200": json_body,
                        "401": {"description": "missing or wrong bearer token"},
                        "403": {"description": "reload over HTTP is off"},
                        "422": problem,
                    },
                }
            },
        },
        "components": {"schemas": json.loads(text)},
    }
