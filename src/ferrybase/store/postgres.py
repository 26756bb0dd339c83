"""The PostgreSQL store: a pool of asyncpg connections.

SQL across Ferrybase is written with ``?`` placeholders; this store rewrites them to ``$n``
once per distinct statement (cached), skipping string literals and quoted identifiers.
jsonb columns are encoded and decoded with orjson. A ``?search_path=`` (or any other server
setting) in the URL is passed to every connection, which is how tests isolate themselves in
a schema of their own.

The data epoch (what lets a process remember the catalog, signed-in tokens and list totals
between requests) comes from ``LISTEN``: every write transaction of any Ferrybase process or
node wakes one channel or the other at its COMMIT (record writes through the change feed's
trigger, other writes with a ``NOTIFY`` of their own), the writing process moves its own epoch
as soon as its COMMIT returns, and every epoch also moves once a second so writes made
outside Ferrybase (psql, another tool) reach the caches within a second, at once with
``NOTIFY ferrybase_epoch``. The catalog has an epoch of its own, moved only by the
notification a trigger sends when ``_params`` (the catalog version) changes
(``m0007_catalog_notify``), so a write load does not make every request read the version.
While the listening connection is down there is no epoch: every request asks the database,
as it would with no cache at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any, TypeVar

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

from ferrybase.core.ports import ChangeSignal, Executor, Json, Params, Row
from ferrybase.errors import ConflictError, StoreError
from ferrybase.filter.dialect import POSTGRES
from ferrybase.store import migrations
from ferrybase.store.migrations import m0006_feed_order, m0007_catalog_notify

log = logging.getLogger("ferrybase.store")

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?")
_KEY_COLUMNS = re.compile(r"Key \((.+?)\)=")


@lru_cache(maxsize=4096)
def to_numbered(sql: str) -> str:
    """``?`` placeholders -> ``$1, $2, ...``; quoted text is left alone."""
    n = 0

    def number(m: re.Match[str]) -> str:
        nonlocal n
        if m[0] != "?":
            return m[0]
        n += 1
        return f"${n}"

    return _TOKENS.sub(number, sql)


def _encode_json(value: Any) -> str:
    return orjson.dumps(value.value if isinstance(value, Json) else value).decode()


def _translate(exc: asyncpg.UniqueViolationError) -> ConflictError:
    # The detail names the key columns (and the values, which never leave this function).
    m = _KEY_COLUMNS.search(exc.detail or "")
    columns = tuple(c.strip().strip('"') for c in m[1].split(",")) if m else ()
    return ConflictError(columns)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection going back to the pool needs beyond asyncpg's own clean-up (which
    rolls back an open transaction and drops listeners): nothing. asyncpg's default sends
    ``RESET ALL``, ``UNLISTEN *``, ``CLOSE ALL`` and ``pg_advisory_unlock_all()``, a round trip
    per statement outside a transaction, for session state Ferrybase never sets on a pooled
    connection: no ``SET``, no cursors, no ``LISTEN`` (its own connections), advisory locks
    only per transaction."""


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_ in ("jsonb", "json"):
        await conn.set_type_codec(
            type_, encoder=_encode_json, decoder=orjson.loads, schema="pg_catalog"
        )


_Target = asyncpg.Connection | asyncpg.Pool | PoolConnectionProxy
_T = TypeVar("_T")


FEED_CHANNEL = m0006_feed_order.FEED_CHANNEL
"""The NOTIFY channel that wakes change-feed tailers (spurious wake-ups are harmless)."""

CATALOG_CHANNEL = m0007_catalog_notify.CATALOG_CHANNEL
"""The NOTIFY channel of a commit that may have changed the catalog (a trigger sends it)."""

EPOCH_CHANNEL = "ferrybase_epoch"
"""The NOTIFY channel of a write transaction that appends nothing to the change feed."""

_NOTIFY_EPOCH = f"SELECT pg_notify('{EPOCH_CHANNEL}', '')"

EPOCH_TICK = 1.0
"""Seconds after which every epoch moves anyway: the bound on how long a write made outside
Ferrybase (no ``NOTIFY``) can go unseen by the caches."""

WRITERS = 2
"""Write transactions one process runs at once; the others wait their turn in order. Record
writes meet at the change feed's lock anyway (``m0006_feed_order``), so more at once adds lock
waits inside PostgreSQL, not throughput: on this 2-core machine (bench/README.md) 2 per process
took 32 connections PATCHing one row from 806 to 1,142 req/s and its p99 from 200 to 50 ms,
and creates from 1,159 to 1,448 req/s; 1 per process cost creates a quarter."""

_writing: ContextVar[bool] = ContextVar("ferrybase_postgres_writing", default=False)

