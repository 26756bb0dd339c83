"""Microsoft (Entra ID, the ``common`` tenant by default): the user from Graph's ``/me``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ferrybase.auth.oauth2.base import Provider, text
from ferrybase.core.oauth2 import OAuth2User


class Microsoft(Provider):
    name = "microsoft"
    default_display_name = "Microsoft"
    default_auth_url = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
    default_token_url = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
    default_user_info_url = "https://graph.microsoft.com/v1.0/me"
    scopes = ("User.Read",)

    def user_of(self, raw: Mapping[str, Any]) -> OAuth2User:
        return OAuth2User(
            id=text(raw.get("id")),
            name=text(raw.get("displayName")),
            email=text(raw.get("mail")),
        )
