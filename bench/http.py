"""HTTP request-path benchmark: a real `ctn serve` of the working tree ("current") against one
of a baseline git revision, both running at once, loaded in alternating rounds in the same run.
Prints, per workload, requests per second (median of the rounds), the ratio current/baseline,
latency percentiles, the server's CPU time per request, every answer that was not the expected
status, and the servers' resident memory at the end.

    python -m bench.http [--baseline REV] [--seconds 5] [--rounds 3] [--concurrency 16]
                         [--workers 1] [--warmup 1] [--workloads live,articles,me,token]

`--baseline` defaults to `HEAD`: the uncommitted changes of the working tree against the last
commit (on a clean tree both sides run the same code, which shows how noisy the machine is).
`--baseline 6640eb5` is the tree before this session's request-path changes (hardened h11
protocol, bodies read before the transaction, public share of the pool, a fresh context per
request, …).

How. The baseline is checked out with `git worktree add --detach` in a temporary directory
(removed at the end). Each side is started as `python -m backend serve --allow-dev-idp
--workers N` with this interpreter (the same venv), its working directory and PYTHONPATH set
to its own tree so that `python -m backend` imports that side's code (checked before it
starts), on a free port, with the development identity provider (CTN_DEV_IDP=1), a security
log under the temporary directory, and every throttling setting of that tree's
backend/settings.py (integer fields named `…throttle…` or `…rate_limit…`, e.g.
CTN_AUTH_RATE_LIMIT_PER_MINUTE) set so high that it never applies; every other setting is its
default (e.g. a pool of 10 connections, on trees that have it half of it for requests without
credentials). Each side
has its own scratch database, `ctn_bench_http_current` and `ctn_bench_http_baseline`, created
fresh on postgresql://postgres@127.0.0.1:5432 (trust auth), or on the server of DATABASE_URL
when it is set, migrated by that side's own `python -m backend migrate` (schemas differ
between revisions) and dropped at the end. Nothing is seeded: the article list is empty (one
query, an empty page).

Each side signs a demo citizen in over HTTP the way the mobile app does, through the
development provider (authorize with PKCE and `login_hint` → provider → callback → the app's
redirect URI with a one-time code → `POST /api/v1/auth/token`), and uses that access token.

Workloads, each a row: `GET /health/live` (no database), `GET /api/v1/articles` (public, one
query), `GET /api/v1/me` (signed in: token verification, role lookup), and
`POST /api/v1/auth/token` with a JSON refresh grant whose refresh token is random, hence
refused with 400 (body read, a transaction, a security event, a problem+json answer).

Load. The load generator runs in this process: asyncio workers sharing one httpx.AsyncClient
(keep-alive, `--concurrency` connections, one request in flight per connection). A round
runs one workload against one side: `--warmup` seconds not counted, then `--seconds` counted.
Rounds alternate baseline/current (ABAB…), `--rounds` per side and workload; the other server
is idle meanwhile. req/s counts the requests completed in the counted window; latencies (p50,
p99) are those requests' own times as the client saw them (pooled over the rounds of a side),
so they include the client's own queueing when the load generator is the bottleneck: the
`bench CPU` column (this process's CPU time over the window) says when it is (near 100 % of
one core). `srv CPU ms/req` is the server processes' user + system CPU time (from /proc) per
completed request: the cost of the request path on the server, less sensitive to the machine
being shared than req/s; `pg CPU ms/req` the same for the PostgreSQL backends connected to
that side's database (found in pg_stat_activity, read from /proc: only when PostgreSQL runs on
this machine). Memory: VmRSS after sign-in, and VmRSS and peak VmHWM at the end,
of every server process, from /proc.

The machine is shared and noisy: read the ratios, measured side by side, not the absolute
figures. Temporary files go under `BENCH_DIR` when set.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import math
import os
import re
import resource
import secrets
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from bench.common import base_env, cpu_seconds, free_port, memory_kb, process_tree

SECRET_KEY = "bench-secret-0123456789-abcdefghijklmnop"
SYSTEM_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SCRATCH_DB = "ctn_bench_http_{side}"
APP_REDIRECT = "vn.bench.ctn:/oauth2redirect"
CITIZEN = "019090001234"  # Nguyễn Văn An, a demo citizen of backend/devidp/people.py
NO_THROTTLE = "1000000000"  # sign-in requests per client address and minute
TOKEN_MAX_AGE = 30 * 60  # seconds; access tokens are asked to last 60 minutes
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Workload:
    key: str
    label: str
    method: str
    path: str
    expect: int
    signed_in: bool = False
    refresh_body: bool = False


WORKLOADS = (
    Workload("live", "GET /health/live", "GET", "/health/live", 200),
    Workload("articles", "GET /api/v1/articles", "GET", "/api/v1/articles", 200),
    Workload("me", "GET /api/v1/me", "GET", "/api/v1/me", 200, signed_in=True),
    Workload(
        "token",
        "POST /api/v1/auth/token (JSON refresh grant, random token: refused)",
        "POST",
        "/api/v1/auth/token",
        400,
        refresh_body=True,
    ),
)


@dataclass
class Round:
    seconds: float
    completed: int
    latencies: list[float]
    statuses: Counter[int | str]
    server_cpu: float
    client_cpu: float
    database_cpu: float | None

    @property
    def rate(self) -> float:
        return self.completed / self.seconds


@dataclass
class Side:
    name: str
    tree: Path
    revision: str
    directory: Path
    database_url: str = ""
    url: str = ""
    pid: int = 0
    log: Path = Path()
    token: str = ""
    token_at: float = 0.0
    rounds: dict[str, list[Round]] = field(default_factory=dict)
    memory_after_sign_in: dict[int, dict[str, int]] = field(default_factory=dict)
    memory_at_end: dict[int, dict[str, int]] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """The settings of this side's commands (`migrate`, `serve`)."""
        inherited = os.environ.get("PYTHONPATH")
        return {
            **base_env(),
            "PYTHONPATH": str(self.tree) + (os.pathsep + inherited if inherited else ""),
            "DATABASE_URL": self.database_url,
            "CTN_SECRET_KEY": SECRET_KEY,
            "CTN_DATA_DIR": str(self.directory / "data"),
            "CTN_MEDIA_DIR": str(self.directory / "media"),
            "CTN_SECURITY_LOG": str(self.directory / "security.jsonl"),
        }

    @property
    def throttles(self) -> list[str]:
        """The environment variables of this tree's throttling settings (integer fields of
        `Settings` named `…throttle…` or `…rate_limit…`): all set high, so nothing is
        throttled on either side."""
        source = (self.tree / "backend" / "settings.py").read_text()
        fields = re.findall(
            r"^    (\w*(?:throttle|rate_limit)\w*): (?:PositiveInt|int)\b", source, re.MULTILINE
        )
        return [f"CTN_{name.upper()}" for name in fields]

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


