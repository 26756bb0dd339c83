"""Turn identifiers into SQL operands: PocketBase's ``RecordFieldResolver``.

An identifier (``author.name``, ``tags:each``, ``comments_via_post.message``,
``@request.auth.team.name``, ``@collection.users:u.name``) resolves to an :class:`Operand`:
a typed SQL value plus the LEFT JOINs it needs. Joins go into a *sink* keyed by alias, so the
same path used twice shares one join, exactly as PocketBase's joins do (``a.x ?= 1 &&
a.y ?= 2`` asks for one related row satisfying both).

A path that fans out (multi relation, back-relation, ``:each`` on a multi field,
``@collection``) also carries ``multi``: a function that resolves the same path again under
fresh aliases, for the ``NOT EXISTS`` subquery that gives plain operators their match-all
meaning.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

from ferrybase.errors import FilterLimitError, FilterResolveError
from ferrybase.filter.dialect import Dialect
from ferrybase.filter.request import MISSING, RequestInfo
from ferrybase.filter.schema import CollectionSpec, FieldSpec, SchemaSource
from ferrybase.filter.sql import Sql, fmt
from ferrybase.filter.values import Val, bound, int_const, lower, null_val

MAX_NESTED_RELATIONS = 6
"""Relations one path may traverse (PocketBase's ``maxNestedRels``)."""
MAX_JOINS = 48
"""Joins and subqueries one filter may add; each ``@collection`` join is a cross product."""

_ALLOWED = [
    re.compile(p, re.ASCII)
    for p in (
        r"^\w+[\w.:]*$",
        r"^@request\.context$",
        r"^@request\.method$",
        r"^@request\.auth\.[\w.:]*\w+$",
        r"^@request\.body\.[\w.:]*\w+$",
        r"^@request\.query\.[\w.:]*\w+$",
        r"^@request\.headers\.[\w.:]*\w+$",
        r"^@collection\.\w+(:\w+)?\.[\w.:]*\w+$",
    )
]
_VIA = re.compile(r"^(\w+)_via_(\w+)$", re.ASCII)
_MODIFIERS = frozenset(["isset", "each", "length", "lower", "changed"])
_PLAIN_AUTH = frozenset(
    ["id", "collectionId", "collectionName", "email", "emailVisibility", "verified"]
)
_GO_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class Fallback(Enum):
    """PocketBase's ``NullFallback``: how ``=``/``!=`` treat NULL and ``''``."""

    AUTO = "auto"
    DISABLED = "disabled"  # compare with IS / IS NOT (JSON values, functions)
    ENFORCED = "enforced"  # never assume the operand is non-empty


Joins = dict[str, Sql]
MultiMatch = Callable[[str], tuple[list[Sql], Val]]


@dataclass(frozen=True)
class Operand:
    """One side of a comparison."""

    val: Val
    fallback: Fallback = Fallback.AUTO
    pb_params: tuple[Any, ...] = ()
    """The values PocketBase would bind for this operand (drives its empty-value logic)."""
    ident: str = ""
    """PocketBase's literal identifiers: ``NULL``, ``1``, ``0``, ``TRUE``, ``FALSE``."""
    multi: MultiMatch | None = None
    after: Callable[[Sql], Sql] | None = None
    like_val: Callable[[Callable[[Any], str]], Val] | None = None
    """Rebuilds the value with its bound parameters passed through a function (LIKE wraps)."""


@dataclass
class Scope:
    """Everything a compilation needs, plus the joins and counters it accumulates."""

    dialect: Dialect
    schema: SchemaSource
    collection: CollectionSpec
    alias: str
    request: RequestInfo
    allow_hidden: bool
    now: datetime | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    product: Joins = field(default_factory=dict)
    joins_used: int = 0
    subqueries: int = 0
    prefix: str = "_j"
    """Prefix of the aliases the main product's joins get."""
    reads: list[tuple[tuple[str, ...], Any]] = field(default_factory=list)
    """Every request value the compilation looked at, with what it saw (the compile cache
    reuses a result only for a request that shows the same values)."""
    volatile: bool = False
    """The result depends on the clock (a datetime macro without a fixed ``now``)."""
    rule_joins: dict[str, CollectionSpec] = field(default_factory=dict)
    """Collections joined into the product for a non-superuser, by alias: PocketBase ANDs
    each one's list rule, applied to the joined row, into the query."""
    joined: bool = False
    """``alias`` is a LEFT JOINed row (a related collection's list rule), which may be
    missing: its columns can be NULL even where the store declares them NOT NULL."""

    @property
    def postgres(self) -> bool:
        return self.dialect.is_postgres

    def add_join(self, sink: Joins, alias: str, sql: Sql) -> None:
        if alias not in sink:
            self.joins_used += 1
            if self.joins_used > MAX_JOINS:
                raise FilterLimitError(f"The filter needs more than {MAX_JOINS} joins")
        sink[alias] = sql

    def next_prefix(self) -> str:
        self.subqueries += 1
        self.joins_used += 1
        if self.joins_used > MAX_JOINS:
            raise FilterLimitError(f"The filter needs more than {MAX_JOINS} joins")
        return f"_m{self.subqueries}"

    def load(self, name_or_id: str) -> CollectionSpec | None:
        if name_or_id in (self.collection.name, self.collection.id):
            return self.collection
        return self.schema.collection(name_or_id)

    def read(self, key: tuple[str, ...]) -> Any:
        """Look a request value up (see :func:`request_value`) and remember it."""
        value = request_value(self.request, key)
        self.reads.append((key, value))
        return value

    def value(self, value: Any) -> Operand:
        """A bound value as PocketBase binds it."""
        if value is None:
            return Operand(null_val(), ident="NULL")
        pg = self.postgres
        return Operand(
            bound(value, pg),
            pb_params=(value,),
            like_val=lambda wrap: bound(wrap(value), pg),
        )


def request_value(request: RequestInfo, key: tuple[str, ...]) -> Any:
    """``("auth",)``: the auth id and collection; ``("body", name)``: a body value;
    ``("static", *path)``: :meth:`RequestInfo.static`."""
    if key[0] == "auth":
        auth = request.auth
        return None if auth is None else (auth.id, auth.collection)
    if key[0] == "body":
        return request.body.get(key[1], MISSING)
    return request.static(*key[1:])


def _alias(parent: str, part: str) -> str:
    name = f"{parent}_{part}"
    if len(name) <= 48:
        return name
    return f"{parent[:8]}_{hashlib.sha1(name.encode()).hexdigest()[:16]}"  # noqa: S324


def split_modifier(prop: str) -> tuple[str, str]:
    parts = prop.split(":")
    if len(parts) != 2:
        return prop, ""
    if parts[1] not in _MODIFIERS:
        raise FilterResolveError(f"Unknown modifier in {prop!r}")
    return parts[0], parts[1]


def resolve_field(
    scope: Scope, path: str, sink: Joins, prefix: str = "_j", *, track: bool = False
) -> Operand:
    """Resolve identifier ``path``, adding the joins it needs to ``sink``.

    ``track`` registers the collections joined for a non-superuser in ``scope.rule_joins``
    (the main product and sort joins, not the match-all subqueries, as in PocketBase).
    """
    if not any(p.match(path) for p in _ALLOWED):
        raise FilterResolveError(f"Failed to resolve field {path!r}")
    walker = _Walker(scope, path, sink, prefix, track)
    return walker.run()


class _Walker:
    def __init__(self, scope: Scope, path: str, sink: Joins, prefix: str, track: bool) -> None:
        self.scope = scope
        self.track = track
        self.path = path
        self.sink = sink
        self.prefix = prefix
        self.props = path.split(".")
        self.nullify = self.props[0] == "@request"
        self.fans_out = False

    # -- entry points -----------------------------------------------------------------------

    def run(self) -> Operand:
        props = self.props
        if props[0] == "@collection":
            return self.collection_field()
        if props[0] == "@request":
            if self.path.startswith("@request.auth."):
                return self.auth_field()
            if self.path.startswith("@request.body.") and len(props) > 2:
                return self.body_field()
            return self.static(props[1:])
        result = self.walk(props, self.scope.collection, self.scope.alias, self.prefix)
        return self.finish(result)

    def finish(self, op: Operand) -> Operand:
        if not self.fans_out:
            return op
        scope, path = self.scope, self.path

        def multi(prefix: str) -> tuple[list[Sql], Val]:
            sink: Joins = {}
            again = resolve_field(scope, path, sink, prefix)
            return list(sink.values()), again.val

        return replace(op, multi=multi)

    def join(self, alias: str, sql: Sql) -> None:
        self.scope.add_join(self.sink, alias, sql)

    def join_table(self, collection: CollectionSpec, alias: str, on: Sql) -> None:
        """LEFT JOIN a collection's table; for a non-superuser its list rule will apply."""
        self.join(alias, self.scope.dialect.table_join(collection.name, alias, on))
        if self.track and not self.scope.allow_hidden:
            self.scope.rule_joins[alias] = collection

    def check_access(self, collection: CollectionSpec) -> None:
        # PocketBase refuses joins into superuser-only collections for non-superusers
        if not self.scope.allow_hidden and collection.list_rule is None:
            raise FilterResolveError(
                f"Fields of {collection.name!r} can be filtered only by superusers"
            )

    def null(self) -> Operand:
        return Operand(null_val(), ident="NULL")

    # -- @collection, @request.* -------------------------------------------------------------

    def collection_field(self) -> Operand:
        props = self.props
        if len(props) < 3:
            raise FilterResolveError(f"Invalid @collection field path in {self.path!r}")
        name, _, alias_name = props[1].partition(":")
        collection = self.scope.load(name)
        if collection is None:
            raise FilterResolveError(f"Unknown collection {name!r} in {self.path!r}")
        self.check_access(collection)
        label = f"ca_{alias_name}" if alias_name else f"c_{collection.name}"
        alias = _alias(self.prefix, label)
        self.join_table(collection, alias, Sql("TRUE"))
        self.fans_out = True
        return self.finish(self.walk(props[2:], collection, alias, alias))

    def auth_field(self) -> Operand:
        self.scope.read(("auth",))
        auth = self.scope.request.auth
        if auth is None:
            return self.null()
        if self.props[2] in _PLAIN_AUTH and len(self.props) == 3:
            return self.static(self.props[1:])
        collection = auth.collection
        self.check_access(collection)
        alias = _alias(self.prefix, f"a_{collection.name}")
        d = self.scope.dialect
        on = fmt("{} = {}", d.column(alias, "id"), bound(auth.id, d.is_postgres).sql)
        self.join_table(collection, alias, on)
        return self.finish(self.walk(self.props[2:], collection, alias, alias))

    def body_field(self) -> Operand:
        props = self.props
        name, modifier = split_modifier(props[2])
        body_field = self.scope.collection.field(name)
        if body_field is None:
            return self.static(props[1:])
        if body_field.type == "relation" and len(props) > 3:
            return self.body_relation(body_field)
        if len(props) == 3:
            if modifier == "each":
                return self.body_each(body_field)
            if modifier == "length":
                items = _to_list(_present(self.scope.read(("body", name))))
                self.require_multi(body_field)
                return Operand(int_const(len(items)), ident=str(len(items)))
            if modifier == "lower":
                raw = _go_string(_present(self.scope.read(("body", name))))
                pg = self.scope.postgres
                return Operand(
                    lower(bound(raw, pg), pg),
                    pb_params=(raw,),
                    like_val=lambda wrap: lower(bound(wrap(raw), pg), pg),
                )
            if modifier == "changed":
                return self.body_changed(body_field)
        return self.static(props[1:])

    def require_multi(self, f: FieldSpec) -> None:
        if not f.is_multi_valuer:
            raise FilterResolveError(f"Field {f.name!r} doesn't support multivalue operations")

    def body_each(self, f: FieldSpec) -> Operand:
        self.require_multi(f)
        items = _to_list(_present(self.scope.read(("body", f.name))))
        raw = json.dumps(items, separators=(",", ":"), default=str)
        alias = _alias(self.prefix, f"de_{f.name}")
        self.join(alias, self.scope.dialect.each_param_join(alias, raw))
        self.fans_out = f.multiple
        # PocketBase binds the JSON as bytes, which never counts as an empty value
        op = Operand(self.scope.dialect.each_value(alias), pb_params=(raw.encode(),))
        return self.finish(op)

    def body_changed(self, f: FieldSpec) -> Operand:
        from ferrybase.filter.compiler import compile_expr  # the alias is a filter itself
        from ferrybase.filter.parser import parse_filter

        text = f"@request.body.{f.name}:isset = true && @request.body.{f.name} != {f.name}"
        cond = compile_expr(self.scope, parse_filter(text))
        sqlite = fmt("({})", cond)
        pg = fmt("(CASE WHEN {} THEN 1 ELSE 0 END)", cond)
        val = Val(sqlite, num=pg, nullable=False) if self.scope.postgres else Val(sqlite)
        return Operand(val, fallback=Fallback.DISABLED)

    def body_relation(self, f: FieldSpec) -> Operand:
        target = self.scope.load(f.target or "")
        if target is None:
            raise FilterResolveError(f"Unknown collection of body relation field {f.name!r}")
        ids = _unique_strings(_present(self.scope.read(("body", f.name))))
        if not ids:
            return self.null()
        self.check_access(target)
        d = self.scope.dialect
        alias = _alias(self.prefix, f"d_{target.name}_{f.name}")
        on = d.in_json_list(d.column(alias, "id"), json.dumps(ids, separators=(",", ":")))
        self.join_table(target, alias, on)
        self.fans_out = f.multiple
        return self.finish(self.walk(self.props[3:], target, alias, alias))

    def static(self, path: list[str]) -> Operand:
        path = list(path)
        last, modifier = split_modifier(path[-1])
        path[-1] = last
        value = self.scope.read(("static", *path))
        if modifier == "isset":
            flag = value is not MISSING
            return Operand(
                int_const(int(flag), "TRUE" if flag else "FALSE"), ident=str(flag).upper()
            )
        if value is MISSING:
            value = None
        elif isinstance(value, str):
            f = self.scope.collection.field(last)
            if f is not None and f.type == "number" and _GO_FLOAT.match(value):
                value = float(value)
        elif not isinstance(value, bool | int | float) and value is not None:
            value = _go_string(value)
        if modifier not in ("", "lower"):
            raise FilterResolveError(f"Invalid modifier sequence {last}:{modifier}")
        if value is None:
            return self.null()
        op = self.scope.value(value)
        if modifier == "lower":
            pg = self.scope.postgres
            raw = value
            return replace(
                op,
                val=lower(op.val, pg),
                like_val=lambda wrap: lower(bound(wrap(raw), pg), pg),
            )
        return op

    # -- collection fields ------------------------------------------------------------------

    def walk(self, props: list[str], collection: CollectionSpec, alias: str, name: str) -> Operand:
        """Follow ``props`` from ``collection`` (reachable in SQL as ``alias``)."""
        d = self.scope.dialect
        for i, prop in enumerate(props):
            if i == len(props) - 1:
                return self.final(collection, prop, alias)
            f = collection.field(prop)
            if f is not None and f.hidden and not self.scope.allow_hidden:
                raise FilterResolveError(f"Non-filterable field {prop!r}")
            if f is not None and f.type in ("json", "geoPoint"):
                keys = props[i + 1 :]
                if not all(re.fullmatch(r"[A-Za-z0-9_]+", k) for k in keys):
                    raise FilterResolveError(f"Invalid JSON path in {self.path!r}")
                return Operand(d.json_extract(alias, f, keys), fallback=Fallback.DISABLED)
            if i >= MAX_NESTED_RELATIONS:
                raise FilterLimitError(f"Max nested relations reached for field {prop!r}")
            if f is None:
                step = self.back_relation(collection, prop, alias, name)
                if step is None:
                    return self.null()
                collection, alias, name = step
                continue
            if f.type != "relation":
                raise FilterResolveError(f"Field {prop!r} is not a valid relation")
            target = self.scope.load(f.target or "")
            if target is None:
                raise FilterResolveError(f"Failed to load the collection of field {prop!r}")
            if not f.multiple and i == len(props) - 2 and props[i + 1] == "id":
                return self.final(collection, f.name, alias)
            self.check_access(target)
            new = _alias(name, prop)
            if f.multiple:
                items = new + "_je"
                self.join(items, d.each_join(items, alias, f))
                on = fmt("{} = {}", d.column(new, "id"), d.column(items, "value"))
                self.fans_out = True
            else:
                on = fmt("{} = {}", d.column(new, "id"), d.column(alias, f.name))
            self.join_table(target, new, on)
            collection, alias, name = target, new, new
        raise FilterResolveError(f"Failed to resolve field {self.path!r}")

    def back_relation(
        self, collection: CollectionSpec, prop: str, alias: str, name: str
    ) -> tuple[CollectionSpec, str, str] | None:
        match = _VIA.match(prop)

        def missing(why: str) -> None:
            if not self.nullify:
                raise FilterResolveError(why)

        if match is None:
            missing(f"Failed to resolve field {prop!r}")
            return None
        back = self.scope.load(match.group(1))
        if back is None:
            missing(f"Failed to load the back-relation collection of {prop!r}")
            return None
        fk = back.field(match.group(2))
        if fk is None or fk.type != "relation":
            missing(f"Invalid back-relation field {match.group(2)!r}")
            return None
        if fk.hidden and not self.scope.allow_hidden:
            raise FilterResolveError(f"Non-filterable back-relation field {fk.name!r}")
        if fk.target != collection.id:
            missing(f"Invalid collection reference of back-relation field {fk.name!r}")
            return None
        self.check_access(back)
        d = self.scope.dialect
        new = _alias(name, prop)
        if fk.multiple:
            on = d.back_multi_on(new, fk, alias)
            self.fans_out = True
        else:
            on = fmt("{} = {}", d.column(new, fk.name), d.column(alias, "id"))
            self.fans_out = self.fans_out or not fk.unique
        self.join_table(back, new, on)
        return back, new, new

    def final(self, collection: CollectionSpec, prop: str, alias: str) -> Operand:
        d = self.scope.dialect
        name, modifier = split_modifier(prop)
        f = collection.field(name)
        if f is None:
            if self.nullify:
                return self.null()
            raise FilterResolveError(f"Unknown field {name!r}")
        if f.hidden and not self.scope.allow_hidden:
            raise FilterResolveError(f"Non-filterable field {name!r}")
        if modifier == "length" and f.is_multi_valuer:
            return Operand(d.array_length(alias, f))
        if modifier == "each" and f.is_multi_valuer:
            # the same alias as the items join of a multi relation through this field, as in
            # PocketBase: `likes:each ?= likes.name` looks at one item on both sides
            items = _alias(alias if alias != self.scope.alias else self.prefix, name) + "_je"
            self.join(items, d.each_join(items, alias, f))
            self.fans_out = self.fans_out or f.multiple
            return Operand(d.each_value(items))
        val = d.field_value(alias, f)
        top = alias == self.scope.alias and not self.scope.joined
        if top and collection.type != "view" and f.type != "json":
            # A column of the queried table itself: NOT NULL by the store's DDL (a joined row
            # may be missing, and a view's column may be NULL, so those stay nullable). Knowing
            # it spares NULL guards and lets PostgreSQL use indexes for sorting.
            val = replace(val, nullable=False)
        after = None
        if name == "email" and collection.is_auth and not self.scope.allow_hidden:
            visible = fmt("{} = TRUE", d.column(alias, "emailVisibility"))

            def after(expr: Sql) -> Sql:
                return fmt("({} AND {})", expr, visible)

        fallback = Fallback.DISABLED if f.type == "json" else Fallback.AUTO
        if modifier == "lower":
            val = lower(val, self.scope.postgres)
        return Operand(val, fallback=fallback, after=after)


def _present(value: Any) -> Any:
    return None if value is MISSING else value


def _to_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _unique_strings(value: Any) -> list[str]:
    if isinstance(value, str) and value.startswith("["):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    out: list[str] = []
    for item in _to_list(value):
        text = _go_string(item)
        if text and text not in out:
            out.append(text)
    return out


def _go_string(value: Any) -> str:
    """Go's ``cast.ToString`` with a JSON fallback, as PocketBase stringifies values."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def go_float(value: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'f', -1, 64)``: shortest digits, never an exponent."""
    if value != value or value in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}[repr(value)]
    from decimal import Decimal

    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
