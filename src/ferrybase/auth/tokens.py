"""Tokens: HS256 JWTs with PocketBase's claims, signed with ``tokenKey + collection secret``.

Only HS256 is accepted: ``none``, other algorithms, tampered payloads and expired tokens are
refused. Binding the key to the record's ``tokenKey`` means rotating it (a password change)
revokes every token issued before.
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

import jwt
import orjson

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
    """Read the claims without checking the signature, to find the key to check it with.

    Only a well-formed HS256 token gets this far; :func:`verify` then checks it with PyJWT.
    """
    try:
        header_b64, payload_b64, _ = token.split(".")
        header = orjson.loads(_b64decode(header_b64))
        claims = orjson.loads(_b64decode(payload_b64))
    except (ValueError, binascii.Error) as exc:  # orjson.JSONDecodeError is a ValueError
        raise InvalidToken("malformed token") from exc
    if not isinstance(header, dict) or header.get("alg") != ALGORITHM:
        raise InvalidToken("unsupported algorithm")
    if not isinstance(claims, dict):
        raise InvalidToken("claims are not an object")
    return claims


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


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
