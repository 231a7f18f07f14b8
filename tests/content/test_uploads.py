"""Streamed uploads through the service: limits, sniffing, checksums, images."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image

from content import service
from content.errors import (
    FileTypeMismatch,
    FileTypeNotAllowed,
    FileTypeUnsupported,
    ImageTooLarge,
    ImageUnreadable,
    UploadEmpty,
    UploadTooLarge,
)
from content.policy import MB, Purpose
from content.storage import build_storage
from tests.content.conftest import chunks_of, make_video, stored_keys


def jpeg_with_gps(width: int = 640, height: int = 480) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Secret Phone X"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (21.0, 35.0, 30.0)
    gps[3] = "E"
    gps[4] = (105.0, 50.0, 10.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, xmp=b"<x:xmpmeta>secret place</x:xmpmeta>")
    return out.getvalue()


def png_bytes(width: int = 32, height: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()


def png_bomb(side: int = 100_000) -> bytes:
    """A tiny PNG whose header claims side × side pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 10_000))
        + chunk(b"IEND", b"")
    )


async def receive(settings: Any, data: bytes | AsyncIterator[bytes], **kwargs: Any) -> Any:
    chunks = chunks_of(data) if isinstance(data, bytes) else data
    kwargs.setdefault("purpose", Purpose.REPORT_PHOTO)
    return await service.receive_upload(settings, chunks=chunks, **kwargs)


async def test_an_image_loses_its_gps_and_device_metadata(store_settings: Any) -> None:
    data = jpeg_with_gps()
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(0x8825)  # the test image really has GPS
    received = await receive(store_settings, data, filename="IMG_0001.JPG")
    assert received.status == "ready"
    assert received.sha256 == hashlib.sha256(data).hexdigest()
    assert received.size == len(data)
    store = build_storage(store_settings)
    names = {r.name: r for r in received.renditions}
    assert set(names) == {"display", "thumbnail"}
    for rendition in names.values():
        with Image.open(io.BytesIO(await store.read_bytes(rendition.key))) as derived:
            assert dict(derived.getexif()) == {}
            assert not derived.getexif().get_ifd(0x8825)
            assert "xmp" not in derived.info
            assert "exif" not in derived.info
            assert b"Secret Phone" not in derived.tobytes()
    with Image.open(io.BytesIO(await store.read_bytes(names["thumbnail"].key))) as thumb:
        assert max(thumb.size) <= 480
    assert received.original_key is None  # not kept unless asked
    assert all("original" not in key for key in stored_keys(store_settings))
    await service.discard_upload(store_settings, received)
    assert stored_keys(store_settings) == []


async def test_the_untouched_original_is_kept_when_the_caller_asks(store_settings: Any) -> None:
    data = jpeg_with_gps()
    received = await receive(store_settings, data, keep_original=True)
    assert received.original_key is not None
    assert await build_storage(store_settings).read_bytes(received.original_key) == data
    await service.discard_upload(store_settings, received)


async def test_a_transparent_png_stays_a_png(store_settings: Any) -> None:
    received = await receive(store_settings, png_bytes(), filename="logo.png")
    assert {r.mime for r in received.renditions} == {"image/png"}
    await service.discard_upload(store_settings, received)


async def test_a_file_over_the_purpose_limit_is_stopped_midstream_and_removed(
    store_settings: Any,
) -> None:
    sent = 0

    async def huge() -> AsyncIterator[bytes]:
        nonlocal sent
        yield jpeg_with_gps()
        while True:  # would never end: the limit must stop it
            sent += MB
            yield b"\x00" * MB

    with pytest.raises(UploadTooLarge):
        await receive(store_settings, huge(), purpose=Purpose.REPORT_PHOTO)
    assert sent <= 21 * MB
    assert stored_keys(store_settings) == []


async def test_an_announced_length_over_the_limit_is_refused_before_reading(
    local_settings: Any,
) -> None:
    async def never() -> AsyncIterator[bytes]:
        raise AssertionError("the body must not be read")
        yield b""

    with pytest.raises(UploadTooLarge):
        await receive(local_settings, never(), announced_size=300 * MB)


async def test_a_png_named_mp4_is_a_mismatch(local_settings: Any) -> None:
    with pytest.raises(FileTypeMismatch) as caught:
        await receive(
            local_settings, png_bytes(), filename="clip.mp4", purpose=Purpose.REPORT_VIDEO
        )
    assert caught.value.status == 415
    assert stored_keys(local_settings) == []


async def test_a_script_named_jpg_is_refused(local_settings: Any) -> None:
    script = b"#!/bin/sh\nrm -rf / --no-preserve-root\n" + b"#" * 5000
    with pytest.raises(FileTypeUnsupported) as caught:
        await receive(local_settings, script, filename="photo.jpg", declared_type="image/jpeg")
    assert caught.value.status == 415
    html = b"<html><script>alert(1)</script></html>"
    with pytest.raises(FileTypeUnsupported):
        await receive(local_settings, html, filename="photo.jpg")
    assert stored_keys(local_settings) == []


async def test_a_declared_type_that_disagrees_with_the_bytes_is_a_mismatch(
    local_settings: Any,
) -> None:
    with pytest.raises(FileTypeMismatch):
        await receive(local_settings, jpeg_with_gps(), declared_type="video/mp4")


async def test_a_video_for_a_photo_purpose_is_not_allowed(
    local_settings: Any, tmp_path: Any
) -> None:
    video = make_video(tmp_path / "v.mp4", seconds=1, audio=False).read_bytes()
    with pytest.raises(FileTypeNotAllowed):
        await receive(local_settings, video, filename="v.mp4", purpose=Purpose.REPORT_PHOTO)


async def test_an_empty_file_is_refused(local_settings: Any) -> None:
    with pytest.raises(UploadEmpty):
        await receive(local_settings, b"")


async def test_a_truncated_image_is_refused_and_removed(store_settings: Any) -> None:
    data = jpeg_with_gps(1200, 900)
    with pytest.raises(ImageUnreadable):
        await receive(store_settings, data[: len(data) // 3])
    assert stored_keys(store_settings) == []


async def test_a_decompression_bomb_is_refused(store_settings: Any) -> None:
    with pytest.raises(ImageTooLarge):
        await receive(store_settings, png_bomb(), filename="bomb.png")
    assert stored_keys(store_settings) == []


async def test_a_video_is_stored_for_processing(local_settings: Any, tmp_path: Any) -> None:
    data = make_video(tmp_path / "v.mp4", seconds=1).read_bytes()
    received = await receive(local_settings, data, filename="v.mp4", purpose=Purpose.REPORT_VIDEO)
    assert received.status == "uploaded"
    assert received.kind == "video"
    assert received.sha256 == hashlib.sha256(data).hexdigest()
    assert stored_keys(local_settings) == [f"media/{received.id.hex}/original.mp4"]
    assert os.path.exists(local_settings.media_path / received.original_key)
