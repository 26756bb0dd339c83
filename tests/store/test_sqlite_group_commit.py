"""SQLite group commit: concurrent writes share one transaction, each still all or nothing,
and none is acknowledged before it is committed."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ferrybase.store.sqlite import SQLiteStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "data.db")
    await s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)")
    yield s
    await s.close()


def committed_rows(path: Path) -> list[str]:
    """What another connection (another process, after a crash) finds on disk."""
    with sqlite3.connect(path) as other:
        return [row[0] for row in other.execute("SELECT v FROM t ORDER BY v")]


async def test_concurrent_writes_share_commits_and_are_durable_when_acknowledged(
    store: SQLiteStore,
) -> None:
    commits = 0

    def count(sql: str) -> None:
        nonlocal commits
        commits += sql == "COMMIT"

    store._writer.set_trace_callback(count)
    gate = asyncio.Event()

    async def write(i: int) -> None:
        await gate.wait()
        async with store.transaction() as tx:  # no await inside: as SQLite's units run
            await tx.execute("INSERT INTO t (v) VALUES (?)", (f"v{i:03}",))
        # acknowledged: on disk for every other connection
        assert f"v{i:03}" in committed_rows(store.path)

    tasks = [asyncio.create_task(write(i)) for i in range(200)]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*tasks)
    assert committed_rows(store.path) == [f"v{i:03}" for i in range(200)]
    assert commits < 200 / 4, f"{commits} commits for 200 concurrent writes"


async def test_a_failing_write_undoes_only_itself(store: SQLiteStore) -> None:
    await store.execute("INSERT INTO t (v) VALUES ('taken')")
    gate = asyncio.Event()
    outcomes: dict[int, str] = {}

    async def write(i: int, value: str) -> None:
        await gate.wait()
        try:
            async with store.transaction() as tx:
                await tx.execute("INSERT INTO t (v) VALUES (?)", (f"{value}-a",))
                await asyncio.sleep(0)
                if i == 3:
                    raise RuntimeError("the handler failed half-way")
                await tx.execute("INSERT INTO t (v) VALUES (?)", (value,))
            outcomes[i] = "ok"
        except Exception as exc:  # the outcome is what the test records
            outcomes[i] = type(exc).__name__

    values = ["w0", "w1", "taken", "w3", "w4"]  # w2 breaks the unique index, w3 raises
    tasks = [asyncio.create_task(write(i, v)) for i, v in enumerate(values)]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*tasks)
    assert outcomes == {0: "ok", 1: "ok", 2: "ConflictError", 3: "RuntimeError", 4: "ok"}
    assert committed_rows(store.path) == ["taken", "w0", "w0-a", "w1", "w1-a", "w4", "w4-a"]


async def test_a_cancelled_waiter_does_not_leave_the_group_open(store: SQLiteStore) -> None:
    holding = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with store.transaction() as tx:
            await tx.execute("INSERT INTO t (v) VALUES ('first')")
            holding.set()
            await release.wait()

    async def waiter() -> None:
        async with store.transaction() as tx:
            await tx.execute("INSERT INTO t (v) VALUES ('never')")

    one = asyncio.create_task(first())
    await holding.wait()
    two = asyncio.create_task(waiter())
    await asyncio.sleep(0.01)  # queued behind ``first``: ``first`` leaves the group open
    release.set()
    await asyncio.sleep(0)  # ``first`` ends, leaving the group open for the waiter ...
    two.cancel()  # ... which goes away before its turn
    await asyncio.wait_for(one, 5)  # committed without the waiter
    with pytest.raises(asyncio.CancelledError):
        await two
    assert committed_rows(store.path) == ["first"]
    # the write lock is free again: another process (here a connection) can write
    with sqlite3.connect(store.path, timeout=1) as other:
        other.execute("INSERT INTO t (v) VALUES ('other')")
    assert committed_rows(store.path) == ["first", "other"]


async def test_feed_appends_run_last_before_commit_and_leave_with_a_failed_unit(
    store: SQLiteStore,
) -> None:
    await store.execute("CREATE TABLE feed (seq INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)")
    statements: list[str] = []
    store._writer.set_trace_callback(statements.append)
    gate = asyncio.Event()

    async def write(i: int) -> None:
        await gate.wait()
        async with store.transaction() as tx:
            await tx.execute("INSERT INTO t (v) VALUES (?)", (f"w{i}",))
            await tx.execute_at_commit("INSERT INTO feed (v) VALUES (?)", (f"w{i}",))
            if i == 2:
                raise RuntimeError("the handler failed after appending to the feed")

    tasks = [asyncio.create_task(write(i)) for i in range(5)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert [type(r).__name__ for r in results] == ["NoneType"] * 2 + ["RuntimeError"] + [
        "NoneType"
    ] * 2
    with sqlite3.connect(store.path) as other:
        feed = [row[0] for row in other.execute("SELECT v FROM feed ORDER BY seq")]
    assert feed == ["w0", "w1", "w3", "w4"]
    assert committed_rows(store.path) == ["w0", "w1", "w3", "w4"]
    # one group: every row first, then the feed, then COMMIT
    kinds = [s.split(" (")[0] for s in statements if s.startswith(("INSERT", "COMMIT"))]
    assert kinds == ["INSERT INTO t"] * 5 + ["INSERT INTO feed"] * 4 + ["COMMIT"]


async def test_a_unit_cancelled_while_waiting_for_its_commit_is_committed_then_cancelled(
    store: SQLiteStore,
) -> None:
    after: list[str] = []

    async def write(value: str) -> None:
        async with store.transaction() as tx:
            await tx.execute("INSERT INTO t (v) VALUES (?)", (value,))
        after.append(value)  # what follows a unit runs once its group is settled

    first = asyncio.create_task(write("first"))
    await asyncio.sleep(0)  # ``first`` wrote and waits for the group's COMMIT
    assert committed_rows(store.path) == []
    first.cancel()
    other = asyncio.create_task(write("other"))
    with pytest.raises(asyncio.CancelledError):
        await first
    await other  # the cancellation did not touch anybody else's wait
    assert committed_rows(store.path) == ["first", "other"]
    assert after == ["first", "other"]  # the cancelled unit saw its commit, then stopped
