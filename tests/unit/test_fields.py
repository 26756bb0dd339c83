"""Field definitions: PocketBase 0.40.6's errors for bad fields in a collection create.

Each case was sent to the real PocketBase as ``POST /api/collections`` with a base collection
whose ``fields`` held the field below; PocketBase puts its system ``id`` field first, so the
field under test is ``"1"``.
"""

from __future__ import annotations

from typing import Any

import pytest

from ferrybase.core.collections import id_field
from ferrybase.core.field_checks import check_fields
from ferrybase.core.fields import FIELD_OPTIONS, Field

USERS = "_pb_users_auth_"


def err(code: str, message: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "message": message}
    if params is not None:
        out["params"] = params
    return out


def at_least(n: int) -> dict[str, Any]:
    return err(
        "validation_min_greater_equal_than_required",
        f"Must be no less than {n}.",
        {"threshold": n},
    )


def at_most(n: int) -> dict[str, Any]:
    return err(
        "validation_max_less_equal_than_required",
        f"Must be no greater than {n}.",
        {"threshold": n},
    )


REQUIRED = err("validation_required", "Cannot be blank.")
BAD_PAREN = err("validation_invalid_regex", "Error parsing regexp: missing closing ): `(`.")


def check(*fields: Field) -> dict[str, Any]:
    return check_fields(
        [id_field(), *fields], collection_type="base", existing_collection_ids={USERS}
    )


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (Field("", "text"), {"name": REQUIRED}),
        (
            Field("a b", "text"),
            {"name": err("validation_match_invalid", "Must be in a valid format.")},
        ),
        (Field("null", "text"), {"name": err("validation_not_in_invalid", "Must not be in list.")}),
        (
            Field("expand", "text"),
            {"name": err("validation_not_in_invalid", "Must not be in list.")},
        ),
        (
            Field("x_via_y", "text"),
            {"name": err("validation_found_via", 'The value cannot contain "_via_".')},
        ),
        (
            Field("x" * 101, "text"),
            {
                "name": err(
                    "validation_length_out_of_range",
                    "The length must be between 1 and 100.",
                    {"max": 100, "min": 1},
                )
            },
        ),
        (
            Field("a", "text", id="x" * 101),
            {
                "id": err(
                    "validation_length_out_of_range",
                    "The length must be between 1 and 100.",
                    {"max": 100, "min": 1},
                )
            },
        ),
        (
            Field("a", "text", help="x" * 301),
            {
                "help": err(
                    "validation_length_out_of_range",
                    "The length must be between 1 and 300.",
                    {"max": 300, "min": 1},
                )
            },
        ),
        (Field("a", "select"), {"values": REQUIRED}),
        (
            Field("a", "select", options={"values": ["x"], "maxSelect": 2}),
            {"maxSelect": at_most(1)},
        ),
        (
            Field("a", "select", options={"values": ["x"], "maxSelect": -1}),
            {"maxSelect": at_least(0)},
        ),
        (Field("a", "relation"), {"collectionId": REQUIRED}),
        (
            Field("a", "relation", options={"collectionId": "nope"}),
            {
                "collectionId": err(
                    "validation_field_relation_missing_collection",
                    "The relation collection doesn't exist.",
                )
            },
        ),
        (
            Field("a", "relation", options={"collectionId": "users"}),
            {
                "collectionId": err(
                    "validation_field_relation_missing_collection",
                    "The relation collection doesn't exist.",
                )
            },
        ),
        (
            Field("a", "relation", options={"collectionId": USERS, "minSelect": 3, "maxSelect": 2}),
            {"maxSelect": at_least(3)},
        ),
        (
            Field("a", "relation", options={"collectionId": USERS, "minSelect": 2}),
            {"maxSelect": REQUIRED},
        ),
        (
            Field("a", "relation", options={"collectionId": USERS, "minSelect": -1}),
            {"minSelect": at_least(0)},
        ),
        (
            Field("a", "number", options={"min": 5, "max": 1}),
            {
                "max": err(
                    "validation_min_number_constraint",
                    "Must be greater or equal than 5.",
                    {"min": 5},
                )
            },
        ),
        (
            Field("a", "number", options={"min": 1.5, "onlyInt": True}),
            {"min": err("validation_only_int_constraint", "Decimal numbers are not allowed.")},
        ),
        (Field("a", "text", options={"pattern": "("}), {"pattern": BAD_PAREN}),
        (Field("a", "text", options={"min": 5, "max": 2}), {"max": at_least(5)}),
        (Field("a", "text", options={"min": -1}), {"min": at_least(0)}),
        (Field("a", "text", options={"max": 2**53}), {"max": at_most(2**53 - 1)}),
        (
            Field("a", "text", options={"autogeneratePattern": "("}),
            {"autogeneratePattern": BAD_PAREN},
        ),
        (Field("a", "editor", options={"maxSize": -1}), {"maxSize": at_least(0)}),
        (Field("a", "json", options={"maxSize": -5}), {"maxSize": at_least(0)}),
        (
            Field("a", "email", options={"onlyDomains": ["a.com"], "exceptDomains": ["b.com"]}),
            {
                "exceptDomains": err("validation_empty", "Must be blank."),
                "onlyDomains": err("validation_empty", "Must be blank."),
            },
        ),
        (
            Field("a", "email", options={"onlyDomains": ["not a domain"]}),
            {"onlyDomains": {"0": err("validation_is_domain", "Must be a valid domain.")}},
        ),
        (
            Field("a", "url", options={"exceptDomains": ["-x"]}),
            {"exceptDomains": {"0": err("validation_is_domain", "Must be a valid domain.")}},
        ),
        (
            Field("a", "autodate", options={"onCreate": False, "onUpdate": False}),
            {
                "onCreate": err(
                    "validation_required", "Either onCreate or onUpdate must be enabled."
                ),
                "onUpdate": err(
                    "validation_required", "Either onCreate or onUpdate must be enabled."
                ),
            },
        ),
        (
            Field("a", "file", options={"maxSelect": -1, "thumbs": ["0x0", "bad"]}),
            {
                "maxSelect": at_least(0),
                "thumbs": {
                    "0": err("validation_not_in_invalid", "Must not be in list."),
                    "1": err("validation_match_invalid", "Must be in a valid format."),
                },
            },
        ),
        (
            Field("a", "file", options={"thumbs": ["100x100", "0x50", "10x10t", "10x10z"]}),
            {"thumbs": {"3": err("validation_match_invalid", "Must be in a valid format.")}},
        ),
        (Field("a", "password", options={"min": 80}), {"min": at_most(71)}),
        (
            Field("a", "password", options={"cost": 99, "pattern": "("}),
            {"cost": at_most(31), "pattern": BAD_PAREN},
        ),
        (Field("a", "password", options={"cost": 2}), {"cost": at_least(4)}),
        (
            Field("id", "number"),
            {
                "name": err(
                    "validation_duplicated_field_name",
                    "Duplicated or invalid field name id.",
                    {"fieldName": "id"},
                )
            },
        ),
    ],
)
def test_bad_definitions(field: Field, expected: dict[str, Any]) -> None:
    assert check(field) == {"fields": {"1": expected}}


