"""Push benchmark (issue 12) against the local FCM stand-in.

    python -m bench.push [--workloads device,campaign,broadcast,resync] [--quick]
                         [--devices 100000] [--citizens 1800000] [--resync-devices 50000]
                         [--rounds 3] [--chunk-size 100] [--in-flight 4] [--batch 1000]
                         [--agencies 50] [--resync-parts 4] [--no-pin]

One run sets up what every workload needs, runs the workloads asked for (in the order given),
prints one table per workload and tears everything down:
- a scratch database (`ctn_bench_push_<pid>`, on postgresql://postgres@127.0.0.1:5432 with
  trust auth or on the server of DATABASE_URL), migrated by `python -m backend migrate`,
  dropped at the end (and those of earlier runs that were killed, at the start): the gateway
  reserves its sends against the quota table there, as in production;
- synthetic data for the workloads that need it, loaded once before the first workload by
  `python -m backend seed --no-demo --citizens C --civil-servants N --agencies K --devices D`
  (people with personal ids 9…, the first N of them civil servants of K agencies SYN-xxxx,
  notification settings spread over the province's communes and a few languages, devices
  `syn…` of the first D people, already subscribed to their topics); its time is printed as
  a side figure;
- the FCM stand-in in a process of its own (`python -m notifications.push.standin
  --count-only`: it keeps counts, not messages) and a service account whose token endpoint
  is the stand-in; its ceiling is measured first with wrk (Debian's `wrk`, if installed):
  32 connections posting one v1 message with a valid token, so a reader sees it is not what
  sets the pace;
- for the campaign and broadcast workloads, the API (`python -m backend serve --workers 1
  --allow-dev-idp`), through which two provisioned staff people (comms_officer, who writes
  and submits; comms_approver, who approves) drive each campaign with real access tokens;
  and real workers (`python -m backend worker`, CTN_PUSH_BACKEND=fcm against the stand-in,
  the default CTN_WORKER_CONCURRENCY), started per phase and stopped after it;
- CPU pinning (taskset-style affinity, when two CPUs are usable; `--no-pin` turns it off): the
  sender on the first CPU — this process for `device`, the worker of a one-worker phase —
  the stand-in on the second; PostgreSQL wherever the kernel puts it. Two-worker phases run
  the workers and the stand-in unpinned (both CPUs shared, as in production on this machine).
Quiet hours are off in the workers and the API (CTN_QUIET_HOURS=00:00-00:00): a non-urgent
public campaign approved at night would otherwise wait for 07:00. The bench runs `ANALYZE`
after loading data and before each measured phase (outside the measurement), as autovacuum
would have: it is often off on a test server, and plans over tables never analyzed are not
those of a database in service.

Workloads (`--workloads`, comma-separated; each a function of the shared `Bench` returning
rows, registered in `WORKLOADS`):
- `device` — the device-by-device path at the library level: the same N (`--devices`)
  messages (one Vietnamese notification with a campaign id, deep link and collapse key; N
  distinct installation ids) through
  1. bare firebase-admin: `messaging.send_each` on chunks of `--chunk-size` messages,
     `--in-flight` chunks at once from a thread pool, the library's own HTTP settings (its
     retry policy, a pool of 100 connections as it mounts for FCM's host): the library's
     ceiling here;
  2. our gateway: `FcmGateway.send_to_devices` on batches of `--batch` devices (a sending
     job's batch, `CTN_PUSH_BATCH_SIZE`), chunk size and in-flight from the same options, the
     quota reserved in PostgreSQL per chunk, the OAuth token kept fresh off the loop.
  Both are warmed up first (connections, token), then rounds alternate bare/gateway so a
  slowdown of the machine hits both alike. Target: gateway/bare ≥ 0.90.
- `campaign` — the device-by-device path end to end: an internal circular to every civil
  servant (N of them, one device each) created and submitted by the officer, approved by the
  approver through the API, sent by `ctn worker` processes (the default
  CTN_WORKER_CONCURRENCY; the campaign split into CTN_PUSH_SEND_PARTS ranges, each a chain
  of jobs sending batches of `--batch`; claims and results in PostgreSQL). Phases, each a
  fresh campaign: one worker, then two workers. Rate: devices / (`sent_at` −
  `sending_started_at`, as the workers recorded them). A bare `send_each` round of N
  messages is measured right before the first phase (and the `device` workload's median,
  when it ran, is shown too): ours/bare per worker process, target ≥ 0.90. Every device must
  have got exactly one message (the stand-in's counts) and every push must be recorded
  `accepted`, or the run stops.
- `broadcast` — a public campaign to the followers of every commune of the province, with
  `--citizens` synthetic citizens (settings for each; devices: those loaded for the other
  workloads — topic sends do not need them, the estimate counts them): one condition message
  per commune × language. Time from the approval request (the worker already running) until
  the stand-in has accepted every condition message (target < 10 s), then until `sent`; the
  API's audience estimate over those citizens timed once. A broadcast must write no
  per-person rows: checked (no `campaign_reads`, no `push_deliveries` for it).
- `resync` — a full topic re-sync of `--resync-devices` devices (the loaded devices beyond
  them are deleted first: the job re-syncs every device in the database) as the background
  job does it: `launch_topic_resync` splits the devices into `--resync-parts` ranges, each a
  chain of `resync_topics` batches, spread over the workers. A full re-sync re-asserts every
  wanted subscription whatever the device's row says; the bench clears `topics_synced_at`
  first only to see when every device is done. Phases: one worker, two workers (the
  stand-in's subscriptions cleared before each, so each phase makes every subscription anew).
  Devices/s, subscriptions/s and the time 1,800,000 devices would take at that rate
  (extrapolated: measured on a subset). The stand-in's subscriptions must match the devices'
  topics afterwards.

Printed per row: the rate (median, min–max over rounds), CPU ms per 1,000 messages (or
devices) of the sending processes, the share of one core used by the sending processes, the
stand-in and PostgreSQL (the backends of the scratch database), and the peak resident size
(VmHWM) of the worker processes. Under each table: verdicts, database growth (the
notifications tables, the job queue, the whole database: `pg_total_relation_size`,
`pg_database_size`), load averages. At the end: the data load, the API's peak RSS, load
averages of the run.

`--quick`: small numbers for a smoke run (2,000 devices, 20,000 citizens, 1,000 devices
re-synced, one round) unless given explicitly.

The machine is shared (2 cores, other work running): read ratios, not absolute figures.
Temporary files go under `BENCH_DIR` when set.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.common import base_env, cpu_seconds, free_port, memory_kb, pinned, repin, usable_cpus

SECRET_KEY = "bench-secret-0123456789-abcdefghijklmnop"
SYSTEM_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SCRATCH_DB = "ctn_bench_push"
TARGET_RATIO = 0.90
TARGET_BROADCAST_SECONDS = 10.0
PROVINCE_PEOPLE = 1_800_000
QUICK = {"devices": 2_000, "citizens": 20_000, "resync_devices": 1_000, "rounds": 1}
DEFAULTS = {"devices": 100_000, "citizens": 1_800_000, "resync_devices": 50_000, "rounds": 3}
NOTIFICATION_TABLES = (
    "devices",
    "notification_profiles",
    "campaigns",
    "campaign_reads",
    "survey_answers",
    "push_deliveries",
    "topic_sends",
    "inbox_items",
    "push_send_quota",
)
MB = 1024 * 1024


@dataclass
class Row:
    label: str
    messages: int
    rates: list[float] = field(default_factory=list)
    """Messages (or devices) per second, one per round."""
    cpu_ms_per_1k: list[float] = field(default_factory=list)
    sender_share: list[float] = field(default_factory=list)
    """CPU seconds of the sending processes per wall second (1.0: one whole core)."""
    standin_share: list[float] = field(default_factory=list)
    pg_share: list[float] = field(default_factory=list)
    rss_mb: float | None = None
    """Peak resident size of the largest worker process (None: not a worker row)."""

    def add(self, seconds: float, usage: Usage) -> None:
        self.rates.append(self.messages / seconds)
        self.cpu_ms_per_1k.append(usage.sender * 1000 / self.messages * 1000)
        self.sender_share.append(usage.sender / usage.wall)
        self.standin_share.append(usage.standin / usage.wall)
        self.pg_share.append(usage.pg / usage.wall if usage.pg is not None else math.nan)

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)


@dataclass
class Result:
    title: str
    rows: list[Row]
    lines: list[str] = field(default_factory=list)
    """Verdicts and notes printed under the table."""
    unit: str = "msg/s"


@dataclass(frozen=True)
class Usage:
    """What one measured interval cost: wall seconds and CPU seconds of each part."""

    wall: float
    sender: float
    standin: float
    pg: float | None


@dataclass
class Bench:
    """What every workload gets: the options, the stand-in and how to reach it, the scratch
    database, and what earlier workloads left (data loaded, the API, staff, figures)."""

    args: argparse.Namespace
    standin: Any
    """`StandInClient` of the stand-in process."""
    standin_pid: int
    credentials_file: Path
    settings: Any
    """Settings for the gateway: push through the stand-in, the options' chunk and in-flight."""
    database_url: str = ""
    work: Path = Path()
    cpus: list[int] = field(default_factory=list)
    sender_cpus: set[int] | None = None
    standin_cpus: set[int] | None = None
    db: Any = None
    """`Scratch`: a psycopg connection to the scratch database (polling, sizes, checks)."""
    loaded: dict[str, int] = field(
        default_factory=lambda: {"citizens": 0, "civil_servants": 0, "devices": 0}
    )
    loads: list[str] = field(default_factory=list)
    """Side figures: each `ctn seed` run and its time."""
    api: Api | None = None
    staff: tuple[uuid.UUID, uuid.UUID] | None = None
    bare_rates: list[float] = field(default_factory=list)
    """The `device` workload's bare send_each rates (msg/s), when it ran."""
    active_meter: Meter | None = None

    def sample(self) -> None:
        """Let the running measurement sample PostgreSQL's backends (polling loops)."""
        if self.active_meter is not None:
            self.active_meter.sample()

    def standin_cpu(self) -> float:
        return cpu_seconds([self.standin_pid])

    def accepted(self) -> int:
        return int(self.standin.counts()["accepted"])

    def meter(self, sender: Callable[[], float]) -> Meter:
        return Meter(self, sender)


