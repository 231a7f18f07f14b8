"""Small helpers shared by benchmarks: free ports, the environment a server is started with,
what /proc says about a process tree (resident memory, CPU time), CPU pinning, and the wrk
load generator (Debian's `wrk` package) driven by a generated Lua script.

Copied from bench/upload.py (which keeps its own copies) so that new benchmarks need not
import another benchmark."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env() -> dict[str, str]:
    """This environment without our settings (a server gets exactly the ones we set)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CTN_") and k != "DATABASE_URL"}


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident size) of a process, in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat from field 3 (state) on; the command name may hold spaces."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn with several workers: the supervisor and its
    worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int(_stat_fields(int(entry.name))[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending += children.get(current, [])
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (those still alive)."""
    total = 0
    for pid in pids:
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLOCK_TICKS


# --- CPU pinning and the wrk load generator ----------------------------------------------


def usable_cpus() -> list[int]:
    """The CPUs this process may run on, in order."""
    return sorted(os.sched_getaffinity(0))


def pinned(command: list[str], cpus: set[int] | None) -> list[str]:
    """`command` run on `cpus` only (`taskset -c`; its children inherit the mask), or as is
    when `cpus` is None or taskset is missing."""
    if cpus is None or not shutil.which("taskset"):
        return command
    return ["taskset", "-c", ",".join(str(cpu) for cpu in sorted(cpus)), *command]


def repin(pid: int, cpus: set[int]) -> None:
    """Move every thread of a running process (not its later children) to `cpus`."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(task.name), cpus)


@dataclass
class WrkResult:
    """One wrk run: what its Lua `done()` hook printed (latencies in µs), and the CPU time
    wrk itself used."""

    requests: int
    duration_us: int
    p50_us: float
    p99_us: float
    max_us: float
    errors: dict[str, int]  # connect, read, write, status (HTTP status ≥ 400), timeout
    cpu: float  # seconds of user + system time of the wrk process

    @property
    def seconds(self) -> float:
        return self.duration_us / 1e6

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.duration_us else 0.0


LUA_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,'
    .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""

LUA_RANDOM_REFRESH = """
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
function request()
  local t = {}
  for i = 1, 43 do
    local n = math.random(1, 64)
    t[i] = string.sub(alphabet, n, n)
  end
  return wrk.format(nil, nil, nil,
    '{"grant_type":"refresh_token","refresh_token":"' .. table.concat(t) .. '"}')
end
"""


def lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_script(
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    random_refresh_body: bool = False,
    pace_ms: float | None = None,
) -> str:
    """A wrk Lua script: the method and headers of every request, an optional request body
    (a JSON refresh grant with a random token, made per request), an optional pause before
    each request of a connection (`delay()`, for a paced run: exponential, mean `pace_ms`),
    and the `done()` hook that
    prints the summary as JSON."""
    lines = [f"wrk.method = {lua_string(method)}"]
    for name, value in (headers or {}).items():
        lines.append(f"wrk.headers[{lua_string(name)}] = {lua_string(value)}")
    if random_refresh_body:
        lines.append(LUA_RANDOM_REFRESH)
    if pace_ms is not None:
        # Exponential pauses with mean `pace_ms` (each connection an independent user, the
        # whole a Poisson stream): with one fixed pause the connections march in step, and a
        # stall packs them into a train that arrives at once and stays packed.
        lines.append(
            "math.randomseed(os.time())\n"
            "function delay()"
            f" return math.floor(-math.log(1 - math.random()) * {max(0.0, pace_ms):.3f} + 0.5)"
            " end"
        )
    return "\n".join(lines) + "\n" + LUA_DONE


def run_wrk(
    url: str,
    script: Path,
    *,
    connections: int,
    seconds: int,
    cpus: set[int] | None,
    threads: int = 1,
) -> WrkResult:
    """`wrk -t1 -cN -dS --latency -s script url` (on `cpus` when given), and its summary."""
    command = pinned(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, seconds)}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        cpus,
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for line in done.stdout.splitlines():
        if line.startswith("WRKJSON "):
            summary = json.loads(line.removeprefix("WRKJSON "))
            break
    else:
        raise RuntimeError(f"wrk gave no summary ({done.returncode}):\n{done.stdout}{done.stderr}")
    return WrkResult(
        requests=summary["requests"],
        duration_us=summary["duration_us"],
        p50_us=summary["p50_us"],
        p99_us=summary["p99_us"],
        max_us=summary["max_us"],
        errors=summary["errors"],
        cpu=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
    )
