"""Push benchmark (issue 12) against the local FCM stand-in.

    python -m bench.push [--devices 100000] [--rounds 3] [--workloads device]
                         [--chunk-size 100] [--in-flight 4] [--batch 1000] [--no-pin]

One run sets up what every workload needs, runs the workloads asked for, prints one table and
tears everything down:
- a scratch database (`ctn_bench_push`, on postgresql://postgres@127.0.0.1:5432 with trust auth
  or on the server of DATABASE_URL), migrated by `python -m backend migrate`, dropped at the
  end: the gateway reserves its sends against the quota table there, as in production;
- the FCM stand-in in a process of its own (`python -m notifications.push.standin
  --count-only`: it keeps counts, not messages) and a service account whose token endpoint
  is the stand-in; its ceiling is measured first with wrk (Debian's `wrk`, if installed):
  32 connections posting one v1 message with a valid token, so a reader sees it is not what
  sets the pace;
- CPU pinning (taskset-style affinity, when two CPUs are usable; `--no-pin` turns it off): this
  process (the sender, one worker's worth) on the first CPU, the stand-in on the second;
  PostgreSQL wherever the kernel puts it.

Workloads (`--workloads`, comma-separated; each a function of the shared `Bench` returning
rows, registered in `WORKLOADS`):
- `device` — the device-by-device path: the same N messages (one Vietnamese notification with
  a campaign id, deep link and collapse key; N distinct installation ids) through
  1. bare firebase-admin: `messaging.send_each` on chunks of `--chunk-size` messages,
     `--in-flight` chunks at once from a thread pool, the library's own HTTP settings (its
     retry policy, a pool of 100 connections as it mounts for FCM's host): the library's
     ceiling here;
  2. our gateway: `FcmGateway.send_to_devices` on batches of `--batch` devices (a sending
     job's batch, `CTN_PUSH_BATCH_SIZE`), chunk size and in-flight from the same options, the
     quota reserved in PostgreSQL per chunk, the OAuth token kept fresh off the loop.
  Both are warmed up first (connections, token), then rounds alternate bare/gateway so a
  slowdown of the machine hits both alike. Printed: messages/s (median, min–max over rounds),
  CPU ms per 1,000 messages of this process, the stand-in's share of its core, and the ratio
  gateway/bare against the target (≥ 0.90 per worker process). Every message must come back
  accepted and be counted by the stand-in, or the run stops.

The machine is shared (2 cores, other work running): read ratios, not absolute figures.
Temporary files go under `BENCH_DIR` when set.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.common import base_env, cpu_seconds, usable_cpus

SECRET_KEY = "bench-secret-0123456789-abcdefghijklmnop"
SYSTEM_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SCRATCH_DB = "ctn_bench_push"
TARGET_RATIO = 0.90


@dataclass
class Row:
    label: str
    messages: int
    rates: list[float] = field(default_factory=list)
    """Messages per second, one per round."""
    cpu_ms_per_1k: list[float] = field(default_factory=list)
    standin_share: list[float] = field(default_factory=list)
    """CPU seconds of the stand-in per wall second (1.0: its whole core)."""

    def add(self, seconds: float, cpu: float, standin_cpu: float) -> None:
        self.rates.append(self.messages / seconds)
        self.cpu_ms_per_1k.append(cpu * 1000 / self.messages * 1000)
        self.standin_share.append(standin_cpu / seconds)

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)


@dataclass
class Result:
    title: str
    rows: list[Row]
    lines: list[str] = field(default_factory=list)
    """Verdicts and notes printed under the table."""


@dataclass
class Bench:
    """What every workload gets: the options, the stand-in and how to reach it."""

    args: argparse.Namespace
    standin: Any
    """`StandInClient` of the stand-in process."""
    standin_pid: int
    credentials_file: Path
    settings: Any
    """Settings for the gateway: push through the stand-in, the options' chunk and in-flight."""

    def standin_cpu(self) -> float:
        return cpu_seconds([self.standin_pid])

    def accepted(self) -> int:
        return int(self.standin.counts()["accepted"])


Workload = Callable[[Bench], Awaitable[Result]]


# --- the device-by-device path --------------------------------------------------------------


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


