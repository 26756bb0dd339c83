"""Typed SQL values and SQLite's comparison rules, reproduced on PostgreSQL.

PocketBase runs on SQLite, so a filter means whatever SQLite makes of it: ``views = '500'``
matches 500 because a NUMERIC column converts the text, ``published = 'true'`` does not,
numbers sort before text, ``LIKE`` sees numbers as text. On SQLite we emit the expression as
is. PostgreSQL is strictly typed (and asyncpg binds strictly), so there a :class:`Val`
carries up to two parts, a ``DOUBLE PRECISION`` part ``num`` and a ``TEXT`` part ``txt``
(a JSON value may be either at run time), and :func:`compare` writes the SQL that gives
SQLite's answer: affinity conversion first, then NULL < numbers < text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from ferrybase.filter.sql import FALSE, NULL, TRUE, Sql, fmt, join

NO_CONST: Any = object()

# SQLite's test for "text that looks like a number" (used by NUMERIC affinity). No '?' in it:
# the PostgreSQL store rewrites '?' placeholders and must not meet one here.
_NUMERIC_TEXT = re.compile(r"^[ \t\n\r\f\v]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\f\v]*$")
_PG_NUMERIC_RE = r"'^\s*[+-]{0,1}([0-9]+(\.[0-9]*){0,1}|\.[0-9]+)([eE][+-]{0,1}[0-9]+){0,1}\s*$'"


class Affinity(Enum):
    NONE = "none"
    TEXT = "text"
    NUMERIC = "numeric"


@dataclass(frozen=True, slots=True)
class Val:
    """A value in SQL. ``sql`` is the SQLite expression; ``num``/``txt`` the PostgreSQL parts
    (both ``None`` for the NULL literal). ``const`` is the bound Python value, if any."""

    sql: Sql
    affinity: Affinity = Affinity.NONE
    num: Sql | None = None
    txt: Sql | None = None
    const: Any = NO_CONST
    nullable: bool = True
    is_null: bool = False
    boolean: Sql | None = None
    """PostgreSQL only: the BOOLEAN column behind ``num`` (``CAST(col AS INTEGER)``), so an
    equality with a constant 0/1 can be written on the column itself, where the planner
    has statistics and indexes."""


# -- constructors -------------------------------------------------------------------------


def null_val() -> Val:
    return Val(NULL, is_null=True)


def text_val(ref: Sql, affinity: Affinity = Affinity.TEXT, nullable: bool = True) -> Val:
    return Val(ref, affinity, txt=ref, nullable=nullable)


def num_val(sqlite: Sql, pg: Sql, affinity: Affinity = Affinity.NUMERIC) -> Val:
    return Val(sqlite, affinity, num=pg)


def json_val(sqlite: Sql, jsonb: Sql) -> Val:
    """A JSON value read from a JSONB expression on PostgreSQL (``json_extract`` on SQLite)."""
    num = fmt(
        "CASE jsonb_typeof({}) WHEN 'number' THEN CAST({} AS DOUBLE PRECISION)"
        " WHEN 'boolean' THEN CAST(CAST({} AS BOOLEAN) AS INTEGER) END",
        jsonb,
        jsonb,
        jsonb,
    )
    txt = fmt(
        "CASE jsonb_typeof({}) WHEN 'string' THEN jsonb_build_array({}) ->> 0"
        " WHEN 'array' THEN CAST({} AS TEXT) WHEN 'object' THEN CAST({} AS TEXT) END",
        jsonb,
        jsonb,
        jsonb,
        jsonb,
    )
    return Val(sqlite, Affinity.NONE, num=num, txt=txt)


def int_const(value: int, text: str | None = None) -> Val:
    """An integer written into the SQL (``1``/``0`` for ``true``/``false``, ``TRUE``)."""
    literal = Sql(text or str(value))
    return Val(literal, num=Sql(str(value)), const=value, nullable=False)


def bound(value: Any, postgres: bool) -> Val:
    """A Python value as a bound parameter (bools become 1/0, as Go binds them to SQLite)."""
    if value is None:
        return null_val()
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int | float):
        if postgres:
            cast = Sql("CAST(? AS DOUBLE PRECISION)", (float(value),))
            return Val(cast, num=cast, const=value, nullable=False)
        return Val(Sql("?", (value,)), const=value, nullable=False)
    text = str(value)
    if postgres:
        cast = Sql("CAST(? AS TEXT)", (text,))
        return Val(cast, txt=cast, const=text, nullable=False)
    return Val(Sql("?", (text,)), const=text, nullable=False)


def empty_text() -> Val:
    return Val(Sql("''"), txt=Sql("''"), const="", nullable=False)


# -- SQLite conversions, done in Python when the value is known ------------------------------


def sqlite_number(text: str) -> int | float | None:
    """What NUMERIC affinity makes of ``text``: a number, or ``None`` if it stays text."""
    if not _NUMERIC_TEXT.match(text):
        return None
    stripped = text.strip(" \t\n\r\f\v")
    try:
        return int(stripped)
    except ValueError:
        return float(stripped)


def sqlite_text(value: int | float) -> str:
    """What TEXT affinity makes of a number (SQLite prints REALs with ``%!.15g``)."""
    if isinstance(value, int):
        return str(value)
    text = f"{value:.15g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}e{exponent}"
    if "." not in text and text not in ("inf", "-inf", "nan"):
        text += ".0"
    return text


# -- PostgreSQL emulation -------------------------------------------------------------------


def _to_numeric(v: Val) -> Val:
    if v.txt is None:
        return v
    if v.const is not NO_CONST and isinstance(v.const, str):
        number = sqlite_number(v.const)
        if number is None:
            return v
        cast = Sql("CAST(? AS DOUBLE PRECISION)", (float(number),))
        return Val(cast, num=cast, const=number, nullable=False)
    looks = fmt("{} ~ " + _PG_NUMERIC_RE, v.txt)
    converted = fmt("CASE WHEN {} THEN CAST({} AS DOUBLE PRECISION) END", looks, v.txt)
    num = converted if v.num is None else fmt("COALESCE({}, {})", v.num, converted)
    txt = fmt("CASE WHEN {} ~ " + _PG_NUMERIC_RE + " THEN NULL ELSE {} END", v.txt, v.txt)
    return replace(v, num=num, txt=txt, affinity=Affinity.NONE)


def _to_text(v: Val) -> Val:
    if v.num is None:
        return v
    if v.const is not NO_CONST and isinstance(v.const, int | float):
        cast = Sql("CAST(? AS TEXT)", (sqlite_text(v.const),))
        return Val(cast, txt=cast, const=sqlite_text(v.const), nullable=False)
    as_text = fmt("CAST({} AS TEXT)", v.num)
    txt = as_text if v.txt is None else fmt("COALESCE({}, {})", v.txt, as_text)
    return replace(v, num=None, txt=txt, affinity=Affinity.NONE)


def _apply_affinity(a: Val, b: Val) -> tuple[Val, Val]:
    if a.affinity is Affinity.NUMERIC and b.affinity is not Affinity.NUMERIC:
        return a, _to_numeric(b)
    if b.affinity is Affinity.NUMERIC and a.affinity is not Affinity.NUMERIC:
        return _to_numeric(a), b
    if a.affinity is Affinity.TEXT and b.affinity is Affinity.NONE:
        return a, _to_text(b)
    if b.affinity is Affinity.TEXT and a.affinity is Affinity.NONE:
        return _to_text(a), b
    return a, b


def _pg_isnull(v: Val) -> Sql:
    if v.is_null or (v.num is None and v.txt is None):
        return TRUE
    if not v.nullable:
        return FALSE
    parts = [fmt("{} IS NULL", p) for p in (v.num, v.txt) if p is not None]
    return parts[0] if len(parts) == 1 else fmt("({})", join(" AND ", parts))


def _or(a: Sql, b: Sql) -> Sql:
    if a is TRUE or b is TRUE:
        return TRUE
    if a is FALSE:
        return b
    if b is FALSE:
        return a
    return fmt("{} OR {}", a, b)


def _pure(a: Val, b: Val) -> bool:
    """Both operands statically of the same single class (both numbers or both text)."""
    single = (a.num is None) != (a.txt is None)
    return single and (a.num is None) == (b.num is None) and (a.txt is None) == (b.txt is None)


def _guarded(a: Val, b: Val, terms: list[Sql], fallback: Sql) -> Sql:
    guard = _or(_pg_isnull(a), _pg_isnull(b))
    core = fmt("COALESCE({}, {})", join(", ", terms), fallback) if terms else fallback
    if guard is FALSE:
        return core
    if guard is TRUE:
        return NULL
    return fmt("CASE WHEN {} THEN NULL ELSE {} END", guard, core)


def _pg_compare(op: str, a: Val, b: Val) -> Sql:
    a, b = _apply_affinity(a, b)
    if op in ("IS", "IS NOT"):
        same = _pg_is(a, b)
        return same if op == "IS" else _not(same)
    if a.is_null or b.is_null:
        return NULL
    terms: list[Sql] = []
    collate = ' COLLATE "C"' if op != "=" else ""
    if a.num is not None and b.num is not None:
        terms.append(fmt("{} " + op + " {}", a.num, b.num))
    if a.txt is not None and b.txt is not None:
        terms.append(fmt("{} " + op + " {}" + collate, a.txt, b.txt))
    if _pure(a, b) and len(terms) == 1:
        return terms[0]
    if op == "=":
        return _guarded(a, b, terms, FALSE)
    # numbers sort before text: a < b across classes holds exactly when a is the number
    low, high = (a, b) if op in ("<", "<=") else (b, a)
    cross = FALSE
    if low.num is not None and high.txt is not None:
        cross = fmt("{} IS NOT NULL", low.num)
    return _guarded(a, b, terms, cross)


def _pg_is(a: Val, b: Val) -> Sql:
    if a.is_null and b.is_null:
        return TRUE
    if a.is_null:
        return _pg_isnull(b)
    if b.is_null:
        return _pg_isnull(a)
    if _pure(a, b):
        x, y = (a.num, b.num) if a.num is not None else (a.txt, b.txt)
        assert x is not None and y is not None
        return fmt("{} IS NOT DISTINCT FROM {}", x, y)
    terms: list[Sql] = []
    if a.num is not None and b.num is not None:
        terms.append(fmt("{} = {}", a.num, b.num))
    if a.txt is not None and b.txt is not None:
        terms.append(fmt("{} = {}", a.txt, b.txt))
    core = fmt("COALESCE({}, FALSE)", join(", ", terms)) if terms else FALSE
    na, nb = _pg_isnull(a), _pg_isnull(b)
    if na is FALSE and nb is FALSE:
        return core
    if nb is FALSE:
        return fmt("(CASE WHEN {} THEN FALSE ELSE {} END)", na, core)
    if na is FALSE:
        return fmt("(CASE WHEN {} THEN FALSE ELSE {} END)", nb, core)
    return fmt("(CASE WHEN {} THEN {} WHEN {} THEN FALSE ELSE {} END)", na, nb, nb, core)


def _not(expr: Sql) -> Sql:
    if expr is TRUE:
        return FALSE
    if expr is FALSE:
        return TRUE
    return fmt("NOT ({})", expr)


# -- operations used by the compiler --------------------------------------------------------


def compare(op: str, a: Val, b: Val, postgres: bool) -> Sql:
    """``a op b`` with SQLite's semantics; ``op`` is ``= IS IS NOT < <= > >=``."""
    if not postgres:
        return fmt("{} " + op + " {}", a.sql, b.sql)
    if op == "=" and not (a.nullable or b.nullable):
        for column, other in ((a.boolean, b), (b.boolean, a)):
            # bool_col = 1 -> bool_col = TRUE (any other number matches nothing, as in SQLite)
            if column is not None and other.const in (0, 1) and not isinstance(other.const, str):
                return fmt("{} = " + ("TRUE" if other.const == 1 else "FALSE"), column)
    if op == "IS NOT" and _pure(*_apply_affinity(a, b)) and not (a.is_null or b.is_null):
        x, y = _apply_affinity(a, b)
        left, right = (x.num, y.num) if x.num is not None else (x.txt, y.txt)
        assert left is not None and right is not None
        return fmt("{} IS DISTINCT FROM {}", left, right)
    return _pg_compare(op, a, b)


