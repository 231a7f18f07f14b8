"""Upload benchmark: a 1 GB stream uploaded to local storage and to an S3 server (moto, in its
own process on 127.0.0.1), against a plain file copy of the same bytes on the same filesystem,
measured in the same run. Prints MB/s, the share of the copy's speed, and peak RSS growth,
against the targets (RSS growth < 64 MB; local upload >= 50 % of the copy).

    python -m bench.upload [--size-mb 1024] [--skip-s3] [--service]

Default (HTTP): a real `ctn serve` is started as a subprocess (`python -m backend serve`) on a
free port and the body is streamed to `POST /api/v1/media?purpose=course_video` over HTTP by
httpx, as a course administrator (a person created in the database, with an access token of
ours). The RSS figure is the server process's: its peak (VmHWM) during the upload minus its
resident size (VmRSS) just before it, after a small warm-up upload, read from /proc.

The database is `DATABASE_URL` when set (it must be migrated; the benchmark's assets are
deleted afterwards), else a scratch database `ctn_bench_upload` created on
postgresql://postgres@127.0.0.1:5432 (trust auth), or on a private PostgreSQL (pgserver) when
that server does not answer, migrated, and dropped at the end.

`--service`: the previous, narrower measurement: `content.service.receive_upload` called
directly in a fresh child process (sniffing, limit, SHA-256, storage write; no HTTP), whose
own peak RSS (ru_maxrss) growth is reported.

Temporary files go under `BENCH_DIR` when set (else the system's temporary directory); the
copy baseline and the media directory share it, so both write to the same filesystem.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHUNK = 64 * 1024
HEADER = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
SECRET_KEY = "bench-secret-0123456789-abcdefghijklmnop"
SCRATCH_DB = "ctn_bench_upload"
SYSTEM_SERVER = "postgresql://postgres@127.0.0.1:5432/{db}"
BUCKET = "bench"
PURPOSE = "course_video"  # 4 GB limit; uploaded by course administrators
RSS_TARGET_MB = 64.0
COPY_TARGET = 0.5
WARM_UP_BYTES = 2 * 2**20


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def stream(size: int) -> AsyncIterator[bytes]:
    """`size` bytes in 64 KiB chunks, starting with an MP4 `ftyp` box (sniffed as video)."""
    block = os.urandom(CHUNK)
    first = HEADER + block[len(HEADER) :]
    yield first[:size]
    sent = min(size, CHUNK)
    while sent < size:
        chunk = block if size - sent >= CHUNK else block[: size - sent]
        yield chunk
        sent += len(chunk)


def plain_copy(size: int, directory: Path) -> float:
    """Seconds to copy a `size`-byte file (read, write, fsync) in `directory`."""
    source, target = directory / "source.bin", directory / "copy.bin"
    block = os.urandom(CHUNK)
    with source.open("wb") as handle:
        for _ in range(size // CHUNK):
            handle.write(block)
    os.sync()  # the source's own writeback is not the copy's
    started = time.perf_counter()
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)
        dst.flush()
        os.fsync(dst.fileno())
    elapsed = time.perf_counter() - started
    source.unlink()
    target.unlink()
    return elapsed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Result:
    path: str
    seconds: float
    rss_growth_mb: float | None
    local: bool
    """Held to the throughput target (local storage); S3 through moto is not."""


# --- report ---------------------------------------------------------------------------------


def report(size: int, copy_seconds: float, results: list[Result], rss_label: str) -> bool:
    """Print the table; True when every target is met."""
    mb = size / 2**20
    copy_rate = mb / copy_seconds
    ok = True
    print()
    print(f"{mb:.0f} MB, chunks of {CHUNK // 1024} KiB")
    header = f"{'path':<26} {'MB/s':>8} {'% of copy':>10}   {'target':<14} {rss_label:>24}   target"
    print(header)
    print("-" * len(header))
    print(f"{'plain file copy':<26} {copy_rate:8.1f} {'100%':>10}")
    for result in results:
        rate = mb / result.seconds
        share = rate / copy_rate
        if result.local:
            passed = share >= COPY_TARGET
            ok &= passed
            throughput = f">= {COPY_TARGET:.0%} {'PASS' if passed else 'FAIL'}"
        else:
            throughput = "(none)"
        if result.rss_growth_mb is None:
            memory, memory_mark = "n/a", "(not measured)"
        else:
            passed = result.rss_growth_mb < RSS_TARGET_MB
            ok &= passed
            memory = f"{result.rss_growth_mb:.1f} MB"
            memory_mark = f"< {RSS_TARGET_MB:.0f} MB {'PASS' if passed else 'FAIL'}"
        print(
            f"{result.path:<26} {rate:8.1f} {share:>10.0%}   {throughput:<14}"
            f" {memory:>24}   {memory_mark}"
        )
    print()
    return ok


# --- service mode (no HTTP) -----------------------------------------------------------------


def service_child(mode: str, size: int, media_dir: str, endpoint: str | None) -> None:
    import msgspec

    from backend.settings import load_settings
    from content import service
    from content.policy import Purpose
    from content.storage import build_storage

    settings = msgspec.structs.replace(load_settings(), media_dir=media_dir, secret_key=SECRET_KEY)
    if mode == "s3":
        settings = msgspec.structs.replace(
            settings,
            storage_backend="s3",
            s3_endpoint_url=endpoint,
            s3_bucket=BUCKET,
            s3_access_key_id="x",
            s3_secret_access_key="x",
        )
    base = rss_mb()

    async def run() -> float:
        started = time.perf_counter()
        received = await service.receive_upload(
            settings, purpose=Purpose(PURPOSE), chunks=stream(size), filename="big.mp4"
        )
        elapsed = time.perf_counter() - started
        await build_storage(settings).delete_prefix(received.prefix)
        return elapsed

    elapsed = asyncio.run(run())
    print(json.dumps({"seconds": elapsed, "rss_growth_mb": rss_mb() - base}))


def service_measure(
    mode: str, size: int, media_dir: str, endpoint: str | None = None
) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.upload",
            "--child",
            mode,
            "--size-mb",
            str(size // 2**20),
            "--media-dir",
            media_dir,
            "--endpoint",
            endpoint or "",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """An S3 server (moto) in its own process, with the bucket created; its endpoint."""
    import boto3

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except Exception:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait()


def run_service_mode(args: argparse.Namespace, size: int, directory: Path) -> bool:
    copy_s = plain_copy(size, directory)
    results = []
    local = service_measure("local", size, str(directory / "media"))
    results.append(
        Result("service → local storage", local["seconds"], local["rss_growth_mb"], True)
    )
    if not args.skip_s3:
        with moto_server() as endpoint:
            s3 = service_measure("s3", size, str(directory / "media"), endpoint)
        results.append(Result("service → S3 (moto)", s3["seconds"], s3["rss_growth_mb"], False))
    print("Service level: content.service.receive_upload in a child process, no HTTP.")
    return report(size, copy_s, results, "process peak RSS growth")


# --- HTTP mode (a real `ctn serve`) ---------------------------------------------------------


def base_env() -> dict[str, str]:
    """This environment without our settings (the server gets exactly the ones we set)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CTN_") and k != "DATABASE_URL"}


