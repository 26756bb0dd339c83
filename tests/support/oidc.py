"""A real local OpenID Connect provider for the OAuth2 tests, and a scripted browser for it.

``oidc-provider-mock`` runs a complete provider (discovery, authorization, token, userinfo,
JWKS) on a free port in a thread; any client id and secret are accepted. Its authorization
page is a form where a person picks the subject (or denies the request): :func:`authorize`
and :func:`consent` submit that form as a browser would and return the redirect.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import oidc_provider_mock
import pytest

REDIRECT_URL = "http://127.0.0.1:8090/api/oauth2-redirect"


@dataclass(frozen=True)
class OidcServer:
    """A running provider at ``url`` (its issuer)."""

    url: str

    @property
    def auth_url(self) -> str:
        return f"{self.url}/oauth2/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth2/token"

    @property
    def user_info_url(self) -> str:
        return f"{self.url}/userinfo"

    def set_user(self, sub: str, claims: dict[str, Any]) -> None:
        """The claims the provider will tell about ``sub`` (through its test API)."""
        response = httpx.put(f"{self.url}/users/{quote(sub, safe='')}", json=claims)
        assert response.status_code == 204, response.text

    def provider_config(self, name: str = "oidc", **overrides: Any) -> dict[str, Any]:
        """An ``oauth2.providers`` entry of an auth collection for this provider."""
        return {
            "name": name,
            "clientId": "ferrybase-client",
            "clientSecret": "ferrybase-secret",
            "authURL": self.auth_url,
            "tokenURL": self.token_url,
            "userInfoURL": self.user_info_url,
            "displayName": "Test OIDC",
            "pkce": True,
            **overrides,
        }


@pytest.fixture(scope="session")
def oidc_server() -> Iterator[OidcServer]:
    with oidc_provider_mock.run_server_in_thread() as server:
        yield OidcServer(f"http://localhost:{server.server_port}")


def authorize(auth_url: str, sub: str, redirect_url: str = REDIRECT_URL) -> dict[str, str]:
    """Sign ``sub`` in at the provider as a browser would; the redirect's query
    (``code`` and ``state``, or ``error``).

    ``auth_url`` is the authorization URL of auth-methods (ending with ``redirect_uri=``).
    """
    url = auth_url + quote(redirect_url, safe="")
    with httpx.Client(follow_redirects=False, trust_env=False) as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text  # the form where the subject is chosen
        answer = browser.post(url, data={"sub": sub})
    location = _redirect(answer, redirect_url)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def consent(url: str, sub: str, redirect_url: str, *, deny: bool = False) -> str:
    """The browser at the provider's complete authorization ``url``: ``sub`` picked and
    allowed (or the request denied); where the provider sends the browser back."""
    form = {"action": "deny"} if deny else {"sub": sub}
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as browser:
        page = await browser.get(url)
        assert page.status_code == 200, page.text
        answer = await browser.post(url, data=form)
    return _redirect(answer, redirect_url)


def _redirect(answer: httpx.Response, redirect_url: str) -> str:
    assert answer.status_code in (302, 303), answer.text
    location = answer.headers["location"]
    assert location.startswith(redirect_url), location
    return location
