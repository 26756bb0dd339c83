"""The request context that ``@request.*`` identifiers read.

>>> users = CollectionSpec("_pb_users_auth_", "users", "auth")
>>> info = RequestInfo(
...     auth=AuthInfo({"id": "u1", "email": "a@b.c"}, users),
...     headers=normalize_headers({"X-Token": "t"}),
...     body={"title": "hi"},
... )
>>> info.static("auth", "collectionName"), info.headers["x_token"]
('users', 't')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ferrybase.filter.schema import CollectionSpec

MISSING: Any = object()
"""Returned by :meth:`RequestInfo.static` for a path that does not exist."""


@dataclass(frozen=True)
class AuthInfo:
    """The authenticated record (every field, hidden ones included) and its collection."""

    record: Mapping[str, Any]
    collection: CollectionSpec

    @property
    def id(self) -> str:
        return str(self.record.get("id", ""))

    def export(self) -> dict[str, Any]:
        out = dict(self.record)
        out.setdefault("collectionId", self.collection.id)
        out.setdefault("collectionName", self.collection.name)
        return out

    def value(self, key: str) -> Any:
        """``export()[key]`` without the copy (:data:`MISSING` when absent)."""
        if key in self.record:
            return self.record[key]
        if key == "collectionId":
            return self.collection.id
        if key == "collectionName":
            return self.collection.name
        return MISSING


@dataclass(frozen=True)
class RequestInfo:
    """What a rule may ask about the request. ``auth`` is ``None`` for guests.

    ``headers`` keys are expected lower-cased with ``-`` turned into ``_`` (use
    :func:`normalize_headers`); ``context`` is one of PocketBase's ``default``, ``oauth2``,
    ``otp``, ``password``, ``realtime``, ``protectedFile``.
    """

    auth: AuthInfo | None = None
    body: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, Any] = field(default_factory=dict)
    method: str = "GET"
    context: str = "default"

    def static(self, *path: str) -> Any:
        """Walk ``path`` (``("query", "page")``) through the request data; maps are looked up
        by key and lists by integer index. Returns :data:`MISSING` when a step fails."""
        if not path:
            return self._root()
        head, rest = path[0], path[1:]
        if head == "auth" and self.auth is not None and rest:
            value = self.auth.value(rest[0])  # no copy of the record per look
            return MISSING if value is MISSING else _walk(value, rest[1:])
        root = self._root()
        if head not in root:
            return MISSING
        return _walk(root[head], rest)

    def _root(self) -> dict[str, Any]:
        return {
            "context": self.context,
            "method": self.method,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "auth": None if self.auth is None else self.auth.export(),
        }


def _walk(value: Any, path: tuple[str, ...]) -> Any:
    """Follow ``path`` from ``value`` (see :meth:`RequestInfo.static`)."""
    for key in path:
        if isinstance(value, Mapping):
            if key not in value:
                return MISSING
            value = value[key]
        elif isinstance(value, list | tuple):
            if not key.isdigit() or int(key) >= len(value):
                return MISSING
            value = value[int(key)]
        else:
            return MISSING
    return value


def normalize_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names as PocketBase exposes them: lower-cased, ``-`` replaced by ``_``."""
    return {name.lower().replace("-", "_"): value for name, value in headers.items()}


def normalize_raw_headers(pairs: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """:func:`normalize_headers` of an ASGI scope's raw ``headers`` (latin-1, as HTTP's)."""
    return {
        name.decode("latin-1").lower().replace("-", "_"): value.decode("latin-1")
        for name, value in pairs
    }
