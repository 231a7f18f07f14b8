"""The FCM gateway, through firebase-admin itself over HTTP against the local FCM stand-in:
what a phone would receive, how each FCM answer is mapped, retries and their pacing, the
shared send quota, payload limits and topic subscriptions."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from notifications.push import (
    DEVICE_GONE,
    TOPIC_DEVICE_GONE,
    DeviceSend,
    Outcome,
    PushMessage,
    gateway,
)
from notifications.push.fcm import Backoff, FcmGateway
from notifications.push.standin import payload_bytes
from tests.notifications.fcm import Fcm

SHORT = Backoff(quota=0.05, transient=0.02, attempts=4, jitter=0)
"""Backoff in hundredths of a second: the policy's shape without the production waits."""

MakeGateway = Callable[..., FcmGateway]


@pytest.fixture
async def make_gateway(fcm: Fcm, infrastructure: None) -> AsyncIterator[MakeGateway]:
    made: list[FcmGateway] = []

    def make(*, backoff: Backoff = SHORT, **options: Any) -> FcmGateway:
        settings_changes = {k: v for k, v in options.items() if k.startswith("fcm_")}
        extra = {k: v for k, v in options.items() if not k.startswith("fcm_")}
        made.append(FcmGateway(fcm.with_settings(**settings_changes), backoff=backoff, **extra))
        return made[-1]

    yield make
    for made_gateway in made:
        await made_gateway.aclose()


def devices(n: int, prefix: str = "fid") -> list[str]:
    return [f"{prefix}-{uuid.uuid4().hex[:12]}-{i}" for i in range(n)]


@pytest.mark.filterwarnings("error::DeprecationWarning")
async def test_each_device_gets_the_message_addressed_by_its_installation_id(
    fcm: Fcm, make_gateway: MakeGateway
) -> None:
    push = make_gateway(fcm_chunk_size=3, fcm_max_in_flight=2)
    circular = PushMessage(
        title="Công văn mới",
        body="Đề nghị các cơ quan báo cáo trước ngày 30.",
        data={"campaign": "c-1", "deep_link": "ctn://campaigns/c-1"},
        collapse_key="c-1",
    )
    alert = PushMessage(title="Cảnh báo lũ", body="Sơ tán ngay.", collapse_key="c-2", urgent=True)
    targets = devices(7)
    sends = [DeviceSend(d, circular) for d in targets[:6]] + [DeviceSend(targets[6], alert)]

    results = await push.send_to_devices(sends)

    assert [r.outcome for r in results] == [Outcome.ACCEPTED] * 7
    for device, result in zip(targets, results, strict=True):
        (received,) = fcm.standin.messages(device=device)
        assert received.target == "fid"
        assert received.message_id == result.message_id
    (first,) = fcm.standin.messages(device=targets[0])
    assert first.notification == {
        "title": "Công văn mới",
        "body": "Đề nghị các cơ quan báo cáo trước ngày 30.",
    }
    assert first.data == {"campaign": "c-1", "deep_link": "ctn://campaigns/c-1"}
    assert first.collapse_key == "c-1"
    assert first.message["apns"]["headers"]["apns-collapse-id"] == "c-1"
    assert first.message["android"]["priority"] == "normal"
    (urgent,) = fcm.standin.messages(device=targets[6])
    assert urgent.message["android"]["priority"] == "high"
    assert urgent.message["apns"]["headers"]["apns-priority"] == "10"
    assert urgent.message["apns"]["payload"]["aps"]["interruption-level"] == "time-sensitive"


async def test_one_oauth_token_serves_every_chunk(fcm: Fcm, make_gateway: MakeGateway) -> None:
    push = make_gateway(fcm_chunk_size=10, fcm_max_in_flight=4)
    message = PushMessage(title="t", body="b")

    results = await push.send_to_devices([DeviceSend(d, message) for d in devices(120)])

    assert {r.outcome for r in results} == {Outcome.ACCEPTED}
    assert fcm.standin.counts()["tokens_issued"] == 1


PERMANENT = [
    ("UNREGISTERED", Outcome.UNREGISTERED),
    ("INVALID_ARGUMENT", Outcome.INVALID_TOKEN),
    ("INVALID_MESSAGE", Outcome.INVALID_MESSAGE),
    ("SENDER_ID_MISMATCH", Outcome.SENDER_ID_MISMATCH),
    ("THIRD_PARTY_AUTH_ERROR", Outcome.THIRD_PARTY_AUTH),
    ("QUOTA_EXCEEDED", Outcome.QUOTA_EXCEEDED),
    ("UNAVAILABLE", Outcome.UNAVAILABLE),
    ("INTERNAL", Outcome.INTERNAL),
]


