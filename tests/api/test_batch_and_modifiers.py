"""Batch requests (all or nothing) and field modifiers that never lose a concurrent update."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from ferrybase.core.app import Core

KITCHEN: dict[str, Any] = {
    "name": "kitchen",
    "fields": [
        {"name": "t", "type": "text"},
        {"name": "n", "type": "number", "min": 0},
        {"name": "tags", "type": "select", "maxSelect": 4, "values": ["a", "b", "c", "d"]},
        {"name": "s1", "type": "select", "maxSelect": 1, "values": ["x", "y"]},
    ],
    "listRule": "",
    "viewRule": "",
    "createRule": "",
    "updateRule": "",
    "deleteRule": "",
}
URL = "/api/collections/kitchen/records"


@pytest.fixture
async def su(client: httpx.AsyncClient, superuser_token: str) -> dict[str, str]:
    headers = {"Authorization": superuser_token}
    assert (await client.post("/api/collections", json=KITCHEN, headers=headers)).status_code == 200
    return headers


async def enable_batch(client: httpx.AsyncClient, su: dict[str, str], **options: Any) -> None:
    body = {"batch": {"enabled": True, **options}}
    assert (await client.patch("/api/settings", json=body, headers=su)).status_code == 200


async def test_batch_is_off_by_default(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    response = await client.post("/api/batch", json={"requests": []}, headers=su)
    assert response.status_code == 403
    assert response.json()["message"] == "Batch requests are not allowed."


async def test_batch_all_kinds(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    await enable_batch(client, su)
    requests = [
        {"method": "POST", "url": URL, "body": {"t": "b1", "n": 1}},
        {
            "method": "POST",
            "url": URL + "?fields=id,t",
            "body": {"id": "batchid00000001", "t": "b2"},
        },
        {"method": "PATCH", "url": URL + "/batchid00000001", "body": {"n+": 5}},
        {"method": "PUT", "url": URL, "body": {"id": "batchid00000002", "t": "upsert-create"}},
        {"method": "PUT", "url": URL, "body": {"id": "batchid00000002", "t": "upsert-update"}},
        {"method": "DELETE", "url": URL + "/batchid00000002"},
    ]
    response = await client.post("/api/batch", json={"requests": requests})
    assert response.status_code == 200, response.text
    results = response.json()
    assert [r["status"] for r in results] == [200, 200, 200, 200, 200, 204]
    assert results[1]["body"] == {"id": "batchid00000001", "t": "b2"}
    assert results[2]["body"]["n"] == 5
    assert results[4]["body"]["t"] == "upsert-update"
    assert results[5]["body"] is None
    listed = (await client.get(URL, params={"sort": "t"})).json()
    assert [i["t"] for i in listed["items"]] == ["b1", "b2"]


async def test_a_batch_reaches_the_change_feed_in_its_order(
    client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    """What realtime subscribers get: one event per item, in the batch's order, after any
    event committed before it (on PostgreSQL the batch's appends go in one round trip)."""
    await enable_batch(client, su)
    before = await client.post(URL, json={"id": "before000000001", "t": "x"})
    assert before.status_code == 200
    requests = [
        {"method": "POST", "url": URL, "body": {"id": "batchid00000001", "t": "a"}},
        {"method": "POST", "url": URL, "body": {"id": "batchid00000002", "t": "b"}},
        {"method": "PATCH", "url": URL + "/batchid00000001", "body": {"t": "a2"}},
        {"method": "DELETE", "url": URL + "/batchid00000002"},
    ]
    assert (await client.post("/api/batch", json={"requests": requests})).status_code == 200
    feed = await core.store.fetch_all(
        'SELECT "recordId", "action" FROM "_changes" WHERE "collectionName" = ? ORDER BY "seq"',
        ("kitchen",),
    )
    assert [(c["recordId"], c["action"]) for c in feed] == [
        ("before000000001", "create"),
        ("batchid00000001", "create"),
        ("batchid00000002", "create"),
        ("batchid00000001", "update"),
        ("batchid00000002", "delete"),
    ]


async def test_a_failing_item_rolls_everything_back(
    client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    await enable_batch(client, su)
    requests = [
        {"method": "POST", "url": URL, "body": {"t": "kept?"}},
        {"method": "POST", "url": URL, "body": {"s1": "zzz"}},
    ]
    response = await client.post("/api/batch", json={"requests": requests})
    assert response.status_code == 400
    assert response.json() == {
        "data": {
            "requests": {
                "1": {
                    "code": "batch_request_failed",
                    "message": "Batch request failed.",
                    "response": {
                        "data": {
                            "s1": {
                                "code": "validation_invalid_value",
                                "message": "Invalid value zzz.",
                                "params": {"value": "zzz"},
                            }
                        },
                        "message": "Failed to create record.",
                        "status": 400,
                    },
                }
            }
        },
        "message": "Batch transaction failed.",
        "status": 400,
    }
    assert await core.store.fetch_value('SELECT COUNT(*) FROM "kitchen"') == 0
    missing = await client.post(
        "/api/batch", json={"requests": [{"method": "DELETE", "url": URL + "/nope"}]}
    )
    assert missing.json()["data"]["requests"]["0"]["response"]["status"] == 404
    get = await client.post("/api/batch", json={"requests": [{"method": "GET", "url": URL}]})
    assert get.json()["data"]["requests"]["0"]["response"]["status"] == 400


async def test_batch_request_validation(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    await enable_batch(client, su, maxRequests=2)
    empty = await client.post("/api/batch", json={"requests": []})
    assert empty.json() == {
        "data": {"requests": {"code": "validation_required", "message": "Cannot be blank."}},
        "message": "Invalid batch request data.",
        "status": 400,
    }
    many = await client.post("/api/batch", json={"requests": [{}, {}, {}]})
    assert many.json()["data"]["requests"] == {
        "code": "validation_length_too_long",
        "message": "The length must be no more than 2.",
        "params": {"max": 2, "min": 0},
    }
    no_method = await client.post("/api/batch", json={"requests": [{"url": URL}]})
    assert no_method.json()["data"] == {
        "requests": {
            "0": {"method": {"code": "validation_required", "message": "Cannot be blank."}}
        }
    }
    garbage = await client.post("/api/batch", json={"requests": 5})
    assert garbage.json()["message"] == "Failed to read the submitted batch data."


async def test_modifiers(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    record = (await client.post(URL, json={"n": 5, "tags": ["a"]})).json()
    url = f"{URL}/{record['id']}"
    response = await client.patch(url, json={"n+": 3, "tags+": ["b", "c"], "+tags": "d"})
    assert response.json()["n"] == 8
    assert response.json()["tags"] == ["d", "a", "b", "c"]
    response = await client.patch(url, json={"n-": 2, "tags-": ["a", "c"]})
    assert (response.json()["n"], response.json()["tags"]) == (6, ["d", "b"])
    below_min = await client.patch(url, json={"n-": 100})
    assert below_min.status_code == 400
    assert below_min.json()["data"]["n"]["code"] == "validation_min_number_constraint"
    created = (await client.post(URL, json={"n+": 2, "tags+": "a"})).json()
    assert (created["n"], created["tags"]) == (2, ["a"])


async def test_concurrent_increments_are_never_lost(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    """200 concurrent ``n+`` updates from 20 clients end with the counter at exactly 200."""
    record = (await client.post(URL, json={"n": 0})).json()
    url = f"{URL}/{record['id']}"

    async def one_client() -> None:
        for _ in range(10):
            response = await client.patch(url, json={"n+": 1})
            assert response.status_code == 200, response.text

    await asyncio.gather(*(one_client() for _ in range(20)))
    assert (await client.get(url)).json()["n"] == 200


async def test_batch_items_count_against_rate_limits(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    await enable_batch(client, su)
    limits = {
        "rateLimits": {
            "enabled": True,
            "rules": [
                {"label": "kitchen:create", "audience": "", "duration": 60, "maxRequests": 2}
            ],
        }
    }
    assert (await client.patch("/api/settings", json=limits, headers=su)).status_code == 200
    item = {"method": "POST", "url": URL, "body": {"t": "x"}}
    response = await client.post("/api/batch", json={"requests": [item, item, item]})
    assert response.status_code == 400
    failure = response.json()["data"]["requests"]["2"]
    assert failure["code"] == "batch_request_failed"
    assert failure["response"] == {"data": {}, "message": "Too Many Requests.", "status": 429}
