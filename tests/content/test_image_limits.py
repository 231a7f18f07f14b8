"""Image decoding under load, over real HTTP against a served app: a tiny PNG that decodes to
7000 × 7000 does not grow the server (it is decoded in a bounded worker process), the pixel
limit is per purpose, an image needing more memory than a worker has is refused, and one
person's concurrent uploads are limited (429)."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from backend.access import Role
from content.errors import ImageTooLarge
from content.images import ImageDecoder
from content.sniff import HEAD_BYTES
from tests.content.conftest import ServedApp
from tests.content.test_uploads import jpeg_with_gps
from tests.support.auth import auth_headers

MEDIA = "/api/v1/media"
SIDE = 7000


def solid_png(side: int = SIDE) -> bytes:
    """A valid RGB PNG of side × side pixels of one colour: a few kilobytes that decode to
    side² × 3 bytes. Built row by row, so making it takes no such memory here."""

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


@pytest.fixture(scope="module")
def big_png() -> bytes:
    data = solid_png()
    assert len(data) < 200_000
    return data


async def upload_raw(
    http: httpx.AsyncClient, headers: dict[str, str], data: bytes | AsyncIterator[bytes], **kw: str
) -> httpx.Response:
    purpose = kw.get("purpose", "report_photo")
    content_type = kw.get("content_type", "image/png")
    name = "anh.png" if content_type == "image/png" else "anh.jpg"
    return await http.post(
        MEDIA,
        params={"purpose": purpose},
        content=data,
        headers={
            **headers,
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


async def test_maximal_images_are_decoded_without_growing_the_server(
    live: httpx.AsyncClient, served: ServedApp, big_png: bytes
) -> None:
    officers = [await auth_headers(Role.POLICE_OFFICER) for _ in range(2)]
    warm = await upload_raw(live, officers[0], jpeg_with_gps(), content_type="image/jpeg")
    assert warm.status_code == 201, warm.text
    peak_before = served.status("VmHWM")
    responses = await asyncio.gather(
        *(upload_raw(live, headers, big_png) for headers in officers for _ in range(2))
    )
    for response in responses:
        assert response.status_code == 201, response.text
        assert response.json()["width"] == 4096  # the display copy
    growth_mb = (served.status("VmHWM") - peak_before) / 1024
    # Decoded in the server, four of these took it from 175 MB to 2.7 GB (147 MB of pixels
    # each, and copies). Decoded in the workers, the server holds none of them.
    assert growth_mb < 100, f"the server grew by {growth_mb:.0f} MB"


async def test_the_pixel_limit_depends_on_the_purpose(
    live: httpx.AsyncClient, big_png: bytes
) -> None:
    both = await auth_headers(Role.POLICE_OFFICER, Role.COMMS_OFFICER)
    cover = await upload_raw(live, both, big_png, purpose="article_image")
    assert cover.status_code == 422
    assert cover.json()["code"] == "image_too_many_pixels"
    assert cover.json()["max_pixels"] == 25_000_000
    evidence = await upload_raw(live, both, big_png, purpose="report_photo")
    assert evidence.status_code == 201, evidence.text


async def test_an_image_needing_more_memory_than_a_worker_has_is_refused(
    tmp_path: Path, big_png: bytes
) -> None:
    source = tmp_path / "big.png"
    source.write_bytes(big_png)
    decoder = ImageDecoder(workers=1, memory_mb=256)
    try:
        with pytest.raises(ImageTooLarge):
            await decoder.process(source, tmp_path / "out", max_pixels=50_000_000)
        small = tmp_path / "small.jpg"
        small.write_bytes(jpeg_with_gps())
        result = await decoder.process(small, tmp_path / "out2", max_pixels=50_000_000)
        assert (result.width, result.height) == (640, 480)  # the next worker is a fresh one
    finally:
        decoder.close()


async def test_one_person_may_not_run_more_than_two_uploads_at_once(
    live: httpx.AsyncClient, served: ServedApp
) -> None:
    officer = await auth_headers(Role.POLICE_OFFICER)
    photo = jpeg_with_gps()
    release = asyncio.Event()
    sent = [asyncio.Event(), asyncio.Event()]

    # More than the head the server reads to tell the file type, so that it starts writing.
    split = HEAD_BYTES + 1000
    assert len(photo) > split

    async def held(first_sent: asyncio.Event) -> AsyncIterator[bytes]:
        yield photo[:split]
        first_sent.set()  # the first chunk is written
        await release.wait()
        yield photo[split:]

    async def held_upload(first_sent: asyncio.Event) -> httpx.Response:
        # Its own connection: a pooled one may have been closed by the server meanwhile.
        async with httpx.AsyncClient(base_url=served.url, timeout=60) as own:
            return await upload_raw(own, officer, held(first_sent), content_type="image/jpeg")

    pending = [asyncio.create_task(held_upload(event)) for event in sent]
    try:
        await asyncio.wait_for(asyncio.gather(*(event.wait() for event in sent)), 30)
        # Both held uploads hold their slot once the server writes them to storage. Probing
        # with real uploads before then could take a slot from one of them (and that one
        # would be refused mid-body), so wait for their partial files.
        partial = served.media_dir / ".partial"
        async with asyncio.timeout(30):
            while len(list(partial.glob("*.part"))) < 2:
                await asyncio.sleep(0.05)
        third = await upload_raw(live, officer, photo, content_type="image/jpeg")
        assert third.status_code == 429, third.text
        assert third.headers["content-type"].startswith("application/problem+json")
        assert third.json()["code"] == "uploads_in_progress"
        assert third.headers["retry-after"]
        other = await upload_raw(
            live, await auth_headers(Role.POLICE_OFFICER), photo, content_type="image/jpeg"
        )
        assert other.status_code == 201  # another person is not held back
    finally:
        release.set()
        done = await asyncio.gather(*pending)
    assert [r.status_code for r in done] == [201, 201]
    after = await upload_raw(live, officer, photo, content_type="image/jpeg")
    assert after.status_code == 201  # the slots were given back