@pytest.mark.parametrize(("code", "outcome"), PERMANENT)
async def test_each_fcm_error_maps_to_its_outcome(
    fcm: Fcm, make_gateway: MakeGateway, code: str, outcome: Outcome
) -> None:
    push = make_gateway(fcm_chunk_size=2)
    failing, *healthy = devices(3)
    fcm.standin.fail_device(failing, code, retry_after=0 if code == "QUOTA_EXCEEDED" else None)
    message = PushMessage(title="Thông báo", body="Nội dung")

    results = await push.send_to_devices([DeviceSend(d, message) for d in [failing, *healthy]])

    assert results[0].outcome == outcome
    assert results[0].message_id is None
    assert results[0].detail
    assert [r.outcome for r in results[1:]] == [Outcome.ACCEPTED, Outcome.ACCEPTED]
    assert (results[0].outcome in DEVICE_GONE) == (code in ("UNREGISTERED", "INVALID_ARGUMENT"))
    assert fcm.standin.messages(device=failing) == []
    tries = [a for a in fcm.standin.attempts(failing) if a.kind == "send"]
    if code in ("QUOTA_EXCEEDED", "UNAVAILABLE", "INTERNAL"):
        assert len(tries) == SHORT.attempts  # tried again, then given up
    elif code == "THIRD_PARTY_AUTH_ERROR":
        assert len(tries) == 3  # a 401: google-auth refreshes its token and tries twice more
    else:
        assert len(tries) == 1


@pytest.mark.parametrize("code", ["UNAVAILABLE", "INTERNAL", "QUOTA_EXCEEDED"])
async def test_transient_errors_are_tried_again_until_accepted(
    fcm: Fcm, make_gateway: MakeGateway, code: str
) -> None:
    push = make_gateway(fcm_chunk_size=5)
    targets = devices(5)
    fcm.standin.fail_next(7, code, retry_after=0)
    message = PushMessage(title="t", body="b")

    results = await push.send_to_devices([DeviceSend(d, message) for d in targets])

    assert [r.outcome for r in results] == [Outcome.ACCEPTED] * 5
    assert all(len(fcm.standin.messages(device=d)) == 1 for d in targets)
    assert fcm.standin.counts()["requests"] == 5 + 7


async def test_retry_after_is_honoured(fcm: Fcm, make_gateway: MakeGateway) -> None:
    push = make_gateway()
    (device,) = devices(1)
    fcm.standin.fail_next(1, "UNAVAILABLE", retry_after=1)

    (result,) = await push.send_to_devices([DeviceSend(device, PushMessage(title="t", body="b"))])

    assert result.outcome == Outcome.ACCEPTED
    first, second = fcm.standin.attempts(device)
    assert (first.status, second.status) == (503, 200)
    assert second.at - first.at >= 1.0


async def test_quota_exceeded_pauses_every_send_of_the_process(
    fcm: Fcm, make_gateway: MakeGateway
) -> None:
    push = make_gateway(fcm_chunk_size=1, fcm_max_in_flight=1)
    targets = devices(3)
    fcm.standin.fail_next(1, "QUOTA_EXCEEDED", retry_after=1)
    message = PushMessage(title="t", body="b")

    results = await push.send_to_devices([DeviceSend(d, message) for d in targets])

    assert [r.outcome for r in results] == [Outcome.ACCEPTED] * 3
    attempts = sorted(fcm.standin.attempts(), key=lambda a: a.at)
    assert attempts[0].status == 429
    # Whatever came next, for this device or another, waited out the Retry-After.
    assert attempts[1].at - attempts[0].at >= 1.0


async def test_gateways_share_the_send_quota(fcm: Fcm, make_gateway: MakeGateway) -> None:
    """Three processes' gateways (here three in one process) drawing on one quota of 10 sends
    per window of 1.5 s, 10 messages each: alone, each would send its 10 at once; together
    they need three windows, so the arrivals span at least one whole window."""
    key = f"test-{uuid.uuid4()}"
    options = {"fcm_quota_per_minute": 10, "fcm_chunk_size": 5, "quota_window": 1.5}
    gateways = [make_gateway(quota_key=key, **options) for _ in range(3)]
    message = PushMessage(title="t", body="b")

    results = await asyncio.gather(
        *(g.send_to_devices([DeviceSend(d, message) for d in devices(10)]) for g in gateways)
    )

    assert [r.outcome for batch in results for r in batch] == [Outcome.ACCEPTED] * 30
    times = sorted(r.at for r in fcm.standin.messages())
    assert len(times) == 30
    assert times[-1] - times[0] >= 1.0


