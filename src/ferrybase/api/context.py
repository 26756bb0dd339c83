"""What a handler needs from the request besides its body: the core and the caller's auth."""

from __future__ import annotations

from starlette.requests import Request

from ferrybase.core.app import Core
from ferrybase.core.records import GUEST, Auth


def core_of(request: Request) -> Core:
    core: Core = request.app.state.core
    return core


def token_of(request: Request) -> str:
    """The token of the ``Authorization`` header, with or without ``Bearer`` (any case)."""
    value = request.headers.get("authorization", "").strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value


async def auth_of(request: Request) -> Auth:
    """The caller: a bad or missing token makes a guest (routes that need auth say 401)."""
    cached: Auth | None = request.scope.get("ferrybase.auth")
    if cached is not None:
        return cached
    token = token_of(request)
    auth = await core_of(request).auth.authenticate(token) if token else GUEST
    request.scope["ferrybase.auth"] = auth
    return auth
