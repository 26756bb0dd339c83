"""Two processes on one database (two workers, or two nodes on PostgreSQL): what each one
remembers between requests (the catalog, signed-in tokens, list totals) follows the other's
writes. On SQLite at once (the file's data version); on PostgreSQL once the other's commit
notification has arrived, which the test allows a few seconds for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from starlette.applications import Starlette

from ferrybase.config import Config
from ferrybase.server import build_app
from ferrybase.store import postgres
from tests.conftest import SU_EMAIL, SU_PASSWORD


@pytest.fixture(autouse=True)
def no_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the other process's notifications may move PostgreSQL's epoch here."""
    monkeypatch.setattr(postgres, "EPOCH_TICK", 3600.0)


@pytest.fixture
async def other(config: Config, app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a second process on the same database (``app`` started first)."""
    second = build_app(config)
    async with second.router.lifespan_context(second):
        transport = httpx.ASGITransport(app=second, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        if await check():
            return True
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.01)


async def test_what_one_process_remembers_follows_the_others_writes(
    client: httpx.AsyncClient, other: httpx.AsyncClient, superuser_token: str
) -> None:
    su = {"Authorization": superuser_token}
    # this process remembers the token, the catalog and the total
    assert (await client.get("/api/collections", headers=su)).status_code == 200
    assert (await client.get("/api/collections/notes/records", headers=su)).status_code == 404

    created = await other.post(
        "/api/collections",
        headers=su,
        json={"name": "notes", "type": "base", "fields": [{"name": "title", "type": "text"}]},
    )
    assert created.status_code == 200, created.text

    async def notes_total() -> int | None:
        r = await client.get("/api/collections/notes/records", headers=su)
        return r.json()["totalItems"] if r.status_code == 200 else None

    async def total_is(n: int) -> bool:
        return await notes_total() == n

    assert await eventually(lambda: total_is(0)), "the new collection stayed unknown"
    wrote = await other.post("/api/collections/notes/records", headers=su, json={"title": "a"})
    assert wrote.status_code == 200, wrote.text
    assert await eventually(lambda: total_is(1)), "the remembered total stayed 0"

    me = (await client.get("/api/collections/_superusers/records", headers=su)).json()
    changed = await other.patch(
        f"/api/collections/_superusers/records/{me['items'][0]['id']}",
        headers=su,
        json={"password": "another-pass-1", "passwordConfirm": "another-pass-1"},
    )
    assert changed.status_code == 200, changed.text

    async def token_refused() -> bool:
        r = await client.get("/api/collections", headers=su)
        return r.status_code == 401

    assert await eventually(token_refused), "a token signed out elsewhere still signs in here"
    signed_in = await client.post(
        "/api/collections/_superusers/auth-with-password",
        json={"identity": SU_EMAIL, "password": SU_PASSWORD},
    )
    assert signed_in.status_code == 400
