"""The e-mail flows end to end: real mails through a local SMTP server, links followed.

Verification, password reset and email change, each requested, received, confirmed and its
effect checked; then every error PocketBase answers, and the anti-enumeration promises.
"""

from __future__ import annotations

import logging
import statistics
import time
from typing import Any

import httpx
import jwt
import pytest

from ferrybase.api.auth_flows import flows_of
from ferrybase.core.app import Core
from tests.conftest import SU_EMAIL
from tests.support.smtp import SmtpInbox, running_inbox, smtp_inbox

__all__ = ["smtp_inbox"]  # the fixture, used by name

USERS = "/api/collections/users"
PASSWORD = "pass12345678"
NEW_PASSWORD = "another-pass-123"
VALIDATION_FAILED = "An error occurred while validating the submitted data."
LOAD_FAILED = "An error occurred while loading the submitted data."
BLANK = {"code": "validation_required", "message": "Cannot be blank."}
INVALID_TOKEN = {"code": "validation_invalid_token", "message": "Invalid or expired token."}


def invalid(data: dict[str, Any]) -> dict[str, Any]:
    return {"data": data, "message": VALIDATION_FAILED, "status": 400}


@pytest.fixture
async def mail_on(client: httpx.AsyncClient, superuser_token: str, smtp_inbox: SmtpInbox) -> str:
    """SMTP pointed at the local server through the settings API; the superuser token."""
    response = await client.patch(
        "/api/settings",
        json={
            "smtp": smtp_inbox.settings(),
            "meta": {"appName": "Ferry", "appURL": "https://x.io"},
        },
        headers={"Authorization": superuser_token},
    )
    assert response.status_code == 200, response.text
    return superuser_token