async def test_a_long_body_is_cut_to_fit_the_payload_limits(
    fcm: Fcm, make_gateway: MakeGateway
) -> None:
    push = make_gateway()
    body = "Thông báo về việc tiêm chủng mở rộng cho trẻ em dưới năm tuổi. " * 120
    message = PushMessage(title="Y tế", body=body, data={"campaign": "c-9"}, collapse_key="c-9")
    (device,) = devices(1)

    (result,) = await push.send_to_devices([DeviceSend(device, message)])
    condition = "'citizens' in topics && 'lang-vi' in topics"
    broadcast = await push.send_to_condition(condition, message)

    assert result.outcome == Outcome.ACCEPTED
    assert broadcast.outcome == Outcome.ACCEPTED
    (received,) = fcm.standin.messages(device=device)
    (fanned,) = fcm.standin.messages(condition=condition)
    for record, limit in ((received, 4096), (fanned, 2048)):
        shown = record.notification["body"]
        assert shown.endswith("…")
        assert body.startswith(shown[:-1])
        assert payload_bytes(record.message) <= limit
        assert payload_bytes(record.message) > limit - 200  # cut no more than it must
    assert len(fanned.notification["body"]) < len(received.notification["body"])


async def test_a_message_too_large_without_its_body_is_not_sent(
    fcm: Fcm, make_gateway: MakeGateway
) -> None:
    push = make_gateway()
    message = PushMessage(title="t", body="b", data={"blob": "x" * 5000})
    (device,) = devices(1)

    (result,) = await push.send_to_devices([DeviceSend(device, message)])

    assert result.outcome == Outcome.INVALID_MESSAGE
    assert fcm.standin.attempts() == []


async def test_a_condition_message_is_fanned_out_by_fcm(
    fcm: Fcm, make_gateway: MakeGateway
) -> None:
    push = make_gateway()
    fcm.standin.subscribe("commune-05443", ["p1", "p2", "p3"])
    fcm.standin.subscribe("lang-vi", ["p1", "p2"])
    fcm.standin.subscribe("muted-health", ["p2"])
    condition = "'commune-05443' in topics && 'lang-vi' in topics && !('muted-health' in topics)"
    message = PushMessage(title="Tiêm chủng", body="Lịch tiêm tuần này.", collapse_key="c-3")

    result = await push.send_to_condition(condition, message)
    invalid = await push.send_to_condition("'commune-05443' in topics &&", message)

    assert result.outcome == Outcome.ACCEPTED
    (received,) = fcm.standin.messages(condition=condition)
    assert received.message_id == result.message_id
    assert fcm.standin.condition_audience(condition) == {"p1"}
    assert invalid.outcome == Outcome.INVALID_MESSAGE


async def test_devices_are_subscribed_and_unsubscribed_one_by_one(
    fcm: Fcm, make_gateway: MakeGateway
) -> None:
    push = make_gateway()
    kept, moved, gone = devices(3)
    fcm.standin.fail_device(gone, "UNREGISTERED")

    errors = await push.subscribe("commune-05443", [kept, moved, gone])
    assert [(e.installation_id, e.reason) for e in errors] == [(gone, "UNREGISTERED")]
    assert errors[0].reason in TOPIC_DEVICE_GONE
    assert fcm.standin.subscriptions("commune-05443") == {"commune-05443": {kept, moved}}
    assert await push.subscribe("commune-05443", [kept]) == []  # already: no error

    assert await push.unsubscribe("commune-05443", [moved, "never-subscribed"]) == []
    assert fcm.standin.subscriptions("commune-05443") == {"commune-05443": {kept}}


async def test_topic_requests_that_fail_for_now_are_tried_again(
    fcm: Fcm, make_gateway: MakeGateway
) -> None:
    push = make_gateway()
    targets = devices(4)
    fcm.standin.fail_next(3, "UNAVAILABLE", scope="topics")

    assert await push.subscribe("lang-vi", targets) == []

    assert fcm.standin.subscriptions("lang-vi") == {"lang-vi": set(targets)}
    assert fcm.standin.counts()["requests"] == 4 + 3


async def test_the_process_gateway_follows_the_settings(fcm: Fcm, infrastructure: None) -> None:
    push = gateway(fcm.settings)
    assert isinstance(push, FcmGateway)
    assert gateway(fcm.settings) is push
    (device,) = devices(1)

    (result,) = await push.send_to_devices([DeviceSend(device, PushMessage(title="t", body="b"))])

    assert result.outcome == Outcome.ACCEPTED
    assert len(fcm.standin.messages(device=device)) == 1


async def test_held_requests_reach_fcm_only_when_released(
    fcm: Fcm, make_gateway: MakeGateway
) -> None:
    push = make_gateway(fcm_chunk_size=2)
    targets = devices(4)
    fcm.standin.hold()
    sending = asyncio.ensure_future(
        push.send_to_devices([DeviceSend(d, PushMessage(title="t", body="b")) for d in targets])
    )
    while fcm.standin.held() < 4:
        await asyncio.sleep(0.01)
    assert fcm.standin.messages() == []

    fcm.standin.release()
    results = await sending

    assert [r.outcome for r in results] == [Outcome.ACCEPTED] * 4
    assert sorted(r.to for r in fcm.standin.messages()) == sorted(targets)
