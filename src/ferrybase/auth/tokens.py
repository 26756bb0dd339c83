"""Tokens: HS256 JWTs with PocketBase's claims, signed with ``tokenKey + collection secret``.

Only HS256 is accepted: ``none``, other algorithms, tampered payloads and expired tokens are
refused. Binding the key to the record's ``tokenKey`` means rotating it (a password change)
revokes every token issued before.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from ferrybase.core.ports import InvalidTokenError as InvalidToken

ALGORITHM = "HS256"

AUTH = "auth"
FILE = "file"
VERIFICATION = "verification"
PASSWORD_RESET = "passwordReset"
EMAIL_CHANGE = "emailChange"


def sign(claims: dict[str, Any], key: str, duration: int) -> str:
    """Sign ``claims`` plus an ``exp`` that many seconds from now."""
    payload = dict(claims)
    payload["exp"] = int(time.time()) + duration
    return jwt.encode(payload, key, algorithm=ALGORITHM)


def unverified_claims(token: str) -> dict[str, Any]:
    """Read the claims without checking the signature, to find the key to check it with."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("unsupported algorithm")
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if not isinstance(claims, dict):
        raise InvalidToken("claims are not an object")
    return claims


def verify(token: str, key: str, token_type: str) -> dict[str, Any]:
    """Check signature, expiry and type; return the claims."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[ALGORITHM], options={"require": ["exp"]}
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if claims.get("type") != token_type:
        raise InvalidToken("wrong token type")
    return claims


class JwtTokens:
    """The ``core.ports.Tokens`` implementation."""

    def sign(self, claims: dict[str, Any], key: str, duration: int) -> str:
        return sign(claims, key, duration)

    def unverified_claims(self, token: str) -> dict[str, Any]:
        return unverified_claims(token)

    def verify(self, token: str, key: str, token_type: str) -> dict[str, Any]:
        return verify(token, key, token_type)
