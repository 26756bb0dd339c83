"""Records: the row of a collection, who is asking (:class:`Auth`), its public JSON, and
the change feed every write appends to in its transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ferrybase.core.collections import SUPERUSERS, Collection
from ferrybase.core.dates import now_text
from ferrybase.core.ports import Executor, Json
from ferrybase.core.values import to_json

CREATE = "create"
UPDATE = "update"
DELETE = "delete"

CREATE_FAILED = "Failed to create record."
UPDATE_FAILED = "Failed to update record."


class Record:
    """One row of a collection: ``data`` maps every column to its stored value."""

    __slots__ = ("collection", "data", "email_visible", "expand")

    def __init__(self, collection: Collection, data: dict[str, Any]) -> None:
        self.collection = collection
        self.data = data
        # Set when the viewer satisfies the collection's manageRule for this record: the
        # email then shows whatever emailVisibility says, as PocketBase does for managers.
        self.email_visible = False
        # Filled by ``expand``: related records under the relation or back-relation name.
        self.expand: dict[str, Record | list[Record]] | None = None

    @property
    def id(self) -> str:
        return str(self.data["id"])

    def get(self, name: str) -> Any:
        return self.data.get(name)

    def public(self, viewer: Auth) -> dict[str, Any]:
        """The JSON a client sees: hidden fields left out, ``email`` only when visible."""
        collection, data = self.collection, self.data
        out: dict[str, Any] = {}
        for name, field in collection.public_layout(viewer.is_superuser):
            if field is not None:
                out[name] = to_json(field, data.get(name))
            else:
                out[name] = collection.id if name == "collectionId" else collection.name
        if collection.is_auth and not self._email_visible_to(viewer):
            out.pop("email", None)
        if self.expand is not None:
            out["expand"] = {
                name: [r.public(viewer) for r in value]
                if isinstance(value, list)
                else value.public(viewer)
                for name, value in self.expand.items()
            }
            return dict(sorted(out.items()))
        return out

    def stored(self) -> dict[str, Any]:
        """Every column, hidden ones included (for the change feed, never for clients)."""
        return {f.name: to_json(f, self.data.get(f.name)) for f in self.collection.fields}

    def _email_visible_to(self, viewer: Auth) -> bool:
        if self.data.get("emailVisibility") or viewer.is_superuser or self.email_visible:
            return True
        me = viewer.record
        return me is not None and me.collection.id == self.collection.id and me.id == self.id


@dataclass(frozen=True)
class Auth:
    """Who is asking: a guest (``record is None``) or an authenticated auth record."""

    record: Record | None = None

    @property
    def is_superuser(self) -> bool:
        return self.record is not None and self.record.collection.name == SUPERUSERS


GUEST = Auth()


async def append_change(tx: Executor, record: Record, action: str) -> None:
    """Append an event to the change feed, inside the writing transaction (last, in commit
    order: :meth:`~ferrybase.core.ports.Executor.execute_at_commit`)."""
    await tx.execute_at_commit(
        'INSERT INTO "_changes" ("collectionId", "collectionName", "recordId", "action", '
        '"record", "created") VALUES (?, ?, ?, ?, ?, ?)',
        (
            record.collection.id,
            record.collection.name,
            record.id,
            action,
            Json(record.stored()),
            now_text(),
        ),
    )
