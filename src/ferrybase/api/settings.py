"""``/api/settings``: read and change the application settings (superusers only)."""

from __future__ import annotations

import jwt
from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.bodies import read_body
from ferrybase.api.context import core_of, superuser_of
from ferrybase.api.responses import json_response, no_content
from ferrybase.auth.oauth2 import apple
from ferrybase.core.files import random_part
from ferrybase.core.mails import render_mail
from ferrybase.core.records import Record
from ferrybase.core.value_checks import is_email
from ferrybase.core.values import zero_value
from ferrybase.errors import BadRequestError, FieldError, InvalidBodyError, ValidationError


async def view_settings(request: Request) -> Response:
    await superuser_of(request)
    settings = await (await core_of(request)).settings.public()
    return json_response(settings, request=request)


async def update_settings(request: Request) -> Response:
    await superuser_of(request)
    core = await core_of(request)
    settings = await core.settings.update(await read_body(request))
    core.files.settings_changed()
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


# The templates a test mail can use, and where each lives in an auth collection's options.
_TEST_TEMPLATES: dict[str, str | tuple[str, str]] = {
    "verification": "verificationTemplate",
    "password-reset": "resetPasswordTemplate",
    "email-change": "confirmEmailChangeTemplate",
    "otp": ("otp", "emailTemplate"),
    "login-alert": ("authAlert", "emailTemplate"),
}
_TEST_FAILED = "Failed to send the test email."


async def test_email(request: Request) -> Response:
    """``POST /api/settings/test/email``: one of a collection's mail templates, filled with
    sample values, sent to the given address with the current SMTP settings."""
    await superuser_of(request)
    core = await core_of(request)
    body = await read_body(request)
    email, template = body.get("email"), body.get("template")
    name = body.get("collection") or "_superusers"
    if not all(isinstance(v, str) or v is None for v in (email, template, name)):
        raise InvalidBodyError()
    errors: dict[str, FieldError] = {}
    if not email:
        errors["email"] = FieldError("validation_required", "Cannot be blank.")
    elif not is_email(str(email)):
        errors["email"] = FieldError("validation_is_email", "Must be a valid email address.")
    if not template:
        errors["template"] = FieldError("validation_required", "Cannot be blank.")
    elif template not in _TEST_TEMPLATES:
        errors["template"] = FieldError("validation_in_invalid", "Must be a valid value.")
    collection = core.collections.get(str(name))
    if collection is None or not collection.is_auth:
        errors["collection"] = FieldError(
            "validation_invalid_auth_collection", "Must be a valid auth collection id or name."
        )
    if errors:
        raise ValidationError(errors, _TEST_FAILED)
    assert collection is not None and isinstance(email, str) and isinstance(template, str)
    sample = Record(collection, {f.name: zero_value(f) for f in collection.fields})
    sample.data.update(id="__pbc_test_id__", email=email)
    values = {
        "{TOKEN}": "__pbc_test_token__",
        "{OTP}": "123456",
        "{OTP_ID}": "__pbc_test_otp_id__",
        "{ALERT_INFO}": "Test alert info",
    }
    settings = await core.settings.load()
    mail = render_mail(sample, _TEST_TEMPLATES[template], settings, values, to=email)
    try:
        await core.mailer.send(mail)
    except Exception as exc:  # the SMTP server's refusal, a network error
        raise BadRequestError(f"{_TEST_FAILED} Raw error: {type(exc).__name__}") from exc
    return no_content()


_S3_FAILED = "Failed to test the S3 filesystem."


async def test_s3(request: Request) -> Response:
    """``POST /api/settings/test/s3``: write and delete a file in the configured bucket of
    ``filesystem`` ("storage": record files, "backups")."""
    await superuser_of(request)
    core = await core_of(request)
    body = await read_body(request)
    filesystem = body.get("filesystem")
    if filesystem is not None and not isinstance(filesystem, str):
        raise InvalidBodyError()
    if not filesystem:
        error = FieldError("validation_required", "Cannot be blank.")
        raise ValidationError({"filesystem": error}, _S3_FAILED)
    if filesystem not in ("storage", "backups"):
        error = FieldError("validation_in_invalid", "Must be a valid value.")
        raise ValidationError({"filesystem": error}, _S3_FAILED)
    settings = await core.settings.load()
    s3 = settings["backups"]["s3"] if filesystem == "backups" else settings["s3"]
    if not s3.get("enabled"):
        raise BadRequestError(f"{_S3_FAILED} Raw error: \nS3 storage filesystem is not enabled")
    prefix = f"pb_settings_test_{random_part(5)}"
    storage = await core.files.storage_for(s3)
    try:
        await storage.put(f"{prefix}/test.txt", b"test", "text/plain; charset=utf-8")
        await storage.delete_prefix(prefix)
    except Exception as exc:  # the bucket's refusal, a network error
        raise BadRequestError(f"{_S3_FAILED} Raw error: \n{type(exc).__name__}") from exc
    finally:
        await storage.close()
    return no_content()
