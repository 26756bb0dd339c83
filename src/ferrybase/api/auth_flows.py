"""The e-mail flows: ``POST /api/collections/{collection}/request-verification`` and
``confirm-verification``, ``request-password-reset`` and ``confirm-password-reset``,
``request-email-change`` and ``confirm-email-change``. Each answers 204 with no body."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ferrybase.api.bodies import read_body
from ferrybase.api.context import auth_of, core_of
from ferrybase.core.app import Core
from ferrybase.core.auth_flows import AuthFlows
from ferrybase.core.collections import Collection
from ferrybase.errors import ForbiddenError, InvalidBodyError, UnauthorizedError

# One AuthFlows per core: it keeps the resend pauses and the mails still being sent.


def flows_of(core: Core) -> AuthFlows:
    return core.flows


async def request_verification(request: Request) -> Response:
    flows, collection = await _context(request)
    form = await _form(request, "email")
    await flows.request_verification(collection, form["email"])
    return Response(status_code=204)


async def confirm_verification(request: Request) -> Response:
    flows, collection = await _context(request)
    form = await _form(request, "token")
    await flows.confirm_verification(collection, form["token"])
    return Response(status_code=204)


async def request_password_reset(request: Request) -> Response:
    flows, collection = await _context(request)
    form = await _form(request, "email")
    await flows.request_password_reset(collection, form["email"])
    return Response(status_code=204)


async def confirm_password_reset(request: Request) -> Response:
    flows, collection = await _context(request)
    form = await _form(request, "token", "password", "passwordConfirm")
    await flows.confirm_password_reset(
        collection, form["token"], form["password"], form["passwordConfirm"]
    )
    return Response(status_code=204)


async def request_email_change(request: Request) -> Response:
    # Auth comes first, as PocketBase's middleware: a guest gets 401 on any collection.
    auth = await auth_of(request)
    if auth.record is None:
        raise UnauthorizedError()
    core = await core_of(request)
    named = core.collections.get(request.path_params["collection"])
    if named is None:
        core.auth.auth_collection(request.path_params["collection"])  # PocketBase's 404
    elif named.id != auth.record.collection.id:
        raise ForbiddenError(
            f"The request requires auth record from {auth.record.collection.name} collection."
        )
    flows, collection = await _context(request)
    form = await _form(request, "newEmail")
    await flows.request_email_change(collection, auth, form["newEmail"])
    return Response(status_code=204)


async def confirm_email_change(request: Request) -> Response:
    flows, collection = await _context(request)
    form = await _form(request, "token", "password")
    await flows.confirm_email_change(collection, form["token"], form["password"])
    return Response(status_code=204)


async def _context(request: Request) -> tuple[AuthFlows, Collection]:
    core = await core_of(request)
    collection = core.auth.auth_collection(request.path_params["collection"])
    return flows_of(core), collection


async def _form(request: Request, *names: str) -> dict[str, str | None]:
    """The named text fields of the body; PocketBase's typed form cannot load anything else."""
    body: dict[str, Any] = await read_body(request)
    form: dict[str, str | None] = {}
    for name in names:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidBodyError()
        form[name] = value
    return form
