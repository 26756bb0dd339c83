"""The PostgreSQL store: its data epoch, and write transactions taking turns.

The data epoch is what lets a process remember database state between requests.
It must move when anything another process could see has changed: at once for this
process's own commits, when the notification of another node's commit arrives, within a tick
for a write made with no notification at all, and it must vanish (nothing remembered) while
the listening connection is lost."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from ferrybase.core.ports import Json
from ferrybase.store import postgres
from ferrybase.store.postgres import PostgresStore
from tests.support.databases import pg_base_url, postgres_schema


@pytest.fixture
async def url() -> AsyncIterator[str]:
    """A database of its own: notifications reach every listener of a database, so another
    test's writes (in its own schema of the same database) would move this one's epochs."""
    async with postgres_schema():  # skips (or fails under CI) where PostgreSQL is away
        pass
    name = f"fbtest_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(pg_base_url())
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield urlunsplit(urlsplit(pg_base_url())._replace(path=f"/{name}"))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def slow_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only commits and notifications move the epoch during the test."""
    monkeypatch.setattr(postgres, "EPOCH_TICK", 3600.0)


async def opened(url: str) -> PostgresStore:
    """A store on ``url`` with a table ``t``, once the notifications of its own set-up have
    come back (they would move its epochs under the test's feet; with a short tick it never
    settles, and the tests that use one do not need it to)."""
    store = await PostgresStore.open(url, min_size=1, max_size=4)
    await store.migrate()
    await store.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
    await quiet(store)
    return store


async def quiet(*stores: PostgresStore) -> None:
    """Until the notifications of earlier commits have come back to ``stores`` (at most 2 s:
    with a short tick their epochs never stand still)."""
    for _ in range(20):
        before = [s.data_epoch() for s in stores]
        await asyncio.sleep(0.1)
        if [s.data_epoch() for s in stores] == before:
            return