@contextlib.contextmanager
def database(directory: Path) -> Iterator[tuple[str, bool]]:
    """A migrated database: (URL, whether it is our scratch database)."""
    if url := os.environ.get("DATABASE_URL"):
        yield url, False
        return
    import psycopg

    embedded: Any = None
    try:
        with psycopg.connect(SYSTEM_SERVER.format(db="postgres"), connect_timeout=3):
            template = SYSTEM_SERVER
    except psycopg.Error:
        from backend.embedded import EmbeddedPostgres

        print("PostgreSQL at 127.0.0.1:5432 does not answer: starting a private one")
        embedded = EmbeddedPostgres(directory)
        template = embedded.start("postgres").replace("/postgres?", "/{db}?", 1)

    def admin(statement: str) -> None:
        with psycopg.connect(template.format(db="postgres"), autocommit=True) as conn:
            conn.execute(statement)

    try:
        admin(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{SCRATCH_DB}"')
        url = template.format(db=SCRATCH_DB)
        try:
            migrated = subprocess.run(
                [sys.executable, "-m", "backend", "migrate"],
                env={**base_env(), "DATABASE_URL": url, "CTN_SECRET_KEY": SECRET_KEY},
                capture_output=True,
                text=True,
            )
            if migrated.returncode:
                raise RuntimeError(f"ctn migrate failed:\n{migrated.stdout}{migrated.stderr}")
            yield url, True
        finally:
            admin(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)')
    finally:
        if embedded is not None:
            embedded.stop()


@dataclass
class Server:
    url: str
    pid: int
    log: Path


@contextlib.asynccontextmanager
async def serving(
    directory: Path, database_url: str, extra_env: dict[str, str]
) -> AsyncIterator[Server]:
    """`python -m backend serve` on a free port until the block ends (then SIGTERM)."""
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **base_env(),
        "DATABASE_URL": database_url,
        "CTN_SECRET_KEY": SECRET_KEY,
        "CTN_PUBLIC_URL": url,
        "CTN_DATA_DIR": str(directory / "data"),
        "CTN_MEDIA_DIR": str(directory / "media"),
        "CTN_DB_POOL_MIN": "1",
        # `ctn serve` refuses to start without a provider; the benchmark signs tokens itself.
        "CTN_OIDC_ISSUER": "http://127.0.0.1:9/no-provider",
        **extra_env,
    }
    log_path = directory / f"serve-{port}.log"
    with log_path.open("w") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "backend",
            "serve",
            "--port",
            str(port),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{url}/health/ready")).status_code == 200:
                        break
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"ctn serve did not start:\n{log_path.read_text()}")
                await asyncio.sleep(0.2)
        yield Server(url=url, pid=process.pid, log=log_path)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux >= 4.0); False if not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def create_course_admin() -> uuid.UUID:
    from backend.access import Role
    from backend.db import unit_of_work
    from backend.identity.service import do_grant_role, do_provision_person

    async with unit_of_work():
        person = await do_provision_person(
            f"0{secrets.randbelow(10**11):011d}", "Quản trị khóa học (benchmark)"
        )
        await do_grant_role(
            person.id, Role.COURSE_ADMIN, granted_by=None, reason="upload benchmark"
        )
    return person.id


