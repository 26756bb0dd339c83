"""View collections: read-only collections defined by a SELECT in the store's dialect.

The view is a real SQL view named after the collection. Its fields are found from the
query's result columns: a column that plainly selects a field of a source collection takes
that field's definition, anything else (expressions, aggregates) becomes a ``json`` field, as
PocketBase does. An ``id`` column is required.
"""

from __future__ import annotations

import re
import secrets
import string

from ferrybase.core.collections import Collection
from ferrybase.core.fields import Field, field_id
from ferrybase.core.ports import Executor
from ferrybase.core.registry import CollectionRegistry
from ferrybase.core.text import split_top_level
from ferrybase.errors import FieldError, StoreError, ValidationError
from ferrybase.filter import Dialect

_SOURCES = re.compile(r"\b(?:FROM|JOIN)\s+[`\"]?(\w+)[`\"]?(?:\s+(?:AS\s+)?(\w+))?", re.I)
_NOT_ALIAS = frozenset(
    {
        "where",
        "join",
        "left",
        "right",
        "inner",
        "outer",
        "cross",
        "on",
        "group",
        "order",
        "limit",
        "union",
        "natural",
        "full",
        "using",
        "having",
        "window",
        "offset",
    }
)
_ITEM = re.compile(
    r"^(?:[`\"]?(?P<table>\w+)[`\"]?\.)?[`\"]?(?P<col>\w+)[`\"]?"
    r"(?:\s+(?:AS\s+)?[`\"]?(?P<alias>\w+)[`\"]?)?$",
    re.I,
)
_ALNUM = string.ascii_letters + string.digits
# How many views deep a view's file field is followed to its base collection (PocketBase's).
MAX_VIEW_DEPTH = 5


def check_query(query: str) -> FieldError | None:
    """A single SELECT (or WITH ... SELECT) statement, or the error PocketBase gives."""
    text = query.strip().rstrip(";").strip()
    if not text:
        return FieldError("validation_required", "Cannot be blank.")
    if ";" in _without_literals(text):
        return FieldError(
            "validation_invalid_view_query",
            "Invalid query - multiple statements are not supported.",
        )
    if not re.match(r"^(SELECT|WITH)\b", text, re.I):
        word = text.split()[0]
        return FieldError(
            "validation_invalid_view_query", f'Invalid query - near "{word}": syntax error.'
        )
    return None


def _query(collection: Collection) -> str:
    return str(collection.options.get("viewQuery", "")).strip().rstrip(";")


def view_sql(collection: Collection, dialect: Dialect) -> str:
    return f"CREATE VIEW {dialect.quote(collection.table)} AS {_query(collection)}"


async def create_view(
    tx: Executor, dialect: Dialect, collection: Collection, registry: CollectionRegistry
) -> None:
    """Create the view and set the collection's fields from its columns (or raise the
    validation errors PocketBase gives for the query)."""
    try:
        await tx.execute(view_sql(collection, dialect))
        columns = await _columns(tx, dialect, collection.table)
    except StoreError as exc:
        raise _invalid(f"Invalid query - {exc.detail}.") from exc
    if "id" not in columns:
        raise ValidationError(
            {
                "fields": FieldError(
                    "validation_missing_primary_key", 'Missing or invalid "id" PK field.'
                ),
                "viewQuery": FieldError(
                    "validation_invalid_view_query",
                    "Invalid query - missing required id column (you can use "
                    "`(ROW_NUMBER() OVER()) as id` if you don't have one).",
                ),
            },
            "Failed to create collection.",
        )
    collection.fields = _fields(collection, columns, registry)
    if dialect.is_postgres:
        # Columns typed json here may be anything in PostgreSQL (a number, text): the view
        # hands them out as jsonb, the type the filter compiler expects of a json field.
        q = dialect.quote
        query = _query(collection)
        select = ", ".join(
            f"to_jsonb(src.{q(f.name)}) AS {q(f.name)}" if f.type == "json" else f"src.{q(f.name)}"
            for f in collection.fields
        )
        await tx.execute(f"DROP VIEW {q(collection.table)}")
        await tx.execute(
            f"CREATE VIEW {q(collection.table)} AS SELECT {select} FROM ({query}) AS src"
        )


