"""``POST /api/collections/{collection}/auth-with-oauth2`` and ``/api/oauth2-redirect``.

The redirect endpoint is where a provider sends the browser back in the JS SDK's popup flow:
``{state, code[, error]}`` goes to the realtime client whose id is the ``state`` and that
subscribed to ``@oauth2`` (``app.state.oauth2_redirect_delivery``, set by ``api/app.py`` to
``core.realtime.send``, which reaches it in any process), then the browser is sent to a page
of the admin UI: the success page only when the client got a code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ferrybase.api.auth_password import auth_response, mfa_id_of
from ferrybase.api.bodies import read_body
from ferrybase.api.context import caller_of, core_of, peer_ip
from ferrybase.auth.oauth2 import Providers
from ferrybase.auth.oauth2.avatars import AvatarDownloads
from ferrybase.core.mfa import METHOD_OAUTH2
from ferrybase.core.oauth2 import OAuth2
from ferrybase.errors import FerrybaseError

PROVIDERS = Providers()
AVATARS = AvatarDownloads()

REDIRECT_FAILURE = "../_/#/auth/oauth2-redirect-failure"
REDIRECT_SUCCESS = "../_/#/auth/oauth2-redirect-success"
SUBSCRIPTION_TOPIC = "@oauth2"

# ``(state, {"state", "code"[, "error"]}, ip) -> delivered``: sends the message to the realtime
# client with id ``state`` if it is connected from ``ip`` and subscribed to ``@oauth2`` (the
# subscription then ends, as in PocketBase).
OAuth2Delivery = Callable[[str, dict[str, str], str], Awaitable[bool]]
DELIVERY_STATE_KEY = "oauth2_redirect_delivery"


async def no_realtime_client(state: str, message: dict[str, str], ip: str) -> bool:
    """The delivery of an app started without its lifespan (no realtime): never delivered,
    so every redirect lands on the failure page."""
    return False


async def auth_with_oauth2(request: Request) -> Response:
    core = await core_of(request)
    collection = core.auth.auth_collection(request.path_params["collection"])
    body = await read_body(request)
    caller = await caller_of(request)
    result = await OAuth2(core.records, PROVIDERS, AVATARS).sign_in(collection, body, caller)
    record = result.record
    # As PocketBase: the record is made or linked first; then the auth rule and MFA apply.
    return await auth_response(
        request,
        core.auth.issue_token(record),
        record,
        METHOD_OAUTH2,
        mfa_id_of(request, body),
        extra={"meta": result.user.meta(result.is_new)},
    )


async def oauth2_redirect(request: Request) -> Response:
    # A POST (Apple's form_post) is answered 303 so the browser follows with a GET.
    status = 307 if request.method == "GET" else 303
    data: dict[str, Any]
    if request.method == "POST":
        try:
            data = await read_body(request)
        except FerrybaseError:
            return RedirectResponse(REDIRECT_FAILURE, status)
    else:
        data = dict(request.query_params)
    state, code, error = (_text(data.get(k)) for k in ("state", "code", "error"))
    if not state:
        return RedirectResponse(REDIRECT_FAILURE, status)
    message = {"state": state, "code": code}
    if error:
        message["error"] = error
    deliver: OAuth2Delivery = getattr(request.app.state, DELIVERY_STATE_KEY, no_realtime_client)
    ip = peer_ip(request)
    if not await deliver(state, message, ip) or error or not code:
        return RedirectResponse(REDIRECT_FAILURE, status)
    return RedirectResponse(REDIRECT_SUCCESS, status)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