async def bearer(server: Server, person_id: uuid.UUID) -> str:
    """An access token the server accepts: same secret key, issuer = its public URL."""
    import msgspec

    from backend.db import unit_of_work
    from backend.identity import keys
    from backend.identity.service import do_issue_tokens
    from backend.settings import load_settings

    settings = msgspec.structs.replace(load_settings(), public_url=server.url)
    keys.forget_cached_keys()  # the server has just created its signing key
    # A real refresh family: access tokens without one are refused.
    async with unit_of_work():
        pair = await do_issue_tokens(settings, person_id)
    return pair.access_token


async def post_upload(server: Server, token: str, size: int) -> tuple[float, uuid.UUID]:
    import httpx

    async with httpx.AsyncClient(base_url=server.url, timeout=httpx.Timeout(900)) as client:
        started = time.perf_counter()
        response = await client.post(
            "/api/v1/media",
            params={"purpose": PURPOSE},
            content=stream(size),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "video/mp4",
                "Content-Disposition": 'attachment; filename="bench.mp4"',
                "Content-Length": str(size),
            },
        )
        elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(
            f"upload answered {response.status_code}: {response.text}\n"
            f"server log: {server.log.read_text()[-4000:]}"
        )
    body = response.json()
    if body["size"] != size or body["status"] != "uploaded":
        raise RuntimeError(f"unexpected asset: {body}")
    return elapsed, uuid.UUID(body["id"])


