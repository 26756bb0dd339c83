"""``/api/settings``: read and change the application settings (superusers only)."""

from __future__ import annotations

import jwt
from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.bodies import read_body
from ferrybase.api.context import core_of, superuser_of
from ferrybase.api.responses import json_response
from ferrybase.auth.oauth2 import apple
from ferrybase.errors import BadRequestError, FieldError, InvalidBodyError, ValidationError


async def view_settings(request: Request) -> Response:
    await superuser_of(request)
    settings = await (await core_of(request)).settings.public()
    return json_response(settings, request=request)


async def update_settings(request: Request) -> Response:
    await superuser_of(request)
    core = await core_of(request)
    settings = await core.settings.update(await read_body(request))
    return json_response(settings, request=request)


async def apple_client_secret(request: Request) -> Response:
    """``POST /api/settings/apple/generate-client-secret``: the ES256 JWT Apple takes as the
    client secret of its OAuth2 provider, made from the team's private key."""
    await superuser_of(request)
    body = await read_body(request)
    values = {k: body.get(k) for k in ("clientId", "teamId", "keyId", "privateKey")}
    duration = body.get("duration")
    if any(v is not None and not isinstance(v, str) for v in values.values()) or not (
        duration is None or (isinstance(duration, int) and not isinstance(duration, bool))
    ):
        raise InvalidBodyError()
    errors: dict[str, FieldError] = {}
    for key, value in values.items():
        if not value:
            errors[key] = FieldError("validation_required", "Cannot be blank.")
    for key in ("teamId", "keyId"):
        if values[key] and len(str(values[key])) != 10:
            errors[key] = FieldError(
                "validation_length_invalid",
                "The length must be exactly 10.",
                {"max": 10, "min": 10},
            )
    key_text = str(values["privateKey"] or "")
    if key_text and not (key_text.lstrip().startswith("-----BEGIN") and "PRIVATE KEY" in key_text):
        errors["privateKey"] = FieldError("validation_match_invalid", "Must be in a valid format.")
    if not duration:
        errors["duration"] = FieldError("validation_required", "Cannot be blank.")
    elif duration > apple.MAX_SECRET_DURATION:
        errors["duration"] = FieldError(
            "validation_max_less_equal_than_required",
            f"Must be no greater than {apple.MAX_SECRET_DURATION}.",
            {"threshold": apple.MAX_SECRET_DURATION},
        )
    if errors or duration is None:
        raise ValidationError(errors, "Invalid client secret data.")
    try:
        secret = apple.client_secret(
            str(values["clientId"]), str(values["teamId"]), str(values["keyId"]), key_text, duration
        )
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise BadRequestError("Failed to generate client secret.") from exc
    return json_response({"secret": secret}, request=request)
