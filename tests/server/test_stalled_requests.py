"""Clients that stall or trickle cannot take the service down (issue 8, finding 1).

A request body is read whole before its transaction takes a pooled connection, within
`CTN_HTTP_BODY_TIMEOUT_SECONDS`; request headers must arrive within
`CTN_HTTP_HEADER_TIMEOUT_SECONDS`; the too-slow get a 408 problem and lose their connection.
Requests without credentials may hold only part of the pool. All over real sockets against a
real `ctn serve`: none of this is visible through the in-process client."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.identity.conftest import bearer, mobile_tokens
from tests.server.conftest import RawConnection, request_head, serving

PUBLIC_FORM_ROUTES = ["/auth/backchannel-logout", "/api/v1/auth/token"]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_stalled_senders_on_public_routes_do_not_starve_signed_in_requests(
    tmp_path: Path, live_database: str, committed: None
) -> None:
    with serving(
        tmp_path,
        live_database,
        ctn_db_pool_max="4",
        ctn_http_body_timeout_seconds="6",
    ) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            tokens = await mobile_tokens(http)
            stalled: list[RawConnection] = []
            for path in PUBLIC_FORM_ROUTES:
                for _ in range(50):
                    connection = await RawConnection.open(server.url)
                    # Headers and half of the announced body, then nothing.
                    await connection.send(request_head("POST", path, FORM, length=200))
                    await connection.send(b"grant_type=authorization_code&code=")
                    stalled.append(connection)
            await asyncio.sleep(0.5)  # every stalled request has reached the app

            # Ten stalled requests used to hold the whole pool: now signed-in work and the
            # readiness probe answer at once while a hundred bodies are pending.
            async with httpx.AsyncClient(base_url=server.url, timeout=1.0) as quick:
                for _ in range(10):
                    me = await quick.get("/api/v1/me", headers=bearer(tokens))
                    assert me.status_code == 200, me.text
                ready = await quick.get("/health/ready")
                assert ready.status_code == 200, ready.text
                # A public request with a complete body is served too.
                token = await quick.post(
                    "/api/v1/auth/token", data={"grant_type": "authorization_code"}
                )
                assert token.status_code in (400, 422), token.text

            # The stalled senders are answered 408 in problem+json and cut off.
            answers = await asyncio.gather(*(c.response(timeout=15) for c in stalled))
            for answer in answers:
                assert answer.status == 408
                assert answer.headers["content-type"].startswith("application/problem+json")
                assert answer.json()["code"] == "request_timeout"
                assert answer.closed
            for connection in stalled:
                connection.close()


@pytest.mark.parametrize("workers", [1, 2])
async def test_headers_that_never_complete_get_408_and_the_connection_is_closed(
    tmp_path: Path, live_database: str, workers: int
) -> None:
    with serving(
        tmp_path, live_database, workers=workers, ctn_http_header_timeout_seconds="2"
    ) as server:
        silent = await RawConnection.open(server.url)  # connects, sends nothing
        partial = await RawConnection.open(server.url)
        await partial.send(b"GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        trickle = await RawConnection.open(server.url)

        async def trickle_headers() -> None:
            # One byte every 0.3 s: each byte must not push the deadline back.
            for byte in b"GET /health/live HTTP/1.1\r\nX-Slow: " + b"a" * 100:
                await trickle.send(bytes([byte]))
                await asyncio.sleep(0.3)

        sender = asyncio.create_task(trickle_headers())
        try:
            for connection in (silent, partial, trickle):
                answer = await connection.response(timeout=10)
                assert answer.status == 408
                assert answer.json()["code"] == "request_timeout"
                assert answer.closed
        finally:
            sender.cancel()
            for connection in (silent, partial, trickle):
                connection.close()

        # A well-behaved keep-alive client is not affected: two requests on one connection
        # with a pause shorter than the keep-alive timeout.
        client = await RawConnection.open(server.url)
        for _ in range(2):
            await client.send(request_head("GET", "/health/live"))
            answer = await client.response(timeout=5)
            assert answer.status == 200
            await asyncio.sleep(1)
        client.close()


async def test_a_body_that_stops_arriving_gets_408_on_a_signed_in_route_too(
    tmp_path: Path, live_database: str, committed: None
) -> None:
    with serving(tmp_path, live_database, ctn_http_body_timeout_seconds="2") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            tokens = await mobile_tokens(http)
        connection = await RawConnection.open(server.url)
        headers = {"Content-Type": "application/json", **bearer(tokens)}
        await connection.send(request_head("POST", "/api/v1/articles", headers, length=100))
        await connection.send(b'{"title": "')
        answer = await connection.response(timeout=10)
        assert answer.status == 408
        assert answer.json()["code"] == "request_timeout"
        assert answer.closed
        connection.close()
