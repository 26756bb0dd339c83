"""Ferrybase: a self-hosted backend for web and mobile apps, wire-compatible with PocketBase.

What plugin authors may import is re-exported here; ``__all__`` is kept sorted and complete
by a test.
"""

from ferrybase.errors import (
    AuthenticationError,
    BadRequestError,
    FerrybaseError,
    FieldError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    ValidationError,
)

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "FerrybaseError",
    "FieldError",
    "ForbiddenError",
    "NotFoundError",
    "UnauthorizedError",
    "ValidationError",
    "__version__",
]
