"""The HTTP surface: every route group in one place, and the ASGI app that serves them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route

from ferrybase.api import (
    auth_flows,
    auth_impersonate,
    auth_methods,
    auth_oauth2,
    auth_otp,
    auth_password,
    batch,
    collections,
    files,
    health,
    realtime,
    records,
    settings,
)
from ferrybase.api.auth_oauth2 import DELIVERY_STATE_KEY
from ferrybase.api.errors import handle_ferrybase_error, handle_not_found, render_unexpected
from ferrybase.api.middleware import HttpMiddleware
from ferrybase.api.rate_limits import RateLimitMiddleware
from ferrybase.core.app import Core
from ferrybase.errors import FerrybaseError

RECORDS = "/api/collections/{collection}/records"
AUTH = "/api/collections/{collection}"

# Starlette tries routes in order: the busiest come first.
ROUTES = [
    # health
    Route("/api/health", health.health, methods=["GET"]),
    # records
    Route(RECORDS, records.list_records, methods=["GET"]),
    Route(RECORDS, records.create_record, methods=["POST"]),
    Route(RECORDS + "/{id}", records.view_record, methods=["GET"]),
    Route(RECORDS + "/{id}", records.update_record, methods=["PATCH"]),
    Route(RECORDS + "/{id}", records.delete_record, methods=["DELETE"]),
    # settings
    Route("/api/settings", settings.view_settings, methods=["GET"]),
    Route("/api/settings", settings.update_settings, methods=["PATCH"]),
    Route("/api/settings/test/email", settings.test_email, methods=["POST"]),
    Route("/api/settings/test/s3", settings.test_s3, methods=["POST"]),
    Route(
        "/api/settings/apple/generate-client-secret",
        settings.apple_client_secret,
        methods=["POST"],
    ),
    # collections
    Route("/api/collections/meta/scaffolds", collections.scaffolds, methods=["GET"]),
    Route("/api/collections/import", collections.import_collections, methods=["PUT"]),
    Route("/api/collections", collections.list_collections, methods=["GET"]),
    Route("/api/collections", collections.create_collection, methods=["POST"]),
    Route("/api/collections/{collection}", collections.view_collection, methods=["GET"]),
    Route("/api/collections/{collection}", collections.update_collection, methods=["PATCH"]),
    Route("/api/collections/{collection}", collections.delete_collection, methods=["DELETE"]),
    Route(
        "/api/collections/{collection}/truncate",
        collections.truncate_collection,
        methods=["DELETE"],
    ),
    # auth
    Route(f"{AUTH}/auth-with-password", auth_password.auth_with_password, methods=["POST"]),
    Route(f"{AUTH}/auth-refresh", auth_password.auth_refresh, methods=["POST"]),
    Route(f"{AUTH}/request-verification", auth_flows.request_verification, methods=["POST"]),
    Route(f"{AUTH}/confirm-verification", auth_flows.confirm_verification, methods=["POST"]),
    Route(f"{AUTH}/request-password-reset", auth_flows.request_password_reset, methods=["POST"]),
    Route(f"{AUTH}/confirm-password-reset", auth_flows.confirm_password_reset, methods=["POST"]),
    Route(f"{AUTH}/request-email-change", auth_flows.request_email_change, methods=["POST"]),
    Route(f"{AUTH}/confirm-email-change", auth_flows.confirm_email_change, methods=["POST"]),
    Route(f"{AUTH}/auth-methods", auth_methods.auth_methods, methods=["GET"]),
    Route(f"{AUTH}/request-otp", auth_otp.request_otp, methods=["POST"]),
    Route(f"{AUTH}/auth-with-otp", auth_otp.auth_with_otp, methods=["POST"]),
    Route(f"{AUTH}/auth-with-oauth2", auth_oauth2.auth_with_oauth2, methods=["POST"]),
    Route("/api/oauth2-redirect", auth_oauth2.oauth2_redirect, methods=["GET", "POST"]),
    Route(f"{AUTH}/impersonate/{{id}}", auth_impersonate.impersonate, methods=["POST"]),
    # batch
    Route("/api/batch", batch.batch, methods=["POST"]),
    # files
    Route("/api/files/token", files.file_token, methods=["POST"]),
    Route("/api/files/{collection}/{record}/{filename}", files.download, methods=["GET"]),
    Route("/api/files/{rest:path}", files.unmatched, methods=["GET"]),
    # realtime
    Route("/api/realtime", realtime.connect, methods=["GET"]),
    Route("/api/realtime", realtime.subscribe, methods=["POST"]),
]


async def _unexpected(request: object, exc: Exception) -> object:
    return render_unexpected(exc)


def create_app(core_factory: Callable[[], AsyncIterator[Core]], *, max_body_size: int) -> Starlette:
    """The ASGI app; ``core_factory`` opens the core at start-up and closes it at shutdown."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async for core in core_factory():
            app.state.core = core
            setattr(app.state, DELIVERY_STATE_KEY, realtime.oauth2_delivery(core.realtime))
            yield

    app = Starlette(
        routes=ROUTES,
        lifespan=lifespan,
        exception_handlers={
            FerrybaseError: handle_ferrybase_error,
            404: handle_not_found,
            405: handle_not_found,
            Exception: _unexpected,  # type: ignore[dict-item]
        },
    )
    app.add_middleware(RateLimitMiddleware)  # inside HttpMiddleware: a 429 gets its headers
    app.add_middleware(HttpMiddleware, max_body_size=max_body_size)
    return app
