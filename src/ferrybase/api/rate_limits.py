"""The rate limiter on the request path: labels from the route, 429 when a window is used up.

A pure-ASGI middleware inside :class:`~ferrybase.api.middleware.HttpMiddleware` (so a 429
carries the same headers and access-log line as any answer). What it skips, in PocketBase's
order: everything while ``rateLimits.enabled`` is off, superusers, ``excludedIPs``.

Routes acting on a collection get PocketBase's collection tags and a counter per collection
and route (``posts:create``, ``*:create``, ``users:auth``); every other route gets the path
labels and a counter per rule, shared by every path the rule covers (PocketBase's ``rtId``).
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ferrybase.api.context import auth_of, core_of, peer_ip, token_of
from ferrybase.api.errors import error_response
from ferrybase.core.app import Core
from ferrybase.core.rate_limits import (
    AUTH_AUDIENCES,
    GUEST_AUDIENCES,
    RateLimiter,
    collection_labels,
    path_labels,
)
from ferrybase.core.records import GUEST
from ferrybase.errors import StoreError, TooManyRequestsError

log = logging.getLogger("ferrybase.rate_limits")

# (method, what follows /api/collections/{collection}/) -> PocketBase's tags for the route.
_COLLECTION_ROUTES: dict[tuple[str, str], tuple[str, ...]] = {
    ("GET", "records"): ("list",),
    ("POST", "records"): ("create",),
    ("GET", "records/*"): ("view",),
    ("PATCH", "records/*"): ("update",),
    ("DELETE", "records/*"): ("delete",),
    ("GET", "auth-methods"): ("listAuthMethods",),
    ("POST", "auth-refresh"): ("authRefresh",),
    ("POST", "auth-with-password"): ("authWithPassword", "auth"),
    ("POST", "auth-with-oauth2"): ("authWithOAuth2", "auth"),
    ("POST", "request-otp"): ("requestOTP",),
    ("POST", "auth-with-otp"): ("authWithOTP", "auth"),
    ("POST", "request-password-reset"): ("requestPasswordReset",),
    ("POST", "confirm-password-reset"): ("confirmPasswordReset",),
    ("POST", "request-verification"): ("requestVerification",),
    ("POST", "confirm-verification"): ("confirmVerification",),
    ("POST", "request-email-change"): ("requestEmailChange",),
    ("POST", "confirm-email-change"): ("confirmEmailChange",),
}
_COLLECTIONS_PREFIX = "/api/collections/"
_FILES_PREFIX = "/api/files/"


def collection_route(method: str, path: str) -> tuple[str, str, tuple[str, ...]] | None:
    """``(collection, route pattern, tags)`` of a route acting on one collection, else None."""
    if path.startswith(_COLLECTIONS_PREFIX):
        parts = path[len(_COLLECTIONS_PREFIX) :].split("/")
        if len(parts) == 2:
            rest = parts[1]
        elif len(parts) == 3 and parts[1] == "records" and parts[2]:
            rest = "records/*"
        else:
            return None
        # A GET route answers HEAD too, under the GET route's tags and counter.
        route_method = "GET" if method == "HEAD" else method
        tags = _COLLECTION_ROUTES.get((route_method, rest))
        if tags is None or not parts[0]:
            return None
        return parts[0], f"{route_method} {rest}", tags
    if path.startswith(_FILES_PREFIX) and method in ("GET", "HEAD"):
        parts = path[len(_FILES_PREFIX) :].split("/")
        if len(parts) == 3 and all(parts):
            return parts[0], "GET files", ("file",)
    return None


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._limiter: RateLimiter | None = None

    def limiter(self, scope: Scope) -> RateLimiter:
        core: Core = scope["app"].state.core
        if self._limiter is None or self._limiter.store is not core.store:
            self._limiter = RateLimiter(core.store, core.settings.load)
            scope["app"].state.rate_limiter = self._limiter
        return self._limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limiter = self.limiter(scope)
        if scope["method"] == "PATCH" and scope["path"] == "/api/settings":
            send = _invalidating(send, limiter)
        config = await limiter.config()
        if config.enabled and not await _allowed(
            Request(scope), limiter, scope["method"], scope["path"]
        ):
            too_many = error_response(429, TooManyRequestsError.default_message)
            await too_many(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def check_rate_limit(request: Request, method: str, path: str) -> None:
    """Count one inner request of ``request`` (a batch's sub-request, as PocketBase counts
    them); raise :class:`TooManyRequestsError` once its window is used up."""
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is None or not (await limiter.config()).enabled:
        return
    if not await _allowed(request, limiter, method, path):
        raise TooManyRequestsError()


async def client_ip(request: Request) -> str:
    """The client's address as PocketBase's ``RealIP`` finds it: the ``trustedProxy``
    headers of the settings, else the peer."""
    remote = peer_ip(request)
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is None:
        return remote
    return (await limiter.config()).client_ip(request.headers.getlist, remote)


async def _allowed(request: Request, limiter: RateLimiter, method: str, path: str) -> bool:
    config = await limiter.config()
    ip = config.client_ip(request.headers.getlist, peer_ip(request))
    if not ip or config.is_excluded(ip):
        return True  # PocketBase lets a request without a client address through
    auth = await auth_of(request) if token_of(request) else GUEST
    if auth.is_superuser:
        return True
    audiences = GUEST_AUDIENCES if auth.record is None else AUTH_AUDIENCES
    route = collection_route(method, path)
    if route is not None:
        collection = (await core_of(request)).collections.get(route[0])
        if collection is None:
            # Falls through to the handler's 404 uncounted, as in PocketBase, which looks
            # the collection up before it counts.
            return True
        _, pattern, tags = route
        rule = config.find_rule(collection_labels(collection.name, tags, method, path), audiences)
        key = f"{collection.id} {pattern} {'+'.join(tags)}"
    else:
        rule = config.find_rule(path_labels(method, path), audiences)
        key = rule.label if rule is not None else ""
    if rule is None:
        return True
    try:
        return await limiter.allow(f"{config.fingerprint}|{key}{rule.audience}|{ip}", rule)
    except StoreError:
        # The limiter fails open: a database hiccup costs a request's limit, not the request.
        log.warning("rate limit not counted", exc_info=True)
        return True


def _invalidating(send: Send, limiter: RateLimiter) -> Send:
    """``send`` that makes this process re-read the settings once they changed."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 200:
            limiter.invalidate()
        await send(message)

    return wrapped
