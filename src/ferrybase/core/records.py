"""Records: the row of a collection, its public JSON, and the write path.

Every write runs in one transaction that also appends the event to the change feed
(``_changes``), so realtime, webhooks and hooks later see exactly what was committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ferrybase.core.collections import SUPERUSERS, Collection
from ferrybase.core.dates import now_text
from ferrybase.core.fields import Field
from ferrybase.core.ports import Executor, Json, Passwords, Store
from ferrybase.core.registry import CollectionRegistry
from ferrybase.core.values import coerce, generate, validate, zero_value
from ferrybase.errors import (
    BadRequestError,
    ConflictError,
    FieldError,
    ForbiddenError,
    NotFoundError,
    ValidationError,
)

CREATE = "create"
UPDATE = "update"
DELETE = "delete"


class Record:
    """One row of a collection: ``data`` maps every column to its stored value."""

    __slots__ = ("collection", "data")

    def __init__(self, collection: Collection, data: dict[str, Any]) -> None:
        self.collection = collection
        self.data = data

    @property
    def id(self) -> str:
        return str(self.data["id"])

    def get(self, name: str) -> Any:
        return self.data.get(name)

    def public(self, viewer: Auth) -> dict[str, Any]:
        """The JSON a client sees: hidden fields left out, ``email`` only when visible."""
        out: dict[str, Any] = {
            "collectionId": self.collection.id,
            "collectionName": self.collection.name,
        }
        for field in self.collection.fields:
            if field.hidden:
                continue
            out[field.name] = _output(field, self.data.get(field.name))
        if self.collection.is_auth and not self._email_visible_to(viewer):
            out.pop("email", None)
        return dict(sorted(out.items()))

    def stored(self) -> dict[str, Any]:
        """Every column, hidden ones included (for the change feed, never for clients)."""
        return {f.name: _output(f, self.data.get(f.name)) for f in self.collection.fields}

    def _email_visible_to(self, viewer: Auth) -> bool:
        if self.data.get("emailVisibility") or viewer.is_superuser:
            return True
        me = viewer.record
        return me is not None and me.collection.id == self.collection.id and me.id == self.id


@dataclass(frozen=True)
class Auth:
    """Who is asking: a guest (``record is None``) or an authenticated auth record."""

    record: Record | None = None

    @property
    def is_superuser(self) -> bool:
        return self.record is not None and self.record.collection.name == SUPERUSERS


GUEST = Auth()


def _output(field: Field, value: Any) -> Any:
    if value is None:
        return zero_value(field) if field.type != "json" else None
    if field.type == "number" and isinstance(value, float) and value.is_integer():
        return int(value)
    if field.type == "password":
        return ""
    return value


class Records:
    """Create, view and delete records with the collection's rules and validation."""

    def __init__(self, store: Store, collections: CollectionRegistry, passwords: Passwords) -> None:
        self.store = store
        self.collections = collections
        self.passwords = passwords

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

    async def view(self, collection: Collection, record_id: str, auth: Auth) -> Record:
        _require_rule(collection, "viewRule", auth)
        record = await self.find(collection, record_id)
        if record is None:
            raise NotFoundError()
        return record

    async def create(self, collection: Collection, body: dict[str, Any], auth: Auth) -> Record:
        _require_rule(collection, "createRule", auth)
        if collection.type == "view":
            raise BadRequestError("Unsupported collection type.")
        data = await self.prepare_new(collection, body, auth)
        async with self.store.transaction() as tx:
            await self.insert(tx, collection, data)
        return Record(collection, data)

    async def delete(self, collection: Collection, record_id: str, auth: Auth) -> None:
        _require_rule(collection, "deleteRule", auth)
        async with self.store.transaction() as tx:
            record = await self.find(collection, record_id, tx)
            if record is None:
                raise NotFoundError()
            if collection.name == SUPERUSERS:
                await _keep_one_superuser(tx, self.store, collection)
            q = self.store.dialect.quote
            await tx.execute(f"DELETE FROM {q(collection.table)} WHERE {q('id')} = ?", (record.id,))
            await append_change(tx, record, DELETE)

    async def write_fields(
        self, collection: Collection, record_id: str, values: dict[str, Any]
    ) -> Record:
        """Set already-validated column values (and ``onUpdate`` autodates) on one record."""
        values = dict(values)
        now = now_text()
        for field in collection.fields:
            if field.type == "autodate" and field.opt("onUpdate"):
                values[field.name] = now
        q = self.store.dialect.quote
        assignments = ", ".join(f"{q(name)} = ?" for name in values)
        params = [_param(collection.field(n), v) for n, v in values.items()]
        async with self.store.transaction() as tx:
            changed = await tx.execute(
                f"UPDATE {q(collection.table)} SET {assignments} WHERE {q('id')} = ?",
                [*params, record_id],
            )
            if not changed:
                raise NotFoundError()
            record = await self.find(collection, record_id, tx)
            assert record is not None
            await append_change(tx, record, UPDATE)
        return record

    async def prepare_new(
        self, collection: Collection, body: dict[str, Any], auth: Auth
    ) -> dict[str, Any]:
        """Coerce and validate a create body into the full row to insert."""
        if collection.is_auth:
            _check_password_form(collection, body)
        errors: dict[str, FieldError] = {}
        data: dict[str, Any] = {}
        now = now_text()
        for field in collection.fields:
            if field.type == "autodate":
                data[field.name] = now if field.opt("onCreate") else ""
                continue
            value = coerce(field, body[field.name]) if field.name in body else None
            if collection.is_auth and field.name == "tokenKey" and not auth.is_superuser:
                value = None  # the server's to choose, unless a superuser sets it
            elif collection.is_auth and field.name == "verified":
                # Superusers are always verified; others only when a superuser says so.
                value = collection.name == SUPERUSERS or (auth.is_superuser and bool(value))
            if value is None or value == "":
                value = _generated(field)
            if value is None:
                value = zero_value(field)
            error = validate(field, value)
            if error is not None:
                errors[field.name] = error
            data[field.name] = value
        if errors:
            raise ValidationError(errors, "Failed to create record.")
        if collection.is_auth:
            data["password"] = await self.passwords.hash(data["password"])
        return data

    async def insert(self, tx: Executor, collection: Collection, data: dict[str, Any]) -> None:
        """INSERT a prepared row and append its ``create`` event."""
        q = self.store.dialect.quote
        names = list(data)
        try:
            await tx.execute(
                f"INSERT INTO {q(collection.table)} ({', '.join(q(n) for n in names)}) "
                f"VALUES ({', '.join('?' for _ in names)})",
                [_param(collection.field(n), data[n]) for n in names],
            )
        except ConflictError as exc:
            raise _not_unique(exc, "Failed to create record.") from exc
        await append_change(tx, Record(collection, data), CREATE)


