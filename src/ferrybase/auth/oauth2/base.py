"""What every provider shares: its configuration, the authorization URL, the code exchange
(Authlib's ``AsyncOAuth2Client``) and the user-info request. A provider module only says
where its endpoints are and how its user JSON reads (:meth:`Provider.user_of`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from ferrybase.core.dates import format_datetime
from ferrybase.core.oauth2 import OAuth2User, TokenExchangeError, UserInfoError

TIMEOUT = httpx2.Timeout(30.0)
# Go's oauth2 tries the client secret in a Basic header first, then in the form body;
# PocketBase's providers inherit that, so some providers only ever accept one of them.
_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


@cache
def logo(name: str) -> str:
    """The inline SVG PocketBase's auth-methods shows for a provider kind."""
    raw = resources.files("ferrybase.auth.oauth2").joinpath("logos.json").read_text()
    logos: dict[str, str] = json.loads(raw)
    return logos.get(name, "")


class Provider:
    """One provider as a collection configures it (an entry of ``oauth2.providers``).

    Subclasses set the class attributes and implement :meth:`user_of`; those that read the
    user another way than one GET of ``user_info_url`` override :meth:`raw_user`.
    """

    name: ClassVar[str]
    default_display_name: ClassVar[str]
    default_auth_url: ClassVar[str] = ""
    default_token_url: ClassVar[str] = ""
    default_user_info_url: ClassVar[str] = ""
    scopes: ClassVar[tuple[str, ...]] = ()
    pkce_default: ClassVar[bool] = True
    auth_params: ClassVar[Mapping[str, str]] = {}
    logo_name: ClassVar[str] = ""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.client_id = str(config.get("clientId") or "")
        self.client_secret = str(config.get("clientSecret") or "")
        # A configured URL replaces the default (self-hosted GitLab, a tenant of Microsoft).
        self.auth_url = str(config.get("authURL") or self.default_auth_url)
        self.token_url = str(config.get("tokenURL") or self.default_token_url)
        self.user_info_url = str(config.get("userInfoURL") or self.default_user_info_url)
        self.display_name = str(config.get("displayName") or self.default_display_name)
        pkce = config.get("pkce")
        self.pkce = self.pkce_default if pkce is None else bool(pkce)
        extra = config.get("extra")
        self.extra: dict[str, Any] = dict(extra) if isinstance(extra, dict) else {}

    # -- the browser's half: auth-methods ------------------------------------------------

    def auth_method(self) -> dict[str, Any]:
        """The ``oauth2.providers`` entry of auth-methods: a fresh state and PKCE pair, and
        the authorization URL ending with ``redirect_uri=`` for the client to complete."""
        state = generate_token(30)
        verifier = generate_token(43)
        challenge = create_s256_code_challenge(verifier)
        params = {
            "client_id": self.client_id,
            "response_type": "code",
            "scope": " ".join(self.scopes),
            "state": state,
            **self.auth_params,
        }
        if self.pkce:
            params["code_challenge"] = challenge
            params["code_challenge_method"] = "S256"
        separator = "&" if "?" in self.auth_url else "?"
        # Sorted as Go's url.Values encodes them; redirect_uri last and empty, as PocketBase.
        url = f"{self.auth_url}{separator}{urlencode(sorted(params.items()))}&redirect_uri="
        return {
            "name": self.name,
            "displayName": self.display_name,
            "logo": logo(self.logo_name or self.name),
            "state": state,
            "authURL": url,
            "authUrl": url,  # the name before PocketBase 0.23, still sent
            "codeVerifier": verifier,
            "codeChallenge": challenge,
            "codeChallengeMethod": "S256",
        }

    # -- the server's half: auth-with-oauth2 ---------------------------------------------

    async def fetch_user(self, code: str, code_verifier: str, redirect_url: str) -> OAuth2User:
        token = await self.fetch_token(code, code_verifier, redirect_url)
        try:
            async with self._client(redirect_url, token=token) as client:
                raw = await self.raw_user(client, token)
            user = self.user_of(raw)
        except (httpx2.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise UserInfoError(str(exc)) from exc
        user.raw_user = raw
        user.access_token = str(token.get("access_token") or "")
        user.refresh_token = str(token.get("refresh_token") or "")
        user.expiry = _expiry(token)
        return user

    async def fetch_token(self, code: str, code_verifier: str, redirect_url: str) -> dict[str, Any]:
        """The token response for an authorization code (:class:`TokenExchangeError` if none)."""
        params: dict[str, str] = {"code": code}
        if code_verifier:
            params["code_verifier"] = code_verifier
        failure: Exception | None = None
        for method in _AUTH_METHODS:
            try:
                async with self._client(redirect_url, auth_method=method) as client:
                    token = await client.fetch_token(self.token_url, **params)
            except Exception as exc:  # Authlib's OAuthError, httpx2's errors, bad JSON
                failure = exc
                continue
            if isinstance(token, dict) and token.get("access_token"):
                return dict(token)
            failure = TokenExchangeError("no access token in the response")
        raise TokenExchangeError(str(failure)) from failure

    async def raw_user(self, client: AsyncOAuth2Client, token: Mapping[str, Any]) -> dict[str, Any]:
        """The provider's user JSON (one GET of ``user_info_url`` by default)."""
        return await get_json(client, self.user_info_url)

    def user_of(self, raw: Mapping[str, Any]) -> OAuth2User:
        raise NotImplementedError

    def _client(
        self,
        redirect_url: str,
        *,
        token: Mapping[str, Any] | None = None,
        auth_method: str = _AUTH_METHODS[0],
    ) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            redirect_uri=redirect_url or None,
            token=dict(token) if token is not None else None,
            token_endpoint_auth_method=auth_method,
            timeout=TIMEOUT,
            headers={"Accept": "application/json"},
        )


def _expiry(token: Mapping[str, Any]) -> str:
    """When the access token expires, to the millisecond as PocketBase (Go's oauth2 adds
    ``expires_in`` to the time of the response; Authlib's ``expires_at`` is whole seconds)."""
    expires_in, expires_at = token.get("expires_in"), token.get("expires_at")
    if isinstance(expires_in, int | float) and expires_in > 0:
        moment = datetime.now(UTC) + timedelta(seconds=expires_in)
    elif isinstance(expires_at, int | float) and expires_at > 0:
        moment = datetime.fromtimestamp(expires_at, UTC)
    else:
        return ""
    return format_datetime(moment)


async def get_json(client: AsyncOAuth2Client, url: str) -> dict[str, Any]:
    """A JSON object from ``url`` with the token; an error status raises."""
    if not url:
        raise ValueError("no user info URL")
    response: httpx2.Response = await client.get(url)
    response.raise_for_status()
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError("the user info is not an object")
    return data


def text(value: Any) -> str:
    """A claim as text (GitHub and GitLab send numeric ids)."""
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def truthy(value: Any) -> bool:
    """``email_verified`` as providers send it: a boolean or the text ``"true"``."""
    return value is True or (isinstance(value, str) and value.lower() == "true")
