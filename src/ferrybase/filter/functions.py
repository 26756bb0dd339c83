"""The filter functions PocketBase offers: ``geoDistance`` and ``strftime``.

``geoDistance(lonA, latA, lonB, latB)`` is the Haversine distance in km (NULL when SQLite's
``acos`` would be out of its domain). ``strftime(format[, time-value[, modifier...]])`` is
SQLite's function; on PostgreSQL the format and modifiers (both literal text in the filter)
are translated at compile time into ``to_char``/``date_trunc``/interval arithmetic. The
directives ``%d %f %H %j %m %M %s %S %w %Y %%`` and the modifiers ``start of
day|month|year`` and ``±N days|hours|minutes|seconds|months|years`` are supported there;
anything else raises :class:`~ferrybase.errors.FilterResolveError` on PostgreSQL only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from ferrybase.errors import FilterResolveError
from ferrybase.filter import ast
from ferrybase.filter.resolver import Fallback, Operand, Scope
from ferrybase.filter.sql import Sql, fmt, join
from ferrybase.filter.values import NO_CONST, Affinity, Val, as_number, num_val
from ferrybase.filter.values import _to_numeric as to_numeric

Resolve = Callable[[ast.Operand], Operand]

_PG_DATE_RE = (
    r"'^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+){0,1}){0,1}){0,1}Z{0,1}$'"
)
_PY_DATE_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?Z?$",
)
_PG_NOW = "CAST(now() AT TIME ZONE 'UTC' AS TIMESTAMP)"
_DIRECTIVES = {
    "d": "DD",
    "f": "SS.MS",
    "H": "HH24",
    "j": "DDD",
    "m": "MM",
    "M": "MI",
    "S": "SS",
    "Y": "YYYY",
}
_SHIFT = re.compile(r"^\s*([+-]?\d+(\.\d+)?)\s+(day|hour|minute|second|month|year)s?\s*$", re.I)
_TRUNC = re.compile(r"^\s*start of (day|month|year)\s*$", re.I)


def resolve_function(scope: Scope, node: ast.Function, resolve: Resolve) -> Operand:
    if node.name == "geoDistance":
        return _geo_distance(scope, node, resolve)
    if node.name == "strftime":
        return _strftime(scope, node, resolve)
    raise FilterResolveError(f"Unknown function {node.name!r}", node.pos)


def _kind(scope: Scope, arg: ast.Operand) -> str:
    """The fexpr token type of an argument: identifier, number, text or function."""
    if isinstance(arg, ast.Literal):
        if isinstance(arg.value, str):
            return "text"
        return "number" if isinstance(arg.value, float) else "identifier"
    if isinstance(arg, ast.Placeholder):
        value = scope.params.get(arg.name)
        if isinstance(value, str):
            return "text"
        return (
            "number"
            if isinstance(value, int | float) and not isinstance(value, bool)
            else ("identifier")
        )
    return "function" if isinstance(arg, ast.Function) else "identifier"


def _geo_distance(scope: Scope, node: ast.Function, resolve: Resolve) -> Operand:
    if len(node.args) != 4:
        raise FilterResolveError(f"geoDistance expects 4 arguments, got {len(node.args)}", node.pos)
    ops: list[Operand] = []
    for i, arg in enumerate(node.args):
        if _kind(scope, arg) not in ("identifier", "number"):
            raise FilterResolveError(
                f"geoDistance argument {i} must be an identifier or number", node.pos
            )
        ops.append(resolve(arg))
    params = tuple(p for op in ops for p in op.pb_params)
    template = (
        "cos(radians({})) * cos(radians({})) * cos(radians({}) - radians({}))"
        " + sin(radians({})) * sin(radians({}))"
    )
    lon_a, lat_a, lon_b, lat_b = ops

    def inner(values: list[Sql]) -> Sql:
        la, ta, lb, tb = values
        return fmt(template, ta, tb, lb, la, ta, tb)

    sqlite = fmt("(6371 * acos({}))", inner([op.val.sql for op in ops]))
    if not scope.postgres:
        return Operand(num_val(sqlite, sqlite, Affinity.NONE), Fallback.DISABLED, params)
    x = inner([as_number(to_numeric(op.val)) for op in ops])
    pg = fmt("(6371 * CASE WHEN {} BETWEEN -1 AND 1 THEN acos({}) END)", x, x)
    del lon_a, lat_a, lon_b, lat_b
    return Operand(num_val(pg, pg, Affinity.NONE), Fallback.DISABLED, params)


def _strftime(scope: Scope, node: ast.Function, resolve: Resolve) -> Operand:
    args = node.args
    if not 1 <= len(args) <= 10:
        raise FilterResolveError(f"strftime expects 1 to 10 arguments, got {len(args)}", node.pos)
    if _kind(scope, args[0]) != "text":
        raise FilterResolveError("strftime expects a format string first", node.pos)
    if len(args) > 1 and _kind(scope, args[1]) not in ("text", "identifier", "number"):
        raise FilterResolveError("strftime expects a valid time-value second", node.pos)
    for arg in args[2:]:
        if _kind(scope, arg) != "text":
            raise FilterResolveError("strftime modifiers must be text", node.pos)
    fmt_op = resolve(args[0])
    time_op = resolve(args[1]) if len(args) > 1 else None
    mod_ops = [resolve(a) for a in args[2:]]
    params = (
        fmt_op.pb_params
        + (time_op.pb_params if time_op else ())
        + tuple(p for m in mod_ops for p in m.pb_params)
    )
    format_text = str(fmt_op.val.const)
    modifiers = [str(m.val.const) for m in mod_ops]

    def build(time: Val | None) -> Val:
        if scope.postgres:
            pg = _pg_strftime(format_text, time, modifiers)
            return Val(pg, txt=pg)
        parts = [fmt_op.val.sql] + ([time.sql] if time else []) + [m.val.sql for m in mod_ops]
        return Val(fmt("strftime({})", join(",", parts)))

    result = Operand(build(time_op.val if time_op else None), Fallback.ENFORCED, params)
    if time_op is not None and time_op.multi is not None:
        inner = time_op.multi

        def multi(prefix: str) -> tuple[list[Sql], Val]:
            joins, value = inner(prefix)
            return joins, build(value)

        result = replace(result, multi=multi)
    return result


def _pg_timestamp(time: Val | None) -> Sql:
    if time is None:
        return Sql(_PG_NOW)
    if time.const is not NO_CONST:
        value = time.const
        if isinstance(value, str):
            if value.strip().lower() == "now":
                return Sql(_PG_NOW)
            if not _PY_DATE_RE.match(value) or not _valid_date(value):
                return Sql("CAST(NULL AS TIMESTAMP)")
            return Sql("CAST(CAST(? AS TEXT) AS TIMESTAMP)", (value.removesuffix("Z"),))
        return Sql(
            "CAST(to_timestamp((CAST(? AS DOUBLE PRECISION) - 2440587.5) * 86400)"
            " AT TIME ZONE 'UTC' AS TIMESTAMP)",
            (float(value),),
        )
    if time.txt is not None:
        t = time.txt
        return fmt(
            "CASE WHEN {} ~ " + _PG_DATE_RE + " THEN CAST(rtrim({}, 'Z') AS TIMESTAMP)"
            " WHEN {} = 'now' THEN " + _PG_NOW + " END",
            t,
            t,
            t,
        )
    if time.num is not None:
        return fmt(
            "CAST(to_timestamp(({} - 2440587.5) * 86400) AT TIME ZONE 'UTC' AS TIMESTAMP)",
            time.num,
        )
    return Sql("CAST(NULL AS TIMESTAMP)")


def _valid_date(value: str) -> bool:
    try:
        datetime.fromisoformat(value.removesuffix("Z").replace(" ", "T"))
    except ValueError:
        return False
    return True


def _pg_strftime(format_text: str, time: Val | None, modifiers: list[str]) -> Sql:
    ts = _pg_timestamp(time)
    for modifier in modifiers:
        if trunc := _TRUNC.match(modifier):
            ts = fmt(f"date_trunc('{trunc.group(1).lower()}', {{}})", ts)
        elif shift := _SHIFT.match(modifier):
            amount = f"{shift.group(1)} {shift.group(3).lower()}s"
            ts = fmt("({} + CAST(CAST(? AS TEXT) AS INTERVAL))", ts) + Sql("", (amount,))
        else:
            raise FilterResolveError(
                f"strftime modifier {modifier!r} is not supported on PostgreSQL"
            )
    pieces: list[Sql] = []
    literal: list[str] = []
    i = 0
    while i < len(format_text):
        ch = format_text[i]
        if ch != "%" or i + 1 >= len(format_text):
            literal.append(ch)
            i += 1
            continue
        code = format_text[i + 1]
        i += 2
        if code == "%":
            literal.append("%")
            continue
        if literal:
            pieces.append(Sql("CAST(? AS TEXT)", ("".join(literal),)))
            literal = []
        if code in _DIRECTIVES:
            pieces.append(fmt(f"to_char({{}}, '{_DIRECTIVES[code]}')", ts))
        elif code == "s":
            pieces.append(fmt("CAST(CAST(floor(EXTRACT(EPOCH FROM {})) AS BIGINT) AS TEXT)", ts))
        elif code == "w":
            pieces.append(fmt("CAST(CAST(EXTRACT(DOW FROM {}) AS INTEGER) AS TEXT)", ts))
        else:
            raise FilterResolveError(f"strftime directive %{code} is not supported on PostgreSQL")
    if literal or not pieces:
        pieces.append(Sql("CAST(? AS TEXT)", ("".join(literal),)))
    return fmt("(CASE WHEN {} IS NULL THEN NULL ELSE {} END)", ts, join(" || ", pieces))
