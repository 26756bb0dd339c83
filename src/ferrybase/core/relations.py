"""Relations between records: ids must exist, and deletes follow the references.

Deleting a record cascades to records that reference it through a ``cascadeDelete``
relation, is refused when a required relation would be left empty, and otherwise removes
the id from the referencing records; every change goes to the change feed in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from ferrybase.core.collections import Collection
from ferrybase.core.fields import Field
from ferrybase.core.ports import Executor, Json
from ferrybase.core.records import DELETE, UPDATE, Record, append_change
from ferrybase.core.registry import CollectionRegistry
from ferrybase.errors import BadRequestError, FieldError, ValidationError
from ferrybase.filter import Condition
from ferrybase.filter.dialect import Dialect

MISSING = FieldError(
    "validation_missing_rel_records", "Failed to find all relation records with the provided ids."
)
REQUIRED_REFERENCE = (
    "Failed to delete record. Make sure that the record is not part of a required "
    "relation reference."
)


def _ids(field: Field, value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


def _given(
    registry: CollectionRegistry, collection: Collection, values: dict[str, Any]
) -> Iterator[tuple[Field, Collection | None, list[str]]]:
    """Each relation field given ids in ``values``: its target (``None`` if unknown) and the
    distinct ids, sorted."""
    for field in collection.fields:
        if field.type != "relation" or field.name not in values:
            continue
        ids = sorted(set(_ids(field, values[field.name])))
        if ids:
            yield field, registry.get(str(field.opt("collectionId"))), ids


def relations_condition(
    registry: CollectionRegistry, collection: Collection, values: dict[str, Any]
) -> Condition | None:
    """SQL that holds when every id given to a relation field exists (what
    :func:`check_relations` checks, for a statement to test itself); ``None`` when no relation
    value is given. An unknown target collection makes it false."""
    parts: list[str] = []
    params: list[Any] = []
    for _, target, ids in _given(registry, collection, values):
        if target is None:
            return Condition("1 = 0", ())
        parts.append(_all_exist(registry.dialect, target.table, len(ids)))
        params += ids
    return Condition(" AND ".join(parts), tuple(params)) if parts else None


@lru_cache(maxsize=256)
def _all_exist(dialect: Dialect, table: str, count: int) -> str:
    q = dialect.quote
    marks = ", ".join("?" for _ in range(count))
    return f"(SELECT COUNT(*) FROM {q(table)} WHERE {q('id')} IN ({marks})) = {count}"


async def check_relations(
    db: Executor,
    registry: CollectionRegistry,
    collection: Collection,
    values: dict[str, Any],
    message: str,
) -> None:
    """Every id given to a relation field exists in its target collection."""
    q = registry.dialect.quote
    errors: dict[str, FieldError] = {}
    for field, target, ids in _given(registry, collection, values):
        if target is None:
            errors[field.name] = MISSING
            continue
        marks = ", ".join("?" for _ in ids)
        found = await db.fetch_all(
            f"SELECT {q('id')} FROM {q(target.table)} WHERE {q('id')} IN ({marks})", ids
        )
        if len(found) != len(ids):
            errors[field.name] = MISSING
    if errors:
        raise ValidationError(errors, message)


async def delete_with_references(
    db: Executor, registry: CollectionRegistry, record: Record, dialect: Dialect
) -> list[Record]:
    """Delete ``record`` and deal with everything that references it; return every record
    deleted (``record`` and its cascade), whose files go once the transaction commits."""
    deleted: list[Record] = []
    await _delete(db, registry, record, dialect, seen=set(), deleted=deleted)
    return deleted


async def _delete(
    db: Executor,
    registry: CollectionRegistry,
    record: Record,
    dialect: Dialect,
    seen: set[tuple[str, str]],
    deleted: list[Record],
) -> None:
    q = dialect.quote
    key = (record.collection.id, record.id)
    if key in seen:
        return
    seen.add(key)
    for other in registry.all():
        if other.type == "view":
            continue  # read-only: a view reflects the change by itself
        for field in other.fields:
            if field.type != "relation" or field.opt("collectionId") != record.collection.id:
                continue
            for row in await _referencing(db, dialect, other, field, record.id):
                referencing = Record(other, row)
                if (other.id, referencing.id) in seen:
                    continue
                if field.opt("cascadeDelete"):
                    await _delete(db, registry, referencing, dialect, seen, deleted)
                    continue
                remaining = [i for i in _ids(field, row[field.name]) if i != record.id]
                if field.required and not remaining:
                    raise BadRequestError(REQUIRED_REFERENCE)
                value: Any = remaining if field.multiple else ""
                await db.execute(
                    f"UPDATE {q(other.table)} SET {q(field.name)} = ? WHERE {q('id')} = ?",
                    (Json(value) if field.multiple else value, referencing.id),
                )
                row[field.name] = value
                await append_change(db, Record(other, row), UPDATE)
    await db.execute(f"DELETE FROM {q(record.collection.table)} WHERE {q('id')} = ?", (record.id,))
    await append_change(db, record, DELETE)
    deleted.append(record)


async def _referencing(
    db: Executor, dialect: Dialect, collection: Collection, field: Field, record_id: str
) -> list[dict[str, Any]]:
    table, column = dialect.quote(collection.table), dialect.quote(field.name)
    if not field.multiple:
        condition = f"{column} = ?"
    elif dialect.is_postgres:  # multi-valued relations are JSON arrays of ids
        condition = f"{column} @> jsonb_build_array(CAST(? AS TEXT))"
    else:
        condition = f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = ?)"
    return await db.fetch_all(f"SELECT * FROM {table} WHERE {condition}", (record_id,))
