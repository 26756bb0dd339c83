"""The SQLite store: WAL, one writer at a time, concurrent readers.

Each process keeps two long-lived connections to the database file: one for reads, one for
write transactions (``BEGIN IMMEDIATE``, serialised by an asyncio lock inside the process and
by SQLite's own lock across processes). Statements are short and run directly on the event
loop, which measured faster than a thread hop per query (``../shared/PERF-NOTES.md``).

WAL with ``synchronous=NORMAL``: a committed transaction is in the WAL file before COMMIT
returns, so it survives the process being killed at any moment (it may not survive the
machine losing power, which PocketBase accepts too).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import os
import re
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from ferrybase.core.ports import ChangeSignal, Executor, Json, Params, Row
from ferrybase.errors import ConflictError, StoreError
from ferrybase.filter.dialect import SQLITE
from ferrybase.store import migrations

_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA cache_size = -65536",  # 64 MiB page cache
    # No memory-mapped reads (PocketBase's choice too): a connection that sees another
    # connection's commit unmaps the whole file and maps it again, and each unmap interrupts
    # the process's other threads to flush their TLBs. Under writes from 2 workers that cost
    # create 10-15% of its CPU; a scan of a file larger than the cache costs ~25% more with
    # read() instead (bench/README.md, results of 2026-11-25 22:19-00:13).
    "PRAGMA mmap_size = 0",
    "PRAGMA temp_store = MEMORY",
)

sqlite3.register_adapter(Json, lambda j: orjson.dumps(j.value).decode())
sqlite3.register_adapter(bool, int)
sqlite3.register_converter("JSON", orjson.loads)
sqlite3.register_converter("BOOLEAN", lambda raw: raw not in (b"0", b""))

_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


def _translate(exc: sqlite3.IntegrityError) -> Exception:
    m = _UNIQUE.search(str(exc))
    if m:
        return ConflictError(tuple(c.strip().rpartition(".")[2] for c in m[1].split(",")))
    return exc


class _Connection(Executor):
    """An :class:`Executor` over one sqlite3 connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self._run(sql, params).fetchone()
        return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return self._run(sql, params).fetchall()

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = self._run(sql, params).fetchone()
        return None if row is None else next(iter(row.values()))

    def _run(self, sql: str, params: Params) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except (sqlite3.OperationalError, sqlite3.ProgrammingError) as exc:
            raise StoreError(str(exc)) from exc

    def _run_write(self, sql: str, params: Params) -> sqlite3.Cursor:
        """Run a write (its changes are all made by this first step, RETURNING or not)."""
        try:
            return self._conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            raise _translate(exc) from exc
        except (sqlite3.OperationalError, sqlite3.ProgrammingError) as exc:
            raise StoreError(str(exc)) from exc

    async def execute(self, sql: str, params: Params = ()) -> int:
        return self._run_write(sql, params).rowcount

    async def execute_returning(self, sql: str, params: Params = ()) -> Row | None:
        rows = self._run_write(sql, params).fetchall()  # all: the statement ends
        return rows[0] if rows else None

    async def execute_at_commit(self, sql: str, params: Params = ()) -> None:
        await self.execute(sql, params)


