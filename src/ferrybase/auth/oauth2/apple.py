"""Sign in with Apple: the user is the verified ``id_token`` (Apple has no user-info
endpoint), and the client secret is a JWT the superuser generates from the Apple key.

PocketBase serves :func:`client_secret` as ``POST /api/settings/apple/generate-client-secret``
(``{clientId, teamId, keyId, privateKey, duration}`` -> ``{secret}``); the result goes into
the provider's ``clientSecret`` and must be renewed before it expires (at most 180 days).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

import jwt
from authlib.integrations.httpx_client import AsyncOAuth2Client

from ferrybase.auth.oauth2.base import Provider, text, truthy
from ferrybase.auth.oauth2.oidc import id_token_claims
from ferrybase.core.oauth2 import OAuth2User

ISSUER = "https://appleid.apple.com"
KEYS_URL = "https://appleid.apple.com/auth/keys"
MAX_SECRET_DURATION = 15777000  # Apple accepts client secrets valid for six months at most


class Apple(Provider):
    name = "apple"
    default_display_name = "Apple"
    default_auth_url = "https://appleid.apple.com/auth/authorize"
    default_token_url = "https://appleid.apple.com/auth/token"
    scopes = ("name", "email")
    # Apple posts the code (and, the first time, the user's name) to the redirect URL.
    auth_params: ClassVar[Mapping[str, str]] = {"response_mode": "form_post"}

    async def raw_user(self, client: AsyncOAuth2Client, token: Mapping[str, Any]) -> dict[str, Any]:
        jwks = str(self.extra.get("jwksURL") or KEYS_URL)
        return await id_token_claims(client, token, jwks, audience=self.client_id, issuers=[ISSUER])

    def user_of(self, raw: Mapping[str, Any]) -> OAuth2User:
        return OAuth2User(
            id=text(raw.get("sub")),
            email=text(raw.get("email")) if truthy(raw.get("email_verified")) else "",
        )


def client_secret(
    client_id: str, team_id: str, key_id: str, private_key: str, duration: int
) -> str:
    """The ES256 JWT Apple takes as client secret, valid for ``duration`` seconds."""
    if not 0 < duration <= MAX_SECRET_DURATION:
        raise ValueError(f"duration must be between 1 and {MAX_SECRET_DURATION} seconds")
    now = int(time.time())
    claims = {"iss": team_id, "iat": now, "exp": now + duration, "aud": [ISSUER], "sub": client_id}
    return jwt.encode(claims, private_key, algorithm="ES256", headers={"kid": key_id})