async def measure_http(
    label: str,
    directory: Path,
    database_url: str,
    person_id: uuid.UUID,
    size: int,
    extra_env: dict[str, str],
    *,
    local: bool,
) -> tuple[Result, list[uuid.UUID]]:
    async with serving(directory, database_url, extra_env) as server:
        token = await bearer(server, person_id)
        _, warm_up = await post_upload(server, token, WARM_UP_BYTES)
        await asyncio.sleep(0.5)
        os.sync()  # nothing earlier (the copy baseline) is left to write back
        before = memory_kb(server.pid)
        exact = reset_peak(server.pid)
        baseline = before["VmRSS"] if exact else before["VmHWM"]
        seconds, uploaded = await post_upload(server, token, size)
        after = memory_kb(server.pid)
        growth = (after["VmHWM"] - baseline) / 1024
        print(
            f"{label}: server RSS before {before['VmRSS'] / 1024:.1f} MB, peak during upload"
            f" {after['VmHWM'] / 1024:.1f} MB"
            + ("" if exact else " (peak not resettable: growth measured from the earlier peak)")
        )
    return Result(label, seconds, growth, local), [warm_up, uploaded]


async def run_http(
    args: argparse.Namespace, size: int, directory: Path, database_url: str, *, keep_database: bool
) -> bool:
    import msgspec

    from backend.db import close_pool, open_pool
    from backend.settings import load_settings

    settings = msgspec.structs.replace(load_settings(), db_pool_min=1, db_pool_max=2)
    await open_pool(settings)
    assets: list[uuid.UUID] = []
    try:
        person_id = await create_course_admin()
        copy_s = plain_copy(size, directory)
        results = []
        result, ids = await measure_http(
            "HTTP → local storage", directory, database_url, person_id, size, {}, local=True
        )
        results.append(result)
        assets += ids
        if not args.skip_s3:
            with moto_server() as endpoint:
                s3_env = {
                    "CTN_STORAGE_BACKEND": "s3",
                    "CTN_S3_ENDPOINT_URL": endpoint,
                    "CTN_S3_BUCKET": BUCKET,
                    "CTN_S3_REGION": "us-east-1",
                    "CTN_S3_ACCESS_KEY_ID": "x",
                    "CTN_S3_SECRET_ACCESS_KEY": "x",
                }
                result, ids = await measure_http(
                    "HTTP → S3 (moto)",
                    directory,
                    database_url,
                    person_id,
                    size,
                    s3_env,
                    local=False,
                )
            results.append(result)
            assets += ids
        print(
            "HTTP: `ctn serve` (1 worker), raw body streamed by httpx to"
            f" POST /api/v1/media?purpose={PURPOSE}. The videos are queued for transcoding;"
            " `ctn serve` runs no worker, so nothing is transcoded."
        )
        return report(size, copy_s, results, "server peak RSS growth")
    finally:
        if assets and keep_database:
            await forget_assets(settings, assets)
        await close_pool()


async def forget_assets(settings: Any, assets: list[uuid.UUID]) -> None:
    """Delete the benchmark's assets from a database we do not drop."""
    from backend.db import unit_of_work
    from content import service

    for asset_id in assets:
        with contextlib.suppress(Exception):
            async with unit_of_work():
                await service.do_delete_asset(settings, asset_id)


def run_http_mode(args: argparse.Namespace, size: int, directory: Path) -> bool:
    with database(directory) as (url, scratch):
        # Read by the Piccolo engine (backend.piccolo_conf) and the settings of this process.
        os.environ["DATABASE_URL"] = url
        os.environ["CTN_SECRET_KEY"] = SECRET_KEY
        os.environ["CTN_MEDIA_DIR"] = str(directory / "media")
        return asyncio.run(run_http(args, size, directory, url, keep_database=not scratch))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--skip-s3", action="store_true", help="local storage only")
    parser.add_argument(
        "--service", action="store_true", help="call the service in a child process, no HTTP"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--media-dir", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = args.size_mb * 2**20
    if args.child:
        service_child(args.child, size, args.media_dir, args.endpoint or None)
        return
    with tempfile.TemporaryDirectory(prefix="ctn-bench-", dir=os.environ.get("BENCH_DIR")) as tmp:
        directory = Path(tmp)
        ok = (run_service_mode if args.service else run_http_mode)(args, size, directory)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