# --- revisions and trees --------------------------------------------------------------------


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def describe_revisions(baseline: str) -> tuple[str, str, str, bool]:
    """(baseline commit, baseline label, current label, whether both run the same code)."""
    try:
        commit = git("rev-parse", "--verify", f"{baseline}^{{commit}}")
    except subprocess.CalledProcessError:
        sys.exit(f"bench.http: --baseline {baseline!r} is not a revision of {REPO}")
    head = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain"))

    def label(revision: str, suffix: str = "") -> str:
        subject = git("log", "-1", "--format=%s", revision)
        subject = subject if len(subject) <= 72 else subject[:71] + "…"
        return f"{revision[:7]}{suffix} — {subject}"

    current_label = label(head, " + uncommitted changes" if dirty else "")
    return commit, label(commit), current_label, commit == head and not dirty


@contextlib.contextmanager
def worktree(commit: str, path: Path) -> Iterator[Path]:
    """A detached checkout of `commit` at `path`, removed at the end."""
    git("worktree", "add", "--detach", "--quiet", str(path), commit)
    try:
        yield path
    finally:
        try:
            git("worktree", "remove", "--force", str(path))
        except subprocess.CalledProcessError:
            git("worktree", "prune")


# --- databases ------------------------------------------------------------------------------


def server_template() -> str:
    """A URL of the database server with `{db}` for the database name."""
    url = os.environ.get("DATABASE_URL") or SYSTEM_SERVER
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/{db}"))


