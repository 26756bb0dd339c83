"""What a handler needs from the request besides its body: the core and the caller's auth."""

from __future__ import annotations

from starlette.requests import Request

from ferrybase.core.app import Core
from ferrybase.core.records import GUEST, Auth
from ferrybase.core.rules import Caller
from ferrybase.errors import ForbiddenError, UnauthorizedError
from ferrybase.filter import normalize_raw_headers

_FRESH = "ferrybase.fresh"
_AUTH = "ferrybase.auth"


async def core_of(request: Request) -> Core:
    """The core, its collections checked against the catalog version once per request."""
    core: Core = request.app.state.core
    if _FRESH not in request.scope:
        request.scope[_FRESH] = True
        await core.collections.refresh(core.store)
    return core


def peer_ip(request: Request) -> str:
    """The address of the connection's other end ("" when the server gives none)."""
    return request.client.host if request.client else ""


def token_of(request: Request) -> str:
    """The token of the ``Authorization`` header, with or without ``Bearer`` (any case)."""
    value = request.headers.get("authorization", "").strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value


async def auth_of(request: Request) -> Auth:
    """The caller: a bad or missing token makes a guest (routes that need auth say 401)."""
    cached: Auth | None = request.scope.get(_AUTH)
    if cached is not None:
        return cached
    token = token_of(request)
    auth = await (await core_of(request)).auth.authenticate(token) if token else GUEST
    request.scope[_AUTH] = auth
    return auth


async def superuser_of(request: Request) -> Auth:
    """The caller, who must be a superuser: 401 for guests, 403 for other records."""
    auth = await auth_of(request)
    if auth.record is None:
        raise UnauthorizedError()
    if not auth.is_superuser:
        raise ForbiddenError("The authorized record is not allowed to perform this action.")
    return auth


async def caller_of(request: Request, context: str = "default") -> Caller:
    """The caller as rules see it: auth, query, headers and method (the body comes later)."""
    auth = await auth_of(request)
    scope = request.scope
    return Caller(
        auth,
        query=dict(request.query_params) if scope["query_string"] else {},
        headers=normalize_raw_headers(scope["headers"]),
        method=scope["method"],
        context=context,
    )
