"""The HTTP protocol the service runs on: uvicorn's, guarded where uvicorn has no guard.

uvicorn bounds an idle keep-alive connection (`--keep-alive`) and the number of connections
(`--max-connections`, then 503), but not a request head that never ends: a client that opens a
connection and sends nothing, or dribbles its headers, holds it for ever, and a 100 MB header
is read whole. Measured before this guard: 2,500 half-open connections made every legitimate
request fail. The guard, through asyncio's public protocol methods only:

- a request head must arrive within `HEADER_SECONDS` of the connection (else 408 and close);
- a request head may be at most `HEADER_BYTES` (else 431 and close), counted as it arrives.

Later requests on a kept-alive connection are bounded by the keep-alive timeout until their
first byte arrives.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
from typing import Any

__all__ = ["HEADER_BYTES", "HEADER_SECONDS", "GuardedProtocol"]

HEADER_SECONDS = 10.0
HEADER_BYTES = 64 * 1024

if importlib.util.find_spec("httptools") is not None:  # uvicorn's "auto" choice
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
else:  # pragma: no cover - the serve extra installs httptools on CPython
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base  # type: ignore[assignment]


class GuardedProtocol(_Base):
    """uvicorn's HTTP protocol, with a deadline and a size limit on the first request head."""

    def connection_made(self, transport: Any) -> None:
        self._guard_transport = transport
        self._guard_seen = 0
        self._guard_tail = b""
        self._guard_open = True
        loop = asyncio.get_running_loop()
        self._guard_timer = loop.call_later(HEADER_SECONDS, self._guard_timeout)
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._guard_open:
            window = self._guard_tail + data
            if b"\r\n\r\n" in window:
                self._guard_open = False
                self._guard_timer.cancel()
            else:
                self._guard_seen += len(data)
                self._guard_tail = window[-3:]
                if self._guard_seen > HEADER_BYTES:
                    self._guard_refuse(431, "Request Header Fields Too Large", "the request head is too large")
                    return
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard_timer.cancel()
        super().connection_lost(exc)

    def _guard_timeout(self) -> None:
        if self._guard_open:
            self._guard_refuse(408, "Request Timeout", f"the request head did not arrive within {HEADER_SECONDS:g} s")

    def _guard_refuse(self, status: int, reason: str, message: str) -> None:
        self._guard_open = False
        self._guard_timer.cancel()
        body = json.dumps({"error": message}).encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        ).encode()
        if not self._guard_transport.is_closing():
            self._guard_transport.write(head + body)
            self._guard_transport.close()
