"""Downloads under PocketBase's rate limits (the ``file`` tag: ``docs:file``, ``*:file``)
and protected files read with a superuser's file token from outside ``superuserIPs``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from ferrybase.core.app import Core

COLLECTION: dict[str, Any] = {
    "fields": [
        {"name": "title", "type": "text"},
        {"name": "doc", "type": "file", "maxSelect": 1},
        {"name": "secret", "type": "file", "maxSelect": 1, "protected": True},
    ],
    "listRule": "",
    "viewRule": None,  # protected files: superusers only
    "createRule": "",
}


@pytest.fixture
def su(superuser_token: str) -> dict[str, str]:
    return {"Authorization": superuser_token}


async def upload(client: httpx.AsyncClient, su: dict[str, str], name: str) -> str:
    """A collection ``name`` with one record and its files; the record's file URLs' folder."""
    collection = {"name": name, **COLLECTION}
    assert (await client.post("/api/collections", json=collection, headers=su)).status_code == 200
    made = await client.post(
        f"/api/collections/{name}/records",
        files=[("doc", ("a.txt", b"a")), ("secret", ("s.txt", b"s"))],
    )
    assert made.status_code == 200, made.text
    record = made.json()
    return f"/api/files/{name}/{record['id']}/{record['doc']}"


async def limit(client: httpx.AsyncClient, su: dict[str, str], *rules: dict[str, Any]) -> None:
    full = [{"audience": "", "duration": 60, **rule} for rule in rules]
    body = {"rateLimits": {"enabled": True, "rules": full}}
    assert (await client.patch("/api/settings", json=body, headers=su)).status_code == 200


async def statuses(client: httpx.AsyncClient, n: int, url: str, method: str = "GET") -> list[int]:
    return [(await client.request(method, url)).status_code for _ in range(n)]


async def test_the_file_tag(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    docs = await upload(client, su, "docs")
    notes = await upload(client, su, "notes")
    await limit(client, su, {"label": "*:file", "maxRequests": 2})
    assert await statuses(client, 2, docs) == [200, 200]
    too_many = await client.get(docs)
    assert too_many.status_code == 429
    assert too_many.json() == {"data": {}, "message": "Too Many Requests.", "status": 429}
    assert (await client.head(docs)).status_code == 429  # HEAD counts under the GET route
    # a counter per collection, as PocketBase keys it by collection and route
    assert await statuses(client, 3, notes) == [200, 200, 429]
    # other routes of the same collection are not downloads
    assert await statuses(client, 3, "/api/collections/docs/records") == [200] * 3
    # a missing collection is a 404 before anything is counted
    assert await statuses(client, 3, "/api/files/nosuch/x/y.txt") == [404] * 3
    # superusers are never limited
    assert (await client.get(docs, headers=su)).status_code == 200


async def test_collection_label_before_wildcard(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    docs = await upload(client, su, "docs")
    notes = await upload(client, su, "notes")
    await limit(
        client, su, {"label": "*:file", "maxRequests": 1}, {"label": "docs:file", "maxRequests": 3}
    )
    assert await statuses(client, 4, docs) == [200, 200, 200, 429]
    assert await statuses(client, 2, notes) == [200, 429]


async def test_path_labels_apply_to_downloads(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    docs = await upload(client, su, "docs")
    await limit(client, su, {"label": "/api/files/", "maxRequests": 1})
    assert await statuses(client, 2, docs) == [200, 429]


async def test_superuser_file_token_only_from_superuser_ips(
    app: Starlette, client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    docs = await upload(client, su, "docs")
    record = (await client.get("/api/collections/docs/records", headers=su)).json()["items"][0]
    url = f"/api/files/docs/{record['id']}/{record['secret']}"
    token = (await client.post("/api/files/token", headers=su)).json()["token"]

    async def settings(**patch: Any) -> None:
        # set through the core: PocketBase refuses a superuser's requests from elsewhere
        await core.settings.update(patch)
        app.state.rate_limiter.invalidate()

    assert (await client.get(url, params={"token": token})).status_code == 200
    await settings(superuserIPs=["10.1.2.3", "192.168.0.0/16"])
    # the test client is 127.0.0.1: read as a guest, and the view rule is superusers only
    assert (await client.get(url, params={"token": token})).status_code == 404
    assert (await client.get(docs)).status_code == 200  # unprotected files: public
    await settings(superuserIPs=["127.0.0.0/8"])
    assert (await client.get(url, params={"token": token})).status_code == 200
    await settings(superuserIPs=["10.1.2.3"], trustedProxy={"headers": ["X-Real-IP"]})
    from_proxy = await client.get(url, params={"token": token}, headers={"X-Real-IP": "10.1.2.3"})
    assert from_proxy.status_code == 200 and from_proxy.content == b"s"
    elsewhere = await client.get(url, params={"token": token}, headers={"X-Real-IP": "10.1.2.4"})
    assert elsewhere.status_code == 404
    await settings(superuserIPs=[])
    assert (await client.get(url, params={"token": token})).status_code == 200
