"""Realtime across processes and nodes: ``ferrybase serve --workers 2`` on SQLite, and two
``ferrybase serve`` nodes on one PostgreSQL database. Streams, subscription POSTs and writes
are spread over every process; each stream must get every event it may see exactly once, in
the order of the change feed (commit order), the same order for every stream."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.databases import database
from tests.support.servers import Server, run_cli
from tests.support.sse import SseStream

pytestmark = pytest.mark.system

SU = ("root@example.com", "root-password")
WRITERS = 8
WRITES = 6


@contextlib.contextmanager
def servers(data_dir: Path, db: str) -> Iterator[list[Server]]:
    """SQLite: one server with two workers; PostgreSQL: two single-worker nodes."""
    assert run_cli("superuser", "upsert", *SU, data_dir=data_dir, db=db).returncode == 0
    if not db:
        with Server(data_dir, db, workers=2) as server:
            yield [server]
        return
    with (
        Server(data_dir / "a", db, workers=1) as a,
        Server(data_dir / "b", db, workers=1) as b,
    ):
        yield [a, b]


@contextlib.asynccontextmanager
async def cluster(kind: str, tmp_path: Path) -> AsyncIterator[tuple[list[str], str]]:
    async with database(kind) as url:
        db = "" if kind == "sqlite" else url
        with servers(tmp_path / "fb_data", db) as running:
            yield [s.url for s in running], url


async def feed_order(kind: str, url: str, tmp_path: Path) -> list[str]:
    """The record ids of the create events, in the change feed's order."""
    sql = 'SELECT "recordId" FROM "_changes" WHERE "collectionName" = \'posts\' ORDER BY "seq"'
    if kind == "sqlite":
        import sqlite3

        with contextlib.closing(sqlite3.connect(tmp_path / "fb_data" / "data.db")) as lite:
            return [row[0] for row in lite.execute(sql)]
    pg = await asyncpg.connect(url)
    try:
        rows = await pg.fetch(sql)
    finally:
        await pg.close()
    return [str(row[0]) for row in rows]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_every_stream_gets_every_permitted_event_once_in_commit_order(
    kind: str, tmp_path: Path
) -> None:
    async with cluster(kind, tmp_path) as (urls, db_url):
        async with httpx.AsyncClient(base_url=urls[0], timeout=30, trust_env=False) as http:
            token = (
                await http.post(
                    "/api/collections/_superusers/auth-with-password",
                    json={"identity": SU[0], "password": SU[1]},
                )
            ).json()["token"]
            su = {"Authorization": token}
            body = {
                "name": "posts",
                "listRule": "published = true",
                "createRule": "",
                "fields": [
                    {"name": "title", "type": "text"},
                    {"name": "published", "type": "bool"},
                ],
            }
            assert (await http.post("/api/collections", json=body, headers=su)).is_success

        streams: list[SseStream] = []
        admins: list[SseStream] = []
        try:
            for i in range(6):  # a connection each: spread over the workers and nodes
                stream = SseStream(urls[i % len(urls)])
                await stream.__aenter__()
                (admins if i % 3 == 0 else streams).append(stream)
            for i, stream in enumerate(streams + admins):
                # the subscription POST goes to another node than the stream where there is one
                target = urls[(i + 1) % len(urls)]
                async with httpx.AsyncClient(base_url=target, trust_env=False) as other:
                    headers = su if stream in admins else {}
                    answer = await other.post(
                        "/api/realtime",
                        json={"clientId": stream.client_id, "subscriptions": ["posts/*"]},
                        headers=headers,
                    )
                    assert answer.status_code == 204, answer.text

            async def writer(n: int) -> list[tuple[str, bool]]:
                made = []
                url = urls[n % len(urls)]
                async with httpx.AsyncClient(base_url=url, timeout=30, trust_env=False) as own:
                    for j in range(WRITES):
                        published = (n + j) % 2 == 0
                        response = await own.post(
                            "/api/collections/posts/records",
                            json={"title": f"w{n}-{j}", "published": published},
                        )
                        assert response.status_code == 200, response.text
                        made.append((response.json()["id"], published))
                return made

            written = [
                x for chunk in await asyncio.gather(*map(writer, range(WRITERS))) for x in chunk
            ]
            order = await feed_order(kind, db_url, tmp_path)
            assert sorted(order) == sorted(i for i, _ in written)
            public = {i for i, published in written if published}

            async def received(stream: SseStream, count: int) -> list[str]:
                ids = []
                for _ in range(count):
                    event = await stream.next(within=15)
                    assert event.name == "posts/*"
                    assert event.json()["action"] == "create"
                    ids.append(event.json()["record"]["id"])
                return ids

            for stream in streams:  # guests: the published ones, in feed order, once each
                assert await received(stream, len(public)) == [i for i in order if i in public]
            for stream in admins:  # superusers: all of them
                assert await received(stream, len(order)) == order
            # and nothing more: one more public write is the next event everywhere
            async with httpx.AsyncClient(base_url=urls[-1], trust_env=False) as last:
                final: dict[str, Any] = (
                    await last.post(
                        "/api/collections/posts/records", json={"title": "end", "published": True}
                    )
                ).json()
            for stream in streams + admins:
                assert (await stream.next(within=15)).json()["record"]["id"] == final["id"]
        finally:
            for stream in streams + admins:
                await stream.close()


