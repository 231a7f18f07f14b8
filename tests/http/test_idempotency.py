"""Idempotency-Key: replay, conflict, concurrent double-submit, failures not stored; keys
belong to a signed-in person and are stored hashed; anonymous callers' keys are not honoured."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from backend.db import engine, unit_of_work
from backend.http.service import do_purge_expired_keys
from backend.system.service import get_state
from tests.support.auth import auth_headers


@pytest.fixture
async def client(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """The test client, signed in as a citizen (keys belong to a person)."""
    client.headers.update(await auth_headers())
    yield client


@pytest.fixture
async def committed_client(
    committed_client: httpx.AsyncClient,
) -> AsyncIterator[httpx.AsyncClient]:
    committed_client.headers.update(await auth_headers())
    yield committed_client


async def test_a_retry_with_the_same_key_replays_the_first_response(
    client: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "7f1c3a5e-retry"}
    first = await client.post("/test/counters/a", json={"by": 5}, headers=headers)
    second = await client.post("/test/counters/a", json={"by": 5}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() == {"name": "a", "value": 5}
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-type"] == first.headers["content-type"]
    assert await get_state("counter:a") == 5  # the work was done once


async def test_without_a_key_every_request_does_the_work(client: httpx.AsyncClient) -> None:
    await client.post("/test/counters/b", json={"by": 1})
    await client.post("/test/counters/b", json={"by": 1})
    assert await get_state("counter:b") == 2


async def test_the_same_key_with_a_different_body_is_a_409(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "key-reused-1"}
    await client.post("/test/counters/c", json={"by": 1}, headers=headers)
    response = await client.post("/test/counters/c", json={"by": 2}, headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert await get_state("counter:c") == 1


async def test_the_same_key_on_another_route_is_a_409(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "key-reused-2"}
    await client.post("/test/counters/d", json={"by": 1}, headers=headers)
    response = await client.post("/test/counters/e", json={"by": 1}, headers=headers)
    assert response.json()["code"] == "idempotency_key_reused"


async def test_a_failed_request_is_not_stored_and_its_retry_runs_again(
    client: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "fails-first"}
    failed = await client.post("/test/counters/f/fail", json={}, headers=headers)
    assert failed.status_code == 409
    assert await get_state("counter:f") is None  # the handler's write was rolled back
    again = await client.post("/test/counters/f/fail", json={}, headers=headers)
    assert again.status_code == 409
    assert "idempotent-replayed" not in again.headers


async def test_an_invalid_key_is_rejected(client: httpx.AsyncClient) -> None:
    for key in ("", "x" * 256, "bad key"):
        response = await client.post(
            "/test/counters/g", json={"by": 1}, headers={"Idempotency-Key": key}
        )
        assert response.status_code == 400, key
        assert response.json()["code"] == "idempotency_key_invalid"


async def test_concurrent_requests_with_one_key_do_the_work_once(
    committed_client: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "double-tap-42"}
    responses = await asyncio.gather(
        *(
            committed_client.post("/test/counters/h", json={"by": 3}, headers=headers)
            for _ in range(3)
        )
    )
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert all(r.json() == {"name": "h", "value": 3} for r in responses)
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 2
    async with unit_of_work():
        assert await get_state("counter:h") == 3


async def test_expired_keys_are_purged_and_then_do_the_work_again(
    committed_client: httpx.AsyncClient, settings: object
) -> None:
    headers = {"Idempotency-Key": "expires-soon"}
    await committed_client.post("/test/counters/i", json={"by": 1}, headers=headers)
    from backend.db import engine

    connection = await engine().get_new_connection()
    try:
        await connection.execute(
            "UPDATE idempotency_keys SET expires_at = $1", datetime.now(UTC) - timedelta(seconds=1)
        )
    finally:
        await connection.close()
    replay = await committed_client.post("/test/counters/i", json={"by": 1}, headers=headers)
    assert "idempotent-replayed" not in replay.headers  # expired: a new request
    async with unit_of_work():
        assert await get_state("counter:i") == 2
        await _expire_all()
        assert await do_purge_expired_keys() == 1


async def _expire_all() -> None:
    from backend.db import engine

    transaction = engine().current_transaction.get()
    assert transaction is not None
    await transaction.connection.execute(
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 second'"
    )


async def test_an_anonymous_callers_key_is_not_honoured(app: object, db: None) -> None:
    """No shared namespace for strangers: without a sign-in the request simply runs."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # the Litestar app
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as anonymous:
        headers = {"Idempotency-Key": "anonymous-1"}
        first = await anonymous.post("/test/counters/anon", json={"by": 1}, headers=headers)
        second = await anonymous.post("/test/counters/anon", json={"by": 1}, headers=headers)
    assert first.json()["value"] == 1
    assert second.json()["value"] == 2
    assert "idempotent-replayed" not in second.headers
    assert await get_state("counter:anon") == 2


async def test_keys_are_stored_only_as_hashes_and_responses_sealed(
    client: httpx.AsyncClient,
) -> None:
    key = "a-secret-looking-key-1234567890"
    headers = {"Idempotency-Key": key}
    first = await client.post("/test/counters/sealed", json={"by": 1}, headers=headers)
    transaction = engine().current_transaction.get()
    assert transaction is not None
    rows = await transaction.connection.fetch(
        "SELECT scope_key, response_headers::text AS headers, response_body FROM idempotency_keys"
    )
    assert len(rows) == 1
    stored = rows[0]["scope_key"]
    assert key not in stored
    assert len(stored) == 64 and int(stored, 16) >= 0
    assert stored != hashlib.sha256(key.encode()).hexdigest()  # keyed by the person too
    # The response (which may hold signed URLs) opens only with the key the client holds.
    assert b"sealed" not in bytes(rows[0]["response_body"])
    assert "content-type" not in rows[0]["headers"]
    replay = await client.post("/test/counters/sealed", json={"by": 1}, headers=headers)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json() == {"name": "sealed", "value": 1}