def is_null(v: Val, postgres: bool) -> Sql:
    if not postgres:
        return fmt("{} IS NULL", v.sql)
    return _pg_isnull(v)


def is_not_null(v: Val, postgres: bool) -> Sql:
    if not postgres:
        return fmt("{} IS NOT NULL", v.sql)
    return _not(_pg_isnull(v))


def coalesce_empty(v: Val, postgres: bool) -> Val:
    """``COALESCE(v, '')``: NULL becomes the empty text; the result has no affinity."""
    sqlite = fmt("COALESCE({}, '')", v.sql)
    if not postgres:
        return Val(sqlite, nullable=False)
    if v.is_null:
        return empty_text()
    if v.num is None:
        assert v.txt is not None
        txt = v.txt if not v.nullable else fmt("COALESCE({}, '')", v.txt)
        return Val(sqlite, txt=txt, nullable=False)
    isnull = _pg_isnull(v)
    if isnull is FALSE:
        return replace(v, sql=sqlite, affinity=Affinity.NONE)
    if v.txt is None:
        txt = fmt("CASE WHEN {} THEN '' END", isnull)
    else:
        txt = fmt("CASE WHEN {} THEN '' ELSE {} END", isnull, v.txt)
    return Val(sqlite, num=v.num, txt=txt, nullable=False)


