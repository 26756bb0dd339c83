"""Fixtures shared by every test package: a fresh store per test, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from ferrybase.config import Config
from ferrybase.core.app import Core
from ferrybase.server import build_app
from tests.support.databases import database

STORES = ["sqlite", "postgres"]

SU_EMAIL = "admin@example.com"
SU_PASSWORD = "pass12345678"


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
async def config(store_kind: str, tmp_path: Path) -> AsyncIterator[Config]:
    async with database(store_kind) as db:
        yield Config(dir=tmp_path / "fb_data", db=db, workers=1)


@pytest.fixture
async def app(config: Config) -> AsyncIterator[Starlette]:
    application = build_app(config)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def core(app: Starlette) -> Core:
    c: Core = app.state.core
    return c


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def superuser_token(core: Core, client: httpx.AsyncClient) -> str:
    await core.auth.create_superuser(SU_EMAIL, SU_PASSWORD)
    response = await client.post(
        "/api/collections/_superusers/auth-with-password",
        json={"identity": SU_EMAIL, "password": SU_PASSWORD},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token
