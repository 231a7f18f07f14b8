"""Both storage implementations through one suite: streaming writes, checksums, partial
objects removed, ranges, deletes, URLs that serve the bytes, keys that cannot escape."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from content.errors import ObjectNotFound
from content.storage import build_storage, check_key
from tests.content.conftest import chunks_of, stored_keys


async def test_a_streamed_object_reads_back_with_its_size_and_sha256(store_settings: Any) -> None:
    store = build_storage(store_settings)
    data = os.urandom(300_000)
    stored = await store.write("media/abc/original.jpg", chunks_of(data))
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    info = await store.stat("media/abc/original.jpg")
    assert info is not None
    assert info.size == len(data)
    assert info.content_type == "image/jpeg"
    assert await store.read_bytes("media/abc/original.jpg") == data
    await store.close()


async def test_a_large_object_goes_up_in_parts_and_reads_back_whole(store_settings: Any) -> None:
    store = build_storage(store_settings)
    data = os.urandom(12 * 1024 * 1024 + 123)  # three 5 MB parts on S3
    stored = await store.write("media/big/original.mp4", chunks_of(data, 1024 * 1024))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert await store.read_bytes("media/big/original.mp4") == data
    assert stored_keys(store_settings) == ["media/big/original.mp4"]
    await store.close()


async def test_a_stream_that_fails_midway_leaves_nothing_behind(store_settings: Any) -> None:
    store = build_storage(store_settings)

    async def failing() -> AsyncIterator[bytes]:
        for _ in range(12):
            yield os.urandom(1024 * 1024)
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        await store.write("media/partial/original.mp4", failing())
    assert await store.stat("media/partial/original.mp4") is None
    assert stored_keys(store_settings) == []
    await store.close()


async def test_a_write_cancelled_midway_leaves_nothing_behind(store_settings: Any) -> None:
    """The request task cancelled (server shutting down) while a write is in flight."""
    store = build_storage(store_settings)
    reached, never = asyncio.Event(), asyncio.Event()

    async def stalled() -> AsyncIterator[bytes]:
        for _ in range(12 * 16):
            yield os.urandom(64 * 1024)
        reached.set()
        await never.wait()
        yield b""

    task = asyncio.ensure_future(store.write("media/cancelled/original.mp4", stalled()))
    await reached.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await store.stat("media/cancelled/original.mp4") is None
    assert stored_keys(store_settings) == []
    await store.close()


async def test_a_local_write_that_fails_midway_leaves_nothing_behind(
    local_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk error while a megabyte is written (in a thread, while the next one is
    received) stops the stream and removes the partial file."""
    updates = 0

    class FailingDigest:
        def __init__(self) -> None:
            self.inner = hashlib.sha256()

        def update(self, data: bytes) -> None:
            nonlocal updates
            updates += 1
            if updates == 3:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.inner.update(data)

        def hexdigest(self) -> str:
            return self.inner.hexdigest()

    monkeypatch.setattr("content.storage.hashlib", SimpleNamespace(sha256=FailingDigest))
    store = build_storage(local_settings)
    data = os.urandom(6 * 1024 * 1024)
    with pytest.raises(OSError, match="No space"):
        await store.write("media/full/original.mp4", chunks_of(data))
    assert updates == 3
    assert stored_keys(local_settings) == []
    await store.close()


async def test_ranges_read_the_requested_bytes(store_settings: Any) -> None:
    store = build_storage(store_settings)
    data = bytes(range(256)) * 100
    await store.write("media/r/x.ts", chunks_of(data))
    got = b"".join([c async for c in store.read_range("media/r/x.ts", 1000, 1999)])
    assert got == data[1000:2000]
    await store.close()


async def test_delete_prefix_removes_every_object_of_an_asset(store_settings: Any) -> None:
    store = build_storage(store_settings)
    for key in ("media/a1/original.mp4", "media/a1/r1/hls/master.m3u8", "media/a2/x.jpg"):
        await store.write(key, chunks_of(b"x"))
    assert await store.delete_prefix("media/a1") == 2
    assert stored_keys(store_settings) == ["media/a2/x.jpg"]
    await store.delete("media/a2/x.jpg")
    await store.delete("media/a2/x.jpg")  # already gone: no error
    assert stored_keys(store_settings) == []
    await store.close()


async def test_a_local_copy_has_the_bytes(store_settings: Any) -> None:
    store = build_storage(store_settings)
    await store.write("media/c/original.mp4", chunks_of(b"hello"))
    async with store.local_copy("media/c/original.mp4") as path:
        assert path.read_bytes() == b"hello"
    await store.close()


async def test_a_url_from_storage_serves_the_object(
    store_settings: Any, client: httpx.AsyncClient, settings: Any
) -> None:
    if store_settings.storage_backend == "local":
        store_settings = settings  # the app serves the local store it was configured with
    store = build_storage(store_settings)
    data = os.urandom(5000)
    await store.write("media/u/original.jpg", chunks_of(data))
    url = store.url("media/u/original.jpg", expires_in=60)
    if url.startswith("/"):
        response = await client.get(url)
    else:
        async with httpx.AsyncClient() as http:
            response = await http.get(url)
    assert response.status_code == 200
    assert response.content == data
    await store.delete("media/u/original.jpg")
    await store.close()


@pytest.mark.parametrize(
    "key",
    [
        "../etc/passwd",
        "media/../../etc/passwd",
        "/etc/passwd",
        "media//x",
        "media/.partial/x",
        "media/./x",
        "Media/X",
    ],
)
def test_keys_that_could_escape_the_store_are_refused(key: str) -> None:
    with pytest.raises(ObjectNotFound):
        check_key(key)
