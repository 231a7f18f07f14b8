"""Limits of the citizen routes, kept without storing who asked.

Counters live in the UNLOGGED `tip_counters` table for one window
(`CTN_TIPS_RATE_WINDOW_MINUTES`) and are then deleted; a client address is only ever counted
as a keyed hash (`crypto.keyed_hash`, keyed per purpose, so a counter of submissions and one
of wrong receipts cannot even be linked to each other, nor to the security log's hashes).

- anonymous reports per address;
- wrong receipts per address, per receipt value and across everyone: once a limit is
  reached every receipt is refused until the window ends (also a right one: accepting it
  would tell a guesser which guess was right).

Refusals are 429 problems with `Retry-After`. Wrong and throttled receipts are security
events that name the route and the limit only: no address (not even hashed), no person, no
receipt.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from backend import security_events
from backend.settings import Settings
from backend.tips import repository
from backend.tips.crypto import keyed_hash
from backend.tips.errors import ReceiptThrottled, SubmissionsThrottled


@dataclass(frozen=True)
class Window:
    number: int
    ends: int

    @classmethod
    def now(cls, settings: Settings, now: float | None = None) -> Window:
        length = settings.tips_rate_window_minutes * 60
        current = time.time() if now is None else now
        number = int(current // length)
        return cls(number, (number + 1) * length)

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.ends, UTC)

    def retry_after(self) -> str:
        return str(max(1, int(self.ends - time.time() + 0.999)))


@contextmanager
def no_client() -> Iterator[None]:
    """Security events emitted in the block carry no client address (anonymous routes)."""
    with security_events.client_address(None):
        yield


def emit(event: str, *, route: str, limit: str | None = None) -> None:
    """A security event of the citizen routes: never an address, a person or a secret."""
    with no_client():
        security_events.emit(event, route=route, limit=limit)


async def count_anonymous_submission(settings: Settings, address: str | None) -> None:
    window = Window.now(settings)
    key = f"submit:{keyed_hash(settings, 'submit', address or 'unknown')}:{window.number}"
    hits = await repository.count_hits([key], window.expires_at)
    if hits.get(key, 0) > settings.tips_anonymous_per_address:
        emit("tip_submissions_throttled", route="/api/v1/tips")
        raise SubmissionsThrottled(headers={"Retry-After": window.retry_after()})


def _receipt_keys(settings: Settings, address: str | None, receipt: str) -> dict[str, int]:
    window = Window.now(settings)
    return {
        f"receipt-all:{window.number}": settings.tips_receipt_failures_global,
        f"receipt-addr:{keyed_hash(settings, 'receipt-address', address or 'unknown')}"
        f":{window.number}": settings.tips_receipt_failures_per_address,
        f"receipt:{keyed_hash(settings, 'receipt', receipt)}:{window.number}": (
            settings.tips_receipt_attempts_per_receipt
        ),
    }


async def check_receipt_allowed(
    settings: Settings, address: str | None, receipt: str, route: str
) -> None:
    """`ReceiptThrottled` while a limit of wrong receipts is reached."""
    limits = _receipt_keys(settings, address, receipt)
    hits = await repository.read_hits(list(limits))
    for key, limit in limits.items():
        if hits.get(key, 0) >= limit:
            emit("tip_receipt_throttled", route=route, limit=key.split(":")[0])
            window = Window.now(settings)
            raise ReceiptThrottled(headers={"Retry-After": window.retry_after()})


async def count_wrong_receipt(
    settings: Settings, address: str | None, receipt: str, route: str
) -> None:
    limits = _receipt_keys(settings, address, receipt)
    await repository.count_hits(list(limits), Window.now(settings).expires_at)
    emit("tip_receipt_rejected", route=route)
