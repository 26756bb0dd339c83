"""SQL fragments that carry their bound parameters in placeholder order.

Every value reaches SQL as a ``?`` placeholder; a :class:`Sql` keeps the text and the
parameters together so that composing fragments can never misalign them.

>>> cond = fmt("{} > {}", Sql('"views"'), Sql("?", (10,)))
>>> cond.text, cond.params
('"views" > ?', (10,))
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True, slots=True)
class Sql:
    text: str
    params: tuple[Any, ...] = ()

    def __add__(self, other: Sql | str) -> Sql:
        if isinstance(other, str):
            return Sql(self.text + other, self.params)
        return Sql(self.text + other.text, self.params + other.params)

    def __radd__(self, other: str) -> Sql:
        return Sql(other + self.text, self.params)


def fmt(template: str, *parts: Sql | str) -> Sql:
    """Fill each ``{}`` of ``template`` with a part, concatenating parameters in order."""
    pieces = _split(template)
    if len(pieces) != len(parts) + 1:
        raise ValueError(f"template {template!r} expects {len(pieces) - 1} parts")
    text = [pieces[0]]
    params: list[Any] = []
    for part, piece in zip(parts, pieces[1:], strict=True):
        if isinstance(part, Sql):
            text.append(part.text)
            params.extend(part.params)
        else:
            text.append(part)
        text.append(piece)
    return Sql("".join(text), tuple(params))


@lru_cache(maxsize=1024)
def _split(template: str) -> list[str]:
    return template.split("{}")


def join(separator: str, parts: Iterable[Sql]) -> Sql:
    """``separator.join`` for fragments."""
    items = list(parts)
    text = separator.join(p.text for p in items)
    params = tuple(p for item in items for p in item.params)
    return Sql(text, params)


def param(value: Any) -> Sql:
    return Sql("?", (value,))


TRUE = Sql("TRUE")
FALSE = Sql("FALSE")
NULL = Sql("NULL")
EMPTY = Sql("''")