@contextlib.contextmanager
def scratch_databases(sides: list[Side]) -> Iterator[None]:
    """A fresh, empty database per side (dropped at the end)."""
    import psycopg

    template = server_template()

    def admin(statement: str) -> None:
        with psycopg.connect(
            template.format(db="postgres"), autocommit=True, connect_timeout=5
        ) as conn:
            conn.execute(statement)

    names = [SCRATCH_DB.format(side=side.name) for side in sides]
    try:
        admin("SELECT 1")
    except psycopg.Error as exc:
        sys.exit(f"bench.http: the database server does not answer ({exc})")
    try:
        for side, name in zip(sides, names, strict=True):
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin(f'CREATE DATABASE "{name}"')
            side.database_url = template.format(db=name)
        yield
    finally:
        for name in names:
            with contextlib.suppress(psycopg.Error):
                admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(sides: list[Side]) -> None:
    """Check that each side imports its own tree's code, and migrate its database with it
    (both sides at once)."""
    for side in sides:
        origin = subprocess.run(
            [sys.executable, "-c", "import backend; print(backend.__file__)"],
            cwd=side.tree,
            env=side.env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not Path(origin).resolve().is_relative_to(side.tree.resolve()):
            sys.exit(f"bench.http: the {side.name} side imports {origin}, not its own tree")
    running = [
        subprocess.Popen(
            [sys.executable, "-m", "backend", "migrate"],
            cwd=side.tree,
            env=side.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for side in sides
    ]
    for side, process in zip(sides, running, strict=True):
        output, _ = process.communicate()
        if process.returncode:
            sys.exit(f"bench.http: `ctn migrate` failed on the {side.name} side:\n{output}")


# --- servers --------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serving(side: Side, workers: int) -> AsyncIterator[None]:
    """`python -m backend serve` of this side's tree on a free port until the block ends."""
    import httpx

    port = free_port()
    side.url = f"http://127.0.0.1:{port}"
    env = {
        **side.env(),
        "CTN_PUBLIC_URL": side.url,
        "CTN_DEV_IDP": "1",
        "CTN_MOBILE_REDIRECT_URIS": APP_REDIRECT,
        "CTN_ACCESS_TOKEN_MINUTES": "60",
        **dict.fromkeys(side.throttles, NO_THROTTLE),
    }
    side.log = side.directory / "serve.log"
    with side.log.open("w") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "backend",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--allow-dev-idp",
            cwd=side.tree,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    side.pid = process.pid
    try:
        deadline = time.monotonic() + 90
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{side.url}/health/ready")).status_code == 200:
                        break
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{side.name}: ctn serve did not start:\n{side.log_tail()}")
                await asyncio.sleep(0.2)
        yield
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


def database_cpu(side: Side) -> float | None:
    """CPU seconds used so far by the PostgreSQL backends connected to this side's database
    (the server's pool), when PostgreSQL runs on this machine; else None. A backend opened
    during a round counts from its start, one closed during it is missed."""
    import psycopg

    if urlsplit(side.database_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    database = urlsplit(side.database_url).path.lstrip("/")
    try:
        with psycopg.connect(server_template().format(db="postgres"), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)
            ).fetchall()
    except psycopg.Error:
        return None
    pids = [int(row[0]) for row in rows]
    if not all(Path(f"/proc/{pid}").exists() for pid in pids):
        return None  # another machine, or another PID namespace
    return cpu_seconds(pids)


def process_roles(pid: int) -> dict[int, str]:
    """What each server process is: the one started (with several workers, uvicorn's
    supervisor), a worker, or another helper process of multiprocessing."""
    tree = process_tree(pid)
    roles = {}
    for member in tree:
        try:
            command = Path(f"/proc/{member}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            command = b""
        if member == pid:
            roles[member] = "supervisor" if len(tree) > 1 else "server"
        elif helper := re.search(rb"from multiprocessing\.(\w+) import main", command):
            roles[member] = helper.group(1).decode().replace("_", " ")  # e.g. resource tracker
        else:
            roles[member] = "worker"
    return roles


def tree_memory(pid: int) -> dict[int, dict[str, int]]:
    memory = {}
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            memory[member] = memory_kb(member)
    return memory


# --- sign-in (the mobile app's flow, over HTTP, no browser) ---------------------------------


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) — RFC 7636 §4.2."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def sign_in(side: Side) -> None:
    """A demo citizen signs in on this side's server through the development provider: the
    system browser's redirects (authorize → provider → callback → the app's redirect URI with
    a one-time code), then the app redeems the code with its PKCE verifier."""
    import httpx

    def fail(step: str, response: httpx.Response) -> RuntimeError:
        return RuntimeError(
            f"{side.name}: sign-in failed at {step}: {response.status_code} {response.text[:500]}"
            f"\nserver log:\n{side.log_tail()}"
        )

    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    async with httpx.AsyncClient(base_url=side.url, timeout=30) as browser:
        start = await browser.get(
            "/auth/mobile/authorize",
            params={
                "redirect_uri": APP_REDIRECT,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "login_hint": CITIZEN,
            },
        )
        if start.status_code != 302:
            raise fail("/auth/mobile/authorize", start)
        at_provider = await browser.get(start.headers["location"])
        if at_provider.status_code != 302:
            raise fail("the provider's authorize", at_provider)
        back = await browser.get(at_provider.headers["location"])
        location = back.headers.get("location", "")
        if back.status_code != 302 or not location.startswith(APP_REDIRECT + "?"):
            raise fail("/auth/callback", back)
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if query.get("state") != state or "code" not in query:
            raise fail(f"the app's redirect ({location[:200]})", back)
    async with httpx.AsyncClient(base_url=side.url, timeout=30) as app:
        tokens = await app.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"],
                "code_verifier": verifier,
            },
        )
        if tokens.status_code != 200:
            raise fail("POST /api/v1/auth/token", tokens)
        side.token = tokens.json()["access_token"]
        side.token_at = time.monotonic()
        me = await app.get("/api/v1/me", headers={"Authorization": f"Bearer {side.token}"})
        if me.status_code != 200:
            raise fail("GET /api/v1/me", me)


