"""Collections in the database: their DDL, index translation and ``_collections`` rows.

Collections are real tables. Single values are typed columns; multi-valued fields (select,
file and relation with ``maxSelect > 1``), json and geoPoint are JSON (jsonb on PostgreSQL).
Dates stay text in PocketBase's format (``2026-11-25 12:41:19.765Z``) on both stores, so they
compare as strings exactly as they do in PocketBase. On PostgreSQL every collection table has
a hidden ``_rowid`` (BIGSERIAL), SQLite's implicit rowid: insertion order without a sort.
"""

from __future__ import annotations

import re

from ferrybase.core.collections import Collection
from ferrybase.core.fields import Field
from ferrybase.core.ports import Executor, Json
from ferrybase.filter.dialect import Dialect

_GEO_ZERO = '{"lon":0,"lat":0}'


def column_type(field: Field, dialect: Dialect) -> str:
    """The column definition (type, NOT NULL, default) of a field."""
    pg = dialect.is_postgres
    json_type = "JSONB" if pg else "JSON"
    if field.multiple:
        return f"{json_type} NOT NULL DEFAULT '[]'"
    match field.type:
        case "number":
            return f"{'DOUBLE PRECISION' if pg else 'NUMERIC'} NOT NULL DEFAULT 0"
        case "bool":
            return "BOOLEAN NOT NULL DEFAULT FALSE"
        case "json":
            return f"{json_type} DEFAULT NULL"
        case "geoPoint":
            return f"{json_type} NOT NULL DEFAULT '{_GEO_ZERO}'"
        case _:
            # PostgreSQL compares and sorts text bytewise, as SQLite does, with "C": indexes
            # then serve the ORDER BY the filter compiler writes.
            return ('TEXT COLLATE "C"' if pg else "TEXT") + " NOT NULL DEFAULT ''"


def create_table(collection: Collection, dialect: Dialect) -> list[str]:
    """Statements that create a collection's table and indexes."""
    q = dialect.quote
    columns = []
    for f in collection.fields:
        if f.name == "id":
            collate = ' COLLATE "C"' if dialect.is_postgres else ""
            columns.append(f"{q('id')} TEXT{collate} PRIMARY KEY NOT NULL")
        else:
            columns.append(f"{q(f.name)} {column_type(f, dialect)}")
    if dialect.is_postgres:
        columns.append(f"{q('_rowid')} BIGSERIAL")
    statements = [f"CREATE TABLE {q(collection.table)} ({', '.join(columns)})"]
    return statements + index_statements(collection.indexes, dialect)


def index_statements(indexes: list[str], dialect: Dialect) -> list[str]:
    return [translate_index(ix, dialect) for ix in indexes]


def index_parts(sql: str) -> tuple[str, str, list[str]]:
    """``(name, table, columns)`` of a PocketBase index definition, or ``ValueError``."""
    m = _INDEX.match(sql)
    if not m:
        raise ValueError(f"unsupported index definition: {sql!r}")
    columns = []
    for part in m["columns"].split(","):
        c = _INDEX_COLUMN.match(part)
        if not c:
            raise ValueError(f"unsupported index column: {part!r}")
        columns.append(c["col"])
    return m["name"].strip('`"'), m["table"].strip('`"'), columns


def with_index_table(sql: str, table: str) -> str:
    """The index definition on ``table``, whatever table it named (kept as given if it is
    already that table or cannot be parsed)."""
    m = _INDEX.match(sql)
    if not m or m["table"].strip('`"') == table:
        return sql
    # Re-rendered the way PocketBase writes an index it has moved to another table.
    columns = []
    for part in m["columns"].split(","):
        c = _INDEX_COLUMN.match(part)
        if not c:
            return sql
        column = f"`{c['col']}`"
        if c["collate"]:
            column += f" COLLATE {c['collate']}"
        if c["dir"]:
            column += f" {c['dir'].upper()}"
        columns.append(column)
    unique = "UNIQUE " if m["unique"] else ""
    name = m["name"].strip('`"')
    out = f"CREATE {unique}INDEX `{name}` ON `{table}` ({', '.join(columns)})"
    return out + (f" WHERE {m['where'].strip()}" if m["where"] else "")


def index_names(indexes: list[str]) -> list[str]:
    names = []
    for ix in indexes:
        m = _INDEX.match(ix)
        if m:
            names.append(m["name"].strip('`"'))
    return names


