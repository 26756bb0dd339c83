"""Realtime over SSE (PocketBase's protocol), on SQLite and PostgreSQL: the app is served by
uvicorn on a free port inside the test's loop (``base_url``, ``conftest.py``), streams are read
with a real HTTP client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from starlette.applications import Starlette

from ferrybase.core.app import Core
from tests.support.sse import SseStream

Headers = dict[str, str]
RULE = "published = true || (@request.auth.id != '' && owner = @request.auth.id)"


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


def options(query: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> str:
    """The ``?options=`` suffix the JS SDK appends (URL-encoded JSON)."""
    raw = json.dumps({"query": query or {}, "headers": headers or {}}, separators=(",", ":"))
    return "?options=" + quote(raw)


async def test_one_message_per_matching_subscription_named_as_sent(
    base_url: str, http: httpx.AsyncClient, su: Headers, posts: dict[str, Any]
) -> None:
    first = await create(http, su, title="one", published=True)
    fields = "posts" + options({"fields": "id,title"})
    async with SseStream(base_url) as stream:
        topics = ["posts/*", f"posts/{first['id']}", fields, f"{posts['id']}/*"]
        assert (await subscribe(http, stream, topics)).status_code == 204
        await http.patch(
            f"/api/collections/posts/records/{first['id']}", json={"title": "uno"}, headers=su
        )
        got = {}
        for _ in range(4):
            event = await stream.next()
            got[event.name] = event.json()
        assert set(got) == set(topics)  # the event name is the subscription, options and all
        assert got[fields] == {"record": {"id": first["id"], "title": "uno"}, "action": "update"}
        assert got["posts/*"]["record"]["title"] == "uno"
        assert got[f"{posts['id']}/*"] == got["posts/*"]


async def test_record_topic_uses_the_view_rule(
    base_url: str, http: httpx.AsyncClient, su: Headers, posts: dict[str, Any]
) -> None:
    await http.patch(
        "/api/collections/posts", json={"viewRule": "title = 'open'", "listRule": ""}, headers=su
    )
    shut = await create(http, su, title="shut")
    open_ = await create(http, su, title="open")
    async with SseStream(base_url) as stream:
        topics = [f"posts/{shut['id']}", f"posts/{open_['id']}"]
        assert (await subscribe(http, stream, topics)).status_code == 204
        for record in (shut, open_):
            await http.patch(
                f"/api/collections/posts/records/{record['id']}",
                json={"published": True},
                headers=su,
            )
        event = await stream.next()
        assert event.name == f"posts/{open_['id']}"
        assert event.json()["record"]["id"] == open_["id"]


async def test_options_query_and_headers_reach_the_rule_and_the_filter(
    base_url: str, http: httpx.AsyncClient, su: Headers, posts: dict[str, Any]
) -> None:
    rule = "@request.headers.x_team = 'red' && @request.query.mode = 'live'"
    await http.patch("/api/collections/posts", json={"listRule": rule}, headers=su)
    good = "posts/*" + options({"mode": "live", "filter": "title ~ 'keep'"}, {"X-Team": "red"})
    bad = "posts/*" + options({"mode": "live"}, {"X-Team": "blue"})
    async with SseStream(base_url) as stream:
        assert (await subscribe(http, stream, [bad, good])).status_code == 204
        await create(http, su, title="drop me")
        kept = await create(http, su, title="keep me")
        event = await stream.next()
        assert (event.name, event.json()["record"]["id"]) == (good, kept["id"])


async def test_expand_in_options_respects_the_subscriber(
    base_url: str, http: httpx.AsyncClient, su: Headers, posts: dict[str, Any]
) -> None:
    await http.patch("/api/collections/posts", json={"listRule": ""}, headers=su)
    alice_id, alice = await user(http, "alice@example.com")
    topic = "posts/*" + options({"expand": "owner"})
    async with SseStream(base_url) as guest, SseStream(base_url) as me:
        await subscribe(http, guest, [topic])
        await subscribe(http, me, [topic], alice)
        await create(http, su, title="mine", owner=alice_id)
        own = (await me.next()).json()["record"]
        assert own["expand"]["owner"]["id"] == alice_id
        assert own["expand"]["owner"]["email"] == "alice@example.com"  # her own email
        # users' view rule lets only the user herself see her record: no expand for guests
        assert not (await guest.next()).json()["record"].get("expand")


async def test_superuser_only_collections_stay_silent_for_guests(
    base_url: str, http: httpx.AsyncClient, su: Headers, posts: dict[str, Any]
) -> None:
    await http.patch("/api/collections/posts", json={"listRule": None}, headers=su)
    body = {
        "name": "notes",
        "type": "base",
        "listRule": "",
        "fields": [{"name": "t", "type": "text"}],
    }
    assert (await http.post("/api/collections", json=body, headers=su)).status_code == 200
    async with SseStream(base_url) as guest, SseStream(base_url) as admin:
        await subscribe(http, guest, ["posts/*", "notes/*"])
        await subscribe(http, admin, ["posts/*"], su)
        hidden = await create(http, su, title="superusers only", secret="s")
        note = await http.post("/api/collections/notes/records", json={"t": "hi"}, headers=su)
        assert (await guest.next()).json()["record"]["id"] == note.json()["id"]
        seen = (await admin.next()).json()["record"]
        assert seen["id"] == hidden["id"]
        assert seen["secret"] == "s"  # superusers see hidden fields


async def test_subscription_errors(
    base_url: str, http: httpx.AsyncClient, su: Headers, posts: dict[str, Any]
) -> None:
    _, alice = await user(http, "alice@example.com")
    _, bob = await user(http, "bob@example.com")
    missing = await http.post("/api/realtime", json={"clientId": "nope", "subscriptions": []})
    assert missing.status_code == 404
    assert missing.json() == {"data": {}, "message": "Missing or invalid client id.", "status": 404}
    blank = await http.post("/api/realtime", json={"subscriptions": []})
    assert blank.status_code == 400
    assert blank.json()["data"] == {
        "clientId": {"code": "validation_required", "message": "Cannot be blank."}
    }
    async with SseStream(base_url) as stream:
        too_many = await subscribe(http, stream, [f"posts/{i}" for i in range(1001)])
        assert too_many.status_code == 400
        assert too_many.json()["data"]["subscriptions"]["code"] == "validation_length_too_long"
        too_long = await subscribe(http, stream, ["posts/*", "x" * 2501])
        assert too_long.status_code == 400
        assert too_long.json()["data"]["subscriptions"]["1"]["params"] == {"max": 2500, "min": 0}
        # guest -> user is allowed; user -> another user or back to guest is not
        assert (await subscribe(http, stream, ["posts/*"])).status_code == 204
        assert (await subscribe(http, stream, ["posts/*"], alice)).status_code == 204
        for other in (bob, {}):
            refused = await subscribe(http, stream, ["posts/*"], other)
            assert refused.status_code == 403
            assert refused.json()["message"] == (
                "The current and the previous request authorization don't match."
            )
        assert (await subscribe(http, stream, [], alice)).status_code == 204


@pytest.mark.parametrize("change", ["delete", "password", "secret"])
async def test_a_deleted_or_signed_out_user_stops_receiving_what_only_users_see(
    base_url: str, http: httpx.AsyncClient, su: Headers, posts: dict[str, Any], change: str
) -> None:
    rule = "published = true || @request.auth.id != ''"
    await http.patch("/api/collections/posts", json={"listRule": rule}, headers=su)
    alice_id, alice = await user(http, "alice@example.com")
    async with SseStream(base_url) as stream:
        await subscribe(http, stream, ["posts/*"], alice)
        await create(http, su, title="for users")
        assert (await stream.next()).json()["record"]["title"] == "for users"
        # an update that keeps her tokenKey keeps her signed in
        renamed = await http.patch(
            f"/api/collections/users/records/{alice_id}", json={"name": "Alice"}, headers=su
        )
        assert renamed.status_code == 200, renamed.text
        await create(http, su, title="still for users")
        assert (await stream.next()).json()["record"]["title"] == "still for users"
        # deleted, a new password (new tokenKey) or a new token secret for the collection:
        # the stream is a guest's from then on
        if change == "delete":
            done = await http.delete(f"/api/collections/users/records/{alice_id}", headers=su)
        elif change == "secret":  # the collection's token secret: every token is void
            done = await http.patch(
                "/api/collections/users",
                json={"authToken": {"secret": "a-new-secret-" + "x" * 40}},
                headers=su,
            )
        else:
            body = {"password": "new-pass-12345", "passwordConfirm": "new-pass-12345"}
            done = await http.patch(
                f"/api/collections/users/records/{alice_id}", json=body, headers=su
            )
        assert done.status_code in (200, 204), done.text
        await create(http, su, title="users only")
        marker = await create(http, su, title="public", published=True)
        assert (await stream.next()).json()["record"]["id"] == marker["id"]


async def gone_after_one_event(base_url: str, http: httpx.AsyncClient, su: Headers) -> SseStream:
    """A stream that subscribed to ``posts/*``, received one new post, then went away."""
    stream = SseStream(base_url)
    await stream.__aenter__()
    await subscribe(http, stream, ["posts/*"])
    first = await create(http, su, title="before", published=True)
    assert (await stream.next()).json()["record"]["id"] == first["id"]
    await stream.close()
    return stream


async def test_reconnect_with_last_event_id_replays_what_was_missed(
    base_url: str, http: httpx.AsyncClient, su: Headers, posts: dict[str, Any]
) -> None:
    stream = await gone_after_one_event(base_url, http, su)
    missed = [await create(http, su, title=f"missed {i}", published=True) for i in range(3)]
    async with SseStream(base_url, {"Last-Event-ID": stream.client_id}) as again:
        assert again.client_id == stream.client_id  # the same client, subscriptions kept
        for record in missed:
            assert (await again.next()).json()["record"]["id"] == record["id"]
        after = await create(http, su, title="after", published=True)
        assert (await again.next()).json()["record"]["id"] == after["id"]
    async with SseStream(base_url, {"Last-Event-ID": "unknown-client"}) as fresh:
        assert fresh.client_id != "unknown-client"


async def test_idle_streams_are_closed(
    base_url: str, app: Starlette, http: httpx.AsyncClient
) -> None:
    core: Core = app.state.core
    core.realtime.idle_timeout = 0.2
    async with SseStream(base_url) as stream:
        assert await stream.ended(within=5)


async def test_oauth2_redirect_reaches_the_waiting_client_once(
    base_url: str, http: httpx.AsyncClient, app: Starlette
) -> None:
    core: Core = app.state.core
    async with SseStream(base_url) as stream:
        await subscribe(http, stream, ["@oauth2", "users/*"])
        redirect = await http.get(
            "/api/oauth2-redirect", params={"state": stream.client_id, "code": "abc"}
        )
        assert redirect.status_code == 307
        assert redirect.headers["location"].endswith("oauth2-redirect-success")
        event = await stream.next()
        assert event.name == "@oauth2"
        assert event.data == f'{{"state":"{stream.client_id}","code":"abc"}}'  # key order kept
        # one redirect per subscription, as in PocketBase: a replayed one fails
        again = await http.get(
            "/api/oauth2-redirect", params={"state": stream.client_id, "code": "abc"}
        )
        assert again.headers["location"].endswith("oauth2-redirect-failure")
        # from another address than the stream's: refused, and the subscription is spent
        await subscribe(http, stream, ["@oauth2"])
        message = {"state": stream.client_id, "code": "x"}
        assert not await core.realtime.send(
            stream.client_id, "@oauth2", message, ip="10.1.2.3", once=True
        )
        assert not await core.realtime.send(stream.client_id, "@oauth2", message, once=True)
    unknown = await http.get("/api/oauth2-redirect", params={"state": "nobody", "code": "abc"})
    assert unknown.headers["location"].endswith("oauth2-redirect-failure")


async def test_feed_retention_trims_old_changes_and_a_stale_resume_starts_afresh(
    base_url: str, app: Starlette, http: httpx.AsyncClient, su: Headers, posts: dict[str, Any]
) -> None:
    core: Core = app.state.core
    stream = await gone_after_one_event(base_url, http, su)
    for i in range(3):
        await create(http, su, title=f"while away {i}", published=True)
    before = await core.store.fetch_value('SELECT COUNT(*) FROM "_changes"')
    core.realtime.retention = -1.0  # everything is older than the window
    await core.realtime.housekeep()
    left = await core.store.fetch_all('SELECT "seq" FROM "_changes"')
    assert before > 1 and len(left) == 1  # the newest change always stays
    # the stream's resume point was trimmed away: it is told so by a new client id
    async with SseStream(base_url, {"Last-Event-ID": stream.client_id}) as again:
        assert again.client_id != stream.client_id
