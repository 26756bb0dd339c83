"""Field values against the real PocketBase: coercion, validation and output, type by type.

A kitchen-sink collection is created on PocketBase 0.40.6; each input is POSTed alone as
``{field: input}`` and the answer (the stored value on 200, the field's error on 400) is
compared with what ``coerce`` + ``validate`` + ``to_json`` give locally. No Ferrybase server
is involved.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ferrybase.core.fields import Field
from ferrybase.core.values import coerce, to_json, validate
from tests.differential.conftest import SU_EMAIL, SU_PASSWORD
from tests.support.pocketbase import PocketBase

USERS = "_pb_users_auth_"
FIELDS = [
    Field("t", "text"),
    Field("tx", "text", options={"min": 3, "max": 5, "pattern": "^[a-z]+$"}),
    Field("ed", "editor", options={"maxSize": 10}),
    Field("n", "number"),
    Field("nx", "number", options={"min": 1, "max": 10, "onlyInt": True}),
    Field("nf", "number", options={"min": -5.5, "max": 2.25}),
    Field("b", "bool"),
    Field("e", "email"),
    Field("eo", "email", options={"onlyDomains": ["a.com"]}),
    Field("u", "url"),
    Field("uo", "url", options={"onlyDomains": ["a.com"]}),
    Field("d", "date"),
    Field(
        "dx",
        "date",
        options={"min": "2024-01-01 00:00:00.000Z", "max": "2024-12-31 00:00:00.000Z"},
    ),
    Field("s", "select", options={"values": ["a", "b", "c"]}),
    Field("sm", "select", options={"values": ["a", "b", "c", "1", "true"], "maxSelect": 3}),
    Field("j", "json"),
    Field("jx", "json", options={"maxSize": 10}),
    Field("fm", "file", options={"maxSelect": 3}),
    Field("r", "relation", options={"collectionId": USERS}),
    Field("rm", "relation", options={"collectionId": USERS, "minSelect": 2, "maxSelect": 3}),
    Field("pw", "password", options={"min": 3, "max": 5, "pattern": "^[a-z]+$"}),
    Field("g", "geoPoint"),
    Field("tr", "text", required=True),
    Field("nr", "number", required=True),
    Field("br", "bool", required=True),
    Field("jr", "json", required=True),
    Field("gr", "geoPoint", required=True),
]
BY_NAME = {f.name: f for f in FIELDS}

# Required fields are only sent alone with the others left out, so the corpus for them is
# the value under test; the rest of the body stays empty.
CORPUS: dict[str, list[Any]] = {
    "t": [123, 1.5, 1e21, -0.0, True, None, [1], {"a": 1}, " sp ", 12345678901234567890],
    "tx": ["ab", "abcdef", "ABC", "abc", "", "ééé", "abc\n"],
    "ed": ["x" * 10, "x" * 11, "é" * 6, 5, None],
    "n": ["12", "1e3", True, "abc", None, " ", "nan", "inf", " 12", "0x10", "0x1p-2", "1_000",
          "+5", ".5", "1e400", [1], 2.5, 9007199254740993, "true"],
    "nx": [0, 0.5, 11, -1, 10, "0"],
    "nf": [-6, 3, -5.5, 2.25, 2.3],
    "b": ["true", "1", 1, "yes", "True", "tRuE", "t", " true", 2, 0.5, 0, [True], None],
    "e": ["a@b.c", "nope", "a@b", " a@b.c", '"q"@x.com', "a@[1.2.3.4]", "ü@x.com",
          "a..b@c.com", ".a@b.com", "a@-b.com", "a@b_c.com", 1],
    "eo": ["x@a.com", "x@b.com", "x@A.COM", "x@sub.a.com"],
    "u": ["https://example.com", "http://a", "example.com", "//x.com", "http://",
          "https://a b.com", "mailto:a@b.c", "http://localhost:8080/x", "http://[::1]/",
          "HTTPS://EX.COM", "custom://x.com", "a://b", "http://a.b:99999", "https://éx.com",
          "https://x.com/ space"],
    "uo": ["https://a.com", "https://a.com:80/x", "https://b.com", "a.com", "https://x@a.com/"],
    "d": ["2024-05-06", "2024-05-06T07:08:09+02:00", "2024-05-06 07:08:09.123456Z",
          "2024-05-06 07:08:09.1Z", "not a date", 1715000000, "06 May 2024",
          "Mon, 06 May 2024 07:08:09 +0200", "2024-05-06 07:08", "2024-02-30", "7:08AM",
          "Mon Jan 06 07:08:09 +0200 2024", "0001-01-01 00:00:00.000Z", "2024-05-06t07:08:09z"],
    "dx": ["2023-12-31", "2024-06-01", "2025-01-01", "2024-12-31 00:00:00.001Z"],
    "s": ["a", ["a", "b"], ["z", "a"], '["a","b"]', "a,b", "", [], "z", 1, {"x": 1},
          [None, "b"], [["a"]], " a"],
    "sm": ["a", ["b", "a", "b"], ["a", "b", "c", "1"], '["a","b"]', "z", 1, [1, True],
           "[bad", "", ["a", ""], 1.5, [1.0]],
    "j": ["[1,2]", "null", "true", "", "abc", '"q"', "{bad", "12", "01", " [1]", "[1] ",
          {"a": [1, {"b": None}]}, [1, "x"], None, 0, 1.5, "NaN", "[]", "  "],
    "jx": ["[1,2,3,44]", "[1,2,3,444]", {"a": "bbbbb"}, "abcdefgh", "abcdefghi", [1, 2, 3, 4]],
    "fm": ["", None, [], "x.png"],
    "r": ["", None, []],
    "rm": [["x"], ["w", "x", "y", "z"], [], ""],
    "pw": ["ab", "abcdef", "ABC", "abc", 123],
    "g": [{"lon": 1, "lat": 2}, {"lon": 1.5}, {"lat": 91, "lon": 0}, {"lon": 181, "lat": 0},
          {"lon": -180, "lat": -90}, '{"lon":3,"lat":4}', "bad", 5,
          [1, 2], None, {"LON": 7, "Lat": 8}, {"lon": True}, {"lon": 200, "lat": 100}],
}  # fmt: skip
REQUIRED_CORPUS: dict[str, list[Any]] = {
    "tr": ["", " "],
    "nr": [0, -1, "abc"],
    "br": [False, True, "yes"],
    "jr": ["null", '""', "[]", "{}", "  ", 0, False],
    "gr": [{"lon": 0, "lat": 0}, {"lon": 0, "lat": 1}],
}
# Left out: {"lon": "5", "lat": 1}. PocketBase re-encodes the object from a Go map (random
# key order) and decodes until the first bad member, so it stores (0, 0) or (0, 1) at random.
CASES = [(name, value) for name, values in CORPUS.items() for value in values]
REQUIRED_CASES = [(name, value) for name, values in REQUIRED_CORPUS.items() for value in values]
REQUIRED_FILLER = {"tr": "x", "nr": 1, "br": True, "jr": 1, "gr": {"lon": 1, "lat": 1}}


@pytest.fixture(scope="module")
def kitchen(pocketbase: PocketBase) -> Iterator[httpx.Client]:
    client = httpx.Client(base_url=pocketbase.url, timeout=30)
    token = client.post(
        "/api/collections/_superusers/auth-with-password",
        json={"identity": SU_EMAIL, "password": SU_PASSWORD},
    ).json()["token"]
    client.headers["Authorization"] = token
    client.delete("/api/collections/kitchen_values")
    created = client.post(
        "/api/collections",
        json={
            "name": "kitchen_values",
            "type": "base",
            "fields": [f.to_api() for f in FIELDS],
        },
    )
    assert created.status_code == 200, created.text
    yield client
    client.delete("/api/collections/kitchen_values")
    client.close()


def local(field: Field, given: Any) -> tuple[int, Any]:
    value = coerce(field, given)
    error = validate(field, value, known_files=() if field.type == "file" else None)
    if error is not None:
        return 400, error.as_dict()
    return 200, to_json(field, value)


def remote(client: httpx.Client, name: str, body: dict[str, Any]) -> tuple[int, Any]:
    response = client.post("/api/collections/kitchen_values/records", json=body)
    data = response.json()
    if response.status_code == 200:
        return 200, data[name]
    return response.status_code, data["data"].get(name, data)


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values (numbers compared as float64, as both sides print them)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, bool) or isinstance(b, bool):
            return a is b
        return float(a) == float(b) or (math.isnan(float(a)) and math.isnan(float(b)))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


@pytest.mark.parametrize(("name", "given"), CASES, ids=[f"{n}={v!r}"[:60] for n, v in CASES])
def test_value_matches_pocketbase(kitchen: httpx.Client, name: str, given: Any) -> None:
    body = {**REQUIRED_FILLER, name: given}
    expected = remote(kitchen, name, body)
    got = local(BY_NAME[name], given)
    assert got[0] == expected[0] and same(got[1], expected[1]), (got, expected)


@pytest.mark.parametrize(
    ("name", "given"), REQUIRED_CASES, ids=[f"{n}={v!r}" for n, v in REQUIRED_CASES]
)
def test_required_matches_pocketbase(kitchen: httpx.Client, name: str, given: Any) -> None:
    body = {**REQUIRED_FILLER, name: given}
    expected = remote(kitchen, name, body)
    got = local(BY_NAME[name], given)
    assert got[0] == expected[0] and same(got[1], expected[1]), (got, expected)


def test_zero_values_match_pocketbase(kitchen: httpx.Client) -> None:
    response = kitchen.post("/api/collections/kitchen_values/records", json=REQUIRED_FILLER)
    assert response.status_code == 200, response.text
    record = response.json()
    for field in FIELDS:
        if field.name not in REQUIRED_FILLER:
            assert same(to_json(field, None), record[field.name]), field.name
