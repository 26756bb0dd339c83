"""``POST /api/collections/{collection}/request-otp`` and ``auth-with-otp``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.auth_password import auth_response, mfa_id_of
from ferrybase.api.bodies import read_body
from ferrybase.api.context import core_of, peer_ip
from ferrybase.api.responses import json_response
from ferrybase.core.app import Core
from ferrybase.core.mfa import METHOD_OTP
from ferrybase.core.otp import OTPs
from ferrybase.errors import InvalidBodyError


def otps_of(core: Core) -> OTPs:
    return OTPs(core.records, core.auth.passwords, core.mailer, core.settings)


async def request_otp(request: Request) -> Response:
    core = await core_of(request)
    collection = core.auth.auth_collection(request.path_params["collection"])
    otps = otps_of(core)
    otps.check_enabled(collection)
    body = await read_body(request)
    _strings_only(body, "email")
    otp_id = await otps.request(collection, body.get("email"))
    return json_response({"otpId": otp_id}, request=request)


async def auth_with_otp(request: Request) -> Response:
    core = await core_of(request)
    collection = core.auth.auth_collection(request.path_params["collection"])
    otps = otps_of(core)
    otps.check_enabled(collection)
    body = await read_body(request)
    _strings_only(body, "otpId", "password")
    client = peer_ip(request)
    record = await otps.authenticate(collection, body.get("otpId"), body.get("password"), client)
    token = core.auth.issue_token(record)
    return await auth_response(request, token, record, METHOD_OTP, mfa_id_of(request, body))


def _strings_only(body: dict[str, Any], *names: str) -> None:
    # PocketBase decodes into a typed form: a number where text belongs cannot load.
    for name in names:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidBodyError()
