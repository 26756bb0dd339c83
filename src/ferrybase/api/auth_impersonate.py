"""``POST /api/collections/{collection}/impersonate/{id}``: a superuser signs in as anyone."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.auth_password import auth_response
from ferrybase.api.bodies import read_body
from ferrybase.api.context import core_of, superuser_of
from ferrybase.errors import FieldError, InvalidBodyError, NotFoundError, ValidationError


async def impersonate(request: Request) -> Response:
    await superuser_of(request)
    core = await core_of(request)
    collection = core.auth.auth_collection(request.path_params["collection"])
    record = await core.records.find(collection, request.path_params["id"])
    if record is None:
        raise NotFoundError()
    body = await read_body(request)
    duration = body.get("duration", 0)
    if duration is None:
        duration = 0
    if isinstance(duration, bool) or not isinstance(duration, int | float):
        raise InvalidBodyError()
    if isinstance(duration, float) and not duration.is_integer():
        raise InvalidBodyError()  # Go's int64 cannot load a fraction either
    if duration < 0:
        raise ValidationError(
            {
                "duration": FieldError(
                    "validation_min_greater_equal_than_required",
                    "Must be no less than 0.",
                    {"threshold": 0},
                )
            }
        )
    token = core.auth.impersonate(record, int(duration))
    return await auth_response(request, token, record)
