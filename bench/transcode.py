"""Transcode benchmark: the media job's transcode against the same ffmpeg commands run
directly, on a generated 60-second 1080p video with sound, in the same run.

    python -m bench.transcode [--seconds 60] [--runs 1] [--preset veryfast]

"Ours" is `content.service.produce_renditions`, the function `content.tasks.run_processing`
calls between claiming the asset and publishing it: probing (in a child process), the one
encode into an MP4 per rendition, the HLS cut, the poster, probing every output, and copying
the outputs into local storage (with fsync). Its progress callback does nothing here; the job's
writes about 20 one-row UPDATEs. "Direct" runs exactly the ffmpeg command lines the job builds
(`encode_args`, `hls_args`, `poster_args`), one after the other, output to /dev/null. Runs
alternate (direct, ours, direct, ours …) so that a drift of the machine affects both alike.
Target: ours no more than 10 % slower than direct.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import msgspec

from backend.settings import Settings, load_settings
from content import service
from content.policy import Kind
from content.storage import build_storage
from content.video import (
    Probe,
    encode_args,
    ffmpeg_binary,
    hls_args,
    ladder_for,
    poster_args,
    probe,
)


def generate(settings: Settings, path: Path, seconds: int) -> None:
    """A 1080p25 test pattern with a sine tone (lavfi testsrc2 + sine), H.264/AAC."""
    subprocess.run(
        [
            ffmpeg_binary(settings),
            *("-v", "error", "-y"),
            *("-f", "lavfi", "-i", f"testsrc2=duration={seconds}:size=1920x1080:rate=25"),
            *("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"),
            *("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"),
            *("-c:a", "aac", "-shortest", str(path)),
        ],
        check=True,
    )


def commands(settings: Settings, source: Path, source_probe: Probe, work: Path) -> list[list[str]]:
    """The ffmpeg command lines the job builds for this source."""
    rungs = ladder_for(source_probe)
    (work / "mp4").mkdir(parents=True)
    mp4s = [(r, work / "mp4" / f"{r.name}.mp4") for r in rungs]
    poster_at = min(1.0, (source_probe.duration or 0) / 2)
    return [
        encode_args(settings, source, source_probe, rungs, work / "mp4"),
        hls_args(settings, mp4s, work / "hls"),
        poster_args(settings, mp4s[-1][1], poster_at, work / "poster.jpg"),
    ]


def direct(run: list[list[str]]) -> tuple[float, float]:
    """The commands run one after the other: (wall, CPU) seconds."""
    cpu = _cpu()
    started = time.perf_counter()
    for command in run:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started, _cpu() - cpu


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (ffmpeg, probes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


async def ours(settings: Settings, original_key: str) -> tuple[float, float]:
    """`produce_renditions` as the job calls it: (wall, CPU) seconds; its outputs are
    removed after."""

    async def progress(fraction: float) -> None:
        return None

    claim = service.Claim(
        asset_id=uuid.uuid4(),
        run_id=uuid.uuid4(),
        kind=Kind.VIDEO,
        original_key=original_key,
        previous_run=None,
    )
    cpu = _cpu()
    started = time.perf_counter()
    produced = await service.produce_renditions(settings, claim, progress)
    elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
    names = [r.name for r in produced.renditions]
    if names[0] != "hls" or "poster" not in names:
        raise RuntimeError(f"unexpected renditions {names}")
    await build_storage(settings).delete_prefix(produced.output_prefix)
    return elapsed, cpu


async def bench(seconds: int, runs: int, preset: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="ctn-bench-", dir=os.environ.get("BENCH_DIR")) as tmp:
        directory = Path(tmp)
        settings = msgspec.structs.replace(
            load_settings(),
            storage_backend="local",
            media_dir=str(directory / "media"),
            secret_key="bench-secret-0123456789-abcdefghijklmnop",
        )
        if preset:
            settings = msgspec.structs.replace(settings, ffmpeg_preset=preset)
        source = directory / "source.mp4"
        print(f"generating a {seconds} s 1920×1080 test video …", flush=True)
        generate(settings, source, seconds)
        store = build_storage(settings)
        original_key = f"media/{uuid.uuid4().hex}/original.mp4"
        await store.put_file(original_key, source)
        source_probe = await probe(source)
        rungs = ", ".join(r.name for r in ladder_for(source_probe))
        print(
            f"source: {source.stat().st_size / 2**20:.1f} MB, {source_probe.duration:.1f} s;"
            f" renditions {rungs}; preset {settings.ffmpeg_preset};"
            f" ffmpeg {ffmpeg_binary(settings)}; {os.cpu_count()} CPUs",
            flush=True,
        )
        direct_runs: list[tuple[float, float]] = []
        our_runs: list[tuple[float, float]] = []
        for run in range(1, runs + 1):
            work = directory / f"direct-{run}"
            direct_runs.append(direct(commands(settings, source, source_probe, work)))
            shutil.rmtree(work)
            print(f"run {run}: direct ffmpeg  {_show(direct_runs[-1])}", flush=True)
            our_runs.append(await ours(settings, original_key))
            print(f"run {run}: media job      {_show(our_runs[-1])}", flush=True)
        for label, index in (("wall time", 0), ("CPU time", 1)):
            d = statistics.median(r[index] for r in direct_runs)
            o = statistics.median(r[index] for r in our_runs)
            print(
                f"median {label}: direct {d:.2f} s, media job {o:.2f} s,"
                f" overhead {o - d:+.2f} s ({(o - d) / d:+.1%})"
            )
        d = statistics.median(r[0] for r in direct_runs)
        o = statistics.median(r[0] for r in our_runs)
        print(f"target: wall-time overhead ≤ +10 %: {'met' if o <= d * 1.10 else 'NOT met'}")


def _show(measured: tuple[float, float]) -> str:
    return f"{measured[0]:7.2f} s wall, {measured[1]:7.2f} s CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of the test video")
    parser.add_argument("--runs", type=int, default=1, help="alternating runs of each")
    parser.add_argument("--preset", default=None, help="x264 preset (default CTN_FFMPEG_PRESET)")
    args = parser.parse_args()
    asyncio.run(bench(args.seconds, args.runs, args.preset))


if __name__ == "__main__":
    main()
