"""Image decoding benchmark: 20 concurrent uploads of a maximal image (a 7000 × 7000 PNG of a
few kilobytes, 49 megapixels: just under the evidence-photo limit) to a real `ctn serve`,
with images decoded in the server process (the old way, `CTN_IMAGE_WORKERS=0`) and in the
bounded pool of worker processes (the default), measured side by side in the same run, plus
a plain Pillow decode of the same image in a fresh process as a reference.

    python -m bench.images [--uploads 20] [--side 7000] [--workers 2]

For each server: the server process's peak RSS growth during the burst (VmHWM, reset before
it) and its RSS a few seconds after; the peak of the server and all its child processes
together (sampled from /proc every 20 ms); and how long each upload took (min / median /
max) and the whole burst. The uploads come from ten police officers, two each (the
per-person limit is two at once).

The database is a scratch database `ctn_bench_images` (see bench/upload.py's `database`:
`DATABASE_URL` if set, else 127.0.0.1:5432, else a private PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import secrets
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

from bench import upload as common

PURPOSE = "report_photo"
OFFICERS = 10


def solid_png(side: int) -> bytes:
    """A valid RGB PNG of side × side pixels of one colour (compressed row by row)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\x00" + b"\x20\x60\xa0" * side
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


# --- reference: one plain Pillow decode in a fresh process -----------------------------------


def plain_decode_child(path: str) -> None:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with Image.open(path) as image:
        image.load()
    seconds = time.perf_counter() - started
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"{seconds:.3f} {growth:.1f}")


def plain_decode(path: Path) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.images", "--child", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


# --- the server under a burst ----------------------------------------------------------------


def tree_rss_kb(pid: int) -> int:
    """RSS of the process and all its descendants, in kB."""
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        with contextlib.suppress(OSError):
            total += common.memory_kb(current).get("VmRSS", 0)
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(child) for child in children)
    return total


@dataclass
class Burst:
    label: str
    statuses: list[int]
    seconds: list[float]
    wall: float
    server_before_mb: float
    server_peak_growth_mb: float
    server_after_mb: float
    tree_peak_mb: float


async def create_officers(count: int) -> list[uuid.UUID]:
    from backend.access import Role
    from backend.db import unit_of_work
    from backend.identity.schemas import PoliceUnit
    from backend.identity.service import (
        do_grant_role,
        do_provision_person,
        do_upsert_police_unit,
    )

    ids = []
    async with unit_of_work():
        await do_upsert_police_unit(
            PoliceUnit(code="BENCH-CA", name="Đơn vị benchmark", communes=["05443"])
        )
        for _ in range(count):
            person = await do_provision_person(
                f"0{secrets.randbelow(10**11):011d}", "Cán bộ công an (benchmark)"
            )
            await do_grant_role(
                person.id,
                Role.POLICE_OFFICER,
                granted_by=None,
                reason="image benchmark",
                police_unit="BENCH-CA",
            )
            ids.append(person.id)
    return ids


async def burst(
    label: str,
    directory: Path,
    database_url: str,
    officers: list[uuid.UUID],
    image: bytes,
    uploads: int,
    extra_env: dict[str, str],
) -> Burst:
    import httpx

    async with common.serving(directory, database_url, extra_env) as server:
        tokens = [await common.bearer(server, person) for person in officers]
        limits = httpx.Limits(max_connections=uploads + 4)
        async with httpx.AsyncClient(base_url=server.url, timeout=600, limits=limits) as client:

            async def one(token: str) -> tuple[int, float]:
                started = time.perf_counter()
                response = await client.post(
                    "/api/v1/media",
                    params={"purpose": PURPOSE},
                    content=image,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "image/png",
                        "Content-Disposition": 'attachment; filename="bench.png"',
                    },
                )
                return response.status_code, time.perf_counter() - started

            await one(tokens[0])  # warm-up: pools, caches, a first worker
            await asyncio.sleep(1)
            before = common.memory_kb(server.pid)
            exact = common.reset_peak(server.pid)
            baseline = before["VmRSS"] if exact else before["VmHWM"]
            tree_peak = tree_rss_kb(server.pid)
            done = False

            async def sample() -> None:
                nonlocal tree_peak
                while not done:
                    tree_peak = max(tree_peak, tree_rss_kb(server.pid))
                    await asyncio.sleep(0.02)

            sampler = asyncio.create_task(sample())
            started = time.perf_counter()
            results = await asyncio.gather(*(one(tokens[i % len(tokens)]) for i in range(uploads)))
            wall = time.perf_counter() - started
            done = True
            await sampler
            peak = common.memory_kb(server.pid)["VmHWM"]
            await asyncio.sleep(3)
            after = common.memory_kb(server.pid)["VmRSS"]
    return Burst(
        label=label,
        statuses=[status for status, _ in results],
        seconds=[seconds for _, seconds in results],
        wall=wall,
        server_before_mb=before["VmRSS"] / 1024,
        server_peak_growth_mb=(peak - baseline) / 1024,
        server_after_mb=after / 1024,
        tree_peak_mb=tree_peak / 1024,
    )


