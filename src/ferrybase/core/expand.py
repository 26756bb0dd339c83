"""``expand``: related records inlined under ``"expand"``, as the caller may view them.

``expand=author,comments_via_post.author`` names relation fields and back-relations
(``<collection>_via_<field>``), dot-nested up to six levels. Related records are fetched
per level in one query per path (not per record), with the related collection's view rule
ANDed in: what the caller may not view is silently left out, and expand never fails.
"""

from __future__ import annotations

from collections import defaultdict

from ferrybase.core.collections import Collection
from ferrybase.core.fields import Field
from ferrybase.core.ports import Executor
from ferrybase.core.records import Record
from ferrybase.core.registry import CollectionRegistry
from ferrybase.core.rules import VIEW_RULE, Access, Caller, where
from ferrybase.core.schema import index_parts
from ferrybase.core.values import relation_ids
from ferrybase.errors import ForbiddenError
from ferrybase.filter import Dialect

MAX_DEPTH = 6
MAX_BACK_RELATIONS = 1000
_VIA = "_via_"

Tree = dict[str, "Tree"]


def parse_expand(text: str) -> Tree:
    """``"a,a.b,c"`` -> ``{"a": {"b": {}}, "c": {}}`` (at most :data:`MAX_DEPTH` levels)."""
    tree: Tree = {}
    for path in text.split(","):
        node = tree
        for name in [p.strip() for p in path.split(".")][:MAX_DEPTH]:
            if not name:
                break
            node = node.setdefault(name, {})
    return tree


class Expander:
    def __init__(
        self, db: Executor, registry: CollectionRegistry, dialect: Dialect, caller: Caller
    ) -> None:
        self.db = db
        self.registry = registry
        self.dialect = dialect
        self.caller = caller
        self.access = Access(registry.schema, dialect)

    async def expand(self, records: list[Record], tree: Tree) -> None:
        """Fill ``record.expand`` of every record (all of one collection) along ``tree``."""
        for record in records:
            record.expand = {}
        if not records or not tree:
            return
        collection = records[0].collection
        for name, subtree in tree.items():
            field = collection.field(name)
            if field is not None and field.type == "relation":
                await self._forward(records, field, subtree)
            elif _VIA in name:
                await self._backward(records, name, subtree)

    async def _forward(self, records: list[Record], field: Field, subtree: Tree) -> None:
        target = self.registry.get(str(field.opt("collectionId")))
        if target is None:
            return
        wanted = {r.id: relation_ids(field, r.get(field.name)) for r in records}
        ids = sorted({i for values in wanted.values() for i in values})
        found = {r.id: r for r in await self._fetch(target, "id", ids)}
        await self.expand(list(found.values()), subtree)
        for record in records:
            related = [found[i] for i in wanted[record.id] if i in found]
            if not related:
                continue
            assert record.expand is not None
            record.expand[field.name] = related if field.multiple else related[-1]

    async def _backward(self, records: list[Record], name: str, subtree: Tree) -> None:
        source_name, _, field_name = name.rpartition(_VIA)
        source = self.registry.get(source_name)
        field = source.field(field_name) if source is not None else None
        collection = records[0].collection
        if (
            source is None
            or field is None
            or field.type != "relation"
            or field.opt("collectionId") != collection.id
        ):
            return
        ids = sorted({r.id for r in records})
        grouped: dict[str, list[Record]] = defaultdict(list)
        related = await self._fetch(source, field.name, ids, multiple=field.multiple)
        for other in related:
            for target_id in relation_ids(field, other.get(field.name)):
                if target_id in ids and len(grouped[target_id]) < MAX_BACK_RELATIONS:
                    grouped[target_id].append(other)
        await self.expand(related, subtree)
        single = not field.multiple and _is_unique(source, field.name)
        for record in records:
            items = grouped.get(record.id)
            if not items:
                continue
            assert record.expand is not None
            record.expand[name] = items[0] if single else items

    async def _fetch(
        self, collection: Collection, column: str, ids: list[str], *, multiple: bool = False
    ) -> list[Record]:
        if not ids:
            return []
        try:
            rule = self.access.rule(collection, VIEW_RULE, self.caller)
        except ForbiddenError:
            return []  # superusers only: silently left out
        q = self.dialect.quote
        table = q(collection.table)
        marks = ", ".join("?" for _ in ids)
        if not multiple:
            match = f"{table}.{q(column)} IN ({marks})"
        elif self.dialect.is_postgres:
            match = f"jsonb_exists_any({table}.{q(column)}, ARRAY[{marks}]::text[])"
        else:
            match = (
                f"EXISTS (SELECT 1 FROM json_each({table}.{q(column)}) "
                f"WHERE json_each.value IN ({marks}))"
            )
        condition, params = where(rule)
        order = ""
        if self.dialect.is_postgres and collection.type != "view":
            order = f" ORDER BY {table}.{q('_rowid')}"  # SQLite's natural order
        rows = await self.db.fetch_all(
            f"SELECT {table}.* FROM {table} WHERE {match} AND {condition}{order}",
            (*ids, *params),
        )
        return [Record(collection, row) for row in rows]


def _is_unique(collection: Collection, column: str) -> bool:
    for index in collection.indexes:
        if index.lstrip()[:13].upper() != "CREATE UNIQUE":
            continue
        try:
            if index_parts(index)[2] == [column]:
                return True
        except ValueError:
            continue
    return False
