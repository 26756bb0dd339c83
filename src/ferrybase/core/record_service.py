"""Records service: read and write records of any collection, rules and validation applied.

Every write runs in one transaction that also appends the event to the change feed
(``_changes``), so realtime, webhooks and hooks see exactly what was committed. Its files
follow a :class:`~ferrybase.core.record_files.FileJournal`: new ones stored before the write,
replaced ones deleted after the commit (``core/record_files.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from ferrybase.core.auth_origins import AUTH_ORIGINS, forget
from ferrybase.core.collections import SUPERUSERS, VIEW, Collection
from ferrybase.core.dates import now_text
from ferrybase.core.epoch_cache import EpochCache
from ferrybase.core.expand import Expander, parse_expand
from ferrybase.core.fields import Field
from ferrybase.core.files import FileStorage, UploadedFile, without_uploads
from ferrybase.core.ports import Executor, Json, Passwords, Store
from ferrybase.core.record_files import FileJournal
from ferrybase.core.record_forms import prepare_new, prepare_update
from ferrybase.core.records import (
    CREATE,
    CREATE_FAILED,
    UPDATE,
    UPDATE_FAILED,
    Record,
    append_change,
)
from ferrybase.core.registry import CollectionRegistry
from ferrybase.core.relations import (
    check_relations,
    delete_with_references,
    relations_condition,
)
from ferrybase.core.rules import (
    CREATE_RULE,
    DELETE_RULE,
    UPDATE_RULE,
    VIEW_RULE,
    Access,
    Caller,
    request_info,
    where,
)
from ferrybase.core.values import coerce, generate, zero_value
from ferrybase.errors import (
    BadRequestError,
    ConflictError,
    FieldError,
    NotFoundError,
    ValidationError,
)
from ferrybase.filter import Condition, compile_filter
from ferrybase.filter.dialect import Dialect

# New files of a create: collection id, record id, the uploads.
_Uploads = tuple[str, str, list[UploadedFile]]


class Records:
    """Read and write records with the collection's rules and validation.

    Write methods take an optional ``tx``: given, they run inside that transaction (a batch)
    and note their file work in ``files``, the journal of whoever owns the transaction and
    commits or rolls it back; otherwise each opens its own of both. A write is acknowledged
    only after its COMMIT.
    """

    def __init__(
        self,
        store: Store,
        collections: CollectionRegistry,
        passwords: Passwords,
        storage: Callable[[], Awaitable[FileStorage]] | None = None,
    ) -> None:
        self.store = store
        self.collections = collections
        self.passwords = passwords
        self.storage = storage or _no_storage
        # (COUNT statement, params) -> total; see :meth:`_count`
        self._counts: EpochCache[tuple[str, tuple[Any, ...]], int] = EpochCache(COUNT_CACHE_SIZE)

    def journal(self) -> FileJournal:
        """A journal for the file work of a transaction the caller owns (a batch)."""
        return FileJournal(self.storage)

    def collection(self, id_or_name: str) -> Collection:
        collection = self.collections.get(id_or_name)
        if collection is None:
            raise NotFoundError("Missing collection context.")
        return collection

    async def find(
        self, collection: Collection, record_id: str, db: Executor | None = None
    ) -> Record | None:
        q = self.store.dialect.quote
        row = await (db or self.store).fetch_one(
            f"SELECT * FROM {q(collection.table)} WHERE {q('id')} = ?", (record_id,)
        )
        return None if row is None else Record(collection, row)

    async def find_by(self, collection: Collection, field: str, value: Any) -> Record | None:
        q = self.store.dialect.quote
        row = await self.store.fetch_one(
            f"SELECT * FROM {q(collection.table)} WHERE {q(field)} = ? LIMIT 1", (value,)
        )
        return None if row is None else Record(collection, row)

    def access(self) -> Access:
        return Access(self.collections.schema, self.store.dialect)

    async def view(self, collection: Collection, record_id: str, caller: Caller) -> Record:
        condition = self.access().rule(collection, VIEW_RULE, caller)
        record = await self._find_where(self.store, collection, record_id, condition)
        if record is None:
            raise NotFoundError()
        await self.mark_managed([record], caller)
        return record

    async def expand(self, records: list[Record], text: str, caller: Caller) -> None:
        """Inline the related records ``text`` names (``?expand=``) into each record."""
        tree = parse_expand(text)
        if tree or text:
            expander = Expander(self.store, self.collections, self.store.dialect, caller)
            await expander.expand(records, tree)
            await self._mark_managed_expanded(records, caller)

    async def list(
        self,
        collection: Collection,
        caller: Caller,
        *,
        filter: str = "",
        sort: str = "",
        limit: int = 30,
        offset: int = 0,
        count: bool = True,
    ) -> tuple[list[Record], int | None]:
        """One page of the records the caller may list, and the total (unless not asked)."""
        access = self.access()
        # the sort's relation joins and their list rules are part of the list condition
        condition, params = where(access.list_condition(collection, filter, caller, sort))
        order = access.sort(collection, sort, caller)
        q = self.store.dialect.quote
        table = q(collection.table)
        order_sql = order.sql
        if not order_sql and self.store.dialect.is_postgres and collection.type != VIEW:
            order_sql = f"{table}.{q('_rowid')}"  # SQLite's natural (insertion) order
        sql = f"SELECT {table}.* FROM {table} WHERE {condition}"
        if order_sql:
            sql += f" ORDER BY {order_sql}"
        rows = await self.store.fetch_all(
            sql + " LIMIT ? OFFSET ?", (*params, *order.params, limit, offset)
        )
        total = None
        if count:
            total = await self._count(f"SELECT COUNT(*) FROM {table} WHERE {condition}", params)
        records = [Record(collection, row) for row in rows]
        await self.mark_managed(records, caller)
        return records, total

    async def _count(self, sql: str, params: Sequence[Any]) -> int:
        """A list's total, remembered while the database has not changed since (the store's
        data epoch: on SQLite nothing committed anywhere): the same statement with the same
        values over the same data counts the same, so a read-mostly load scans for its
        total once per commit instead of once per request. Not for statements whose answer
        moves with the clock (``strftime``, which may read 'now'; PostgreSQL's ``now()``) or
        chance."""
        epoch = self.store.data_epoch()
        key: tuple[str, tuple[Any, ...]] | None = None
        if epoch is not None and not any(word in sql for word in _VOLATILE):
            key = (sql, tuple(params))
            try:
                hit = self._counts.get(key, epoch)
            except TypeError:  # an unhashable value: not remembered
                key, hit = None, None
            if hit is not None:
                return hit
        total = int(await self.store.fetch_value(sql, params))
        if key is not None:
            self._counts.put(key, epoch, total)
        return total

    async def create(
        self,
        collection: Collection,
        body: dict[str, Any],
        caller: Caller,
        tx: Executor | None = None,
        files: FileJournal | None = None,
    ) -> Record:
        caller = caller.with_body(without_uploads(body), "POST")
        condition = self.access().rule(collection, CREATE_RULE, caller)
        if collection.type == VIEW:
            raise BadRequestError("Unsupported collection type.")
        form = await prepare_new(collection, body, caller.auth, self.passwords)
        data = form.values
        wants_verified = _wants_verified(collection, body, caller)
        uploads = (collection.id, str(data["id"]), form.uploads)
        # The INSERT tests the relation ids itself and, when the rule reads only the request
        # (no column, no table: every identifier is quoted), the rule too: one statement
        # instead of up to three; which one failed is found out only if one did.
        rule_checked = condition is not None and '"' not in condition.sql
        guard = _all_of(
            relations_condition(self.collections, collection, data),
            condition if rule_checked else None,
        )
        async with self._writing(tx, files, uploads) as (db, _):
            if not await self._insert(db, collection, data, feed=False, guard=guard):
                await check_relations(db, self.collections, collection, data, CREATE_FAILED)
                raise BadRequestError(CREATE_FAILED)
            # The rule sees the new record as submitted: checked inside the transaction, which
            # a failure rolls back (PocketBase's way).
            if (
                condition is not None
                and not rule_checked
                and not await self._holds(db, collection, data["id"], condition)
            ):
                raise BadRequestError(CREATE_FAILED)
            manager = bool(await self.managed(collection, [data["id"]], caller, db))
            if wants_verified:
                # Only a manager may create a verified record; the rule saw it unverified.
                if not manager:
                    raise ValidationError({"verified": _MISMATCH}, CREATE_FAILED)
                data["verified"] = True
                q = self.store.dialect.quote
                await db.execute(
                    f"UPDATE {q(collection.table)} SET {q('verified')} = ? WHERE {q('id')} = ?",
                    (True, data["id"]),
                )
            record = Record(collection, data)
            await append_change(db, record, CREATE)
        record.email_visible = manager
        return record

    async def update(
        self,
        collection: Collection,
        record_id: str,
        body: dict[str, Any],
        caller: Caller,
        tx: Executor | None = None,
        files: FileJournal | None = None,
    ) -> Record:
        caller = caller.with_body(without_uploads(body), "PATCH")
        condition = self.access().rule(collection, UPDATE_RULE, caller)
        if collection.type == VIEW:
            raise BadRequestError("Unsupported collection type.")
        async with self._writing(tx, files) as (db, journal):
            current = await self._find_where(db, collection, record_id, condition, lock=True)
            if current is None:
                raise NotFoundError()
            manager = bool(await self.managed(collection, [record_id], caller, db))
            form = await prepare_update(current, body, caller.auth, self.passwords, manager=manager)
            changes = form.values
            await check_relations(db, self.collections, collection, changes, UPDATE_FAILED)
            # Stored before the row changes: a failed upload leaves the record as it was.
            await journal.upload(collection.id, current.id, form.uploads, UPDATE_FAILED)
            record = await self._update(db, collection, record_id, changes, UPDATE_FAILED)
            journal.replaced(collection.id, current.id, form.removed)
            record.email_visible = manager
            return record

    async def upsert(
        self,
        collection: Collection,
        body: dict[str, Any],
        caller: Caller,
        tx: Executor,
        files: FileJournal | None = None,
    ) -> Record:
        """Update the record ``body["id"]`` names if it exists, else create it (batch ``PUT``)."""
        record_id = body.get("id")
        exists = isinstance(record_id, str) and record_id != ""
        if exists and await self.find(collection, str(record_id), tx) is not None:
            return await self.update(collection, str(record_id), body, caller, tx, files)
        return await self.create(collection, body, caller, tx, files)

    async def delete(
        self,
        collection: Collection,
        record_id: str,
        caller: Caller,
        tx: Executor | None = None,
        files: FileJournal | None = None,
    ) -> None:
        condition = self.access().rule(collection, DELETE_RULE, caller)
        if collection.type == VIEW:
            raise BadRequestError("Unsupported collection type.")
        async with self._writing(tx, files) as (db, journal):
            record = await self._find_where(db, collection, record_id, condition, lock=True)
            if record is None:
                raise NotFoundError()
            if collection.name == SUPERUSERS:
                await _keep_one_superuser(db, self.store, collection)
            deleted = await delete_with_references(db, self.collections, record, self.store.dialect)
            for gone in deleted:
                if any(f.type == "file" for f in gone.collection.fields):
                    journal.record_deleted(gone.collection.id, gone.id)

    async def _holds(
        self, db: Executor, collection: Collection, record_id: str, condition: Condition
    ) -> bool:
        """Whether the condition holds for the record (one value read, not the row)."""
        q = self.store.dialect.quote
        table = q(collection.table)
        extra, params = where(condition)
        sql = f"SELECT 1 FROM {table} WHERE {table}.{q('id')} = ? AND {extra}"
        return await db.fetch_value(sql, (record_id, *params)) is not None

    async def _find_where(
        self,
        db: Executor,
        collection: Collection,
        record_id: str,
        condition: Condition | None,
        *,
        lock: bool = False,
    ) -> Record | None:
        """The record if the condition holds; ``lock`` keeps others off it until COMMIT.

        SQLite's write transaction already excludes every other writer; PostgreSQL needs the
        row lock, so read-modify-write updates (``views+``) never lose a concurrent change.
        """
        q = self.store.dialect.quote
        table = q(collection.table)
        extra, params = where(condition)
        sql = f"SELECT {table}.* FROM {table} WHERE {table}.{q('id')} = ? AND {extra}"
        if lock and self.store.dialect.is_postgres:
            sql += f" FOR UPDATE OF {table}"
        row = await db.fetch_one(sql, (record_id, *params))
        return None if row is None else Record(collection, row)

    async def managed(
        self,
        collection: Collection,
        record_ids: Sequence[str],
        caller: Caller,
        db: Executor | None = None,
    ) -> set[str]:
        """The ids among ``record_ids`` whose record the caller may manage: an auth
        collection's ``manageRule`` holds for them (``None`` or ``""``: superusers only)."""
        rule = collection.rules.get("manageRule") if collection.is_auth else None
        if not rule or not rule.strip() or caller.auth.record is None or not record_ids:
            return set()
        schema = self.collections.schema
        spec = schema.collection(collection.id)
        assert spec is not None
        info = request_info(caller, schema)
        condition = compile_filter(rule, spec, schema, info, self.store.dialect, rule=True)
        extra, params = where(condition)
        q = self.store.dialect.quote
        table = q(collection.table)
        marks = ", ".join("?" for _ in record_ids)
        rows = await (db or self.store).fetch_all(
            f"SELECT {table}.{q('id')} AS {q('id')} FROM {table} "
            f"WHERE {table}.{q('id')} IN ({marks}) AND {extra}",
            (*record_ids, *params),
        )
        return {str(row["id"]) for row in rows}

    async def mark_managed(self, records: Sequence[Record], caller: Caller) -> None:
        """Let a manager see the email of the auth records they manage."""
        if not records or caller.is_superuser:
            return
        ids = await self.managed(records[0].collection, [r.id for r in records], caller)
        for record in records:
            record.email_visible = record.id in ids

    async def _mark_managed_expanded(self, records: Sequence[Record], caller: Caller) -> None:
        """Managers see the email of the auth records they manage in ``expand`` too."""
        by_collection: dict[str, list[Record]] = {}
        pending = list(records)
        while pending:
            record = pending.pop()
            for value in (record.expand or {}).values():
                for related in value if isinstance(value, list) else [value]:
                    if related.collection.is_auth:
                        by_collection.setdefault(related.collection.id, []).append(related)
                    pending.append(related)
        for group in by_collection.values():
            await self.mark_managed(group, caller)

    async def write_fields(
        self, collection: Collection, record_id: str, values: dict[str, Any]
    ) -> Record:
        """Set already-validated column values (and ``onUpdate`` autodates) on one record."""
        async with self.store.transaction() as tx:
            return await self._update(tx, collection, record_id, values, UPDATE_FAILED)

    async def insert_fields(self, collection: Collection, data: dict[str, Any]) -> Record:
        """Insert a row of already-validated column values (ids, autodates filled in here):
        the system collections' writes (``_otps``, ``_mfas``), which hash their own secrets."""
        data = dict(data)
        now = now_text()
        for field in collection.fields:
            if field.type == "autodate":
                data[field.name] = now if field.opt("onCreate") else ""
            elif field.name not in data:
                generated = field.opt("autogeneratePattern") if field.type == "text" else ""
                data[field.name] = generate(str(generated)) if generated else zero_value(field)
        async with self.store.transaction() as tx:
            await self._insert(tx, collection, data)
        return Record(collection, data)

    @asynccontextmanager
    async def _writing(
        self,
        tx: Executor | None,
        files: FileJournal | None,
        uploads: _Uploads | None = None,
    ) -> AsyncIterator[tuple[Executor, FileJournal]]:
        """The transaction to write in and the journal of its files; ``uploads`` (collection
        id, record id, files) are stored first, before any row is written."""
        journal = files or self.journal()
        message = CREATE_FAILED
        if tx is not None:
            # The caller owns the transaction and settles its journal.
            if uploads:
                await journal.upload(*uploads, message)
            yield tx, journal
            return
        try:
            if uploads:
                # Before the transaction: no write lock is held while the bytes move.
                await journal.upload(*uploads, message)
            async with self.store.transaction() as own:
                yield own, journal
        except BaseException:
            await journal.rollback()
            raise
        await journal.commit()

    async def _insert(
        self,
        tx: Executor,
        collection: Collection,
        data: dict[str, Any],
        *,
        feed: bool = True,
        guard: Condition | None = None,
    ) -> bool:
        """Insert the row; with ``guard`` (a condition that reads no column of the row), only
        if it holds: whether it was inserted."""
        names = tuple(data)
        head, marks = _insert_head(self.store.dialect, collection.table, names)
        field = collection.field
        values = [_param(field(n), data[n]) for n in names]
        try:
            if guard is None:
                await tx.execute(f"{head}VALUES ({marks})", values)
            elif not await tx.execute(
                f"{head}SELECT {marks} WHERE {guard.sql}", [*values, *guard.params]
            ):
                return False
        except ConflictError as exc:
            raise _not_unique(exc, CREATE_FAILED) from exc
        if feed:
            await append_change(tx, Record(collection, data), CREATE)
        return True

    async def _update(
        self,
        tx: Executor,
        collection: Collection,
        record_id: str,
        values: dict[str, Any],
        message: str,
    ) -> Record:
        values = dict(values)
        now = now_text()
        for field in collection.fields:
            if field.type == "autodate" and field.opt("onUpdate"):
                values[field.name] = now
        q = self.store.dialect.quote
        # Nothing to change still saves (an event for the feed), as PocketBase does.
        assignments = ", ".join(f"{q(name)} = ?" for name in values) or f"{q('id')} = {q('id')}"
        params = [_param(collection.field(n), v) for n, v in values.items()]
        table = q(collection.table)
        try:
            row = await tx.execute_returning(
                f"UPDATE {table} SET {assignments} WHERE {q('id')} = ? RETURNING *",
                [*params, record_id],
            )
        except ConflictError as exc:
            raise _not_unique(exc, message) from exc
        if row is None:
            raise NotFoundError()
        record = Record(collection, row)
        await append_change(tx, record, UPDATE)
        if collection.is_auth and "password" in values:
            # A new password forgets where the record signed in from (no alert for the
            # owner's next sign-in), as PocketBase does.
            await forget(tx, self.collections.get(AUTH_ORIGINS), record)
        return record


_MISMATCH = FieldError("validation_values_mismatch", "Values don't match.")

COUNT_CACHE_SIZE = 256
"""Most list totals remembered (see :meth:`Records._count`)."""

_VOLATILE = ("strftime", "RANDOM", "now()")
"""Words of a count statement whose answer may move with the clock or chance (not
remembered)."""


async def _no_storage() -> FileStorage:
    raise RuntimeError("no file storage is configured")


def _wants_verified(collection: Collection, body: dict[str, Any], caller: Caller) -> bool:
    """A create body of a non-superuser that asks for a verified auth record."""
    field = collection.field("verified")
    if not collection.is_auth or collection.name == SUPERUSERS or caller.is_superuser:
        return False
    return field is not None and "verified" in body and coerce(field, body["verified"]) is True


@lru_cache(maxsize=256)
def _insert_head(dialect: Dialect, table: str, names: tuple[str, ...]) -> tuple[str, str]:
    """``INSERT INTO "t" ("a", "b") `` and ``?, ?``: the same for every row of a collection."""
    q = dialect.quote
    return f"INSERT INTO {q(table)} ({', '.join(q(n) for n in names)}) ", ", ".join(
        "?" for _ in names
    )


def _all_of(*conditions: Condition | None) -> Condition | None:
    present = [c for c in conditions if c is not None]
    if len(present) < 2:
        return present[0] if present else None
    sql, params = where(*present)
    return Condition(sql, params)


def _param(field: Field | None, value: Any) -> Any:
    if field is None or field.type not in _MAYBE_JSON:
        return value
    if field.type in ("json", "geoPoint") or field.multiple:
        return Json(value)
    return value


_MAYBE_JSON = frozenset({"json", "geoPoint", "select", "file", "relation"})
"""Field types whose values may be stored as JSON (the others are plain columns)."""


def _not_unique(exc: ConflictError, message: str) -> ValidationError:
    names = exc.columns or ("id",)
    return ValidationError(
        {n: FieldError("validation_not_unique", "Value must be unique.") for n in names}, message
    )


async def _keep_one_superuser(tx: Executor, store: Store, collection: Collection) -> None:
    count = await tx.fetch_value(f"SELECT COUNT(*) FROM {store.dialect.quote(collection.table)}")
    if int(count) <= 1:
        raise BadRequestError("You can't delete the only existing superuser.")
