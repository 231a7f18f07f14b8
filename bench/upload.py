"""Upload benchmark: a 1 GB stream through `content.service.receive_upload` into local
storage and into an S3 server (moto, in its own process on 127.0.0.1), against a plain file
copy of the same bytes. Prints MB/s and the uploading process's peak RSS growth.

    python -m bench.upload [--size-mb 1024] [--skip-s3]

Each measurement runs in a fresh child process, so its peak RSS is its own. This measures
the service path (sniffing, limit, SHA-256, storage write); HTTP parsing is not included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHUNK = 64 * 1024
HEADER = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def stream(size: int):  # type: ignore[no-untyped-def]
    block = os.urandom(CHUNK)
    yield HEADER + block[len(HEADER) :]
    sent = CHUNK
    while sent < size:
        yield block
        sent += CHUNK


def child(mode: str, size: int, media_dir: str, endpoint: str | None) -> None:
    import msgspec

    from backend.settings import load_settings
    from content import service
    from content.policy import Purpose
    from content.storage import build_storage

    settings = msgspec.structs.replace(
        load_settings(), media_dir=media_dir, secret_key="bench-secret-0123456789-abcdefghijklmnop"
    )
    if mode == "s3":
        import boto3

        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        ).create_bucket(Bucket="bench")
        settings = msgspec.structs.replace(
            settings,
            storage_backend="s3",
            s3_endpoint_url=endpoint,
            s3_bucket="bench",
            s3_access_key_id="x",
            s3_secret_access_key="x",
        )
    base = rss_mb()

    async def run() -> float:
        started = time.perf_counter()
        received = await service.receive_upload(
            settings, purpose=Purpose.COURSE_VIDEO, chunks=stream(size), filename="big.mp4"
        )
        elapsed = time.perf_counter() - started
        await build_storage(settings).delete_prefix(received.prefix)
        return elapsed

    elapsed = asyncio.run(run())
    print(json.dumps({"seconds": elapsed, "rss_growth_mb": rss_mb() - base}))


def measure(mode: str, size: int, media_dir: str, endpoint: str | None = None) -> dict[str, float]:
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


def plain_copy(size: int, directory: Path) -> float:
    source, target = directory / "source.bin", directory / "copy.bin"
    block = os.urandom(CHUNK)
    with source.open("wb") as handle:
        for _ in range(size // CHUNK):
            handle.write(block)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--skip-s3", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--media-dir")
    parser.add_argument("--endpoint")
    args = parser.parse_args()
    size = args.size_mb * 2**20
    if args.child:
        child(args.child, size, args.media_dir, args.endpoint or None)
        return
    with tempfile.TemporaryDirectory(prefix="ctn-bench-", dir=os.environ.get("BENCH_DIR")) as tmp:
        directory = Path(tmp)
        copy_s = plain_copy(size, directory)
        local = measure("local", size, str(directory / "media"))
        mb = size / 2**20
        print(f"plain file copy        : {mb / copy_s:8.1f} MB/s")
        print(
            f"upload → local storage : {mb / local['seconds']:8.1f} MB/s"
            f"  ({mb / local['seconds'] / (mb / copy_s):.0%} of plain copy),"
            f" peak RSS growth {local['rss_growth_mb']:.1f} MB"
        )
        if not args.skip_s3:
            port = free_port()
            server = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "moto_server"),
                    "-H",
                    "127.0.0.1",
                    "-p",
                    str(port),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                time.sleep(2)
                s3 = measure("s3", size, str(directory / "media"), f"http://127.0.0.1:{port}")
            finally:
                server.terminate()
                server.wait()
            print(
                f"upload → S3 (moto)     : {mb / s3['seconds']:8.1f} MB/s,"
                f" peak RSS growth {s3['rss_growth_mb']:.1f} MB"
            )


if __name__ == "__main__":
    main()
