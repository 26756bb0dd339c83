"""``?fields=``: PocketBase's response filter (its ``picker``), applied to every successful JSON
response and to realtime messages.

``fields=id,title,body:excerpt(20,true),expand.author.name`` keeps those keys (``*`` keeps every
key at its level). On a list envelope it applies to each item and the envelope stays whole.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ferrybase.core.text import split_top_level
from ferrybase.errors import BadRequestError

_EXCERPT = re.compile(r"^(?P<name>[^:]+):excerpt\(\s*(?P<max>\d+)\s*(?:,\s*(?P<dots>\w+)\s*)?\)$")
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_ENVELOPE = frozenset({"items", "page", "perPage", "totalItems", "totalPages"})


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    excerpt: tuple[int, bool] | None = None


@lru_cache(maxsize=256)
def parse_fields(text: str) -> _Node:
    """The tree of a ``fields`` parameter; an unknown modifier is a 400, as in PocketBase."""
    root = _Node()
    for raw in split_top_level(text):
        path = raw.strip()
        if not path:
            continue
        node = root
        parts = path.split(".")
        for i, part in enumerate(parts):
            excerpt = None
            if ":" in part:
                if i != len(parts) - 1:
                    raise BadRequestError()
                m = _EXCERPT.match(part)
                if not m:
                    raise BadRequestError()
                part = m["name"]
                dots = (m["dots"] or "false").lower() in ("true", "1", "t")
                excerpt = (int(m["max"]), dots)
            node = node.children.setdefault(part, _Node())
            if excerpt is not None:
                node.excerpt = excerpt
    return root


def apply_fields(content: Any, text: str) -> Any:
    tree = parse_fields(text)
    if isinstance(content, dict) and set(content) == _ENVELOPE:
        return {**content, "items": [_pick(item, tree) for item in content["items"]]}
    return _pick(content, tree)


def _pick(value: Any, node: _Node) -> Any:
    if node.excerpt is not None and isinstance(value, str):
        return excerpt(value, *node.excerpt)
    if not node.children:
        return value
    if isinstance(value, list):
        return [_pick(v, node) for v in value]
    if not isinstance(value, dict):
        return value
    star = node.children.get("*")
    out = {}
    for key, child in value.items():
        sub = node.children.get(key)
        if sub is not None:
            out[key] = _pick(child, sub)
        elif star is not None:
            out[key] = _pick(child, star)
    return out


def excerpt(text: str, limit: int, ellipsis: bool) -> str:
    """Plain text of an HTML value, at most ``limit`` characters."""
    plain = _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", text))).strip()
    if len(plain) <= limit:
        return plain
    cut = plain[:limit].rstrip()
    return cut + "..." if ellipsis else cut
