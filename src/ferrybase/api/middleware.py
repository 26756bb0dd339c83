"""One pure-ASGI middleware for what every response shares.

- PocketBase's security headers and CORS (``*`` by default; preflight answers 204);
- the body limit: a declared ``Content-Length`` over the limit is refused before anything is
  read, and a body that grows past it while streaming stops being read at that point;
- one structured access-log line per request (method, path, status, time; never a token).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, TextIO

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ferrybase.errors import PayloadTooLargeError

access_log = logging.getLogger("ferrybase.access")


class AccessLog:
    """Where the access lines go: through :mod:`logging` (one record a line, what tests and
    embedders see), or, once :meth:`to_stream` is called (a server worker), straight to a
    stream, the lines of one event-loop turn in one write: a logging record costs more than
    a whole health check's handler."""

    def __init__(self) -> None:
        self._stream: TextIO | None = None
        self._lines: list[str] = []

    def to_stream(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, line: str) -> None:
        if self._stream is None:
            access_log.info(line)
            return
        if not self._lines:
            asyncio.get_running_loop().call_soon(self.flush)
        self._lines.append(line)

    def flush(self) -> None:
        if self._stream is None or not self._lines:
            return
        text = "\n".join(self._lines) + "\n"
        self._lines.clear()
        self._stream.write(text)
        self._stream.flush()


ACCESS_LOG = AccessLog()

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"x-xss-protection", b"1; mode=block"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"vary", b"Origin"),
]
_ALLOW_METHODS = b"GET,HEAD,PUT,PATCH,POST,DELETE"


class BodyTooLarge(PayloadTooLargeError):
    """Raised from ``receive`` when the streamed body passes the limit."""


class HttpMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = _headers(scope)
        origin = headers.get(b"origin")
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = list(_SECURITY_HEADERS)
                own = message.get("headers", [])
                if any(k == b"content-security-policy" for k, _ in own):
                    # A served file (api/files.py): it brings its own sandbox, and may be
                    # embedded, as PocketBase drops X-Frame-Options there.
                    extra = [h for h in extra if h[0] != b"x-frame-options"]
                if origin is not None:
                    extra.append((b"access-control-allow-origin", b"*"))
                if status == 413:
                    # The rest of the body was never read: the connection cannot be reused.
                    extra.append((b"connection", b"close"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
                status = 204
                await _preflight(send, headers)
            elif _declared_length(headers) > self.max_body_size:
                status = 413
                await _too_large(send_with_headers)
            else:
                limited = _limited_receive(receive, self.max_body_size)
                await self.app(scope, limited, send_with_headers)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                ACCESS_LOG.write(
                    orjson.dumps(
                        {
                            "method": scope["method"],
                            "path": scope["path"],
                            "status": status or 500,
                            "ms": round((time.perf_counter() - started) * 1000, 3),
                            "ip": (scope.get("client") or ("", 0))[0],
                        }
                    ).decode()
                )


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope["headers"]}


def _declared_length(headers: dict[bytes, bytes]) -> int:
    raw = headers.get(b"content-length")
    return int(raw) if raw and raw.isdigit() else 0


def _limited_receive(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
        return message

    return limited


async def _preflight(send: Send, headers: dict[bytes, bytes]) -> None:
    out: list[tuple[bytes, bytes]] = [
        (b"access-control-allow-methods", _ALLOW_METHODS),
        (b"access-control-allow-origin", b"*"),
        (b"vary", b"Origin"),
        (b"vary", b"Access-Control-Request-Method"),
        (b"vary", b"Access-Control-Request-Headers"),
    ]
    requested = headers.get(b"access-control-request-headers")
    if requested:
        out.append((b"access-control-allow-headers", requested))
    await send({"type": "http.response.start", "status": 204, "headers": out})
    await send({"type": "http.response.body", "body": b""})


async def _too_large(send: Send) -> None:
    body = orjson.dumps({"data": {}, "message": BodyTooLarge.default_message, "status": 413})
    headers: list[tuple[bytes, Any]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
