"""Start the servers, run every scenario interleaved across them, print and save the results."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from . import proc, seeds, wrk
from .scenarios import BY_NAME, DEFAULT, Context, Scenario, probe
from .seeds import SEEDS
from .servers import REPO, Ferrybase, PocketBase, PortPool, Server
from .wrk import Request

RESULTS = Path(__file__).resolve().parent / "results"
SERVERS = ("granian", "uvicorn")


@dataclass(frozen=True)
class Target:
    """One server to measure: ``pb``, or ``fb[:granian|uvicorn][:WORKERS]``."""

    kind: str
    server: str = ""
    workers: int = 0

    @property
    def label(self) -> str:
        return "pb" if self.kind == "pb" else f"fb-{self.server}-w{self.workers}"


def parse_targets(spec: str, server: str, workers: int) -> list[Target]:
    targets = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        head, *rest = item.split(":")
        if head == "pb" and not rest:
            targets.append(Target("pb"))
            continue
        if head != "fb":
            raise SystemExit(f"bad target {item!r}: expected pb or fb[:granian|uvicorn][:N]")
        srv, n = server, workers
        for part in rest:
            if part in SERVERS:
                srv = part
            elif part.isdigit() and int(part) > 0:
                n = int(part)
            else:
                raise SystemExit(f"bad target {item!r}: {part!r} is not a server or a count")
        targets.append(Target("fb", srv, n))
    labels = [t.label for t in targets]
    if not targets or len(set(labels)) != len(labels):
        raise SystemExit(f"targets must be non-empty and distinct: {labels}")
    return targets


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Ferrybase vs PocketBase side by side: interleaved wrk runs, medians, ratios.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--duration", type=int, default=env_int("DURATION", 10), help="s per run")
    p.add_argument("--repeat", type=int, default=env_int("REPEAT", 3), help="runs per server")
    p.add_argument("--warmup", type=int, default=env_int("WARMUP", 2), help="s, 0 = none")
    p.add_argument("--connections", type=int, default=env_int("CONNECTIONS", 32))
    p.add_argument("--threads", type=int, default=env_int("THREADS", 2))
    p.add_argument(
        "--scenarios",
        default=os.environ.get("SCENARIOS", " ".join(DEFAULT)),
        help=f"space/comma separated, of: {' '.join(BY_NAME)}",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=env_int("WORKERS", os.cpu_count() or 1),
        help="Ferrybase worker processes (env WORKERS)",
    )
    p.add_argument(
        "--server",
        choices=SERVERS,
        default=os.environ.get("FB_SERVER", "granian"),
        help="how Ferrybase is served: `ferrybase serve` (granian) or uvicorn on the app factory",
    )
    p.add_argument(
        "--targets",
        default=os.environ.get("TARGETS", "pb,fb"),
        help="comma list of pb and fb[:granian|uvicorn][:N], measured in this order each round",
    )
    p.add_argument(
        "--db",
        default=os.environ.get("BENCH_DB", ""),
        help="Ferrybase on PostgreSQL: a postgresql:// URL; each server gets a fresh schema",
    )
    p.add_argument(
        "--seed",
        choices=sorted(SEEDS),
        default=os.environ.get("SEED") or None,
        help="data set created before the scenarios (default: what the scenarios need)",
    )
    p.add_argument(
        "--posts",
        type=int,
        default=env_int("N", 10000),
        help=f"posts in the posts seed (env N); the first {seeds.API_POSTS} through the API, the "
        "rest bulk-inserted into each stopped server's SQLite file",
    )
    p.add_argument(
        "--wrk-timeout",
        type=int,
        default=env_int("WRK_TIMEOUT", 10),
        help="s: wrk counts a slower answer as a timeout error (env WRK_TIMEOUT)",
    )
    p.add_argument("--quick", action="store_true", help="smoke run: 3 s x 1 run, 1 s warm-up")
    p.add_argument("--out", type=Path, help="JSON file (default bench/results/<date>-<tag>.json)")
    p.add_argument("--no-save", action="store_true", help="print only, save no JSON")
    p.add_argument("--tag", default=os.environ.get("TAG", ""), help="word in the JSON file name")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.repeat, args.warmup = 3, 1, 1
    names = [s for s in args.scenarios.replace(",", " ").split() if s]
    unknown = [s for s in names if s not in BY_NAME]
    if unknown or not names:
        p.error(f"unknown scenarios {unknown}; known: {' '.join(BY_NAME)}")
    args.scenario_list = [BY_NAME[s] for s in names]
    if args.seed is None:
        needs = {BY_NAME[s].seed for s in names} - {"none"}
        if len(needs) > 1:
            p.error(f"the scenarios need different seeds {sorted(needs)}; pick one with --seed")
        args.seed = needs.pop() if needs else "none"
    args.target_list = parse_targets(args.targets, args.server, args.workers)
    return args


# ---------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, stack: contextlib.ExitStack) -> None:
        self.args = args
        self.stack = stack
        self.workdir = Path(tempfile.mkdtemp(prefix="ferrybase-bench-wrk-"))
        stack.callback(shutil.rmtree, self.workdir, True)
        self.servers: dict[str, Server] = {}
        self.contexts: dict[str, Context] = {}
        self.runs: list[dict[str, Any]] = []
        self.memory: dict[str, dict[str, Any]] = {}
        self.probes: dict[str, dict[str, Any]] = {}
        self.checks: dict[str, dict[str, Any]] = {}
        self.seeding: dict[str, Any] = {}
        self.sent: dict[tuple[str, str], int] = {}  # requests answered, probe + warm-up + runs

    def log(self, msg: str) -> None:
        print(f"# {msg}", file=sys.stderr, flush=True)

    def start_servers(self) -> None:
        ports = PortPool()
        for t in self.args.target_list:
            server: Server
            if t.kind == "pb":
                server = PocketBase(t.label, ports.take())
            else:
                server = Ferrybase(
                    t.label, ports.take(), server=t.server, workers=t.workers, db=self.args.db
                )
            self.stack.callback(self._stop, server)
            self.log(f"starting {t.label} on {server.base_url}")
            server.start()
            ctx = server.context()
            server.after_start(ctx)
            SEEDS[self.args.seed](ctx)
            self.servers[t.label] = server
            self.contexts[t.label] = ctx
            self.log(f"{t.label}: pid {server.pid}, {server.info.get('version', '')}")
        if self.args.seed == "posts" and self.args.posts > seeds.API_POSTS:
            self.bulk_posts()
        pids = [s.pid for s in self.servers.values()]
        proc.settle(pids)
        for label, server in self.servers.items():
            self.memory[label] = {
                "idle": asdict(proc.tree_memory(server.pid)),
                "after": {},
                "load": {},
            }

    def bulk_posts(self) -> None:
        """Posts beyond the API's share: generated once, then copied into every server's
        SQLite file while that server is stopped, then the server is started again."""
        a, t0 = self.args, time.monotonic()
        staging = self.workdir / "posts-staging.db"
        n = seeds.stage_posts(staging, seeds.API_POSTS, a.posts)
        self.seeding = {
            "api_posts": seeds.API_POSTS,
            "bulk_posts": n,
            "generate_s": round(time.monotonic() - t0, 1),
            "servers": {},
        }
        self.log(
            f"generated posts {seeds.API_POSTS + 1}..{a.posts} in {time.monotonic() - t0:.1f} s"
        )
        for label, server in self.servers.items():
            db = server.sqlite_file()
            if db is None:
                raise SystemExit(f"--posts above {seeds.API_POSTS} needs SQLite ({label} is not)")
            ctx = self.contexts[label]
            t1 = time.monotonic()
            server.halt()
            stats_before = seeds.planner_stats(db)
            inserted = seeds.bulk_insert(db, staging, ctx.vars["user_ids"].split(","))
            t2 = time.monotonic()
            server.restart()
            ctx.forget_tokens()
            count = ctx.call(
                "GET",
                "/api/collections/posts/records?perPage=1&fields=id",
                token=ctx.token("superuser"),
            )["totalItems"]
            if count < a.posts:
                raise SystemExit(f"{label}: {count} posts after the bulk insert, wanted {a.posts}")
            info = {
                "inserted": inserted,
                "insert_s": round(t2 - t1, 1),
                "restart_s": round(time.monotonic() - t2, 1),
                "total_posts": count,
                "sqlite_stat1_before": stats_before,
                "sqlite_stat1_after_restart": seeds.planner_stats(db),
            }
            self.seeding["servers"][label] = info
            self.log(f"{label}: bulk-inserted {inserted} posts ({count} in all): {info}")
        staging.unlink(missing_ok=True)

    def _stop(self, server: Server) -> None:
        self.log(f"stopping {server.label}")
        server.stop()

    def run_scenario(self, sc: Scenario) -> None:
        a = self.args
        reqs: dict[str, Request] = {}
        self.probes[sc.name] = {}
        for label, ctx in self.contexts.items():
            reqs[label] = sc.resolve(ctx)
            pr = probe(ctx, reqs[label])
            self.sent[(sc.name, label)] = 1
            self.probes[sc.name][label] = {
                "status": pr.status,
                "shape": pr.shape,
                "facts": pr.facts,
                "request": f"{reqs[label].method} {reqs[label].path}",
            }
            if pr.status != sc.expect:
                self.probes[sc.name][label]["body"] = pr.body
                self.log(
                    f"WARNING {sc.name} on {label}: {reqs[label].method} {reqs[label].path} -> "
                    f"{pr.status}, expected {sc.expect}: {pr.body}"
                )
        probes = self.probes[sc.name].values()
        if len({json.dumps(p["shape"], sort_keys=True) for p in probes}) > 1:
            self.log(f"WARNING {sc.name}: response shapes differ: {self.probes[sc.name]}")
        if len({json.dumps(p["facts"], sort_keys=True) for p in probes}) > 1:
            facts = {label: p["facts"] for label, p in self.probes[sc.name].items()}
            self.log(f"WARNING {sc.name}: answers differ on the same seed: {facts}")
        pids = [s.pid for s in self.servers.values()]
        if a.warmup > 0:
            for label, server in self.servers.items():
                proc.settle(pids)
                res = self._wrk(server, reqs[label], a.warmup, f"{sc.name}.{label}.warmup")
                self.sent[(sc.name, label)] += res.requests
        for r in range(1, a.repeat + 1):
            for label, server in self.servers.items():
                self.runs.append(self._measure(sc, r, label, server, reqs[label], pids))
        if sc.teardown is not None:
            self.checks[sc.name] = {}
            for label, ctx in self.contexts.items():
                t0 = time.monotonic()
                check = dict(sc.teardown(ctx) or {})
                check["answered"] = self.sent[(sc.name, label)]
                check["teardown_s"] = round(time.monotonic() - t0, 1)
                self.checks[sc.name][label] = check
                self.log(f"{sc.name} teardown on {label}: {check}")
                if "views_after" in check:
                    self._check_increments(sc.name, label, check)

    def _check_increments(self, name: str, label: str, check: dict[str, Any]) -> None:
        """Each answered ``views+`` PATCH adds 1; wrk does not count the answers still in flight
        when it stops (up to one per connection per wrk run), so the growth may exceed them."""
        grew = check["views_after"] - check["views_before"]
        runs = self.args.repeat + (1 if self.args.warmup > 0 else 0)
        slack = self.args.connections * runs
        check["views_grew"] = grew
        check["ok"] = check["answered"] <= grew <= check["answered"] + slack
        if not check["ok"]:
            self.log(
                f"WARNING {name} on {label}: views grew by {grew}, but {check['answered']} "
                f"PATCHes were answered (+ up to {slack} in flight): lost or extra increments"
            )

    def _wrk(self, server: Server, req: Request, seconds: int, tag: str) -> wrk.WrkResult:
        return wrk.run(
            server.base_url,
            req,
            seconds=seconds,
            connections=self.args.connections,
            threads=self.args.threads,
            workdir=self.workdir,
            tag=tag,
            timeout_s=self.args.wrk_timeout,
        )

    def _wrk_sampled(
        self, server: Server, req: Request, seconds: int, tag: str
    ) -> tuple[wrk.WrkResult, proc.Memory]:
        """A wrk run, sampling the server's memory every second from its second second on;
        the peak of each figure is the memory under load."""
        samples = []
        with ThreadPoolExecutor(1) as pool:
            fut = pool.submit(self._wrk, server, req, seconds, tag)
            t0 = time.monotonic()
            while not fut.done():
                time.sleep(0.25)
                if time.monotonic() - t0 >= 1.0 and not fut.done():
                    samples.append(proc.tree_memory(server.pid))
                    t0 = time.monotonic()
            res = fut.result()
        if not samples:
            samples.append(proc.tree_memory(server.pid))
        return res, proc.peak(samples)

    def _measure(
        self, sc: Scenario, r: int, label: str, server: Server, req: Request, pids: list[int]
    ) -> dict[str, Any]:
        settle_s = proc.settle(pids)  # every server idle, incl. the previous one's tail
        la = proc.loadavg()
        bg = proc.busy_cores(1.0, exclude=[server.pid])
        db = server.db_pid
        c0, d0 = proc.tree_cpu(server.pid), proc.tree_cpu(db) if db else 0.0
        res, load = self._wrk_sampled(server, req, self.args.duration, f"{sc.name}.{label}.{r}")
        self.sent[(sc.name, label)] += res.requests
        mem = proc.tree_memory(server.pid)
        # let deferred work (PocketBase's request-log writes) finish: it is billed to this run
        tail_s = proc.settle([server.pid])
        cpu_s = proc.tree_cpu(server.pid) - c0
        db_s = proc.tree_cpu(db) - d0 if db else 0.0
        run = {
            "scenario": sc.name,
            "server": label,
            "run": r,
            **asdict(res),
            "server_cpu_s": round(cpu_s, 3),
            "cpu_ms_per_req": round(cpu_s * 1000 / res.requests, 4) if res.requests else None,
            # PostgreSQL's CPU (whole postmaster tree, other clients' work included)
            "db_cpu_s": round(db_s, 3) if db else None,
            "db_cpu_ms_per_req": round(db_s * 1000 / res.requests, 4)
            if db and res.requests
            else None,
            "bg_cores": bg,
            "settle_s": settle_s,
            "tail_s": tail_s,
            "loadavg_before": la,
            "rss_after_mb": mem.rss_mb,
            "pss_after_mb": mem.pss_mb,
            "processes": mem.processes,
            "load_memory": asdict(load),
        }
        self.log(
            f"{sc.name} run {r} {label}: {res.rps:,.0f} req/s p50 {res.p50_ms:.2f} "
            f"p99 {res.p99_ms:.2f} ms, cpu {run['cpu_ms_per_req']} ms/req, bg {bg:.2f}, "
            f"non2xx {res.non2xx} err {res.sock_err}, rss {mem.rss_mb} MB"
        )
        return run

    # -- summary ---------------------------------------------------------------------------

    def summary(self) -> list[dict[str, Any]]:
        rows = []
        for sc in self.args.scenario_list:
            for label in self.servers:
                runs = [x for x in self.runs if x["scenario"] == sc.name and x["server"] == label]
                by_rps = sorted(runs, key=lambda x: x["rps"])
                med = by_rps[len(by_rps) // 2]
                cpus = [x["cpu_ms_per_req"] for x in runs if x["cpu_ms_per_req"] is not None]
                dbs = [x["db_cpu_ms_per_req"] for x in runs if x["db_cpu_ms_per_req"] is not None]
                rows.append(
                    {
                        "scenario": sc.name,
                        "server": label,
                        "rps": med["rps"],
                        "p50_ms": med["p50_ms"],
                        "p99_ms": med["p99_ms"],
                        "cpu_ms_per_req": statistics.median(cpus) if cpus else None,
                        "db_cpu_ms_per_req": statistics.median(dbs) if dbs else None,
                        "bg_cores": statistics.median(x["bg_cores"] for x in runs),
                        "rps_runs": [x["rps"] for x in runs],
                        "cpu_ms_per_req_runs": [x["cpu_ms_per_req"] for x in runs],
                        "non2xx": sum(x["non2xx"] for x in runs),
                        "sock_err": sum(x["sock_err"] + x["timeouts"] for x in runs),
                        "rss_after_mb": statistics.median(x["rss_after_mb"] for x in runs),
                        "pss_after_mb": statistics.median(x["pss_after_mb"] for x in runs),
                    }
                )
                self.memory[label]["after"][sc.name] = {
                    "rss_mb": rows[-1]["rss_after_mb"],
                    "pss_mb": rows[-1]["pss_after_mb"],
                }
                self.memory[label]["load"][sc.name] = {
                    k: statistics.median(x["load_memory"][k] for x in runs)
                    for k in runs[0]["load_memory"]
                }
        return rows

    def ratios(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        labels = list(self.servers)
        ref = "pb" if "pb" in labels else labels[0]
        out = []
        for sc in self.args.scenario_list:
            base = next(x for x in rows if x["scenario"] == sc.name and x["server"] == ref)
            for x in rows:
                if x["scenario"] != sc.name or x["server"] == ref:
                    continue
                work = None
                if base["cpu_ms_per_req"] and x["cpu_ms_per_req"]:
                    cost = x["cpu_ms_per_req"] + (x["db_cpu_ms_per_req"] or 0.0)
                    ref_cost = base["cpu_ms_per_req"] + (base["db_cpu_ms_per_req"] or 0.0)
                    work = round(ref_cost / cost, 3)
                out.append(
                    {
                        "scenario": sc.name,
                        "server": x["server"],
                        "reference": ref,
                        "rps_ratio": round(x["rps"] / base["rps"], 3) if base["rps"] else None,
                        "work_per_cpu_second_ratio": work,
                    }
                )
        return out


def fmt_num(v: float | None, digits: int = 0) -> str:
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}".replace(",", " ")


def fmt_ms(v: float | None) -> str:
    if v is None:
        return "n/a"
    return f"{v:.3f}" if v < 1 else f"{v:.2f}" if v < 100 else f"{v:.0f}"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        parts = [
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(parts) + " |"

    dashes = ["-" * (w + 2) if i < 2 else "-" * (w + 1) + ":" for i, w in enumerate(widths)]
    sep = "|" + "|".join(dashes) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def render(result: dict[str, Any]) -> str:
    rows = result["summary"]
    ratios = {(r["scenario"], r["server"]): r for r in result["ratios"]}
    out = []
    body = []
    for x in rows:
        rr = ratios.get((x["scenario"], x["server"]))
        body.append(
            [
                x["scenario"],
                x["server"],
                fmt_num(x["rps"], 0 if x["rps"] >= 100 else 1),
                fmt_ms(x["p50_ms"]),
                fmt_ms(x["p99_ms"]),
                fmt_ms(x["cpu_ms_per_req"]),
                "-" if rr is None else f"{rr['rps_ratio']:.2f}",
                "-"
                if rr is None or rr["work_per_cpu_second_ratio"] is None
                else f"{rr['work_per_cpu_second_ratio']:.2f}",
                f"{x['bg_cores']:.2f}",
                str(x["non2xx"] + x["sock_err"]),
                " / ".join(fmt_num(v, 0 if v >= 100 else 1) for v in x["rps_runs"]),
            ]
        )
    headers = [
        "scenario",
        "server",
        "req/s",
        "p50 ms",
        "p99 ms",
        "CPU ms/req",
        "req/s ratio",
        "work/CPU-s ratio",
        "bg cores",
        "errors",
        "req/s of each run",
    ]
    if any(x.get("db_cpu_ms_per_req") is not None for x in rows):
        headers.insert(6, "PG CPU ms/req")
        for x, cells in zip(rows, body, strict=True):
            cells.insert(6, fmt_ms(x.get("db_cpu_ms_per_req")))
    out.append(table(headers, body))
    out.append("")
    out.append(memory_table(result))
    return "\n".join(out)


def memory_table(result: dict[str, Any]) -> str:
    """Per server: idle and under each scenario's load (peak of 1 s samples, median over the
    runs): the whole tree's RSS (PSS), the main process, the largest worker's RSS (PSS)."""

    def pair(rss: float, pss: float) -> str:
        return f"{rss:.0f} ({pss:.0f})"

    rows = []
    for label, m in result["memory"].items():
        states = [("idle", m["idle"])] + [
            (f"{n} load", m["load"][n])
            for n in result["conditions"]["scenarios"]
            if n in m.get("load", {})
        ]
        for when, x in states:
            rows.append(
                [
                    label,
                    when,
                    f"{x['processes']:.0f}",
                    pair(x["rss_mb"], x["pss_mb"]),
                    f"{x['main_rss_mb']:.0f}",
                    pair(x["worker_rss_mb"], x["worker_pss_mb"]),
                ]
            )
    headers = [
        "server",
        "memory MB",
        "processes",
        "total RSS (PSS)",
        "main RSS",
        "per worker RSS (PSS)",
    ]
    return table(headers, rows)


def git_info() -> dict[str, Any]:
    def git(*a: str) -> str:
        r = subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True, check=False)
        return r.stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # SIGINT explicitly too: a shell that starts us in the background makes us ignore it
    sigs = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
    old = {s: signal.signal(s, handler) for s in sigs}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    seeds.POSTS = args.posts
    wrk.ensure_wrk()
    started = dt.datetime.now(dt.UTC)
    load_before = proc.loadavg()
    with sigterm_as_interrupt(), contextlib.ExitStack() as stack:
        bench = Bench(args, stack)
        try:
            bench.start_servers()
            for sc in args.scenario_list:
                bench.run_scenario(sc)
        except KeyboardInterrupt:
            bench.log("interrupted: stopping servers")
            return 130
        rows = bench.summary()
        result: dict[str, Any] = {
            "date": started.isoformat(timespec="seconds"),
            "machine": proc.machine(),
            "git": git_info(),
            "conditions": {
                "duration_s": args.duration,
                "repeat": args.repeat,
                "warmup_s": args.warmup,
                "connections": args.connections,
                "threads": args.threads,
                "loadgen": wrk.wrk_version(),
                "scenarios": [s.name for s in args.scenario_list],
                "seed": args.seed,
                "posts": args.posts if args.seed == "posts" else None,
                "wrk_timeout_s": args.wrk_timeout,
                "order": "interleaved: each round runs every server once, in this order",
                "loadavg_before": load_before,
                "loadavg_after": proc.loadavg(),
            },
            "servers": {label: s.info for label, s in bench.servers.items()},
            "summary": rows,
            "ratios": bench.ratios(rows),
            "memory": bench.memory,
            "seeding": bench.seeding,
            "checks": bench.checks,
            "probes": bench.probes,
            "runs": bench.runs,
        }
    header = (
        f"# {result['date']}  {result['machine'].get('nproc')} cores  "
        f"{result['machine'].get('platform')}  git {result['git']['commit'][:10]}"
        f"{' (dirty)' if result['git']['dirty'] else ''}\n"
        f"# {args.repeat} interleaved runs x {args.duration} s, warm-up {args.warmup} s, "
        f"wrk {args.threads} threads {args.connections} connections; req/s, p50, p99 from the "
        f"median run by req/s; CPU ms/req and bg cores are medians over the runs\n"
        f"# seed {args.seed}"
        + (f" ({args.posts:,} posts)" if args.seed == "posts" else "")
        + f"; wrk timeout {args.wrk_timeout} s\n"
        f"# ratios are server / {result['ratios'][0]['reference'] if result['ratios'] else '-'}: "
        f"req/s ratio > 1 = faster, work/CPU-s ratio > 1 = cheaper per request"
    )
    for label, info in result["servers"].items():
        header += f"\n# {label}: {info.get('version', '')} {info.get('command', '')}"
        if info.get("db"):
            header += f" (db {info['db']})"
    print(header)
    print(render(result))
    if not args.no_save:
        out = args.out
        if out is None:
            RESULTS.mkdir(exist_ok=True)
            tag = args.tag or ("quick" if args.quick else "bench")
            out = RESULTS / f"{started:%Y-%m-%dT%H%M%S}-{tag}.json"
        out.write_text(json.dumps(result, indent=1) + "\n")
        print(f"# saved {out}")
    return 0
