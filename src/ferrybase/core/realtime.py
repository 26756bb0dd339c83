"""Realtime: the change feed fanned out to SSE clients, across processes and nodes.

Every committed record write is a row of ``_changes`` (appended in its transaction, in
commit order). Each process that holds SSE streams tails the feed (woken by ``NOTIFY`` on
PostgreSQL, by a few-millisecond ``PRAGMA data_version`` poll on SQLite) and, for each change
and each of its clients' subscriptions, checks the subscriber's rule against the record as the
change left it and pushes what that subscriber may see.

Clients live in ``_realtimeClients``, so a subscription POST may reach any worker or node: it
updates the row and appends a *control* change (``collectionId = ''``) to the same feed, and
the process holding the stream reloads the client when the tail reaches it, so the new
subscriptions apply from exactly that point of the feed on. OAuth2 redirects reach a client
the same way.

Beyond PocketBase: a stream that reconnects with ``Last-Event-ID: <clientId>`` (what a
browser's ``EventSource`` sends by itself) takes the old client back, subscriptions and auth
included, and receives every change it missed since the last one written to it, as long as
the feed still holds them (``retention`` seconds); otherwise it is a new client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import string
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from ferrybase.core.collections import Collection
from ferrybase.core.dates import format_datetime, now_text
from ferrybase.core.picker import apply_fields
from ferrybase.core.ports import Json, Row, Store
from ferrybase.core.record_service import Records
from ferrybase.core.records import DELETE, GUEST, UPDATE, Auth, Record
from ferrybase.core.registry import CollectionRegistry
from ferrybase.core.rules import LIST_RULE, VIEW_RULE, Caller, request_info
from ferrybase.errors import (
    BadRequestError,
    FerrybaseError,
    FieldError,
    ForbiddenError,
    NotFoundError,
    ValidationError,
)
from ferrybase.filter import compile_filter

log = logging.getLogger("ferrybase.realtime")

MAX_TOPICS = 1000
MAX_TOPIC_LENGTH = 2500
MAX_CLIENT_ID_LENGTH = 255
IDLE_TIMEOUT = 5 * 60.0
"""A stream with nothing to send for this long is closed (the SDK reconnects)."""
MAX_LIFETIME = 30 * 60.0
"""No stream lives longer than this (the SDK reconnects)."""
DEFAULT_RETENTION = 3600.0
"""Seconds the change feed keeps a change (``FERRYBASE_FEED_RETENTION``)."""
QUEUE_LIMIT = 10_000
"""Messages waiting for one slow stream before it is closed (it may resume)."""
BATCH = 500
"""Most changes read from the feed at once."""
TAIL_TIMEOUT = 1.0
"""Longest wait for a wake-up before the tailer reads the feed anyway."""
HOUSEKEEPING_INTERVAL = 60.0
"""Seconds between heartbeats of the held clients and trims of the feed."""
STALE_AFTER = 3 * HOUSEKEEPING_INTERVAL
"""A client row not refreshed for this long has no live stream (its process died)."""

SUBSCRIBE = "realtime"
"""The control change a subscription POST appends: the holder reloads the client."""
MESSAGE = "message"
"""The control change carrying a message for one client (the OAuth2 redirect's)."""

_ID_CHARS = string.ascii_letters + string.digits


def new_client_id() -> str:
    """40 random letters and digits, as PocketBase's client ids."""
    return "".join(secrets.choice(_ID_CHARS) for _ in range(40))


@dataclass(frozen=True)
class Subscription:
    """One subscription string: ``COLLECTION/*``, ``COLLECTION/ID`` or ``COLLECTION``, any of
    them with ``?options=`` (``{"query": {...}, "headers": {...}}``), or a plain topic such
    as ``@oauth2``."""

    topic: str
    collection: str
    record_id: str | None
    query: dict[str, str]
    headers: dict[str, str]

    options: tuple[Any, ...] = ()
    """The options as a hashable value (equal options see the same rendering)."""

    @classmethod
    def parse(cls, topic: str) -> Subscription:
        base, _, rest = topic.partition("?")
        options: dict[str, Any] = {}
        raw = parse_qs(urlsplit("?" + rest).query).get("options", [""])[0] if rest else ""
        if raw:
            with contextlib.suppress(orjson.JSONDecodeError):
                loaded = orjson.loads(raw)
                options = loaded if isinstance(loaded, dict) else {}
        name, slash, record_id = base.partition("/")
        return cls(
            topic=topic,
            collection=name,
            record_id=None if not slash or record_id == "*" else record_id,
            query=(query := _strings(options.get("query"), snake=False)),
            headers=(headers := _strings(options.get("headers"), snake=True)),
            options=(tuple(sorted(query.items())), tuple(sorted(headers.items()))),
        )


def _strings(value: Any, *, snake: bool) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    out: dict[str, str] = {}
    for key, item in value.items():
        name = _snake(str(key)) if snake else str(key)
        if isinstance(item, str):
            out[name] = item
        elif isinstance(item, bool):
            out[name] = "true" if item else "false"
        elif item is None:
            out[name] = ""
        elif isinstance(item, int | float):
            out[name] = str(item)
        else:
            out[name] = orjson.dumps(item).decode()
    return out


def _snake(name: str) -> str:
    """PocketBase's ``inflector.Snakecase`` of a header name (``X-Token`` -> ``x_token``)."""
    out: list[str] = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (name[i - 1].islower() or name[i - 1].isdigit()):
            out.append("_")
        out.append(ch.lower() if ch.isalnum() else "_")
    return "".join(out).strip("_")


@dataclass(eq=False)
class Client:
    """One SSE stream held by this process."""

    id: str
    ip: str
    auth: Auth = GUEST
    subscriptions: list[Subscription] = field(default_factory=list)
    cursor: int = 0
    """The last change-feed ``seq`` considered for this client."""
    written: int = 0
    """The last ``seq`` whose messages were written to the stream (the resume point)."""
    secret: str = ""
    """The token secret of the auth collection when the client signed in."""
    live: bool = False
    """Fed by the tailer (a resumed client is not until it has caught up)."""
    queue: asyncio.Queue[tuple[int, bytes] | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )
    closed: bool = False

    def push(self, seq: int, chunk: bytes) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait((seq, chunk))
        except asyncio.QueueFull:
            log.warning("realtime client %s fell %d messages behind", self.id, QUEUE_LIMIT)
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)

    def frame(self, event: str, data: bytes) -> bytes:
        """One SSE message, as PocketBase writes them: every message carries the client id."""
        return b"id:%s\nevent:%s\ndata:%s\n\n" % (self.id.encode(), event.encode(), data)

    async def messages(self, idle: float, lifetime: float) -> AsyncIterator[bytes]:
        """The stream's messages until it closes, idles or lives out its lifetime.

        Whatever is queued goes out as one chunk (one ASGI send for a burst), and the idle
        timer is a plain loop timer that queues a marker: no task per message."""
        loop = asyncio.get_running_loop()
        end = loop.time() + lifetime
        while not self.closed:
            if self.queue.empty():
                remaining = end - loop.time()
                if remaining <= 0:
                    return
                marker = (-1, bytes(1))  # a new object: a stale timer's marker is not it
                timer = loop.call_later(min(idle, remaining), self._expire, marker)
                first = await self.queue.get()
                timer.cancel()
                if first is marker:
                    return  # idle, or the lifetime is over
            else:
                first = self.queue.get_nowait()
            items = [first]
            while not self.queue.empty():
                items.append(self.queue.get_nowait())
            chunks, top = [], self.written
            for item in items:
                if item is None:
                    self.closed = True
                    break
                if item[0] >= 0:  # not a stale timer's marker
                    chunks.append(item[1])
                    top = max(top, item[0])
            if chunks:
                yield b"".join(chunks)
                self.written = top  # sent: the resume point moves on

    def _expire(self, marker: tuple[int, bytes]) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(marker)


