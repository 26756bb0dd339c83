"""Auth origins and the "Login from a new location" alert."""

from __future__ import annotations

import httpx
import pytest

from ferrybase.core import auth_origins
from ferrybase.core.app import Core
from ferrybase.core.ports import RecordingMailer

SIGN_IN = "/api/collections/users/auth-with-password"


@pytest.fixture
def mailer(core: Core) -> RecordingMailer:
    recording = RecordingMailer()
    core.origins.mailer = recording
    return recording


async def sign_in(client: httpx.AsyncClient, agent: str, password: str = "password-1") -> str:
    response = await client.post(
        SIGN_IN,
        json={"identity": "ann@example.com", "password": password},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


async def origins(core: Core) -> int:
    users = '"collectionRef" = ?'
    sql = f'SELECT COUNT(*) FROM "_authOrigins" WHERE {users}'
    return int(await core.store.fetch_value(sql, ("_pb_users_auth_",)))


async def test_new_locations_alert_the_owner(
    client: httpx.AsyncClient, core: Core, mailer: RecordingMailer
) -> None:
    body = {"email": "ann@example.com", "password": "password-1", "passwordConfirm": "password-1"}
    ann = (await client.post("/api/collections/users/records", json=body)).json()
    await sign_in(client, "laptop")
    await sign_in(client, "laptop")
    await auth_origins.drain()
    assert await origins(core) == 1 and mailer.sent == []  # the first place is no news
    token = await sign_in(client, "phone")
    await auth_origins.drain()
    assert await origins(core) == 2
    [mail] = mailer.sent
    assert mail.to == "ann@example.com"
    assert mail.subject == "Login from a new location"
    assert "phone" in mail.html
    # a new password forgets the places, so the owner's next sign-in is quiet
    change = {
        "oldPassword": "password-1",
        "password": "password-2",
        "passwordConfirm": "password-2",
    }
    updated = await client.patch(
        f"/api/collections/users/records/{ann['id']}", json=change, headers={"Authorization": token}
    )
    assert updated.status_code == 200, updated.text
    assert await origins(core) == 0
    await sign_in(client, "tablet", "password-2")
    await auth_origins.drain()
    assert len(mailer.sent) == 1


async def test_no_alert_when_disabled(
    client: httpx.AsyncClient, core: Core, mailer: RecordingMailer, superuser_token: str
) -> None:
    off = {"authAlert": {"enabled": False}}
    patched = await client.patch(
        "/api/collections/users", json=off, headers={"Authorization": superuser_token}
    )
    assert patched.status_code == 200
    body = {"email": "ann@example.com", "password": "password-1", "passwordConfirm": "password-1"}
    await client.post("/api/collections/users/records", json=body)
    await sign_in(client, "laptop")
    await sign_in(client, "phone")
    await auth_origins.drain()
    assert await origins(core) == 2 and mailer.sent == []
