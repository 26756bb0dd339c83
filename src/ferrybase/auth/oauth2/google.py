"""Google (OpenID Connect endpoints, PocketBase's ``google`` provider)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ferrybase.auth.oauth2.base import Provider, text, truthy
from ferrybase.core.oauth2 import OAuth2User


class Google(Provider):
    name = "google"
    default_display_name = "Google"
    default_auth_url = "https://accounts.google.com/o/oauth2/v2/auth"
    default_token_url = "https://oauth2.googleapis.com/token"
    default_user_info_url = "https://www.googleapis.com/oauth2/v3/userinfo"
    scopes = (
        "https://www.googleapis.com/auth/userinfo.profile",
        "https://www.googleapis.com/auth/userinfo.email",
    )

    def user_of(self, raw: Mapping[str, Any]) -> OAuth2User:
        return OAuth2User(
            id=text(raw.get("sub")),
            name=text(raw.get("name")),
            avatar_url=text(raw.get("picture")),
            email=text(raw.get("email")) if truthy(raw.get("email_verified")) else "",
        )
