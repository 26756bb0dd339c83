"""The provider's picture of a new OAuth2 user, downloaded into the ``avatar`` file field when
``mappedFields.avatarURL`` names a file field (PocketBase's behaviour), on both stores.

The pictures are served by a tiny HTTP server on loopback, which the real downloads refuse
(as PocketBase's, they only connect to public addresses): the tests that need a picture to
arrive swap in downloads that allow private addresses.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from PIL import Image

from ferrybase.api import auth_oauth2
from ferrybase.auth.oauth2.avatars import AvatarDownloads, is_public
from ferrybase.core import oauth2
from ferrybase.core.app import Core
from tests.api.test_oauth2 import code_for, configure, sign_in
from tests.support.oidc import OidcServer, oidc_server

__all__ = ["oidc_server"]  # the fixture, used by the tests below


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


PICTURE = png()


class Pictures:
    """A picture server: ``/alice.png`` (the PNG), ``/moved`` (302 to it), ``/slow.png``
    (answers after 3 s), anything else 404; ``hits`` counts the requests per path."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        pictures = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                pictures.hits[self.path] = pictures.hits.get(self.path, 0) + 1
                if self.path == "/moved":
                    self.send_response(302)
                    self.send_header("Location", "/alice.png")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path == "/slow.png":
                    time.sleep(3)
                if self.path not in ("/alice.png", "/slow.png"):
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PICTURE)))
                self.end_headers()
                self.wfile.write(PICTURE)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def pictures() -> Iterator[Pictures]:
    server = Pictures()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth_oauth2, "AVATARS", AvatarDownloads(allow_private=True))


async def new_user(
    client: httpx.AsyncClient, core: Core, oidc_server: OidcServer, sub: str, picture: str
) -> httpx.Response:
    claims = {"email": f"{sub}@example.com", "email_verified": True, "picture": picture}
    oidc_server.set_user(sub, claims)
    return await sign_in(client, code_for(core, sub))


@pytest.mark.usefixtures("loopback_allowed")
async def test_a_new_user_gets_the_picture_once(
    client: httpx.AsyncClient,
    core: Core,
    superuser_token: str,
    oidc_server: OidcServer,
    pictures: Pictures,
) -> None:
    await configure(client, superuser_token, oidc_server)
    first = await new_user(client, core, oidc_server, "pia", f"{pictures.url}/moved")
    assert first.status_code == 200, first.text
    record = first.json()["record"]
    assert re.fullmatch(r"moved_[a-z0-9]{10}\.png", record["avatar"]), record["avatar"]
    assert pictures.hits == {"/moved": 1, "/alice.png": 1}  # the redirect was followed
    stored = await client.get(f"/api/files/users/{record['id']}/{record['avatar']}")
    assert stored.status_code == 200, stored.text
    assert stored.content == PICTURE
    assert stored.headers["content-type"] == "image/png"

    # Signing in again downloads nothing and keeps the avatar.
    again = await sign_in(client, code_for(core, "pia"))
    assert again.status_code == 200, again.text
    assert again.json()["record"]["avatar"] == record["avatar"]
    assert pictures.hits == {"/moved": 1, "/alice.png": 1}

    # An existing record found by its e-mail downloads nothing either.
    password = "pass-12345678"
    existing = await client.post(
        "/api/collections/users/records",
        json={"email": "quinn@example.com", "password": password, "passwordConfirm": password},
    )
    assert existing.status_code == 200, existing.text
    linked = await new_user(client, core, oidc_server, "quinn", f"{pictures.url}/alice.png")
    assert linked.status_code == 200, linked.text
    assert linked.json()["record"]["id"] == existing.json()["id"]
    assert linked.json()["record"]["avatar"] == ""
    assert pictures.hits["/alice.png"] == 1

    # createData's own avatar value wins over the picture.
    oidc_server.set_user("rae", {"email": "rae@example.com", "email_verified": True})
    body = {**code_for(core, "rae"), "createData": {"avatar": None}}
    chosen = await sign_in(client, body)
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["record"]["avatar"] == ""


async def test_a_picture_that_cannot_be_had_is_left_out(
    client: httpx.AsyncClient,
    core: Core,
    superuser_token: str,
    oidc_server: OidcServer,
    pictures: Pictures,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await configure(client, superuser_token, oidc_server)
    # The real downloads: a loopback address is refused before anything is sent.
    refused = await new_user(client, core, oidc_server, "sid", f"{pictures.url}/alice.png")
    assert refused.status_code == 200, refused.text
    assert refused.json()["record"]["avatar"] == ""
    assert pictures.hits == {}

    monkeypatch.setattr(auth_oauth2, "AVATARS", AvatarDownloads(allow_private=True))
    cases = {
        "tom": f"{pictures.url}/missing.png",  # 404
        "uma": "ftp://127.0.0.1/alice.png",  # not HTTP
    }
    for sub, url in cases.items():
        response = await new_user(client, core, oidc_server, sub, url)
        assert response.status_code == 200, (sub, response.text)
        assert response.json()["record"]["avatar"] == "", sub

    monkeypatch.setattr(oauth2, "AVATAR_MAX_SIZE", len(PICTURE) - 1)
    too_big = await new_user(client, core, oidc_server, "val", f"{pictures.url}/alice.png")
    assert too_big.status_code == 200, too_big.text
    assert too_big.json()["record"]["avatar"] == ""

    monkeypatch.setattr(oauth2, "AVATAR_TIMEOUT", 0.2)
    slow = await new_user(client, core, oidc_server, "wes", f"{pictures.url}/slow.png")
    assert slow.status_code == 200, slow.text
    assert slow.json()["record"]["avatar"] == ""


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::ffff:127.0.0.1", False),
    ],
)
def test_only_public_addresses_are_downloaded_from(address: str, public: bool) -> None:
    assert is_public(address) is public
