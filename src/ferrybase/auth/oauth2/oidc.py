"""Generic OpenID Connect (``oidc``, ``oidc2``, ``oidc3``: up to three per collection).

The user comes from ``userInfoURL``; without one, from the token response's ``id_token``,
checked against the keys at ``extra.jwksURL`` (and ``extra.issuers``, when given), as
PocketBase's ``oidc`` provider does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jwt
from authlib.integrations.httpx_client import AsyncOAuth2Client

from ferrybase.auth.oauth2.base import Provider, get_json, text, truthy
from ferrybase.core.oauth2 import OAuth2User


class OIDC(Provider):
    name = "oidc"
    default_display_name = "OIDC"
    scopes = ("openid", "email", "profile")
    logo_name = "oidc"

    async def raw_user(self, client: AsyncOAuth2Client, token: Mapping[str, Any]) -> dict[str, Any]:
        if self.user_info_url:
            return await get_json(client, self.user_info_url)
        issuers = self.extra.get("issuers")
        return await id_token_claims(
            client,
            token,
            str(self.extra.get("jwksURL") or ""),
            audience=self.client_id,
            issuers=[str(i) for i in issuers] if isinstance(issuers, list) else [],
        )

    def user_of(self, raw: Mapping[str, Any]) -> OAuth2User:
        return OAuth2User(
            id=text(raw.get("sub")),
            name=text(raw.get("name")),
            username=text(raw.get("preferred_username")),
            avatar_url=text(raw.get("picture")),
            email=text(raw.get("email")) if truthy(raw.get("email_verified")) else "",
        )


class OIDC2(OIDC):
    name = "oidc2"


class OIDC3(OIDC):
    name = "oidc3"


async def id_token_claims(
    client: AsyncOAuth2Client,
    token: Mapping[str, Any],
    jwks_url: str,
    *,
    audience: str,
    issuers: Sequence[str] = (),
) -> dict[str, Any]:
    """The verified claims of the token response's ``id_token`` (RS256/ES256 keys of a JWKS)."""
    id_token = token.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise ValueError("no id_token in the token response")
    if not jwks_url:
        raise ValueError("no JWKS URL to check the id_token against")
    keys = jwt.PyJWKSet.from_dict(await get_json(client, jwks_url))
    kid = jwt.get_unverified_header(id_token).get("kid")
    key = next((k for k in keys.keys if kid is None or k.key_id == kid), None)
    if key is None:
        raise ValueError("no key of the JWKS signed the id_token")
    claims: dict[str, Any] = jwt.decode(
        id_token,
        key=key,
        algorithms=["RS256", "ES256"],
        audience=audience,
        options={"verify_iss": False},
    )
    if issuers and claims.get("iss") not in issuers:
        raise ValueError("the id_token has an unexpected issuer")
    return claims
