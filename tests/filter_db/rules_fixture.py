"""The rules fixture: the filter fixture plus a ``users`` auth collection, an ``owner``
relation on posts and list rules using ``@request.auth.*``, ``@request.query.*``,
``@request.headers.*``, relations and back-relations, for tests run as a user or a guest.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from ferrybase.filter import CollectionSpec, FieldSpec, Schema
from tests.filter_db.fixture import COMMENTS, PATHS, PEOPLE, POSTS, TEAMS, Dataset, make_dataset

USERS_ID = "_pb_users_auth_"

RULES = {
    "teams": "rank >= 0 || @request.auth.role = 'admin'",
    "people": "active = true || team.rank > 1 && @request.auth.id != ''",
    "posts": (
        "published = true || author.name = @request.auth.name"
        " || @request.query.preview = 'yes' || owner = @request.auth.id"
    ),
    "comments": (
        "score > 1 || post.published = true && @request.headers.x_team != ''"
        " || post.cats.name ?= @request.headers.x_team"
        " || post.comments_via_post.score ?> 2"
    ),
    "users": "id = @request.auth.id || verified = true",
}

USERS = CollectionSpec(
    USERS_ID,
    "users",
    "auth",
    (
        FieldSpec("password", "password", hidden=True),
        FieldSpec("tokenKey", "text", hidden=True),
        FieldSpec("email", "email"),
        FieldSpec("emailVisibility", "bool"),
        FieldSpec("verified", "bool"),
        FieldSpec("name", "text"),
        FieldSpec("role", "text"),
        FieldSpec("team", "relation", target="teams"),
    ),
    RULES["users"],
)
R_TEAMS = replace(TEAMS, list_rule=RULES["teams"])
R_PEOPLE = replace(PEOPLE, list_rule=RULES["people"])
R_POSTS = replace(
    POSTS,
    fields=(*POSTS.fields, FieldSpec("owner", "relation", target=USERS_ID)),
    list_rule=RULES["posts"],
)
R_COMMENTS = replace(COMMENTS, list_rule=RULES["comments"])
R_COLLECTIONS = (R_TEAMS, R_PEOPLE, USERS, R_POSTS, R_COMMENTS)
R_SCHEMA = Schema(R_COLLECTIONS)

USER_FIELDS = ("email", "emailVisibility", "verified", "name", "role", "team")
ME = {
    "email": "me@example.com",
    "password": "me-pass-12345",
    "name": "Alpha",
    "role": "member",
    "emailVisibility": False,
}

R_PATHS: dict[str, list[tuple[str, str]]] = {
    **PATHS,
    "posts": [
        *PATHS["posts"],
        ("owner", "id"),
        ("owner.name", "text"),
        ("owner.role", "text"),
        ("owner.email", "text"),
        ("owner.team.name", "text"),
        ("author.team.rank", "number"),
        ("comments_via_post.post.title", "text"),
    ],
    "comments": [*PATHS["comments"], ("post.cats.name", "text"), ("post.owner.name", "text")],
    "users": [
        ("name", "text"),
        ("role", "text"),
        ("email", "text"),
        ("verified", "bool"),
        ("team.name", "text"),
        ("team.rank", "number"),
        ("posts_via_owner.views", "number"),
        ("posts_via_owner.title", "text"),
        ("id", "id"),
    ],
}

SORTS: dict[str, list[str]] = {
    "posts": ["title", "-author.name", "owner.name", "cats.name", "-comments_via_post.score"],
    "people": ["name", "-team.name", "posts_via_author.title"],
    "comments": ["-score", "post.title", "likes.name", "post.owner.role"],
    "users": ["name", "-team.rank", "posts_via_owner.views"],
    "teams": ["rank"],
}


def make_rules_dataset(seed: int = 7) -> Dataset:
    """The filter fixture's data plus users (ids fixed here; the signed-up user is added by
    the test) and an ``owner`` on every post."""
    data = make_dataset(seed)
    rng = random.Random(seed + 1)
    teams = [t["id"] for t in data.rows["teams"]]
    users: list[dict[str, Any]] = []
    for i, name in enumerate(["Alpha", "b", "", "500", "alpha beta", "Ünïcode"]):
        users.append(
            {
                "id": f"user{i:011d}",
                "email": f"u{i}@example.com",
                "emailVisibility": i % 2 == 0,
                "verified": i % 3 != 0,
                "name": name,
                "role": rng.choice(["admin", "member", ""]),
                "team": rng.choice(["", *teams]),
            }
        )
    for post in data.rows["posts"]:
        post["owner"] = rng.choice(["", *(u["id"] for u in users)])
    data.rows["users"] = users
    return data
