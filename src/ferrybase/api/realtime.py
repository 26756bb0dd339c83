"""``/api/realtime``: the SSE stream (GET) and its subscriptions (POST), PocketBase's protocol.

The stream opens with ``PB_CONNECT`` (the SDK takes the client id from its ``id:`` line), then
carries one message per matching subscription and change (``core/realtime.py``). The POST may
reach any worker or node; the stream's process picks the new subscriptions up from the feed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ferrybase.api.bodies import read_body
from ferrybase.api.context import auth_of, core_of, peer_ip
from ferrybase.api.responses import no_content
from ferrybase.core.realtime import Realtime
from ferrybase.errors import BadRequestError, InvalidBodyError

HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


async def connect(request: Request) -> Response:
    core = await core_of(request)
    realtime = core.realtime
    client = await realtime.connect(peer_ip(request), request.headers.get("last-event-id", ""))

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield realtime.connected(client)
            async for chunk in client.messages(realtime.idle_timeout, realtime.max_lifetime):
                yield chunk
        finally:
            realtime.disconnect(client)

    return StreamingResponse(stream(), media_type="text/event-stream", headers=HEADERS)


async def subscribe(request: Request) -> Response:
    core = await core_of(request)
    try:
        body = await read_body(request)
    except InvalidBodyError as exc:
        raise BadRequestError() from exc
    client_id = body.get("clientId")
    topics = body.get("subscriptions")
    if not isinstance(client_id, str | None) or not _strings(topics):
        raise BadRequestError()
    await core.realtime.set_subscriptions(
        client_id or "", await auth_of(request), list(topics or []), peer_ip(request)
    )
    return no_content()


def oauth2_delivery(realtime: Realtime) -> Any:
    """The OAuth2 redirect's way to the client waiting on ``@oauth2`` (any process)."""

    async def deliver(state: str, message: dict[str, str], ip: str) -> bool:
        # as PocketBase: one redirect per subscription, from the stream's own address
        return await realtime.send(state, "@oauth2", message, ip=ip, once=True)

    return deliver


def _strings(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(t, str) for t in value))