async def moves(epoch: Callable[[], int | None], before: int | None, within: float = 5) -> bool:
    """Whether ``epoch()`` shows a value other than ``before`` (and not None) in time."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        now = epoch()
        if now is not None and now != before:
            return True
        await asyncio.sleep(0.01)
    return False


@pytest.mark.usefixtures("slow_tick")
async def test_own_commits_move_the_epoch_at_once_reads_do_not(url: str) -> None:
    store = await opened(url)
    try:
        before = store.data_epoch()
        assert before is not None
        await store.fetch_all("SELECT * FROM t")
        async with store.transaction() as tx:
            await tx.fetch_value("SELECT count(*) FROM t")
        assert store.data_epoch() == before
        async with store.transaction() as tx:
            await tx.execute("INSERT INTO t (id, v) VALUES (?, ?)", (1, "a"))
        after = store.data_epoch()
        assert after is not None and after != before
        await store.execute("UPDATE t SET v = ? WHERE id = ?", ("b", 1))
        assert store.data_epoch() not in (None, after)
        await quiet(store)  # the echo of that commit's own notification
        with pytest.raises(RuntimeError):  # rolled back: nothing to announce
            async with store.transaction() as tx:
                await tx.execute("INSERT INTO t (id, v) VALUES (?, ?)", (2, "c"))
                settled = store.data_epoch()
                raise RuntimeError
        assert store.data_epoch() == settled
    finally:
        await store.close()
    assert store.data_epoch() is None


@pytest.mark.usefixtures("slow_tick")
async def test_another_nodes_commits_move_the_epoch(url: str) -> None:
    here, there = await opened(url), await opened(url)
    try:
        for write in (
            # a plain write transaction, a statement of its own, a change-feed append
            lambda: there.execute("INSERT INTO t (id, v) VALUES (?, ?)", (1, "a")),
            lambda: there.execute_returning("UPDATE t SET v = ? RETURNING id", ("b",)),
        ):
            before = here.data_epoch()
            await write()
            assert await moves(here.data_epoch, before)
        before = here.data_epoch()
        async with there.transaction() as tx:  # what a record write does
            await tx.execute_at_commit(
                'INSERT INTO "_changes" ("collectionId", "collectionName", "recordId", '
                '"action", "record", "created") VALUES (?, ?, ?, ?, ?, ?)',
                ("c", "posts", "r", "create", Json({}), "2026-01-01 00:00:00.000Z"),
            )
        assert await moves(here.data_epoch, before)
    finally:
        await here.close()
        await there.close()


@pytest.mark.usefixtures("slow_tick")
async def test_the_catalog_epoch_moves_with_catalog_changes_alone(url: str) -> None:
    here, there = await opened(url), await opened(url)
    tool = await asyncpg.connect(url)
    await quiet(here)  # there's set-up
    try:
        catalog, data = here.catalog_epoch(), here.data_epoch()
        assert catalog is not None
        await there.execute("INSERT INTO t (id, v) VALUES (?, ?)", (1, "a"))  # data only
        assert await moves(here.data_epoch, data)
        assert here.catalog_epoch() == catalog
        for write in (  # another node's catalog version bump, a tool's edit
            lambda: there.execute(
                'INSERT INTO "_params" ("id", "value") VALUES (?, ?)', ("catalogVersion", Json(1))
            ),
            lambda: tool.execute("""UPDATE "_params" SET "value" = '2'::jsonb"""),
        ):
            catalog, data = here.catalog_epoch(), here.data_epoch()
            await write()
            assert await moves(here.catalog_epoch, catalog)
            assert here.data_epoch() != data  # what may change the catalog changes data
    finally:
        await tool.close()
        await here.close()
        await there.close()
    assert here.catalog_epoch() is None


async def test_a_write_made_outside_ferrybase_is_seen_within_a_tick(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "EPOCH_TICK", 3600.0)
    store = await opened(url)
    tool = await asyncpg.connect(url)
    try:
        before = store.data_epoch()
        await tool.execute("INSERT INTO t (id, v) VALUES (1, 'a')")  # psql, say
        await asyncio.sleep(0.2)
        assert store.data_epoch() == before  # unannounced: unseen until a tick...
        await tool.execute(f"NOTIFY {postgres.EPOCH_CHANNEL}")  # ...or until announced
        assert await moves(store.data_epoch, before)
    finally:
        await tool.close()
        await store.close()

    monkeypatch.setattr(postgres, "EPOCH_TICK", 0.05)
    store = await opened(url)
    try:
        before = store.data_epoch()
        assert await moves(store.data_epoch, before, within=1)
    finally:
        await store.close()


async def test_no_epoch_while_the_listening_connection_is_lost(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "EPOCH_TICK", 0.05)
    store = await opened(url)
    try:
        listener = store._epoch._conn
        assert listener is not None
        before = store.data_epoch()
        killed = await store.fetch_value(
            "SELECT pg_terminate_backend(?)", (listener.get_server_pid(),)
        )
        assert killed is True
        deadline = asyncio.get_running_loop().time() + 5
        while store.data_epoch() is not None:  # whatever is committed now goes unheard
            assert asyncio.get_running_loop().time() < deadline, "the loss went unnoticed"
            await asyncio.sleep(0.005)
        assert store.catalog_epoch() is None
        assert await moves(store.data_epoch, before)  # listening again, a new epoch
        assert store.catalog_epoch() is not None
        assert store._epoch._conn is not listener
    finally:
        await store.close()


@pytest.mark.usefixtures("slow_tick")
async def test_write_transactions_take_turns_and_nested_ones_do_not_wait(url: str) -> None:
    store = await opened(url)
    inside = 0
    most = 0

    async def write(i: int) -> None:
        nonlocal inside, most
        async with store.transaction() as tx:
            inside += 1
            most = max(most, inside)
            await tx.execute("INSERT INTO t (id, v) VALUES (?, ?)", (i, "a"))
            async with store.transaction() as nested:  # a write of its own, same task
                await nested.execute("INSERT INTO t (id, v) VALUES (?, ?)", (-i, "b"))
            await asyncio.sleep(0.01)
            inside -= 1

    try:
        await asyncio.wait_for(asyncio.gather(*(write(i) for i in range(1, 9))), 10)
        assert most == postgres.WRITERS
        assert await store.fetch_value("SELECT count(*) FROM t") == 16
    finally:
        await store.close()
