"""Health, errors, superuser sign-in and superuser records: Ferrybase answers as PocketBase does.

Each case is sent to both servers; statuses and bodies must match once values that differ by
nature (ids, timestamps, tokens) are masked.
"""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from tests.differential.conftest import SU_EMAIL, SU_PASSWORD
from tests.support.pocketbase import PocketBase
from tests.support.servers import Server

AUTH = "/api/collections/_superusers/auth-with-password"
REFRESH = "/api/collections/_superusers/auth-refresh"
RECORDS = "/api/collections/_superusers/records"
JSON = {"Content-Type": "application/json"}
MASKED = {"id", "created", "updated", "token"}

# (name, method, path, headers, body, needs superuser token)
CASES: list[tuple[str, str, str, dict[str, str], bytes | None, bool]] = [
    ("health", "GET", "/api/health", {}, None, False),
    ("health as superuser", "GET", "/api/health", {}, None, True),
    ("unknown GET", "GET", "/api/nope", {}, None, False),
    ("unknown POST", "POST", "/api/nope", {}, None, False),
    ("unknown outside /api", "GET", "/nope/deeper", {}, None, False),
    ("wrong method", "PUT", "/api/health", {}, None, False),
    ("wrong method on auth", "DELETE", AUTH, {}, None, False),
    ("GET on a POST route", "GET", AUTH, {}, None, False),
    ("malformed json", "POST", AUTH, JSON, b'{"identity":', False),
    ("json array", "POST", AUTH, JSON, b"[1,2]", False),
    ("unsupported type", "POST", AUTH, {"Content-Type": "text/plain"}, b"hello", False),
    ("no content type", "POST", AUTH, {}, b'{"identity":"a"}', False),
    ("empty json", "POST", AUTH, JSON, b"{}", False),
    ("empty body", "POST", AUTH, JSON, b"", False),
    (
        "wrong password",
        "POST",
        AUTH,
        JSON,
        b'{"identity":"admin@example.com","password":"x"}',
        False,
    ),
    (
        "unknown identity",
        "POST",
        AUTH,
        JSON,
        b'{"identity":"who@example.com","password":"x"}',
        False,
    ),
    (
        "bad identityField",
        "POST",
        AUTH,
        JSON,
        b'{"identity":"a","password":"b","identityField":"name"}',
        False,
    ),
    ("typed fields", "POST", AUTH, JSON, b'{"identity":123,"password":["b"]}', False),
    (
        "sign in",
        "POST",
        AUTH,
        JSON,
        b'{"identity":"admin@example.com","password":"pass12345678"}',
        False,
    ),
    (
        "sign in, form",
        "POST",
        AUTH,
        {"Content-Type": "application/x-www-form-urlencoded"},
        b"identity=admin%40example.com&password=pass12345678",
        False,
    ),
    (
        "auth on a missing collection",
        "POST",
        "/api/collections/nope/auth-with-password",
        JSON,
        b"{}",
        False,
    ),
    ("refresh without token", "POST", REFRESH, {}, None, False),
    ("refresh with garbage", "POST", REFRESH, {"Authorization": "garbage"}, None, False),
    ("refresh", "POST", REFRESH, {}, None, True),
    ("create as guest", "POST", RECORDS, JSON, b"{}", False),
    ("view as guest", "GET", RECORDS + "/abcdefghij12345", {}, None, False),
    ("create, empty", "POST", RECORDS, JSON, b"{}", True),
    (
        "create, mismatch",
        "POST",
        RECORDS,
        JSON,
        b'{"email":"bad","password":"short","passwordConfirm":"other"}',
        True,
    ),
    (
        "create, invalid",
        "POST",
        RECORDS,
        JSON,
        b'{"email":"bad","password":"short","passwordConfirm":"short"}',
        True,
    ),
    (
        "create, duplicate",
        "POST",
        RECORDS,
        JSON,
        b'{"email":"admin@example.com","password":"12345678","passwordConfirm":"12345678"}',
        True,
    ),
    (
        "create, short id",
        "POST",
        RECORDS,
        JSON,
        b'{"id":"abc","email":"z@example.com","password":"12345678","passwordConfirm":"12345678"}',
        True,
    ),
    ("view missing", "GET", RECORDS + "/abcdefghij12345", {}, None, True),
    ("delete missing", "DELETE", RECORDS + "/abcdefghij12345", {}, None, True),
    ("records of a missing collection", "GET", "/api/collections/nope/records/x", {}, None, True),
]


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (f"<{k}>" if k in MASKED and v else _mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def _token(client: httpx.Client, url: str) -> str:
    response = client.post(url + AUTH, json={"identity": SU_EMAIL, "password": SU_PASSWORD})
    token: str = response.json()["token"]
    return token


def _answer(client: httpx.Client, url: str, case: tuple[Any, ...]) -> tuple[int, Any]:
    _, method, path, headers, body, as_superuser = case
    headers = dict(headers)
    if as_superuser:
        headers["Authorization"] = _token(client, url)
    response = client.request(method, url + path, headers=headers, content=body)
    if not response.content:
        return response.status_code, None
    return response.status_code, _mask(response.json())


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_same_answer(pocketbase: PocketBase, ferrybase: Server, case: tuple[Any, ...]) -> None:
    with httpx.Client(timeout=10) as client:
        expected = _answer(client, pocketbase.url, case)
        actual = _answer(client, ferrybase.url, case)
    assert actual == expected


def test_same_token_claims(pocketbase: PocketBase, ferrybase: Server) -> None:
    with httpx.Client(timeout=10) as client:
        pb = jwt.decode(_token(client, pocketbase.url), options={"verify_signature": False})
        fb = jwt.decode(_token(client, ferrybase.url), options={"verify_signature": False})
    assert sorted(fb) == sorted(pb)
    assert {k: v for k, v in fb.items() if k not in ("id", "exp")} == {
        k: v for k, v in pb.items() if k not in ("id", "exp")
    }
    assert abs(fb["exp"] - pb["exp"]) < 60


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
def test_same_headers(pocketbase: PocketBase, ferrybase: Server, method: str) -> None:
    headers = {
        "Origin": "http://example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,authorization",
    }
    names = [
        "access-control-allow-origin",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "content-type",
        "x-content-type-options",
        "x-frame-options",
        "x-xss-protection",
        "cross-origin-opener-policy",
    ]
    with httpx.Client(timeout=10) as client:
        pb = client.request(method, pocketbase.url + "/api/health", headers=headers)
        fb = client.request(method, ferrybase.url + "/api/health", headers=headers)
    assert fb.status_code == pb.status_code
    assert fb.content == pb.content
    assert {n: fb.headers.get(n) for n in names} == {n: pb.headers.get(n) for n in names}


def test_same_answer_to_an_oversized_body(pocketbase: PocketBase, ferrybase: Server) -> None:
    body = b"a" * (33 << 20)
    with httpx.Client(timeout=30) as client:
        pb = client.post(pocketbase.url + AUTH, content=body, headers=JSON)
        fb = client.post(ferrybase.url + AUTH, content=body, headers=JSON)
    assert (fb.status_code, fb.json()) == (pb.status_code, pb.json())
