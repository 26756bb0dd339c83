"""Health, the error envelope for every failure, CORS and security headers, the body limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "x-xss-protection": "1; mode=block",
    "cross-origin-opener-policy": "same-origin",
    "vary": "Origin",
}
AUTH_URL = "/api/collections/_superusers/auth-with-password"


def assert_envelope(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"data": {}, "message": message, "status": status}


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"message": "API is healthy.", "code": 200, "data": {}}
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


async def test_health_head_has_no_body(client: httpx.AsyncClient) -> None:
    response = await client.head("/api/health")
    assert response.status_code == 200
    assert response.content == b""


async def test_health_shows_details_to_superusers_only(
    client: httpx.AsyncClient, superuser_token: str
) -> None:
    response = await client.get("/api/health", headers={"Authorization": superuser_token})
    assert response.json()["data"] == {
        "canBackup": True,
        "realIP": "127.0.0.1",
        "possibleProxyHeader": "",
    }
    bogus = await client.get("/api/health", headers={"Authorization": "not-a-token"})
    assert bogus.json()["data"] == {}


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("GET", "/api/nope", "File not found."),
        ("GET", "/nope", "File not found."),
        ("POST", "/api/nope", "The requested resource wasn't found."),
        ("PUT", "/api/health", "The requested resource wasn't found."),
        ("DELETE", "/api/health", "The requested resource wasn't found."),
        ("GET", AUTH_URL, "File not found."),
        ("PATCH", AUTH_URL, "The requested resource wasn't found."),
    ],
)
async def test_unknown_routes_and_methods_are_404_envelopes(
    client: httpx.AsyncClient, method: str, path: str, message: str
) -> None:
    assert_envelope(await client.request(method, path), 404, message)


@pytest.mark.parametrize(
    "body",
    [b'{"identity":', b"[1,2]", b'"text"', b"{'single': 'quotes'}", b"\xff\xfe"],
)
async def test_malformed_json_is_400(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        AUTH_URL, content=body, headers={"Content-Type": "application/json"}
    )
    assert_envelope(response, 400, "An error occurred while loading the submitted data.")


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
async def test_unsupported_content_type_is_400(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post(AUTH_URL, content=b"identity=x", headers=headers)
    assert_envelope(response, 400, "Unsupported Content-Type.")


async def test_declared_oversized_body_is_413_before_reading(client: httpx.AsyncClient) -> None:
    received = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal received
        for _ in range(40):
            received += 1
            yield b"a" * (1 << 20)

    response = await client.post(
        AUTH_URL,
        content=body(),
        headers={"Content-Type": "application/json", "Content-Length": str(40 << 20)},
    )
    assert_envelope(response, 413, "Request entity too large.")
    assert response.headers["connection"] == "close"
    assert received <= 1  # refused on the declared length, not after reading 40 MiB


async def test_streamed_oversized_body_is_413_at_the_limit(client: httpx.AsyncClient) -> None:
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(64):
            sent += 1
            yield b"a" * (1 << 20)

    # No Content-Length: the limit has to be found while the body streams in.
    response = await client.post(
        AUTH_URL, content=body(), headers={"Content-Type": "application/json"}
    )
    assert_envelope(response, 413, "Request entity too large.")
    assert sent <= 34  # reading stopped at the 32 MiB limit, not at the end


async def test_cors_preflight_is_204(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/api/health",
        headers={
            "Origin": "http://example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE"
    assert response.headers["access-control-allow-headers"] == "content-type,authorization"


async def test_simple_cors_request(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health", headers={"Origin": "http://example.com"})
    assert response.headers["access-control-allow-origin"] == "*"
    no_origin = await client.get("/api/health")
    assert "access-control-allow-origin" not in no_origin.headers


async def test_unexpected_errors_are_500_envelopes_without_details(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ferrybase.core.auth import Authenticator

    async def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("SELECT secret FROM somewhere -- internal detail")

    monkeypatch.setattr(Authenticator, "with_password", explode)
    response = await client.post(AUTH_URL, json={"identity": "a@b.c", "password": "x"})
    assert_envelope(response, 500, "Something went wrong while processing your request.")
    assert "SELECT" not in response.text and "Traceback" not in response.text


async def test_one_access_log_line_per_request(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    import orjson

    with caplog.at_level("INFO", logger="ferrybase.access"):
        await client.get(
            "/api/health?token=secret-value", headers={"Authorization": "secret-token"}
        )
        await client.post("/api/nope")
    lines = [orjson.loads(r.getMessage()) for r in caplog.records if r.name == "ferrybase.access"]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/api/health", 200),
        ("POST", "/api/nope", 404),
    ]
    assert all(line["ms"] >= 0 and line["ip"] == "127.0.0.1" for line in lines)
    assert "secret" not in caplog.text


async def test_a_worker_writes_its_access_lines_straight_to_stderr(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    import orjson

    from ferrybase.api.middleware import ACCESS_LOG, access_log

    stream = io.StringIO()
    writes: list[str] = []
    monkeypatch.setattr(stream, "write", writes.append)
    monkeypatch.setattr(access_log, "level", 20)  # INFO, as configure_logging sets it
    monkeypatch.setattr(ACCESS_LOG, "_stream", None)
    ACCESS_LOG.to_stream(stream)
    await asyncio.gather(*(client.get(f"/api/health?n={n}") for n in range(5)))
    await asyncio.sleep(0)  # the turn after the responses
    lines = [orjson.loads(line) for chunk in writes for line in chunk.splitlines()]
    assert [(line["path"], line["status"]) for line in lines] == [("/api/health", 200)] * 5


async def test_fields_filter_applies_to_every_success(client: httpx.AsyncClient) -> None:
    health = await client.get("/api/health?fields=message")
    assert health.json() == {"message": "API is healthy."}
    missing = await client.get("/api/nope?fields=status")
    assert missing.json() == {"data": {}, "message": "File not found.", "status": 404}
    bad = await client.get("/api/health?fields=message:lower")
    assert bad.status_code == 400