class _Writer(_Connection):
    """The writer connection's executor: change-feed appends wait for the group's COMMIT.

    One writer at a time, so appending just before COMMIT puts the feed in commit order, as
    :meth:`~ferrybase.core.ports.Executor.execute_at_commit` asks; the appends of a whole
    group then run as one ``executemany`` (one statement step each, no Python call)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__(conn)
        self.pending: list[tuple[str, Params]] = []

    async def execute_at_commit(self, sql: str, params: Params = ()) -> None:
        self.pending.append((sql, params))

    def flush(self) -> bool:
        """Run the pending appends; whether there were any (the store wakes tailers)."""
        pending, self.pending = self.pending, []
        for sql, same in itertools.groupby(pending, key=itemgetter(0)):
            self._conn.executemany(sql, [params for _, params in same])
        return bool(pending)


class SQLiteStore(_Connection):
    """The default store: one database file under ``--dir``."""

    dialect = SQLITE

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = self._connect()
        self._write = _Writer(self._writer)
        self._lock = asyncio.Lock()
        self._wanting = 0  # tasks waiting for ``_lock``
        self._group: _Group | None = None  # the open write transaction and its units
        self._committer: asyncio.Future[None] | None = None
        self._signals: set[_ChangeSignal] = set()
        # Writers of every process take this file's lock before BEGIN IMMEDIATE, so a write
        # never meets SQLite's busy handler, which would sleep on the event loop (stalling
        # every request of the worker) in steps of up to 100 ms.
        self._writer_lock = os.open(path.with_name(path.name + "-writer"), os.O_RDWR | os.O_CREAT)
        self._lock_waiter = ThreadPoolExecutor(1, thread_name_prefix="ferrybase-writer-lock")
        super().__init__(self._connect())
        self._epoch_cursor = self._conn.cursor()
        self._epoch_cursor.row_factory = None  # a plain tuple: this runs on every request
        self._epoch: int | None = None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves
            detect_types=sqlite3.PARSE_DECLTYPES,
            check_same_thread=False,
            cached_statements=512,
        )
        conn.row_factory = _dict_row
        for pragma in _PRAGMAS:
            conn.execute(pragma)
        return conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    async def execute_returning(self, sql: str, params: Params = ()) -> Row | None:
        async with self.transaction() as tx:
            return await tx.execute_returning(sql, params)

    async def execute_at_commit(self, sql: str, params: Params = ()) -> None:
        async with self.transaction() as tx:
            await tx.execute_at_commit(sql, params)

    async def _lock_writers(self) -> None:
        """Take the cross-process writer lock: at once when free (the usual case), else
        waiting in a thread so the event loop keeps serving."""
        fd = self._writer_lock
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        waiting = asyncio.get_running_loop().run_in_executor(
            self._lock_waiter, fcntl.flock, fd, fcntl.LOCK_EX
        )
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # the thread may still get the lock: give it back when it does
            waiting.add_done_callback(lambda f: _unlock_if_taken(f, fd))
            raise

    def transaction(self) -> _Unit:
        """A unit of work in the writer's transaction, acknowledged once it is committed.

        Group commit: units that queue up while the write lock is taken (by this process or
        another) run one after the other inside one ``BEGIN IMMEDIATE`` ... ``COMMIT``, each
        but the first in a savepoint of its own, so a failing unit undoes only itself. The
        group commits in the next turn of the event loop in which nobody in this process
        waits to write (the writes that became ready meanwhile join it first), or once it
        reached :data:`GROUP_MAX_UNITS` / :data:`GROUP_MAX_AGE`; every unit returns only
        after that COMMIT, so nothing is acknowledged before it is in the WAL. Under
        concurrent writes this pays the lock hand-over, BEGIN, COMMIT and the WAL pages once
        per group instead of once per write; a lone write waits one loop turn for company.
        """
        return _Unit(self)

    async def _enter_unit(self) -> _Group:
        """Wait for the writer, open a group or join the open one (in a savepoint)."""
        self._wanting += 1
        try:
            await self._lock.acquire()
        except asyncio.CancelledError:
            self._wanting -= 1
            self._close_if_abandoned()
            raise
        self._wanting -= 1
        try:
            if self._group is None:
                await self._begin_group()
            group = self._group
            assert group is not None
            if group.units:
                self._writer.execute("SAVEPOINT unit")
        except BaseException:
            self._lock.release()
            raise
        return group

    def _exit_unit(self, group: _Group, first: bool, appended: int, failed: bool) -> None:
        """Settle a unit (kept, or undone with the feed appends it made since ``appended``)
        and decide whether its group commits now."""
        try:
            if failed:
                del self._write.pending[appended:]
                self._undo_unit(group, first)
            else:
                if not first:
                    self._writer.execute("RELEASE unit")
                group.units += 1
        finally:
            current = self._group
            if current is not None:
                if _full(current):
                    self._commit_group(current)
                elif self._wanting == 0:
                    self._schedule_commit()
            self._lock.release()

    async def _begin_group(self) -> None:
        await self._lock_writers()
        try:
            self._writer.execute("BEGIN IMMEDIATE")
        except BaseException:
            fcntl.flock(self._writer_lock, fcntl.LOCK_UN)
            raise
        self._group = _Group(asyncio.get_running_loop())

    def _undo_unit(self, group: _Group, first: bool) -> None:
        """Roll back a failed unit: its savepoint, or the whole transaction when no other
        unit is in it yet (or SQLite already rolled it back, e.g. on a full disk)."""
        if not first and self._writer.in_transaction:
            self._writer.execute("ROLLBACK TO unit")
            self._writer.execute("RELEASE unit")
            return
        if group.units:
            # SQLite aborted the transaction: the units before this one are lost with it.
            self._fail_group(group, StoreError("the transaction was rolled back"))
            return
        if self._writer.in_transaction:
            self._writer.execute("ROLLBACK")
        self._end_group(group)

    def _commit_group(self, group: _Group) -> None:
        try:
            fed = self._write.flush()
            self._writer.execute("COMMIT")
        except sqlite3.Error as exc:
            self._fail_group(group, exc)
            return
        self._epoch = None
        self._end_group(group)
        if fed:
            for signal in self._signals:  # this process's tailers need not wait a poll
                signal.wake()
        group.settle()

    def _fail_group(self, group: _Group, exc: Exception) -> None:
        if self._writer.in_transaction:
            self._writer.execute("ROLLBACK")
        self._end_group(group)
        group.settle(
            _translate(exc) if isinstance(exc, sqlite3.IntegrityError) else StoreError(str(exc))
        )

    def _end_group(self, group: _Group) -> None:
        self._group = None
        self._write.pending.clear()
        fcntl.flock(self._writer_lock, fcntl.LOCK_UN)
        if not group.units:
            group.settle()

    def _close_if_abandoned(self) -> None:
        """A waiter gave up (cancelled) and nobody else waits: commit the open group."""
        if self._group is not None and self._wanting == 0 and not self._lock.locked():
            self._schedule_commit()

    def _schedule_commit(self) -> None:
        """Commit the open group once the writes that become ready in this turn of the event
        loop had their chance to join it (they queue on the lock ahead of the commit)."""
        if self._committer is None or self._committer.done():
            self._committer = asyncio.ensure_future(self._commit_when_quiet())

    async def _commit_when_quiet(self) -> None:
        async with self._lock:
            group = self._group
            if group is not None and (self._wanting == 0 or _full(group)):
                self._commit_group(group)
            # else a write queued behind this one continues the group and schedules again

    def data_epoch(self) -> int | None:
        # The reader connection never writes: its data_version moves with every commit of
        # the writer connection and of every other process (a read of shared memory). Read
        # once per turn of the event loop: the requests served in one turn share it (a
        # commit of this process forgets it at once; another's is as concurrent as ever).
        if self._epoch is None:
            row = self._epoch_cursor.execute("PRAGMA data_version").fetchone()
            self._epoch = int(row[0])
            asyncio.get_running_loop().call_soon(self._forget_epoch)
        return self._epoch

    def _forget_epoch(self) -> None:
        self._epoch = None

    def catalog_epoch(self) -> int | None:
        return self.data_epoch()  # the file tells no table from another

    async def change_signal(self) -> ChangeSignal:
        signal = _ChangeSignal(self._connect(), self._signals)
        self._signals.add(signal)
        return signal

    async def migrate(self) -> list[str]:
        return await migrations.apply(self)

    async def close(self) -> None:
        if self._group is not None:  # a group waiting for its turn to commit
            async with self._lock:
                if self._group is not None:
                    self._commit_group(self._group)
        for signal in list(self._signals):
            await signal.close()
        self._conn.close()
        self._writer.close()
        self._lock_waiter.shutdown(wait=False, cancel_futures=True)
        os.close(self._writer_lock)


GROUP_MAX_UNITS = 64
"""A group of writes commits at this many units even if more wait ..."""
GROUP_MAX_AGE = 0.004
"""... or this many seconds after it began, so its first write is acknowledged soon."""


class _Unit:
    """``async with store.transaction() as tx``: one unit of a group (see
    :meth:`SQLiteStore.transaction`); a class, not a generator-based context manager, as it
    runs for every write."""

    __slots__ = ("_appended", "_first", "_group", "_store")

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store

    async def __aenter__(self) -> Executor:
        self._group = await self._store._enter_unit()
        self._first = self._group.units == 0
        self._appended = len(self._store._write.pending)
        return self._store._write

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._store._exit_unit(self._group, self._first, self._appended, failed=kind is not None)
        if kind is None:
            await self._group.committed()


def _full(group: _Group) -> bool:
    return group.units >= GROUP_MAX_UNITS or time.monotonic() - group.opened >= GROUP_MAX_AGE


class _Group:
    """One open write transaction: the units committed in it, and their acknowledgement."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.units = 0
        self.opened = time.monotonic()
        self.settled = False
        self.failure: Exception | None = None  # the outcome, once settled
        self._loop = loop
        self._waiters: list[asyncio.Future[None]] = []

    def settle(self, failure: Exception | None = None) -> None:
        """Record the outcome (the first one counts) and wake the units waiting for it."""
        if self.settled:
            return
        self.settled, self.failure = True, failure
        for waiter in self._waiters:
            if not waiter.done():  # not cancelled
                waiter.set_result(None)
        self._waiters.clear()

    async def committed(self) -> None:
        """Wait for the group's COMMIT (raising its failure). A unit cancelled meanwhile
        still waits for the outcome, so what follows it (its files, its response) never
        takes a committed write for a rolled-back one; the cancellation comes at the next
        await instead. Each wait has a future of its own: cancelling one unit's cancels
        nobody else's."""
        cancelled = False
        while not self.settled:
            waiter = self._loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                cancelled = True
        if cancelled:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
                task.cancel()
        if self.failure is not None:
            raise self.failure


