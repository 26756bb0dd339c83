"""Run wrk for one request shape and read its summary back as JSON (via a Lua ``done`` hook)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

WRK = "wrk"


@dataclass(frozen=True)
class Request:
    """One fully resolved HTTP request, replayed by every wrk connection."""

    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    non2xx: int
    sock_err: int
    timeouts: int


def ensure_wrk() -> str:
    """The wrk binary; installs the Debian package if it is missing."""
    path = shutil.which(WRK)
    if path:
        return path
    apt = shutil.which("apt-get")
    if apt:
        subprocess.run([apt, "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
        path = shutil.which(WRK)
        if not path:
            subprocess.run([apt, "update", "-qq"], check=False, capture_output=True)
            subprocess.run([apt, "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
            path = shutil.which(WRK)
    if not path:
        raise SystemExit("wrk is not installed and `apt-get install -y wrk` failed")
    return path


def wrk_version() -> str:
    out = subprocess.run([ensure_wrk(), "-v"], capture_output=True, text=True, check=False)
    return (out.stdout + out.stderr).splitlines()[0].strip() if (out.stdout + out.stderr) else "?"


def lua_string(value: str | bytes) -> str:
    """A Lua string literal for any bytes: printable ASCII kept, the rest as ``\\ddd``."""
    data = value.encode() if isinstance(value, str) else value
    out = []
    for b in data:
        if 32 <= b < 127 and b not in (34, 92):
            out.append(chr(b))
        else:
            out.append(f"\\{b:03d}")
    return '"' + "".join(out) + '"'


_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  local f = io.open(%(out)s, "w")
  f:write(string.format(
    '{"requests":%%d,"duration_s":%%.3f,"rps":%%.2f,"p50_ms":%%.3f,"p90_ms":%%.3f,' ..
    '"p99_ms":%%.3f,"max_ms":%%.3f,"mean_ms":%%.3f,"non2xx":%%d,"sock_err":%%d,"timeouts":%%d}',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    e.status, e.connect + e.read + e.write, e.timeout))
  f:close()
end
"""


def write_script(req: Request, script: Path, out: Path) -> None:
    lines = [f"wrk.method = {lua_string(req.method)}", f"wrk.path = {lua_string(req.path)}"]
    if req.body is not None:
        lines.append(f"wrk.body = {lua_string(req.body)}")
    for name, value in req.headers.items():
        lines.append(f"wrk.headers[{lua_string(name)}] = {lua_string(value)}")
    lines.append(_DONE % {"out": lua_string(str(out))})
    script.write_text("\n".join(lines))


def run(
    base_url: str,
    req: Request,
    *,
    seconds: float,
    connections: int,
    threads: int,
    workdir: Path,
    tag: str,
    timeout_s: int = 10,
) -> WrkResult:
    script, out, log = (workdir / f"{tag}.lua", workdir / f"{tag}.json", workdir / f"{tag}.log")
    out.unlink(missing_ok=True)
    write_script(req, script, out)
    cmd = [
        ensure_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        f"{timeout_s}s",
        "-s",
        str(script),
        base_url,
    ]
    with log.open("w") as logf:
        proc = subprocess.run(cmd, stdout=logf, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"wrk failed ({proc.returncode}): {log.read_text()[-2000:]}")
    return WrkResult(**json.loads(out.read_text()))
