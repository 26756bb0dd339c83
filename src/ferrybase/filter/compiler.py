"""Compile a filter AST into one self-contained, parameterised SQL condition.

The result of :func:`compile_filter` is a boolean SQL expression over the collection's table,
referenced as ``"<alias>"`` (by default the collection name, i.e. the table itself), so the
caller can AND it with its own conditions in any list, view, update, delete or count query::

    cond = compile_filter("author.name = 'x'", posts, schema, dialect=SQLITE, superuser=True)
    rows = db.execute(f'SELECT "posts".* FROM "posts" WHERE {cond.sql}', cond.params)

Semantics follow PocketBase 0.40 (``tools/search/filter.go``): the same empty-value handling
for ``=``/``!=``, ``LIKE`` wrapping, and match-all / match-any over fan-out paths. Where
PocketBase LEFT JOINs related tables into the main query and de-duplicates with
``DISTINCT``, a condition here wraps the whole expression in one correlated
``EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN ... WHERE <expr>)`` over the same joins. That
is the same row set (a row matches when some combination of joined rows satisfies the
filter), without multiplying the caller's rows. The match-all part of a plain operator over
a fan-out path is a ``NOT EXISTS`` subquery, as in PocketBase.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from threading import Lock
from typing import Any

from ferrybase.errors import FilterError, FilterForbiddenError, FilterResolveError
from ferrybase.filter.ast import (
    And,
    Compare,
    Expr,
    Field,
    Function,
    Literal,
    Macro,
    Op,
    Operand,
    Placeholder,
)
from ferrybase.filter.dialect import SQLITE, Dialect
from ferrybase.filter.functions import resolve_function
from ferrybase.filter.macros import macro_value
from ferrybase.filter.parser import parse_filter
from ferrybase.filter.request import RequestInfo
from ferrybase.filter.resolver import Fallback, Scope, request_value, resolve_field
from ferrybase.filter.resolver import Operand as Resolved
from ferrybase.filter.schema import CollectionSpec, SchemaSource
from ferrybase.filter.sql import FALSE, TRUE, Sql, fmt, join
from ferrybase.filter.values import (
    Val,
    compare,
    contains_pattern,
    empty_text,
    int_const,
    is_not_null,
    is_null,
    like,
)
from ferrybase.filter.values import coalesce_empty as _coalesce


@dataclass(frozen=True, slots=True)
class Condition:
    """A boolean SQL expression and its ``?`` parameters, in order."""

    sql: str
    params: tuple[Any, ...]


def compile_filter(
    source: str | Expr,
    collection: CollectionSpec,
    schema: SchemaSource,
    request: RequestInfo | None = None,
    dialect: Dialect = SQLITE,
    *,
    superuser: bool = False,
    rule: bool = False,
    alias: str | None = None,
    params: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    list_rule: str | None = None,
    sort: str = "",
) -> Condition:
    """Compile a filter or rule for ``collection`` into a :class:`Condition`.

    ``rule=True`` compiles an access rule (hidden fields, ``@request.*`` and ``@collection.*``
    allowed). Otherwise ``source`` is a client ``filter``: unless ``superuser``,
    ``@request.``/``@collection.`` raise :class:`~ferrybase.errors.FilterForbiddenError`
    (PocketBase's 403), hidden fields raise :class:`~ferrybase.errors.FilterResolveError`
    and ``email`` of an auth collection only matches where ``emailVisibility`` is true.
    ``alias`` is how the SQL refers to the collection's table (default: its name);
    ``params`` fills ``{:name}`` placeholders; ``now`` fixes the datetime macros.

    ``list_rule`` (a client filter's only) is the collection's list rule, compiled as a rule
    and ANDed in front of the filter over the *same* joins, as PocketBase resolves a list
    query's rule and filter with one resolver: with the rule ``tags.name ?= 'a'``, the filter
    ``tags.name ?= 'b'`` asks for one tag named both ``a`` and ``b``. ``source`` may then be
    blank (the rule alone). A blank ``list_rule`` adds nothing; ``None`` is the caller's
    business (PocketBase's 403 for non-superusers).

    ``sort`` (with ``list_rule``) is the request's ``sort``: its field paths join the same
    product, so the related collections' list rules and a multi-valued path shared with the
    filter (``likes:each`` and ``sort=likes.name`` walk one item) select rows as PocketBase's
    one resolver does; the ORDER BY itself is :func:`~ferrybase.filter.sort.compile_sort`'s,
    which also reports a bad sort.

    >>> from ferrybase.filter.schema import FieldSpec, Schema
    >>> posts = CollectionSpec("p1", "posts", "base", (FieldSpec("views", "number"),))
    >>> compile_filter("views > 10", posts, Schema((posts,)))
    Condition(sql='"posts"."views" > ?', params=(10.0,))
    """
    if not rule and not superuser:
        _check_client_filter(source)
    request = request or RequestInfo()
    key: tuple[Any, ...] | None = None
    if isinstance(source, str) and not params:
        key = (source, list_rule, sort, id(collection), id(schema), dialect.name)
        key += (superuser, rule, alias, now)
        hit = _cache_get(key, collection, schema, request)
        if hit is not None:
            return hit
    scope = _scope(collection, schema, request, dialect, alias, params, now)
    cond = _compile(scope, source, superuser=superuser, rule=rule, list_rule=list_rule, sort=sort)
    if key is not None and not scope.volatile:
        _cache_put(key, collection, schema, scope.reads, cond)
    return cond


def _scope(
    collection: CollectionSpec,
    schema: SchemaSource,
    request: RequestInfo,
    dialect: Dialect,
    alias: str | None,
    params: Mapping[str, Any] | None,
    now: datetime | None,
) -> Scope:
    return Scope(
        dialect=dialect,
        schema=schema,
        collection=collection,
        alias=alias or collection.name,
        request=request,
        allow_hidden=False,
        now=now,
        params=params or {},
    )


def _compile(
    scope: Scope,
    source: str | Expr,
    *,
    superuser: bool,
    rule: bool,
    list_rule: str | None,
    sort: str = "",
) -> Condition:
    with_rule = list_rule is not None and bool(list_rule.strip() or sort.strip())
    expr: Expr | None
    if with_rule and isinstance(source, str) and not source.strip():
        expr = None
    else:
        expr = parse_filter(source) if isinstance(source, str) else source
    scope.allow_hidden = True if with_rule else rule or superuser
    parts: list[Sql] = []
    if with_rule:
        assert list_rule is not None
        if list_rule.strip():
            parts.append(compile_expr(scope, parse_filter(list_rule)))
        scope.allow_hidden = rule or superuser
    if expr is not None:
        parts.append(compile_expr(scope, expr))
    if with_rule:
        _join_sort_paths(scope, sort)
    if not parts:
        parts.append(TRUE)
    where = parts[0] if len(parts) == 1 else fmt("({})", join(" AND ", parts))
    rules = list_rule_conditions(scope)
    if rules:
        where = fmt("({})", join(" AND ", [where, *rules]))
    if scope.product:
        where = scope.dialect.exists(list(scope.product.values()), where)
    return Condition(where.text, where.params)


# -- the compile cache ----------------------------------------------------------------------

CACHE_SIZE = 2048
"""Most (text, collection, schema, dialect, flags) keys the compile cache keeps."""
CACHE_VARIANTS = 16
"""Most results kept per key, one per distinct set of request values seen."""

_Reads = list[tuple[tuple[str, ...], Any]]
_Entry = tuple[CollectionSpec, SchemaSource, list[tuple[_Reads, Condition]]]
_cache: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
_cache_lock = Lock()


def compile_cache_clear() -> None:
    """Forget every cached compilation (for tests and benchmarks)."""
    with _cache_lock:
        _cache.clear()


def _cache_get(
    key: tuple[Any, ...], collection: CollectionSpec, schema: SchemaSource, request: RequestInfo
) -> Condition | None:
    """A cached result whose compilation saw exactly the values ``request`` shows.

    Compiling is deterministic given the text, the collection and schema objects (held by
    the entry, so their ids stay theirs), the dialect, the flags and the request values it
    read; the same reads give the same SQL and the same parameters."""
    with _cache_lock:
        entry = _cache.get(key)
        if entry is None or entry[0] is not collection or entry[1] is not schema:
            return None
        _cache.move_to_end(key)
        variants = list(entry[2])
    for reads, cond in variants:
        if all(request_value(request, k) == v for k, v in reads):
            return cond
    return None


def _cache_put(
    key: tuple[Any, ...],
    collection: CollectionSpec,
    schema: SchemaSource,
    reads: _Reads,
    cond: Condition,
) -> None:
    seen: dict[tuple[str, ...], Any] = {}
    for k, v in reads:  # copied: the request's own dicts and lists may change later
        seen.setdefault(k, copy.deepcopy(v) if isinstance(v, dict | list) else v)
    frozen_reads = list(seen.items())
    with _cache_lock:
        entry = _cache.get(key)
        if entry is None or entry[0] is not collection or entry[1] is not schema:
            entry = (collection, schema, [])
            _cache[key] = entry
        entry[2].insert(0, (frozen_reads, cond))
        del entry[2][CACHE_VARIANTS:]
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _join_sort_paths(scope: Scope, sort: str) -> None:
    """Add the joins of ``sort``'s field paths to the product (see ``compile_filter``).

    A path that does not resolve adds nothing: the sort's own compilation rejects it."""
    for item in sort.split(","):
        name = item.strip()
        name = name[1:] if name[:1] in ("-", "+") else name
        if not name or name.startswith("@"):
            continue
        try:
            resolve_field(scope, name, scope.product, scope.prefix, track=True)
        except FilterError:
            continue


def list_rule_conditions(scope: Scope) -> list[Sql]:
    """PocketBase's list rule joins: for a non-superuser, every collection joined into the
    product must let the joined row through its list rule (or the join found no row).

    Each rule is compiled as ``id='' || (RULE)`` over the joined alias, as a rule (hidden
    fields and ``@request.*`` allowed, no further rule joins), its own joins added to the
    same product under a fresh prefix. The match-all subqueries get no such condition, as
    in PocketBase. An empty rule adds nothing; a ``None`` rule was refused when joining.
    """
    out: list[Sql] = []
    if scope.allow_hidden:
        return out
    for i, (alias, collection) in enumerate(list(scope.rule_joins.items())):
        text = collection.list_rule
        if not text:
            continue
        clone = replace(
            scope,
            collection=collection,
            alias=alias,
            allow_hidden=True,
            params={},
            prefix=f"_r{i}",
            rule_joins={},
            joined=True,
        )
        try:
            out.append(compile_expr(clone, parse_filter("id='' || (\n" + text + "\n)")))
        except FilterError as exc:
            raise type(exc)(
                f"Failed to apply the list rule of {collection.name!r}: {exc.detail}"
            ) from None
        scope.joins_used, scope.subqueries = clone.joins_used, clone.subqueries
        scope.volatile = scope.volatile or clone.volatile
    return out


def _check_client_filter(source: str | Expr) -> None:
    texts = [source] if isinstance(source, str) else list(_field_paths(source))
    for text in texts:
        for prefix in ("@request.", "@collection."):
            if prefix in text:  # PocketBase's own check, and its message
                raise FilterForbiddenError(f"Only superusers can filter by {prefix[:-1]}")


def _field_paths(expr: Expr) -> list[str]:
    if isinstance(expr, Compare):
        return [p for side in (expr.left, expr.right) for p in _operand_paths(side)]
    return [p for item in expr.items for p in _field_paths(item)]


def _operand_paths(op: Operand) -> list[str]:
    if isinstance(op, Field):
        return [op.path]
    if isinstance(op, Function):
        return [p for arg in op.args for p in _operand_paths(arg)]
    return []


def compile_expr(scope: Scope, expr: Expr) -> Sql:
    """The SQL of ``expr``; joins it needs are added to ``scope.product``."""
    if isinstance(expr, Compare):
        try:
            return compile_compare(scope, expr)
        except FilterResolveError as exc:
            if exc.position is None:
                raise type(exc)(exc.detail, expr.pos) from None
            raise
    keyword = " AND " if isinstance(expr, And) else " OR "
    return fmt("({})", join(keyword, (compile_expr(scope, item) for item in expr.items)))


def compile_compare(scope: Scope, node: Compare) -> Sql:
    left = resolve_operand(scope, node.left)
    right = resolve_operand(scope, node.right)
    return build(scope, left, node.op, right)


def resolve_operand(scope: Scope, node: Operand) -> Resolved:
    """Resolve one AST operand (joins go into the main product)."""
    if isinstance(node, Literal):
        if node.value is None:
            return scope.value(None)
        if isinstance(node.value, bool):
            flag = int(node.value)
            return Resolved(int_const(flag), ident=str(flag))
        return scope.value(node.value)
    if isinstance(node, Macro):
        scope.volatile = scope.volatile or scope.now is None
        return scope.value(macro_value(node.name, scope.now))
    if isinstance(node, Placeholder):
        if node.name not in scope.params:
            raise FilterResolveError(f"Missing value for placeholder {{:{node.name}}}", node.pos)
        value = scope.params[node.name]
        if isinstance(value, bool):
            return Resolved(int_const(int(value)), ident=str(int(value)))
        if isinstance(value, int | float):
            return scope.value(float(value))
        if value is None or isinstance(value, str):
            return scope.value(value)
        from ferrybase.filter.resolver import _go_string

        return scope.value(_go_string(value))
    if isinstance(node, Function):
        return resolve_function(scope, node, lambda arg: resolve_operand(scope, arg))
    try:
        return resolve_field(scope, node.path, scope.product, scope.prefix, track=True)
    except FilterResolveError as exc:
        raise type(exc)(exc.detail, node.pos) from None


# -- PocketBase's buildResolversExpr ----------------------------------------------------------


def build(scope: Scope, left: Resolved, op: Op, right: Resolved) -> Sql:
    pg = scope.postgres
    base = op.base
    if base in (Op.EQ, Op.NEQ):
        expr = _equal(base is Op.EQ, left, right, pg)
    elif base in (Op.LIKE, Op.NLIKE):
        if not right.pb_params:
            pattern = contains_pattern(right.val, pg)
        elif right.like_val is not None:
            pattern = right.like_val(_wrap_like)
        else:
            pattern = right.val
        expr = like(left.val, pattern, base is Op.NLIKE, pg)
    else:
        expr = compare(base.value, left.val, right.val, pg)

    if not op.is_any:
        if left.multi is not None and right.multi is not None:
            expr = fmt("(({}) AND ({}))", expr, _many_vs_many(scope, left, op, right))
        elif left.multi is not None:
            expr = fmt("(({}) AND ({}))", expr, _many_vs_one(scope, left, op, right, False))
        elif right.multi is not None:
            expr = fmt("(({}) AND ({}))", expr, _many_vs_one(scope, right, op, left, True))
    if left.after is not None:
        expr = left.after(expr)
    if right.after is not None:
        expr = right.after(expr)
    return expr


def _not(expr: Sql) -> Sql:
    return fmt("NOT ({})", expr)


def _many_vs_one(scope: Scope, many: Resolved, op: Op, other: Resolved, inverse: bool) -> Sql:
    assert many.multi is not None
    joins, value = many.multi(scope.next_prefix())
    item = Resolved(value, fallback=many.fallback, after=_not)
    # PocketBase keeps only the other operand's identifier and parameters here
    plain = Resolved(
        other.val, pb_params=other.pb_params, ident=other.ident, like_val=other.like_val
    )
    where = build(scope, plain, op, item) if inverse else build(scope, item, op, plain)
    return scope.dialect.exists(joins, where, negate=True)


def _many_vs_many(scope: Scope, left: Resolved, op: Op, right: Resolved) -> Sql:
    assert left.multi is not None and right.multi is not None
    left_joins, left_value = left.multi(scope.next_prefix())
    right_joins, right_value = right.multi(scope.next_prefix())
    a = Resolved(left_value, fallback=left.fallback)
    b = Resolved(right_value, fallback=right.fallback, after=_not)
    where = build(scope, a, op, b)
    return scope.dialect.exists(left_joins + right_joins, where, negate=True)


def _wrap_like(value: Any) -> str:
    """PocketBase's ``wrapLikeParams``: ``%value%`` unless the value has its own ``%``."""
    from ferrybase.filter.resolver import _go_string

    text = _go_string(value)
    if _contains_unescaped(text, "%"):
        return text
    return "%" + _escape_unescaped(text, "\\%_") + "%"


def _contains_unescaped(text: str, ch: str) -> bool:
    prev = ""
    for c in text:
        if c == ch and prev != "\\":
            return True
        prev = "" if (c == "\\" and prev == "\\") else c
    return False


def _escape_unescaped(text: str, chars: str) -> str:
    out: list[str] = []
    match = False
    for i in range(len(text) - 1, -1, -1):
        c = text[i]
        if match:
            if c != "\\":
                out.append("\\")
            match = False
        elif c in chars:
            match = True
        out.append(c)
        if i == 0 and match:
            out.append("\\")
    return "".join(reversed(out))


# -- PocketBase's resolveEqualExpr --------------------------------------------------------------


def _is_empty_ident(op: Resolved) -> bool:
    return op.ident.lower() in ("null", "''")


def _has_empty_param(op: Resolved) -> bool:
    return any(p is None or (isinstance(p, str) and p == "") for p in op.pb_params)


def _known_non_empty(op: Resolved) -> bool:
    if op.fallback is Fallback.ENFORCED:
        return False
    if op.ident.lower() in ("1", "0", "true", "false"):
        return True
    return bool(op.pb_params) and not _has_empty_param(op) and not _is_empty_ident(op)


def _equal(equal: bool, left: Resolved, right: Resolved, pg: bool) -> Sql:
    eq_op = "=" if equal else "IS NOT"
    null_eq_op = "IS" if equal else "IS NOT"

    if Fallback.DISABLED in (left.fallback, right.fallback):
        return compare(null_eq_op, left.val, right.val, pg)

    left_empty = _is_empty_ident(left) or (
        left.fallback is Fallback.AUTO and len(left.pb_params) == 1 and _has_empty_param(left)
    )
    right_empty = _is_empty_ident(right) or (
        right.fallback is Fallback.AUTO and len(right.pb_params) == 1 and _has_empty_param(right)
    )
    if left_empty and right_empty:
        return TRUE if equal else FALSE
    if _known_non_empty(left) or _known_non_empty(right):
        lv = empty_text() if left_empty else left.val
        rv = empty_text() if right_empty else right.val
        return compare(eq_op, lv, rv, pg)
    if left_empty:
        return _with_null(equal, compare(eq_op, empty_text(), right.val, pg), right.val, pg)
    if right_empty:
        return _with_null(equal, compare(eq_op, left.val, empty_text(), pg), left.val, pg)
    return compare(eq_op, _coalesce(left.val, pg), _coalesce(right.val, pg), pg)


def _with_null(equal: bool, cmp: Sql, val: Val, pg: bool) -> Sql:
    # a = '' OR a IS NULL  /  a IS NOT '' AND a IS NOT NULL (just the comparison when ``a``
    # is a NOT NULL column)
    if equal:
        null = is_null(val, pg)
        return cmp if null is FALSE else fmt("({} OR {})", cmp, null)
    not_null = is_not_null(val, pg)
    return cmp if not_null is TRUE else fmt("({} AND {})", cmp, not_null)
