"""Request bodies into plain dicts: JSON, urlencoded forms and multipart (``@jsonPayload``).

Any other content type is a 400, as in PocketBase. The size limit is enforced while the body
streams in (``api/middleware.py``), so nothing past it is ever buffered.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request

from ferrybase.errors import BadRequestError, InvalidBodyError

UNSUPPORTED = "Unsupported Content-Type."


async def read_body(request: Request) -> dict[str, Any]:
    """The body as a dict; an empty body is ``{}``."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        raw = await request.body()
        return _json_object(raw) if raw.strip() else {}
    if content_type == "application/x-www-form-urlencoded":
        return _form_values(parse_qsl((await request.body()).decode("utf-8", "replace")))
    if content_type == "multipart/form-data":
        return await _multipart(request)
    if await request.body():
        raise BadRequestError(UNSUPPORTED)
    return {}


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidBodyError() from exc
    if not isinstance(value, dict):
        raise InvalidBodyError()
    return value


def _form_values(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            previous = out[key]
            out[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[key] = value
    return out


async def _multipart(request: Request) -> dict[str, Any]:
    try:
        form = await request.form()
    except ValueError as exc:  # python-multipart's parse errors, Starlette's limits
        raise InvalidBodyError() from exc
    fields: list[tuple[str, Any]] = []
    payload: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key == "@jsonPayload" and isinstance(value, str):
            payload.update(_json_object(value.encode()))
        else:
            fields.append((key, value))
    out = _form_values(fields)
    out.update(payload)
    return out
