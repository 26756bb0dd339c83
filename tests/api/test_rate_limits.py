"""Rate limiting: PocketBase's labels, audiences and windows, counted in the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from ferrybase.api.rate_limits import check_rate_limit
from ferrybase.core.app import Core
from ferrybase.core.rate_limits import RateLimiter, RateLimitRule
from ferrybase.errors import TooManyRequestsError

TOO_MANY = {"data": {}, "message": "Too Many Requests.", "status": 429}
USER = ("user@example.com", "user-password-1")


@pytest.fixture
def su(superuser_token: str) -> dict[str, str]:
    return {"Authorization": superuser_token}


@pytest.fixture
async def posts(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    for name in ("posts", "notes"):
        collection = {
            "name": name,
            "fields": [{"name": "title", "type": "text"}],
            "listRule": "",
            "viewRule": "",
            "createRule": "",
        }
        response = await client.post("/api/collections", json=collection, headers=su)
        assert response.status_code == 200, response.text


@pytest.fixture
async def user(client: httpx.AsyncClient, su: dict[str, str]) -> dict[str, str]:
    body = {"email": USER[0], "password": USER[1], "passwordConfirm": USER[1]}
    response = await client.post("/api/collections/users/records", json=body, headers=su)
    assert response.status_code == 200, response.text
    response = await client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": USER[0], "password": USER[1]},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": response.json()["token"]}


async def limit(
    client: httpx.AsyncClient, su: dict[str, str], *rules: dict[str, Any], **section: Any
) -> None:
    full = [{"audience": "", "duration": 5, **rule} for rule in rules]
    body = {"rateLimits": {"enabled": True, "rules": full, **section}}
    response = await client.patch("/api/settings", json=body, headers=su)
    assert response.status_code == 200, response.text


async def statuses(
    client: httpx.AsyncClient, n: int, method: str, url: str, **kw: Any
) -> list[int]:
    return [(await client.request(method, url, **kw)).status_code for _ in range(n)]


async def test_disabled_by_default(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    settings = (await client.get("/api/settings", headers=su)).json()["rateLimits"]
    assert settings["enabled"] is False
    body = {"rateLimits": {"rules": [{"label": "/api/", "duration": 5, "maxRequests": 1}]}}
    assert (await client.patch("/api/settings", json=body, headers=su)).status_code == 200
    assert await statuses(client, 5, "GET", "/api/health") == [200] * 5


async def test_answer_is_pocketbase_429(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    await limit(client, su, {"label": "/api/health", "maxRequests": 2})
    assert await statuses(client, 2, "GET", "/api/health") == [200, 200]
    response = await client.get("/api/health", headers={"Origin": "http://a.example"})
    assert response.status_code == 429
    assert response.json() == TOO_MANY
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["access-control-allow-origin"] == "*"


async def test_path_prefix_shares_one_counter(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    await limit(client, su, {"label": "/api/", "maxRequests": 3})
    assert await statuses(client, 2, "GET", "/api/health") == [200, 200]
    assert (await client.get("/api/settings")).status_code == 401  # the third request
    assert (await client.get("/api/settings")).status_code == 429
    assert (await client.get("/api/health")).status_code == 429
    # "/api" without the slash is an exact label, not a prefix
    await limit(client, su, {"label": "/api", "maxRequests": 1})
    assert await statuses(client, 3, "GET", "/api/health") == [200] * 3


async def test_method_and_path_label_before_path(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    await limit(
        client,
        su,
        {"label": "/api/health", "maxRequests": 5},
        {"label": "HEAD /api/health", "maxRequests": 1},
    )
    assert await statuses(client, 2, "HEAD", "/api/health") == [200, 429]
    assert await statuses(client, 6, "GET", "/api/health") == [200] * 5 + [429]


async def test_collection_tags(client: httpx.AsyncClient, su: dict[str, str], posts: None) -> None:
    await limit(
        client,
        su,
        {"label": "*:create", "maxRequests": 1},
        {"label": "notes:create", "maxRequests": 2},
        {"label": "*:list", "maxRequests": 1},
        {"label": "/api/", "maxRequests": 100},
    )
    url = "/api/collections/{}/records"
    assert await statuses(client, 2, "POST", url.format("posts"), json={}) == [200, 429]
    assert await statuses(client, 3, "POST", url.format("notes"), json={}) == [200, 200, 429]
    # one counter per collection, as PocketBase keys them
    assert await statuses(client, 2, "GET", url.format("posts")) == [200, 429]
    assert await statuses(client, 2, "GET", url.format("notes")) == [200, 429]
    # view is not covered by *:list or *:create: the path prefix applies
    record = (await client.post(url.format("posts"), json={}, headers=su)).json()
    assert await statuses(client, 3, "GET", url.format("posts") + "/" + record["id"]) == [200] * 3
    # an unknown collection is not counted: its 404 comes from the handler
    assert await statuses(client, 3, "GET", url.format("nope")) == [404] * 3


async def test_auth_tag_covers_auth_with_password(
    client: httpx.AsyncClient, su: dict[str, str], user: dict[str, str]
) -> None:
    await limit(client, su, {"label": "*:auth", "maxRequests": 2})
    wrong = {"identity": USER[0], "password": "wrong-password"}
    url = "/api/collections/users/auth-with-password"
    assert await statuses(client, 3, "POST", url, json=wrong) == [400, 400, 429]
    # auth-refresh carries its own tag (authRefresh), not "auth"
    assert (
        await statuses(client, 3, "POST", "/api/collections/users/auth-refresh", headers=user)
        == [200] * 3
    )
    await limit(client, su, {"label": "users:authWithPassword", "maxRequests": 1})
    assert await statuses(client, 2, "POST", url, json=wrong) == [400, 429]


async def test_audience(
    client: httpx.AsyncClient, su: dict[str, str], posts: None, user: dict[str, str]
) -> None:
    url = "/api/collections/posts/records"
    await limit(client, su, {"label": "*:list", "audience": "@guest", "maxRequests": 1})
    assert await statuses(client, 2, "GET", url) == [200, 429]
    assert await statuses(client, 3, "GET", url, headers=user) == [200] * 3
    await limit(
        client,
        su,
        {"label": "*:list", "audience": "@auth", "maxRequests": 1},
        {"label": "/api/", "maxRequests": 2},
    )
    assert await statuses(client, 2, "GET", url, headers=user) == [200, 429]
    # guests fall through to the next label with a rule of their audience
    assert await statuses(client, 3, "GET", url) == [200, 200, 429]
    # a bad token makes a guest
    assert (await client.get(url, headers={"Authorization": "bad"})).status_code == 429


async def test_superusers_are_not_limited(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    await limit(client, su, {"label": "/api/", "maxRequests": 1})
    assert await statuses(client, 5, "GET", "/api/settings", headers=su) == [200] * 5


@pytest.fixture
async def client_at(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_excluded_ips(
    client: httpx.AsyncClient, client_at: httpx.AsyncClient, su: dict[str, str]
) -> None:
    await limit(client, su, {"label": "/api/health", "maxRequests": 1}, excludedIPs=["10.0.0.0/8"])
    assert await statuses(client_at, 4, "GET", "/api/health") == [200] * 4
    assert await statuses(client, 2, "GET", "/api/health") == [200, 429]
    await limit(client, su, {"label": "/api/health", "maxRequests": 1}, excludedIPs=["10.1.2.4"])
    assert await statuses(client_at, 2, "GET", "/api/health") == [200, 429]


async def test_counted_per_client_ip_and_trusted_proxy(
    client: httpx.AsyncClient, client_at: httpx.AsyncClient, su: dict[str, str]
) -> None:
    await limit(client, su, {"label": "/api/health", "maxRequests": 1})
    assert await statuses(client, 2, "GET", "/api/health") == [200, 429]
    assert await statuses(client_at, 2, "GET", "/api/health") == [200, 429]
    proxy = {"trustedProxy": {"headers": ["X-Forwarded-For"], "useLeftmostIP": False}}
    assert (await client.patch("/api/settings", json=proxy, headers=su)).status_code == 200
    for ip in ("1.1.1.1", "2.2.2.2"):
        headers = {"X-Forwarded-For": f"9.9.9.9, {ip}"}
        assert await statuses(client, 2, "GET", "/api/health", headers=headers) == [200, 429]


async def test_window_resets(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    await limit(client, su, {"label": "/api/health", "duration": 2, "maxRequests": 1})
    assert await statuses(client, 2, "GET", "/api/health") == [200, 429]
    await asyncio.sleep(2.05)
    assert await statuses(client, 2, "GET", "/api/health") == [200, 429]


async def test_changed_rules_start_fresh_windows(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    await limit(client, su, {"label": "/api/health", "maxRequests": 1})
    assert await statuses(client, 2, "GET", "/api/health") == [200, 429]
    await limit(client, su, {"label": "/api/health", "maxRequests": 2})
    assert await statuses(client, 3, "GET", "/api/health") == [200, 200, 429]


async def test_ended_windows_are_pruned(
    client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    await limit(client, su, {"label": "/api/health", "duration": 1, "maxRequests": 1})
    await client.get("/api/health")
    assert await core.store.fetch_value('SELECT COUNT(*) FROM "_rateLimits"') == 1
    await core.store.execute('UPDATE "_rateLimits" SET "reset" = 0')
    limiter = RateLimiter(core.store, core.settings.load)
    assert await limiter.allow("other", RateLimitRule("x", "", 5, 1))
    assert await core.store.fetch_value('SELECT COUNT(*) FROM "_rateLimits"') == 1


async def test_any_settings_change_starts_fresh_windows(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    await limit(client, su, {"label": "/api/health", "maxRequests": 1})
    assert await statuses(client, 2, "GET", "/api/health") == [200, 429]
    body = {"meta": {"appName": "Other"}}
    assert (await client.patch("/api/settings", json=body, headers=su)).status_code == 200
    assert await statuses(client, 2, "GET", "/api/health") == [200, 429]


async def test_inner_requests_of_a_batch_can_be_counted(
    client: httpx.AsyncClient, su: dict[str, str], posts: None, app: Starlette
) -> None:
    await limit(client, su, {"label": "*:create", "maxRequests": 1})
    await client.get("/api/health")
    scope = {"type": "http", "app": app, "headers": [], "client": ("127.0.0.1", 1)}
    request = Request(scope)
    await check_rate_limit(request, "POST", "/api/collections/posts/records")
    with pytest.raises(TooManyRequestsError):
        await check_rate_limit(request, "POST", "/api/collections/posts/records")
    await check_rate_limit(request, "POST", "/api/collections/notes/records")
