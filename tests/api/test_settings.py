"""``/api/settings``: PocketBase's defaults, partial updates, validation, secrets kept back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

FIXTURE = Path(__file__).parent.parent / "fixtures" / "pocketbase" / "settings.json"


@pytest.fixture
def su(superuser_token: str) -> dict[str, str]:
    return {"Authorization": superuser_token}


async def test_defaults_match_pocketbase(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    response = await client.get("/api/settings", headers=su)
    assert response.status_code == 200
    assert response.json() == json.loads(FIXTURE.read_text())


async def test_partial_update(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    response = await client.patch(
        "/api/settings",
        json={"batch": {"enabled": True}, "meta": {"appName": "Ferry"}, "unknown": 1},
        headers=su,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["batch"] == {"enabled": True, "maxRequests": 50, "timeout": 3, "maxBodySize": 0}
    assert body["meta"]["appName"] == "Ferry" and body["meta"]["senderName"] == "Support"
    assert "unknown" not in body
    assert (await client.get("/api/settings", headers=su)).json() == body


async def test_secrets_are_stored_but_never_shown(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    response = await client.patch(
        "/api/settings",
        json={"smtp": {"password": "hunter2"}, "s3": {"secret": "s3cr3t"}},
        headers=su,
    )
    assert response.status_code == 200
    assert "hunter2" not in response.text and "s3cr3t" not in response.text
    assert "password" not in response.json()["smtp"]
    viewed = await client.get("/api/settings", headers=su)
    assert "hunter2" not in viewed.text


async def test_validation(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    response = await client.patch(
        "/api/settings", json={"batch": {"maxRequests": -1}, "meta": {"appName": ""}}, headers=su
    )
    assert response.status_code == 400
    assert response.json() == {
        "data": {
            "batch": {
                "maxRequests": {
                    "code": "validation_min_greater_equal_than_required",
                    "message": "Must be no less than 0.",
                    "params": {"threshold": 0},
                }
            },
            "meta": {"appName": {"code": "validation_required", "message": "Cannot be blank."}},
        },
        "message": "An error occurred while saving the new settings.",
        "status": 400,
    }
    # nothing was saved
    assert (await client.get("/api/settings", headers=su)).json()["meta"]["appName"] == "Acme"


@pytest.mark.parametrize(
    "body",
    [{"batch": {"enabled": "x"}}, {"meta": "x"}, {"superuserIPs": [1]}, {"logs": {"maxDays": "5"}}],
)
async def test_wrong_types_cannot_load(
    client: httpx.AsyncClient, su: dict[str, str], body: dict[str, object]
) -> None:
    response = await client.patch("/api/settings", json=body, headers=su)
    assert response.status_code == 400
    assert response.json()["message"] == "An error occurred while loading the submitted data."


async def test_superusers_only(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/settings")).status_code == 401
    assert (await client.patch("/api/settings", json={})).status_code == 401


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"meta": {"appURL": "not a url"}}, ("meta", "appURL"), "validation_is_url"),
        (
            {"batch": {"enabled": True, "maxRequests": 0}},
            ("batch", "maxRequests"),
            "validation_required",
        ),
        ({"smtp": {"enabled": True, "host": ""}}, ("smtp", "host"), "validation_required"),
    ],
)
async def test_enabled_sections_are_validated(
    client: httpx.AsyncClient,
    su: dict[str, str],
    body: dict[str, object],
    path: tuple[str, str],
    code: str,
) -> None:
    response = await client.patch("/api/settings", json=body, headers=su)
    assert response.status_code == 400
    assert response.json()["data"][path[0]][path[1]]["code"] == code


async def test_rate_limit_rules_are_validated(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    body = {"rateLimits": {"enabled": True, "rules": [], "excludedIPs": ["not-an-ip"]}}
    response = await client.patch("/api/settings", json=body, headers=su)
    assert response.status_code == 400
    errors = response.json()["data"]["rateLimits"]
    assert errors["rules"]["code"] == "validation_required"
    assert errors["excludedIPs"]["0"]["code"] == "validation_invlaid_ip_or_subnet"


async def test_apple_client_secret(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    url = "/api/settings/apple/generate-client-secret"
    assert (await client.post(url, json={})).status_code == 401
    blank = await client.post(url, json={}, headers=su)
    assert blank.status_code == 400
    assert blank.json()["message"] == "Invalid client secret data."
    assert sorted(blank.json()["data"]) == ["clientId", "duration", "keyId", "privateKey", "teamId"]
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    body = {
        "clientId": "com.example.app",
        "teamId": "ABCDEFGHIJ",
        "keyId": "KEYID12345",
        "privateKey": pem,
        "duration": 3600,
    }
    too_long = await client.post(url, json={**body, "duration": 99999999}, headers=su)
    assert too_long.json()["data"]["duration"]["code"] == "validation_max_less_equal_than_required"
    made = await client.post(url, json=body, headers=su)
    assert made.status_code == 200, made.text
    claims = jwt.decode(
        made.json()["secret"],
        key.public_key(),
        algorithms=["ES256"],
        audience="https://appleid.apple.com",
    )
    assert (claims["iss"], claims["sub"]) == ("ABCDEFGHIJ", "com.example.app")
    assert jwt.get_unverified_header(made.json()["secret"])["kid"] == "KEYID12345"


async def test_test_email(client: httpx.AsyncClient, su: dict[str, str], core: Any) -> None:
    from ferrybase.core.ports import RecordingMailer

    mailer = RecordingMailer()
    core.mailer = mailer
    url = "/api/settings/test/email"
    blank = await client.post(url, json={}, headers=su)
    assert blank.status_code == 400
    assert blank.json()["message"] == "Failed to send the test email."
    assert sorted(blank.json()["data"]) == ["email", "template"]
    wrong = await client.post(
        url, json={"email": "a@b.co", "template": "nope", "collection": "posts"}, headers=su
    )
    assert sorted(wrong.json()["data"]) == ["collection", "template"]
    sent = await client.post(
        url, json={"email": "a@b.co", "template": "otp", "collection": "users"}, headers=su
    )
    assert sent.status_code == 204, sent.text
    [mail] = mailer.sent
    assert mail.to == "a@b.co" and "123456" in mail.html
    assert (await client.post(url, json={})).status_code == 401
