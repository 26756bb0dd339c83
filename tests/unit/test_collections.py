"""Collection and field JSON in PocketBase's shape, checked against the real PocketBase."""

from __future__ import annotations

import json
from pathlib import Path

from ferrybase.core.collections import collection_id, superusers_collection
from ferrybase.core.fields import Field, field_id

FIXTURES = Path(__file__).parent.parent / "fixtures" / "pocketbase"


def test_ids_follow_pocketbase() -> None:
    assert collection_id("auth", "_superusers") == "pbc_3142635823"
    assert collection_id("base", "posts") == "pbc_1125843985"
    assert field_id("text", "id") == "text3208210256"
    assert field_id("autodate", "created") == "autodate2990389176"


def test_superusers_collection_matches_pocketbase() -> None:
    """The JSON PocketBase 0.40.6 returns for ``GET /api/collections/_superusers``."""
    expected = json.loads((FIXTURES / "superusers_collection.json").read_text())
    ours = superusers_collection().to_api()
    for key in ("created", "updated"):
        ours.pop(key)
        expected.pop(key)
    assert ours == expected
    assert list(ours) == list(expected)  # and in the same key order


def test_secrets_are_generated_and_never_exported() -> None:
    a, b = superusers_collection(), superusers_collection()
    assert len(a.token_secret("authToken")) == 50
    assert a.token_secret("authToken") != b.token_secret("authToken")
    assert "secret" not in json.dumps(a.to_api())


def test_field_round_trip() -> None:
    field = Field("views", "number", options={"min": 0, "onlyInt": True})
    assert field.to_api() == {
        "help": "",
        "hidden": False,
        "id": "number300981383",
        "max": None,
        "min": 0,
        "name": "views",
        "onlyInt": True,
        "presentable": False,
        "required": False,
        "system": False,
        "type": "number",
    }
    assert Field.from_api(field.to_api()) == field


def test_system_collections_match_pocketbase() -> None:
    from ferrybase.core.collections import system_collections

    by_name = {c.name: c for c in system_collections()}
    assert sorted(by_name) == sorted(
        ["_superusers", "users", "_mfas", "_otps", "_externalAuths", "_authOrigins"]
    )
    assert by_name["users"].id == "_pb_users_auth_"
    for name in ("users", "_mfas", "_otps", "_externalAuths", "_authOrigins"):
        expected = json.loads((FIXTURES / f"collection_{name}.json").read_text())
        ours = by_name[name].to_api()
        for key in ("created", "updated"):
            ours.pop(key)
            expected.pop(key)
        assert ours == expected, name