EPOCH_PING = 10.0
"""Seconds between two checks that the listening connection still answers."""


class _Connection(Executor):
    def __init__(self, conn: _Target) -> None:
        self._conn = conn
        self._at_commit: list[tuple[str, Params]] = []
        self.wrote = False  # a transaction's: did it write (is there a commit to announce)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        try:
            rec = await self._conn.fetchrow(to_numbered(sql), *params)
        except asyncpg.PostgresError as exc:
            raise StoreError(str(exc)) from exc
        return None if rec is None else dict(rec)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            rows = await self._conn.fetch(to_numbered(sql), *params)
        except asyncpg.PostgresError as exc:
            raise StoreError(str(exc)) from exc
        return [dict(r) for r in rows]

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        try:
            return await self._conn.fetchval(to_numbered(sql), *params)
        except asyncpg.PostgresError as exc:
            raise StoreError(str(exc)) from exc

    async def _write(self, run: Callable[..., Awaitable[_T]], sql: str, params: Params) -> _T:
        """A write through ``run`` (``execute`` or ``fetchrow``), its errors translated."""
        self.wrote = True
        try:
            return await run(to_numbered(sql), *params)
        except asyncpg.UniqueViolationError as exc:
            raise _translate(exc) from exc
        except asyncpg.PostgresError as exc:
            raise StoreError(str(exc)) from exc

    async def execute(self, sql: str, params: Params = ()) -> int:
        status: str = await self._write(self._conn.execute, sql, params)
        # "INSERT 0 1", "UPDATE 3", "DELETE 0", "CREATE TABLE"
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    async def execute_returning(self, sql: str, params: Params = ()) -> Row | None:
        rec = await self._write(self._conn.fetchrow, sql, params)
        return None if rec is None else dict(rec)

    async def execute_at_commit(self, sql: str, params: Params = ()) -> None:
        self._at_commit.append((sql, params))

    async def _before_commit(self) -> None:
        """The deferred feed appends, last in the transaction: their trigger takes the feed
        lock (after all the other work, so no lock cycle can form) and holds it through
        COMMIT, so the ``seq`` drawn there comes after every earlier commit's rows are
        visible (migration ``m0006_feed_order``); it also wakes the listeners. A batch's
        appends go in one round trip (``executemany``), so the lock is held for one, not one
        per record. A transaction that wrote but appended nothing wakes them itself."""
        pending = self._at_commit
        if pending:
            self._at_commit = []
            for sql, run in groupby(pending, key=itemgetter(0)):  # a batch's: at once
                rows = [params for _, params in run]
                if len(rows) == 1:
                    await self.execute(sql, rows[0])
                else:
                    await self._write(self._conn.executemany, sql, (rows,))
        elif self.wrote:
            await self._conn.execute(_NOTIFY_EPOCH)


class PostgresStore(_Connection):
    """Many nodes may share one database; every connection comes from the pool."""

    dialect = POSTGRES

    def __init__(self, pool: asyncpg.Pool, url: str = "") -> None:
        super().__init__(pool)
        self._pool = pool
        self._url = url
        self._signals: set[_ChangeSignal] = set()
        self._epoch = _EpochListener(url)
        self._writers = asyncio.Semaphore(WRITERS)

    @classmethod
    async def open(cls, url: str, *, min_size: int = 2, max_size: int = 16) -> PostgresStore:
        pool = await asyncpg.create_pool(
            url, min_size=min_size, max_size=max_size, init=_init_connection, reset=_keep_session
        )
        store = cls(pool, url)
        await store._epoch.start()
        return store

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Executor]:
        if _writing.get():  # within this task's own write transaction: it has its turn
            async with self._transaction() as tx:
                yield tx
            return
        async with self._writers:
            turn = _writing.set(True)
            try:
                async with self._transaction() as tx:
                    yield tx
            finally:
                _writing.reset(turn)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[_Connection]:
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                tx = _Connection(conn)
                yield tx
                await tx._before_commit()
            if tx.wrote:
                self._epoch.advance()  # this process sees its own commit at once

    async def execute(self, sql: str, params: Params = ()) -> int:
        """A statement committed on its own, announced like a transaction's writes."""
        async with self._pool.acquire() as conn:
            changed = await _Connection(conn).execute(sql, params)
            await conn.execute(_NOTIFY_EPOCH)
        self._epoch.advance()
        return changed

    async def execute_returning(self, sql: str, params: Params = ()) -> Row | None:
        async with self.transaction() as tx:
            return await tx.execute_returning(sql, params)

    async def execute_at_commit(self, sql: str, params: Params = ()) -> None:
        async with self.transaction() as tx:
            await tx.execute_at_commit(sql, params)

    def data_epoch(self) -> int | None:
        return self._epoch.value

    def catalog_epoch(self) -> int | None:
        return self._epoch.catalog

    async def change_signal(self) -> ChangeSignal:
        signal = _ChangeSignal(self._url, self._signals)
        self._signals.add(signal)
        return signal

    async def migrate(self) -> list[str]:
        return await migrations.apply(self)

    async def close(self) -> None:
        for signal in list(self._signals):
            await signal.close()
        await self._epoch.close()
        await self._pool.close()


