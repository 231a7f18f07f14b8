"""Requests without credentials may hold only their share of the connection pool
(`CTN_DB_PUBLIC_SHARE`): beyond it they wait, then get 503, while signed-in requests go
straight through (issue 8, finding 1: public routes must not starve signed-in work)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import msgspec

from backend.app import create_app
from tests.support.auth import auth_headers
from tests.support.routes import HOLDING, TEST_ROUTES


async def wait_for_holders(count: int) -> None:
    async with asyncio.timeout(10):
        while HOLDING["now"] < count:
            await asyncio.sleep(0.01)


async def test_public_requests_beyond_their_share_wait_then_get_503_while_signed_in_pass(
    settings: Any, committed: None
) -> None:
    # A pool of 4 at a share of 0.5: two connections for requests without credentials.
    narrow = msgspec.structs.replace(
        settings, db_pool_max=4, db_public_share=0.5, db_timeout_seconds=0.5
    )
    app = create_app(narrow, extra_route_handlers=TEST_ROUTES)
    signed_in = await auth_headers()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        holders = [asyncio.create_task(http.get("/test/hold/public/1500")) for _ in range(2)]
        await wait_for_holders(2)

        # A third public request finds no slot within the wait: 503, try again shortly.
        busy = await http.get("/test/hold/public/0")
        assert busy.status_code == 503
        assert busy.json()["code"] == "server_busy"
        assert busy.headers["retry-after"] == "1"
        assert HOLDING["now"] == 2

        # A signed-in request is not held back by them.
        mine = await http.get("/test/hold/signed-in/0", headers=signed_in)
        assert mine.status_code == 200, mine.text
        assert HOLDING["now"] == 2  # the public holders are still inside

        for holder in holders:
            assert (await holder).status_code == 200
        # Once they are done, public requests are served again.
        assert (await http.get("/test/hold/public/0")).status_code == 200
