"""Field definitions: the schema half of a collection's fields, in PocketBase's JSON shape.

A field is its common attributes plus a type-specific option map. Every option key of a type
is always present in the JSON a client sees, as PocketBase does. Value coercion and
validation live in ``core/values.py``.
"""

from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass, field
from typing import Any

# Type-specific options and their defaults (PocketBase 0.40.6, as its API returns them).
FIELD_OPTIONS: dict[str, dict[str, Any]] = {
    "text": {"autogeneratePattern": "", "max": 0, "min": 0, "pattern": "", "primaryKey": False},
    "editor": {"convertURLs": False, "maxSize": 0},
    "number": {"max": None, "min": None, "onlyInt": False},
    "bool": {},
    "email": {"exceptDomains": [], "onlyDomains": []},
    "url": {"exceptDomains": [], "onlyDomains": []},
    "date": {"max": "", "min": ""},
    "autodate": {"onCreate": False, "onUpdate": False},
    "select": {"maxSelect": 0, "values": []},
    "file": {"maxSelect": 0, "maxSize": 0, "mimeTypes": [], "protected": False, "thumbs": []},
    "relation": {"cascadeDelete": False, "collectionId": "", "maxSelect": 0, "minSelect": 0},
    "json": {"maxSize": 0},
    "password": {"cost": 0, "max": 0, "min": 0, "pattern": ""},
    "geoPoint": {},
}

# Types whose JSON has no ``required``/``help`` keys.
_NO_REQUIRED = frozenset({"autodate"})


def field_id(type_: str, name: str) -> str:
    """PocketBase's default field id: the type followed by the crc32 of the name."""
    return f"{type_}{zlib.crc32(name.encode())}"


@dataclass
class Field:
    """One field of a collection."""

    name: str
    type: str
    id: str = ""
    system: bool = False
    hidden: bool = False
    presentable: bool = False
    required: bool = False
    help: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in FIELD_OPTIONS:
            raise ValueError(f"unknown field type {self.type!r}")
        if not self.id:
            self.id = field_id(self.type, self.name)
        merged = copy.deepcopy(FIELD_OPTIONS[self.type])
        merged.update(self.options)
        self.options = merged

    def opt(self, key: str) -> Any:
        return self.options[key]

    @property
    def multiple(self) -> bool:
        """Whether values are lists: select, file and relation with ``maxSelect`` above 1."""
        return self.type in ("select", "file", "relation") and int(self.options["maxSelect"]) > 1

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "hidden": self.hidden,
            "id": self.id,
            "name": self.name,
            "presentable": self.presentable,
            "system": self.system,
            "type": self.type,
        }
        if self.type not in _NO_REQUIRED:
            out["help"] = self.help
            out["required"] = self.required
        out.update(copy.deepcopy(self.options))
        return dict(sorted(out.items()))

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Field:
        common = {"name", "type", "id", "system", "hidden", "presentable", "required", "help"}
        type_ = str(data["type"])
        known = FIELD_OPTIONS.get(type_, {})
        return cls(
            name=str(data["name"]),
            type=type_,
            id=str(data.get("id") or ""),
            system=bool(data.get("system", False)),
            hidden=bool(data.get("hidden", False)),
            presentable=bool(data.get("presentable", False)),
            required=bool(data.get("required", False)),
            help=str(data.get("help") or ""),
            options={k: v for k, v in data.items() if k not in common and k in known},
        )
