"""``/api/settings``: read and change the application settings (superusers only)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.bodies import read_body
from ferrybase.api.context import core_of, superuser_of
from ferrybase.api.responses import json_response


async def view_settings(request: Request) -> Response:
    await superuser_of(request)
    settings = await (await core_of(request)).settings.public()
    return json_response(settings, request=request)


async def update_settings(request: Request) -> Response:
    await superuser_of(request)
    core = await core_of(request)
    settings = await core.settings.update(await read_body(request))
    return json_response(settings, request=request)
