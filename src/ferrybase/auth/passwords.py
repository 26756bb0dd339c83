"""Password hashing: argon2id for new passwords, bcrypt accepted for PocketBase's hashes.

Hashing is CPU-bound by design (tens of milliseconds), so the async functions run it in a
worker thread; both libraries release the GIL while they work, so sign-ins never stall other
requests on the event loop.
"""

from __future__ import annotations

import asyncio

import bcrypt
from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's minimum for argon2id: 19 MiB of memory, 2 iterations, 1 lane.
_ARGON2 = Argon2Hasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when an identity is unknown, so that answer costs what a wrong password costs.
_DUMMY_HASH = _ARGON2.hash("ferrybase-dummy-password")


def hash_password(password: str) -> str:
    return _ARGON2.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Check a password against an argon2id or bcrypt (``$2a$``/``$2b$``) hash."""
    if stored_hash.startswith("$argon2"):
        try:
            return _ARGON2.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False
    if stored_hash.startswith(("$2a$", "$2b$", "$2y$")):
        try:
            return bcrypt.checkpw(password.encode(), stored_hash.encode())
        except ValueError:
            return False
    return False


class PasswordHasher:
    """The ``core.ports.Passwords`` implementation: hashing off the event loop."""

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(hash_password, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        if stored_hash is None:
            await asyncio.to_thread(verify_password, _DUMMY_HASH, password)
            return False
        return await asyncio.to_thread(verify_password, stored_hash, password)
