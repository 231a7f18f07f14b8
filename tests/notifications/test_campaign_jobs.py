"""Sending as durable jobs: an approval hands the campaign to the worker at once, the minute's
job starts campaigns that are due and gives a job back to a send that lost its own; and a real
`ctn worker` killed (SIGKILL) in the middle of a batch, with the FCM stand-in holding its
requests, is replaced by another that finishes the campaign: every device gets exactly one
message."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backend.access import Principal, Role
from backend.db import engine, unit_of_work
from backend.jobs import job_app
from backend.settings import get_settings
from notifications import push
from notifications.campaigns import service as campaigns
from notifications.campaigns.jobs import run_due, send_campaign
from notifications.campaigns.schemas import CampaignCreate
from notifications.push.logging import LoggingGateway
from tests.content.test_worker_recovery import Workers, wait_for
from tests.content.test_worker_recovery import worker_env as worker_env  # fixture
from tests.notifications.fcm import Fcm
from tests.notifications.test_campaigns import register_device
from tests.support.auth import create_person

AGENCY = "TEST-CAMP-JOBS"


class Staff:
    def __init__(self, officer: uuid.UUID, approver: uuid.UUID) -> None:
        self.officer = Principal(id=officer, roles=frozenset({"citizen", "comms_officer"}))
        self.approver = Principal(id=approver, roles=frozenset({"citizen", "comms_approver"}))

    async def submitted(self, now: datetime | None = None, **fields: Any) -> uuid.UUID:
        data = CampaignCreate(
            **{
                "title": "Công văn khẩn",
                "body": "Đề nghị các đơn vị triển khai ngay.",
                "category": "circular",
                "audience_kind": "agencies",
                "audience_agencies": [AGENCY],
                **fields,
            }
        )
        settings = get_settings()
        async with unit_of_work():
            campaign = await campaigns.do_create_campaign(settings, self.officer, data, now=now)
        async with unit_of_work():
            await campaigns.do_submit_campaign(settings, self.officer, campaign.id, now=now)
        return campaign.id

    async def approve(self, campaign_id: uuid.UUID, now: datetime | None = None) -> str:
        async with unit_of_work():
            approved = await campaigns.do_approve_campaign(
                get_settings(), self.approver, campaign_id, now=now
            )
        return str(approved.status)

    async def status(self, campaign_id: uuid.UUID) -> str:
        async with unit_of_work():
            found = await campaigns.access_campaign(get_settings(), self.officer, campaign_id)
        return str(found.status)


@pytest.fixture
async def staff(committed: None) -> Staff:
    return Staff(await create_person(Role.COMMS_OFFICER), await create_person(Role.COMMS_APPROVER))


@pytest.fixture
async def logging_gateway(committed: None) -> AsyncIterator[LoggingGateway]:
    await push.close_gateway()
    made = push.gateway(get_settings())
    assert isinstance(made, LoggingGateway)
    yield made
    await push.close_gateway()


async def jobs_of(campaign_id: uuid.UUID) -> list[str]:
    connection = await engine().get_new_connection()
    try:
        rows = await connection.fetch(
            "SELECT status FROM procrastinate_jobs WHERE task_name = $1"
            " AND args->>'campaign_id' = $2 ORDER BY id",
            send_campaign.name,
            str(campaign_id),
        )
    finally:
        await connection.close()
    return [row["status"] for row in rows]


async def run_worker() -> None:
    """Process every campaign job that is due, then return."""
    await job_app.run_worker_async(
        queues=["campaigns"], wait=False, install_signal_handlers=False, listen_notify=False
    )


async def servants_with_devices(n: int) -> list[str]:
    devices = []
    for _ in range(n):
        person = await create_person(Role.CIVIL_SERVANT, agency=AGENCY)
        devices.append(await register_device(person))
    return sorted(devices)


async def test_an_approval_hands_the_campaign_to_the_worker_at_once(
    staff: Staff, logging_gateway: LoggingGateway
) -> None:
    devices = await servants_with_devices(3)
    campaign_id = await staff.submitted()
    assert await jobs_of(campaign_id) == []
    assert await staff.approve(campaign_id) == "approved"
    assert await jobs_of(campaign_id) == ["todo"]
    await run_worker()
    assert await staff.status(campaign_id) == "sent"
    assert set(await jobs_of(campaign_id)) == {"succeeded"}
    for device in devices:
        assert len(logging_gateway.to_device(device)) == 1


async def test_the_minute_job_starts_due_campaigns_and_resumes_a_send_without_a_job(
    staff: Staff, logging_gateway: LoggingGateway
) -> None:
    devices = await servants_with_devices(2)
    earlier = datetime.now(UTC) - timedelta(hours=2)
    campaign_id = await staff.submitted(now=earlier, scheduled_for=earlier + timedelta(hours=1))
    assert await staff.approve(campaign_id, now=earlier) == "scheduled"
    assert await jobs_of(campaign_id) == []  # not due when approved
    assert await run_due() == 1
    assert await run_due() == 0  # it has a job waiting now
    await run_worker()
    assert await staff.status(campaign_id) == "sent"
    assert all(len(logging_gateway.to_device(d)) == 1 for d in devices)

    # A send whose chain of jobs was lost (its last job failed for good) gets a new job.
    lost = await staff.submitted()
    await staff.approve(lost)
    connection = await engine().get_new_connection()
    try:
        await connection.execute(
            "UPDATE procrastinate_jobs SET status = 'failed' WHERE args->>'campaign_id' = $1",
            str(lost),
        )
    finally:
        await connection.close()
    assert await run_due() == 1
    await run_worker()
    assert await staff.status(lost) == "sent"


# --- a real worker, killed -----------------------------------------------------------------------


class CampaignWorkers(Workers):
    def start_campaigns(self, name: str, **extra_env: str) -> subprocess.Popen[bytes]:
        """A `ctn worker` for the campaigns queue only (topic syncs left waiting)."""
        with (self.logs / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "backend",
                    "worker",
                    "--concurrency",
                    "1",
                    "--queue",
                    "campaigns",
                ],
                env={**self.env, **extra_env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.started.append(process)
        return process


@pytest.fixture
def campaign_workers(
    worker_env: dict[str, str], fcm_process: Fcm, tmp_path: Path
) -> Iterator[CampaignWorkers]:
    logs = tmp_path / "logs"
    logs.mkdir()
    started = CampaignWorkers({**worker_env, **fcm_process.env, "CTN_PUSH_BATCH_SIZE": "4"}, logs)
    try:
        yield started
    finally:
        started.stop_all()


async def test_a_worker_killed_mid_batch_is_replaced_and_every_device_gets_one_message(
    staff: Staff, fcm_process: Fcm, campaign_workers: CampaignWorkers
) -> None:
    standin = fcm_process.standin
    devices = await servants_with_devices(10)
    campaign_id = await staff.submitted(title="Chỉ thị phòng chống bão số 3")
    standin.hold()  # every request to FCM waits, unrecorded
    assert await staff.approve(campaign_id) == "approved"
    first = campaign_workers.start_campaigns("first")

    async def batch_in_flight() -> bool:
        assert first.poll() is None, "the first worker stopped"
        return standin.held() >= 4

    await wait_for(batch_in_flight, campaign_workers, "a batch held at FCM", timeout=60)
    assert await staff.status(campaign_id) == "sending"
    first.send_signal(signal.SIGKILL)
    first.wait()
    standin.release(drop=True)
    assert standin.messages() == []  # nothing of the killed run reached a phone

    # The minute's job finds the dead worker's job and puts it back in the queue.
    await run_due(stalled_seconds=0)
    campaign_workers.start_campaigns("second")

    async def sent() -> bool:
        return await staff.status(campaign_id) == "sent"

    await wait_for(sent, campaign_workers, "the campaign sent", timeout=90)
    # The second worker sent the killed run's claimed batch once more, then the rest.
    assert '"resent":true' in (campaign_workers.logs / "second.log").read_text()
    for device in devices:
        messages = standin.messages(device=device)
        assert len(messages) == 1, (device, campaign_workers.output())
        assert messages[0].collapse_key == str(campaign_id)
    async with unit_of_work():
        figures = await campaigns.campaign_analytics(staff.officer, campaign_id)
    assert figures.push.accepted == 10
    assert figures.push.pending == 0 and figures.push.failed == {}
