"""``POST /api/collections/{collection}/auth-with-password`` and ``auth-refresh``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.bodies import read_body
from ferrybase.api.context import auth_of, caller_of, core_of, peer_ip, token_of
from ferrybase.api.responses import json_response
from ferrybase.core.mfa import METHOD_PASSWORD
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
    token = core.auth.issue_token(record)
    return await auth_response(request, token, record, METHOD_PASSWORD, mfa_id_of(request, body))


async def auth_refresh(request: Request) -> Response:
    core = await core_of(request)
    collection = core.auth.auth_collection(request.path_params["collection"])
    record = core.auth.refresh(collection, await auth_of(request))
    token = token_of(request)
    # Only refreshable tokens are renewed; an impersonation token comes back as it is.
    if core.auth.tokens.unverified_claims(token).get("refreshable") is True:
        token = core.auth.issue_token(record)
    return await auth_response(request, token, record)


def mfa_id_of(request: Request, body: dict[str, Any]) -> str:
    """The MFA session a second factor continues: ``?mfaId=`` or the body's ``mfaId``."""
    value = request.query_params.get("mfaId") or body.get("mfaId") or ""
    if not isinstance(value, str):
        raise InvalidBodyError()
    return value


async def auth_response(
    request: Request,
    token: str,
    record: Record,
    method: str = "",
    mfa_id: str = "",
    extra: dict[str, Any] | None = None,
) -> Response:
    """``{record, token}`` (plus ``extra``, e.g. OAuth2's ``meta``) once the auth rule holds
    and, for a sign-in by ``method``, MFA is satisfied; else ``401 {"mfaId"}`` (no
    envelope), as PocketBase's recordAuthResponse.

    ``method`` is ``""`` for refresh and impersonation, which never ask for a second factor.
    """
    core = await core_of(request)
    caller = await caller_of(request)
    await core.auth.check_auth_rule(record, caller)
    pending = await core.auth.second_factor(record, method, mfa_id, caller)
    if pending:
        return json_response({"mfaId": pending}, 401)
    if method:
        # A sign-in (not a refresh or an impersonation): note where it came from.
        ip = peer_ip(request)
        await core.origins.note(record, ip, request.headers.get("user-agent", ""))
    # The signed-in record always sees its own email.
    if "expand" in request.query_params:
        caller = Caller(Auth(record), query=dict(request.query_params))
        await core.records.expand([record], request.query_params["expand"], caller)
    body = {"record": record.public(Auth(record)), "token": token, **(extra or {})}
    return json_response(body, request=request)
