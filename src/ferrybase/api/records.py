"""``/api/collections/{collection}/records``: create, view and delete."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.bodies import read_body
from ferrybase.api.context import auth_of, core_of
from ferrybase.api.responses import json_response, no_content


async def create_record(request: Request) -> Response:
    core, auth = await core_of(request), await auth_of(request)
    collection = core.records.collection(request.path_params["collection"])
    body = await read_body(request)
    record = await core.records.create(collection, body, auth)
    return json_response(record.public(auth), request=request)


async def view_record(request: Request) -> Response:
    core, auth = await core_of(request), await auth_of(request)
    collection = core.records.collection(request.path_params["collection"])
    record = await core.records.view(collection, request.path_params["id"], auth)
    return json_response(record.public(auth), request=request)


async def delete_record(request: Request) -> Response:
    core, auth = await core_of(request), await auth_of(request)
    collection = core.records.collection(request.path_params["collection"])
    await core.records.delete(collection, request.path_params["id"], auth)
    return no_content()
