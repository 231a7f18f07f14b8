"""A request never inherits another request's state on a reused connection (issue 8,
finding 2). After a body larger than uvicorn's 64 KiB read buffer, uvicorn resumes reading
from inside the request's task, and the next request's task used to be created in a copy of
that context, holding a transaction whose connection had gone back to the pool: every later
request on the connection answered 500. Over real sockets, with the served app."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.identity.conftest import bearer, mobile_tokens
from tests.server.conftest import RawConnection, request_head, serving


@pytest.mark.parametrize("workers", [1, 2])
async def test_large_and_small_requests_alternate_on_one_keep_alive_connection(
    tmp_path: Path, live_database: str, committed: None, workers: int
) -> None:
    with serving(tmp_path, live_database, workers=workers) as server:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=server.url, timeout=20, limits=limits) as http:
            tokens = await mobile_tokens(http)
            large = {"grant_type": "refresh_token", "refresh_token": "x" * 150_000}
            for size in (70_000, 150_000, 1_000_000, 150_000):
                large["refresh_token"] = "x" * size
                refused = await http.post("/api/v1/auth/token", json=large)
                assert refused.status_code in (400, 401, 422), refused.text
                for _ in range(3):
                    me = await http.get("/api/v1/me", headers=bearer(tokens))
                    assert me.status_code == 200, me.text
                    articles = await http.get("/api/v1/articles")
                    assert articles.status_code == 200, articles.text
        log = server.log.read_text()
        assert "connection has been released" not in log
        assert "unhandled error" not in log


async def test_pipelined_requests_after_a_large_body_are_each_answered(
    tmp_path: Path, live_database: str
) -> None:
    with serving(tmp_path, live_database) as server:
        connection = await RawConnection.open(server.url)
        body = b'{"grant_type": "refresh_token", "refresh_token": "' + b"y" * 200_000 + b'"}'
        head = request_head(
            "POST", "/api/v1/auth/token", {"Content-Type": "application/json"}, length=len(body)
        )
        await connection.send(head + body + request_head("GET", "/health/live") * 3)
        first = await connection.response(timeout=10)
        assert first.status in (400, 401, 422)
        for _ in range(3):
            answer = await connection.response(timeout=10)
            assert answer.status == 200
        connection.close()
