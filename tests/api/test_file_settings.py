"""The ``s3`` settings that move record files to an S3-compatible bucket, and their test."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ferrybase.core.app import Core
from tests.support.s3 import S3Server, s3_server

__all__ = ["s3_server"]  # the fixture


@pytest.fixture
def su(superuser_token: str) -> dict[str, str]:
    return {"Authorization": superuser_token}


async def test_the_secret_is_kept_but_never_shown(
    client: httpx.AsyncClient, su: dict[str, str], core: Core, s3_server: S3Server
) -> None:
    s3 = s3_server.settings("some-bucket")
    response = await client.patch("/api/settings", json={"s3": s3}, headers=su)
    assert response.status_code == 200, response.text
    assert "secret" not in response.json()["s3"]
    shown = (await client.get("/api/settings", headers=su)).json()
    assert "secret" not in shown["s3"] and "secret" not in shown["backups"]["s3"]
    assert s3["secret"] not in (await client.get("/api/settings", headers=su)).text
    assert (await core.settings.load())["s3"]["secret"] == s3["secret"]
    # a PATCH without the secret keeps it
    again = await client.patch("/api/settings", json={"s3": {"region": "eu-west-1"}}, headers=su)
    assert again.status_code == 200
    assert (await core.settings.load())["s3"]["secret"] == s3["secret"]


async def test_enabled_s3_needs_its_settings(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    response = await client.patch(
        "/api/settings",
        json={"s3": {"enabled": True}, "backups": {"s3": {"enabled": True, "endpoint": "nope"}}},
        headers=su,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "An error occurred while saving the new settings."
    required = {"code": "validation_required", "message": "Cannot be blank."}
    assert body["data"]["s3"] == {
        key: required for key in ("endpoint", "bucket", "region", "accessKey", "secret")
    }
    assert body["data"]["backups"]["s3"]["endpoint"] == {
        "code": "validation_is_url",
        "message": "Must be a valid URL.",
    }


async def test_s3_test_endpoint(
    client: httpx.AsyncClient, su: dict[str, str], s3_server: S3Server
) -> None:
    url = "/api/settings/test/s3"
    assert (await client.post(url, json={"filesystem": "storage"})).status_code == 401
    missing = await client.post(url, json={}, headers=su)
    assert missing.json() == {
        "data": {"filesystem": {"code": "validation_required", "message": "Cannot be blank."}},
        "message": "Failed to test the S3 filesystem.",
        "status": 400,
    }
    wrong = await client.post(url, json={"filesystem": "nope"}, headers=su)
    assert wrong.json()["data"]["filesystem"]["code"] == "validation_in_invalid"
    off = await client.post(url, json={"filesystem": "storage"}, headers=su)
    assert off.status_code == 400
    assert off.json()["message"] == (
        "Failed to test the S3 filesystem. Raw error: \nS3 storage filesystem is not enabled."
    )
    bucket = s3_server.new_bucket()
    settings: dict[str, Any] = {"s3": s3_server.settings(bucket)}
    settings["backups"] = {"s3": s3_server.settings("no-such-bucket")}
    assert (await client.patch("/api/settings", json=settings, headers=su)).status_code == 200
    ok = await client.post(url, json={"filesystem": "storage"}, headers=su)
    assert ok.status_code == 204, ok.text
    assert s3_server.keys(bucket) == []  # the test file is gone again
    failing = await client.post(url, json={"filesystem": "backups"}, headers=su)
    assert failing.status_code == 400
    assert failing.json()["message"].startswith("Failed to test the S3 filesystem. Raw error:")


async def test_files_follow_the_settings(
    client: httpx.AsyncClient, su: dict[str, str], core: Core, s3_server: S3Server
) -> None:
    collection = {"name": "docs", "fields": [{"name": "f", "type": "file"}], "createRule": ""}
    assert (await client.post("/api/collections", json=collection, headers=su)).status_code == 200
    url = "/api/collections/docs/records"
    local = (await client.post(url, files=[("f", ("a.txt", b"a"))])).json()
    folder = core.files.factory is not None and getattr(await core.files.storage(), "root", None)
    assert folder, "the local folder by default"
    assert (folder / local["collectionId"] / local["id"] / local["f"]).exists()
    bucket = s3_server.new_bucket()
    settings = {"s3": s3_server.settings(bucket)}
    assert (await client.patch("/api/settings", json=settings, headers=su)).status_code == 200
    remote = (await client.post(url, files=[("f", ("b.txt", b"b"))])).json()
    assert s3_server.keys(bucket) == [f"{remote['collectionId']}/{remote['id']}/{remote['f']}"]
    served = await client.get(f"/api/files/docs/{remote['id']}/{remote['f']}")
    assert served.status_code == 200 and served.content == b"b"