async def create_user(
    client: httpx.AsyncClient, su: str, email: str = "ann@example.com", **extra: Any
) -> dict[str, Any]:
    body = {"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD, **extra}
    response = await client.post(f"{USERS}/records", json=body, headers={"Authorization": su})
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()
    return user


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(
        f"{USERS}/auth-with-password", json={"identity": email, "password": password}
    )


async def token_of(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    response = await sign_in(client, email, password)
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


async def view(client: httpx.AsyncClient, su: str, user_id: str) -> dict[str, Any]:
    response = await client.get(f"{USERS}/records/{user_id}", headers={"Authorization": su})
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    return record


async def quiet(inbox: SmtpInbox, expected: int, wait: float = 0.3) -> None:
    """No mail beyond ``expected`` arrives (background sends get time to happen)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        assert len(inbox.mails) == expected
        await _sleep(0.02)
    assert len(inbox.mails) == expected


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def changes_of(core: Core, record_id: str) -> list[dict[str, Any]]:
    rows = await core.store.fetch_all(
        'SELECT "action", "record" FROM "_changes" WHERE "recordId" = ? ORDER BY "seq"',
        (record_id,),
    )
    return rows


# -- verification --------------------------------------------------------------------------


async def test_verification_mail_link_verifies_the_record(
    client: httpx.AsyncClient, core: Core, mail_on: str, smtp_inbox: SmtpInbox
) -> None:
    user = await create_user(client, mail_on, name="<b>Ann</b>")
    assert user["verified"] is False
    response = await client.post(f"{USERS}/request-verification", json={"email": "ann@example.com"})
    assert response.status_code == 204 and response.content == b""

    mail = await smtp_inbox.next_mail(0)
    assert mail.recipients == ["ann@example.com"]
    assert mail.sender == "support@example.com"
    assert mail.message["From"] == "Support <support@example.com>"
    assert mail.subject == "Verify your Ferry email"
    assert mail.link().startswith("https://x.io/_/#/auth/confirm-verification/")
    assert "Thank you for joining us at Ferry." in mail.part("html")
    assert f"[Verify]({mail.link()})" in mail.part("plain")
    token = mail.token()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert sorted(claims) == ["collectionId", "email", "exp", "id", "type"]
    assert claims["type"] == "verification" and claims["email"] == "ann@example.com"
    assert claims["id"] == user["id"] and claims["collectionId"] == "_pb_users_auth_"
    assert 86400 - 60 < claims["exp"] - time.time() <= 86400

    confirm = await client.post(f"{USERS}/confirm-verification", json={"token": token})
    assert confirm.status_code == 204 and confirm.content == b""
    assert (await view(client, mail_on, user["id"]))["verified"] is True
    updates = [c for c in await changes_of(core, user["id"]) if c["action"] == "update"]
    assert updates and updates[-1]["record"]["verified"] is True

    again = await client.post(f"{USERS}/confirm-verification", json={"token": token})
    assert again.status_code == 204  # idempotent
    # A verified record gets no more verification mails.
    more = await client.post(f"{USERS}/request-verification", json={"email": "ann@example.com"})
    assert more.status_code == 204
    await quiet(smtp_inbox, 1)


async def test_unknown_email_answers_like_a_known_one(
    client: httpx.AsyncClient, mail_on: str, smtp_inbox: SmtpInbox
) -> None:
    await create_user(client, mail_on)
    for path in ("request-verification", "request-password-reset"):
        known = await client.post(f"{USERS}/{path}", json={"email": "ann@example.com"})
        unknown = await client.post(f"{USERS}/{path}", json={"email": "nobody@example.com"})
        assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
        assert known.status_code == 204
    await smtp_inbox.next_mail(1)
    await quiet(smtp_inbox, 2)
    assert all(m.recipients == ["ann@example.com"] for m in smtp_inbox.mails)


async def test_unknown_email_takes_about_as_long_as_a_known_one(
    client: httpx.AsyncClient, mail_on: str
) -> None:
    await create_user(client, mail_on)

    async def median(email: str) -> float:
        spent = []
        for _ in range(7):
            start = time.perf_counter()
            response = await client.post(f"{USERS}/request-password-reset", json={"email": email})
            spent.append(time.perf_counter() - start)
            assert response.status_code == 204
        return statistics.median(spent)

    known, unknown = await median("ann@example.com"), await median("nobody@example.com")
    # The mail leaves in the background: neither answer waits for SMTP.
    assert abs(known - unknown) < max(0.05, unknown), (known, unknown)


async def test_a_second_request_within_two_minutes_sends_no_second_mail(
    client: httpx.AsyncClient, mail_on: str, smtp_inbox: SmtpInbox
) -> None:
    await create_user(client, mail_on)
    for path in ("request-verification", "request-password-reset"):
        for _ in range(2):
            response = await client.post(f"{USERS}/{path}", json={"email": "ann@example.com"})
            assert response.status_code == 204
            await _sleep(0.1)
    await smtp_inbox.next_mail(1)
    await quiet(smtp_inbox, 2)
    assert [m.subject for m in smtp_inbox.mails] == [
        "Verify your Ferry email",
        "Reset your Ferry password",
    ]


# -- password reset ------------------------------------------------------------------------


async def test_password_reset_mail_sets_a_new_password_and_signs_out_old_tokens(
    client: httpx.AsyncClient, core: Core, mail_on: str, smtp_inbox: SmtpInbox
) -> None:
    user = await create_user(client, mail_on)
    old_token = await token_of(client, "ann@example.com")
    response = await client.post(
        f"{USERS}/request-password-reset", json={"email": "ann@example.com"}
    )
    assert response.status_code == 204 and response.content == b""

    mail = await smtp_inbox.next_mail(0)
    assert mail.recipients == ["ann@example.com"]
    assert mail.subject == "Reset your Ferry password"
    assert mail.link().startswith("https://x.io/_/#/auth/confirm-password-reset/")
    token = mail.token()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert sorted(claims) == ["collectionId", "email", "exp", "id", "type"]
    assert claims["type"] == "passwordReset"
    assert 1800 - 60 < claims["exp"] - time.time() <= 1800

    body = {"token": token, "password": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD}
    confirm = await client.post(f"{USERS}/confirm-password-reset", json=body)
    assert confirm.status_code == 204 and confirm.content == b""

    refresh = await client.post(f"{USERS}/auth-refresh", headers={"Authorization": old_token})
    assert refresh.status_code == 401
    assert (await sign_in(client, "ann@example.com", PASSWORD)).status_code == 400
    assert (await sign_in(client, "ann@example.com", NEW_PASSWORD)).status_code == 200
    # The mail reached the address: the record counts as verified now.
    assert (await view(client, mail_on, user["id"]))["verified"] is True
    assert any(c["action"] == "update" for c in await changes_of(core, user["id"]))

    reused = await client.post(f"{USERS}/confirm-password-reset", json=body)
    assert reused.status_code == 400
    assert reused.json() == invalid({"token": INVALID_TOKEN})


# -- email change ----------------------------------------------------------------------------


async def test_email_change_mail_moves_the_record_to_the_new_address(
    client: httpx.AsyncClient, core: Core, mail_on: str, smtp_inbox: SmtpInbox
) -> None:
    user = await create_user(client, mail_on)
    auth = await token_of(client, "ann@example.com")
    guest = await client.post(
        f"{USERS}/request-email-change", json={"newEmail": "ann@new.example.com"}
    )
    assert guest.status_code == 401
    assert guest.json()["message"] == "The request requires valid record authorization token."

    response = await client.post(
        f"{USERS}/request-email-change",
        json={"newEmail": "ann@new.example.com"},
        headers={"Authorization": auth},
    )
    assert response.status_code == 204 and response.content == b""
    mail = await smtp_inbox.next_mail(0)
    assert mail.recipients == ["ann@new.example.com"]
    assert mail.subject == "Confirm your Ferry new email address"
    assert mail.link().startswith("https://x.io/_/#/auth/confirm-email-change/")
    token = mail.token()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert sorted(claims) == ["collectionId", "email", "exp", "id", "newEmail", "type"]
    assert claims["email"] == "ann@example.com" and claims["newEmail"] == "ann@new.example.com"

    wrong = await client.post(
        f"{USERS}/confirm-email-change", json={"token": token, "password": "wrong-password"}
    )
    assert wrong.status_code == 400
    assert wrong.json() == invalid(
        {
            "password": {
                "code": "validation_invalid_password",
                "message": "Missing or invalid auth record password.",
            }
        }
    )
    confirm = await client.post(
        f"{USERS}/confirm-email-change", json={"token": token, "password": PASSWORD}
    )
    assert confirm.status_code == 204 and confirm.content == b""

    record = await view(client, mail_on, user["id"])
    assert record["email"] == "ann@new.example.com" and record["verified"] is True
    refresh = await client.post(f"{USERS}/auth-refresh", headers={"Authorization": auth})
    assert refresh.status_code == 401  # a new email signs out earlier tokens
    assert (await sign_in(client, "ann@new.example.com", PASSWORD)).status_code == 200
    assert (await sign_in(client, "ann@example.com", PASSWORD)).status_code == 400
    updates = [c for c in await changes_of(core, user["id"]) if c["action"] == "update"]
    assert updates[-1]["record"]["email"] == "ann@new.example.com"


@pytest.mark.parametrize(
    ("new_email", "error"),
    [
        (None, BLANK),
        ("bad", {"code": "validation_is_email", "message": "Must be a valid email address."}),
        (
            "ann@example.com",
            {"code": "validation_not_in_invalid", "message": "Must not be in list."},
        ),
        (
            "bob@example.com",
            {"code": "validation_invalid_new_email", "message": "Invalid new email address."},
        ),
    ],
)
async def test_email_change_request_errors(
    client: httpx.AsyncClient,
    mail_on: str,
    smtp_inbox: SmtpInbox,
    new_email: str | None,
    error: dict[str, str],
) -> None:
    await create_user(client, mail_on)
    await create_user(client, mail_on, "bob@example.com")
    auth = await token_of(client, "ann@example.com")
    response = await client.post(
        f"{USERS}/request-email-change",
        json={} if new_email is None else {"newEmail": new_email},
        headers={"Authorization": auth},
    )
    assert response.status_code == 400
    assert response.json() == invalid({"newEmail": error})
    await quiet(smtp_inbox, 0, wait=0.1)


async def test_email_change_request_needs_a_record_of_this_collection(
    client: httpx.AsyncClient, mail_on: str
) -> None:
    users = await client.post(
        f"{USERS}/request-email-change",
        json={"newEmail": "x@example.com"},
        headers={"Authorization": mail_on},
    )
    assert users.status_code == 403
    assert users.json()["message"] == (
        "The request requires auth record from _superusers collection."
    )
    superusers = await client.post(
        "/api/collections/_superusers/request-email-change",
        json={"newEmail": "x@example.com"},
        headers={"Authorization": mail_on},
    )
    assert superusers.status_code == 400
    assert superusers.json()["message"] == "All superusers can change their emails directly."


async def test_email_change_token_is_void_once_the_address_is_taken(
    client: httpx.AsyncClient, mail_on: str, smtp_inbox: SmtpInbox
) -> None:
    await create_user(client, mail_on)
    auth = await token_of(client, "ann@example.com")
    response = await client.post(
        f"{USERS}/request-email-change",
        json={"newEmail": "carl@example.com"},
        headers={"Authorization": auth},
    )
    assert response.status_code == 204
    token = (await smtp_inbox.next_mail(0)).token()
    await create_user(client, mail_on, "carl@example.com")
    confirm = await client.post(
        f"{USERS}/confirm-email-change", json={"token": token, "password": PASSWORD}
    )
    assert confirm.status_code == 400
    assert confirm.json()["data"]["token"] == {
        "code": "validation_invalid_token_email",
        "message": "The new email address is invalid.",
    }


# -- errors ------------------------------------------------------------------------------------

LENGTH_8 = {
    "code": "validation_length_out_of_range",
    "message": "The length must be between 8 and 255.",
    "params": {"max": 255, "min": 8},
}
MISMATCH = {"code": "validation_values_mismatch", "message": "Values don't match."}

# (path, body, expected answer) -- PocketBase 0.40.6's answers, captured.
ERRORS: list[tuple[str, Any, dict[str, Any]]] = [
    ("request-verification", {}, invalid({"email": BLANK})),
    (
        "request-verification",
        {"email": "bad"},
        invalid(
            {"email": {"code": "validation_is_email", "message": "Must be a valid email address."}}
        ),
    ),
    ("request-verification", {"email": 123}, {"data": {}, "message": LOAD_FAILED, "status": 400}),
    ("request-password-reset", {"email": ""}, invalid({"email": BLANK})),
    (
        "request-password-reset",
        {"email": "a" * 250 + "@example.com"},
        invalid(
            {
                "email": {
                    "code": "validation_length_out_of_range",
                    "message": "The length must be between 1 and 255.",
                    "params": {"max": 255, "min": 1},
                }
            }
        ),
    ),
    ("confirm-verification", {}, invalid({"token": BLANK})),
    (
        "confirm-verification",
        {"token": "abc"},
        invalid(
            {
                "token": {
                    "code": "validation_invalid_token_claims",
                    "message": "Missing email token claim.",
                }
            }
        ),
    ),
    ("confirm-verification", {"token": 123}, {"data": {}, "message": LOAD_FAILED, "status": 400}),
    (
        "confirm-password-reset",
        {},
        invalid({"password": BLANK, "passwordConfirm": BLANK, "token": BLANK}),
    ),
    (
        "confirm-password-reset",
        {"token": "abc", "password": "x", "passwordConfirm": "y"},
        invalid({"password": LENGTH_8, "passwordConfirm": MISMATCH, "token": INVALID_TOKEN}),
    ),
    ("confirm-email-change", {}, invalid({"password": BLANK, "token": BLANK})),
    (
        "confirm-email-change",
        {"token": "abc", "password": "x"},
        invalid(
            {
                "password": {
                    "code": "validation_invalid_password",
                    "message": "Missing or invalid auth record password.",
                },
                "token": {
                    "code": "validation_invalid_token_payload",
                    "message": "Invalid token payload - newEmail must be set.",
                },
            }
        ),
    ),
]


@pytest.mark.parametrize(("path", "body", "expected"), ERRORS)
async def test_bad_input(
    client: httpx.AsyncClient, path: str, body: Any, expected: dict[str, Any]
) -> None:
    response = await client.post(f"{USERS}/{path}", json=body)
    assert response.status_code == expected["status"]
    assert response.json() == expected


FLOWS = [
    "request-verification",
    "confirm-verification",
    "request-password-reset",
    "confirm-password-reset",
    "request-email-change",
    "confirm-email-change",
]


@pytest.mark.parametrize("path", FLOWS)
async def test_only_auth_collections(
    client: httpx.AsyncClient, superuser_token: str, path: str
) -> None:
    headers = {"Authorization": superuser_token}
    missing = await client.post(f"/api/collections/nope/{path}", json={}, headers=headers)
    non_auth = await client.post(f"/api/collections/_mfas/{path}", json={}, headers=headers)
    if path == "request-email-change":
        # The signed-in record must belong to the route's collection before anything else.
        assert non_auth.status_code == 403
        assert non_auth.json()["message"] == (
            "The request requires auth record from _superusers collection."
        )
    else:
        assert non_auth.status_code == 404
        assert non_auth.json() == {
            "data": {},
            "message": "Missing or invalid auth collection context.",
            "status": 404,
        }
    assert missing.status_code == 404
    assert missing.json()["message"] == "Missing or invalid collection context."


@pytest.mark.parametrize("path", ["request-verification", "confirm-verification"])
async def test_superusers_are_always_verified(client: httpx.AsyncClient, path: str) -> None:
    response = await client.post(f"/api/collections/_superusers/{path}", json={"email": "x"})
    assert response.status_code == 400
    assert response.json() == {
        "data": {},
        "message": "All superusers are verified by default.",
        "status": 400,
    }


async def test_tokens_of_another_kind_or_tampered_are_refused(
    client: httpx.AsyncClient, mail_on: str, smtp_inbox: SmtpInbox
) -> None:
    await create_user(client, mail_on)
    await client.post(f"{USERS}/request-verification", json={"email": "ann@example.com"})
    verification = (await smtp_inbox.next_mail(0)).token()
    auth = await token_of(client, "ann@example.com")
    reset = {"password": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD}
    for token in (verification, auth, verification[:-3] + "AAA"):
        response = await client.post(
            f"{USERS}/confirm-password-reset", json={"token": token, **reset}
        )
        assert response.status_code == 400
        assert response.json() == invalid({"token": INVALID_TOKEN})
    tampered = await client.post(
        f"{USERS}/confirm-verification", json={"token": verification[:-3] + "AAA"}
    )
    assert tampered.json() == invalid({"token": INVALID_TOKEN})
    # A sign-in token carries no email claim.
    as_auth = await client.post(f"{USERS}/confirm-verification", json={"token": auth})
    assert as_auth.json()["data"]["token"]["code"] == "validation_invalid_token_claims"
    assert (await sign_in(client, "ann@example.com", PASSWORD)).status_code == 200


async def test_a_token_redeemed_on_another_auth_collection_is_refused(
    client: httpx.AsyncClient, core: Core, mail_on: str, smtp_inbox: SmtpInbox
) -> None:
    await create_user(client, mail_on)
    await client.post(f"{USERS}/request-password-reset", json={"email": "ann@example.com"})
    token = (await smtp_inbox.next_mail(0)).token()
    body = {"token": token, "password": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD}
    response = await client.post("/api/collections/_superusers/confirm-password-reset", json=body)
    assert response.status_code == 400
    assert response.json()["data"]["token"] == {
        "code": "validation_token_collection_mismatch",
        "message": "The provided token is for different auth collection.",
    }
    assert (await sign_in(client, "ann@example.com", PASSWORD)).status_code == 200


async def test_without_smtp_no_mail_leaves_and_nothing_secret_is_logged(
    client: httpx.AsyncClient,
    superuser_token: str,
    smtp_inbox: SmtpInbox,
    core: Core,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await create_user(client, superuser_token)
    with caplog.at_level(logging.WARNING, logger="ferrybase.mail"):
        response = await client.post(
            f"{USERS}/request-password-reset", json={"email": "ann@example.com"}
        )
        assert response.status_code == 204
        await _sleep(0.3)
    assert smtp_inbox.mails == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "ferrybase.mail"]
    assert len(warnings) == 1 and "SMTP is disabled" in warnings[0]
    assert "ann@" not in warnings[0] and "eyJ" not in warnings[0]
    assert SU_EMAIL not in warnings[0]


# -- SMTP delivery ---------------------------------------------------------------------------


# aiosmtpd warns about AUTH without TLS; the test server listens on 127.0.0.1 only.
LOCAL_AUTH = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@LOCAL_AUTH
@pytest.mark.parametrize("method", ["PLAIN", "LOGIN"])
async def test_smtp_credentials_from_the_settings_sign_in(
    client: httpx.AsyncClient, superuser_token: str, method: str
) -> None:
    with running_inbox(credentials=("mailer", "s3cret-pass")) as inbox:
        smtp = {**inbox.settings(), "username": "mailer", "password": "s3cret-pass"}
        smtp["authMethod"] = method
        response = await client.patch(
            "/api/settings", json={"smtp": smtp}, headers={"Authorization": superuser_token}
        )
        assert response.status_code == 200
        assert "password" not in response.json()["smtp"]
        await create_user(client, superuser_token)
        await client.post(f"{USERS}/request-verification", json={"email": "ann@example.com"})
        mail = await inbox.next_mail(0)
        assert mail.recipients == ["ann@example.com"]
        assert inbox.sign_ins == [(method, True)]


@LOCAL_AUTH
async def test_refused_smtp_sign_in_loses_the_mail_not_the_secret(
    client: httpx.AsyncClient,
    core: Core,
    superuser_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with running_inbox(credentials=("mailer", "right-pass")) as inbox:
        smtp = {**inbox.settings(), "username": "mailer", "password": "wrong-pass"}
        response = await client.patch(
            "/api/settings", json={"smtp": smtp}, headers={"Authorization": superuser_token}
        )
        assert response.status_code == 200
        await create_user(client, superuser_token)
        with caplog.at_level(logging.INFO):
            answer = await client.post(
                f"{USERS}/request-password-reset", json={"email": "ann@example.com"}
            )
            assert answer.status_code == 204  # the client learns nothing of SMTP
            await flows_of(core).drain()
        assert inbox.sign_ins == [("PLAIN", False)] and inbox.mails == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "failed to send the password reset mail" in logged
    assert "wrong-pass" not in logged and "eyJ" not in logged


async def test_email_change_request_fails_when_the_mail_cannot_leave(
    client: httpx.AsyncClient, superuser_token: str
) -> None:
    from tests.support.servers import free_port

    smtp = {"enabled": True, "host": "127.0.0.1", "port": free_port(), "tls": False}
    response = await client.patch(
        "/api/settings", json={"smtp": smtp}, headers={"Authorization": superuser_token}
    )
    assert response.status_code == 200
    await create_user(client, superuser_token)
    auth = await token_of(client, "ann@example.com")
    answer = await client.post(
        f"{USERS}/request-email-change",
        json={"newEmail": "ann@new.example.com"},
        headers={"Authorization": auth},
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "data": {},
        "message": "Failed to request email change.",
        "status": 400,
    }


@LOCAL_AUTH
async def test_credentials_never_travel_unencrypted_to_a_remote_server(
    client: httpx.AsyncClient,
    core: Core,
    superuser_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ferrybase.integrations.mail

    # Treat 127.0.0.1 as remote: the server offers no TLS, so the mailer must not sign in.
    monkeypatch.setattr(ferrybase.integrations.mail, "_LOCAL_HOSTS", frozenset())
    with running_inbox(credentials=("mailer", "s3cret-pass")) as inbox:
        smtp = {**inbox.settings(), "username": "mailer", "password": "s3cret-pass"}
        response = await client.patch(
            "/api/settings", json={"smtp": smtp}, headers={"Authorization": superuser_token}
        )
        assert response.status_code == 200
        await create_user(client, superuser_token)
        await client.post(f"{USERS}/request-verification", json={"email": "ann@example.com"})
        await flows_of(core).drain()
        assert inbox.sign_ins == [] and inbox.mails == []


async def test_reset_password_is_checked_like_the_password_field(
    client: httpx.AsyncClient, mail_on: str, smtp_inbox: SmtpInbox
) -> None:
    await create_user(client, mail_on)
    await client.post(f"{USERS}/request-password-reset", json={"email": "ann@example.com"})
    token = (await smtp_inbox.next_mail(0)).token()
    long = "a" * 72  # within the form's 255, over the field's 71 (PocketBase's answer)
    body = {"token": token, "password": long, "passwordConfirm": long}
    response = await client.post(f"{USERS}/confirm-password-reset", json=body)
    assert response.status_code == 400
    assert response.json() == {
        "data": {
            "password": {
                "code": "validation_max_text_constraint",
                "message": "Must be less than 71 character(s).",
            }
        },
        "message": "Failed to set new password.",
        "status": 400,
    }
    assert (await sign_in(client, "ann@example.com", PASSWORD)).status_code == 200