def _invalid(message: str) -> ValidationError:
    return ValidationError(
        {
            "fields": FieldError("validation_required", "Cannot be blank."),
            "viewQuery": FieldError("validation_invalid_view_query", message),
        },
        "Failed to create collection.",
    )


async def _columns(tx: Executor, dialect: Dialect, view: str) -> list[str]:
    if dialect.is_postgres:
        rows = await tx.fetch_all(
            "SELECT column_name AS name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (view,),
        )
    else:
        rows = await tx.fetch_all(f"SELECT name FROM pragma_table_info({dialect.quote(view)})")
    return [str(r["name"]) for r in rows]


def _fields(
    collection: Collection, columns: list[str], registry: CollectionRegistry
) -> list[Field]:
    query = str(collection.options.get("viewQuery", ""))
    sources = _sources(query, registry)
    plain = _plain_columns(query)
    previous = {f.name: f for f in collection.fields}
    fields = []
    for name in columns:
        if name == "id":
            fields.append(
                Field(
                    "id",
                    "text",
                    system=True,
                    required=True,
                    options={"pattern": "^[a-z0-9]+$", "primaryKey": True},
                )
            )
            continue
        source_field = None
        ref = plain.get(name)
        if ref is not None:
            table, column = ref
            source = sources.get(table) if table else _single(sources)
            if source is not None:
                source_field = source.field(column)
        if source_field is not None and source_field.name != "id":
            kept = previous.get(name)
            fields.append(
                Field(
                    name,
                    source_field.type,
                    id=kept.id
                    if kept is not None and kept.type == source_field.type
                    else _clone_id(),
                    hidden=source_field.hidden,
                    presentable=source_field.presentable,
                    options=dict(source_field.options),
                )
            )
        else:
            fields.append(Field(name, "json", id=field_id("json", name), options={"maxSize": 1}))
    return fields


def file_source(
    view: Collection, field_name: str, registry: CollectionRegistry
) -> tuple[Collection, Field] | None:
    """The base collection and file field a view's file field selects, through other views
    (at most :data:`MAX_VIEW_DEPTH` deep): where the view's files live, as PocketBase's
    ``FindRecordByViewFile`` finds them. ``None`` when the column is not a plain file field."""
    for _ in range(MAX_VIEW_DEPTH):
        query = str(view.options.get("viewQuery", ""))
        ref = _plain_columns(query).get(field_name)
        if ref is None:
            return None
        table, column = ref
        sources = _sources(query, registry)
        source = sources.get(table) if table else _single(sources)
        field = None if source is None else source.field(column)
        if source is None or field is None or field.type != "file":
            return None
        if source.type != "view":
            return source, field
        view, field_name = source, field.name
    return None


def view_sources(view: Collection, registry: CollectionRegistry) -> set[str]:
    """Ids of the collections a view's query reads."""
    return {c.id for c in _sources(str(view.options.get("viewQuery", "")), registry).values()}


def _sources(query: str, registry: CollectionRegistry) -> dict[str, Collection]:
    """Table names and aliases in FROM/JOIN clauses that are collections."""
    out: dict[str, Collection] = {}
    for table, alias in _SOURCES.findall(query):
        collection = registry.get(table)
        if collection is None:
            continue
        out[table] = collection
        if alias and alias.lower() not in _NOT_ALIAS:
            out[alias] = collection
    return out


def _single(sources: dict[str, Collection]) -> Collection | None:
    distinct = {c.id: c for c in sources.values()}
    return next(iter(distinct.values())) if len(distinct) == 1 else None


def _plain_columns(query: str) -> dict[str, tuple[str | None, str]]:
    """Output name -> (table or alias, column) for select items that are plain columns."""
    m = re.match(r"^\s*SELECT\s+(?:DISTINCT\s+)?(.*?)\s+FROM\s", query, re.I | re.S)
    if not m:
        return {}
    out: dict[str, tuple[str | None, str]] = {}
    for item in split_top_level(m[1]):
        ref = _ITEM.match(item.strip())
        if ref:
            out[ref["alias"] or ref["col"]] = (ref["table"], ref["col"])
    return out


def _without_literals(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", "''", sql)


def _clone_id() -> str:
    return "_clone_" + "".join(secrets.choice(_ALNUM) for _ in range(4))