@dataclass
class _Change:
    seq: int
    collection_id: str
    record_id: str
    action: str
    record: dict[str, Any]


class Realtime:
    """This process's realtime clients, the feed tailer feeding them, and the shared client
    table any process may update."""

    def __init__(
        self,
        store: Store,
        collections: CollectionRegistry,
        records: Records,
        *,
        retention: float = DEFAULT_RETENTION,
    ) -> None:
        self.store = store
        self.collections = collections
        self.records = records
        self.retention = retention
        self.idle_timeout = IDLE_TIMEOUT
        self.max_lifetime = MAX_LIFETIME
        self.owner = secrets.token_hex(8)
        self.clients: dict[str, Client] = {}
        self.stopping = False
        self._schema_seen: object = collections.schema
        self.cursor = 0
        self._tailer: asyncio.Task[None] | None = None
        self._tailer_lock = asyncio.Lock()
        self._housekeeper: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start housekeeping (heartbeats of held clients, feed trimming)."""
        if self._housekeeper is None:
            self._housekeeper = asyncio.create_task(self._housekeeping())

    def shutdown(self) -> None:
        """The process is stopping: end every stream now (each saves its resume point as
        it ends) and every stream opened from here on right after ``PB_CONNECT``."""
        self.stopping = True
        for client in list(self.clients.values()):
            client.close()

    async def close(self) -> None:
        """Close every stream and stop the background tasks."""
        for client in list(self.clients.values()):
            client.close()
        for task in (self._tailer, self._housekeeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._tailer = self._housekeeper = None
        for client in list(self.clients.values()):
            await self._release(client)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- connect, subscribe, disconnect ------------------------------------------------

    async def connect(self, ip: str, last_event_id: str = "") -> Client:
        """Register a new stream, or take back the client ``last_event_id`` names."""
        self._last_client_seen = time.monotonic()  # the tailer must not stop meanwhile
        await self._ensure_tailer()
        client = await self._resume(last_event_id, ip) if last_event_id else None
        if client is None:
            client = Client(new_client_id(), ip, cursor=self.cursor, written=self.cursor)
            now = now_text()
            await self.store.execute(
                'INSERT INTO "_realtimeClients" ("id", "owner", "ip", "cursor", "created", '
                '"updated") VALUES (?, ?, ?, ?, ?, ?)',
                (client.id, self.owner, ip, client.cursor, now, now),
            )
            client.live = True
            self.clients[client.id] = client
        if self.stopping:
            client.close()
        return client

    def connected(self, client: Client) -> bytes:
        """The ``PB_CONNECT`` message that opens every stream."""
        return client.frame("PB_CONNECT", orjson.dumps({"clientId": client.id}))

    def disconnect(self, client: Client) -> None:
        """The stream ended: forget the client here; its row keeps the resume point."""
        client.close()
        if self.clients.get(client.id) is client:
            del self.clients[client.id]
            self._spawn(self._release(client))

    async def set_subscriptions(
        self, client_id: str, auth: Auth, topics: list[str], ip: str
    ) -> None:
        """Replace a client's subscriptions (from any process): PocketBase's checks, then the
        row and a control change in one transaction."""
        _validate(client_id, topics)
        row = await self.store.fetch_one(
            'SELECT * FROM "_realtimeClients" WHERE "id" = ? AND "owner" != \'\'', (client_id,)
        )
        if row is None:
            raise RealtimeNotFoundError()
        if row["ip"] and row["ip"] != ip:
            raise RealtimeBadClientError()
        if row["authRecordId"] and not _same_auth(row, auth):
            raise RealtimeForbiddenError()
        record = auth.record
        state = {
            "authCollectionId": "" if record is None else record.collection.id,
            "authRecordId": "" if record is None else record.id,
            "subscriptions": [t for t in topics if t],
        }
        async with self.store.transaction() as tx:
            await tx.execute(
                'UPDATE "_realtimeClients" SET "authCollectionId" = ?, "authRecordId" = ?, '
                '"subscriptions" = ?, "updated" = ? WHERE "id" = ?',
                (
                    state["authCollectionId"],
                    state["authRecordId"],
                    Json(state["subscriptions"]),
                    now_text(),
                    client_id,
                ),
            )
            # the new state travels with the event: the stream applies exactly it, at
            # exactly this point of the feed (the row may have changed again by then)
            await _append_control(tx, client_id, SUBSCRIBE, state)

    async def send(
        self, client_id: str, topic: str, data: dict[str, Any], *, ip: str = "", once: bool = False
    ) -> bool:
        """Send ``data`` as a ``topic`` message to a connected client subscribed to it (from
        any process); whether it was sent. ``ip`` (when given) must be the stream's, as for
        PocketBase's OAuth2 redirect; ``once`` ends the subscription (sent or not)."""
        row = await self.store.fetch_one(
            'SELECT "ip", "subscriptions" FROM "_realtimeClients" '
            'WHERE "id" = ? AND "owner" != \'\'',
            (client_id,),
        )
        topics = list(row["subscriptions"] or []) if row is not None else []
        if row is None or topic not in topics:
            return False
        deliver = not ip or not row["ip"] or row["ip"] == ip
        if not deliver and not once:
            return False
        # the data as JSON text: PostgreSQL's jsonb would reorder the keys
        control: dict[str, Any] = {"name": topic}
        control["data"] = orjson.dumps(data).decode() if deliver else None
        async with self.store.transaction() as tx:
            if once:
                control["unsubscribe"] = True
                await tx.execute(
                    'UPDATE "_realtimeClients" SET "subscriptions" = ? WHERE "id" = ?',
                    (Json([t for t in topics if t != topic]), client_id),
                )
            await _append_control(tx, client_id, MESSAGE, control)
        return deliver

    # -- the tailer ---------------------------------------------------------------------

    async def _ensure_tailer(self) -> None:
        """One tailer per process, started by the first stream (two streams connecting at
        once must not start two: each event would be delivered twice)."""
        async with self._tailer_lock:
            if self._tailer is not None:
                return
            self.cursor = int(
                await self.store.fetch_value('SELECT COALESCE(MAX("seq"), 0) FROM "_changes"') or 0
            )
            self._last_client_seen = time.monotonic()
            self._tailer = asyncio.create_task(self._tail())

    async def _tail(self) -> None:
        signal = await self.store.change_signal()
        try:
            while True:
                if not self.clients and self._idle_since_a_while():
                    # decided and unregistered with no await between: a stream connecting
                    # from here on starts a new tailer
                    self._tailer = None
                    return
                try:
                    await self._read_feed()
                except Exception:  # the tailer must outlive any one bad change or outage
                    log.exception("realtime: reading the change feed failed")
                await signal.wait(TAIL_TIMEOUT)
        finally:
            if self._tailer is asyncio.current_task():
                self._tailer = None
            await signal.close()

    _last_client_seen = 0.0

    def _idle_since_a_while(self) -> bool:
        """No client for a few seconds: the tailer stops (it restarts with the next one)."""
        now = time.monotonic()
        if self.clients:
            self._last_client_seen = now
        return now - self._last_client_seen > 5.0

    async def _read_feed(self) -> None:
        while True:
            changes = await self._changes_after(self.cursor, None)
            if not changes:
                return
            await self._refresh_collections()
            for change in changes:
                targets = [c for c in self.clients.values() if c.live and c.cursor < change.seq]
                await self._dispatch(change, targets)
                self.cursor = change.seq
            if len(changes) < BATCH:
                return

    async def _refresh_collections(self) -> None:
        """Follow catalog changes; as PocketBase, a client signed in to an auth collection
        that is gone or whose token secret changed is a guest from then on."""
        await self.collections.refresh(self.store)
        if self.collections.schema is self._schema_seen:
            return
        self._schema_seen = self.collections.schema
        for client in self.clients.values():
            me = client.auth.record
            if me is None:
                continue
            now = self.collections.get(me.collection.id)
            if now is None or not now.is_auth or now.token_secret("authToken") != client.secret:
                self._sign_out(client)

    async def _changes_after(self, seq: int, through: int | None) -> list[_Change]:
        sql = (
            'SELECT "seq", "collectionId", "recordId", "action", "record" FROM "_changes" '
            'WHERE "seq" > ?'
        )
        params: list[Any] = [seq]
        if through is not None:
            sql += ' AND "seq" <= ?'
            params.append(through)
        rows = await self.store.fetch_all(sql + ' ORDER BY "seq" LIMIT ?', (*params, BATCH))
        return [
            _Change(
                int(r["seq"]),
                str(r["collectionId"]),
                str(r["recordId"]),
                str(r["action"]),
                r["record"] if isinstance(r["record"], dict) else orjson.loads(r["record"]),
            )
            for r in rows
        ]

    async def _catch_up(self, client: Client) -> None:
        """Deliver what a resumed client missed, then hand it to the tailer."""
        try:
            while not client.closed:
                changes = await self._changes_after(client.cursor, self.cursor)
                if not changes:
                    if client.cursor >= self.cursor:
                        client.live = True  # no await since the check: the tailer takes over
                        return
                    client.cursor = self.cursor  # only gaps left
                    continue
                await self._refresh_collections()
                for change in changes:
                    await self._dispatch(change, [client])
        except (FerrybaseError, OSError) as exc:
            log.warning("realtime: catching up client %s failed: %s", client.id, exc)
            client.close()

    # -- delivery -----------------------------------------------------------------------

    async def _dispatch(self, change: _Change, clients: list[Client]) -> None:
        if not change.collection_id:
            await self._control(change)
        elif clients:
            collection = self.collections.get(change.collection_id)
            if collection is not None:
                record = Record(collection, change.record)
                if collection.is_auth and change.action == UPDATE:
                    self._auth_changed(record, deleted=False)
                await Delivery(self, change, collection).run(clients)
                if collection.is_auth and change.action == DELETE:
                    self._auth_changed(record, deleted=True)
        elif change.action in (UPDATE, DELETE):
            collection = self.collections.get(change.collection_id)
            if collection is not None and collection.is_auth:
                self._auth_changed(Record(collection, change.record), change.action == DELETE)
        for client in clients:
            client.cursor = max(client.cursor, change.seq)

    async def _control(self, change: _Change) -> None:
        client = self.clients.get(change.record_id)
        if client is None:
            return
        if change.action == SUBSCRIBE:
            state = change.record
            client.subscriptions = [Subscription.parse(t) for t in state["subscriptions"]]
            client.auth = await self._auth_of(state)
            client.secret = _secret_of(client.auth)
        elif change.action == MESSAGE:
            name = str(change.record.get("name", ""))
            data = change.record.get("data")
            if isinstance(data, str) and any(s.topic == name for s in client.subscriptions):
                client.push(change.seq, client.frame(name, data.encode()))
            if change.record.get("unsubscribe"):
                client.subscriptions = [s for s in client.subscriptions if s.topic != name]

    async def _auth_of(self, row: Row | dict[str, Any]) -> Auth:
        if not row["authRecordId"]:
            return GUEST
        collection = self.collections.get(str(row["authCollectionId"]))
        if collection is None:
            return GUEST
        record = await self.records.find(collection, str(row["authRecordId"]))
        return GUEST if record is None else Auth(record)

    def _auth_changed(self, record: Record, deleted: bool) -> None:
        """An auth record changed: its clients see the new state; a deleted record or a
        new ``tokenKey`` (password change, sign-out everywhere) makes them guests."""
        for client in self.clients.values():
            me = client.auth.record
            if me is None or me.id != record.id or me.collection.id != record.collection.id:
                continue
            if deleted or me.get("tokenKey") != record.get("tokenKey"):
                self._sign_out(client)
            else:
                client.auth = Auth(record)

    def _sign_out(self, client: Client) -> None:
        """The client is a guest from now on, here and in its row (a later subscription
        POST may then sign it in again, as PocketBase allows)."""
        client.auth = GUEST
        self._spawn(self._forget_auth(client.id))

    async def _forget_auth(self, client_id: str) -> None:
        await self.store.execute(
            'UPDATE "_realtimeClients" SET "authCollectionId" = \'\', "authRecordId" = \'\' '
            'WHERE "id" = ?',
            (client_id,),
        )

    # -- resume, release, housekeeping ----------------------------------------------------

    async def _resume(self, client_id: str, ip: str) -> Client | None:
        if len(client_id) > MAX_CLIENT_ID_LENGTH or client_id in self.clients:
            return None
        now, stale = now_text(), _ago(STALE_AFTER)
        claimed = await self.store.execute(
            'UPDATE "_realtimeClients" SET "owner" = ?, "updated" = ? '
            'WHERE "id" = ? AND "ip" = ? AND ("owner" = \'\' OR "updated" < ?)',
            (self.owner, now, client_id, ip, stale),
        )
        if not claimed:
            return None
        row = await self.store.fetch_one(
            'SELECT * FROM "_realtimeClients" WHERE "id" = ?', (client_id,)
        )
        oldest = await self.store.fetch_value('SELECT MIN("seq") FROM "_changes"')
        if row is None or (oldest is not None and int(row["cursor"]) + 1 < int(oldest)):
            await self.store.execute(  # trimmed past its resume point: start afresh
                'DELETE FROM "_realtimeClients" WHERE "id" = ?', (client_id,)
            )
            return None
        cursor = int(row["cursor"])
        client = Client(client_id, ip, cursor=cursor, written=cursor)
        client.subscriptions = [Subscription.parse(t) for t in row["subscriptions"] or []]
        client.auth = await self._auth_of(row)
        client.secret = _secret_of(client.auth)
        self.clients[client.id] = client
        self._spawn(self._catch_up(client))
        return client

    async def _release(self, client: Client) -> None:
        with contextlib.suppress(FerrybaseError, OSError):
            await self.store.execute(
                'UPDATE "_realtimeClients" SET "owner" = \'\', "cursor" = ?, "updated" = ? '
                'WHERE "id" = ? AND "owner" = ?',
                (client.written, now_text(), client.id, self.owner),
            )

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(HOUSEKEEPING_INTERVAL * (0.75 + secrets.randbelow(50) / 100))
            try:
                await self.housekeep()
            except (FerrybaseError, OSError) as exc:
                log.warning("realtime housekeeping failed: %s", exc)

    async def housekeep(self) -> None:
        """Refresh the held clients' rows; drop rows and changes past the retention."""
        if self.clients:
            await self.store.execute(
                'UPDATE "_realtimeClients" SET "updated" = ? WHERE "owner" = ?',
                (now_text(), self.owner),
            )
        horizon = _ago(self.retention)
        await self.store.execute(
            'DELETE FROM "_realtimeClients" WHERE "updated" < ? AND ("owner" = \'\' OR '
            '"updated" < ?)',
            (horizon, _ago(max(STALE_AFTER, self.retention))),
        )
        # The newest change always stays: resume points are checked against the oldest.
        await self.store.execute(
            'DELETE FROM "_changes" WHERE "created" < ? '
            'AND "seq" < (SELECT MAX("seq") FROM "_changes")',
            (horizon,),
        )

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class Delivery:
    """One change, checked and rendered for each client that subscribed to it."""

    def __init__(self, realtime: Realtime, change: _Change, collection: Collection) -> None:
        self.realtime = realtime
        self.change = change
        self.collection = collection
        self.records = realtime.records
        self.store = realtime.store
        self._access: dict[tuple[Any, ...], bool] = {}
        self._rendered: dict[tuple[Any, ...], bytes] = {}
        self._outcome: dict[tuple[Any, ...], bytes | None] = {}
        self._row: tuple[str, list[Any]] | None = None

    def _matches(self, sub: Subscription) -> str | None:
        """The rule a subscription is checked with, or ``None`` when it does not match."""
        c = self.collection
        if sub.collection not in (c.name, c.id):
            return None
        if sub.record_id is None:
            return LIST_RULE
        return VIEW_RULE if sub.record_id == self.change.record_id else None

    async def run(self, clients: Iterable[Client]) -> None:
        """Check and render once per (rule, options, subscriber identity): a thousand guests
        on the same topic cost one rule query and one JSON encoding, not a thousand."""
        for client in clients:
            for sub in client.subscriptions:
                rule = self._matches(sub)
                if rule is None:
                    continue
                key = (rule, sub.options, _identity(client.auth))
                if key in self._outcome:
                    data = self._outcome[key]
                else:
                    data = await self._evaluate(client, sub, rule)
                    self._outcome[key] = data
                if data is not None:
                    client.push(self.change.seq, client.frame(sub.topic, data))

    async def _evaluate(self, client: Client, sub: Subscription, rule: str) -> bytes | None:
        """What this subscriber gets for the change, or ``None`` when it may not see it."""
        caller = Caller(
            client.auth,
            query=dict(sub.query),
            headers=dict(sub.headers),
            method="GET",
            context="realtime",
        )
        try:
            if not await self._can_access(rule, caller):
                return None
            return await self._render(client, sub, caller)
        except FerrybaseError as exc:
            log.debug("realtime: skipped %s for %s: %s", sub.topic, client.id, exc)
            return None

    async def _can_access(self, rule_name: str, caller: Caller) -> bool:
        """The rule and the subscription's ``filter`` hold for the record as the change left
        it (PocketBase's ``realtimeCanAccessRecord``)."""
        rule = self.collection.rules.get(rule_name)
        if not caller.is_superuser and rule is None:
            return False
        schema = self.realtime.collections.schema
        spec = schema.collection(self.collection.id)
        if spec is None:
            return False
        text = caller.query.get("filter", "")
        needs_rule = not caller.is_superuser and bool(rule and rule.strip())
        if not needs_rule and not text:
            return True
        info = request_info(caller, schema)
        dialect = self.store.dialect
        conditions = []
        if needs_rule:
            assert rule is not None
            conditions.append(compile_filter(rule, spec, schema, info, dialect, rule=True))
        if text:
            conditions.append(
                compile_filter(text, spec, schema, info, dialect, superuser=caller.is_superuser)
            )
        if not conditions:
            return True
        key = tuple((c.sql, c.params) for c in conditions)
        known = self._access.get(key)
        if known is None:
            row_sql, row_params = self._virtual_row()
            where = " AND ".join(f"({c.sql})" for c in conditions)
            q = dialect.quote
            sql = f"SELECT 1 FROM ({row_sql}) AS {q(self.collection.table)} WHERE {where}"
            params = (*row_params, *(p for c in conditions for p in c.params))
            known = await self.store.fetch_value(sql, params) is not None
            self._access[key] = known
        return known

    def _virtual_row(self) -> tuple[str, list[Any]]:
        """The record as the change left it, as a one-row table with the collection's columns
        and types: rules see that state even when the row changed since or is gone."""
        if self._row is None:
            dialect = self.store.dialect
            pg = dialect.is_postgres
            q = dialect.quote
            columns: list[str] = []
            params: list[Any] = []
            param: Any
            for f in self.collection.fields:
                value = self.change.record.get(f.name)
                if f.multiple or f.type in ("json", "geoPoint"):
                    cast, param = ("JSONB" if pg else ""), Json(value)
                elif f.type == "number":
                    cast, param = ("DOUBLE PRECISION" if pg else ""), float(value or 0)
                elif f.type == "bool":
                    cast, param = ("BOOLEAN" if pg else ""), bool(value)
                else:
                    cast, param = ("TEXT" if pg else ""), "" if value is None else str(value)
                expr = f"CAST(? AS {cast})" if cast else "?"
                if cast == "TEXT":
                    expr += ' COLLATE "C"'
                columns.append(f"{expr} AS {q(f.name)}")
                params.append(param)
            self._row = ("SELECT " + ", ".join(columns), params)
        return self._row

    async def _render(self, client: Client, sub: Subscription, caller: Caller) -> bytes:
        expand = sub.query.get("expand", "")
        fields = sub.query.get("fields", "")
        record = Record(self.collection, dict(self.change.record))
        if self.collection.is_auth:
            record.email_visible = await self._manages(client, caller)
        key = (client.auth.is_superuser, record.email_visible, fields)
        if not expand and key in self._rendered:
            return self._rendered[key]
        if expand:
            await self.records.expand([record], expand, caller)
        payload: Any = record.public(client.auth)
        if fields:
            payload = apply_fields(payload, fields)
        data = orjson.dumps({"record": payload, "action": self.change.action})
        if not expand:
            self._rendered[key] = data
        return data

    async def _manages(self, client: Client, caller: Caller) -> bool:
        """The subscriber is the record itself or passes the manage rule: the email shows."""
        me = client.auth.record
        if (
            me is not None
            and me.collection.id == self.collection.id
            and me.id == self.change.record_id
        ):
            return True
        if me is None or client.auth.is_superuser:
            return False
        ids = await self.records.managed(self.collection, [self.change.record_id], caller)
        return self.change.record_id in ids


