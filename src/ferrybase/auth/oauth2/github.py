"""GitHub: the user from ``/user``; a private address from ``/user/emails`` (primary and
verified only), as PocketBase's ``github`` provider reads it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client

from ferrybase.auth.oauth2.base import Provider, get_json, text
from ferrybase.core.oauth2 import OAuth2User

EMAILS_URL = "https://api.github.com/user/emails"


class GitHub(Provider):
    name = "github"
    default_display_name = "GitHub"
    default_auth_url = "https://github.com/login/oauth/authorize"
    default_token_url = "https://github.com/login/oauth/access_token"
    default_user_info_url = "https://api.github.com/user"
    scopes = ("read:user", "user:email")

    async def raw_user(self, client: AsyncOAuth2Client, token: Mapping[str, Any]) -> dict[str, Any]:
        raw = await get_json(client, self.user_info_url)
        if not raw.get("email"):
            # The public profile hides the address; the emails API lists the verified ones.
            response: httpx2.Response = await client.get(EMAILS_URL)
            if response.status_code == 200:
                for entry in response.json():
                    if isinstance(entry, dict) and entry.get("primary") and entry.get("verified"):
                        raw["email"] = entry.get("email")
                        break
        return raw

    def user_of(self, raw: Mapping[str, Any]) -> OAuth2User:
        return OAuth2User(
            id=text(raw.get("id")),
            name=text(raw.get("name")),
            username=text(raw.get("login")),
            email=text(raw.get("email")),
            avatar_url=text(raw.get("avatar_url")),
        )
