"""Answers are gzip-compressed for clients that accept it (learners and reporters on weak
mobile links), only when it helps and never where it would break something: small answers,
streamed files and Range reads are sent as they are."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import msgspec

from tests.server.conftest import RawConnection, request_head, serving

LIST = "/api/v1/admin-units?limit=100"


async def test_a_large_json_answer_is_gzipped_and_decodes_to_the_same_document(
    client: httpx.AsyncClient,
) -> None:
    plain = await client.get(LIST, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert "content-encoding" not in plain.headers
    assert len(plain.content) > 1024
    packed = await client.get(LIST, headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert msgspec.json.decode(packed.content) == msgspec.json.decode(plain.content)
    assert int(packed.headers["content-length"]) < len(plain.content) / 3


async def test_a_compressed_answer_keeps_a_weak_tag_that_still_revalidates(
    client: httpx.AsyncClient,
) -> None:
    packed = await client.get(LIST, headers={"Accept-Encoding": "gzip"})
    tag = packed.headers.get("etag")
    assert tag is not None and tag.startswith("W/")
    again = await client.get(LIST, headers={"Accept-Encoding": "gzip", "If-None-Match": tag})
    assert again.status_code == 304


async def test_a_small_answer_is_not_compressed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers


async def test_a_served_app_sends_gzip_over_a_real_socket_and_keeps_the_connection(
    tmp_path: Path, live_database: str
) -> None:
    with serving(tmp_path / "srv", live_database) as server:
        connection = await RawConnection.open(server.url)
        try:
            for _ in range(2):  # the second answer proves the first was framed exactly
                await connection.send(request_head("GET", LIST, {"Accept-Encoding": "gzip"}))
                answer = await connection.response(timeout=10)
                assert answer.status == 200
                assert answer.headers["content-encoding"] == "gzip"
                document = msgspec.json.decode(gzip.decompress(answer.body))
                assert document["items"]
                assert not answer.closed
        finally:
            connection.close()