async def _append_control(tx: Any, client_id: str, action: str, data: dict[str, Any]) -> None:
    await tx.execute_at_commit(
        'INSERT INTO "_changes" ("collectionId", "collectionName", "recordId", "action", '
        "\"record\", \"created\") VALUES ('', '', ?, ?, ?, ?)",
        (client_id, action, Json(data), now_text()),
    )


def _secret_of(auth: Auth) -> str:
    record = auth.record
    return "" if record is None else record.collection.token_secret("authToken")


def _identity(auth: Auth) -> tuple[str, str] | None:
    record = auth.record
    return None if record is None else (record.collection.id, record.id)


def _same_auth(row: Row, auth: Auth) -> bool:
    record = auth.record
    return (
        record is not None
        and record.id == row["authRecordId"]
        and record.collection.id == row["authCollectionId"]
    )


def _ago(seconds: float) -> str:
    """``now_text()`` of ``seconds`` ago (the feed's and the client rows' timestamps)."""
    return format_datetime(datetime.now(UTC) - timedelta(seconds=seconds))


def _validate(client_id: str, topics: list[str]) -> None:
    errors: dict[str, Any] = {}
    if not client_id:
        errors["clientId"] = FieldError("validation_required", "Cannot be blank.")
    elif len(client_id) > MAX_CLIENT_ID_LENGTH:
        errors["clientId"] = FieldError(
            "validation_length_out_of_range",
            f"The length must be between 1 and {MAX_CLIENT_ID_LENGTH}.",
            {"max": MAX_CLIENT_ID_LENGTH, "min": 1},
        )
    if len(topics) > MAX_TOPICS:
        errors["subscriptions"] = FieldError(
            "validation_length_too_long",
            f"The length must be no more than {MAX_TOPICS}.",
            {"max": MAX_TOPICS, "min": 0},
        )
    else:
        long = {
            str(i): FieldError(
                "validation_length_too_long",
                f"The length must be no more than {MAX_TOPIC_LENGTH}.",
                {"max": MAX_TOPIC_LENGTH, "min": 0},
            )
            for i, topic in enumerate(topics)
            if len(topic) > MAX_TOPIC_LENGTH
        }
        if long:
            errors["subscriptions"] = long
    if errors:
        raise ValidationError(errors, "Something went wrong while processing your request.")


class RealtimeNotFoundError(NotFoundError):
    default_message = "Missing or invalid client id."


class RealtimeForbiddenError(ForbiddenError):
    default_message = "The current and the previous request authorization don't match."


class RealtimeBadClientError(BadRequestError):
    default_message = "Invalid realtime client."