async def device_path(bench: Bench) -> Result:
    from firebase_admin import messaging

    from notifications.push import DeviceSend, Outcome
    from notifications.push.fcm import DEVICE_PAYLOAD_LIMIT, FcmGateway, firebase_app, prepare

    args = bench.args
    chunk, in_flight = args.chunk_size, args.in_flight
    message = bench_message()
    parts = prepare(message, DEVICE_PAYLOAD_LIMIT).parts
    devices = [f"bench-fid-{i:08d}" for i in range(args.devices)]
    bare_app = firebase_app(
        str(bench.credentials_file),
        name="bench-bare",
        endpoint=bench.standin.url,
        pool_size=min(1000, max(100, chunk * in_flight)),
        library_retries=True,
    )
    pool = ThreadPoolExecutor(max_workers=in_flight)

    def bare_chunk(ids: list[str]) -> int:
        batch = messaging.send_each([messaging.Message(fid=d, **parts) for d in ids], app=bare_app)
        return int(batch.success_count)

    def bare_send(ids: list[str]) -> None:
        chunks = [ids[i : i + chunk] for i in range(0, len(ids), chunk)]
        accepted = sum(pool.map(bare_chunk, chunks))
        if accepted != len(ids):
            raise SystemExit(f"bench.push: bare send_each: {len(ids) - accepted} not accepted")

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
    try:
        warm = devices[: chunk * in_flight]
        await asyncio.to_thread(bare_send, warm)
        await gateway_send(warm)
        for round_number in range(1, args.rounds + 1):
            for row in (bare, ours):
                before = bench.accepted()
                standin_before = bench.standin_cpu()
                cpu_before = time.process_time()
                started = time.perf_counter()
                if row is bare:
                    await asyncio.to_thread(bare_send, devices)
                else:
                    await gateway_send(devices)
                seconds = time.perf_counter() - started
                row.add(
                    seconds,
                    time.process_time() - cpu_before,
                    bench.standin_cpu() - standin_before,
                )
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
        pool.shutdown()
        import firebase_admin

        await asyncio.to_thread(firebase_admin.delete_app, bare_app)
    ratio = ours.rate / bare.rate
    verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
    return Result(
        f"device-by-device path: {len(devices):,} devices, chunks of {chunk}, {in_flight} in "
        f"flight, gateway batches of {args.batch}, {args.rounds} round(s)",
        [bare, ours],
        [f"gateway / bare firebase-admin: {ratio:.2f} (target ≥ {TARGET_RATIO:.2f}) {verdict}"],
    )


WORKLOADS: dict[str, Workload] = {"device": device_path}


# --- set-up ---------------------------------------------------------------------------------


def server_template() -> str:
    url = os.environ.get("DATABASE_URL") or SYSTEM_SERVER
    return urlunsplit(urlsplit(url)._replace(path="/{db}"))


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """A fresh database, migrated by `ctn migrate`, dropped at the end; its URL."""
    import psycopg

    template = server_template()

    def admin(statement: str) -> None:
        with psycopg.connect(
            template.format(db="postgres"), autocommit=True, connect_timeout=5
        ) as conn:
            conn.execute(statement)

    try:
        admin("SELECT 1")
    except psycopg.Error as exc:
        sys.exit(f"bench.push: the database server does not answer ({exc})")
    url = template.format(db=SCRATCH_DB)
    admin(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{SCRATCH_DB}"')
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
            admin(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)')


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


def print_result(result: Result) -> None:
    print(f"\n{result.title}")
    header = f"  {'':34} {'msg/s':>9} {'(min–max)':>17} {'CPU ms/1k msg':>14} {'stand-in core':>14}"
    print(header)
    for row in result.rows:
        spread = f"{min(row.rates):,.0f}–{max(row.rates):,.0f}"
        print(
            f"  {row.label:34} {row.rate:9,.0f} {spread:>17} "
            f"{statistics.median(row.cpu_ms_per_1k):14,.0f} "
            f"{statistics.median(row.standin_share):13.0%}"
        )
    for line in result.lines:
        print(f"  {line}")


async def run(args: argparse.Namespace, database_url: str, work: Path) -> None:
    import msgspec

    from backend import db
    from backend.settings import load_settings, use_settings
    from notifications.push.standin import StandInProcess

    cpus = usable_cpus()
    pin = not args.no_pin and len(cpus) >= 2
    sender_cpus = {cpus[0]} if pin else None
    standin_cpus = {cpus[1]} if pin else None
    if sender_cpus:
        os.sched_setaffinity(0, sender_cpus)
    process = StandInProcess(keep_messages=False, cpus=standin_cpus, log=work / "standin.log")
    standin = process.start()
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
        )
        settings = use_settings(
            msgspec.structs.replace(
                load_settings(),
                fcm_chunk_size=args.chunk_size,
                fcm_max_in_flight=args.in_flight,
            )
        )
        await db.open_pool(settings)
        assert process.process is not None
        bench = Bench(args, standin, process.process.pid, credentials_file, settings)
        print(
            f"sender pinned to CPU {sorted(sender_cpus or [])}, stand-in to "
            f"{sorted(standin_cpus or [])}"
            if pin
            else "no CPU pinning",
            flush=True,
        )
        results = []
        for name in args.workloads:
            print(f"workload {name}:", flush=True)
            results.append(await WORKLOADS[name](bench))
        for result in results:
            print_result(result)
    finally:
        with contextlib.suppress(Exception):
            await db.close_pool()
        process.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunk-size", type=int, default=100)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1000, help="devices per gateway call")
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
    work = Path(tempfile.mkdtemp(prefix="ctn-bench-push-", dir=os.environ.get("BENCH_DIR")))
    try:
        with scratch_database() as database_url:
            asyncio.run(run(args, database_url, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
