"""The compile cache: a hot rule or filter is compiled once per distinct set of request
values it reads; a different caller gets its own parameters, never another caller's."""

from __future__ import annotations

from datetime import UTC, datetime

from ferrybase.filter import (
    SQLITE,
    AuthInfo,
    CollectionSpec,
    FieldSpec,
    RequestInfo,
    Schema,
    compile_cache_clear,
    compile_filter,
)

USERS = CollectionSpec("_pb_users_auth_", "users", "auth", (FieldSpec("name", "text"),), "")
POSTS = CollectionSpec(
    "pbc_posts",
    "posts",
    "base",
    (
        FieldSpec("title", "text"),
        FieldSpec("author", "relation", target="_pb_users_auth_"),
        FieldSpec("created", "date"),
    ),
    "",
)
SCHEMA = Schema((USERS, POSTS))
RULE = "author = @request.auth.id || title = @request.query.preview"


def as_user(user_id: str, **query: str) -> RequestInfo:
    return RequestInfo(auth=AuthInfo({"id": user_id}, USERS), query=query)


def test_each_caller_gets_its_own_parameters() -> None:
    compile_cache_clear()
    a = compile_filter(RULE, POSTS, SCHEMA, as_user("aaa"), rule=True)
    b = compile_filter(RULE, POSTS, SCHEMA, as_user("bbb"), rule=True)
    assert "aaa" in a.params and "bbb" not in a.params
    assert "bbb" in b.params and "aaa" not in b.params
    again = compile_filter(RULE, POSTS, SCHEMA, as_user("aaa"), rule=True)
    assert again == a


def test_values_the_text_does_not_read_do_not_matter() -> None:
    compile_cache_clear()
    first = compile_filter(RULE, POSTS, SCHEMA, as_user("aaa", page="1"), rule=True)
    second = compile_filter(RULE, POSTS, SCHEMA, as_user("aaa", page="2"), rule=True)
    assert second is first


def test_a_guest_and_an_empty_value_compile_afresh() -> None:
    compile_cache_clear()
    user = compile_filter(RULE, POSTS, SCHEMA, as_user("aaa", preview="x"), rule=True)
    guest = compile_filter(RULE, POSTS, SCHEMA, RequestInfo(query={"preview": ""}), rule=True)
    fresh = compile_filter(RULE, POSTS, SCHEMA, RequestInfo(query={"preview": ""}), rule=True)
    compile_cache_clear()
    uncached = compile_filter(RULE, POSTS, SCHEMA, RequestInfo(query={"preview": ""}), rule=True)
    assert guest == fresh == uncached
    assert guest.sql != user.sql


def test_datetime_macros_follow_the_clock() -> None:
    compile_cache_clear()
    t1 = datetime(2026, 1, 1, tzinfo=UTC)
    t2 = datetime(2026, 6, 1, tzinfo=UTC)
    one = compile_filter("created > @now", POSTS, SCHEMA, dialect=SQLITE, now=t1)
    two = compile_filter("created > @now", POSTS, SCHEMA, dialect=SQLITE, now=t2)
    assert one.params != two.params
    assert compile_filter("created > @now", POSTS, SCHEMA, now=t1) == one