class Meter:
    """Wall time and CPU of the sender (a callable giving its CPU seconds so far), the
    stand-in and PostgreSQL over an interval. PostgreSQL's backends are sampled again by
    `sample()` (the polling loops call it), so one that closes before the end still counts
    up to its last sample."""

    def __init__(self, bench: Bench, sender: Callable[[], float]) -> None:
        self.bench = bench
        self.sender = sender
        self.seen: dict[int, float] = {}
        bench.active_meter = self
        self.start()

    def _pg(self) -> dict[int, float] | None:
        return self.bench.db.cpu_by_backend() if self.bench.db is not None else None

    def start(self) -> None:
        self.first = (time.perf_counter(), self.sender(), self.bench.standin_cpu(), self._pg())

    def sample(self) -> None:
        now = self._pg()
        if now is not None:
            # A backend gone meanwhile reads 0 (no /proc entry): keep the last figure.
            self.seen.update({pid: cpu for pid, cpu in now.items() if cpu})

    def stop(self) -> Usage:
        wall0, sender0, standin0, pg0 = self.first
        wall1, sender1, standin1 = time.perf_counter(), self.sender(), self.bench.standin_cpu()
        self.sample()
        if self.bench.active_meter is self:
            self.bench.active_meter = None
        pg = None
        if pg0 is not None:
            # Per backend: one that started meanwhile counts whole.
            pg = sum(max(0.0, cpu - pg0.get(pid, 0.0)) for pid, cpu in self.seen.items())
        return Usage(
            wall=wall1 - wall0,
            sender=sender1 - sender0,
            standin=standin1 - standin0,
            pg=pg,
        )


Workload = Callable[[Bench], Awaitable[Result]]


# --- the scratch database, read directly -----------------------------------------------------


