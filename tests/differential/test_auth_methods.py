"""auth-methods, OTP, MFA, impersonation and the auth rule answer as PocketBase does.

Both servers get the same auth collections through the collections API: ``members`` with OTP
and MFA enabled, ``gated`` whose ``authRule`` wants verified accounts. Values that differ by
nature (ids, tokens, dates) are masked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.differential.conftest import SU_EMAIL, SU_PASSWORD
from tests.support.pocketbase import PocketBase
from tests.support.servers import Server

MEMBERS = "/api/collections/members"
GATED = "/api/collections/gated"
USERS = "/api/collections/users"
PASSWORD = "pass12345678"
MASKED = {"id", "created", "updated", "token", "otpId", "mfaId"}
EMAIL_FIELD = {"name": "email", "type": "email", "required": True, "system": True}


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (f"<{k}>" if k in MASKED and v else _mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


class Target:
    """One server, signed in as superuser, with the test collections and one member each."""

    def __init__(self, client: httpx.Client, url: str) -> None:
        self.client, self.url = client, url
        response = client.post(
            url + "/api/collections/_superusers/auth-with-password",
            json={"identity": SU_EMAIL, "password": SU_PASSWORD},
        )
        self.token: str = response.json()["token"]
        for name, options in (
            ("members", {"otp": {"enabled": True}, "mfa": {"enabled": True}}),
            ("gated", {"authRule": "verified = true"}),
        ):
            created = self.post(
                "/api/collections", {"name": name, "type": "auth", **options}, superuser=True
            )
            assert created.status_code == 200, created.text
        self.member = self.post(
            f"{MEMBERS}/records",
            {"email": "m1@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD},
            superuser=True,
        ).json()
        self.post(
            f"{GATED}/records",
            {"email": "g1@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD},
            superuser=True,
        )

    def post(self, path: str, body: Any = None, *, superuser: bool = False) -> httpx.Response:
        headers = {"Authorization": self.token} if superuser else {}
        return self.client.post(self.url + path, json=body, headers=headers)

    def answer(self, response: httpx.Response) -> tuple[int, Any]:
        return response.status_code, _mask(response.json() if response.content else None)


@pytest.fixture(scope="module")
def targets(pocketbase: PocketBase, ferrybase: Server) -> Iterator[tuple[Target, Target]]:
    with httpx.Client(timeout=10) as client:
        yield Target(client, pocketbase.url), Target(client, ferrybase.url)


@pytest.mark.parametrize(
    "path",
    [
        f"{MEMBERS}/auth-methods",
        f"{USERS}/auth-methods",
        f"{MEMBERS}/auth-methods?fields=mfa,otp.duration,password",
        "/api/collections/_mfas/auth-methods",
    ],
)
def test_auth_methods(targets: tuple[Target, Target], path: str) -> None:
    expected, actual = (t.answer(t.client.get(t.url + path)) for t in targets)
    assert actual == expected


# (name, path, JSON body, as superuser)
CASES: list[tuple[str, str, Any, bool]] = [
    ("request otp, known email", f"{MEMBERS}/request-otp", {"email": "m1@example.com"}, False),
    ("request otp, unknown email", f"{MEMBERS}/request-otp", {"email": "x@example.com"}, False),
    ("request otp, blank", f"{MEMBERS}/request-otp", {}, False),
    ("request otp, bad email", f"{MEMBERS}/request-otp", {"email": "nope"}, False),
    ("request otp, number", f"{MEMBERS}/request-otp", {"email": 5}, False),
    ("request otp, disabled", f"{USERS}/request-otp", {"email": "a@example.com"}, False),
    ("request otp, not auth", "/api/collections/_mfas/request-otp", {}, False),
    ("otp, blank", f"{MEMBERS}/auth-with-otp", {}, False),
    ("otp, unknown id", f"{MEMBERS}/auth-with-otp", {"otpId": "nope", "password": "1"}, False),
    ("otp, number", f"{MEMBERS}/auth-with-otp", {"otpId": 1, "password": "1"}, False),
    ("otp, disabled", f"{USERS}/auth-with-otp", {}, False),
    (
        "password, first factor",
        f"{MEMBERS}/auth-with-password",
        {"identity": "m1@example.com", "password": PASSWORD},
        False,
    ),
    (
        "password, unknown mfa session",
        f"{MEMBERS}/auth-with-password",
        {"identity": "m1@example.com", "password": PASSWORD, "mfaId": "nope"},
        False,
    ),
    (
        "auth rule refuses",
        f"{GATED}/auth-with-password",
        {"identity": "g1@example.com", "password": PASSWORD},
        False,
    ),
    ("impersonate, guest", f"{MEMBERS}/impersonate/abcdefghij12345", None, False),
    ("impersonate, missing", f"{MEMBERS}/impersonate/abcdefghij12345", None, True),
    ("impersonate, not auth", "/api/collections/_mfas/impersonate/x", None, True),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_same_answer(targets: tuple[Target, Target], case: tuple[str, str, Any, bool]) -> None:
    _, path, body, superuser = case
    expected, actual = (t.answer(t.post(path, body, superuser=superuser)) for t in targets)
    assert actual == expected


def _first_factor(target: Target) -> str:
    response = target.post(
        f"{MEMBERS}/auth-with-password", {"identity": "m1@example.com", "password": PASSWORD}
    )
    assert response.status_code == 401
    mfa_id: str = response.json()["mfaId"]
    return mfa_id


def test_same_method_twice(targets: tuple[Target, Target]) -> None:
    answers = []
    for target in targets:
        body = {"identity": "m1@example.com", "password": PASSWORD, "mfaId": _first_factor(target)}
        answers.append(target.answer(target.post(f"{MEMBERS}/auth-with-password", body)))
    assert answers[1] == answers[0]


@pytest.mark.parametrize("duration", [None, 100, -1, "x"])
def test_impersonate(targets: tuple[Target, Target], duration: Any) -> None:
    answers = []
    for target in targets:
        body = None if duration is None else {"duration": duration}
        path = f"{MEMBERS}/impersonate/{target.member['id']}"
        answers.append(target.answer(target.post(path, body, superuser=True)))
    assert answers[1] == answers[0]


def test_mfa_alone_is_refused(targets: tuple[Target, Target]) -> None:
    body = {"name": "lonely", "type": "auth", "mfa": {"enabled": True}}
    expected, actual = (t.answer(t.post("/api/collections", body, superuser=True)) for t in targets)
    assert actual == expected
