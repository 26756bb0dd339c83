"""Fixtures of the API tests that need a real HTTP server (SSE streams, a browser's redirects).

``base_url`` serves the test's app with uvicorn on a free port inside the test's loop, so a
real HTTP client (``tests/support/sse.py``, a scripted browser) reaches it over TCP.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import uvicorn
from starlette.applications import Starlette

from ferrybase.core.app import Core
from tests.support.servers import free_port


@pytest.fixture
async def base_url(app: Starlette) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    core: Core = app.state.core
    await core.realtime.close()  # ends the open streams so the server can stop
    server.should_exit = True
    await task
