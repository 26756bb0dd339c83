"""The schema the compiler reads: plain frozen dataclasses, independent of ``core``.

``core`` adapts its own collection model to :class:`CollectionSpec` / :class:`FieldSpec`
(or implements :class:`SchemaSource` over its registry). Storage conventions the compiler
relies on: a collection is a table named after the collection, every field a column named
after the field, ``id`` the primary key.

>>> users = CollectionSpec("_pb_users_auth_", "users", "auth", (FieldSpec("name", "text"),))
>>> posts = CollectionSpec("pbc_1", "posts", "base", (
...     FieldSpec("title", "text"),
...     FieldSpec("author", "relation", target="_pb_users_auth_"),
...     FieldSpec("tags", "select", multiple=True),
... ), list_rule="")
>>> schema = Schema((users, posts))
>>> schema.collection("posts").field("author").target
'_pb_users_auth_'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

TEXT_TYPES = frozenset(
    ["text", "editor", "email", "url", "password", "date", "autodate", "select", "relation", "file"]
)
"""Field types stored as a TEXT column when single-valued."""
MULTI_VALUE_TYPES = frozenset(["select", "relation", "file"])
"""Field types that support ``:each`` and ``:length`` (PocketBase's ``MultiValuer``)."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a collection.

    ``type`` is PocketBase's field type name (``text``, ``number``, ``bool``, ``relation``,
    ``json``, ``geoPoint``, ...). ``multiple`` is ``maxSelect > 1`` (the column holds a JSON
    array). ``target`` is the related collection id of a relation. ``unique`` says the field
    has a single-column unique index (a back-relation through it then cannot fan out).
    """

    name: str
    type: str
    multiple: bool = False
    hidden: bool = False
    target: str | None = None
    unique: bool = False

    @property
    def is_multi_valuer(self) -> bool:
        return self.type in MULTI_VALUE_TYPES


@dataclass(frozen=True)
class CollectionSpec:
    """One collection: ``type`` is ``base``, ``auth`` or ``view``.

    ``list_rule`` is the collection's list rule (``None`` = superusers only); non-superuser
    client filters may only join collections whose list rule is not ``None``.
    """

    id: str
    name: str
    type: str
    fields: tuple[FieldSpec, ...] = ()
    list_rule: str | None = None

    @cached_property
    def _by_name(self) -> dict[str, FieldSpec]:
        named = {f.name: f for f in self.fields}
        named.setdefault("id", FieldSpec("id", "text"))
        return named

    def field(self, name: str) -> FieldSpec | None:
        """The field called ``name`` (``id`` always exists), or ``None``."""
        return self._by_name.get(name)

    @property
    def is_auth(self) -> bool:
        return self.type == "auth"


class SchemaSource(Protocol):
    """Looks collections up by name or id; :class:`Schema` is the plain implementation."""

    def collection(self, name_or_id: str) -> CollectionSpec | None: ...


@dataclass(frozen=True)
class Schema:
    """A fixed set of collections."""

    collections: tuple[CollectionSpec, ...] = field(default=())

    @classmethod
    def of(cls, collections: Iterable[CollectionSpec]) -> Schema:
        return cls(tuple(collections))

    @cached_property
    def _index(self) -> dict[str, CollectionSpec]:
        index: dict[str, CollectionSpec] = {}
        for c in self.collections:
            index.setdefault(c.id, c)
            index.setdefault(c.name, c)
        return index

    def collection(self, name_or_id: str) -> CollectionSpec | None:
        return self._index.get(name_or_id)
