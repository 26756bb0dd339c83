"""Rule lookup, labels, client addresses and routes of the rate limiter (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from ferrybase.api.rate_limits import collection_route
from ferrybase.core.rate_limits import (
    AUTH_AUDIENCES,
    GUEST_AUDIENCES,
    RateLimitConfig,
    collection_labels,
    ip_in_list,
    rate_limit_errors,
)
from ferrybase.errors import FieldError


def config(*rules: tuple[str, str], **section: Any) -> RateLimitConfig:
    listed = [
        {"label": label, "audience": aud, "duration": 1, "maxRequests": 1} for label, aud in rules
    ]
    return RateLimitConfig.from_settings(
        {"rateLimits": {"enabled": True, "rules": listed, **section}}
    )


POST_CREATE = collection_labels("posts", ["create"], "POST", "/api/collections/posts/records")


def test_collection_labels_in_pocketbase_order() -> None:
    assert collection_labels("users", ["authWithPassword", "auth"], "POST", "/p") == [
        "users:authWithPassword",
        "users:auth",
        "*:authWithPassword",
        "*:auth",
        "POST /p",
        "/p",
    ]


@pytest.mark.parametrize(
    ("rules", "labels", "audiences", "expected"),
    [
        ([("/api/", ""), ("*:create", "")], POST_CREATE, GUEST_AUDIENCES, "*:create"),
        ([("*:create", ""), ("posts:create", "")], POST_CREATE, GUEST_AUDIENCES, "posts:create"),
        ([("/api/", "")], POST_CREATE, GUEST_AUDIENCES, "/api/"),
        ([("/api/", ""), ("/api/collections/", "")], POST_CREATE, GUEST_AUDIENCES, "/api/"),
        ([("POST /api/", ""), ("/api/", "")], POST_CREATE, GUEST_AUDIENCES, "POST /api/"),
        ([("/api", "")], POST_CREATE, GUEST_AUDIENCES, None),
        (
            [("/api/collections/posts/records", "")],
            POST_CREATE,
            GUEST_AUDIENCES,
            "/api/collections/posts/records",
        ),
        (
            [("/api/collections/posts/records/", "")],
            POST_CREATE,
            GUEST_AUDIENCES,
            "/api/collections/posts/records/",
        ),
        ([("*:create", "@auth"), ("/api/", "")], POST_CREATE, GUEST_AUDIENCES, "/api/"),
        ([("*:create", "@auth"), ("/api/", "")], POST_CREATE, AUTH_AUDIENCES, "*:create"),
        ([("*:create", "@guest")], POST_CREATE, AUTH_AUDIENCES, None),
        ([("*:list", "")], POST_CREATE, GUEST_AUDIENCES, None),
    ],
)
def test_find_rule(
    rules: list[tuple[str, str]],
    labels: list[str],
    audiences: tuple[str, ...],
    expected: str | None,
) -> None:
    rule = config(*rules).find_rule(labels, audiences)
    assert (rule.label if rule else None) == expected


@pytest.mark.parametrize(
    ("excluded", "ip", "expected"),
    [
        (["10.0.0.0/8"], "10.2.3.4", True),
        (["10.0.0.1/8"], "10.2.3.4", True),  # host bits set: still the subnet, as netip's
        (["10.0.0.0/8"], "11.0.0.1", False),
        (["127.0.0.1"], "127.0.0.1", True),
        (["::1"], "0:0:0:0:0:0:0:1", True),
        (["nonsense", "127.0.0.1"], "127.0.0.1", True),
        ([], "127.0.0.1", False),
        (["127.0.0.1"], "", False),
    ],
)
def test_excluded_ips(excluded: list[str], ip: str, expected: bool) -> None:
    assert config(excludedIPs=excluded).is_excluded(ip) is expected
    assert ip_in_list(excluded, ip) is expected  # superuserIPs: the same matching


@pytest.mark.parametrize(
    ("headers", "leftmost", "expected"),
    [
        ({}, False, "7.7.7.7"),
        ({"x-real-ip": ["1.1.1.1"]}, False, "1.1.1.1"),
        ({"x-forwarded-for": ["1.1.1.1, 2.2.2.2"]}, False, "2.2.2.2"),
        ({"x-forwarded-for": ["1.1.1.1, 2.2.2.2"]}, True, "1.1.1.1"),
        ({"x-forwarded-for": ["1.1.1.1, junk"]}, False, "1.1.1.1"),
        ({"x-forwarded-for": ["3.3.3.3", "1.1.1.1"]}, False, "1.1.1.1"),  # the last header
        ({"x-forwarded-for": ["::1"]}, False, "0000:0000:0000:0000:0000:0000:0000:0001"),
        ({"x-forwarded-for": [""]}, False, "7.7.7.7"),
    ],
)
def test_client_ip(headers: dict[str, list[str]], leftmost: bool, expected: str) -> None:
    settings = {
        "rateLimits": {},
        "trustedProxy": {"headers": ["X-Real-IP", "X-Forwarded-For"], "useLeftmostIP": leftmost},
    }
    found = RateLimitConfig.from_settings(settings).client_ip(
        lambda name: headers.get(name.lower(), []), "7.7.7.7"
    )
    assert found == expected


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/api/collections/posts/records", ("posts", "GET records", ("list",))),
        ("POST", "/api/collections/posts/records", ("posts", "POST records", ("create",))),
        ("GET", "/api/collections/posts/records/abc", ("posts", "GET records/*", ("view",))),
        ("PATCH", "/api/collections/posts/records/abc", ("posts", "PATCH records/*", ("update",))),
        ("DELETE", "/api/collections/p/records/abc", ("p", "DELETE records/*", ("delete",))),
        (
            "POST",
            "/api/collections/users/auth-with-password",
            ("users", "POST auth-with-password", ("authWithPassword", "auth")),
        ),
        (
            "POST",
            "/api/collections/users/auth-with-otp",
            ("users", "POST auth-with-otp", ("authWithOTP", "auth")),
        ),
        (
            "POST",
            "/api/collections/users/request-otp",
            ("users", "POST request-otp", ("requestOTP",)),
        ),
        ("GET", "/api/files/posts/abc/a.png", ("posts", "GET files", ("file",))),
        ("HEAD", "/api/collections/posts/records", ("posts", "GET records", ("list",))),
        ("PUT", "/api/collections/posts/records", None),
        ("GET", "/api/collections/posts", None),
        ("GET", "/api/collections/meta/scaffolds", None),
        ("GET", "/api/collections/posts/records/", None),
        ("GET", "/api/health", None),
    ],
)
def test_collection_route(method: str, path: str, expected: object) -> None:
    assert collection_route(method, path) == expected


def _plain(errors: Any) -> Any:
    if isinstance(errors, FieldError):
        return errors.as_dict()
    return {k: _plain(v) for k, v in errors.items()}


def _rule(
    label: str, audience: str = "", duration: int = 1, max_requests: int = 1
) -> dict[str, Any]:
    return {"label": label, "audience": audience, "duration": duration, "maxRequests": max_requests}


BLANK = {"code": "validation_required", "message": "Cannot be blank."}
AT_LEAST_ONE = {
    "code": "validation_min_greater_equal_than_required",
    "message": "Must be no less than 1.",
    "params": {"threshold": 1},
}


# Answers of PocketBase 0.40.6 to PATCH /api/settings with these rateLimits sections.
@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"enabled": True, "rules": []}, {"rules": BLANK}),
        ({"enabled": False, "rules": []}, {}),
        (
            {"rules": [_rule("bad label!")]},
            {
                "rules": {
                    "0": {
                        "label": {
                            "code": "validation_match_invalid",
                            "message": "Must be in a valid format.",
                        }
                    }
                }
            },
        ),
        (
            {"rules": [_rule("/api/"), _rule("/api/", duration=2)]},
            {
                "rules": {
                    "1": {
                        "label": {
                            "code": "validation_conflicting_rate_limit_rule",
                            "message": "Rate limit rule configuration with label /api/ already "
                            "exists or conflicts with another rule.",
                            "params": {"label": "/api/"},
                        }
                    }
                }
            },
        ),
        ({"rules": [_rule("/api/"), _rule("/api/x")]}, {}),
        ({"rules": [_rule("/api/", "@guest"), _rule("/api/", "@auth")]}, {}),
        (
            {"rules": [_rule(x) for x in ("GET /api/x", "users:create", "*:create", "tag_a")]},
            {},
        ),
        (
            {"excludedIPs": ["nope", "1.2.3.4", "", "10.0.0.0/8"]},
            {
                "excludedIPs": {
                    "0": {
                        "code": "validation_invlaid_ip_or_subnet",
                        "message": "Invalid IP or CIDR subnet.",
                    },
                    "2": BLANK,
                }
            },
        ),
        (
            {"rules": [_rule("", "x", 0, 0)]},
            {
                "rules": {
                    "0": {
                        "audience": {
                            "code": "validation_in_invalid",
                            "message": "Must be a valid value.",
                        },
                        "duration": BLANK,
                        "label": BLANK,
                        "maxRequests": BLANK,
                    }
                }
            },
        ),
        (
            {"rules": [_rule("/a", duration=-1, max_requests=-2)]},
            {"rules": {"0": {"duration": AT_LEAST_ONE, "maxRequests": AT_LEAST_ONE}}},
        ),
    ],
)
def test_validation_as_pocketbase(section: dict[str, Any], expected: dict[str, Any]) -> None:
    assert _plain(rate_limit_errors(section)) == expected