def _unlock_if_taken(waiting: asyncio.Future[None], fd: int) -> None:
    if not waiting.cancelled() and waiting.exception() is None:
        fcntl.flock(fd, fcntl.LOCK_UN)


POLL_BUSY = 0.005
"""Seconds between two looks at ``PRAGMA data_version`` within a second of the last change."""
POLL_IDLE = 0.025
"""... and once the feed has been quiet for a second."""


class _ChangeSignal:
    """Commits by other processes show as a new ``PRAGMA data_version`` on a connection of
    our own (a read of the WAL index in shared memory, no disk access). A thread looks every
    few milliseconds and wakes the event loop only when it changed: an idle look costs a
    thread wake-up (~0.2% of a core at 40 a second, where an event-loop timer cost 1%).
    Commits of this process wake the waiter at once. Runs only while a tailer waits."""

    def __init__(self, conn: sqlite3.Connection, registry: set[_ChangeSignal]) -> None:
        self._conn = conn
        self._registry = registry
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="ferrybase-feed", daemon=True)
        self._thread.start()

    def _data_version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()["data_version"])

    def _watch(self) -> None:
        version, changed, interval = self._data_version(), 0.0, POLL_IDLE
        while not self._stop.wait(interval):
            try:
                now_version = self._data_version()
            except sqlite3.Error:
                continue
            now = time.monotonic()
            if now_version != version:
                version, changed = now_version, now
                self._loop.call_soon_threadsafe(self._event.set)
            interval = POLL_BUSY if now - changed < 1.0 else POLL_IDLE

    def wake(self) -> None:
        self._event.set()

    async def wait(self, within: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), within)
        self._event.clear()

    async def close(self) -> None:
        self._registry.discard(self)
        self._stop.set()
        await asyncio.to_thread(self._thread.join)
        self._conn.close()
