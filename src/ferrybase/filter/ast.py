"""The filter AST: frozen dataclasses produced by :mod:`ferrybase.filter.parser`.

A filter is an :data:`Expr`: a :class:`Compare` of two operands, or an :class:`And` /
:class:`Or` of sub-expressions (``&&`` binds tighter than ``||``, as in SQL). Operands are
field paths (:class:`Field`), literals (:class:`Literal`), datetime macros (:class:`Macro`),
function calls (:class:`Function`) and ``{:name}`` placeholders (:class:`Placeholder`).
Every node keeps ``pos``, the 0-based offset of its first character in the source text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Op(Enum):
    """A comparison operator; the ``?`` forms are PocketBase's "any of" variants."""

    EQ = "="
    NEQ = "!="
    LIKE = "~"
    NLIKE = "!~"
    LT = "<"
    LTE = "<="
    GT = ">"
    GTE = ">="
    ANY_EQ = "?="
    ANY_NEQ = "?!="
    ANY_LIKE = "?~"
    ANY_NLIKE = "?!~"
    ANY_LT = "?<"
    ANY_LTE = "?<="
    ANY_GT = "?>"
    ANY_GTE = "?>="

    @property
    def is_any(self) -> bool:
        """True for the ``?`` forms (match-any over a fan-out path)."""
        return self.value.startswith("?")

    @property
    def base(self) -> Op:
        """The plain operator (``?>=`` -> ``>=``)."""
        return Op(self.value[1:]) if self.is_any else self


@dataclass(frozen=True, slots=True)
class Field:
    """An identifier: ``title``, ``author.name``, ``tags:each``, ``@request.auth.id``,
    ``@collection.users.name``. Resolved by the compiler against the schema."""

    path: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Literal:
    """A string (``'a'``), number (``5``, bound as a float like PocketBase does), or one of
    the identifiers ``true``, ``false``, ``null``."""

    value: str | float | bool | None
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Macro:
    """A datetime macro such as ``@now`` or ``@monthEnd``."""

    name: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Placeholder:
    """``{:name}``, bound from the ``params`` given to the compiler."""

    name: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Function:
    """A function call, e.g. ``strftime('%Y', created)`` or ``geoDistance(a, b, c, d)``."""

    name: str
    args: tuple[Operand, ...]
    pos: int = field(default=0, compare=False)


Operand = Field | Literal | Macro | Placeholder | Function


@dataclass(frozen=True, slots=True)
class Compare:
    """``left op right``."""

    left: Operand
    op: Op
    right: Operand
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Expr, ...]


Expr = Compare | And | Or


def count_compares(expr: Expr) -> int:
    """How many comparisons ``expr`` holds (PocketBase caps this at 200)."""
    if isinstance(expr, Compare):
        return 1
    return sum(count_compares(item) for item in expr.items)
