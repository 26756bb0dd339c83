"""``GET /api/collections/{collection}/auth-methods``: how a client may sign in.

The answer carries PocketBase's current keys (``password``, ``oauth2``, ``mfa``, ``otp``) and
the legacy ones the SDKs of v0.22 read (``authProviders``, ``usernamePassword``,
``emailPassword``). Durations of disabled methods read 0.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.auth_oauth2 import PROVIDERS
from ferrybase.api.context import core_of
from ferrybase.api.responses import json_response
from ferrybase.core.collections import Collection


async def auth_methods(request: Request) -> Response:
    core = await core_of(request)
    collection = core.auth.auth_collection(request.path_params["collection"])
    return json_response(describe(collection), request=request)


def describe(collection: Collection) -> dict[str, Any]:
    options = collection.options
    password = options["passwordAuth"]
    enabled = bool(password.get("enabled"))
    identity_fields = list(password.get("identityFields") or []) if enabled else []
    oauth2 = oauth2_methods(collection)
    mfa, otp = options["mfa"], options["otp"]
    return {
        "password": {"identityFields": identity_fields, "enabled": enabled},
        "oauth2": oauth2,
        "mfa": _switch(mfa),
        "otp": _switch(otp),
        "authProviders": [{**p, "logo": ""} for p in oauth2["providers"]],
        "usernamePassword": enabled and "username" in identity_fields,
        "emailPassword": enabled and "email" in identity_fields,
    }


def oauth2_methods(collection: Collection) -> dict[str, Any]:
    """``{"providers": [...], "enabled": bool}``: each provider as PocketBase lists it
    (``name``, ``displayName``, ``logo``, ``state``, ``authURL``, ``authUrl``,
    ``codeVerifier``, ``codeChallenge``, ``codeChallengeMethod``).

    ``authProviders`` (the legacy key) follows from it, without logos.
    """
    return {
        "providers": PROVIDERS.auth_methods(collection),
        "enabled": bool((collection.options.get("oauth2") or {}).get("enabled")),
    }


def _switch(options: dict[str, Any]) -> dict[str, Any]:
    enabled = bool(options.get("enabled"))
    return {"enabled": enabled, "duration": int(options.get("duration") or 0) if enabled else 0}