def as_text(v: Val) -> Sql:
    """The PostgreSQL text of a value, as SQLite would print it for ``LIKE``."""
    if v.is_null or (v.num is None and v.txt is None):
        return Sql("CAST(NULL AS TEXT)")
    if v.num is None:
        assert v.txt is not None
        return v.txt
    if isinstance(v.const, int | float) and not isinstance(v.const, bool):
        return Sql("CAST(? AS TEXT)", (sqlite_text(v.const),))
    as_txt = fmt("CAST({} AS TEXT)", v.num)
    return as_txt if v.txt is None else fmt("COALESCE({}, {})", v.txt, as_txt)


def as_number(v: Val) -> Sql:
    """The PostgreSQL number of a value (NULL when it is text), for math functions."""
    if v.num is None:
        return Sql("CAST(NULL AS DOUBLE PRECISION)")
    return v.num


def ascii_lower(text: Sql) -> Sql:
    """SQLite's ``lower()``: only ASCII letters fold (PostgreSQL's folds all of Unicode)."""
    return fmt("translate({}, '" + _UPPER + "', '" + _UPPER.lower() + "')", text)


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def like(a: Val, pattern: Val, negate: bool, postgres: bool) -> Sql:
    """``a LIKE pattern ESCAPE '\\'``, case-insensitive for ASCII only, like SQLite's."""
    op = "NOT LIKE" if negate else "LIKE"
    if not postgres:
        return fmt("{} " + op + " {} ESCAPE '\\'", a.sql, pattern.sql)
    left, right = ascii_lower(as_text(a)), ascii_lower(as_text(pattern))
    return fmt("{} " + op + " {} ESCAPE '\\'", left, right)


def contains_pattern(v: Val, postgres: bool) -> Val:
    """``('%' || v || '%')`` for a right-hand LIKE operand that is not a bound value."""
    if not postgres:
        return Val(fmt("('%' || {} || '%')", v.sql))
    wrapped = fmt("('%' || {} || '%')", as_text(v))
    return Val(wrapped, txt=wrapped)


def lower(v: Val, postgres: bool) -> Val:
    sqlite = fmt("LOWER({})", v.sql)
    if not postgres:
        return Val(sqlite, const=v.const, nullable=v.nullable, is_null=v.is_null)
    if v.is_null:
        return null_val()
    txt = ascii_lower(as_text(v))
    return Val(txt, txt=txt, nullable=v.nullable)