@pytest.mark.parametrize(
    "field",
    [
        Field("a", "select", options={"values": ["x", "x", ""]}),
        Field("a", "select", options={"values": ["x", "y"], "maxSelect": 0}),
        Field("a", "number", options={"min": 5, "max": 5}),
        Field("a", "date", options={"min": "2025-01-01", "max": "2024-01-01"}),
        Field("a", "text", options={"autogeneratePattern": "[a-z]+"}),
        Field("a", "bool"),
        Field("a", "geoPoint"),
        Field("a", "relation", options={"collectionId": USERS, "maxSelect": 3}),
    ],
)
def test_good_definitions(field: Field) -> None:
    assert check(field) == {}


def test_autogenerate_pattern_that_breaks_the_field() -> None:
    field = Field("a", "text", options={"autogeneratePattern": "[a-z]{3}", "max": 2})
    error = check(field)["fields"]["1"]["autogeneratePattern"]
    assert error["code"] == "validation_invalid_autogenerate_pattern_value"
    assert error["message"].startswith(
        "The provided autogenerate pattern could produce invalid field values, ex.: "
    )


def test_duplicate_names_are_case_insensitive_and_reported_on_the_later_field() -> None:
    result = check(Field("a", "text"), Field("A", "text", id="t2"))
    assert result == {
        "fields": {
            "2": {
                "name": err(
                    "validation_duplicated_field_name",
                    "Duplicated or invalid field name A.",
                    {"fieldName": "A"},
                )
            }
        }
    }


def test_several_fields_report_together() -> None:
    result = check(Field("ok", "text"), Field("", "text", id="t1"), Field("z", "select"))
    assert result == {"fields": {"2": {"name": REQUIRED}, "3": {"values": REQUIRED}}}


def test_primary_key_rules() -> None:
    result = check(Field("a", "text", options={"primaryKey": True}))
    composite = err(
        "validation_unsupported_composite_pk",
        "Composite PKs are not supported and the collection must have only 1 PK.",
    )
    assert result == {
        "fields": {
            "0": {"primaryKey": composite},
            "1": {
                "name": err("validation_in_invalid", 'The primary key must be named "id".'),
                "pattern": REQUIRED,
                "primaryKey": composite,
                "required": REQUIRED,
            },
        }
    }


def test_relation_to_a_view_needs_a_view_collection() -> None:
    field = Field("a", "relation", options={"collectionId": "v1"})
    error = err(
        "validation_relation_field_non_view_base_collection",
        "Only view collections are allowed to have relations to other views.",
    )
    got = check_fields(
        [field], collection_type="base", existing_collection_ids={"v1"}, view_collection_ids={"v1"}
    )
    assert got == {"fields": {"0": {"collectionId": error}}}
    ok = check_fields(
        [field], collection_type="view", existing_collection_ids={"v1"}, view_collection_ids={"v1"}
    )
    assert ok == {}


@pytest.mark.parametrize("type_", sorted(FIELD_OPTIONS))
def test_api_shape_round_trips(type_: str) -> None:
    field = Field("x", type_)
    assert Field.from_api(field.to_api()) == field
    assert set(field.to_api()) >= {"hidden", "id", "name", "presentable", "system", "type"}


@pytest.mark.parametrize("type_", ["select", "file", "relation"])
def test_max_select_defaults_to_zero_as_pocketbase_returns_it(type_: str) -> None:
    field = Field("x", type_)
    assert field.to_api()["maxSelect"] == 0
    assert not field.multiple
