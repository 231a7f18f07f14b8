"""The video/audio pipeline with real ffmpeg on videos generated in the test."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from content import pipeline, repository, service
from content.policy import Purpose
from content.storage import build_storage
from content.tasks import run_processing
from tests.content.conftest import chunks_of, ffmpeg_exe, make_video


async def upload(settings: Any, path: Path, purpose: Purpose) -> uuid.UUID:
    received = await service.receive_upload(
        settings, purpose=purpose, chunks=chunks_of(path.read_bytes()), filename=path.name
    )
    row = await service.do_create_asset(received, created_by=None)
    return row.id


def probe_streams(path: Path) -> dict[str, Any]:
    with av.open(str(path)) as container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        frames = 0
        for _ in container.decode(video=0) if video else []:
            frames += 1
        return {
            "video": (
                video.codec_context.name,
                video.codec_context.width,
                video.codec_context.height,
            )
            if video
            else None,
            "audio": audio.codec_context.name if audio else None,
            "duration": container.duration / 1_000_000 if container.duration else None,
            "frames": frames,
        }


async def test_a_video_becomes_hls_and_mp4_renditions_that_play(
    db: None, settings: Any, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    asset_id = await upload(
        settings, make_video(tmp_path / "clip.mp4", size="1280x720"), Purpose.COURSE_VIDEO
    )
    uploaded = await repository.get(asset_id)
    assert uploaded is not None
    assert uploaded.status == "uploaded"
    assert await run_processing(asset_id) == "ready"
    asset = await service.get_asset(settings, asset_id)
    assert asset.status == "ready"
    assert asset.progress == 100
    assert asset.duration_seconds == pytest.approx(2.0, abs=0.2)
    assert (asset.width, asset.height) == (1280, 720)
    names = [r.name for r in asset.renditions]
    assert names == ["hls", "mp4_240p", "mp4_360p", "mp4_720p", "audio", "poster"]

    row = await repository.get(asset_id)
    assert row is not None
    store = build_storage(settings)
    by_name = {r.name: r for r in row.renditions}
    for name, size in (
        ("mp4_240p", (426, 240)),
        ("mp4_360p", (640, 360)),
        ("mp4_720p", (1280, 720)),
    ):
        async with store.local_copy(by_name[name].key) as mp4:
            streams = probe_streams(mp4)
            assert streams["video"] == ("h264", *size)
            assert streams["audio"] == "aac"
            assert streams["frames"] >= 45
            with open(mp4, "rb") as handle:  # faststart: the index comes first, for browsers
                head = handle.read(64 * 1024)
            assert head.find(b"moov") < head.find(b"mdat") or b"mdat" not in head

    # The master playlist, its variant playlists and segments are all reachable through the
    # one signed URL, as a player resolves relative URIs.
    hls_url = next(r.url for r in asset.renditions if r.name == "hls")
    master = (await client.get(hls_url)).text
    assert "RESOLUTION=640x360" in master
    assert "RESOLUTION=1280x720" in master
    base = hls_url.rsplit("/", 1)[0]
    variant = (await client.get(f"{base}/720p/index.m3u8")).text
    segments = [line for line in variant.splitlines() if line and not line.startswith("#")]
    assert segments
    segment = await client.get(f"{base}/720p/{segments[0]}")
    assert segment.status_code == 200
    assert segment.headers["content-type"] == "video/mp2t"
    async with store.local_copy(by_name["hls"].key) as master_path:
        streams = probe_streams(master_path.parent / "720p" / "index.m3u8")
        assert streams["video"] == ("h264", 1280, 720)
        assert streams["frames"] >= 45

    # Weak links: the ladder starts at 240p and an audio-only variant (AAC, no video) is
    # listed with its codec, at a bandwidth a 2G-class link carries.
    variants = [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF")]
    assert "RESOLUTION=426x240" in variants[0]
    assert master.splitlines()[master.splitlines().index(variants[0]) + 1] == "240p/index.m3u8"
    audio_variant = variants[-1]
    assert 'CODECS="mp4a.40.2"' in audio_variant and "RESOLUTION" not in audio_variant
    assert int(audio_variant.split("BANDWIDTH=")[1].split(",")[0]) < 80_000
    assert "audio/index.m3u8" in master.splitlines()
    audio_variant_playlist = (await client.get(f"{base}/audio/index.m3u8")).text
    audio_segments = [
        line for line in audio_variant_playlist.splitlines() if line and not line.startswith("#")
    ]
    assert audio_segments
    async with store.local_copy(by_name["hls"].key) as master_path:
        audio_streams = probe_streams(master_path.parent / "audio" / audio_segments[0])
        assert audio_streams["video"] is None and audio_streams["audio"] == "aac"
        low = probe_streams(master_path.parent / "240p" / "index.m3u8")
        assert low["video"] == ("h264", 426, 240) and low["audio"] == "aac"
    async with store.local_copy(by_name["audio"].key) as m4a:
        audio_only = probe_streams(m4a)
        assert audio_only["video"] is None and audio_only["audio"] == "aac"
        assert audio_only["duration"] == pytest.approx(2.0, abs=0.2)
        assert m4a.stat().st_size * 8 / 2.0 < 80_000  # about 48 kbit/s
    assert by_name["audio"].mime == "audio/mp4"

    poster = next(r for r in asset.renditions if r.name == "poster")
    response = await client.get(poster.url)
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content[:3] == b"\xff\xd8\xff"


async def test_a_small_video_is_not_upscaled(db: None, settings: Any, tmp_path: Path) -> None:
    asset_id = await upload(
        settings, make_video(tmp_path / "s.mp4", size="320x240", audio=False), Purpose.REPORT_VIDEO
    )
    assert await run_processing(asset_id) == "ready"
    asset = await service.get_asset(settings, asset_id)
    mp4s = [r for r in asset.renditions if r.mime == "video/mp4"]
    assert [(r.width, r.height) for r in mp4s] == [(320, 240)]
    assert "audio" not in [r.name for r in asset.renditions]  # no sound, no audio-only variant


async def test_a_source_below_the_lowest_rung_gets_one_rendition_at_its_own_size(
    db: None, settings: Any, tmp_path: Path
) -> None:
    asset_id = await upload(
        settings, make_video(tmp_path / "t.mp4", size="176x144"), Purpose.REPORT_VIDEO
    )
    assert await run_processing(asset_id) == "ready"
    asset = await service.get_asset(settings, asset_id)
    mp4s = [r for r in asset.renditions if r.mime == "video/mp4"]
    assert [(r.name, r.width, r.height) for r in mp4s] == [("mp4_144p", 176, 144)]
    assert "audio" in [r.name for r in asset.renditions]


async def test_a_corrupt_video_ends_failed_with_a_reason(
    db: None, settings: Any, tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(200_000))
    asset_id = await upload(settings, corrupt, Purpose.REPORT_VIDEO)
    assert await run_processing(asset_id) == "failed"
    asset = await service.get_asset(settings, asset_id)
    assert asset.status == "failed"
    assert asset.failure_code == "media_unreadable"
    assert asset.failure_reason == "Tệp bị hỏng hoặc không phải tệp video/âm thanh hợp lệ."
    english = await service.get_asset(settings, asset_id, language="en")
    assert english.failure_reason == "The file is corrupt or not a valid video/audio file."
    assert asset.renditions == []
    assert await run_processing(asset_id) == "skipped"  # a retried job does not undo it


async def test_a_truncated_video_ends_failed(db: None, settings: Any, tmp_path: Path) -> None:
    whole = make_video(tmp_path / "whole.mp4", seconds=3).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) // 2])
    asset_id = await upload(settings, cut, Purpose.REPORT_VIDEO)
    assert await run_processing(asset_id) == "failed"
    asset = await service.get_asset(settings, asset_id)
    assert asset.status == "failed"
    assert asset.failure_code in ("media_unreadable", "media_truncated", "media_transcode_failed")


async def test_a_duplicated_job_does_not_redo_or_corrupt_the_result(
    db: None, settings: Any, tmp_path: Path
) -> None:
    asset_id = await upload(
        settings, make_video(tmp_path / "d.mp4", size="640x360", audio=False), Purpose.REPORT_VIDEO
    )
    assert await run_processing(asset_id) == "ready"
    first = await repository.get(asset_id)
    assert await run_processing(asset_id) == "skipped"
    assert await repository.get(asset_id) == first


async def test_a_run_that_lost_the_asset_to_a_newer_run_publishes_nothing(
    db: None, settings: Any, tmp_path: Path
) -> None:
    asset_id = await upload(
        settings, make_video(tmp_path / "l.mp4", size="640x360", audio=False), Purpose.REPORT_VIDEO
    )
    stale = await pipeline.do_claim_processing(asset_id)  # a worker that later dies
    assert stale is not None

    async def ignore(fraction: float) -> None:
        return None

    stale_output = await pipeline.produce_renditions(settings, stale, ignore)
    assert await run_processing(asset_id) == "ready"  # the retry takes over and finishes
    published = await repository.get(asset_id)
    assert published is not None
    assert await pipeline.do_publish(settings, stale, stale_output) is False
    assert await repository.get(asset_id) == published
    store = build_storage(settings)
    assert await store.stat(stale_output.renditions[1].key) is None  # its outputs removed
    for rendition in published.renditions:
        assert await store.stat(rendition.key) is not None


async def test_audio_is_transcoded_to_aac(db: None, settings: Any, tmp_path: Path) -> None:
    import subprocess

    source = tmp_path / "voice.mp3"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=duration=2",
            "-c:a",
            "libmp3lame",
            str(source),
        ],
        check=True,
    )
    asset_id = await upload(settings, source, Purpose.REPORT_AUDIO)
    assert await run_processing(asset_id) == "ready"
    row = await repository.get(asset_id)
    assert row is not None
    key = row.renditions[0].key
    async with build_storage(settings).local_copy(key) as path:
        streams = probe_streams(path)
    assert streams["audio"] == "aac"
    assert streams["duration"] == pytest.approx(2.0, abs=0.2)
