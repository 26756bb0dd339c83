"""Realtime over SSE (PocketBase's protocol), on SQLite and PostgreSQL: the app is served by
uvicorn on a free port inside the test's loop, streams are read with a real HTTP client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from ferrybase.core.app import Core
from tests.support.servers import free_port
from tests.support.sse import SseStream

Headers = dict[str, str]
RULE = "published = true || (@request.auth.id != '' && owner = @request.auth.id)"


@pytest.fixture
async def base_url(app: Starlette) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    core: Core = app.state.core
    await core.realtime.close()  # ends the open streams so the server can stop
    server.should_exit = True
    await task


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=10) as c:
        yield c


@pytest.fixture
def su(superuser_token: str) -> Headers:
    return {"Authorization": superuser_token}


@pytest.fixture
async def posts(http: httpx.AsyncClient, su: Headers) -> dict[str, Any]:
    body = {
        "name": "posts",
        "type": "base",
        "listRule": RULE,
        "viewRule": RULE,
        "createRule": "",
        "fields": [
            {"name": "title", "type": "text"},
            {"name": "published", "type": "bool"},
            {"name": "secret", "type": "text", "hidden": True},
            {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_"},
        ],
    }
    response = await http.post("/api/collections", json=body, headers=su)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def user(http: httpx.AsyncClient, email: str) -> tuple[str, Headers]:
    password = "pass-12345678"
    body = {"email": email, "password": password, "passwordConfirm": password}
    created = await http.post("/api/collections/users/records", json=body)
    assert created.status_code == 200, created.text
    auth = await http.post(
        "/api/collections/users/auth-with-password",
        json={"identity": email, "password": password},
    )
    assert auth.status_code == 200, auth.text
    return str(created.json()["id"]), {"Authorization": auth.json()["token"]}


async def subscribe(
    http: httpx.AsyncClient, stream: SseStream, topics: list[str], headers: Headers | None = None
) -> httpx.Response:
    return await http.post(
        "/api/realtime",
        json={"clientId": stream.client_id, "subscriptions": topics},
        headers=headers or {},
    )


async def create(http: httpx.AsyncClient, su: Headers, **fields: Any) -> dict[str, Any]:
    response = await http.post("/api/collections/posts/records", json=fields, headers=su)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_connect_sends_pb_connect_with_the_client_id(base_url: str) -> None:
    async with SseStream(base_url) as stream:
        assert len(stream.client_id) == 40
        assert stream.response_headers is not None
        assert stream.response_headers["content-type"].startswith("text/event-stream")
        assert stream.response_headers["cache-control"] == "no-store"
        assert stream.response_headers["x-accel-buffering"] == "no"


async def test_events_follow_the_list_rule_per_subscriber(
    base_url: str, http: httpx.AsyncClient, su: Headers, posts: dict[str, Any]
) -> None:
    alice_id, alice = await user(http, "alice@example.com")
    async with SseStream(base_url) as guest, SseStream(base_url) as owner:
        assert (await subscribe(http, guest, ["posts/*"])).status_code == 204
        assert (await subscribe(http, owner, ["posts/*"], alice)).status_code == 204

        private = await create(http, su, title="draft", owner=alice_id, secret="s")
        public = await create(http, su, title="hello", published=True)

        seen = await owner.next()
        assert seen.name == "posts/*"
        assert seen.id == owner.client_id
        assert seen.json()["action"] == "create"
        assert seen.json()["record"]["id"] == private["id"]
        assert "secret" not in seen.json()["record"]  # hidden fields stay hidden
        assert (await owner.next()).json()["record"]["id"] == public["id"]
        # the guest never sees the private draft: the next event it gets is the public post
        first = await guest.next()
        assert first.json()["record"]["id"] == public["id"]
        as_guest = {k: v for k, v in public.items() if k != "secret"}  # su saw the hidden field
        assert first.json() == {"record": as_guest, "action": "create"}

        # unpublishing: the guest sees nothing of it; deleting the unpublished post neither
        await http.patch(
            f"/api/collections/posts/records/{public['id']}", json={"published": False}, headers=su
        )
        await http.delete(f"/api/collections/posts/records/{public['id']}", headers=su)
        marker = await create(http, su, title="marker", published=True)
        got = await guest.next()
        assert got.json()["record"]["id"] == marker["id"], got
        got = await owner.next()
        assert got.json()["record"]["id"] == marker["id"], got
