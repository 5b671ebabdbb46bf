"""Running the service (`jurisdiction serve`): uvicorn, in one process or several.

- One process (`--workers 1`): uvicorn's server. SIGHUP re-reads the rule library in the
  process (a broken library is rejected and the old one keeps serving) and reopens the
  decision log; SIGTERM/SIGINT stop accepting, let in-flight requests finish, then exit 0.
- Several (`--workers N`): uvicorn's own supervisor (`uvicorn.supervisors.Multiprocess`).
  The workers accept from one shared socket, so a worker busy with a request takes no new
  connection while another is free. The supervisor replaces a worker that dies or stops
  answering its health check, without a limit; SIGHUP replaces the workers one at a time,
  each only once its successor is ready, so a broken library never replaces a working one;
  SIGTERM/SIGINT stop them all gracefully. When a worker cannot start at all, the supervisor
  stops and `run_server` returns 1, for the orchestrator to see. A worker whose supervisor
  is gone (killed outright) stops within a second, instead of serving on as an orphan.
- The settings reach the workers in the environment (`JURISDICTION_*`, `ServerSettings`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import os
import signal
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from jurisdiction.errors import RuleError
from jurisdiction.service.app import Library, Service, create_app
from jurisdiction.service.protocol import GuardedProtocol
from jurisdiction.service.settings import ServerSettings

__all__ = ["run_server", "worker_app"]

log = logging.getLogger("jurisdiction.service")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "access": {"format": "%(asctime)s %(message)s"},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"},
        "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "jurisdiction": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


def _config(app: Any, settings: ServerSettings, **extra: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=LOGGING,
        access_log=settings.access_log,
        timeout_keep_alive=settings.keep_alive_seconds,
        limit_concurrency=settings.max_connections,
        timeout_graceful_shutdown=10,
        server_header=False,
        lifespan="on",
        http=GuardedProtocol,  # uvicorn's protocol with a request-head deadline and size limit
        **extra,
    )


def _settle() -> None:
    """Move what is loaded now (the rule library: some 85,000 objects) out of the cyclic
    garbage collector's sight: a full collection over it takes about 20 ms and would land on
    whichever requests are in flight. Only in a process of ours, never in an embedding app."""
    gc.collect()
    gc.freeze()


def _reload_on_hup(service: Service) -> None:
    def reload() -> None:
        try:
            old, new = service.reload()
        except RuleError as exc:  # a broken library: keep serving the old one
            log.error("SIGHUP: the rule library does not load; still serving %s:\n%s", service.library.revision, exc)
            return
        gc.unfreeze()
        _settle()
        log.info("SIGHUP: rule library %s -> %s", old, new)

    signal.signal(signal.SIGHUP, lambda signum, frame: threading.Thread(target=reload, daemon=True).start())


def worker_app() -> Starlette:
    """The app of one worker under the supervisor (uvicorn calls it, `factory=True`): its
    settings from the environment; it stops when its supervisor is gone."""
    # the supervisor's pid, from the supervisor itself: read from os.getppid() here, it could
    # already be init's, had the supervisor died while this worker was starting
    settings = ServerSettings.from_environment(os.environ)
    supervisor = settings.supervisor_pid or os.getppid()

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful stop

    threading.Thread(target=watch, name="jurisdiction-orphan-watch", daemon=True).start()
    try:
        app = create_app(settings)
    except RuleError as exc:
        # it would fail the same way on every restart: uvicorn's supervisor stops on this code
        log.error("the rule library does not load; this worker cannot start:\n%s", exc)
        raise SystemExit(STARTUP_FAILURE) from None
    _settle()
    return app


def run_server(settings: ServerSettings | None = None, **options: Any) -> int:
    """Serve until SIGTERM or SIGINT; returns the exit code (0 after a graceful stop; 1 when
    the workers could not be kept). Raises `RuleError` when the rule library does not load at
    start (the CLI reports it, exit code 2)."""
    settings = ServerSettings(**options) if settings is None else settings
    if settings.workers <= 1:
        app = create_app(settings)
        _reload_on_hup(app.state.service)
        # uvicorn stops gracefully on SIGTERM/SIGINT, then raises the signal again with the
        # handlers it found: harmless ones, so that a graceful stop exits with code 0
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda signum, frame: None)
        _settle()
        server = uvicorn.Server(_config(app, settings))
        server.run()
        return 0 if server.started else 1
    Library.load(settings)  # fail fast, with the library's problems, before any worker starts
    # the workers' settings, with the supervisor's pid (a worker stops when it is gone, and an
    # admin reload on one worker has the supervisor replace them all)
    os.environ.update(dataclasses.replace(settings, supervisor_pid=os.getpid()).environment())
    config = _config("jurisdiction.service.run:worker_app", settings, factory=True, workers=settings.workers)
    sock = config.bind_socket()
    supervisor = Multiprocess(config, sockets=[sock])
    try:
        supervisor.run()
    finally:
        with contextlib.suppress(OSError):
            sock.close()
    failed = [p for p in supervisor.processes if p.exitcode == STARTUP_FAILURE]
    return 1 if failed else 0
