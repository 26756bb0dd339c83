"""Paging parameters and the list envelope shared by every list endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from ferrybase.errors import BadRequestError

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 1000


@dataclass(frozen=True)
class Page:
    page: int
    per_page: int
    skip_total: bool

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_of(request: Request) -> Page:
    """``page``/``perPage``/``skipTotal`` as PocketBase reads them (non-integers are a 400)."""
    query = request.query_params
    page, per_page = _int(query.get("page"), 1), _int(query.get("perPage"), DEFAULT_PER_PAGE)
    return Page(
        page=page if page > 0 else 1,
        per_page=min(per_page, MAX_PER_PAGE) if per_page > 0 else DEFAULT_PER_PAGE,
        skip_total=query.get("skipTotal", "").lower() in ("1", "true", "t"),
    )


def _int(raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequestError() from None


def envelope(items: list[Any], page: Page, total: int | None) -> dict[str, Any]:
    if total is None:
        total_items = total_pages = -1
    else:
        total_items = total
        total_pages = (total + page.per_page - 1) // page.per_page
    return {
        "items": items,
        "page": page.page,
        "perPage": page.per_page,
        "totalItems": total_items,
        "totalPages": total_pages,
    }
