"""Realtime fan-out, PocketBase and Ferrybase side by side: N idle SSE subscribers on
``posts/*`` (list rule ``""``), one writer creating records back to back; per server and N:
events delivered per second, the delay from each write's response to each delivery (p50,
p99; a delivery before the response counts 0) and server CPU per delivered event.

    .venv/bin/python -m bench.fanout                      # 100 and 1,000 subscribers, SQLite
    .venv/bin/python -m bench.fanout --subscribers 100 --events 100 --db postgresql://...

The subscribers are raw asyncio streams (an SSE parser of a few lines), so the load generator
stays far cheaper than the servers it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .proc import machine, settle, tree_cpu
from .scenarios import SUPERUSER
from .servers import Ferrybase, PocketBase, PortPool, Server

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Subscriber:
    client_id: str = ""
    arrivals: dict[str, float] = field(default_factory=dict)
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    task: asyncio.Task[None] | None = None


async def open_subscriber(host: str, port: int) -> Subscriber:
    sub = Subscriber()
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET /api/realtime HTTP/1.1\r\nHost: {host}:{port}\r\n"
    writer.write((request + "Accept: text/event-stream\r\n\r\n").encode())
    await writer.drain()
    while (await reader.readline()) not in (b"\r\n", b""):
        pass  # status line and headers
    sub.reader, sub.writer = reader, writer
    connected = asyncio.get_running_loop().create_future()
    sub.task = asyncio.create_task(_read(sub, connected))
    sub.client_id = await asyncio.wait_for(connected, 30)
    return sub


async def _read(sub: Subscriber, connected: asyncio.Future[str]) -> None:
    """Chunked transfer and SSE at once: only ``id:`` and ``data:`` lines matter here."""
    assert sub.reader is not None
    event_id = ""
    with contextlib.suppress(asyncio.CancelledError, ConnectionError, asyncio.IncompleteReadError):
        while True:
            line = await sub.reader.readline()
            if not line:
                return
            if line.startswith(b"id:"):
                event_id = line[3:].strip().decode()
            elif line.startswith(b"data:"):
                data = json.loads(line[5:])
                if not connected.done():
                    connected.set_result(event_id)
                    continue
                record = data.get("record") if isinstance(data, dict) else None
                if record:
                    sub.arrivals.setdefault(record["title"], time.perf_counter())


async def run_fanout(server: Server, subscribers: int, events: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        token = (
            await http.post(
                "/api/collections/_superusers/auth-with-password",
                json={"identity": SUPERUSER.email, "password": SUPERUSER.password},
            )
        ).json()["token"]
        su = {"Authorization": token}
        name = f"fan{subscribers}"
        body = {
            "name": name,
            "type": "base",
            "listRule": "",
            "viewRule": "",
            "createRule": "",
            "fields": [{"name": "title", "type": "text"}],
        }
        created = await http.post("/api/collections", json=body, headers=su)
        created.raise_for_status()
        subs = []
        for _ in range(subscribers):
            subs.append(await open_subscriber("127.0.0.1", server.port))
        for sub in subs:
            r = await http.post(
                "/api/realtime", json={"clientId": sub.client_id, "subscriptions": [f"{name}/*"]}
            )
            if r.status_code != 204:
                raise RuntimeError(f"{server.kind}: subscribe {sub.client_id!r}: {r.text}")
        settle([server.pid] + ([server.db_pid] if server.db_pid else []))
        cpu0 = tree_cpu(server.pid, *([server.db_pid] if server.db_pid else []))
        acks: dict[str, float] = {}
        start = time.perf_counter()
        for i in range(events):
            title = f"e{i}"
            r = await http.post(f"/api/collections/{name}/records", json={"title": title})
            r.raise_for_status()
            acks[title] = time.perf_counter()
        expected = subscribers * events
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline:
            if sum(len(s.arrivals) for s in subs) >= expected:
                break
            await asyncio.sleep(0.01)
        end = max((t for s in subs for t in s.arrivals.values()), default=start)
        cpu = tree_cpu(server.pid, *([server.db_pid] if server.db_pid else [])) - cpu0
        delivered = sum(len(s.arrivals) for s in subs)
        delays = sorted(
            max(0.0, t - acks[title]) * 1000 for s in subs for title, t in s.arrivals.items()
        )
        for sub in subs:
            if sub.task is not None:
                sub.task.cancel()
            if sub.writer is not None:
                sub.writer.close()
        await asyncio.gather(*(s.task for s in subs if s.task), return_exceptions=True)
        return {
            "subscribers": subscribers,
            "events": events,
            "delivered": delivered,
            "expected": expected,
            "seconds": round(end - start, 3),
            "events_per_s": round(delivered / max(end - start, 1e-9)),
            "delay_p50_ms": round(_pct(delays, 50), 2),
            "delay_p99_ms": round(_pct(delays, 99), 2),
            "cpu_us_per_event": round(cpu / max(delivered, 1) * 1e6, 1),
        }


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__.split("\n")[0])
    p.add_argument("--subscribers", default="100 1000", help="space-separated counts")
    p.add_argument("--events", type=int, default=200, help="records created per run")
    p.add_argument("--db", default="", help="postgresql://... for Ferrybase (default SQLite)")
    p.add_argument("--workers", type=int, default=2, help="Ferrybase worker processes")
    p.add_argument("--no-save", action="store_true")
    return p.parse_args(argv)


async def _measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    ports = PortPool()
    for count in [int(n) for n in args.subscribers.split()]:
        for server in (
            PocketBase("pb", ports.take()),
            Ferrybase("fb", ports.take(), server="granian", workers=args.workers, db=args.db),
        ):
            try:
                await asyncio.to_thread(server.start)
                result = await run_fanout(server, count, args.events)
                result["server"] = server.kind
                rows.append(result)
                print(json.dumps(result), flush=True)
            finally:
                server.stop()
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    rows = asyncio.run(_measure(args))
    print("\n| subscribers | server | events/s | delay p50 ms | delay p99 ms | CPU us/event |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['subscribers']} | {r['server']} | {r['events_per_s']:,} | {r['delay_p50_ms']} "
            f"| {r['delay_p99_ms']} | {r['cpu_us_per_event']} |"
        )
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        stamp = time.strftime("%Y-%m-%dT%H%M%S")
        db = "postgres" if args.db else "sqlite"
        out = RESULTS / f"{stamp}-fanout-{db}.json"
        out.write_text(
            json.dumps({"machine": machine(), "args": vars(args), "rows": rows}, indent=1)
        )
        print(f"# saved {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
