"""Collections: the model, its JSON shape, and the system collections Ferrybase ships.

A collection is a real table (named after the collection, a column per field) plus one row in
``_collections`` holding its definition. This module only knows the definition; the DDL is
the store's business (``store/schema.py``).
"""

from __future__ import annotations

import copy
import json
import secrets
import string
import zlib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from ferrybase.core.auth_options import AUTH_OPTION_DEFAULTS, TOKEN_OPTIONS
from ferrybase.core.fields import Field

BASE = "base"
AUTH = "auth"
VIEW = "view"

RULES = ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")
AUTH_RULES = ("authRule", "manageRule")

SUPERUSERS = "_superusers"

_ALNUM = string.ascii_letters + string.digits


_Layout = tuple[tuple[str, Field | None], ...]
_Layouts = tuple[list[Field], _Layout, _Layout]
_SECRET_FIELDS = frozenset({"tokenKey"})


def _layout(fields: list[Field], superuser: bool) -> _Layout:
    shown: list[tuple[str, Field | None]] = [("collectionId", None), ("collectionName", None)]
    for f in fields:
        # Superusers see hidden fields, except an auth record's password and tokenKey.
        if f.hidden and (not superuser or f.name in _SECRET_FIELDS or f.type == "password"):
            continue
        shown.append((f.name, f))
    return tuple(sorted(shown, key=lambda item: item[0]))


def collection_id(type_: str, name: str) -> str:
    """PocketBase's default collection id: ``pbc_`` and the crc32 of type and name."""
    return f"pbc_{zlib.crc32((type_ + name).encode())}"


def random_secret(length: int = 50) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


@dataclass
class Collection:
    """One collection's definition, as stored in ``_collections``."""

    name: str
    type: str = BASE
    id: str = ""
    system: bool = False
    fields: list[Field] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    rules: dict[str, str | None] = field(default_factory=dict)
    # Type-specific options: for auth collections everything in AUTH_OPTION_DEFAULTS, with
    # each token option's ``secret``; for view collections ``viewQuery``.
    options: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    updated: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = collection_id(self.type, self.name)
        if self.is_auth:
            self.rules.setdefault("authRule", "")  # anyone may sign in, by default
        for rule in RULES + (AUTH_RULES if self.is_auth else ()):
            self.rules.setdefault(rule, None)
        if self.is_auth:
            merged = copy.deepcopy(AUTH_OPTION_DEFAULTS)
            for key, value in self.options.items():
                if isinstance(value, dict) and isinstance(merged.get(key), dict):
                    merged[key].update(value)
                else:
                    merged[key] = value
            for token in TOKEN_OPTIONS:
                if not merged[token].get("secret"):
                    merged[token]["secret"] = random_secret()
            self.options = merged
        self._by_name = {f.name: f for f in self.fields}
        self._layouts: _Layouts | None = None

    @property
    def is_auth(self) -> bool:
        return self.type == AUTH

    @property
    def table(self) -> str:
        return self.name

    def field(self, name: str) -> Field | None:
        return self._by_name.get(name)

    def public_layout(self, superuser: bool) -> tuple[tuple[str, Field | None], ...]:
        """The keys of a record's JSON in order (sorted, as PocketBase writes them) with their
        fields (``None`` for ``collectionId`` and ``collectionName``), hidden fields left out:
        all of them for others, passwords and secrets for superusers. Worked out once per
        list of fields."""
        cached = self._layouts
        if cached is None or cached[0] is not self.fields:
            cached = (self.fields, _layout(self.fields, False), _layout(self.fields, True))
            self._layouts = cached
        return cached[2] if superuser else cached[1]

    def token_secret(self, kind: str) -> str:
        """The signing secret of a token kind (``authToken``, ``fileToken``, ...)."""
        return str(self.options[kind]["secret"])

    def token_duration(self, kind: str) -> int:
        return int(self.options[kind]["duration"])

    def to_api(self) -> dict[str, Any]:
        """The JSON PocketBase returns for a collection (secrets left out)."""
        out: dict[str, Any] = {"id": self.id}
        for rule in RULES:
            out[rule] = self.rules[rule]
        out.update(
            name=self.name,
            type=self.type,
            fields=[f.to_api() for f in self.fields],
            indexes=list(self.indexes),
            created=self.created,
            updated=self.updated,
            system=self.system,
        )
        if self.is_auth:
            for rule in AUTH_RULES:
                out[rule] = self.rules[rule]
            for key, value in self.options.items():
                if key in TOKEN_OPTIONS:
                    out[key] = _without_secret(value)
                elif key == "oauth2":
                    out[key] = public_oauth2(value)
                else:
                    out[key] = copy.deepcopy(value)
        elif self.type == VIEW:
            out["viewQuery"] = self.options.get("viewQuery", "")
        return out

    def to_row(self) -> dict[str, Any]:
        """The ``_collections`` row (fields, indexes and options as JSON-able values)."""
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "system": self.system,
            "fields": [f.to_api() for f in self.fields],
            "indexes": list(self.indexes),
            "rules": dict(self.rules),
            "options": copy.deepcopy(self.options),
            "created": self.created,
            "updated": self.updated,
        }

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Collection:
        """A collection from PocketBase's JSON (what clients send and what it exports)."""
        type_ = str(data.get("type") or BASE)
        rule_names = RULES + (AUTH_RULES if type_ == AUTH else ())
        reserved = {"id", "name", "type", "system", "fields", "indexes", "created", "updated"}
        options = {
            k: copy.deepcopy(v)
            for k, v in data.items()
            if k not in reserved and k not in rule_names and k not in RULES + AUTH_RULES
        }
        if type_ != AUTH:
            options = {k: v for k, v in options.items() if k == "viewQuery" and type_ == VIEW}
        else:
            options = {k: v for k, v in options.items() if k in AUTH_OPTION_DEFAULTS}
        return cls(
            id=str(data.get("id") or ""),
            name=str(data.get("name") or ""),
            type=type_,
            system=bool(data.get("system", False)),
            fields=[Field.from_api(f) for f in data.get("fields") or []],
            indexes=[str(i) for i in data.get("indexes") or []],
            rules={r: data[r] for r in rule_names if r in data},
            options=options,
            created=str(data.get("created") or ""),
            updated=str(data.get("updated") or ""),
        )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Collection:
        return cls(
            id=row["id"],
            name=row["name"],
            type=row["type"],
            system=bool(row["system"]),
            fields=[Field.from_api(f) for f in row["fields"]],
            indexes=list(row["indexes"]),
            rules=dict(row["rules"]),
            options=dict(row["options"]),
            created=row["created"],
            updated=row["updated"],
        )


