"""Linux /proc accounting: CPU time and memory of a process tree, foreign load, idleness.

The same method as ``/work/shared/pb-bench/benchlib.py``: a server's cost is the CPU time
(user + system) of its root process and every descendant (granian and uvicorn fork worker
processes), read from ``/proc/<pid>/stat`` before and after a run.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, fields

_TCK = os.sysconf("SC_CLK_TCK")


def _table() -> tuple[dict[int, int], dict[int, float]]:
    """``(parent of pid, cpu seconds of pid and its reaped children)`` for every visible
    process."""
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2 :].split()
            parent[int(name)] = int(fields[1])
            # utime + stime, plus cutime + cstime: the CPU of children that exited and were
            # reaped (PostgreSQL's backends and autovacuum workers come and go mid-run; without
            # it their CPU left the tree's total with them, and a run could even come out
            # negative)
            cpu[int(name)] = sum(int(v) for v in fields[11:15]) / _TCK
        except (OSError, ValueError, IndexError):
            continue
    return parent, cpu


def _descendants(roots: Iterable[int], parent: dict[int, int]) -> list[int]:
    kids: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        kids.setdefault(ppid, []).append(pid)
    seen: list[int] = []
    todo = [r for r in roots if r in parent]
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo.extend(kids.get(pid, []))
    return seen


def tree_pids(root: int) -> list[int]:
    parent, _ = _table()
    return _descendants([root], parent)


def tree_cpu(*roots: int) -> float:
    """CPU seconds (user + system) used so far by the roots and all their descendants, those
    that exited included (once their parent in the tree reaped them)."""
    parent, cpu = _table()
    return sum(cpu.get(p, 0.0) for p in _descendants(roots, parent))


@dataclass(frozen=True)
class Memory:
    rss_mb: float  # sum of VmRSS over the tree (shared pages counted once per process)
    pss_mb: float  # sum of Pss: shared pages split between the processes sharing them
    processes: int
    main_rss_mb: float = 0.0  # the root process (granian's supervisor; PocketBase itself)
    worker_rss_mb: float = 0.0  # the largest worker: a descendant, or the root if it has none
    worker_pss_mb: float = 0.0
    workers: int = 0


def _rollup(pid: int) -> tuple[int, int]:
    rss = pss = 0
    with contextlib.suppress(OSError, ValueError), open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    return rss, pss


def tree_memory(root: int) -> Memory:
    """Memory of the tree rooted at ``root``: totals, the root, and the largest worker."""
    pids = tree_pids(root)
    per = {pid: _rollup(pid) for pid in pids}
    workers = [per[p] for p in pids if p != root] or [per.get(root, (0, 0))]
    mb = 1024
    return Memory(
        rss_mb=round(sum(r for r, _ in per.values()) / mb, 1),
        pss_mb=round(sum(p for _, p in per.values()) / mb, 1),
        processes=len(pids),
        main_rss_mb=round(per.get(root, (0, 0))[0] / mb, 1),
        worker_rss_mb=round(max(r for r, _ in workers) / mb, 1),
        worker_pss_mb=round(max(p for _, p in workers) / mb, 1),
        workers=len(pids) - 1 if len(pids) > 1 else 1,
    )


def peak(samples: Iterable[Memory]) -> Memory:
    """The largest value of each field over the samples."""
    items = list(samples)
    return Memory(**{f.name: max(getattr(m, f.name) for m in items) for f in fields(Memory)})


def _cpu_snapshot() -> tuple[int, int]:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return sum(values), values[3] + values[4]  # total, idle + iowait


def busy_cores(seconds: float = 1.0, exclude: Iterable[int] = ()) -> float:
    """Cores kept busy over ``seconds`` by everything except the ``exclude`` process trees."""
    exclude = list(exclude)
    c1 = tree_cpu(*exclude) if exclude else 0.0
    t1, i1 = _cpu_snapshot()
    time.sleep(seconds)
    t2, i2 = _cpu_snapshot()
    c2 = tree_cpu(*exclude) if exclude else 0.0
    total = (1 - (i2 - i1) / max(1, t2 - t1)) * (os.cpu_count() or 1)
    return round(max(0.0, total - (c2 - c1) / seconds), 3)


def settle(roots: Iterable[int], max_s: float = 20.0, threshold: float = 0.05) -> float:
    """Wait until the trees use < ``threshold`` cores for 1 s; the seconds waited."""
    roots = list(roots)
    t0 = time.monotonic()
    while time.monotonic() - t0 < max_s:
        c1 = tree_cpu(*roots)
        time.sleep(1.0)
        if tree_cpu(*roots) - c1 < threshold:
            break
    return round(time.monotonic() - t0, 1)


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def machine() -> dict[str, object]:
    info: dict[str, object] = {
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, ValueError), open("/proc/meminfo") as f:
        info["mem_gib"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    return info


def listener_pid(port: int) -> int | None:
    """The pid owning the socket listening on ``port`` (e.g. the PostgreSQL postmaster)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(cols[9])
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{name}/fd"):
                link = os.readlink(f"/proc/{name}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(name)
    return None