class Scratch:
    """One autocommit psycopg connection to the scratch database: what the bench polls and
    checks (never what the code under test uses)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.local = urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1", None)

    def close(self) -> None:
        self.conn.close()

    def rows(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql, params).fetchall())

    def value(self, sql: str, params: Any = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def execute(self, sql: str, params: Any = ()) -> int:
        return int(self.conn.execute(sql, params).rowcount)

    def cpu_by_backend(self) -> dict[int, float] | None:
        """CPU seconds used so far by each PostgreSQL backend of this database (not this
        connection's), when the server runs on this machine (else None)."""
        if not self.local:
            return None
        pids = [
            int(pid)
            for (pid,) in self.rows(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
        return {pid: cpu_seconds([pid]) for pid in pids}

    def analyze(self) -> None:
        """Table statistics brought up to date, as autovacuum would have (it is often off on
        a test server: `SHOW autovacuum`), so plans are those of a database in service."""
        self.execute("ANALYZE")

    def sizes(self) -> dict[str, int]:
        """Bytes of every table of the public schema (with indexes and TOAST), and of the
        whole database under the key `(database)`."""
        sizes = {
            str(name): int(size)
            for name, size in self.rows(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind = 'r'"
            )
        }
        sizes["(database)"] = int(self.value("SELECT pg_database_size(current_database())"))
        return sizes


def growth(before: dict[str, int], after: dict[str, int]) -> str:
    """Database growth: the notifications tables (the largest changes named), the job queue,
    the whole database."""

    def delta(names: list[str]) -> int:
        return sum(after.get(n, 0) - before.get(n, 0) for n in names)

    notif = [n for n in after if n in NOTIFICATION_TABLES]
    changed = sorted(
        ((after.get(n, 0) - before.get(n, 0), n) for n in notif), key=lambda x: -abs(x[0])
    )
    named = ", ".join(f"{n} {d / MB:+.1f}" for d, n in changed[:3] if d)
    queue = [n for n in after if n.startswith("procrastinate")]
    return (
        f"notifications tables {delta(notif) / MB:+.1f} MB"
        + (f" ({named})" if named else "")
        + f"; job queue {delta(queue) / MB:+.1f} MB; database {delta(['(database)']) / MB:+.1f} MB"
    )


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- processes of the project: workers, the API, `ctn seed` -----------------------------------


def project_env(bench: Bench) -> dict[str, str]:
    """The settings of the `ctn` processes the bench starts."""
    args = bench.args
    return {
        **base_env(),
        "DATABASE_URL": bench.database_url,
        "CTN_SECRET_KEY": SECRET_KEY,
        "CTN_PUSH_BACKEND": "fcm",
        "CTN_FCM_CREDENTIALS_FILE": str(bench.credentials_file),
        "CTN_FCM_ENDPOINT": bench.standin.url,
        "CTN_FCM_CHUNK_SIZE": str(args.chunk_size),
        "CTN_FCM_MAX_IN_FLIGHT": str(args.in_flight),
        "CTN_PUSH_BATCH_SIZE": str(args.batch),
        "CTN_QUIET_HOURS": "00:00-00:00",
        "CTN_ACCESS_TOKEN_MINUTES": "60",
        "CTN_DATA_DIR": str(bench.work / "data"),
        "CTN_MEDIA_DIR": str(bench.work / "media"),
        "CTN_SECURITY_LOG": str(bench.work / "security.jsonl"),
    }


def spawn(
    bench: Bench,
    command: list[str],
    log: Path,
    cpus: set[int] | None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """A `ctn` process on `cpus` (all usable CPUs when None: this process may be pinned, and
    a child inherits its affinity)."""
    with log.open("ab") as output:
        return subprocess.Popen(
            with_parent(pinned(command, cpus or set(bench.cpus))),
            env={**project_env(bench), **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def with_parent(command: list[str]) -> list[str]:
    """`command` made to get SIGTERM when the bench process dies, even killed (`setpriv
    --pdeathsig`, util-linux; kept across exec), so no worker or API outlives a run stopped
    hard; as is without setpriv."""
    if not shutil.which("setpriv"):
        return command
    return ["setpriv", "--pdeathsig", "TERM", "--", *command]


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


@dataclass
class Workers:
    processes: list[subprocess.Popen[bytes]]
    logs: list[Path]
    cpu_at_start: list[float] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def cpu(self) -> float:
        return cpu_seconds(self.pids)

    def cpu_each(self) -> list[float]:
        """CPU seconds of each worker since it became ready."""
        return [
            cpu_seconds([pid]) - start
            for pid, start in zip(self.pids, self.cpu_at_start, strict=True)
        ]

    def peak_rss_mb(self) -> float:
        return max(memory_kb(pid).get("VmHWM", 0) for pid in self.pids) / 1024


@contextlib.asynccontextmanager
async def worker_processes(bench: Bench, count: int, tag: str) -> AsyncIterator[Workers]:
    """`count` `ctn worker` processes, ready (registered in the job queue) when the block
    starts, stopped (SIGTERM) when it ends; their logs `<tag>-worker-<n>.log`. One worker runs
    on the sender's CPU; two run unpinned, and so does the stand-in meanwhile."""
    one_cpu = bench.sender_cpus if count == 1 else None
    if count > 1 and bench.standin_cpus:
        repin(bench.standin_pid, set(bench.cpus))
    registered = int(bench.db.value("SELECT count(*) FROM procrastinate_workers"))
    processes: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for index in range(count):
            log = bench.work / f"{tag}-worker-{index + 1}.log"
            logs.append(log)
            command = [sys.executable, "-m", "backend", "worker"]
            processes.append(spawn(bench, command, log, one_cpu))
        deadline = time.monotonic() + 90
        while (
            int(bench.db.value("SELECT count(*) FROM procrastinate_workers")) < registered + count
        ):
            for process, log in zip(processes, logs, strict=True):
                if process.poll() is not None:
                    raise SystemExit(f"bench.push: a worker exited:\n{tail(log)}")
            if time.monotonic() > deadline:
                raise SystemExit(f"bench.push: the workers did not start:\n{tail(logs[0])}")
            await asyncio.sleep(0.1)
        workers = Workers(processes, logs)
        workers.cpu_at_start = [cpu_seconds([p.pid]) for p in processes]
        yield workers
    finally:
        for process in processes:
            stop_process(process)
        if count > 1 and bench.standin_cpus:
            repin(bench.standin_pid, bench.standin_cpus)


@dataclass
class Api:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def peak_rss_mb(self) -> float:
        return memory_kb(self.process.pid).get("VmHWM", 0) / 1024


async def ensure_api(bench: Bench) -> Api:
    """The API (`ctn serve --workers 1`), started on first use, unpinned; stopped by `run`."""
    import httpx

    if bench.api is not None:
        return bench.api
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = bench.work / "serve.log"
    command = [sys.executable, "-m", "backend", "serve", "--port", str(port)]
    command += ["--workers", "1", "--allow-dev-idp"]
    process = spawn(bench, command, log, None, {"CTN_PUBLIC_URL": url, "CTN_DEV_IDP": "1"})
    bench.api = Api(process, url, log)
    deadline = time.monotonic() + 90
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{url}/health/ready")).status_code == 200:
                    return bench.api
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench.push: the API did not start:\n{tail(log)}")
            await asyncio.sleep(0.2)


async def ensure_data(
    bench: Bench, *, citizens: int = 0, civil_servants: int = 0, devices: int = 0
) -> None:
    """At least this much synthetic data (`ctn seed --no-demo`, idempotent: it adds what is
    missing); each run is timed and kept as a side figure."""
    have = bench.loaded
    want = {
        "citizens": max(have["citizens"], citizens, civil_servants, devices),
        "civil_servants": max(have["civil_servants"], civil_servants),
        "devices": max(have["devices"], devices),
    }
    if want == have:
        return
    command = [sys.executable, "-m", "backend", "seed", "--no-demo"]
    command += ["--citizens", str(want["citizens"])]
    command += ["--civil-servants", str(want["civil_servants"])]
    command += ["--agencies", str(bench.args.agencies), "--devices", str(want["devices"])]
    shown = " ".join(command[3:])
    print(f"  loading: ctn {shown}", flush=True)
    log = bench.work / "seed.log"
    started = time.perf_counter()
    process = spawn(bench, command, log, None)
    code = await asyncio.to_thread(process.wait)
    seconds = time.perf_counter() - started
    if code:
        raise SystemExit(f"bench.push: `ctn seed` failed:\n{tail(log)}")
    new_people = want["citizens"] - have["citizens"]
    bench.loads.append(
        f"ctn {shown}: {seconds:,.0f} s ({new_people:,} new people, "
        f"{new_people / seconds:,.0f} people/s with their settings"
        + (
            f", {want['devices'] - have['devices']:,} new devices"
            if want["devices"] > have["devices"]
            else ""
        )
        + ")"
    )
    print(f"  loaded in {seconds:,.0f} s", flush=True)
    bench.loaded = want
    bench.db.analyze()


# --- staff and the API --------------------------------------------------------------------


async def staff_headers(bench: Bench) -> tuple[dict[str, str], dict[str, str]]:
    """Authorization headers of the communications officer and approver (provisioned on
    first use, their roles granted and audited as an administrator would; fresh tokens each
    call, tokens living an hour, issued for the API's address: their issuer)."""
    import msgspec

    from backend.access import Role
    from backend.db import unit_of_work
    from backend.identity.service import do_grant_role, do_issue_tokens, do_provision_person

    if bench.staff is None:
        people = []
        async with unit_of_work():
            for role, name in (
                (Role.COMMS_OFFICER, "Cán bộ truyền thông (thử tải)"),
                (Role.COMMS_APPROVER, "Lãnh đạo duyệt tin (thử tải)"),
            ):
                person = await do_provision_person(f"0{secrets.randbelow(10**11):011d}", name)
                await do_grant_role(person.id, role, granted_by=None, reason="benchmark")
                people.append(person.id)
        bench.staff = (people[0], people[1])
    assert bench.api is not None
    settings = msgspec.structs.replace(bench.settings, public_url=bench.api.url)
    headers = []
    for person_id in bench.staff:
        async with unit_of_work():
            pair = await do_issue_tokens(settings, person_id, acr="LoA2")
        headers.append({"Authorization": f"Bearer {pair.access_token}"})
    return headers[0], headers[1]


async def call(
    client: Any, method: str, path: str, headers: dict[str, str], body: Any = None
) -> Any:
    response = await client.request(method, path, headers=headers, json=body)
    if response.status_code >= 400:
        raise SystemExit(
            f"bench.push: {method} {path}: {response.status_code} {response.text[:800]}"
        )
    return response.json()


async def submitted(client: Any, officer: dict[str, str], body: dict[str, Any]) -> str:
    """A campaign written and submitted by the officer; its id."""
    created = await call(client, "POST", "/api/v1/campaigns", officer, body)
    await call(client, "POST", f"/api/v1/campaigns/{created['id']}/submit", officer)
    return str(created["id"])


def circular(label: str, agencies: list[str] | None = None) -> dict[str, Any]:
    """An internal circular requiring acknowledgement, in Vietnamese, English and Tày."""
    return {
        "title": f"Công văn {label}/UBND-VP: triển khai ứng dụng C-ThaiNguyen",
        "body": (
            "Đề nghị các cơ quan, đơn vị phổ biến ứng dụng C-ThaiNguyen tới toàn thể cán bộ, "
            "công chức, viên chức và xác nhận đã đọc công văn này trước ngày 15."
        ),
        "translations": {
            "en": {
                "title": f"Circular {label}: rolling out the C-ThaiNguyen app",
                "body": "Please introduce the app to all staff and acknowledge this circular.",
            },
            "tay": {
                "title": f"Công văn {label}: triển khai ứng dụng C-ThaiNguyen",
                "body": "Đề nghị các cơ quan phổ biến ứng dụng (bản tiếng Tày thử tải).",
            },
        },
        "category": "circular",
        "requires_ack": True,
        "audience_kind": "agencies" if agencies else "civil_servants",
        "audience_agencies": agencies or [],
    }


async def wait_sent(bench: Bench, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        statuses = [
            str(s)
            for (s,) in bench.db.rows(
                "SELECT status FROM campaigns WHERE id = ANY(%s::uuid[])", (ids,)
            )
        ]
        if all(s == "sent" for s in statuses) and len(statuses) == len(ids):
            return
        if any(s in ("cancelled", "draft") for s in statuses):
            raise SystemExit(f"bench.push: a campaign ended {statuses}")
        if time.monotonic() > deadline:
            raise SystemExit(f"bench.push: campaigns not sent after {timeout:.0f} s: {statuses}")
        bench.sample()
        await asyncio.sleep(0.2)


# --- the device-by-device path, library level ---------------------------------------------------


def bench_message() -> Any:
    from notifications.push import PushMessage

    return PushMessage(
        title="UBND tỉnh Thái Nguyên: lịch tiếp công dân tháng 12",
        body=(
            "Chủ tịch UBND tỉnh tiếp công dân định kỳ vào sáng thứ Năm tuần thứ hai. "
            "Công dân có nhu cầu đăng ký trên ứng dụng C-ThaiNguyen."
        ),
        data={"campaign": "5f0c1d9e-8a8b-4c55-9a52-3f1de1a7c0b2", "deep_link": "ctn://inbox"},
        collapse_key="5f0c1d9e-8a8b-4c55-9a52-3f1de1a7c0b2",
    )


class BareSender:
    """Bare firebase-admin: `send_each` on chunks, a few chunks at once from a thread pool."""

    def __init__(self, bench: Bench) -> None:
        from notifications.push.fcm import DEVICE_PAYLOAD_LIMIT, firebase_app, prepare

        args = bench.args
        self.chunk, self.in_flight = args.chunk_size, args.in_flight
        self.parts = prepare(bench_message(), DEVICE_PAYLOAD_LIMIT).parts
        self.app = firebase_app(
            str(bench.credentials_file),
            name=f"bench-bare-{secrets.token_hex(4)}",
            endpoint=bench.standin.url,
            pool_size=min(1000, max(100, self.chunk * self.in_flight)),
            library_retries=True,
        )
        self.pool = ThreadPoolExecutor(max_workers=self.in_flight)

    def _chunk(self, ids: list[str]) -> int:
        from firebase_admin import messaging

        messages = [messaging.Message(fid=d, **self.parts) for d in ids]
        return int(messaging.send_each(messages, app=self.app).success_count)

    def send(self, ids: list[str]) -> None:
        chunks = [ids[i : i + self.chunk] for i in range(0, len(ids), self.chunk)]
        accepted = sum(self.pool.map(self._chunk, chunks))
        if accepted != len(ids):
            raise SystemExit(f"bench.push: bare send_each: {len(ids) - accepted} not accepted")

    async def round(self, bench: Bench, row: Row, ids: list[str]) -> None:
        """One measured round of `ids`, checked against the stand-in's count."""
        before = bench.accepted()
        meter = bench.meter(time.process_time)
        await asyncio.to_thread(self.send, ids)
        usage = meter.stop()
        row.add(usage.wall, usage)
        counted = bench.accepted() - before
        if counted != len(ids):
            raise SystemExit(f"bench.push: the stand-in counted {counted} of {len(ids)}")

    async def close(self) -> None:
        import firebase_admin

        self.pool.shutdown()
        await asyncio.to_thread(firebase_admin.delete_app, self.app)


def bench_devices(count: int) -> list[str]:
    return [f"bench-fid-{i:08d}" for i in range(count)]


async def device_path(bench: Bench) -> Result:
    from notifications.push import DeviceSend, Outcome
    from notifications.push.fcm import FcmGateway

    args = bench.args
    chunk, in_flight = args.chunk_size, args.in_flight
    message = bench_message()
    devices = bench_devices(args.devices)
    bare_sender = BareSender(bench)
    gateway = FcmGateway(bench.settings)

    async def gateway_send(ids: list[str]) -> None:
        for start in range(0, len(ids), args.batch):
            sends = [DeviceSend(d, message) for d in ids[start : start + args.batch]]
            results = await gateway.send_to_devices(sends)
            refused = [r for r in results if r.outcome is not Outcome.ACCEPTED]
            if refused:
                raise SystemExit(f"bench.push: gateway: {len(refused)} not accepted: {refused[0]}")

    bare = Row("bare firebase-admin send_each", len(devices))
    ours = Row("FcmGateway.send_to_devices", len(devices))
    sizes = bench.db.sizes()
    try:
        warm = devices[: chunk * in_flight]
        await asyncio.to_thread(bare_sender.send, warm)
        await gateway_send(warm)
        for round_number in range(1, args.rounds + 1):
            for row in (bare, ours):
                if row is bare:
                    await bare_sender.round(bench, bare, devices)
                else:
                    before = bench.accepted()
                    meter = bench.meter(time.process_time)
                    await gateway_send(devices)
                    usage = meter.stop()
                    ours.add(usage.wall, usage)
                    counted = bench.accepted() - before
                    if counted != len(devices):
                        raise SystemExit(
                            f"bench.push: the stand-in counted {counted} of {len(devices)}"
                        )
                print(
                    f"  round {round_number}: {row.label}: {row.rates[-1]:,.0f} msg/s",
                    flush=True,
                )
    finally:
        await gateway.aclose()
        await bare_sender.close()
    bench.bare_rates = list(bare.rates)
    ratio = ours.rate / bare.rate
    verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
    return Result(
        f"device-by-device path (library level): {len(devices):,} devices, chunks of {chunk}, "
        f"{in_flight} in flight, gateway batches of {args.batch}, {args.rounds} round(s); "
        "sender: this process",
        [bare, ours],
        [
            f"gateway / bare firebase-admin: {ratio:.2f} (target ≥ {TARGET_RATIO:.2f}) {verdict}",
            f"database growth: {growth(sizes, bench.db.sizes())}",
        ],
    )


# --- campaigns sent by workers ------------------------------------------------------------------


def audience_devices(bench: Bench, agencies: list[str] | None) -> set[str]:
    """The installation ids an internal campaign reaches: devices of the civil servants (of
    these agencies)."""
    sql = (
        "SELECT DISTINCT d.installation_id FROM devices d JOIN role_grants g"
        " ON g.person = d.person_id AND g.role = 'civil_servant'"
    )
    if agencies:
        return {str(i) for (i,) in bench.db.rows(sql + " WHERE g.agency = ANY(%s)", (agencies,))}
    return {str(i) for (i,) in bench.db.rows(sql)}


def check_device_counts(bench: Bench, expected: set[str]) -> None:
    """Every device of the audience got exactly one message, and no other device any."""
    counts: dict[str, int] = bench.standin.counts()["devices"]
    missing = expected - counts.keys()
    extra = counts.keys() - expected
    twice = {d: n for d, n in counts.items() if n != 1}
    if missing or extra or twice:
        raise SystemExit(
            f"bench.push: stand-in counts: {len(missing)} devices got nothing, {len(extra)} "
            f"outside the audience got messages, {len(twice)} got more than one "
            f"(e.g. {sorted(missing)[:3]} {sorted(extra)[:3]} {list(twice.items())[:3]})"
        )


@dataclass
class PhaseResult:
    row: Row
    usage: Usage
    cpu_each: list[float]
    note: str


async def campaign_phase(
    bench: Bench, client: Any, label: str, workers: int, number: int
) -> PhaseResult:
    """A circular to every civil servant, written and submitted, then approved with
    `workers` workers running; waits until it is `sent` and checks what the stand-in got."""
    officer, approver = await staff_headers(bench)
    campaign_id = await submitted(client, officer, circular(f"{number:02d}"))
    expected = audience_devices(bench, None)
    print(f"  {label}: {len(expected):,} devices", flush=True)
    bench.db.analyze()
    async with worker_processes(bench, workers, f"campaign{number}") as running:
        bench.standin.reset()
        before = bench.db.sizes()
        meter = bench.meter(running.cpu)
        await call(client, "POST", f"/api/v1/campaigns/{campaign_id}/approve", approver)
        await wait_sent(bench, [campaign_id], timeout=max(300.0, len(expected) / 50))
        usage = meter.stop()
        each = running.cpu_each()
        rss = running.peak_rss_mb()
    after = bench.db.sizes()
    started, sent, parts = bench.db.rows(
        "SELECT sending_started_at, sent_at, cardinality(send_ranges) FROM campaigns"
        " WHERE id = %s::uuid",
        (campaign_id,),
    )[0]
    seconds = (sent - started).total_seconds()
    check_device_counts(bench, expected)
    recorded = dict(
        bench.db.rows(
            "SELECT status, count(*) FROM push_deliveries WHERE campaign_id = %s::uuid"
            " GROUP BY status",
            (campaign_id,),
        )
    )
    if recorded != {"accepted": len(expected)}:
        raise SystemExit(f"bench.push: {label}: pushes recorded {recorded}")
    row = Row(label, len(expected))
    row.add(seconds, usage)
    row.rss_mb = rss
    note = (
        f"{label}: {row.rate:,.0f} msg/s over {seconds:.1f} s (sending_started_at → sent_at, "
        f"{parts} ranges), approve → sent {usage.wall:.1f} s; worker CPU s each: "
        + " + ".join(f"{c:.1f}" for c in each)
        + f"; {cores(usage)}; DB: {growth(before, after)}"
    )
    print(f"  {note}", flush=True)
    return PhaseResult(row, usage, each, note)


def cores(usage: Usage) -> str:
    pg = f"{usage.pg / usage.wall:.2f}" if usage.pg is not None else "?"
    total = (usage.sender + usage.standin + (usage.pg or 0)) / usage.wall
    return (
        f"cores used: workers {usage.sender / usage.wall:.2f}, stand-in "
        f"{usage.standin / usage.wall:.2f}, PostgreSQL {pg} = {total:.2f}"
    )


async def campaign_path(bench: Bench) -> Result:
    import httpx

    args = bench.args
    n = args.devices
    load_before = load_average()
    await ensure_data(bench, citizens=n, civil_servants=n, devices=n)
    api = await ensure_api(bench)
    # The adjacent bare round: the library's ceiling right before the workers' phases.
    bare = Row("bare send_each (just before)", n)
    sender = BareSender(bench)
    try:
        await asyncio.to_thread(sender.send, bench_devices(args.chunk_size * args.in_flight))
        await sender.round(bench, bare, bench_devices(n))
    finally:
        await sender.close()
    print(f"  bare send_each: {bare.rate:,.0f} msg/s", flush=True)
    async with httpx.AsyncClient(base_url=api.url, timeout=600) as client:
        one = await campaign_phase(bench, client, "campaign, 1 worker", 1, 1)
        two = await campaign_phase(bench, client, "campaign, 2 workers", 2, 2)
    ratio = one.row.rate / bare.rate
    verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
    lines = [
        f"ours (1 worker) / bare send_each just before: {ratio:.2f} "
        f"(target ≥ {TARGET_RATIO:.2f}) {verdict}",
    ]
    if bench.bare_rates:
        median = statistics.median(bench.bare_rates)
        lines.append(
            f"ours (1 worker) / the device workload's bare median ({median:,.0f} msg/s): "
            f"{one.row.rate / median:.2f}"
        )
    gain = two.row.rate / one.row.rate
    u1, u2 = one.usage, two.usage
    total2 = (u2.sender + u2.standin + (u2.pg or 0)) / u2.wall
    lines += [
        f"2-worker gain: {gain:.2f}× (worker CPU s {' + '.join(f'{c:.1f}' for c in two.cpu_each)}"
        f"). One worker: {cores(u1)}; two workers: {cores(u2)} of {len(bench.cpus)} CPUs "
        f"(the rest of the {len(bench.cpus)} cores, {max(0.0, len(bench.cpus) - total2):.2f}, "
        "went to other work on the machine and to what is not counted: PostgreSQL's "
        "background writers, the API, this process)",
        *(r.note for r in (one, two)),
        f"load average before {load_before}, after {load_average()}",
    ]
    return Result(
        f"campaign (device by device, end to end): internal circular to {n:,} civil servants' "
        f"devices through the API and `ctn worker` (CTN_WORKER_CONCURRENCY "
        f"{bench.settings.worker_concurrency}, CTN_PUSH_SEND_PARTS "
        f"{bench.settings.push_send_parts}, batches of {args.batch}, chunks of "
        f"{args.chunk_size}, {args.in_flight} in flight); sender: the workers",
        [bare, one.row, two.row],
        lines,
    )


# --- broadcast ----------------------------------------------------------------------------------


async def broadcast_path(bench: Bench) -> Result:
    import httpx

    from backend.geo.service import packaged_units
    from notifications.categories import LANGUAGES

    args = bench.args
    load_before = load_average()
    await ensure_data(bench, citizens=args.citizens)
    api = await ensure_api(bench)
    communes = sorted(unit.code for unit in packaged_units(bench.settings.province_code))
    expected = len(communes) * len(LANGUAGES)
    body = {
        "title": "UBND tỉnh Thái Nguyên: ngày hội chuyển đổi số toàn tỉnh",
        "body": (
            "Mời người dân tham gia ngày hội chuyển đổi số tại trung tâm xã, phường vào sáng "
            "Chủ nhật: hướng dẫn cài đặt và sử dụng ứng dụng C-ThaiNguyen, dịch vụ công trực "
            "tuyến và thanh toán không dùng tiền mặt."
        ),
        "translations": {
            "en": {"title": "Digital transformation day", "body": "Join us on Sunday morning."},
            "tay": {"title": "Ngày hội chuyển đổi số", "body": "Mời bà con tham gia (tiếng Tày)."},
            "hmn": {"title": "Hnub kev hloov pauv digital", "body": "Caw tuaj koom (H'Mông)."},
        },
        "category": "announcement",
        "audience_kind": "communes",
        "audience_communes": communes,
    }
    async with httpx.AsyncClient(base_url=api.url, timeout=600) as client:
        officer, approver = await staff_headers(bench)
        campaign_id = await submitted(client, officer, body)
        started = time.perf_counter()
        estimate = await call(client, "GET", f"/api/v1/campaigns/{campaign_id}/estimate", officer)
        estimate_seconds = time.perf_counter() - started
        bench.db.analyze()
        async with worker_processes(bench, 1, "broadcast") as running:
            bench.standin.reset()
            before = bench.db.sizes()
            meter = bench.meter(running.cpu)
            started = time.perf_counter()
            await call(client, "POST", f"/api/v1/campaigns/{campaign_id}/approve", approver)
            approve_seconds = time.perf_counter() - started
            deadline = time.monotonic() + 300
            while True:
                conditions: dict[str, int] = bench.standin.counts()["conditions"]
                if sum(conditions.values()) >= expected:
                    accepted_seconds = time.perf_counter() - started
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(
                        f"bench.push: broadcast: {sum(conditions.values())} of {expected} "
                        "condition messages accepted after 300 s"
                    )
                await asyncio.sleep(0.02)
            await wait_sent(bench, [campaign_id], timeout=300)
            sent_seconds = time.perf_counter() - started
            usage = meter.stop()
            rss = running.peak_rss_mb()
        after = bench.db.sizes()
    conditions = bench.standin.counts()["conditions"]
    if len(conditions) != expected or set(conditions.values()) != {1}:
        raise SystemExit(
            f"bench.push: broadcast: conditions received {len(conditions)}, "
            f"counts {sorted(set(conditions.values()))}"
        )
    per_person = bench.db.rows(
        "SELECT (SELECT count(*) FROM campaign_reads WHERE campaign_id = %(c)s),"
        " (SELECT count(*) FROM push_deliveries WHERE campaign_id = %(c)s),"
        " (SELECT count(*) FROM topic_sends WHERE campaign_id = %(c)s AND status = 'accepted')",
        {"c": campaign_id},
    )[0]
    if per_person[0] or per_person[1] or per_person[2] != expected:
        raise SystemExit(f"bench.push: broadcast rows (reads, pushes, topic sends): {per_person}")
    approved_at, sending_at, sent_at = bench.db.rows(
        "SELECT approved_at, sending_started_at, sent_at FROM campaigns WHERE id = %s::uuid",
        (campaign_id,),
    )[0]
    row = Row("broadcast: approve → all accepted", expected)
    row.add(accepted_seconds, usage)
    row.rss_mb = rss
    verdict = "PASS" if accepted_seconds < TARGET_BROADCAST_SECONDS else "FAIL"
    return Result(
        f"broadcast: public campaign to all {len(communes)} communes, {bench.loaded['citizens']:,} "
        f"synthetic citizens ({bench.loaded['devices']:,} devices in the database), one worker "
        "already running",
        [row],
        [
            f"messages: {len(communes)} communes × {len(LANGUAGES)} languages = {expected} "
            "condition messages, each accepted once by the stand-in",
            f"approve request → every condition message accepted: {accepted_seconds:.2f} s "
            f"(target < {TARGET_BROADCAST_SECONDS:.0f} s) {verdict}; → `sent`: "
            f"{sent_seconds:.2f} s (the approve request itself {approve_seconds:.2f} s; "
            f"approved → sending started {(sending_at - approved_at).total_seconds():.2f} s, "
            "the job's pick-up and the reach count; sending started → sent "
            f"{(sent_at - sending_at).total_seconds():.2f} s)",
            f"audience estimate (GET …/estimate, the editor's figure): {estimate_seconds:.2f} s "
            f"for {estimate['people']:,} people, {estimate['devices']:,} devices",
            f"per-person rows written: {per_person[0]} campaign_reads, {per_person[1]} "
            f"push_deliveries; {per_person[2]} topic_sends",
            f"database growth: {growth(before, after)}",
            f"load average before {load_before}, after {load_average()}",
        ],
    )


# --- topic re-sync -------------------------------------------------------------------------------


async def resync_phase(bench: Bench, workers: int, devices: int, topics: int) -> tuple[Row, str]:
    from notifications.devices.jobs import RESYNC_BATCH, launch_topic_resync, resync_topics

    tasks = [resync_topics.name, launch_topic_resync.name]
    bench.db.execute("UPDATE devices SET topics_synced_at = NULL")
    bench.db.analyze()
    label = f"re-sync, {workers} worker{'s' if workers > 1 else ''}"
    async with worker_processes(bench, workers, f"resync{workers}") as running:
        bench.standin.reset()
        before = bench.db.sizes()
        meter = bench.meter(running.cpu)
        started = time.time()
        await launch_topic_resync.defer_async(parts=bench.args.resync_parts, batch=RESYNC_BATCH)
        deadline = time.monotonic() + max(300.0, devices / 20)
        while True:
            synced, pending = bench.db.rows(
                "SELECT (SELECT count(*) FROM devices WHERE topics_synced_at IS NOT NULL),"
                " (SELECT count(*) FROM procrastinate_jobs"
                "  WHERE task_name = ANY(%s) AND status IN ('todo', 'doing'))",
                (tasks,),
            )[0]
            if synced == devices and not pending:
                break
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"bench.push: re-sync: {synced} of {devices} synced, {pending} jobs"
                )
            bench.sample()
            await asyncio.sleep(0.25)
        usage = meter.stop()
        each = running.cpu_each()
        rss = running.peak_rss_mb()
    after = bench.db.sizes()
    last: datetime = bench.db.value("SELECT max(topics_synced_at) FROM devices")
    seconds = last.timestamp() - started
    wanted: dict[str, set[str]] = {}
    for installation_id, device_topics in bench.db.rows(
        "SELECT installation_id, topics FROM devices"
    ):
        for topic in device_topics:
            wanted.setdefault(topic, set()).add(installation_id)
    has = bench.standin.subscriptions()
    if has != wanted:
        wrong = [t for t in wanted.keys() | has.keys() if wanted.get(t) != has.get(t)]
        raise SystemExit(f"bench.push: re-sync: subscriptions differ for topics {wrong[:5]}")
    row = Row(label, devices)
    row.add(seconds, usage)
    row.rss_mb = rss
    note = (
        f"{label}: {seconds:.1f} s, {row.rate:,.0f} devices/s, {topics / seconds:,.0f} "
        f"subscriptions/s; worker CPU s each: "
        + " + ".join(f"{c:.1f}" for c in each)
        + f"; DB: {growth(before, after)}"
    )
    print(f"  {note}", flush=True)
    return row, note


async def resync_path(bench: Bench) -> Result:
    args = bench.args
    devices = args.resync_devices
    load_before = load_average()
    await ensure_data(bench, citizens=devices, devices=devices)
    last = f"syn{devices:019d}"
    deleted = bench.db.execute("DELETE FROM devices WHERE installation_id > %s", (last,))
    bench.loaded["devices"] = min(bench.loaded["devices"], devices)
    count, topics = bench.db.rows("SELECT count(*), sum(cardinality(topics)) FROM devices")[0]
    if count != devices:
        raise SystemExit(f"bench.push: re-sync: {count} devices in the database, not {devices}")
    rows, notes = [], []
    for workers in (1, 2):
        row, note = await resync_phase(bench, workers, devices, int(topics))
        rows.append(row)
        notes.append(note)
    one, two = rows
    return Result(
        f"topic re-sync: {devices:,} devices ({int(topics):,} subscriptions: citizens, language, "
        f"commune), `launch_topic_resync` in {args.resync_parts} ranges of batches",
        rows,
        [
            f"2-worker gain: {two.rate / one.rate:.2f}×",
            f"{PROVINCE_PEOPLE:,} devices at these rates (extrapolated from {devices:,}): "
            f"{PROVINCE_PEOPLE / one.rate / 60:,.0f} min with 1 worker, "
            f"{PROVINCE_PEOPLE / two.rate / 60:,.0f} min with 2",
            *notes,
            (
                f"{deleted:,} devices beyond the first {devices:,} deleted before (the job "
                "re-syncs every device in the database)"
            )
            if deleted
            else "no devices deleted before",
            f"load average before {load_before}, after {load_average()}",
        ],
        unit="devices/s",
    )


WORKLOADS: dict[str, Workload] = {
    "device": device_path,
    "campaign": campaign_path,
    "broadcast": broadcast_path,
    "resync": resync_path,
}


# --- set-up ---------------------------------------------------------------------------------


def server_template() -> str:
    url = os.environ.get("DATABASE_URL") or SYSTEM_SERVER
    return urlunsplit(urlsplit(url)._replace(path="/{db}"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """A fresh database of this run (`ctn_bench_push_<pid>`: runs at the same time do not
    drop each other's), migrated by `ctn migrate`, dropped at the end; its URL. Databases of
    earlier runs whose process is gone (killed before it could drop them) are dropped first."""
    import psycopg

    template = server_template()

    def admin(statement: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(
            template.format(db="postgres"), autocommit=True, connect_timeout=5
        ) as conn:
            cursor = conn.execute(statement)
            return list(cursor.fetchall()) if cursor.description else []

    try:
        admin("SELECT 1")
    except psycopg.Error as exc:
        sys.exit(f"bench.push: the database server does not answer ({exc})")
    for (name,) in admin(f"SELECT datname FROM pg_database WHERE datname LIKE '{SCRATCH_DB}_%'"):
        suffix = str(name).removeprefix(f"{SCRATCH_DB}_")
        if suffix.isdigit() and not _alive(int(suffix)):
            with contextlib.suppress(psycopg.Error):
                admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    database = f"{SCRATCH_DB}_{os.getpid()}"
    url = template.format(db=database)
    admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{database}"')
    try:
        env = {**base_env(), "DATABASE_URL": url, "CTN_SECRET_KEY": SECRET_KEY}
        migrated = subprocess.run(
            [sys.executable, "-m", "backend", "migrate"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if migrated.returncode:
            sys.exit(f"bench.push: `ctn migrate` failed:\n{migrated.stdout}{migrated.stderr}")
        yield url
    finally:
        with contextlib.suppress(psycopg.Error):
            admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def standin_ceiling(standin: Any, credentials_file: Path, work: Path, cpus: set[int] | None) -> str:
    """wrk against the stand-in's send endpoint for 3 s: requests per second it answers."""
    if not shutil.which("wrk"):
        return "stand-in ceiling: not measured (wrk is not installed)"
    from firebase_admin import credentials
    from google.auth.transport.requests import Request

    credential = credentials.Certificate(str(credentials_file)).get_credential()
    credential.refresh(Request())
    body = json.dumps({"message": {"fid": "bench-ceiling", "notification": {"title": "t"}}})
    script = work / "standin.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {credential.token}"\n'
    )
    command = ["wrk", "-t1", "-c32", "-d3s", "-s", str(script)]
    command.append(f"{standin.url}/v1/projects/{standin.project_id}/messages:send")
    if cpus and shutil.which("taskset"):
        command = ["taskset", "-c", ",".join(map(str, sorted(cpus))), *command]
    output = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    rate = next((line for line in output.splitlines() if line.startswith("Requests/sec")), None)
    if rate is None:
        return f"stand-in ceiling: wrk gave no rate:\n{output}"
    return f"stand-in ceiling (wrk, 32 connections, one core): {float(rate.split()[1]):,.0f} req/s"


def _share(values: list[float]) -> str:
    value = statistics.median(values)
    return "—" if math.isnan(value) else f"{value:.0%}"


def print_result(result: Result) -> None:
    print(f"\n{result.title}")
    print(
        f"  {'':40} {result.unit:>10} {'(min–max)':>17} {'CPU ms/1k':>10} {'sender':>7} "
        f"{'stand-in':>8} {'pg':>6} {'peak RSS':>9}"
    )
    for row in result.rows:
        spread = f"{min(row.rates):,.0f}–{max(row.rates):,.0f}"
        rss = f"{row.rss_mb:,.0f} MB" if row.rss_mb is not None else "—"
        print(
            f"  {row.label:40} {row.rate:10,.0f} {spread:>17} "
            f"{statistics.median(row.cpu_ms_per_1k):10,.0f} {_share(row.sender_share):>7} "
            f"{_share(row.standin_share):>8} {_share(row.pg_share):>6} {rss:>9}"
        )
    for line in result.lines:
        print(f"  {line}")


def data_needs(args: argparse.Namespace) -> dict[str, int]:
    """The synthetic data the chosen workloads need, loaded once before the first."""
    citizens = civil_servants = devices = 0
    if "campaign" in args.workloads:
        citizens = civil_servants = devices = args.devices
    if "broadcast" in args.workloads:
        citizens = max(citizens, args.citizens)
    if "resync" in args.workloads:
        citizens = max(citizens, args.resync_devices)
        devices = max(devices, args.resync_devices)
    return {"citizens": citizens, "civil_servants": civil_servants, "devices": devices}


async def run(args: argparse.Namespace, database_url: str, work: Path) -> None:
    import msgspec

    from backend import db
    from backend.settings import load_settings, use_settings
    from notifications.push.standin import StandInProcess

    load_at_start = load_average()
    cpus = usable_cpus()
    pin = not args.no_pin and len(cpus) >= 2
    sender_cpus = {cpus[0]} if pin else None
    standin_cpus = {cpus[1]} if pin else None
    if sender_cpus:
        os.sched_setaffinity(0, sender_cpus)
    process = StandInProcess(keep_messages=False, cpus=standin_cpus, log=work / "standin.log")
    standin = process.start()
    bench: Bench | None = None
    try:
        credentials_file = standin.write_service_account(work / "service-account.json")
        print(standin_ceiling(standin, credentials_file, work, sender_cpus), flush=True)
        standin.reset()
        os.environ.update(
            DATABASE_URL=database_url,
            CTN_SECRET_KEY=SECRET_KEY,
            CTN_PUSH_BACKEND="fcm",
            CTN_FCM_CREDENTIALS_FILE=str(credentials_file),
            CTN_FCM_ENDPOINT=standin.url,
            CTN_ACCESS_TOKEN_MINUTES="60",
        )
        settings = use_settings(
            msgspec.structs.replace(
                load_settings(),
                fcm_chunk_size=args.chunk_size,
                fcm_max_in_flight=args.in_flight,
            )
        )
        await db.open_pool(settings)
        from backend.jobs import job_app  # its connection string comes from the settings

        assert process.process is not None
        bench = Bench(
            args,
            standin,
            process.process.pid,
            credentials_file,
            settings,
            database_url=database_url,
            work=work,
            cpus=cpus,
            sender_cpus=sender_cpus,
            standin_cpus=standin_cpus,
            db=Scratch(database_url),
        )
        print(
            f"sender pinned to CPU {sorted(sender_cpus or [])}, stand-in to "
            f"{sorted(standin_cpus or [])}"
            if pin
            else "no CPU pinning",
            flush=True,
        )
        print(f"load average at start: {load_at_start}", flush=True)
        results = []
        async with job_app.open_async():
            needs = data_needs(args)
            if any(needs.values()):
                print("synthetic data:", flush=True)
                await ensure_data(bench, **needs)
            for name in args.workloads:
                print(f"workload {name}:", flush=True)
                results.append(await WORKLOADS[name](bench))
        for result in results:
            print_result(result)
        print("\nside figures")
        for line in bench.loads:
            print(f"  data: {line}")
        if bench.api is not None:
            print(f"  API (ctn serve, 1 process): peak RSS {bench.api.peak_rss_mb():,.0f} MB")
        print(f"  worker concurrency (CTN_WORKER_CONCURRENCY): {settings.worker_concurrency}")
        print(
            f"  PostgreSQL autovacuum: {bench.db.value('SHOW autovacuum')} (the bench runs "
            "ANALYZE after loading and before each phase)"
        )
        print(f"  load average: at start {load_at_start}, at end {load_average()}")
    finally:
        if bench is not None:
            if bench.api is not None:
                stop_process(bench.api.process)
            bench.db.close()
        with contextlib.suppress(Exception):
            await db.close_pool()
        process.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small numbers (a smoke run)")
    parser.add_argument("--devices", type=int, help="device and campaign workloads (100,000)")
    parser.add_argument("--citizens", type=int, help="broadcast workload (1,800,000)")
    parser.add_argument("--resync-devices", type=int, help="resync workload (50,000)")
    parser.add_argument("--rounds", type=int, help="device workload (3)")
    parser.add_argument("--chunk-size", type=int, default=100)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1000, help="devices per gateway call / job")
    parser.add_argument("--agencies", type=int, default=50, help="synthetic agencies")
    parser.add_argument("--resync-parts", type=int, default=4, help="ranges of the re-sync")
    parser.add_argument(
        "--workloads",
        type=lambda text: [w.strip() for w in text.split(",") if w.strip()],
        default=["device"],
        help=f"comma-separated, among: {', '.join(WORKLOADS)}",
    )
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args(argv)
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(unknown)}")
    for name, default in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, QUICK[name] if args.quick else default)
    work = Path(tempfile.mkdtemp(prefix="ctn-bench-push-", dir=os.environ.get("BENCH_DIR")))
    try:
        with scratch_database() as database_url:
            asyncio.run(run(args, database_url, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
