"""Request bodies into plain dicts: JSON, urlencoded forms and multipart (``@jsonPayload``).

Any other content type is a 400, as in PocketBase. The size limit is enforced while the body
streams in (``api/middleware.py``), so nothing past it is ever buffered.

With ``files=True`` (record and batch routes) multipart file parts come through as
:class:`~ferrybase.core.files.UploadedFile` values (spooled to disk past 1 MiB), beside the
plain values of the same key; the caller closes them (``close_uploads``). Elsewhere file
parts are dropped.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request

from ferrybase.core.files import UploadedFile
from ferrybase.errors import BadRequestError, InvalidBodyError

UNSUPPORTED = "Unsupported Content-Type."


async def read_body(request: Request, *, files: bool = False) -> dict[str, Any]:
    """The body as a dict; an empty body is ``{}``."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        raw = await request.body()
        return _json_object(raw) if raw.strip() else {}
    if content_type == "application/x-www-form-urlencoded":
        text = (await request.body()).decode("utf-8", "replace")
        return _form_values(parse_qsl(text, keep_blank_values=True))
    if content_type == "multipart/form-data":
        return await _multipart(request, files)
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


async def _multipart(request: Request, files: bool) -> dict[str, Any]:
    try:
        form = await request.form()
    except ValueError as exc:  # python-multipart's parse errors, Starlette's limits
        raise InvalidBodyError() from exc
    fields: list[tuple[str, Any]] = []
    uploads: list[tuple[str, UploadedFile]] = []
    payload: dict[str, Any] = {}
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if value.filename:
                    if files:
                        uploads.append((key, _uploaded(value)))
                    else:
                        await value.close()
                else:  # a part with an empty file name is a plain value, as in Go
                    fields.append((key, (await value.read()).decode("utf-8", "replace")))
                    await value.close()
            elif key == "@jsonPayload":
                payload.update(_json_object(value.encode()))
            else:
                fields.append((key, value))
    except BaseException:
        await form.close()
        raise
    out = _form_values(fields)
    out.update(payload)
    # Files join the plain value of their key (names to keep), as PocketBase merges them.
    for key, upload in uploads:
        previous = out.get(key)
        if previous is None:
            out[key] = [upload]
        elif isinstance(previous, list):
            out[key] = [*previous, upload]
        else:
            out[key] = [previous, upload]
    return out


def _uploaded(part: UploadFile) -> UploadedFile:
    """The upload of a file part: its base name (no folders, as Go's ``FileName`` gives)."""
    name = part.filename or ""
    name = name.rsplit("/", 1)[-1]
    size = part.size
    if size is None:
        part.file.seek(0, 2)
        size = part.file.tell()
    return UploadedFile(name, part.file, size)
