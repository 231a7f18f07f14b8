"""The push gateway: one interface, chosen by settings (`CTN_PUSH_BACKEND`).

- `fcm` — Firebase Cloud Messaging HTTP v1 through firebase-admin (`push.fcm`);
- `logging` — records what would be sent (`push.logging`; the embedded default).

Callers hand the gateway messages and get one `SendResult` per message; the gateway bounds
what is in flight, keeps the project's send rate under its quota across workers, and retries
what FCM says is transient (UNAVAILABLE, INTERNAL, QUOTA_EXCEEDED) with backoff, honouring
Retry-After. What is left after that is the caller's to record: `Outcome.UNREGISTERED` and
`Outcome.INVALID_TOKEN` mean the device is gone and must be deleted.

`gateway(settings)` is the process's gateway, created on first use; `close_gateway()` closes
it (a worker at shutdown, a test between settings). `push.standin` is a local FCM stand-in for
tests and benchmarks.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from backend.settings import Settings


@dataclass(frozen=True)
class PushMessage:
    """What the phone shows, and what the app reads when it is tapped."""

    title: str
    body: str
    data: Mapping[str, str] = field(default_factory=dict)
    """Deep link, campaign or inbox item id, category: strings only (FCM's rule)."""
    collapse_key: str | None = None
    """Android notification tag and APNs collapse id: a message sent again (a resumed send
    whose first attempt was in doubt) replaces the first on the phone instead of adding one."""
    urgent: bool = False
    """High priority (Android) / time-sensitive (APNs)."""
    image_url: str | None = None


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"
    UNREGISTERED = "unregistered"
    """The device is gone (FCM 404 UNREGISTERED): delete it."""
    INVALID_TOKEN = "invalid_token"  # noqa: S105 - an outcome, not a secret
    """FCM 400 INVALID_ARGUMENT naming the device: delete it."""
    INVALID_MESSAGE = "invalid_message"
    """FCM 400 INVALID_ARGUMENT about the message itself (too large, bad condition)."""
    QUOTA_EXCEEDED = "quota_exceeded"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"
    SENDER_ID_MISMATCH = "sender_id_mismatch"
    THIRD_PARTY_AUTH = "third_party_auth"
    OTHER = "other"


DEVICE_GONE = frozenset({Outcome.UNREGISTERED, Outcome.INVALID_TOKEN})


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    message_id: str | None = None
    detail: str | None = None
    """FCM's error message, for the record (never shown to the public)."""


@dataclass(frozen=True)
class DeviceSend:
    installation_id: str
    message: PushMessage


@dataclass(frozen=True)
class TopicError:
    installation_id: str
    reason: str
    """FCM's error code (UNREGISTERED, INVALID_ARGUMENT, UNAVAILABLE, …)."""


TOPIC_DEVICE_GONE = frozenset({"UNREGISTERED", "INVALID_ARGUMENT", "NOT_FOUND"})
"""`TopicError` reasons meaning the device is gone (delete it), as DEVICE_GONE for sends."""


class PushGateway(Protocol):
    async def send_to_devices(self, sends: Sequence[DeviceSend]) -> list[SendResult]:
        """One result per send, in order. Transient failures are retried inside (bounded);
        the results are final."""
        ...

    async def send_to_condition(self, condition: str, message: PushMessage) -> SendResult:
        """One topic-condition message (FCM fans it out); payload within 2 KB."""
        ...

    async def subscribe(self, topic: str, installation_ids: Sequence[str]) -> list[TopicError]: ...

    async def unsubscribe(
        self, topic: str, installation_ids: Sequence[str]
    ) -> list[TopicError]: ...

    async def aclose(self) -> None: ...


_gateway: PushGateway | None = None


def gateway(settings: Settings) -> PushGateway:
    """The process's gateway, made from `settings` on first use (`CTN_PUSH_BACKEND`); later
    calls return the same one until `close_gateway()`."""
    global _gateway
    if _gateway is None:
        if settings.push_backend == "fcm":
            from notifications.push.fcm import FcmGateway

            _gateway = FcmGateway(settings)
        else:
            from notifications.push.logging import LoggingGateway

            _gateway = LoggingGateway(settings)
    return _gateway


async def close_gateway() -> None:
    """Close the process's gateway, if one was made; the next `gateway()` makes a new one."""
    global _gateway
    current, _gateway = _gateway, None
    if current is not None:
        await current.aclose()
