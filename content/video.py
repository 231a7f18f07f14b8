"""Video and audio: probing, and the ffmpeg commands that make renditions.

A video is encoded once, in one ffmpeg process, into an H.264/AAC MP4 per rendition of the
ladder (no upscaling), with a keyframe every two seconds; each MP4 plays in any browser. The
HLS renditions are then cut from those MP4s without re-encoding, a master playlist lists
them, and a poster frame is taken from the largest one. Commands are built by ffmpeg-python.

The ladder starts low for learners on weak rural mobile links: 240p at about 360 kbit/s first,
and, for a source with sound, an audio-only rendition (AAC-LC, 48 kbit/s mono, encoded in the
same run) that the master playlist lists as a variant of its own (`CODECS="mp4a.40.2"`, a
bandwidth of about 55 kbit/s), so a lesson can still be followed on a 2G-class link; it is
also kept as an `audio.m4a` a browser plays directly.

The ffmpeg binary is `CTN_FFMPEG`, else `ffmpeg` on PATH, else the one shipped inside the
imageio-ffmpeg wheel, so a fresh machine needs no system package.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import shutil
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from backend.settings import Settings
from content.errors import (
    MediaNoAudioStream,
    MediaNoVideoStream,
    MediaTranscodeFailed,
    MediaTruncated,
    MediaUnreadable,
)

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 120.0
SEGMENT_SECONDS = 4
KEYFRAME_SECONDS = 2

Progress = Callable[[float], Awaitable[None]]


def ffmpeg_binary(settings: Settings) -> str:
    if settings.ffmpeg:
        return settings.ffmpeg
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


@dataclass(frozen=True)
class Probe:
    format: str
    duration: float | None
    video: dict[str, Any] | None
    audio: dict[str, Any] | None

    def details(self) -> dict[str, Any]:
        details: dict[str, Any] = {"format": self.format, "duration": self.duration}
        if self.video:
            details.update(
                width=self.video["width"],
                height=self.video["height"],
                video_codec=self.video["codec"],
                fps=self.video.get("fps"),
            )
        if self.audio:
            details.update(audio_codec=self.audio["codec"], channels=self.audio["channels"])
        return details


async def probe(path: Path, timeout: float = PROBE_TIMEOUT) -> Probe:
    """Streams, codecs, resolution and duration of `path`; `MediaUnreadable` if it is not a
    media file FFmpeg can parse."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "content.probe",
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        stdout, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise MediaUnreadable() from None
    try:
        data = json.loads(stdout or b"{}")
    except ValueError:
        data = {"error": "no output"}
    if process.returncode != 0 or "error" in data:
        log.info("probe refused a file: %s", data.get("error"))
        raise MediaUnreadable()
    return Probe(
        format=data["format"], duration=data["duration"], video=data["video"], audio=data["audio"]
    )


@dataclass(frozen=True)
class Rung:
    name: str
    height: int
    video_kbps: int
    audio_kbps: int


LADDER = (
    Rung("240p", 240, 360, 64),
    Rung("360p", 360, 800, 96),
    Rung("720p", 720, 2800, 128),
    Rung("1080p", 1080, 5000, 160),
)


AUDIO_ONLY_KBPS = 48
"""The audio-only rendition: AAC-LC, mono (speech), for 2G-class links."""
AUDIO_ONLY_NAME = "audio"
AUDIO_ONLY_CODECS = "mp4a.40.2"


def ladder_for(probe: Probe) -> list[Rung]:
    """The renditions to make: every rung up to the source's height (never upscaled); a
    source smaller than the lowest rung gets one rendition at its own size."""
    if probe.video is None:
        raise MediaNoVideoStream()
    height = int(probe.video["height"] or 0)
    width = int(probe.video["width"] or 0)
    if height <= 0 or width <= 0:
        raise MediaUnreadable()
    rungs = [r for r in LADDER if r.height <= height]
    if not rungs:
        even = max(2, height - height % 2)
        rungs = [Rung(f"{even}p", even, LADDER[0].video_kbps, LADDER[0].audio_kbps)]
    return rungs


def _x264(settings: Settings, rung: Rung) -> dict[str, Any]:
    return {
        "c:v": "libx264",
        "preset": settings.ffmpeg_preset,
        "profile:v": "main",
        "pix_fmt": "yuv420p",
        "crf": 23,
        "maxrate": f"{rung.video_kbps}k",
        "bufsize": f"{rung.video_kbps * 2}k",
        "force_key_frames": f"expr:gte(t,n_forced*{KEYFRAME_SECONDS})",
        "sc_threshold": 0,
        "movflags": "+faststart",
    }


def _aac(kbps: int) -> dict[str, Any]:
    return {"c:a": "aac", "b:a": f"{kbps}k", "ac": 2}


