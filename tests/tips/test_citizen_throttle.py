"""Limits of the citizen routes: anonymous reports per network, wrong receipts per receipt, per
network and overall — 429 with Retry-After, and security events that carry no address."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from backend.tips import repository
from backend.tips.abuse import Window
from tests.tips.conftest import client_address, proof, report, submit_anonymous


def _app(settings: Any) -> Any:
    from backend.app import create_app

    return create_app(settings)


def _client(app: Any, address: str | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address or client_address(), 1234))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _events(settings: Any, since: int) -> list[dict[str, Any]]:
    path = Path(settings.security_log_path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_bytes()[since:].splitlines() if line]


def _log_size(settings: Any) -> int:
    path = Path(settings.security_log_path)
    return path.stat().st_size if path.exists() else 0


@pytest.fixture
async def strict(tips_settings: Any, db: None) -> AsyncIterator[Any]:
    yield msgspec.structs.replace(
        tips_settings,
        tips_anonymous_per_address=2,
        tips_receipt_attempts_per_receipt=2,
        tips_receipt_failures_per_address=4,
    )


async def test_anonymous_reports_are_limited_per_network(strict: Any) -> None:
    app = _app(strict)
    since = _log_size(strict)
    address = client_address()
    async with _client(app, address) as client:
        for _ in range(2):
            await submit_anonymous(client)
        body = report()
        body["proof"] = await proof(client)
        refused = await client.post("/api/v1/tips", json=body)
    assert refused.status_code == 429
    assert refused.json()["code"] == "tip_submissions_throttled"
    assert 1 <= int(refused.headers["retry-after"]) <= strict.tips_rate_window_minutes * 60
    async with _client(app) as elsewhere:
        await submit_anonymous(elsewhere)
    events = [e for e in _events(strict, since) if e["event"] == "tip_submissions_throttled"]
    assert len(events) == 1
    assert events[0]["client"] is None and events[0]["actor"] is None
    assert address not in json.dumps(events)


async def test_wrong_receipts_are_limited_per_receipt_and_per_network(strict: Any) -> None:
    app = _app(strict)
    since = _log_size(strict)
    async with _client(app) as owner:
        right = (await submit_anonymous(owner))["receipt"]
    address = client_address()
    async with _client(app, address) as guesser:
        same = {"X-Tip-Receipt": "9" * 20}
        codes = [
            (await guesser.get("/api/v1/tips/anonymous", headers=same)).json()["code"]
            for _ in range(3)
        ]
        assert codes == ["tip_receipt_invalid", "tip_receipt_invalid", "tip_receipt_throttled"]
        # Other guesses from the same network: two more, then the network waits, even with
        # a right receipt (else the answer would tell right from wrong).
        for guess in ("8" * 20, "7" * 20):
            wrong = await guesser.get("/api/v1/tips/anonymous", headers={"X-Tip-Receipt": guess})
            assert wrong.json()["code"] == "tip_receipt_invalid"
        waiting = await guesser.get("/api/v1/tips/anonymous", headers={"X-Tip-Receipt": right})
        assert waiting.status_code == 429
        assert waiting.json()["code"] == "tip_receipt_throttled"
        assert int(waiting.headers["retry-after"]) >= 1
    async with _client(app) as owner_again:
        fine = await owner_again.get("/api/v1/tips/anonymous", headers={"X-Tip-Receipt": right})
        assert fine.status_code == 200
    events = _events(strict, since)
    rejected = [e for e in events if e["event"] == "tip_receipt_rejected"]
    throttled = [e for e in events if e["event"] == "tip_receipt_throttled"]
    assert len(rejected) == 4 and len(throttled) == 2
    for event in rejected + throttled:
        assert event["client"] is None and event["actor"] is None
        assert event["route"] == "/api/v1/tips/anonymous"
    assert address not in json.dumps(events) and right not in json.dumps(events)


async def test_wrong_receipts_across_everyone_stop_every_receipt(
    tips_settings: Any, db: None
) -> None:
    window = Window.now(tips_settings)
    key = f"receipt-all:{window.number}"
    already = (await repository.read_hits([key])).get(key, 0)
    settings = msgspec.structs.replace(tips_settings, tips_receipt_failures_global=already + 3)
    app = _app(settings)
    async with _client(app) as owner:
        right = (await submit_anonymous(owner))["receipt"]
    for guess in ("1" * 20, "2" * 20, "3" * 20):
        async with _client(app) as guesser:
            wrong = await guesser.get("/api/v1/tips/anonymous", headers={"X-Tip-Receipt": guess})
            assert wrong.json()["code"] == "tip_receipt_invalid"
    async with _client(app) as owner_again:
        waiting = await owner_again.get("/api/v1/tips/anonymous", headers={"X-Tip-Receipt": right})
    if Window.now(tips_settings).number == window.number:  # the window may have just ended
        assert waiting.status_code == 429
        assert waiting.json()["code"] == "tip_receipt_throttled"


async def test_a_receipt_is_never_taken_from_the_url(tips_client: httpx.AsyncClient) -> None:
    submitted = await submit_anonymous(tips_client)
    in_query = await tips_client.get(
        "/api/v1/tips/anonymous", params={"receipt": submitted["receipt"]}
    )
    assert in_query.status_code == 401
    assert in_query.json()["code"] == "tip_receipt_required"


async def test_counters_and_spent_challenges_are_forgotten_when_their_time_is_over(
    db: None,
) -> None:
    from datetime import UTC, datetime, timedelta

    from backend.db import unit_of_work

    past = datetime.now(UTC) - timedelta(minutes=1)
    await repository.count_hits(["submit:old-test-subject:1"], past)
    async with unit_of_work():
        assert await repository.spend_challenge("f" * 64, past)
        purged = await repository.delete_expired(datetime.now(UTC))
    assert purged["tip_counters"] >= 1 and purged["tip_challenges"] >= 1