async def _listening(
    url: str,
    channels: Mapping[str, Callable[..., None]],
    on_lost: Callable[..., None] | None = None,
) -> asyncpg.Connection:
    """A connection of its own that ``LISTEN``s on ``channels`` (``on_lost`` called when it
    ends); one that fails or is cancelled half-way is terminated, never left open."""
    conn: asyncpg.Connection | None = None
    try:
        conn = await asyncpg.connect(url, timeout=5)
        if on_lost is not None:
            conn.add_termination_listener(on_lost)
        for channel, callback in channels.items():
            await conn.add_listener(channel, callback)
    except BaseException:
        if conn is not None:
            conn.terminate()
        raise
    return conn


async def _hang_up(conn: asyncpg.Connection) -> None:
    """Close a listening connection; terminated if that fails or is cancelled."""
    try:
        await conn.close(timeout=5)
    except BaseException:  # cancelled (a shutdown) or the server went away
        conn.terminate()
        raise


class _EpochListener:
    """The data epoch of one process (module docstring): a counter that moves with every
    notification, every write this process commits and every :data:`EPOCH_TICK`; and the
    catalog's, which moves with a catalog notification alone. Both are ``None`` while the
    listening connection is down, and move when it is back (whatever was committed meanwhile
    went unheard)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._count = 0
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self.value: int | None = None
        self.catalog: int | None = None

    def advance(self, *_: Any) -> None:
        self._count += 1
        if self.value is not None:
            self.value = self._count

    def _catalog_changed(self, *_: Any) -> None:
        self.advance()
        if self.catalog is not None:
            self.catalog = self._count

    def _lost(self, *_: Any) -> None:
        self.value = self.catalog = None

    async def start(self) -> None:
        await self._listen()
        self._task = asyncio.get_running_loop().create_task(self._keep())

    async def _listen(self) -> None:
        """Open the listening connection; on failure stay without an epoch (the caller
        tries again)."""
        channels = {
            FEED_CHANNEL: self.advance,
            EPOCH_CHANNEL: self.advance,
            CATALOG_CHANNEL: self._catalog_changed,
        }
        try:
            conn = await _listening(self._url, channels, on_lost=self._lost)
        except Exception as exc:  # the database is away, or refuses: no epoch for now
            log.warning("data epoch: cannot listen for commits (%s): nothing is remembered", exc)
            return
        self._conn = conn
        self._count += 1
        self.value = self.catalog = self._count

    async def _keep(self) -> None:
        """Move the epoch every tick; check the connection answers; open it again when it
        does not."""
        pinged = time.monotonic()
        while True:
            await asyncio.sleep(EPOCH_TICK)
            self.advance()
            conn = self._conn
            if conn is None or conn.is_closed():
                self.value = self.catalog = self._conn = None
                await self._listen()
            elif time.monotonic() - pinged >= EPOCH_PING:
                pinged = time.monotonic()
                try:
                    await conn.fetchval("SELECT 1", timeout=5)
                except Exception:  # whatever it was, this connection cannot be trusted
                    self.value = self.catalog = self._conn = None
                    conn.terminate()

    async def close(self) -> None:
        self.value = self.catalog = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await _hang_up(conn)


class _ChangeSignal:
    """``LISTEN`` on a connection of its own; a lost connection is opened again on the next
    wait (the tailer's timeout keeps it reading meanwhile, so nothing waits on a lost wake)."""

    def __init__(self, url: str, registry: set[_ChangeSignal]) -> None:
        self._url = url
        self._registry = registry
        self._event = asyncio.Event()
        self._conn: asyncpg.Connection | None = None
        self._closed = False

    def _notified(self, *_: Any) -> None:
        self._event.set()

    async def _listen(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            return
        self._conn = None
        try:
            conn = await _listening(self._url, {FEED_CHANNEL: self._notified})
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return  # the database is away: the caller's timeout becomes the poll
        if self._closed:  # closed while connecting: nobody would close this one
            conn.terminate()
            return
        self._conn = conn
        self._event.set()  # anything committed while we were not listening

    async def wait(self, within: float) -> None:
        await self._listen()
        try:
            await asyncio.wait_for(self._event.wait(), within)
        except TimeoutError:
            return
        self._event.clear()

    async def close(self) -> None:
        self._closed = True
        self._registry.discard(self)
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await _hang_up(conn)
