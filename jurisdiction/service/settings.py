"""How the service runs: one typed settings object, read once.

`jurisdiction serve` builds it from its flags; a worker process started by uvicorn's
supervisor (several workers) rebuilds the same object from the environment, where every
field is `JURISDICTION_<FIELD>` (`JURISDICTION_BODY_SECONDS=1`, `JURISDICTION_ADMIN_TOKEN=…`).

    >>> ServerSettings.from_environment({"JURISDICTION_PORT": "9000", "JURISDICTION_ACCESS_LOG": "0"}).port
    9000
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from jurisdiction.errors import UsageError

__all__ = ["PREFIX", "ServerSettings"]

PREFIX = "JURISDICTION_"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    """`jurisdiction serve`'s settings (each also `JURISDICTION_<NAME>` in the environment)."""

    host: str = "127.0.0.1"
    port: int = 8000
    rules: str | None = None  # the rule library folder (default: the shipped one)
    workers: int = 1  # processes; more than one runs under uvicorn's supervisor
    engine: str = "auto"
    decision_log: str | None = None  # a JSON-lines file of every assessment answered
    admin_token: str | None = None  # enables POST /v1/admin/reload
    max_body: int = 1_048_576  # the largest request body, bytes
    body_seconds: float = 10.0  # a request body must arrive within this time (else 408)
    access_log: bool = True  # one line per request on standard error
    keep_alive_seconds: int = 5  # an idle keep-alive connection is closed after this
    max_connections: int = 1000  # beyond this many connections and requests, new requests get 503
    supervisor_pid: int | None = None  # set by run_server for the workers it supervises

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], **overrides: Any) -> ServerSettings:
        """The settings named in `environ` (`JURISDICTION_*`), then `overrides`."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _parse(f.name, str(f.type), raw)
        values.update(overrides)
        return cls(**values)

    def environment(self) -> dict[str, str]:
        """The settings as `JURISDICTION_*` variables (for worker processes)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[PREFIX + f.name.upper()] = ("1" if value else "0") if isinstance(value, bool) else str(value)
        return out


def _parse(name: str, kind: str, raw: str) -> Any:
    try:
        if kind.startswith("bool"):
            if raw.strip().lower() not in _TRUE + _FALSE:
                raise ValueError(raw)
            return raw.strip().lower() in _TRUE
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
    except ValueError:
        raise UsageError(f"{PREFIX}{name.upper()}={raw!r} is not a valid {kind.split(' ')[0]}") from None
    return raw or None