def _without_secret(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k != "secret"}


# An OAuth2 provider entry as PocketBase outputs it: these keys in this order, no clientSecret.
_PROVIDER_DEFAULTS: dict[str, Any] = {
    "pkce": None,
    "name": "",
    "clientId": "",
    "authURL": "",
    "tokenURL": "",
    "userInfoURL": "",
    "displayName": "",
    "extra": {},
}


def public_oauth2(options: dict[str, Any]) -> dict[str, Any]:
    """The ``oauth2`` options for the collections API: providers' client secrets left out."""
    out = copy.deepcopy(options)
    providers = out.get("providers")
    if isinstance(providers, list):
        out["providers"] = [
            {k: v if p.get(k) is None else p[k] for k, v in _PROVIDER_DEFAULTS.items()}
            if isinstance(p, dict)
            else p
            for p in providers
        ]
    return out


def keep_client_secrets(options: dict[str, Any], previous: dict[str, Any]) -> None:
    """A provider sent back without ``clientSecret`` (as the collections API shows it) keeps
    the secret it had; providers are matched by name."""
    old = {
        p.get("name"): p.get("clientSecret")
        for p in (previous.get("oauth2") or {}).get("providers") or []
        if isinstance(p, dict)
    }
    for provider in (options.get("oauth2") or {}).get("providers") or []:
        if isinstance(provider, dict) and not provider.get("clientSecret"):
            secret = old.get(provider.get("name"))
            if secret:
                provider["clientSecret"] = secret


def auth_system_fields() -> list[Field]:
    """The fields every auth collection has, in PocketBase's order."""
    return [
        id_field(),
        Field("password", "password", system=True, hidden=True, required=True, options={"min": 8}),
        Field(
            "tokenKey",
            "text",
            system=True,
            hidden=True,
            required=True,
            options={"autogeneratePattern": "[a-zA-Z0-9]{50}", "max": 60, "min": 30},
        ),
        Field("email", "email", system=True, required=True),
        Field("emailVisibility", "bool", system=True),
        Field("verified", "bool", system=True),
    ]


def id_field() -> Field:
    return Field(
        "id",
        "text",
        system=True,
        required=True,
        options={
            "autogeneratePattern": "[a-z0-9]{15}",
            "max": 15,
            "min": 15,
            "pattern": "^[a-z0-9]+$",
            "primaryKey": True,
        },
    )


def auth_indexes(collection_id_: str, table: str) -> list[str]:
    return [
        f"CREATE UNIQUE INDEX `idx_tokenKey_{collection_id_}` ON `{table}` (`tokenKey`)",
        f"CREATE UNIQUE INDEX `idx_email_{collection_id_}` ON `{table}` (`email`) "
        "WHERE `email` != ''",
    ]


def system_collections() -> list[Collection]:
    """The collections of a fresh instance, as PocketBase 0.40.6 creates them.

    ``_superusers``, the default ``users`` collection (id ``_pb_users_auth_``) and the auth
    bookkeeping collections ``_mfas``, ``_otps``, ``_externalAuths`` and ``_authOrigins``.
    Their definitions are PocketBase's own JSON, kept in ``system_collections.json``.
    """
    raw = resources.files("ferrybase.core").joinpath("system_collections.json").read_text()
    return [Collection.from_api(data) for data in json.loads(raw)]


def superusers_collection() -> Collection:
    """The ``_superusers`` system collection (id ``pbc_3142635823``, as the JS SDK expects)."""
    return next(c for c in system_collections() if c.name == SUPERUSERS)
