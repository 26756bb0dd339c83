"""Rate limiting: the same rules and request sequences give PocketBase's answers, 429s included.

Each scenario saves its rules (which starts fresh windows on both servers), sends its requests
in order and compares every status and every 429 body. Rules use windows of several seconds,
far longer than a scenario takes. Rate limiting is switched off again at the end, since both
servers are shared with the other differential tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.differential import Req, Side, connect
from tests.support.pocketbase import PocketBase
from tests.support.servers import Server

ITEMS = "rl_items"
RECORDS = f"/api/collections/{ITEMS}/records"
USER = ("rl-user@example.com", "rl-user-password")
AUTH = "/api/collections/users/auth-with-password"
WRONG = {"identity": USER[0], "password": "wrong-password"}


def rule(label: str, max_requests: int, audience: str = "", duration: int = 30) -> dict[str, Any]:
    return {"label": label, "audience": audience, "duration": duration, "maxRequests": max_requests}


def get(path: str, actor: str = "guest", forwarded: str = "") -> Req:
    headers = (("X-Forwarded-For", forwarded),) if forwarded else ()
    return Req("GET", path, actor=actor, headers=headers)


def limits(
    rules: list[dict[str, Any]],
    excluded: list[str] | None = None,
    proxy: list[str] | None = None,
    leftmost: bool = False,
) -> dict[str, Any]:
    return {
        "rateLimits": {"enabled": True, "rules": rules, "excludedIPs": excluded or []},
        "trustedProxy": {"headers": proxy or [], "useLeftmostIP": leftmost},
    }


# (id, rules, requests); every scenario's rules differ from the others'.
RULE_SCENARIOS: list[tuple[str, list[dict[str, Any]], list[Req]]] = [
    ("exact path", [rule("/api/health", 2)], [get("/api/health")] * 3),
    (
        "path prefix shared by every path",
        [rule("/api/", 3)],
        [get("/api/health"), get("/api/settings"), get("/api/health"), get("/api/settings")],
    ),
    ("no slash, not a prefix", [rule("/api", 1)], [get("/api/health")] * 3),
    (
        "method label before path label",
        [rule("/api/health", 3, duration=31), rule("GET /api/health", 1)],
        [get("/api/health")] * 2,
    ),
    (
        "unknown routes count under the prefix",
        [rule("/api/", 2, duration=32)],
        [get("/api/nope"), get("/api/health"), get("/api/health")],
    ),
    (
        "create tag, per collection",
        [rule("*:create", 1), rule("/api/", 50, duration=33)],
        [Req("POST", RECORDS, {}, actor="guest")] * 2 + [get(RECORDS)] * 3,
    ),
    (
        "collection tag before wildcard tag",
        [rule("*:list", 1), rule(f"{ITEMS}:list", 2)],
        [get(RECORDS)] * 3,
    ),
    (
        "view tag",
        [rule("*:view", 1, duration=34)],
        [get(RECORDS + "/rlrecord0000001")] * 2 + [get(RECORDS)] * 2,
    ),
    (
        "unknown collection is not counted",
        [rule("*:list", 1, duration=35), rule("/api/", 2, duration=35)],
        [get("/api/collections/rl_nope/records")] * 3,
    ),
    (
        "auth tag",
        [rule("*:auth", 2)],
        [Req("POST", AUTH, WRONG, actor="guest")] * 3
        + [Req("POST", "/api/collections/users/auth-refresh", actor="user")] * 3,
    ),
    (
        "auth-with-password tag",
        [rule("users:authWithPassword", 1)],
        [Req("POST", AUTH, WRONG, actor="guest")] * 2,
    ),
    (
        "guest audience",
        [rule("*:list", 1, "@guest")],
        [get(RECORDS)] * 2 + [get(RECORDS, "user")] * 2,
    ),
    (
        "auth audience falls through for guests",
        [rule("*:list", 1, "@auth"), rule("/api/", 2, duration=36)],
        [get(RECORDS, "user")] * 2 + [get(RECORDS)] * 3,
    ),
    (
        "superusers are not limited",
        [rule("/api/", 1, duration=37)],
        [get("/api/settings", "superuser")] * 3,
    ),
]


XFF = "X-Forwarded-For"
SCENARIOS: list[tuple[str, dict[str, Any], list[Req]]] = [
    (name, limits(rules), requests) for name, rules, requests in RULE_SCENARIOS
] + [
    (
        "excluded address not limited",
        limits([rule("/api/health", 1, duration=40)], excluded=["127.0.0.1"]),
        [get("/api/health")] * 3,
    ),
    (
        "excluded subnet not limited",
        limits([rule("/api/health", 1, duration=41)], excluded=["127.0.0.0/8"]),
        [get("/api/health")] * 3,
    ),
    (
        "other excluded address",
        limits([rule("/api/health", 1, duration=42)], excluded=["10.0.0.1", "::1"]),
        [get("/api/health")] * 2,
    ),
    (
        "trusted proxy header, rightmost address",
        limits([rule("/api/health", 1, duration=43)], proxy=[XFF]),
        [get("/api/health", forwarded=ip) for ip in ("9.9.9.9, 1.1.1.1", "1.1.1.1", "2.2.2.2")],
    ),
    (
        "trusted proxy header, leftmost address",
        limits([rule("/api/health", 1, duration=44)], proxy=[XFF], leftmost=True),
        [get("/api/health", forwarded=ip) for ip in ("3.3.3.3, 1.1.1.1", "3.3.3.3", "1.1.1.1")],
    ),
    (
        "excluded forwarded address not limited",
        limits([rule("/api/health", 1, duration=45)], excluded=["5.5.5.5"], proxy=[XFF]),
        [get("/api/health", forwarded="5.5.5.5")] * 3,
    ),
    (
        "untrusted header ignored",
        limits([rule("/api/health", 1, duration=46)]),
        [get("/api/health", forwarded=ip) for ip in ("6.6.6.6", "7.7.7.7")],
    ),
]


@pytest.fixture(scope="module")
def sides(pocketbase: PocketBase, ferrybase: Server) -> Iterator[tuple[Side, Side]]:
    pair = (connect("pocketbase", pocketbase.url), connect("ferrybase", ferrybase.url))
    collection = {
        "name": ITEMS,
        "fields": [{"name": "title", "type": "text"}],
        "listRule": "",
        "viewRule": "",
        "createRule": "",
    }
    user = {"email": USER[0], "password": USER[1], "passwordConfirm": USER[1]}
    user_ids: dict[str, str] = {}
    try:
        for side in pair:
            side.must(Req("POST", "/api/collections", collection))
            side.must(Req("POST", RECORDS, {"id": "rlrecord0000001"}))
            user_ids[side.name] = side.must(Req("POST", "/api/collections/users/records", user))[
                "id"
            ]
            side.sign_in("user", "users", *USER)
        yield pair
    finally:
        for side in pair:
            off = {"rateLimits": {"enabled": False}, "trustedProxy": {"headers": []}}
            side.send(Req("PATCH", "/api/settings", off))
            side.send(Req("DELETE", f"/api/collections/users/records/{user_ids.get(side.name)}"))
            side.send(Req("DELETE", f"/api/collections/{ITEMS}"))
            side.client.close()


@pytest.mark.parametrize(("name", "settings", "requests"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_same_answers(
    sides: tuple[Side, Side], name: str, settings: dict[str, Any], requests: list[Req]
) -> None:
    answers: dict[str, list[tuple[int, Any]]] = {}
    for side in sides:
        side.must(Req("PATCH", "/api/settings", settings))
        answers[side.name] = [
            (status, body if status == 429 else None)
            for status, body in (side.answer(req) for req in requests)
        ]
    assert answers["ferrybase"] == answers["pocketbase"]
    limited = any(status == 429 for status, _ in answers["pocketbase"])
    assert limited is ("not " not in name)  # the scenario shows what it is meant to show


def test_any_settings_save_starts_fresh_windows(sides: tuple[Side, Side]) -> None:
    answers: dict[str, list[int]] = {}
    for side in sides:
        side.must(Req("PATCH", "/api/settings", limits([rule("/api/health", 1, duration=47)])))
        statuses = [side.answer(get("/api/health"))[0] for _ in range(2)]
        side.must(Req("PATCH", "/api/settings", {"meta": {"appName": f"Renamed {side.name}"}}))
        statuses += [side.answer(get("/api/health"))[0] for _ in range(2)]
        side.must(Req("PATCH", "/api/settings", {"meta": {"appName": "Acme"}}))
        answers[side.name] = statuses
    assert answers["ferrybase"] == answers["pocketbase"] == [200, 429, 200, 429]
