"""The e-mail flow endpoints answer bad input as PocketBase does (statuses and bodies).

Only inputs that send no mail and change nothing are compared here; the flows themselves are
followed end to end through a real SMTP server in ``tests/api/test_auth_flows.py``.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from tests.differential.conftest import SU_EMAIL, SU_PASSWORD
from tests.support.pocketbase import PocketBase
from tests.support.servers import Server
from tests.support.smtp import ReceivedMail, SmtpInbox, running_inbox

USERS = "/api/collections/users"
SUPERUSERS = "/api/collections/_superusers"
JSON = {"Content-Type": "application/json"}
# A well-formed token of a record that exists on neither server.
FOREIGN_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjb2xsZWN0aW9uSWQiOiJfcGJfdXNlcnNfYXV0aF8iLCJlbWFpbCI6"
    "ImFAZXhhbXBsZS5jb20iLCJleHAiOjQxMDI0NDQ4MDAsImlkIjoiYWJjZGVmZ2hpajEyMzQ1IiwibmV3RW1haWwiOiJi"
    "QGV4YW1wbGUuY29tIiwidHlwZSI6InZlcmlmaWNhdGlvbiJ9.x2ZtvQ2mVqYhD0Lx7h3H0p0M5cF6qkqvDgk6sYF2-4k"
)

# (name, path, raw JSON body, as superuser)
CASES: list[tuple[str, str, bytes, bool]] = [
    ("verification, unknown email", f"{USERS}/request-verification", b'{"email":"no@b.co"}', False),
    ("verification, no email", f"{USERS}/request-verification", b"{}", False),
    ("verification, empty body", f"{USERS}/request-verification", b"", False),
    ("verification, bad email", f"{USERS}/request-verification", b'{"email":"bad"}', False),
    ("verification, number", f"{USERS}/request-verification", b'{"email":123}', False),
    ("verification, null", f"{USERS}/request-verification", b'{"email":null}', False),
    ("verification, superusers", f"{SUPERUSERS}/request-verification", b"{}", False),
    ("verification, not auth", "/api/collections/_mfas/request-verification", b"{}", False),
    ("verification, missing", "/api/collections/nope/request-verification", b"{}", False),
    ("confirm verification, no token", f"{USERS}/confirm-verification", b"{}", False),
    ("confirm verification, garbage", f"{USERS}/confirm-verification", b'{"token":"abc"}', False),
    ("confirm verification, number", f"{USERS}/confirm-verification", b'{"token":1}', False),
    (
        "confirm verification, foreign",
        f"{USERS}/confirm-verification",
        b'{"token":"' + FOREIGN_TOKEN.encode() + b'"}',
        False,
    ),
    ("confirm verification, superusers", f"{SUPERUSERS}/confirm-verification", b"{}", False),
    ("reset, unknown email", f"{USERS}/request-password-reset", b'{"email":"no@b.co"}', False),
    ("reset, bad email", f"{USERS}/request-password-reset", b'{"email":"a@"}', False),
    (
        "reset, superusers unknown",
        f"{SUPERUSERS}/request-password-reset",
        b'{"email":"x@b.co"}',
        False,
    ),
    ("reset, not auth", "/api/collections/_mfas/request-password-reset", b"{}", False),
    ("confirm reset, empty", f"{USERS}/confirm-password-reset", b"{}", False),
    (
        "confirm reset, all wrong",
        f"{USERS}/confirm-password-reset",
        b'{"token":"abc","password":"x","passwordConfirm":"y"}',
        False,
    ),
    (
        "confirm reset, long password",
        f"{USERS}/confirm-password-reset",
        b'{"token":"abc","password":"' + b"a" * 300 + b'","passwordConfirm":"a"}',
        False,
    ),
    (
        "confirm reset, foreign token",
        f"{USERS}/confirm-password-reset",
        b'{"token":"'
        + FOREIGN_TOKEN.encode()
        + b'","password":"12345678","passwordConfirm":"12345678"}',
        False,
    ),
    ("confirm reset, typed", f"{USERS}/confirm-password-reset", b'{"password":1}', False),
    ("email change, guest", f"{USERS}/request-email-change", b'{"newEmail":"a@b.co"}', False),
    ("email change, other collection", f"{USERS}/request-email-change", b"{}", True),
    ("email change, superusers", f"{SUPERUSERS}/request-email-change", b"{}", True),
    ("email change, not auth", "/api/collections/_mfas/request-email-change", b"{}", True),
    ("email change, missing", "/api/collections/nope/request-email-change", b"{}", True),
    ("confirm email change, empty", f"{USERS}/confirm-email-change", b"{}", False),
    (
        "confirm email change, garbage",
        f"{USERS}/confirm-email-change",
        b'{"token":"abc","password":"x"}',
        False,
    ),
    (
        "confirm email change, foreign",
        f"{USERS}/confirm-email-change",
        b'{"token":"' + FOREIGN_TOKEN.encode() + b'","password":"x"}',
        False,
    ),
    ("confirm email change, superusers", f"{SUPERUSERS}/confirm-email-change", b"{}", False),
]


def _token(client: httpx.Client, url: str) -> str:
    response = client.post(
        url + f"{SUPERUSERS}/auth-with-password",
        json={"identity": SU_EMAIL, "password": SU_PASSWORD},
    )
    token: str = response.json()["token"]
    return token


def _answer(client: httpx.Client, url: str, case: tuple[str, str, bytes, bool]) -> tuple[int, Any]:
    _, path, body, as_superuser = case
    headers = dict(JSON)
    if as_superuser:
        headers["Authorization"] = _token(client, url)
    response = client.post(url + path, headers=headers, content=body)
    return response.status_code, (response.json() if response.content else None)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_same_answer(
    pocketbase: PocketBase, ferrybase: Server, case: tuple[str, str, bytes, bool]
) -> None:
    with httpx.Client(timeout=10) as client:
        expected = _answer(client, pocketbase.url, case)
        actual = _answer(client, ferrybase.url, case)
    assert actual == expected


@pytest.mark.parametrize(
    ("path", "kind"),
    [("request-verification", "verification"), ("request-password-reset", "passwordReset")],
)
def test_same_mail(pocketbase: PocketBase, ferrybase: Server, path: str, kind: str) -> None:
    """Both servers mail the same message (the token aside) through the same SMTP server."""
    mails: list[dict[str, Any]] = []
    with running_inbox() as inbox, httpx.Client(timeout=10) as client:
        for url in (pocketbase.url, ferrybase.url):
            headers = {"Authorization": _token(client, url)}
            smtp = {"smtp": inbox.settings()}
            assert client.patch(url + "/api/settings", json=smtp, headers=headers).is_success
            body = {"email": "mailme@example.com", "password": "pass12345678"}
            created = client.post(
                url + f"{USERS}/records",
                json={**body, "passwordConfirm": body["password"]},
                headers=headers,
            )
            assert created.status_code == 200, created.text
            try:
                answer = client.post(url + f"{USERS}/{path}", json={"email": body["email"]})
                assert answer.status_code == 204
                mail = _wait_for(inbox, len(mails))
            finally:
                client.delete(url + f"{USERS}/records/{created.json()['id']}", headers=headers)
                off = {"smtp": {"enabled": False}}
                client.patch(url + "/api/settings", json=off, headers=headers)
            token = mail.token()
            claims = jwt.decode(token, options={"verify_signature": False})
            assert claims["type"] == kind
            mails.append(
                {
                    "from": mail.message["From"],
                    "to": mail.message["To"],
                    "envelope": (mail.sender, mail.recipients),
                    "subject": mail.subject,
                    "claims": sorted(claims),
                    "html": mail.part("html").replace(token, "<token>").replace("\r\n", "\n"),
                    "text": mail.part("plain").replace(token, "<token>").replace("\r\n", "\n"),
                }
            )
    pocketbase_mail, ferrybase_mail = mails
    assert ferrybase_mail == pocketbase_mail


def _wait_for(inbox: SmtpInbox, index: int) -> ReceivedMail:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        mails = inbox.mails
        if len(mails) > index:
            return mails[index]
        time.sleep(0.05)
    raise AssertionError("no mail arrived")
