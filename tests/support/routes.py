"""Routes mounted only in the test app, to drive the shared HTTP machinery (errors,
validation, idempotency) through a real request. Production routes are tested directly."""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from backend import errors
from backend.access import PUBLIC, SIGNED_IN, access
from backend.system.service import do_set_state, get_state


class Address(msgspec.Struct):
    commune_code: Annotated[str, msgspec.Meta(pattern=r"^\d{5}$")]
    street: Annotated[str, msgspec.Meta(max_length=20)]


class Person(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1)]
    age: Annotated[int, msgspec.Meta(ge=0)]
    addresses: list[Address] = []


class Counter(msgspec.Struct):
    name: str
    value: int


class TestController(Controller):
    path = "/test"
    opt = access(PUBLIC)

    @post("/echo", request_max_body_size=1024)
    async def echo(self, data: JSONBody[Person]) -> Person:
        return data

    @get("/raise/{status:int}")
    async def raise_error(self, status: FromPath[int]) -> None:
        by_status: dict[int, type[errors.AppError]] = {
            401: errors.NotAuthenticated,
            403: errors.PermissionDenied,
            409: errors.Conflict,
            429: errors.TooManyRequests,
        }
        if status in by_status:
            raise by_status[status]()
        raise RuntimeError("secret internal detail: password=hunter2")

    @post("/counters/{name:str}")
    async def increment(self, name: FromPath[str], data: JSONBody[dict[str, int]]) -> Counter:
        """Adds data['by'] to a counter stored in the database; slow, to overlap retries."""
        current = await get_state(f"counter:{name}") or 0
        await asyncio.sleep(0.2)
        value = int(current) + data.get("by", 1)
        await do_set_state(f"counter:{name}", value)
        return Counter(name=name, value=value)

    @post("/counters/{name:str}/fail")
    async def increment_then_fail(
        self, name: FromPath[str], data: JSONBody[dict[str, int]]
    ) -> None:
        """Writes, then fails: the write must be rolled back."""
        await do_set_state(f"counter:{name}", 999)
        raise errors.Conflict()


VERSIONED = {"version": "1", "rendered": 0}
"""The version of /test/versioned's data, and how many times its handler ran."""


async def _test_version(scope: object) -> str:
    return str(VERSIONED["version"])


class VersionedController(Controller):
    """A route whose ETag comes from a version, not from its rendered body."""

    path = "/test/versioned"

    @get("/", opt=access(PUBLIC, etag=_test_version))
    async def versioned(self) -> dict[str, object]:
        VERSIONED["rendered"] = int(VERSIONED["rendered"]) + 1
        return {"version": VERSIONED["version"]}


HOLDING = {"now": 0}
"""How many /test/hold requests are inside their transaction."""


async def _hold(seconds: float) -> dict[str, int]:
    HOLDING["now"] += 1
    try:
        await asyncio.sleep(seconds)
    finally:
        HOLDING["now"] -= 1
    return {"held": 1}


class HoldController(Controller):
    """Requests that keep their transaction (and so a pooled connection) open for a while."""

    path = "/test/hold"

    @get("/public/{ms:int}", opt=access(PUBLIC))
    async def hold_public(self, ms: FromPath[int]) -> dict[str, int]:
        return await _hold(ms / 1000)

    @get("/signed-in/{ms:int}", opt=access(SIGNED_IN))
    async def hold_signed_in(self, ms: FromPath[int]) -> dict[str, int]:
        return await _hold(ms / 1000)


TEST_ROUTES = [TestController, HoldController, VersionedController]
