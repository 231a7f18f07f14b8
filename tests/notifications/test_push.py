"""The push gateway chosen by settings, the logging gateway (the embedded default), and the FCM
stand-in run as a process of its own and driven through its control API (as tests that start
`ctn worker` or `ctn serve` drive it)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from notifications.push import (
    DeviceSend,
    Outcome,
    PushMessage,
    TopicError,
    close_gateway,
    gateway,
)
from notifications.push.fcm import Backoff, FcmGateway
from notifications.push.logging import LoggingGateway, device_digest
from tests.notifications.fcm import Fcm

MESSAGE = PushMessage(
    title="Lịch tiếp công dân",
    body="Chủ tịch UBND xã tiếp công dân sáng thứ Năm.",
    data={"campaign": "c-7"},
    collapse_key="c-7",
)


async def test_the_embedded_default_is_the_logging_gateway(settings: Any) -> None:
    assert settings.push_backend == "logging"
    try:
        push = gateway(settings)
        assert isinstance(push, LoggingGateway)
        assert gateway(settings) is push
    finally:
        await close_gateway()
    assert gateway(settings) is not push
    await close_gateway()


async def test_the_logging_gateway_records_what_would_be_sent(
    settings: Any, tmp_path: Path
) -> None:
    log_file = tmp_path / "push.jsonl"
    push = LoggingGateway(msgspec.structs.replace(settings, push_log_file=str(log_file)))
    condition = "'citizens' in topics && 'lang-vi' in topics"

    results = await push.send_to_devices(
        [DeviceSend("fid-a", MESSAGE), DeviceSend("fid-b", MESSAGE)]
    )
    broadcast = await push.send_to_condition(condition, MESSAGE)
    assert await push.subscribe("commune-05443", ["fid-a", "fid-b"]) == []
    assert await push.unsubscribe("commune-05443", ["fid-b"]) == []

    assert [r.outcome for r in results] == [Outcome.ACCEPTED, Outcome.ACCEPTED]
    assert broadcast.outcome == Outcome.ACCEPTED
    (to_a,) = push.to_device("fid-a")
    assert to_a.message == MESSAGE
    assert to_a.message_id == results[0].message_id
    assert [p.message for p in push.to_condition(condition)] == [MESSAGE]
    assert push.subscriptions == {"commune-05443": {"fid-a"}}
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert [line.get("device") for line in lines[:2]] == [
        device_digest("fid-a"),
        device_digest("fid-b"),
    ]
    assert lines[0]["title"] == "Lịch tiếp công dân"
    assert lines[0]["collapse_key"] == "c-7"
    assert lines[2]["condition"] == condition
    assert lines[3] == {
        "at": lines[3]["at"],
        "subscribe": "commune-05443",
        "devices": [device_digest("fid-a"), device_digest("fid-b")],
    }
    assert "fid-a" not in log_file.read_text()  # device ids are tokens: never in a log


async def test_the_logging_gateway_keeps_only_the_last_sends(settings: Any) -> None:
    push = LoggingGateway(settings, keep=3)
    await push.send_to_devices([DeviceSend(f"fid-{i}", MESSAGE) for i in range(5)])
    assert [p.installation_id for p in push.sent] == ["fid-2", "fid-3", "fid-4"]


async def test_the_standin_runs_as_a_process_driven_by_its_control_api(
    fcm_process: Fcm, infrastructure: None
) -> None:
    standin = fcm_process.standin
    push = FcmGateway(
        fcm_process.with_settings(fcm_chunk_size=2),
        backoff=Backoff(transient=0.02, quota=0.02, jitter=0),
    )
    try:
        standin.fail_device("fid-gone", "UNREGISTERED")
        results = await push.send_to_devices(
            [DeviceSend(d, MESSAGE) for d in ("fid-a", "fid-b", "fid-gone")]
        )
        assert [r.outcome for r in results] == [
            Outcome.ACCEPTED,
            Outcome.ACCEPTED,
            Outcome.UNREGISTERED,
        ]
        (received,) = standin.messages(device="fid-a")
        assert received.notification["title"] == "Lịch tiếp công dân"
        assert received.collapse_key == "c-7"
        counts = standin.counts()
        assert counts["devices"] == {"fid-a": 1, "fid-b": 1}
        assert counts["tokens_issued"] == 1
        assert [a.status for a in standin.attempts("fid-gone")] == [404]

        assert await push.subscribe("lang-vi", ["fid-a", "fid-gone"]) == [
            TopicError("fid-gone", "UNREGISTERED")
        ]
        assert standin.subscriptions() == {"lang-vi": {"fid-a"}}
        assert standin.condition_audience("'lang-vi' in topics") == {"fid-a"}

        # Held, then let go as lost: the gateway tries again and each device has one message.
        standin.hold()
        sending = asyncio.ensure_future(
            push.send_to_devices([DeviceSend(d, MESSAGE) for d in ("fid-c", "fid-d")])
        )
        while standin.held() < 2:
            await asyncio.sleep(0.01)
        assert standin.messages(device="fid-c") == []
        standin.release(drop=True)
        assert [r.outcome for r in await sending] == [Outcome.ACCEPTED, Outcome.ACCEPTED]
        assert [len(standin.messages(device=d)) for d in ("fid-c", "fid-d")] == [1, 1]

        standin.reset()
        assert standin.messages() == []
        assert standin.subscriptions() == {}
    finally:
        await push.aclose()


async def test_a_held_request_whose_client_went_away_is_never_recorded(fcm: Fcm) -> None:
    standin = fcm.standin
    standin.hold()
    url = f"{standin.url}/v1/projects/{standin.project_id}/messages:send"
    body = {"message": {"fid": "fid-killed", "notification": {"title": "t", "body": "b"}}}
    async with httpx.AsyncClient(timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(url, json=body, headers={"Authorization": "Bearer x"})
    while standin.held():
        await asyncio.sleep(0.01)
    standin.release()
    assert standin.messages() == []
    assert standin.attempts() == []


async def test_the_standin_refuses_what_fcm_refuses(fcm: Fcm) -> None:
    standin = fcm.standin
    url = f"{standin.url}/v1/projects/{standin.project_id}/messages:send"
    message = {"fid": "fid-a", "notification": {"title": "t", "body": "b"}}
    async with httpx.AsyncClient() as client:
        anonymous = await client.post(url, json={"message": message})
        forged = await client.post(
            url, json={"message": message}, headers={"Authorization": "Bearer ya29.forged"}
        )
    assert anonymous.status_code == forged.status_code == 401
    assert anonymous.json()["error"]["status"] == "UNAUTHENTICATED"
    assert standin.messages() == []
