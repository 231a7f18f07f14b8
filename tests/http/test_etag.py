"""ETags derived from a version (issue 10): a revalidation that matches is answered 304 before
the handler runs, and the tag depends on the query and on what the caller may see."""

from __future__ import annotations

import httpx

from backend.access import Role
from tests.support.auth import auth_headers
from tests.support.routes import VERSIONED


async def test_a_matching_revalidation_is_answered_without_running_the_handler(
    client: httpx.AsyncClient,
) -> None:
    VERSIONED.update(version="1", rendered=0)
    first = await client.get("/test/versioned/")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert VERSIONED["rendered"] == 1

    again = await client.get("/test/versioned/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert VERSIONED["rendered"] == 1  # the handler did not run

    VERSIONED["version"] = "2"  # the data changed
    changed = await client.get("/test/versioned/", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert VERSIONED["rendered"] == 2


async def test_the_tag_depends_on_the_query_and_on_the_callers_view(
    client: httpx.AsyncClient,
) -> None:
    VERSIONED.update(version="1", rendered=0)
    anonymous = (await client.get("/test/versioned/")).headers["etag"]
    other_query = (await client.get("/test/versioned/?page=2")).headers["etag"]
    officer = await auth_headers(Role.COMMS_OFFICER)
    staff = (await client.get("/test/versioned/", headers=officer)).headers["etag"]
    assert len({anonymous, other_query, staff}) == 3
    # A tag seen by staff does not validate an anonymous caller's copy, and back.
    crossed = await client.get("/test/versioned/", headers={"If-None-Match": staff})
    assert crossed.status_code == 200


async def test_articles_revalidate_to_304_until_an_article_changes(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get("/api/v1/articles")
    etag = first.headers["etag"]
    cached = await client.get("/api/v1/articles", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.headers["vary"]
    officer = await auth_headers(Role.COMMS_OFFICER)
    created = await client.post(
        "/api/v1/articles",
        headers=officer,
        json={"title": "Tin mới", "summary": "Tóm tắt", "body": "Nội dung", "audience": "public"},
    )
    assert created.status_code == 201, created.text
    after = await client.get("/api/v1/articles", headers={"If-None-Match": etag})
    assert after.status_code == 200


async def test_a_cached_version_is_read_once_a_period_and_forgotten_on_change(
    committed: None,
) -> None:
    from backend.db import unit_of_work
    from backend.http.etag import VersionCache

    reads: list[int] = []

    async def read() -> str:
        reads.append(1)
        return str(len(reads))

    cache = VersionCache(seconds=3600)
    assert await cache.get(read) == "1"
    assert await cache.get(read) == "1"  # within the period: not read again
    async with unit_of_work():
        await cache.changed()
        assert await cache.get(read) == "2"  # this unit sees its own change
        assert await cache.get(read) == "2"
    assert await cache.get(read) == "3"  # and it is forgotten again once committed