# --- load -----------------------------------------------------------------------------------


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def refresh_body() -> bytes:
    token = secrets.token_urlsafe(32)
    return b'{"grant_type":"refresh_token","refresh_token":"' + token.encode() + b'"}'


async def run_round(side: Side, workload: Workload, args: argparse.Namespace) -> Round:
    """One workload against one side: warm-up, then the counted window."""
    import httpx

    if workload.signed_in and time.monotonic() - side.token_at > TOKEN_MAX_AGE:
        await sign_in(side)
    headers = {"Accept": "application/json"}
    if workload.signed_in:
        headers["Authorization"] = f"Bearer {side.token}"
    if workload.refresh_body:
        headers["Content-Type"] = "application/json"
    pids = process_tree(side.pid)
    records: list[tuple[float, float, int | str]] = []  # (finished, latency, status)
    measuring = stopping = False
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )

    async with httpx.AsyncClient(
        base_url=side.url, limits=limits, timeout=httpx.Timeout(30)
    ) as client:

        async def worker() -> None:
            while not stopping:
                content = refresh_body() if workload.refresh_body else None
                started = time.perf_counter()
                status: int | str
                try:
                    response = await client.request(
                        workload.method, workload.path, headers=headers, content=content
                    )
                    status = response.status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                    await asyncio.sleep(0.01)  # a dead server is not a busy loop
                finished = time.perf_counter()
                if measuring:
                    records.append((finished, finished - started, status))

        tasks = [asyncio.create_task(worker()) for _ in range(args.concurrency)]
        try:
            await asyncio.sleep(args.warmup)
            database0 = await asyncio.to_thread(database_cpu, side)
            server0, client0, begin = cpu_seconds(pids), own_cpu(), time.perf_counter()
            measuring = True
            await asyncio.sleep(args.seconds)
            end = time.perf_counter()
            server1, client1 = cpu_seconds(pids), own_cpu()
            database1 = await asyncio.to_thread(database_cpu, side)
            stopping = True
            await asyncio.gather(*tasks)
        finally:
            stopping = True
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    counted = [record for record in records if record[0] <= end]
    return Round(
        seconds=end - begin,
        completed=len(counted),
        latencies=[latency for _, latency, _ in counted],
        statuses=Counter(status for _, _, status in counted),
        server_cpu=server1 - server0,
        client_cpu=client1 - client0,
        database_cpu=None if database0 is None or database1 is None else database1 - database0,
    )


async def run(args: argparse.Namespace, sides: list[Side], workloads: list[Workload]) -> None:
    async with contextlib.AsyncExitStack() as stack:
        for side in sides:  # one after the other: a failed start leaves nothing running
            await stack.enter_async_context(serving(side, args.workers))
        for side in sides:
            await sign_in(side)
            side.memory_after_sign_in = tree_memory(side.pid)
        total = len(workloads) * args.rounds * len(sides)
        done = 0
        for workload in workloads:
            for _ in range(args.rounds):
                for side in sides:  # baseline, current, baseline, current, …
                    result = await run_round(side, workload, args)
                    side.rounds.setdefault(workload.key, []).append(result)
                    done += 1
                    print(
                        f"  [{done}/{total}] {workload.key:<8} {side.name:<8}"
                        f" {result.rate:8.0f} req/s",
                        file=sys.stderr,
                        flush=True,
                    )
        for side in sides:
            side.memory_at_end = tree_memory(side.pid)
            side.roles = process_roles(side.pid)


