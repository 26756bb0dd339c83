"""``/api/collections/{collection}/records``: list, view, create, update and delete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.bodies import read_body
from ferrybase.api.context import caller_of, core_of
from ferrybase.api.listing import envelope, page_of
from ferrybase.api.responses import json_response, no_content
from ferrybase.core.app import Core
from ferrybase.core.files import close_uploads
from ferrybase.core.records import Record
from ferrybase.core.rules import Caller
from ferrybase.errors import BadRequestError, InvalidBodyError


async def _record_body(request: Request) -> dict[str, Any]:
    """PocketBase's record forms answer an unloadable body with the generic 400."""
    try:
        return await read_body(request, files=True)
    except InvalidBodyError as exc:
        raise BadRequestError() from exc


async def list_records(request: Request) -> Response:
    core, caller = await core_of(request), await caller_of(request)
    collection = core.records.collection(request.path_params["collection"])
    page = page_of(request)
    query = request.query_params
    records, total = await core.records.list(
        collection,
        caller,
        filter=query.get("filter", ""),
        sort=query.get("sort", ""),
        limit=page.per_page,
        offset=page.offset,
        count=not page.skip_total,
    )
    await _expand(core, records, request, caller)
    items = [r.public(caller.auth) for r in records]
    return json_response(envelope(items, page, total), request=request)


async def view_record(request: Request) -> Response:
    core, caller = await core_of(request), await caller_of(request)
    collection = core.records.collection(request.path_params["collection"])
    record = await core.records.view(collection, request.path_params["id"], caller)
    await _expand(core, [record], request, caller)
    return json_response(record.public(caller.auth), request=request)


async def create_record(request: Request) -> Response:
    core, caller = await core_of(request), await caller_of(request)
    collection = core.records.collection(request.path_params["collection"])
    body = await _record_body(request)
    try:
        record = await core.records.create(collection, body, caller)
    finally:
        close_uploads(body)
    await _expand(core, [record], request, caller)
    return json_response(record.public(caller.auth), request=request)


async def update_record(request: Request) -> Response:
    core, caller = await core_of(request), await caller_of(request)
    collection = core.records.collection(request.path_params["collection"])
    body = await _record_body(request)
    try:
        record = await core.records.update(collection, request.path_params["id"], body, caller)
    finally:
        close_uploads(body)
    await _expand(core, [record], request, caller)
    return json_response(record.public(caller.auth), request=request)


async def delete_record(request: Request) -> Response:
    core, caller = await core_of(request), await caller_of(request)
    collection = core.records.collection(request.path_params["collection"])
    await core.records.delete(collection, request.path_params["id"], caller)
    return no_content()


async def _expand(core: Core, records: list[Record], request: Request, caller: Caller) -> None:
    if not request.scope["query_string"]:
        return  # no query at all: no parsing either
    text = request.query_params.get("expand")
    if text is not None:
        await core.records.expand(records, text, caller)
