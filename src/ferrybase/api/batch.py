"""``POST /api/batch``: record creates, updates, upserts and deletes in one transaction.

All or nothing: the first failing item rolls everything back and the answer embeds that item's
own error envelope, as PocketBase does. Each item runs with the caller's auth and rules.

Multipart batches carry the JSON under ``@jsonPayload`` and each item's files as
``requests.N.field`` or ``requests[N].field``. The batch's file work shares one journal:
new files are deleted if the transaction fails, replaced ones only once it commits.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.bodies import read_body
from ferrybase.api.context import caller_of, core_of
from ferrybase.api.errors import envelope_of
from ferrybase.api.rate_limits import check_rate_limit
from ferrybase.api.responses import json_response
from ferrybase.core.app import Core
from ferrybase.core.files import close_uploads, uploads_in
from ferrybase.core.picker import apply_fields
from ferrybase.core.ports import Executor
from ferrybase.core.record_files import FileJournal
from ferrybase.core.rules import Caller
from ferrybase.errors import (
    BadRequestError,
    FerrybaseError,
    FieldError,
    ForbiddenError,
    InvalidBodyError,
    ValidationError,
)

_RECORDS = re.compile(r"^/api/collections/(?P<collection>[^/?#]+)/records(?:/(?P<id>[^/?#]+))?/?$")
INVALID = "Invalid batch request data."


async def batch(request: Request) -> Response:
    core = await core_of(request)
    caller = await caller_of(request)
    options = (await core.settings.load())["batch"]
    if not options["enabled"]:
        raise ForbiddenError("Batch requests are not allowed.")
    try:
        body = await read_body(request, files=True)
    except InvalidBodyError as exc:
        raise BadRequestError("Failed to read the submitted batch data.") from exc
    try:
        return await _batch(request, core, caller, body, options)
    finally:
        close_uploads(body)


async def _batch(
    request: Request, core: Core, caller: Caller, body: dict[str, Any], options: dict[str, Any]
) -> Response:
    items = _validated(body.get("requests"), int(options["maxRequests"]))
    _attach_files(body, items)
    # Each inner request counts against the rate limits as a request of its own would; counted
    # before the transaction, whose write lock the counters' own writes would wait for.
    for index, item in enumerate(items):
        try:
            await check_rate_limit(request, str(item["method"]).upper(), urlsplit(item["url"]).path)
        except FerrybaseError as exc:
            raise _failed(index, exc) from exc
    results: list[dict[str, Any]] = []
    journal = core.records.journal()
    try:
        async with asyncio.timeout(float(options["timeout"]) or None):
            async with core.store.transaction() as tx:
                for index, item in enumerate(items):
                    try:
                        results.append(await _run(core, caller, item, tx, journal))
                    except FerrybaseError as exc:
                        raise _failed(index, exc) from exc
    except TimeoutError as exc:
        await journal.rollback()
        raise BadRequestError("Batch transaction timeout.") from exc
    except BaseException:
        await journal.rollback()
        raise
    await journal.commit()
    return json_response(results)


_FILE_KEY = re.compile(r"^requests(?:\.(\d+)\.|\[(\d+)\]\.)(.+)$")


def _attach_files(body: dict[str, Any], items: list[dict[str, Any]]) -> None:
    """Each item's files (``requests.N.field``, ``requests[N].field``) into its body,
    replacing a value of the same key, as PocketBase does."""
    for key, value in body.items():
        match = _FILE_KEY.match(key)
        files = uploads_in(value)
        if match is None or not files:
            continue
        index = int(match[1] or match[2])
        if index < len(items):
            item_body = items[index].get("body")
            if item_body is None:
                item_body = items[index]["body"] = {}
            if isinstance(item_body, dict):
                item_body[match[3]] = files


def _validated(requests: Any, limit: int) -> list[dict[str, Any]]:
    if requests is None or requests == []:
        raise ValidationError(
            {"requests": FieldError("validation_required", "Cannot be blank.")}, INVALID
        )
    if not isinstance(requests, list):
        raise BadRequestError("Failed to read the submitted batch data.")
    if limit and len(requests) > limit:
        raise ValidationError(
            {
                "requests": FieldError(
                    "validation_length_too_long",
                    f"The length must be no more than {limit}.",
                    {"max": limit, "min": 0},
                )
            },
            INVALID,
        )
    errors: dict[str, Any] = {}
    for i, item in enumerate(requests):
        if not isinstance(item, dict):
            raise BadRequestError("Failed to read the submitted batch data.")
        item_errors = {
            key: FieldError("validation_required", "Cannot be blank.")
            for key in ("method", "url")
            if not isinstance(item.get(key), str) or not item.get(key)
        }
        if item_errors:
            errors[str(i)] = item_errors
    if errors:
        raise ValidationError({"requests": errors}, INVALID)
    return requests


async def _run(
    core: Core, caller: Caller, item: dict[str, Any], tx: Executor, files: FileJournal
) -> dict[str, Any]:
    method = str(item["method"]).upper()
    url = urlsplit(str(item["url"]))
    match = _RECORDS.match(url.path)
    body = item.get("body") or {}
    if match is None or not isinstance(body, dict):
        raise BadRequestError()
    query = dict(parse_qsl(url.query))
    record_id = match["id"]
    collection = core.records.collection(match["collection"])
    item_caller = Caller(caller.auth, body, query, caller.headers, method, caller.context)
    if method == "POST" and record_id is None:
        record = await core.records.create(collection, body, item_caller, tx, files)
    elif method == "PUT" and record_id is None:
        record = await core.records.upsert(collection, body, item_caller, tx, files)
    elif method == "PATCH" and record_id is not None:
        record = await core.records.update(collection, record_id, body, item_caller, tx, files)
    elif method == "DELETE" and record_id is not None:
        await core.records.delete(collection, record_id, item_caller, tx, files)
        return {"body": None, "status": 204}
    else:
        raise BadRequestError()
    if "expand" in query:
        await core.records.expand([record], query["expand"], item_caller)
    out: Any = record.public(caller.auth)
    if query.get("fields"):
        out = apply_fields(out, query["fields"])
    return {"body": out, "status": 200}


def _failed(index: int, exc: FerrybaseError) -> BadRequestError:
    response = envelope_of(exc)  # the item's own answer, as it would have been alone
    return BadRequestError(
        "Batch transaction failed.",
        {
            "requests": {
                str(index): {
                    "code": "batch_request_failed",
                    "message": "Batch request failed.",
                    "response": response,
                }
            }
        },
    )