# --- report ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of unsorted values; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(q * len(ordered))))
    return ordered[rank - 1]


def others(rounds: list[Round], expect: int) -> Counter[int | str]:
    total: Counter[int | str] = Counter()
    for result in rounds:
        total.update(result.statuses)
    del total[expect]
    return total


def format_statuses(statuses: Counter[int | str]) -> str:
    if not statuses:
        return "none"
    return " ".join(f"{status}×{count}" for status, count in statuses.most_common())


def ratio(current: Any, baseline: Any) -> str:
    if not baseline or baseline != baseline or current != current:
        return "n/a"
    return f"{current / baseline:.2f}×"


def report_workload(workload: Workload, baseline: Side, current: Side) -> list[str]:
    notes = []
    rows = {}
    for side in (baseline, current):
        rounds = side.rounds[workload.key]
        latencies = [latency for result in rounds for latency in result.latencies]
        completed = sum(result.completed for result in rounds)
        seconds = sum(result.seconds for result in rounds)
        database = [result.database_cpu for result in rounds]
        per_request = 1000 / completed if completed else float("nan")
        rows[side.name] = {
            "req/s": statistics.median(result.rate for result in rounds),
            "rounds": " ".join(f"{result.rate:.0f}" for result in rounds),
            "p50 ms": percentile(latencies, 0.50) * 1000,
            "p99 ms": percentile(latencies, 0.99) * 1000,
            "srv CPU ms/req": sum(result.server_cpu for result in rounds) * per_request,
            "pg CPU ms/req": (
                float("nan")
                if None in database
                else sum(d for d in database if d is not None) * per_request
            ),
            "srv CPU": sum(result.server_cpu for result in rounds) / seconds,
            "bench CPU": sum(result.client_cpu for result in rounds) / seconds,
        }
        unexpected = others(rounds, workload.expect)
        rows[side.name]["other answers"] = format_statuses(unexpected)
        if 429 in unexpected:
            notes.append(
                f"{workload.label}: the {side.name} server answered 429 (throttled)"
                f" {unexpected[429]} times: those requests measured the throttle, not the route."
            )
        elif unexpected:
            notes.append(
                f"{workload.label}: the {side.name} server gave {sum(unexpected.values())}"
                f" answers other than {workload.expect} ({format_statuses(unexpected)})."
            )
    width = max(14, *(len(str(row["rounds"])) for row in rows.values()))
    print()
    print(f"{workload.label} — expected {workload.expect}")
    header = (
        f"{'side':<17} {'req/s':>8}  {'rounds (req/s)':<{width}} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'srv CPU ms/req':>14} {'pg CPU ms/req':>13} {'srv CPU':>7} {'bench CPU':>9}"
        "  other answers"
    )
    print(header)
    print("-" * len(header))
    for name, row in rows.items():
        print(
            f"{name:<17} {row['req/s']:8.1f}  {row['rounds']:<{width}} {row['p50 ms']:7.2f}"
            f" {row['p99 ms']:7.2f} {row['srv CPU ms/req']:14.3f} {row['pg CPU ms/req']:13.3f}"
            f" {row['srv CPU']:7.0%} {row['bench CPU']:9.0%}  {row['other answers']}"
        )
    b, c = rows[baseline.name], rows[current.name]
    print(
        f"{'current/baseline':<17} {ratio(c['req/s'], b['req/s']):>8}  {'':<{width}}"
        f" {ratio(c['p50 ms'], b['p50 ms']):>7} {ratio(c['p99 ms'], b['p99 ms']):>7}"
        f" {ratio(c['srv CPU ms/req'], b['srv CPU ms/req']):>14}"
        f" {ratio(c['pg CPU ms/req'], b['pg CPU ms/req']):>13}"
    )
    return notes