def _check_password_form(collection: Collection, body: dict[str, Any]) -> None:
    """PocketBase checks ``password``/``passwordConfirm`` before the record, and alone."""
    field = collection.field("password")
    assert field is not None
    password = coerce(field, body.get("password"))
    confirm = coerce(field, body.get("passwordConfirm"))
    errors: dict[str, FieldError] = {}
    if not password:
        errors["password"] = FieldError("validation_required", "Cannot be blank.")
    if not confirm:
        errors["passwordConfirm"] = FieldError("validation_required", "Cannot be blank.")
    elif confirm != password:
        errors["passwordConfirm"] = FieldError("validation_values_mismatch", "Values don't match.")
    if errors:
        raise ValidationError(errors, "Failed to create record.")


def _generated(field: Field) -> Any:
    pattern = field.options.get("autogeneratePattern") if field.type == "text" else ""
    return generate(pattern) if pattern else None


def _param(field: Field | None, value: Any) -> Any:
    if field is not None and (field.multiple or field.type in ("json", "geoPoint")):
        return Json(value)
    return value


def _require_rule(collection: Collection, rule: str, auth: Auth) -> None:
    if auth.is_superuser:
        return
    text = collection.rules.get(rule)
    if text is None:
        raise ForbiddenError("Only superusers can perform this action.")
    if text != "":
        # Non-empty rules are compiled by the filter language and ANDed into the query; until
        # that is wired in (issue #4), collections with such rules cannot be created.
        raise ForbiddenError("Only superusers can perform this action.")


def _not_unique(exc: ConflictError, message: str) -> ValidationError:
    names = exc.columns or ("id",)
    return ValidationError(
        {n: FieldError("validation_not_unique", "Value must be unique.") for n in names}, message
    )


async def _keep_one_superuser(tx: Executor, store: Store, collection: Collection) -> None:
    count = await tx.fetch_value(f"SELECT COUNT(*) FROM {store.dialect.quote(collection.table)}")
    if int(count) <= 1:
        raise BadRequestError("You can't delete the only existing superuser.")


async def append_change(tx: Executor, record: Record, action: str) -> None:
    """Append an event to the change feed, inside the writing transaction."""
    await tx.execute(
        'INSERT INTO "_changes" ("collectionId", "collectionName", "recordId", "action", '
        '"record", "created") VALUES (?, ?, ?, ?, ?, ?)',
        (
            record.collection.id,
            record.collection.name,
            record.id,
            action,
            Json(record.stored()),
            now_text(),
        ),
    )