async def _pb_connect(port: int) -> tuple[asyncio.StreamWriter, str]:
    """A raw SSE connection (cheap enough to open a thousand): the writer and the client id."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /api/realtime HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    await writer.drain()
    while True:
        line = await reader.readline()
        if line.startswith(b"id:"):
            return writer, line[3:].strip().decode()
        if not line:
            raise EOFError("stream closed before PB_CONNECT")


async def test_a_worker_holds_more_streams_than_granians_default_cap(tmp_path: Path) -> None:
    """granian lets a worker serve backlog/workers requests at once unless told otherwise;
    every SSE stream is one, so the 1,025th would wait for another to end."""
    async with cluster("sqlite", tmp_path) as (urls, _):
        port = int(urls[0].rsplit(":", 1)[1])
        opened = []
        try:
            for _ in range(1100):
                opened.append(await asyncio.wait_for(_pb_connect(port), 10))
            assert len({client_id for _, client_id in opened}) == 1100
        finally:
            for writer, _ in opened:
                writer.close()


async def test_sigterm_ends_streams_and_they_resume_elsewhere(tmp_path: Path) -> None:
    """A stopping worker ends its streams at once (granian would otherwise wait out its drain
    timeout on streams that never end), saving where each one was; the client reconnects to
    another node with Last-Event-ID and misses nothing written meanwhile."""
    async with database("postgres") as url:
        data = tmp_path / "fb_data"
        assert run_cli("superuser", "upsert", *SU, data_dir=data, db=url).returncode == 0
        with Server(data / "a", url) as a, Server(data / "b", url) as b:
            async with httpx.AsyncClient(base_url=b.url, trust_env=False, timeout=30) as http:
                token = (
                    await http.post(
                        "/api/collections/_superusers/auth-with-password",
                        json={"identity": SU[0], "password": SU[1]},
                    )
                ).json()["token"]
                body = {
                    "name": "notes",
                    "listRule": "",
                    "createRule": "",
                    "fields": [{"name": "t", "type": "text"}],
                }
                headers = {"Authorization": token}
                assert (await http.post("/api/collections", json=body, headers=headers)).is_success
                stream = SseStream(a.url)
                await stream.__aenter__()
                subscribed = await http.post(
                    "/api/realtime",
                    json={"clientId": stream.client_id, "subscriptions": ["notes/*"]},
                )
                assert subscribed.status_code == 204
                first = (await http.post("/api/collections/notes/records", json={"t": "1"})).json()
                assert (await stream.next()).json()["record"]["id"] == first["id"]
                a.signal(signal.SIGTERM)
                assert await stream.ended(within=10)
                assert a.wait(timeout=10) == 0
                missed = (await http.post("/api/collections/notes/records", json={"t": "2"})).json()
                async with SseStream(b.url, {"Last-Event-ID": stream.client_id}) as again:
                    assert again.client_id == stream.client_id
                    assert (await again.next()).json()["record"]["id"] == missed["id"]
