"""The one table from error class to HTTP status, and the one renderer of error bodies.

Every error leaves as PocketBase's envelope ``{"data": {}, "message": "...", "status": N}``.
Anything not in the table is a 500 with a generic message; its traceback goes to the log,
never to the client.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.responses import json_response
from ferrybase.errors import (
    BadRequestError,
    ConflictError,
    FerrybaseError,
    FilterError,
    FilterForbiddenError,
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    StoreError,
    TooManyRequestsError,
    UnauthorizedError,
)

log = logging.getLogger("ferrybase.errors")

STATUS: dict[type[FerrybaseError], int] = {
    FilterForbiddenError: 403,
    BadRequestError: 400,
    UnauthorizedError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 400,
    PayloadTooLargeError: 413,
    TooManyRequestsError: 429,
}

INTERNAL_MESSAGE = "Something went wrong while processing your request."
NOT_FOUND_FILE = "File not found."


def status_of(exc: FerrybaseError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def envelope(status: int, message: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """PocketBase's error body; the message always ends with a period."""
    if not message.endswith("."):
        message += "."
    return {"data": data or {}, "message": message, "status": status}


def error_response(status: int, message: str, data: dict[str, Any] | None = None) -> Response:
    return json_response(envelope(status, message, data), status)


def envelope_of(exc: FerrybaseError) -> dict[str, Any]:
    """The body an error answers with (also what a failed batch item embeds)."""
    if isinstance(exc, StoreError):
        log.error("unhandled error", exc_info=exc)
        return envelope(500, INTERNAL_MESSAGE)
    if isinstance(exc, FilterError) and not isinstance(exc, FilterForbiddenError):
        # PocketBase answers every unusable filter or sort with its generic 400; the detail
        # (what is wrong, and where) goes to the log for the developer.
        log.info("filter refused: %s", exc.message)
        return envelope(400, INTERNAL_MESSAGE)
    return envelope(status_of(exc), exc.message, exc.data)


def render_error(exc: FerrybaseError) -> Response:
    body = envelope_of(exc)
    return json_response(body, body["status"])


def render_unexpected(exc: BaseException) -> Response:
    log.error("unhandled error", exc_info=exc)
    return error_response(500, INTERNAL_MESSAGE)


async def handle_ferrybase_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FerrybaseError)
    return render_error(exc)


async def handle_not_found(request: Request, exc: Exception) -> Response:
    # PocketBase sends every unmatched GET to its static file server, hence two messages.
    if request.method in ("GET", "HEAD"):
        return error_response(404, NOT_FOUND_FILE)
    return error_response(404, NotFoundError.default_message)
