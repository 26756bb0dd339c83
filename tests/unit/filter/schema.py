"""A small schema for the unit tests (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

from ferrybase.filter import AuthInfo, CollectionSpec, FieldSpec, RequestInfo, Schema

USERS = CollectionSpec(
    "_pb_users_auth_",
    "users",
    "auth",
    (
        FieldSpec("email", "email"),
        FieldSpec("emailVisibility", "bool"),
        FieldSpec("verified", "bool"),
        FieldSpec("password", "password", hidden=True),
        FieldSpec("name", "text"),
        FieldSpec("team", "relation", target="teams"),
    ),
    list_rule="",
)
TEAMS = CollectionSpec("teams", "teams", "base", (FieldSpec("name", "text"),), list_rule=None)
POSTS = CollectionSpec(
    "pbc_posts",
    "posts",
    "base",
    (
        FieldSpec("title", "text"),
        FieldSpec("views", "number"),
        FieldSpec("published", "bool"),
        FieldSpec("author", "relation", target="_pb_users_auth_"),
        FieldSpec("tags", "select", multiple=True),
        FieldSpec("editors", "relation", multiple=True, target="_pb_users_auth_"),
        FieldSpec("meta", "json"),
        FieldSpec("loc", "geoPoint"),
        FieldSpec("created", "autodate"),
        FieldSpec("secret", "text", hidden=True),
    ),
    list_rule="",
)
COMMENTS = CollectionSpec(
    "pbc_comments",
    "comments",
    "base",
    (FieldSpec("post", "relation", target="pbc_posts"), FieldSpec("message", "text")),
    list_rule="",
)
SCHEMA = Schema((USERS, TEAMS, POSTS, COMMENTS))
NOW = datetime(2026, 2, 14, 9, 30, 15, 123000, tzinfo=UTC)
REQUEST = RequestInfo(
    auth=AuthInfo({"id": "u1", "email": "u@x.io", "verified": True}, USERS),
    body={"title": "Hi", "tags": ["a", "b"], "views": "12", "author": "u2"},
    query={"page": "2"},
    headers={"x_token": "t"},
    method="POST",
)
