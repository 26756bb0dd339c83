"""``GET|HEAD /api/health``: PocketBase's health answer (with ``code``, not ``status``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.context import auth_of, peer_ip
from ferrybase.api.responses import json_response


async def health(request: Request) -> Response:
    data: dict[str, object] = {}
    if request.headers.get("authorization") and (await auth_of(request)).is_superuser:
        data = {
            "canBackup": True,
            "realIP": peer_ip(request),
            "possibleProxyHeader": "",
        }
    return json_response({"message": "API is healthy.", "code": 200, "data": data}, request=request)
