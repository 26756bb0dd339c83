"""``POST /api/collections/{collection}/auth-with-password`` and ``auth-refresh``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.bodies import read_body
from ferrybase.api.context import auth_of, core_of
from ferrybase.api.responses import json_response
from ferrybase.core.records import Auth, Record
from ferrybase.core.rules import Caller
from ferrybase.errors import InvalidBodyError


async def auth_with_password(request: Request) -> Response:
    core = await core_of(request)
    collection = core.auth.auth_collection(request.path_params["collection"])
    body = await read_body(request)
    identity, password = body.get("identity"), body.get("password")
    identity_field = body.get("identityField")
    for value in (identity, password, identity_field):
        # PocketBase decodes into a typed form: a number where text belongs cannot load.
        if value is not None and not isinstance(value, str):
            raise InvalidBodyError()
    record = await core.auth.with_password(collection, identity, password, identity_field)
    return await _auth_response(request, core.auth.issue_token(record), record)


async def auth_refresh(request: Request) -> Response:
    core = await core_of(request)
    collection = core.auth.auth_collection(request.path_params["collection"])
    record = core.auth.refresh(collection, await auth_of(request))
    return await _auth_response(request, core.auth.issue_token(record), record)


async def _auth_response(request: Request, token: str, record: Record) -> Response:
    # The signed-in record always sees its own email.
    if "expand" in request.query_params:
        caller = Caller(Auth(record), query=dict(request.query_params))
        core = await core_of(request)
        await core.records.expand([record], request.query_params["expand"], caller)
    body = {"record": record.public(Auth(record)), "token": token}
    return json_response(body, request=request)
