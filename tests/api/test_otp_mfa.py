"""One-time passwords, MFA and the auth rule: PocketBase's flows, answers and side effects."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from ferrybase.core import mfa as mfa_module
from ferrybase.core import otp as otp_module
from ferrybase.core.app import Core
from ferrybase.core.ports import Mail, RecordingMailer
from tests.conftest import SU_EMAIL

USERS = "/api/collections/users"
PASSWORD = "pass12345678"
INVALID_OTP = {"data": {}, "message": "Invalid or expired OTP.", "status": 400}


async def configure(client: httpx.AsyncClient, token: str, **options: object) -> None:
    response = await client.patch(USERS, headers={"Authorization": token}, json=options)
    assert response.status_code == 200, response.text


async def create_user(client: httpx.AsyncClient, email: str) -> dict[str, object]:
    response = await client.post(
        f"{USERS}/records",
        json={"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD},
    )
    assert response.status_code == 200, response.text
    user: dict[str, object] = response.json()
    return user


async def request_code(client: httpx.AsyncClient, core: Core, email: str) -> tuple[str, str]:
    """The otpId and the code the mail carried."""
    assert isinstance(core.mailer, RecordingMailer)
    sent = len(core.mailer.sent)
    response = await client.post(f"{USERS}/request-otp", json={"email": email})
    assert response.status_code == 200, response.text
    await otp_module.drain()  # mailed in the background
    mails = core.mailer.sent[sent:]
    assert len(mails) == 1 and mails[0].to == email
    match = re.search(r"<strong>(\d+)</strong>", mails[0].html)
    assert match is not None
    return response.json()["otpId"], match.group(1)


@pytest.fixture(autouse=True)
def mailer(core: Core) -> RecordingMailer:
    """Mails are kept, not sent, whatever the server is configured with."""
    recording = RecordingMailer()
    core.mailer = recording
    return recording


@pytest.fixture
async def otp_enabled(client: httpx.AsyncClient, superuser_token: str) -> str:
    await configure(client, superuser_token, otp={"enabled": True})
    return superuser_token


async def test_otp_sign_in(client: httpx.AsyncClient, core: Core, otp_enabled: str) -> None:
    user = await create_user(client, "u1@example.com")
    otp_id, code = await request_code(client, core, "u1@example.com")
    assert re.fullmatch(r"[a-z0-9]{15}", otp_id)
    assert len(code) == 8
    assert isinstance(core.mailer, RecordingMailer)
    mail = core.mailer.sent[-1]
    assert mail.subject == "OTP for Acme"

    response = await client.post(f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": code})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["record"]["id"] == user["id"]
    assert body["record"]["email"] == "u1@example.com"
    # A code mailed to the record's own address proves it: the email is now verified.
    assert body["record"]["verified"] is True
    me = await client.get(f"{USERS}/records/{user['id']}", headers={"Authorization": body["token"]})
    assert me.status_code == 200 and me.json()["verified"] is True
    # ... and, without MFA, the old password no longer signs in (PocketBase resets it).
    old = await client.post(
        f"{USERS}/auth-with-password", json={"identity": "u1@example.com", "password": PASSWORD}
    )
    assert old.status_code == 400

    again = await client.post(f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": code})
    assert again.json() == INVALID_OTP  # used once


async def test_otp_is_stored_hashed_and_changes_are_fed(
    client: httpx.AsyncClient, core: Core, otp_enabled: str
) -> None:
    await create_user(client, "u1@example.com")
    otp_id, code = await request_code(client, core, "u1@example.com")
    row = await core.store.fetch_one('SELECT * FROM "_otps" WHERE "id" = ?', (otp_id,))
    assert row is not None
    assert row["password"] != code and code not in row["password"]
    assert row["sentTo"] == "u1@example.com"
    feed = await core.store.fetch_all(
        'SELECT "action" FROM "_changes" WHERE "collectionName" = ? AND "recordId" = ?',
        ("_otps", otp_id),
    )
    assert [r["action"] for r in feed][:1] == ["create"]


async def test_wrong_code_and_unknown_id(
    client: httpx.AsyncClient, core: Core, otp_enabled: str
) -> None:
    await create_user(client, "u1@example.com")
    otp_id, code = await request_code(client, core, "u1@example.com")
    wrong = "0" * 8 if code != "0" * 8 else "1" * 8
    for body in ({"otpId": otp_id, "password": wrong}, {"otpId": "nope", "password": code}):
        response = await client.post(f"{USERS}/auth-with-otp", json=body)
        assert response.status_code == 400
        assert response.json() == INVALID_OTP


async def test_expired_code(
    client: httpx.AsyncClient, core: Core, otp_enabled: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await create_user(client, "u1@example.com")
    otp_id, code = await request_code(client, core, "u1@example.com")
    real_now = mfa_module.now
    monkeypatch.setattr(mfa_module, "now", lambda: real_now() + timedelta(seconds=181))
    response = await client.post(f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": code})
    assert response.json() == INVALID_OTP


async def test_unknown_email_gets_a_fake_id(
    client: httpx.AsyncClient, core: Core, otp_enabled: str
) -> None:
    response = await client.post(f"{USERS}/request-otp", json={"email": "nobody@example.com"})
    await otp_module.drain()
    assert response.status_code == 200
    assert set(response.json()) == {"otpId"}
    assert re.fullmatch(r"[a-z0-9]{15}", response.json()["otpId"])
    assert isinstance(core.mailer, RecordingMailer) and core.mailer.sent == []
    fake = await client.post(
        f"{USERS}/auth-with-otp", json={"otpId": response.json()["otpId"], "password": "12345678"}
    )
    assert fake.json() == INVALID_OTP


async def test_request_validation(client: httpx.AsyncClient, otp_enabled: str) -> None:
    blank = await client.post(f"{USERS}/request-otp", json={})
    assert blank.status_code == 400
    assert blank.json()["data"] == {
        "email": {"code": "validation_required", "message": "Cannot be blank."}
    }
    bad = await client.post(f"{USERS}/request-otp", json={"email": "nope"})
    assert bad.json()["data"] == {
        "email": {"code": "validation_is_email", "message": "Must be a valid email address."}
    }
    typed = await client.post(f"{USERS}/request-otp", json={"email": 5})
    assert typed.json()["message"] == "An error occurred while loading the submitted data."
    empty = await client.post(f"{USERS}/auth-with-otp", json={})
    assert empty.json() == {
        "data": {
            "otpId": {"code": "validation_required", "message": "Cannot be blank."},
            "password": {"code": "validation_required", "message": "Cannot be blank."},
        },
        "message": "An error occurred while validating the submitted data.",
        "status": 400,
    }


async def test_otp_disabled(client: httpx.AsyncClient) -> None:
    forbidden = {
        "data": {},
        "message": "The collection is not configured to allow OTP authentication.",
        "status": 403,
    }
    for path in ("request-otp", "auth-with-otp"):
        response = await client.post(f"{USERS}/{path}", json={"email": "u1@example.com"})
        assert response.status_code == 403
        assert response.json() == forbidden


async def test_mfa_password_then_otp(
    client: httpx.AsyncClient, core: Core, superuser_token: str
) -> None:
    await configure(client, superuser_token, otp={"enabled": True}, mfa={"enabled": True})
    user = await create_user(client, "u1@example.com")
    first = await client.post(
        f"{USERS}/auth-with-password", json={"identity": "u1@example.com", "password": PASSWORD}
    )
    assert first.status_code == 401
    assert set(first.json()) == {"mfaId"}  # no error envelope
    mfa_id = first.json()["mfaId"]
    row = await core.store.fetch_one('SELECT * FROM "_mfas" WHERE "id" = ?', (mfa_id,))
    assert row is not None and row["method"] == "password" and row["recordRef"] == user["id"]

    same = await client.post(
        f"{USERS}/auth-with-password",
        json={"identity": "u1@example.com", "password": PASSWORD, "mfaId": mfa_id},
    )
    assert same.json() == {
        "data": {},
        "message": "A different authentication method is required.",
        "status": 400,
    }

    otp_id, code = await request_code(client, core, "u1@example.com")
    second = await client.post(
        f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": code, "mfaId": mfa_id}
    )
    assert second.status_code == 200, second.text
    assert second.json()["record"]["id"] == user["id"]
    # The session is used up.
    assert await core.store.fetch_one('SELECT * FROM "_mfas" WHERE "id" = ?', (mfa_id,)) is None
    # With MFA on, the OTP sign-in keeps the password.
    again = await client.post(
        f"{USERS}/auth-with-password", json={"identity": "u1@example.com", "password": PASSWORD}
    )
    assert again.status_code == 401


async def test_mfa_session_errors(
    client: httpx.AsyncClient,
    core: Core,
    superuser_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await configure(client, superuser_token, otp={"enabled": True}, mfa={"enabled": True})
    await create_user(client, "u1@example.com")
    await create_user(client, "u2@example.com")
    first = await client.post(
        f"{USERS}/auth-with-password", json={"identity": "u1@example.com", "password": PASSWORD}
    )
    mfa_id = first.json()["mfaId"]

    async def second(email: str, session: str) -> httpx.Response:
        otp_id, code = await request_code(client, core, email)
        return await client.post(
            f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": code, "mfaId": session}
        )

    unknown = await second("u1@example.com", "nope")
    assert unknown.json()["message"] == "Invalid or expired MFA session."
    other = await second("u2@example.com", mfa_id)
    assert other.json()["message"] == "Invalid MFA session."
    # The OTP lives 180 s and the session 600 s: ask for the code first, then move the clock.
    otp_id, code = await request_code(client, core, "u1@example.com")
    await configure(client, superuser_token, otp={"enabled": True, "duration": 900})
    real_now = mfa_module.now
    monkeypatch.setattr(mfa_module, "now", lambda: real_now() + timedelta(seconds=601))
    expired = await client.post(
        f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": code, "mfaId": mfa_id}
    )
    assert expired.json()["message"] == "Invalid or expired MFA session.", expired.text


async def test_mfa_rule_limits_who_needs_it(
    client: httpx.AsyncClient, superuser_token: str
) -> None:
    await configure(
        client,
        superuser_token,
        otp={"enabled": True},
        mfa={"enabled": True, "rule": "email = 'u2@example.com'"},
    )
    await create_user(client, "u1@example.com")
    await create_user(client, "u2@example.com")
    one = await client.post(
        f"{USERS}/auth-with-password", json={"identity": "u1@example.com", "password": PASSWORD}
    )
    assert one.status_code == 200
    two = await client.post(
        f"{USERS}/auth-with-password", json={"identity": "u2@example.com", "password": PASSWORD}
    )
    assert two.status_code == 401 and "mfaId" in two.json()


AUTH_RULE_FAILED = {
    "data": {},
    "message": "The request doesn't satisfy the collection requirements to authenticate.",
    "status": 403,
}


async def test_auth_rule_refuses_unverified_sign_in(
    client: httpx.AsyncClient, core: Core, superuser_token: str
) -> None:
    await configure(client, superuser_token, authRule="verified = true", otp={"enabled": True})
    user = await create_user(client, "u1@example.com")
    body = {"identity": "u1@example.com", "password": PASSWORD}
    refused = await client.post(f"{USERS}/auth-with-password", json=body)
    assert refused.status_code == 403
    assert refused.json() == AUTH_RULE_FAILED

    await client.patch(
        f"{USERS}/records/{user['id']}",
        headers={"Authorization": superuser_token},
        json={"verified": True},
    )
    assert (await client.post(f"{USERS}/auth-with-password", json=body)).status_code == 200


async def test_null_auth_rule_means_no_sign_in(
    client: httpx.AsyncClient, core: Core, superuser_token: str
) -> None:
    await create_user(client, "u1@example.com")
    await configure(client, superuser_token, authRule=None, otp={"enabled": True})
    password = await client.post(
        f"{USERS}/auth-with-password", json={"identity": "u1@example.com", "password": PASSWORD}
    )
    assert password.json() == AUTH_RULE_FAILED
    otp_id, code = await request_code(client, core, "u1@example.com")
    otp = await client.post(f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": code})
    assert otp.json() == AUTH_RULE_FAILED


async def test_guessing_a_code_is_cut_short(
    client: httpx.AsyncClient, core: Core, otp_enabled: str
) -> None:
    await create_user(client, "u1@example.com")
    otp_id, code = await request_code(client, core, "u1@example.com")
    wrong = "0" * 8 if code != "0" * 8 else "1" * 8
    for _ in range(5):
        response = await client.post(
            f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": wrong}
        )
        assert response.json() == INVALID_OTP
    # Rate limits are off in the settings, yet the sixth try (even the right code) is refused.
    sixth = await client.post(f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": code})
    assert sixth.status_code == 429
    assert sixth.json() == {
        "data": {},
        "message": "Too many attempts, please try again later with a new OTP.",
        "status": 429,
    }


async def test_changing_the_auth_rule_revokes_tokens(
    client: httpx.AsyncClient, superuser_token: str
) -> None:
    await create_user(client, "u1@example.com")
    signed_in = await client.post(
        f"{USERS}/auth-with-password", json={"identity": "u1@example.com", "password": PASSWORD}
    )
    token = signed_in.json()["token"]
    await configure(client, superuser_token, authRule="verified = false")
    refreshed = await client.post(f"{USERS}/auth-refresh", headers={"Authorization": token})
    assert refreshed.status_code == 401
    # Unrelated changes keep them.
    again = await client.post(
        f"{USERS}/auth-with-password", json={"identity": "u1@example.com", "password": PASSWORD}
    )
    await configure(client, superuser_token, listRule="")
    kept = await client.post(
        f"{USERS}/auth-refresh", headers={"Authorization": again.json()["token"]}
    )
    assert kept.status_code == 200


async def test_refresh_checks_the_auth_rule(
    client: httpx.AsyncClient, core: Core, superuser_token: str
) -> None:
    user = await create_user(client, "u1@example.com")
    await configure(client, superuser_token, authRule="verified = false")
    signed_in = await client.post(
        f"{USERS}/auth-with-password", json={"identity": "u1@example.com", "password": PASSWORD}
    )
    assert signed_in.status_code == 200
    collection = core.records.collection("users")
    await core.records.write_fields(collection, str(user["id"]), {"verified": True})
    refreshed = await client.post(
        f"{USERS}/auth-refresh", headers={"Authorization": signed_in.json()["token"]}
    )
    assert refreshed.json() == AUTH_RULE_FAILED


async def test_mfa_needs_two_sign_in_methods(
    client: httpx.AsyncClient, superuser_token: str
) -> None:
    response = await client.patch(
        USERS, headers={"Authorization": superuser_token}, json={"mfa": {"enabled": True}}
    )
    assert response.status_code == 400
    assert response.json()["data"] == {
        "mfa": {
            "enabled": {
                "code": "validation_mfa_not_enough_auths",
                "message": "MFA requires at least 2 auth methods to be enabled.",
            }
        }
    }


class BrokenMailer:
    async def send(self, mail: Mail) -> None:
        raise OSError("no route to the SMTP server")


async def test_a_code_that_cannot_be_mailed_is_dropped(
    client: httpx.AsyncClient, core: Core, otp_enabled: str
) -> None:
    await create_user(client, "u1@example.com")
    core.mailer = BrokenMailer()
    response = await client.post(f"{USERS}/request-otp", json={"email": "u1@example.com"})
    assert response.status_code == 200  # the answer does not wait for (or reveal) the mail
    await otp_module.drain()
    otp_id = response.json()["otpId"]
    assert await core.store.fetch_one('SELECT * FROM "_otps" WHERE "id" = ?', (otp_id,)) is None


async def test_superuser_otp(client: httpx.AsyncClient, core: Core, superuser_token: str) -> None:
    patch = await client.patch(
        "/api/collections/_superusers",
        headers={"Authorization": superuser_token},
        json={"otp": {"enabled": True}},
    )
    assert patch.status_code == 200, patch.text
    sent = len(core.mailer.sent) if isinstance(core.mailer, RecordingMailer) else 0
    response = await client.post(
        "/api/collections/_superusers/request-otp", json={"email": SU_EMAIL}
    )
    await otp_module.drain()
    assert isinstance(core.mailer, RecordingMailer)
    match = re.search(r"<strong>(\d+)</strong>", core.mailer.sent[sent].html)
    assert match is not None
    signed_in = await client.post(
        "/api/collections/_superusers/auth-with-otp",
        json={"otpId": response.json()["otpId"], "password": match.group(1)},
    )
    assert signed_in.status_code == 200, signed_in.text
    collections = await client.get(
        "/api/collections", headers={"Authorization": signed_in.json()["token"]}
    )
    assert collections.status_code == 200


async def test_expired_codes_and_sessions_are_swept(
    client: httpx.AsyncClient, core: Core, superuser_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await configure(client, superuser_token, otp={"enabled": True}, mfa={"enabled": True})
    await create_user(client, "u1@example.com")
    otp_id, _ = await request_code(client, core, "u1@example.com")
    first = await client.post(
        f"{USERS}/auth-with-password", json={"identity": "u1@example.com", "password": PASSWORD}
    )
    mfa_id = first.json()["mfaId"]
    assert await mfa_module.prune_expired(core.records, force=True) == 0
    real_now = mfa_module.now
    monkeypatch.setattr(mfa_module, "now", lambda: real_now() + timedelta(seconds=200))
    assert await mfa_module.prune_expired(core.records, force=True) == 1  # the code (180 s)
    assert await core.store.fetch_one('SELECT 1 FROM "_otps" WHERE "id" = ?', (otp_id,)) is None
    monkeypatch.setattr(mfa_module, "now", lambda: real_now() + timedelta(seconds=601))
    assert await mfa_module.prune_expired(core.records, force=True) == 1  # the session (600 s)
    assert await core.store.fetch_one('SELECT 1 FROM "_mfas" WHERE "id" = ?', (mfa_id,)) is None
