"""Compile PocketBase's ``sort`` parameter (``-created,+title,@random,@rowid``) to ORDER BY.

Each comma-separated item is ``-name`` (descending), ``+name`` or ``name`` (ascending);
``name`` is a field path resolved like a filter identifier (``author.name``,
``title:lower``, ``tags:length``) that must be a column expression, not a bound value.
A path through relations becomes a correlated scalar subquery, so sorting never multiplies
rows. On PostgreSQL text sorts bytewise (``COLLATE "C"``) and NULLs come first when
ascending, as on SQLite.

>>> from ferrybase.filter.schema import CollectionSpec, FieldSpec, Schema
>>> posts = CollectionSpec("p1", "posts", "base", (FieldSpec("title", "text"),))
>>> compile_sort("-title,@rowid", posts, Schema((posts,))).sql
'"posts"."title" DESC, "posts"."_rowid_" ASC'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ferrybase.errors import FilterError, FilterForbiddenError, FilterLimitError, FilterResolveError
from ferrybase.filter.compiler import Condition, list_rule_conditions
from ferrybase.filter.dialect import SQLITE, Dialect
from ferrybase.filter.request import RequestInfo
from ferrybase.filter.resolver import Joins, Scope, resolve_field
from ferrybase.filter.schema import CollectionSpec, SchemaSource
from ferrybase.filter.sql import Sql, fmt, join
from ferrybase.filter.values import Val

MAX_SORT_EXPRESSIONS = 8
"""Most sort items (PocketBase's ``DefaultSortExprLimit``)."""
MAX_SORT_FIELD_LENGTH = 255
"""Longest single sort item (PocketBase's ``MaxSortFieldLength``)."""


@dataclass(frozen=True, slots=True)
class OrderBy:
    """The ORDER BY list (without the keywords; empty for no sort) and its parameters.

    ``where`` is a condition the query must also AND in its WHERE, or ``None``: for a
    non-superuser, sorting through a relation joins the related collections and PocketBase
    then applies their list rules to the joined rows (``sort=author.name`` drops the posts
    whose author the caller may not list).
    """

    sql: str
    params: tuple[Any, ...]
    where: Condition | None = None


def compile_sort(
    source: str,
    collection: CollectionSpec,
    schema: SchemaSource,
    request: RequestInfo | None = None,
    dialect: Dialect = SQLITE,
    *,
    superuser: bool = False,
    alias: str | None = None,
) -> OrderBy:
    """Compile ``source`` into an :class:`OrderBy` for ``collection``'s table."""
    if not source.strip():
        return OrderBy("", ())
    if not superuser:
        for prefix in ("@request.", "@collection."):
            if prefix in source:
                raise FilterForbiddenError(f"Only superusers can filter by {prefix[:-1]}")
    items = [item.strip() for item in source.split(",")]
    if len(items) > MAX_SORT_EXPRESSIONS:
        raise FilterLimitError(f"More than {MAX_SORT_EXPRESSIONS} sort expressions")
    scope = Scope(
        dialect=dialect,
        schema=schema,
        collection=collection,
        alias=alias or collection.name,
        request=request or RequestInfo(),
        allow_hidden=superuser,
    )
    terms = [_term(scope, item) for item in items]
    clause = join(", ", terms)
    where = None
    rules = list_rule_conditions(scope)
    if rules:
        cond = dialect.exists(list(scope.product.values()), join(" AND ", rules))
        where = Condition(cond.text, cond.params)
    return OrderBy(clause.text, clause.params, where)


def _term(scope: Scope, item: str) -> Sql:
    if len(item) > MAX_SORT_FIELD_LENGTH:
        raise FilterLimitError(f"Sort field longer than {MAX_SORT_FIELD_LENGTH} characters")
    descending = item.startswith("-")
    name = item[1:] if item[:1] in "-+" and item else item
    direction = "DESC" if descending else "ASC"
    if name == "@random":
        return Sql("RANDOM()")
    d = scope.dialect
    if name == "@rowid":
        return Sql(f"{d.quote(scope.alias)}.{d.quote(d.rowid_column)} {direction}")
    sink: Joins = {}
    try:
        op = resolve_field(scope, name, sink, track=True)
    except FilterError as exc:
        raise FilterResolveError(f"Invalid sort field {name!r}: {exc.detail}") from None
    if op.pb_params or op.val.is_null or op.ident:
        raise FilterResolveError(f"Invalid sort field {name!r}")
    keys = _keys(op.val, d.is_postgres)
    scope.product.update(sink)  # the joins the list rules of the joined collections look at
    if sink:
        keys = [_scalar(d, list(sink.values()), key) for key in keys]
    # SQLite puts NULLs first in ascending order; PostgreSQL the other way. Only a key that
    # can be NULL needs saying so (and saying it keeps PostgreSQL off a plain index).
    nullable = op.val.nullable or bool(sink)
    nulls = ""
    if d.is_postgres and nullable:
        nulls = " NULLS FIRST" if direction == "ASC" else " NULLS LAST"
    return join(", ", (key + f" {direction}{nulls}" for key in keys))


def _keys(val: Val, postgres: bool) -> list[Sql]:
    if not postgres:
        return [val.sql]
    if val.num is not None and val.txt is not None:
        # SQLite orders NULL < numbers < text; reproduce with a class key first
        rank = fmt(
            "(CASE WHEN {} IS NOT NULL THEN 1 WHEN {} IS NOT NULL THEN 2 ELSE 0 END)",
            val.num,
            val.txt,
        )
        return [rank, val.num, fmt('{} COLLATE "C"', val.txt)]
    if val.txt is not None:
        return [fmt('{} COLLATE "C"', val.txt)]
    assert val.num is not None
    return [val.num]


def _scalar(dialect: Dialect, joins: list[Sql], key: Sql) -> Sql:
    body = join(" ", joins)
    return fmt('(SELECT {} FROM (SELECT 1) AS "_fb" {} LIMIT 1)', key, body)


__all__ = ["MAX_SORT_EXPRESSIONS", "OrderBy", "compile_sort"]
