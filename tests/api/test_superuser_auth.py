"""Superuser sign-in and refresh: PocketBase's shapes, errors and token rules."""

from __future__ import annotations

import base64
import time

import httpx
import jwt
import orjson
import pytest

from ferrybase.core.app import Core
from tests.conftest import SU_EMAIL, SU_PASSWORD

AUTH_URL = "/api/collections/_superusers/auth-with-password"
REFRESH_URL = "/api/collections/_superusers/auth-refresh"
SUPERUSERS_ID = "pbc_3142635823"  # hard-coded in the JS SDK


async def sign_in(client: httpx.AsyncClient, **body: object) -> httpx.Response:
    return await client.post(AUTH_URL, json=body)


async def test_sign_in_returns_token_and_record(
    client: httpx.AsyncClient, superuser_token: str
) -> None:
    response = await sign_in(client, identity=SU_EMAIL, password=SU_PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"record", "token"}
    record = body["record"]
    assert set(record) == {
        "collectionId",
        "collectionName",
        "created",
        "email",
        "emailVisibility",
        "id",
        "updated",
        "verified",
    }
    assert record["collectionId"] == SUPERUSERS_ID
    assert record["collectionName"] == "_superusers"
    assert record["email"] == SU_EMAIL
    assert record["verified"] is True
    assert len(record["id"]) == 15
    assert record["created"].endswith("Z") and record["created"][10] == " "
    header = jwt.get_unverified_header(body["token"])
    assert header == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert set(claims) == {"collectionId", "exp", "id", "refreshable", "type"}
    assert claims["type"] == "auth" and claims["refreshable"] is True
    assert claims["id"] == record["id"] and claims["collectionId"] == SUPERUSERS_ID
    assert 86400 - 60 < claims["exp"] - time.time() <= 86400


@pytest.mark.parametrize(
    "body",
    [
        {"identity": SU_EMAIL, "password": "wrong-password"},
        {"identity": "nobody@example.com", "password": SU_PASSWORD},
        {"identity": SU_EMAIL.upper(), "password": SU_PASSWORD},  # identity is case-sensitive
    ],
)
async def test_wrong_credentials(
    client: httpx.AsyncClient, superuser_token: str, body: dict[str, str]
) -> None:
    response = await client.post(AUTH_URL, json=body)
    assert response.status_code == 400
    assert response.json() == {"data": {}, "message": "Failed to authenticate.", "status": 400}


async def test_blank_fields_are_validation_errors(client: httpx.AsyncClient) -> None:
    response = await client.post(AUTH_URL, json={})
    assert response.status_code == 400
    assert response.json() == {
        "data": {
            "identity": {"code": "validation_required", "message": "Cannot be blank."},
            "password": {"code": "validation_required", "message": "Cannot be blank."},
        },
        "message": "An error occurred while validating the submitted data.",
        "status": 400,
    }


async def test_unknown_identity_field(client: httpx.AsyncClient) -> None:
    response = await sign_in(client, identity="a", password="b", identityField="name")
    assert response.status_code == 400
    assert response.json()["data"] == {
        "identityField": {"code": "validation_in_invalid", "message": "Must be a valid value."}
    }


async def test_wrongly_typed_fields_cannot_load(client: httpx.AsyncClient) -> None:
    response = await sign_in(client, identity=123, password=["b"])
    assert response.status_code == 400
    assert response.json()["message"] == "An error occurred while loading the submitted data."


async def test_form_and_multipart_bodies(client: httpx.AsyncClient, superuser_token: str) -> None:
    form = await client.post(AUTH_URL, data={"identity": SU_EMAIL, "password": SU_PASSWORD})
    assert form.status_code == 200, form.text
    multipart = await client.post(
        AUTH_URL,
        files={
            "@jsonPayload": (None, orjson.dumps({"identity": SU_EMAIL, "password": SU_PASSWORD}))
        },
    )
    assert multipart.status_code == 200, multipart.text


@pytest.mark.parametrize(
    ("collection", "message"),
    [
        ("nope", "Missing or invalid collection context."),
        ("_mfas", "Missing or invalid auth collection context."),
    ],
)
async def test_unknown_or_non_auth_collection(
    client: httpx.AsyncClient, collection: str, message: str
) -> None:
    response = await client.post(
        f"/api/collections/{collection}/auth-with-password", json={"identity": "a"}
    )
    assert response.status_code == 404
    assert response.json()["message"] == message


async def test_refresh_issues_a_new_token(client: httpx.AsyncClient, superuser_token: str) -> None:
    response = await client.post(REFRESH_URL, headers={"Authorization": superuser_token})
    assert response.status_code == 200
    body = response.json()
    assert body["record"]["email"] == SU_EMAIL
    again = await client.post(REFRESH_URL, headers={"Authorization": f"Bearer {body['token']}"})
    assert again.status_code == 200


def _forge(token: str, **changes: object) -> str:
    header, payload, signature = token.split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=="))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _unsigned(token: str) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=").decode()
    return f"{head}.{body}."


async def test_untrustworthy_tokens_are_refused(
    client: httpx.AsyncClient, superuser_token: str
) -> None:
    claims = jwt.decode(superuser_token, options={"verify_signature": False})
    bad_tokens = [
        "",
        "garbage",
        superuser_token[:-4] + "AAAA",  # bad signature
        _forge(superuser_token, exp=int(time.time()) + 10**6),  # tampered payload
        _unsigned(superuser_token),  # alg=none
        jwt.encode(
            {**claims, "exp": int(time.time()) - 10},
            "a-guessed-secret-that-is-long-enough-for-hs256",
            algorithm="HS256",
        ),
        _forge(superuser_token, type="file"),
    ]
    for token in bad_tokens:
        response = await client.post(REFRESH_URL, headers={"Authorization": token})
        assert response.status_code == 401, token
        assert response.json() == {
            "data": {},
            "message": "The request requires valid record authorization token.",
            "status": 401,
        }


async def test_upsert_rotates_token_key_and_revokes_tokens(
    client: httpx.AsyncClient, core: Core, superuser_token: str
) -> None:
    await core.auth.upsert_superuser(SU_EMAIL, "another-password")
    response = await client.post(REFRESH_URL, headers={"Authorization": superuser_token})
    assert response.status_code == 401
    old = await sign_in(client, identity=SU_EMAIL, password=SU_PASSWORD)
    assert old.status_code == 400
    new = await sign_in(client, identity=SU_EMAIL, password="another-password")
    assert new.status_code == 200


async def test_bcrypt_hashes_from_pocketbase_still_sign_in(
    client: httpx.AsyncClient, core: Core
) -> None:
    import bcrypt

    record = await core.auth.create_superuser(SU_EMAIL, SU_PASSWORD)
    collection = record.collection
    legacy = bcrypt.hashpw(b"imported-password", bcrypt.gensalt(rounds=10)).decode()
    await core.records.write_fields(collection, record.id, {"password": legacy})
    response = await sign_in(client, identity=SU_EMAIL, password="imported-password")
    assert response.status_code == 200


async def test_fields_on_auth_responses(client: httpx.AsyncClient, superuser_token: str) -> None:
    response = await client.post(
        AUTH_URL + "?fields=token,record.email",
        json={"identity": SU_EMAIL, "password": SU_PASSWORD},
    )
    body = response.json()
    assert set(body) == {"token", "record"}
    assert body["record"] == {"email": SU_EMAIL}