def report_memory(sides: list[Side]) -> None:
    print()
    print("Server processes' memory (MB, from /proc)")
    header = (
        f"{'side':<10} {'pid':>8} {'process':<16} {'VmRSS after sign-in':>20}"
        f" {'VmRSS at end':>13} {'VmHWM':>8}"
    )
    print(header)
    print("-" * len(header))
    for side in sides:
        for pid, end in side.memory_at_end.items():
            start = side.memory_after_sign_in.get(pid, {}).get("VmRSS")
            start_text = f"{start / 1024:.1f}" if start else "n/a"
            print(
                f"{side.name:<10} {pid:>8} {side.roles.get(pid, '?'):<16} {start_text:>20}"
                f" {end['VmRSS'] / 1024:>13.1f} {end['VmHWM'] / 1024:>8.1f}"
            )


def log_problems(side: Side) -> tuple[int, int]:
    """(request lines, error lines) in the server's JSON log."""
    requests = errors = 0
    with side.log.open(errors="replace") as log:
        for line in log:
            if '"msg":"request"' in line:
                requests += 1
            elif '"level":"error"' in line or '"level":"critical"' in line:
                errors += 1
    return requests, errors


def report(
    args: argparse.Namespace,
    sides: list[Side],
    workloads: list[Workload],
    labels: tuple[str, str],
    same_code: bool,
) -> None:
    baseline, current = sides
    print()
    print("command:  " + shlex.join([sys.executable, "-m", "bench.http", *sys.argv[1:]]))
    print(f"baseline: {labels[0]}")
    print(f"current:  {labels[1]}")
    for side in sides:
        print(f"{side.name} throttles set to {NO_THROTTLE}/min: {', '.join(side.throttles)}")
    if same_code:
        print("          (both sides run the same code: the differences below are noise)")
    print(
        f"load: {args.concurrency} keep-alive connections (httpx, this process),"
        f" {args.rounds} rounds per side and workload of {args.warmup:g} s warm-up +"
        f" {args.seconds:g} s counted, alternating baseline/current;"
        f" `ctn serve --workers {args.workers}` per side; {os.cpu_count()} CPUs, shared"
    )
    print(
        "req/s: median of the rounds; p50/p99: pooled over the rounds; srv CPU: the server"
        " processes' CPU time per request and as a share of one core; pg CPU: that of the"
        " PostgreSQL backends of the side's database; bench CPU: the load generator's share"
        " of one core (near 100 %: it, not the server, sets the pace)"
    )
    notes = []
    for workload in workloads:
        notes += report_workload(workload, baseline, current)
    report_memory(sides)
    print()
    for side in sides:
        requests, errors = log_problems(side)
        print(
            f"{side.name} server log: {requests} request lines, {errors} error lines"
            f" ({side.log.name})"
        )
        if errors:
            notes.append(f"the {side.name} server logged {errors} errors")
    for note in notes:
        print(f"NOTE: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--baseline",
        default="HEAD",
        help="revision to compare the working tree with (default HEAD: the uncommitted"
        " changes); 6640eb5 is before this session's request-path changes",
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="counted seconds per round")
    parser.add_argument("--warmup", type=float, default=1.0, help="uncounted seconds per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side and workload")
    parser.add_argument("--concurrency", type=int, default=16, help="connections")
    parser.add_argument("--workers", type=int, default=1, help="`ctn serve --workers`")
    parser.add_argument(
        "--workloads",
        default=",".join(w.key for w in WORKLOADS),
        help="comma-separated, from: " + ", ".join(w.key for w in WORKLOADS),
    )
    args = parser.parse_args()
    chosen = args.workloads.split(",")
    workloads = [w for w in WORKLOADS if w.key in chosen]
    if len(workloads) != len(set(chosen)) or min(args.rounds, args.concurrency) < 1:
        parser.error("unknown workload, or fewer than 1 round or connection")

    commit, baseline_label, current_label, same_code = describe_revisions(args.baseline)
    scratch = os.environ.get("BENCH_DIR")
    with (
        tempfile.TemporaryDirectory(prefix="ctn-bench-http-", dir=scratch) as tmp,
        contextlib.ExitStack() as stack,
    ):
        directory = Path(tmp)
        for name in ("baseline", "current"):
            (directory / name).mkdir()
        baseline_tree = stack.enter_context(worktree(commit, directory / "baseline-tree"))
        sides = [
            Side("baseline", baseline_tree, baseline_label, directory / "baseline"),
            Side("current", REPO, current_label, directory / "current"),
        ]
        stack.enter_context(scratch_databases(sides))
        print("migrating both scratch databases…", file=sys.stderr, flush=True)
        prepare(sides)
        asyncio.run(run(args, sides, workloads))
        report(args, sides, workloads, (baseline_label, current_label), same_code)


if __name__ == "__main__":
    main()
