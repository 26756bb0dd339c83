"""``/api/files``: file tokens, and downloads with thumbnails and range requests.

Downloads answer as PocketBase's ``filesystem.Serve`` (Go's ``http.ServeContent``): images,
video, audio and PDF inline, anything else as an attachment; a sandboxing
``Content-Security-Policy`` so HTML or SVG never runs in the API's origin; long caching;
``Last-Modified``/``If-Modified-Since``; one byte range (``Range: bytes=...``).

A file (or range) of up to 2 MiB on the local disk is read at once and sent as one body. A
larger whole file is handed to the HTTP server to send (the ASGI ``http.response.pathsend``
extension, which granian offers), so its bytes never pass through Python; without the
extension (uvicorn, tests), for a larger range, or from S3, the bytes are streamed.
"""

from __future__ import annotations

import posixpath
import re
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from ferrybase.api.context import auth_of, caller_of, core_of
from ferrybase.api.errors import NOT_FOUND_FILE
from ferrybase.api.rate_limits import client_ip
from ferrybase.api.responses import json_response
from ferrybase.core import sniff
from ferrybase.core.file_service import ServedFile
from ferrybase.errors import NotFoundError

# What a browser may show in place (PocketBase's inlineServeContentTypes).
INLINE = frozenset(
    {
        "image/png",
        "image/jpg",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/x-icon",
        "image/bmp",
        "video/webm",
        "video/mp4",
        "video/3gpp",
        "video/quicktime",
        "video/x-ms-wmv",
        "audio/basic",
        "audio/aiff",
        "audio/mpeg",
        "audio/midi",
        "audio/mp3",
        "audio/wave",
        "audio/wav",
        "audio/x-wav",
        "audio/x-mpeg",
        "audio/x-m4a",
        "audio/aac",
        "application/pdf",
        "application/x-pdf",
    }
)
# Content types PocketBase takes from the extension rather than the bytes.
BY_EXTENSION = {
    ".svg": "image/svg+xml",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
CSP = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
CACHE_CONTROL = "max-age=2592000, stale-while-revalidate=86400"
_RANGE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")
_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_PATHSEND = "http.response.pathsend"
# Up to this many bytes a local file is read at once on the event loop and sent as one body:
# from the page cache that takes well under a millisecond, far less CPU than a thread hop
# or the server's own file streaming (measured: bench/README.md).
READ_AT_ONCE = 2 << 20


async def file_token(request: Request) -> Response:
    """``POST /api/files/token``: a short-lived token for protected files (auth required)."""
    core = await core_of(request)
    token = core.files.token(await auth_of(request))
    return json_response({"token": token}, request=request)


async def download(request: Request) -> Response:
    """``GET /api/files/{collection}/{recordId}/{filename}``."""
    core = await core_of(request)
    if core.collections.get(request.path_params["collection"]) is None:
        raise NotFoundError("Missing or invalid collection context.")
    query = request.query_params
    token = query.get("token", "")
    served = await core.files.serve(
        request.path_params["collection"],
        request.path_params["record"],
        request.path_params["filename"],
        thumb=query.get("thumb", ""),
        token=token,
        caller=await caller_of(request),
        ip=await client_ip(request) if token else "",
    )
    return _serve(request, served, force_attachment=query.get("download", "") in _TRUE)


async def unmatched(request: Request) -> Response:
    """Any other ``GET /api/files/...``: PocketBase routes on the escaped path, so three
    segments with an encoded ``/`` inside (``..%2F..%2Fdata.db``) still reach its download
    handler, which finds nothing; other shapes fall through to its static files."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    segments = raw.split(b"?", 1)[0].removeprefix(b"/api/files/").split(b"/")
    if len(segments) == 3 and all(segments):
        raise NotFoundError()
    raise NotFoundError(NOT_FOUND_FILE)


def _serve(request: Request, served: ServedFile, *, force_attachment: bool) -> Response:
    info = served.info
    real_type = info.content_type
    disposition = (
        "inline"
        if not force_attachment and sniff.essence(real_type) in INLINE and ";" not in real_type
        else "attachment"
    )
    content_type = BY_EXTENSION.get(posixpath.splitext(served.key)[1], real_type)
    modified = info.modified.replace(microsecond=0)
    headers = {
        "content-disposition": f'{disposition}; filename="{served.name}"',
        "content-security-policy": CSP,
        "cache-control": CACHE_CONTROL,
        "accept-ranges": "bytes",
        "last-modified": format_datetime(modified, usegmt=True),
    }
    since = request.headers.get("if-modified-since")
    if since and _not_modified(since, modified):
        return Response(status_code=304, headers=headers)
    size = info.size
    start, end, status = 0, size, 200
    wanted = request.headers.get("range")
    if wanted and _range_applies(request, modified):
        parsed = _parse_range(wanted, size)
        if parsed is None:
            # as Go answers it: no caching, validator or range headers on the error
            del headers["cache-control"], headers["last-modified"], headers["accept-ranges"]
            headers["content-range"] = f"bytes */{size}"
            headers["content-type"] = "text/plain; charset=utf-8"
            return Response(b"invalid range: failed to overlap\n", 416, headers=headers)
        if parsed != _WHOLE:
            start, end = parsed
            status = 206
            headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
    headers["content-length"] = str(end - start)
    headers["content-type"] = content_type
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    storage, key = served.storage, served.key
    if end - start <= READ_AT_ONCE:
        try:
            body = storage.read_at_once(key, start, end)
        except FileNotFoundError as exc:  # deleted since the stat
            raise NotFoundError() from exc
        if body is not None:
            return Response(body, status, headers=headers)
    if status == 200 and _PATHSEND in request.scope.get("extensions", ()):
        path = storage.local_path(key)
        if path is not None:
            return PathSendResponse(path, headers)
    return StreamingResponse(storage.stream(key, start, end), status_code=status, headers=headers)


class PathSendResponse(Response):
    """A local file the server sends itself: the headers, then ``http.response.pathsend``."""

    def __init__(self, path: str, headers: dict[str, str]) -> None:
        super().__init__(status_code=200, headers=headers)
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = {"type": "http.response.start", "status": 200, "headers": self.raw_headers}
        await send(start)
        await send({"type": _PATHSEND, "path": self.path})


def _not_modified(since: str, modified: object) -> bool:
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return when is not None and when >= modified  # type: ignore[operator]


def _range_applies(request: Request, modified: object) -> bool:
    """``If-Range`` with a date: the range holds only if the file has not changed since."""
    condition = request.headers.get("if-range")
    if not condition:
        return True
    return _not_modified(condition, modified)


_WHOLE = (-1, -1)


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One ``bytes=`` range as ``(start, end)`` (end exclusive); ``_WHOLE`` when the header
    asks for several ranges or cannot be read (the whole file is served, as RFC 9110
    allows); ``None`` when the range lies past the end (416)."""
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return _WHOLE
    match = _RANGE.match(spec)
    if match is None or (not match[1] and not match[2]):
        return _WHOLE
    if not match[1]:  # the last N bytes
        tail = int(match[2])
        if tail == 0:
            return None
        return (max(size - tail, 0), size)
    start = int(match[1])
    if start >= size:
        return None
    end = size if not match[2] else min(int(match[2]) + 1, size)
    if end <= start:
        return _WHOLE
    return (start, end)