def convert_expression(old: Field, new: Field, dialect: Dialect) -> str:
    """SQL that turns ``old``'s column into ``new``'s value (only multiplicity can change)."""
    col = dialect.quote(old.name)
    if old.multiple == new.multiple:
        return col
    pg = dialect.is_postgres
    if new.multiple:  # one value -> a list of it
        if pg:
            return f"CASE WHEN {col} = '' THEN '[]'::jsonb ELSE jsonb_build_array({col}) END"
        return f"CASE WHEN {col} = '' THEN '[]' ELSE json_array({col}) END"
    # a list -> its last value, as PocketBase keeps the last one
    if pg:
        return f"COALESCE({col} ->> -1, '')"
    return f"COALESCE(json_extract({col}, '$[#-1]'), '')"


_INDEX = re.compile(
    r"""^\s*CREATE\s+(?P<unique>UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?
        (?P<name>[`"]?\w+[`"]?)\s+ON\s+(?P<table>[`"]?\w+[`"]?)\s*
        \((?P<columns>[^()]+)\)\s*
        (?:WHERE\s+(?P<where>.+?))?\s*;?\s*$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
_INDEX_COLUMN = re.compile(
    r"^\s*[`\"]?(?P<col>\w+)[`\"]?(?:\s+COLLATE\s+(?P<collate>\w+))?(?:\s+(?P<dir>ASC|DESC))?\s*$",
    re.IGNORECASE,
)
_WHERE = re.compile(r"^[`\"]?(\w+)[`\"]?\s*(=|!=|<>)\s*''$")


def translate_index(sql: str, dialect: Dialect) -> str:
    """Turn PocketBase's ``CREATE INDEX`` syntax (backtick quoting) into the dialect's SQL.

    Accepted: ``CREATE [UNIQUE] INDEX name ON table (col [COLLATE x] [ASC|DESC], ...)
    [WHERE col != '']``. Anything else is refused with ``ValueError``.
    """
    m = _INDEX.match(sql)
    if not m:
        raise ValueError(f"unsupported index definition: {sql!r}")
    q = dialect.quote
    cols = []
    for part in m["columns"].split(","):
        c = _INDEX_COLUMN.match(part)
        if not c:
            raise ValueError(f"unsupported index column: {part!r}")
        col = q(c["col"])
        if c["collate"]:
            if c["collate"].upper() != "NOCASE":
                raise ValueError(f"unsupported collation: {c['collate']!r}")
            col = f"LOWER({col})" if dialect.is_postgres else f"{col} COLLATE NOCASE"
        if c["dir"]:
            col += f" {c['dir'].upper()}"
        cols.append(col)
    name, table = m["name"].strip('`"'), m["table"].strip('`"')
    unique = "UNIQUE " if m["unique"] else ""
    out = f"CREATE {unique}INDEX {q(name)} ON {q(table)} ({', '.join(cols)})"
    if m["where"]:
        w = _WHERE.match(m["where"].strip())
        if not w:
            raise ValueError(f"unsupported index condition: {m['where']!r}")
        op = "!=" if w[2] in ("!=", "<>") else "="
        out += f" WHERE {q(w[1])} {op} ''"
    return out


_COLUMNS = (
    "id",
    "name",
    "type",
    "system",
    "fields",
    "indexes",
    "rules",
    "options",
    "created",
    "updated",
)
_JSON_COLUMNS = frozenset({"fields", "indexes", "rules", "options"})
_SELECT = f'SELECT {", ".join(chr(34) + c + chr(34) for c in _COLUMNS)} FROM "_collections"'


async def insert_collection(tx: Executor, dialect: Dialect, collection: Collection) -> None:
    """Create the collection's table and indexes (views have theirs made by ``core/views.py``)
    and record its definition."""
    if collection.type != "view":
        for sql in create_table(collection, dialect):
            await tx.execute(sql)
    row = collection.to_row()
    columns = ", ".join(f'"{c}"' for c in _COLUMNS)
    marks = ", ".join("?" for _ in _COLUMNS)
    await tx.execute(
        f'INSERT INTO "_collections" ({columns}) VALUES ({marks})',
        [Json(row[c]) if c in _JSON_COLUMNS else row[c] for c in _COLUMNS],
    )


async def update_collection_row(tx: Executor, collection: Collection) -> None:
    row = collection.to_row()
    names = [c for c in _COLUMNS if c != "id"]
    assignments = ", ".join(f'"{c}" = ?' for c in names)
    await tx.execute(
        f'UPDATE "_collections" SET {assignments} WHERE "id" = ?',
        [*(Json(row[c]) if c in _JSON_COLUMNS else row[c] for c in names), collection.id],
    )


async def delete_collection_row(tx: Executor, collection: Collection) -> None:
    await tx.execute('DELETE FROM "_collections" WHERE "id" = ?', (collection.id,))


async def load_collections(db: Executor, dialect: Dialect) -> list[Collection]:
    """Every collection definition, in the order they were created."""
    order = '"_rowid"' if dialect.is_postgres else "rowid"
    return [Collection.from_row(row) for row in await db.fetch_all(_SELECT.format(order=order))]
