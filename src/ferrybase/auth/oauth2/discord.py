"""Discord: the user from ``/users/@me``; the avatar URL built from its hash."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ferrybase.auth.oauth2.base import Provider, text, truthy
from ferrybase.core.oauth2 import OAuth2User


class Discord(Provider):
    name = "discord"
    default_display_name = "Discord"
    default_auth_url = "https://discord.com/api/oauth2/authorize"
    default_token_url = "https://discord.com/api/oauth2/token"
    default_user_info_url = "https://discord.com/api/users/@me"
    scopes = ("identify", "email")

    def user_of(self, raw: Mapping[str, Any]) -> OAuth2User:
        user_id, avatar = text(raw.get("id")), text(raw.get("avatar"))
        avatar_url = f"https://cdn.discordapp.com/avatars/{user_id}/{avatar}.png" if avatar else ""
        return OAuth2User(
            id=user_id,
            name=text(raw.get("global_name")),
            username=text(raw.get("username")),
            avatar_url=avatar_url,
            email=text(raw.get("email")) if truthy(raw.get("verified")) else "",
        )