def encode_args(
    settings: Settings, source: Path, probe: Probe, rungs: list[Rung], out_dir: Path
) -> list[str]:
    """One ffmpeg run: the source decoded once, scaled per rung, one MP4 per rung, and the
    audio-only rendition (`audio.m4a`) when the source has sound."""
    source_input = ffmpeg.input(str(source))
    video = source_input.video
    branches = (
        [video]
        if len(rungs) == 1
        else [video.filter_multi_output("split", len(rungs)).stream(i) for i in range(len(rungs))]
    )
    outputs = []
    for branch, rung in zip(branches, rungs, strict=True):
        scaled = branch.filter("scale", -2, rung.height)
        streams = [scaled, source_input.audio] if probe.audio else [scaled]
        options = _x264(settings, rung) | (_aac(rung.audio_kbps) if probe.audio else {})
        if settings.ffmpeg_threads:
            options["threads"] = settings.ffmpeg_threads
        outputs.append(ffmpeg.output(*streams, str(out_dir / f"{rung.name}.mp4"), **options))
    if probe.audio:
        outputs.append(
            ffmpeg.output(
                source_input.audio,
                str(out_dir / f"{AUDIO_ONLY_NAME}.m4a"),
                **{"c:a": "aac", "b:a": f"{AUDIO_ONLY_KBPS}k", "ac": 1},
                movflags="+faststart",
            )
        )
    return _compile(settings, ffmpeg.merge_outputs(*outputs))


def hls_args(
    settings: Settings,
    mp4s: list[tuple[Rung, Path]],
    out_dir: Path,
    audio_only: Path | None = None,
) -> list[str]:
    """HLS renditions cut from the MP4s without re-encoding (keyframes are already aligned),
    and from the audio-only rendition into `audio/` when there is one."""
    outputs = []
    sources: list[tuple[str, Path]] = [(rung.name, mp4) for rung, mp4 in mp4s]
    if audio_only is not None:
        sources.append((AUDIO_ONLY_NAME, audio_only))
    for name, mp4 in sources:
        target = out_dir / name
        target.mkdir(parents=True, exist_ok=True)
        source = ffmpeg.input(str(mp4))
        # Each output maps its own input's streams explicitly: left to ffmpeg's default
        # selection, an output takes the best video of *all* the inputs (every rung became
        # the largest one), and ffmpeg-python writes no `-map` for the first input.
        streams = [source["a"]] if name == AUDIO_ONLY_NAME else [source["v"], source["a?"]]
        outputs.append(
            ffmpeg.output(
                *streams,
                str(target / "index.m3u8"),
                c="copy",
                f="hls",
                hls_time=SEGMENT_SECONDS,
                hls_playlist_type="vod",
                hls_segment_type="mpegts",
                hls_segment_filename=str(target / "seg_%05d.ts"),
            )
        )
    return _compile(settings, ffmpeg.merge_outputs(*outputs))


def poster_args(settings: Settings, mp4: Path, at: float, poster: Path) -> list[str]:
    stream = ffmpeg.input(str(mp4), ss=f"{at:.3f}").output(str(poster), vframes=1, **{"q:v": 3})
    return _compile(settings, stream)


def audio_args(settings: Settings, source: Path, target: Path) -> list[str]:
    stream = ffmpeg.input(str(source)).audio.output(str(target), **_aac(128), movflags="+faststart")
    return _compile(settings, stream)


def _compile(settings: Settings, stream: Any) -> list[str]:
    args: list[str] = stream.global_args(
        "-hide_banner", "-nostdin", "-v", "error", "-progress", "pipe:1", "-nostats"
    ).compile(cmd=ffmpeg_binary(settings), overwrite_output=True)
    return args


def master_playlist(
    variants: list[tuple[Rung, int, int, int]], audio_only_bandwidth: int | None = None
) -> str:
    """The HLS master playlist: (rung, bandwidth in bit/s, width, height) per variant, lowest
    first, then the audio-only variant (its codec named, no resolution) when there is one."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rung, bandwidth, width, height in sorted(variants, key=lambda v: (v[3], v[1])):
        lines.append(f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height}")
        lines.append(f"{rung.name}/index.m3u8")
    if audio_only_bandwidth is not None:
        lines.append(
            f'#EXT-X-STREAM-INF:BANDWIDTH={audio_only_bandwidth},CODECS="{AUDIO_ONLY_CODECS}"'
        )
        lines.append(f"{AUDIO_ONLY_NAME}/index.m3u8")
    return "\n".join(lines) + "\n"


def check_complete(source: Probe, output: Probe) -> None:
    """`MediaTruncated` when the output is much shorter than the source says it is (a file
    cut off in transfer decodes "successfully" up to where it stops)."""
    expected = source.duration
    got = output.duration
    if expected and got is not None and got < expected * 0.9 - 0.5:
        raise MediaTruncated(expected=expected, got=got)


def require_audio(probe: Probe) -> None:
    if probe.audio is None:
        raise MediaNoAudioStream()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    # PR_SET_PDEATHSIG: if the worker is killed, its ffmpeg goes too instead of running on.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


async def run_ffmpeg(
    args: list[str], *, duration: float | None = None, on_progress: Progress | None = None
) -> None:
    """Run ffmpeg, reporting progress (0..1) from its `-progress` output; the process is
    killed if the caller is cancelled. `MediaTranscodeFailed` on a non-zero exit."""
    process = await asyncio.create_subprocess_exec(
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    stderr_task = asyncio.ensure_future(process.stderr.read())
    try:
        async for raw in process.stdout:
            line = raw.decode("ascii", "replace").strip()
            if on_progress and duration and line.startswith("out_time_us="):
                with contextlib.suppress(ValueError):
                    done = int(line.partition("=")[2]) / 1_000_000
                    await on_progress(min(max(done / duration, 0.0), 1.0))
        returncode = await process.wait()
        stderr = await stderr_task
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        stderr_task.cancel()
        raise
    if returncode != 0:
        log.info(
            "ffmpeg failed",
            extra={"returncode": returncode, "stderr": stderr[-2000:].decode("utf-8", "replace")},
        )
        raise MediaTranscodeFailed()
