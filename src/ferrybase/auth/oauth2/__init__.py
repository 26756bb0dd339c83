"""OAuth2 providers: one module per provider kind, all built on ``base.Provider`` (Authlib's
client for the code exchange, over httpx2); ``avatars.py`` downloads a new user's picture from
public addresses only. Implements ``core/oauth2.py``'s Protocols.

Imports ``core`` (the user type and the errors it declares) and the leaves; never ``api``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ferrybase.auth.oauth2.apple import Apple
from ferrybase.auth.oauth2.base import Provider
from ferrybase.auth.oauth2.discord import Discord
from ferrybase.auth.oauth2.github import GitHub
from ferrybase.auth.oauth2.gitlab import GitLab
from ferrybase.auth.oauth2.google import Google
from ferrybase.auth.oauth2.microsoft import Microsoft
from ferrybase.auth.oauth2.oidc import OIDC, OIDC2, OIDC3
from ferrybase.core.collections import Collection

# Every provider kind by its PocketBase name.
PROVIDERS: dict[str, type[Provider]] = {
    kind.name: kind
    for kind in (Apple, Discord, GitHub, GitLab, Google, Microsoft, OIDC, OIDC2, OIDC3)
}


class Providers:
    """The :class:`ferrybase.core.oauth2.OAuth2Providers` of the provider kinds above."""

    def __init__(self, kinds: Mapping[str, type[Provider]] | None = None) -> None:
        self.kinds = dict(PROVIDERS if kinds is None else kinds)

    def provider(self, config: Mapping[str, Any]) -> Provider | None:
        kind = self.kinds.get(str(config.get("name") or ""))
        return None if kind is None else kind(config)

    def auth_methods(self, collection: Collection) -> list[dict[str, Any]]:
        """auth-methods' ``oauth2.providers``: one entry (fresh state and PKCE pair) per
        configured provider, in the configured order; ``[]`` while OAuth2 is disabled."""
        options = collection.options.get("oauth2") or {}
        if not collection.is_auth or not options.get("enabled"):
            return []
        out = []
        for config in options.get("providers") or []:
            provider = self.provider(config) if isinstance(config, dict) else None
            if provider is not None:
                out.append(provider.auth_method())
        return out


__all__ = ["PROVIDERS", "Provider", "Providers"]
