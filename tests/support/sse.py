"""A test client for Server-Sent Events: a stream read in the background into a queue."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

_NO_READ_LIMIT = httpx.Timeout(10, read=None)  # a stream may stay quiet for long


@dataclass(frozen=True)
class Event:
    id: str
    name: str
    data: str

    def json(self) -> Any:
        return orjson.loads(self.data)


class SseStream:
    """``GET /api/realtime`` kept open; :meth:`next` returns the events in order."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.headers = headers or {}
        self.events: asyncio.Queue[Event | None] = asyncio.Queue()
        self.client_id = ""
        self.response_headers: httpx.Headers | None = None
        self._task: asyncio.Task[None] | None = None
        self._opened = asyncio.Event()

    async def __aenter__(self) -> SseStream:
        self._task = asyncio.create_task(self._read())
        connect = await self.next(10)
        assert connect.name == "PB_CONNECT", connect
        self.client_id = connect.id
        assert connect.json() == {"clientId": connect.id}
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await self._task

    async def _read(self) -> None:
        try:
            async with (
                httpx.AsyncClient(
                    base_url=self.base_url, timeout=_NO_READ_LIMIT, trust_env=False
                ) as http,
                http.stream("GET", "/api/realtime", headers=self.headers) as response,
            ):
                self.response_headers = response.headers
                fields: dict[str, str] = {}
                async for line in response.aiter_lines():
                    if line == "":
                        if fields:
                            await self.events.put(
                                Event(
                                    fields.get("id", ""),
                                    fields.get("event", ""),
                                    fields.get("data", ""),
                                )
                            )
                        fields = {}
                        continue
                    key, _, value = line.partition(":")
                    fields[key] = value
        finally:
            await self.events.put(None)  # the stream ended

    async def next(self, within: float = 5) -> Event:
        event = await asyncio.wait_for(self.events.get(), within)
        if event is None:
            raise EOFError("the stream ended")
        return event

    async def ended(self, within: float = 5) -> bool:
        """Whether the stream ends within ``within`` s with no further event."""
        event = await asyncio.wait_for(self.events.get(), within)
        return event is None

    async def nothing(self, within: float = 0.5) -> bool:
        """No event arrives for ``within`` seconds."""
        try:
            event = await asyncio.wait_for(self.events.get(), within)
        except TimeoutError:
            return True
        await self.events.put(event)  # keep it for the caller (at the end: order is lost)
        return False
