"""``/api/collections``: the catalog of collections (superusers only)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.bodies import read_body
from ferrybase.api.context import core_of, superuser_of
from ferrybase.api.listing import envelope, page_of
from ferrybase.api.responses import json_response, no_content
from ferrybase.errors import BadRequestError, InvalidBodyError

TYPE_LOAD_FAILED = "Failed to load the collection type data due to invalid formatting."


async def list_collections(request: Request) -> Response:
    await superuser_of(request)
    core = await core_of(request)
    page = page_of(request)
    collections, total = await core.catalog.page(
        filter=request.query_params.get("filter", ""),
        sort=request.query_params.get("sort", ""),
        limit=page.per_page,
        offset=page.offset,
        count=not page.skip_total,
    )
    items = [c.to_api() for c in collections]
    return json_response(envelope(items, page, total), request=request)


async def view_collection(request: Request) -> Response:
    await superuser_of(request)
    collection = await (await core_of(request)).catalog.get(request.path_params["collection"])
    return json_response(collection.to_api(), request=request)


async def create_collection(request: Request) -> Response:
    await superuser_of(request)
    core = await core_of(request)
    collection = await core.catalog.create(await _definition(request))
    return json_response(collection.to_api(), request=request)


async def update_collection(request: Request) -> Response:
    await superuser_of(request)
    core = await core_of(request)
    name = request.path_params["collection"]
    collection = await core.catalog.update(name, await _definition(request))
    return json_response(collection.to_api(), request=request)


async def delete_collection(request: Request) -> Response:
    await superuser_of(request)
    await (await core_of(request)).catalog.delete(request.path_params["collection"])
    return no_content()


async def truncate_collection(request: Request) -> Response:
    await superuser_of(request)
    await (await core_of(request)).catalog.truncate(request.path_params["collection"])
    return no_content()


async def scaffolds(request: Request) -> Response:
    await superuser_of(request)
    return json_response((await core_of(request)).catalog.scaffolds(), request=request)


async def _definition(request: Request) -> dict[str, Any]:
    try:
        return await read_body(request)
    except InvalidBodyError as exc:
        raise BadRequestError(TYPE_LOAD_FAILED) from exc


async def import_collections(request: Request) -> Response:
    await superuser_of(request)
    core = await core_of(request)
    body = await read_body(request)
    await core.catalog.import_collections(body.get("collections"), bool(body.get("deleteMissing")))
    return no_content()