def report(bursts: list[Burst], plain: tuple[float, float], side: int, size: int) -> None:
    print()
    print(
        f"{len(bursts[0].statuses)} concurrent uploads of a {side} × {side} PNG"
        f" ({size / 1024:.1f} KB; {side * side / 1e6:.0f} MP, {side * side * 3 / 2**20:.0f} MB"
        f" of RGB pixels), purpose {PURPOSE}"
    )
    print(
        f"plain Pillow decode of one, fresh process: {plain[0]:.2f} s, RSS growth {plain[1]:.0f} MB"
    )
    header = (
        f"{'decoding':<30} {'ok':>5} {'server':>8} {'peak +':>8} {'after':>8}"
        f" {'server+workers':>15} {'upload s min/med/max':>22} {'burst s':>8}"
    )
    print(header)
    print("-" * len(header))
    for b in bursts:
        ok = sum(status == 201 for status in b.statuses)
        times = sorted(b.seconds)
        spread = f"{times[0]:.2f}/{statistics.median(times):.2f}/{times[-1]:.2f}"
        print(
            f"{b.label:<30} {ok:>2}/{len(b.statuses):<2} {b.server_before_mb:>6.0f}MB"
            f" {b.server_peak_growth_mb:>6.0f}MB {b.server_after_mb:>6.0f}MB"
            f" {b.tree_peak_mb:>13.0f}MB {spread:>22} {b.wall:>8.2f}"
        )
    print(
        "server: RSS before the burst; peak +: the server process's peak RSS growth during it;"
        " after: its RSS 3 s later; server+workers: peak RSS of the server and its children"
        " together (sampled)."
    )
    for b in bursts:
        others = sorted({status for status in b.statuses if status != 201})
        if others:
            print(f"{b.label}: statuses other than 201: {others}")


async def run(args: argparse.Namespace, directory: Path, database_url: str) -> None:
    import msgspec

    from backend.db import close_pool, open_pool
    from backend.settings import load_settings

    settings = msgspec.structs.replace(load_settings(), db_pool_min=1, db_pool_max=2)
    await open_pool(settings)
    try:
        officers = await create_officers(OFFICERS)
        image = solid_png(args.side)
        path = directory / "maximal.png"
        path.write_bytes(image)
        plain = plain_decode(path)
        bursts = [
            await burst(
                "in the server (old, workers=0)",
                directory,
                database_url,
                officers,
                image,
                args.uploads,
                {"CTN_IMAGE_WORKERS": "0"},
            ),
            await burst(
                f"bounded pool ({args.workers} workers)",
                directory,
                database_url,
                officers,
                image,
                args.uploads,
                {"CTN_IMAGE_WORKERS": str(args.workers)},
            ),
        ]
        report(bursts, plain, args.side, len(image))
    finally:
        await close_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--side", type=int, default=7000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        plain_decode_child(args.child)
        return
    common.SCRATCH_DB = "ctn_bench_images"
    base = os.environ.get("BENCH_DIR") or None
    with tempfile.TemporaryDirectory(prefix="ctn-bench-images-", dir=base) as work:
        directory = Path(work)
        with common.database(directory) as (url, _scratch):
            os.environ["DATABASE_URL"] = url
            os.environ["CTN_SECRET_KEY"] = common.SECRET_KEY
            os.environ["CTN_MEDIA_DIR"] = str(directory / "media")
            asyncio.run(run(args, directory, url))


if __name__ == "__main__":
    main()
