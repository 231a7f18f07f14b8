"""Local objects served by the app through signed, expiring URLs, with HTTP Range."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from content.signing import UrlSigner
from content.storage import LocalStorage, build_storage
from tests.content.conftest import ServedApp, chunks_of

DATA = os.urandom(10_000)


@pytest.fixture
async def stored(settings: Any) -> Any:
    store = build_storage(settings)
    assert isinstance(store, LocalStorage)
    await store.write("media/signed/r1/hls/720p/seg_00001.ts", chunks_of(DATA))
    await store.write("media/signed/r1/hls/master.m3u8", chunks_of(b"#EXTM3U\n"))
    yield store
    await store.delete_prefix("media/signed")


async def test_the_whole_object_comes_with_type_length_and_caching(
    client: httpx.AsyncClient, stored: LocalStorage
) -> None:
    response = await client.get(stored.url("media/signed/r1/hls/720p/seg_00001.ts", expires_in=600))
    assert response.status_code == 200
    assert response.content == DATA
    assert response.headers["content-type"] == "video/mp2t"
    assert response.headers["content-length"] == str(len(DATA))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["cache-control"].startswith("private, max-age=")
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=4000-4999", 4000, 4999),
        ("bytes=-500", 9500, 9999),
        ("bytes=9990-", 9990, 9999),
        ("bytes=9000-20000", 9000, 9999),
    ],
)
async def test_a_range_request_gets_206_with_those_bytes(
    client: httpx.AsyncClient, stored: LocalStorage, header: str, start: int, end: int
) -> None:
    url = stored.url("media/signed/r1/hls/720p/seg_00001.ts", expires_in=600)
    response = await client.get(url, headers={"Range": header})
    assert response.status_code == 206
    assert response.content == DATA[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(DATA)}"


async def test_seeking_many_times_with_one_url_works(
    client: httpx.AsyncClient, stored: LocalStorage
) -> None:
    url = stored.url("media/signed/r1/hls/720p/seg_00001.ts", expires_in=600)
    for start in (0, 7000, 300, 9999, 5000):
        response = await client.get(url, headers={"Range": f"bytes={start}-{start + 9}"})
        assert response.status_code == 206
        assert response.content == DATA[start : start + 10]


async def test_several_ranges_come_as_multipart_byteranges(
    client: httpx.AsyncClient, stored: LocalStorage
) -> None:
    url = stored.url("media/signed/r1/hls/720p/seg_00001.ts", expires_in=600)
    response = await client.get(url, headers={"Range": "bytes=0-9,100-109"})
    assert response.status_code == 206
    assert response.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert DATA[0:10] in response.content
    assert DATA[100:110] in response.content
    assert b"Content-Range: bytes 100-109/10000" in response.content
    assert int(response.headers["content-length"]) == len(response.content)


@pytest.mark.parametrize(
    "header", ["bytes=10000-", "bytes=20000-30000", "bytes=50-10", "bytes=x-y"]
)
async def test_an_unsatisfiable_range_is_a_416_naming_the_size(
    client: httpx.AsyncClient, stored: LocalStorage, header: str
) -> None:
    url = stored.url("media/signed/r1/hls/720p/seg_00001.ts", expires_in=600)
    response = await client.get(url, headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(DATA)}"
    assert response.json()["code"] == "range_not_satisfiable"


async def test_an_expired_url_is_a_403(client: httpx.AsyncClient, stored: LocalStorage) -> None:
    response = await client.get(stored.url("media/signed/r1/hls/master.m3u8", expires_in=-1))
    assert response.status_code == 403
    assert response.json()["code"] == "media_signature_expired"


async def test_a_tampered_url_is_a_403(client: httpx.AsyncClient, stored: LocalStorage) -> None:
    url = stored.url("media/signed/r1/hls/master.m3u8", expires_in=600)
    prefix, token, key = url.rsplit("/", 6)[0], url.split("/")[5], "media/signed/r1/hls/master.m3u8"
    kid, expires, depth, signature = token.split(".")
    forged = [
        f"{kid}.{int(expires) + 3600}.{depth}.{signature}",  # longer life
        f"{kid}.{expires}.{depth}.{signature[:-2]}AA",  # another signature
        f"{kid}.{expires}.2.{signature}",  # wider scope
        f"deadbeef.{expires}.{depth}.{signature}",  # unknown key id
        "not-a-token",
    ]
    for bad in forged:
        response = await client.get(f"/api/v1/media/objects/{bad}/{key}")
        assert response.status_code == 403, bad
        assert response.json()["code"] == "media_signature_invalid"
    other = await client.get(f"/api/v1/media/objects/{token}/media/signed/r1/hls/720p/seg_00001.ts")
    assert other.status_code == 403  # a token for one object does not open its neighbours
    assert prefix


async def test_a_directory_token_serves_the_playlists_relative_uris(
    client: httpx.AsyncClient, stored: LocalStorage
) -> None:
    master = stored.url("media/signed/r1/hls/master.m3u8", expires_in=600, depth=4)
    segment = master.rsplit("/", 1)[0] + "/720p/seg_00001.ts"
    assert (await client.get(master)).content == b"#EXTM3U\n"
    assert (await client.get(segment)).content == DATA
    outside = master.split("/media/signed/")[0] + "/media/other/r1/x.ts"
    assert (await client.get(outside)).status_code == 403


async def test_a_signed_url_cannot_reach_outside_the_media_directory(
    client: httpx.AsyncClient, settings: Any
) -> None:
    signer = UrlSigner(settings.require_secret_key())
    for key in ("../secret.key", "media/../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd"):
        token = signer.sign("media/x/y", expires_in=600)
        response = await client.get(f"/api/v1/media/objects/{token}/{key}")
        assert response.status_code in (403, 404), key
        assert b"root:" not in response.content


# --- over real HTTP, against a served app ------------------------------------------------------

SEGMENT = "media/served/r1/seg.ts"


@pytest.fixture
async def on_server(served: ServedApp, settings: Any) -> AsyncIterator[tuple[str, Any]]:
    """A 10 000-byte object in the served app's storage, its signed URL, and a client."""
    store = served.storage(settings)
    await store.write(SEGMENT, chunks_of(DATA))
    async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:
        yield store.url(SEGMENT, expires_in=600), http
    await store.delete_prefix("media/served")


