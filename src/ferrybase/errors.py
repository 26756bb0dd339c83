"""Every exception Ferrybase raises on purpose. Imports nothing from the package.

Domain errors know nothing of HTTP: ``api/errors.py`` holds the one table from class to
status code. Each class has a stable ``code`` and a ``message`` that is safe to show to a
client (never SQL, a path or a secret).

    FerrybaseError
    ├── BadRequestError                 400
    │   ├── InvalidBodyError            400  malformed JSON, unsupported content type
    │   ├── ValidationError             400  field -> {code, message, params}
    │   ├── AuthenticationError         400  wrong identity or password
    │   └── FilterError                 400  filter/sort/rule text that cannot be used
    │       ├── FilterSyntaxError            with the position of the fault
    │       ├── FilterLimitError             size, depth or join caps exceeded
    │       ├── FilterResolveError           unknown field, modifier or macro
    │       └── FilterForbiddenError         @request./@collection. in a client filter (403)
    ├── UnauthorizedError               401
    ├── ForbiddenError                  403
    ├── NotFoundError                   404
    ├── ConflictError                   409  a unique constraint refused a write
    ├── StoreError                      500  the database refused a statement
    ├── PayloadTooLargeError            413
    └── TooManyRequestsError            429
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class FerrybaseError(Exception):
    """Root of every error we raise. ``data`` is PocketBase's ``data`` member."""

    code = "error"
    default_message = "Something went wrong while processing your request."

    def __init__(self, message: str | None = None, data: Mapping[str, Any] | None = None) -> None:
        self.message = message or self.default_message
        self.data: dict[str, Any] = dict(data or {})
        super().__init__(self.message)


class BadRequestError(FerrybaseError):
    code = "bad_request"


class InvalidBodyError(BadRequestError):
    code = "invalid_body"
    default_message = "An error occurred while loading the submitted data."


class FieldError:
    """One field's failure, rendered as PocketBase's ``{code, message[, params]}``."""

    __slots__ = ("code", "message", "params")

    def __init__(self, code: str, message: str, params: Mapping[str, Any] | None = None) -> None:
        self.code = code
        self.message = message
        self.params = dict(params) if params else None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.params is not None:
            out["params"] = self.params
        return out

    def __repr__(self) -> str:
        return f"FieldError({self.code!r}, {self.message!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldError) and self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash((self.code, self.message))


FieldErrors = Mapping[str, "FieldError | FieldErrors"]


def _render(errors: FieldErrors) -> dict[str, Any]:
    return {
        name: err.as_dict() if isinstance(err, FieldError) else _render(err)
        for name, err in errors.items()
    }


class ValidationError(BadRequestError):
    """Field-level failures: a name maps to a :class:`FieldError`, or to a nested map of them
    for lists (``{"fields": {"1": {"name": FieldError(...)}}}``), as PocketBase nests them."""

    code = "validation_failed"
    default_message = "An error occurred while validating the submitted data."

    def __init__(self, fields: FieldErrors, message: str | None = None) -> None:
        self.fields = dict(fields)
        super().__init__(message, _render(self.fields))


class AuthenticationError(BadRequestError):
    code = "authentication_failed"
    default_message = "Failed to authenticate."


class FilterError(BadRequestError):
    """Filter, sort or rule text that cannot be used.

    ``detail`` says what is wrong in words a person can act on; ``position`` is the 0-based
    offset in the source text where it went wrong, when known.
    """

    code = "filter_invalid"

    def __init__(self, detail: str, position: int | None = None) -> None:
        self.detail = detail
        self.position = position
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"{detail}{where}.")


class FilterSyntaxError(FilterError):
    code = "filter_syntax"


class FilterLimitError(FilterError):
    code = "filter_limit"


class FilterResolveError(FilterError):
    code = "filter_unknown"


class UnauthorizedError(FerrybaseError):
    code = "unauthorized"
    default_message = "The request requires valid record authorization token."


class ForbiddenError(FerrybaseError):
    code = "forbidden"
    default_message = "You are not allowed to perform this request."


class NotFoundError(FerrybaseError):
    code = "not_found"
    default_message = "The requested resource wasn't found."


class ConflictError(FerrybaseError):
    """A write broke a unique constraint; ``columns`` names the columns involved.

    Raised by the stores (translated from their drivers' integrity errors) and turned into
    ``validation_not_unique`` field errors by the core.
    """

    code = "conflict"
    default_message = "Value must be unique."

    def __init__(self, columns: tuple[str, ...] = ()) -> None:
        self.columns = columns
        super().__init__()


class StoreError(FerrybaseError):
    """The database refused a statement for a reason other than a unique constraint.

    Stores raise it instead of their drivers' errors; ``detail`` is the driver's message, for
    logs and for callers that run SQL a superuser wrote (view queries). Not shown otherwise.
    """

    code = "store_error"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__()


class PayloadTooLargeError(FerrybaseError):
    code = "payload_too_large"
    default_message = "Request entity too large."


class TooManyRequestsError(FerrybaseError):
    code = "too_many_requests"
    default_message = "Too Many Requests."


class FilterForbiddenError(FilterError):
    """A client ``filter``/``sort`` uses ``@request.*`` or ``@collection.*`` without being a
    superuser; PocketBase answers 403 (a plain substring check), so the API maps this class
    to 403 although it is a :class:`FilterError`."""

    code = "filter_forbidden"
