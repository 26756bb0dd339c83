"""GitLab (gitlab.com by default; a self-hosted instance through the configured URLs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ferrybase.auth.oauth2.base import Provider, text
from ferrybase.core.oauth2 import OAuth2User


class GitLab(Provider):
    name = "gitlab"
    default_display_name = "GitLab"
    default_auth_url = "https://gitlab.com/oauth/authorize"
    default_token_url = "https://gitlab.com/oauth/token"
    default_user_info_url = "https://gitlab.com/api/v4/user"
    scopes = ("read_user",)

    def user_of(self, raw: Mapping[str, Any]) -> OAuth2User:
        # ``email`` of /user is the primary address, which GitLab confirms before use.
        return OAuth2User(
            id=text(raw.get("id")),
            name=text(raw.get("name")),
            username=text(raw.get("username")),
            email=text(raw.get("email")),
            avatar_url=text(raw.get("avatar_url")),
        )