async def test_overlapping_ranges_are_sent_once_not_once_per_range(
    on_server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = on_server
    response = await http.get(url, headers={"Range": "bytes=" + ",".join(["0-"] * 8)})
    assert response.status_code == 206
    assert response.content == DATA  # one part, not eight copies
    assert response.headers["content-range"] == f"bytes 0-9999/{len(DATA)}"
    overlapping = await http.get(url, headers={"Range": "bytes=0-5999,2000-7999,4000-"})
    assert overlapping.status_code == 206
    assert overlapping.content == DATA
    assert int(overlapping.headers["content-length"]) == len(DATA)


async def test_too_many_ranges_get_the_whole_object_once(
    on_server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = on_server
    response = await http.get(url, headers={"Range": "bytes=" + ",".join(["0-"] * 16)})
    assert response.status_code == 200
    assert response.content == DATA
    scattered = ",".join(f"{i * 100}-{i * 100 + 1}" for i in range(50))
    response = await http.get(url, headers={"Range": f"bytes={scattered}"})
    assert response.status_code == 200
    assert len(response.content) == len(DATA)


async def test_adjacent_ranges_are_joined_and_parts_keep_the_order_asked(
    on_server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = on_server
    joined = await http.get(url, headers={"Range": "bytes=10-19,0-9,20-29"})
    assert joined.status_code == 206
    assert joined.content == DATA[0:30]
    assert joined.headers["content-range"] == f"bytes 0-29/{len(DATA)}"
    parts = await http.get(url, headers={"Range": "bytes=5000-5099,0-9"})
    assert parts.status_code == 206
    body = parts.content
    assert body.index(b"Content-Range: bytes 5000-5099/") < body.index(b"Content-Range: bytes 0-9/")
    assert int(parts.headers["content-length"]) == len(body)


async def test_head_on_a_signed_url_gives_the_headers_without_the_body(
    on_server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = on_server
    response = await http.head(url)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(DATA))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-type"] == "video/mp2t"
    assert response.headers["etag"]
    expired = await http.head(url.replace("/objects/", "/objects/x", 1))
    assert expired.status_code == 403
