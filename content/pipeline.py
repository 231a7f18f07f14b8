"""The video/audio pipeline, step by step: claim an asset for a run, transcode it into the
run's own directory (no database), publish the result if the run still owns the asset, or
record why it failed. `content.tasks.run_processing` runs each step in a short unit of work
of its own, so a transcode of minutes holds no transaction."""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from backend.logs import log_fields
from backend.settings import Settings
from content import repository
from content.assets import asset_prefix, storage
from content.errors import MediaProcessingFailed, MediaTranscodeFailed
from content.policy import Kind
from content.repository import AssetDetails, StoredRendition
from content.video import (
    AUDIO_ONLY_KBPS,
    AUDIO_ONLY_NAME,
    Probe,
    Rung,
    audio_args,
    check_complete,
    encode_args,
    hls_args,
    ladder_for,
    master_playlist,
    poster_args,
    probe,
    require_audio,
    run_ffmpeg,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    asset_id: uuid.UUID
    run_id: uuid.UUID
    kind: Kind
    original_key: str
    previous_run: uuid.UUID | None

    @property
    def output_prefix(self) -> str:
        return f"{asset_prefix(self.asset_id)}/r{self.run_id.hex[:12]}"


@dataclass(frozen=True)
class Produced:
    renditions: list[StoredRendition]
    details: AssetDetails
    output_prefix: str


async def do_claim_processing(asset_id: uuid.UUID) -> Claim | None:
    """Start a processing run; None when there is nothing to do (already ready or failed, or
    deleted), which makes a duplicated or retried job harmless."""
    before = await repository.get(asset_id)
    if before is None or before.original_key is None:
        return None
    run_id = uuid.uuid4()
    row = await repository.claim(asset_id, run_id)
    if row is None:
        return None
    return Claim(
        asset_id=asset_id,
        run_id=run_id,
        kind=Kind(row.kind),
        original_key=before.original_key,
        previous_run=before.run_id,
    )


async def do_report_progress(claim: Claim, percent: int) -> bool:
    return await repository.set_progress(claim.asset_id, claim.run_id, percent)


async def discard_run_outputs(settings: Settings, asset_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """Remove what an abandoned run (a killed worker) left in storage."""
    prefix = f"{asset_prefix(asset_id)}/r{run_id.hex[:12]}"
    await storage(settings).delete_prefix(prefix)


async def produce_renditions(
    settings: Settings, claim: Claim, on_progress: Callable[[float], Awaitable[None]]
) -> Produced:
    """Probe and transcode the original into this run's own output directory (no database).

    Raises `MediaProcessingFailed` for a file that cannot be processed (corrupt, truncated,
    no usable stream); other exceptions are transient and the job is retried.
    """
    store = storage(settings)
    with tempfile.TemporaryDirectory(prefix="ctn-media-") as work_dir:
        work = Path(work_dir)
        async with store.local_copy(claim.original_key) as source:
            source_probe = await probe(source)
            if claim.kind is Kind.VIDEO:
                files, renditions = await _transcode_video(
                    settings, source, source_probe, work, on_progress
                )
            else:
                files, renditions = await _transcode_audio(
                    settings, source, source_probe, work, on_progress
                )
        for relative, item in files:
            key = f"{claim.output_prefix}/{relative}"
            stored = await store.put_file(key, work / relative)
            if item is not None:
                item["key"] = key
                item.setdefault("size", stored.size)
        if claim.kind is Kind.VIDEO:
            master = next(r for r in renditions if r["name"] == "hls")
            master["depth"] = len(master["key"].split("/")) - 1
    return Produced(
        renditions=[msgspec.convert(item, StoredRendition) for item in renditions],
        details=msgspec.convert(source_probe.details(), AssetDetails),
        output_prefix=claim.output_prefix,
    )


FileList = list[tuple[str, dict[str, Any] | None]]


async def _transcode_video(
    settings: Settings,
    source: Path,
    source_probe: Probe,
    work: Path,
    on_progress: Callable[[float], Awaitable[None]],
) -> tuple[FileList, list[dict[str, Any]]]:
    rungs = ladder_for(source_probe)
    mp4_dir = work / "mp4"
    mp4_dir.mkdir()
    duration = source_probe.duration

    async def encode_progress(fraction: float) -> None:
        await on_progress(fraction * 0.9)

    await run_ffmpeg(
        encode_args(settings, source, source_probe, rungs, mp4_dir),
        duration=duration,
        on_progress=encode_progress,
    )
    mp4s: list[tuple[Rung, Path]] = [(r, mp4_dir / f"{r.name}.mp4") for r in rungs]
    outputs: dict[str, Probe] = {}
    for rung, path in mp4s:
        outputs[rung.name] = await probe(path)
        check_complete(source_probe, outputs[rung.name])
    audio_only = mp4_dir / f"{AUDIO_ONLY_NAME}.m4a" if source_probe.audio else None
    audio_probe = None
    if audio_only is not None:
        audio_probe = await probe(audio_only)
        check_complete(source_probe, audio_probe)
    hls_dir = work / "hls"
    await run_ffmpeg(hls_args(settings, mp4s, hls_dir, audio_only))
    top_rung, top_mp4 = mp4s[-1]
    poster_at = min(1.0, (duration or 0) / 2)
    await run_ffmpeg(poster_args(settings, top_mp4, poster_at, work / "poster.jpg"))

    variants = []
    renditions: list[dict[str, Any]] = []
    files: FileList = []
    for rung, path in mp4s:
        out = outputs[rung.name]
        assert out.video is not None
        size = path.stat().st_size
        bandwidth = int(size * 8 / max(out.duration or 1.0, 0.1) * 1.1)
        variants.append((rung, bandwidth, out.video["width"], out.video["height"]))
        item = {
            "name": f"mp4_{rung.name}",
            "mime": "video/mp4",
            "width": out.video["width"],
            "height": out.video["height"],
            "bitrate": bandwidth,
        }
        renditions.append(item)
        files.append((f"mp4/{rung.name}.mp4", item))
        for segment in sorted((hls_dir / rung.name).iterdir()):
            files.append((f"hls/{rung.name}/{segment.name}", None))
    audio_bandwidth = None
    if audio_only is not None and audio_probe is not None:
        size = audio_only.stat().st_size
        audio_bandwidth = max(
            int(size * 8 / max(audio_probe.duration or 1.0, 0.1) * 1.1), AUDIO_ONLY_KBPS * 1000
        )
        item = {"name": AUDIO_ONLY_NAME, "mime": "audio/mp4", "bitrate": audio_bandwidth}
        renditions.append(item)
        files.append((f"mp4/{AUDIO_ONLY_NAME}.m4a", item))
        for segment in sorted((hls_dir / AUDIO_ONLY_NAME).iterdir()):
            files.append((f"hls/{AUDIO_ONLY_NAME}/{segment.name}", None))
    (hls_dir / "master.m3u8").write_text(master_playlist(variants, audio_bandwidth))
    hls_item: dict[str, Any] = {"name": "hls", "mime": "application/vnd.apple.mpegurl"}
    renditions.insert(0, hls_item)
    files.append(("hls/master.m3u8", hls_item))
    top_video = outputs[top_rung.name].video or {}
    poster_item: dict[str, Any] = {
        "name": "poster",
        "mime": "image/jpeg",
        "width": top_video.get("width"),
        "height": top_video.get("height"),
    }
    renditions.append(poster_item)
    files.append(("poster.jpg", poster_item))
    await on_progress(0.95)
    return files, renditions


async def _transcode_audio(
    settings: Settings,
    source: Path,
    source_probe: Probe,
    work: Path,
    on_progress: Callable[[float], Awaitable[None]],
) -> tuple[FileList, list[dict[str, Any]]]:
    require_audio(source_probe)
    target = work / "audio.m4a"
    await run_ffmpeg(
        audio_args(settings, source, target),
        duration=source_probe.duration,
        on_progress=on_progress,
    )
    check_complete(source_probe, await probe(target))
    item: dict[str, Any] = {"name": "audio", "mime": "audio/mp4", "bitrate": 128_000}
    return [("audio.m4a", item)], [item]


async def do_publish(settings: Settings, claim: Claim, produced: Produced) -> bool:
    """Make the run's outputs the asset's renditions (status ready), if this run still owns
    the asset; otherwise its outputs are removed and False returned."""
    published = await repository.finish(
        claim.asset_id,
        claim.run_id,
        status="ready",
        renditions=produced.renditions,
        details=produced.details,
        output_prefix=produced.output_prefix,
    )
    if not published:
        await storage(settings).delete_prefix(produced.output_prefix)
    return published


async def do_fail_processing(
    settings: Settings, claim: Claim, error: MediaProcessingFailed
) -> bool:
    """Record why the file cannot be processed (status failed); the run's outputs go."""
    log_fields(log, logging.INFO, "media processing failed", code=error.code)
    await storage(settings).delete_prefix(claim.output_prefix)
    return await repository.finish(
        claim.asset_id,
        claim.run_id,
        status="failed",
        renditions=[],
        details=AssetDetails(),
        output_prefix=None,
        failure=(error.code, error.message_vi, error.message_en),
    )


def transient_failure() -> MediaProcessingFailed:
    """What a run that kept failing for other reasons records when it gives up."""
    return MediaTranscodeFailed()
