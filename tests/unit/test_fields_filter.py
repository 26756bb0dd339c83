"""The ``?fields=`` response filter and ``:excerpt``."""

from __future__ import annotations

from typing import Any

import pytest

from ferrybase.core.picker import apply_fields, excerpt
from ferrybase.errors import BadRequestError

RECORD = {
    "id": "abc",
    "title": "Hello",
    "body": "<p>Lorem <b>ipsum</b> dolor sit amet</p>",
    "expand": {"author": {"id": "u1", "name": "Ann", "email": "a@b.c"}},
}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("id", {"id": "abc"}),
        ("id,title", {"id": "abc", "title": "Hello"}),
        (" id , nope ", {"id": "abc"}),
        ("nope", {}),
        ("body:excerpt(11,true)", {"body": "Lorem ipsum..."}),
        ("body:excerpt(11)", {"body": "Lorem ipsum"}),
        ("body:excerpt(100,true)", {"body": "Lorem ipsum dolor sit amet"}),
        ("expand.author.name", {"expand": {"author": {"name": "Ann"}}}),
        (
            "*,expand.author.email",
            {**RECORD, "expand": {"author": {"email": "a@b.c"}}},
        ),
        ("expand.author.*", {"expand": RECORD["expand"]}),
    ],
)
def test_apply_fields(fields: str, expected: dict[str, Any]) -> None:
    assert apply_fields(RECORD, fields) == expected


def test_list_envelope_filters_each_item() -> None:
    envelope = {
        "items": [RECORD, RECORD],
        "page": 1,
        "perPage": 30,
        "totalItems": 2,
        "totalPages": 1,
    }
    assert apply_fields(envelope, "id") == {**envelope, "items": [{"id": "abc"}, {"id": "abc"}]}
    assert apply_fields(envelope, "items.id")["items"] == [{}, {}]  # as PocketBase does


@pytest.mark.parametrize("fields", ["title:lower", "title:excerpt(x)", "expand:excerpt(2).name"])
def test_unknown_modifiers_are_400(fields: str) -> None:
    with pytest.raises(BadRequestError):
        apply_fields(RECORD, fields)


def test_excerpt() -> None:
    assert excerpt("a &amp; b", 10, False) == "a & b"
    assert excerpt("<p>one</p>\n\n<p>two</p>", 20, True) == "one two"
    assert excerpt("abcdef", 3, True) == "abc..."
