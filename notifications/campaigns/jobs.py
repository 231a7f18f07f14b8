"""Background jobs of campaigns: sending, batch after batch, and the minute's look for
campaigns due, stalled or without a job.

(Named `jobs.py`, not `tasks.py`: `backend.domains` registers one tasks module per domain,
`notifications.tasks`, which imports this module so the worker knows its tasks.)

`send_campaign` does one step of a campaign (start it if due, then one batch of devices, or
all its broadcast messages in chunks) and defers the next step. Jobs of one campaign take the
lock `campaign-send:<id>`: procrastinate runs them one at a time, so rows a job finds left
`sending` were left by a run that died (in doubt), never by one still running. A worker killed
mid-batch leaves its job `doing`; `start_due_campaigns` hands it back to the queue once the
worker has missed its heartbeats, and the job's next run sends the in-doubt rows once more.
A sending campaign whose chain of jobs was lost (a job that failed for good, or a deferral
lost with its process) gets a new job from it too.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import procrastinate

from backend.db import unit_of_work
from backend.jobs import defer, job_app
from backend.logs import log_fields
from backend.settings import Settings, get_settings
from notifications import push
from notifications.campaigns import repository, sending
from notifications.campaigns.schemas import CampaignStatus
from notifications.push import PushGateway

log = logging.getLogger(__name__)

QUEUE = "campaigns"
SEND_RETRY = procrastinate.RetryStrategy(max_attempts=8, exponential_wait=2)
STALLED_SECONDS = 30.0
"""A worker silent this long is dead (procrastinate's workers beat every 10 s)."""
TOPIC_CHUNK = 50
DUE_CRON = "* * * * *"

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def lock_of(campaign_id: uuid.UUID | str) -> str:
    return f"campaign-send:{campaign_id}"


@dataclass(frozen=True)
class Step:
    state: str
    """`batch` (more to send: defer the next step), `finished` (sent), `not_due`, `stopped`
    (cancelled, or nothing to send), `gone`."""
    after: str | None = None
    """Where the next batch of devices starts."""
    sent: int = 0


async def run_send_step(
    settings: Settings,
    campaign_id: uuid.UUID,
    *,
    gateway: PushGateway,
    after: str | None = None,
    now: Clock = _utcnow,
) -> Step:
    """One step of sending a campaign; each claim, result and status change is committed in
    its own unit of work, none is open while FCM answers."""
    async with unit_of_work():
        started = await sending.do_start(settings, campaign_id, now())
    if started.state != "sending":
        return Step(started.state)
    assert started.row is not None
    if sending.is_public(started.row):
        return await _broadcast(campaign_id, gateway=gateway, now=now)
    async with unit_of_work():
        batch = await sending.do_claim_devices(settings, campaign_id, after=after, now=now())
    if batch is None:
        return Step("stopped")
    if not batch.claims:
        async with unit_of_work():
            finished = await sending.do_finish(campaign_id, now())
        return Step("finished" if finished else "stopped")
    results = await gateway.send_to_devices(sending.device_sends(batch))
    async with unit_of_work():
        report = await sending.do_record_devices(campaign_id, batch.claims, results, now())
    log_fields(
        log,
        logging.INFO,
        "campaign batch sent",
        campaign_id=str(campaign_id),
        accepted=report.accepted,
        failed=report.failed,
        gone=report.gone,
        resent=batch.resent,
    )
    return Step(
        "batch",
        after=after if batch.resent else batch.claims[-1].installation_id,
        sent=len(batch.claims),
    )


async def _broadcast(campaign_id: uuid.UUID, *, gateway: PushGateway, now: Clock) -> Step:
    sent = 0
    while True:
        async with unit_of_work():
            chunk = await sending.do_claim_topics(campaign_id, size=TOPIC_CHUNK, now=now())
        if chunk is None:
            return Step("stopped", sent=sent)
        if not chunk.targets:
            async with unit_of_work():
                finished = await sending.do_finish(campaign_id, now())
            return Step("finished" if finished else "stopped", sent=sent)
        results = await sending.send_topic_chunk(gateway, chunk)
        async with unit_of_work():
            await sending.do_record_topics(campaign_id, chunk.targets, results, now())
        sent += len(chunk.targets)


async def run_until_done(
    settings: Settings,
    campaign_id: uuid.UUID,
    *,
    gateway: PushGateway,
    now: Clock = _utcnow,
) -> Step:
    """Every step of a campaign in this process, one after another (demo data, tests): what
    the chain of jobs does."""
    after: str | None = None
    while True:
        step = await run_send_step(settings, campaign_id, gateway=gateway, after=after, now=now)
        if step.state != "batch":
            return step
        after = step.after


# --- the jobs ---------------------------------------------------------------------------------


@job_app.task(queue=QUEUE, retry=SEND_RETRY)
async def send_campaign(campaign_id: str, after: str | None = None) -> None:
    """One step of a campaign, then the next step deferred."""
    settings = get_settings()
    step = await run_send_step(
        settings, uuid.UUID(campaign_id), gateway=push.gateway(settings), after=after
    )
    if step.state == "batch":
        await defer_send(uuid.UUID(campaign_id), after=step.after)
    elif step.state == "finished":
        log_fields(log, logging.INFO, "campaign sent", campaign_id=campaign_id)


async def defer_send(campaign_id: uuid.UUID, *, after: str | None = None) -> None:
    """`send_campaign` for this campaign, once the current transaction commits."""
    await defer(
        send_campaign.configure(lock=lock_of(campaign_id)),
        campaign_id=str(campaign_id),
        after=after,
    )


async def recover_stalled_send_jobs(seconds_since_heartbeat: float = STALLED_SECONDS) -> int:
    """Put back in the queue the sending jobs of workers silent for that long."""
    manager = job_app.job_manager
    stalled = await manager.get_stalled_jobs(
        task_name=send_campaign.name, seconds_since_heartbeat=seconds_since_heartbeat
    )
    count = 0
    for job in stalled:
        await manager.retry_job(job)
        count += 1
    return count


async def _has_job(campaign_id: uuid.UUID) -> bool:
    for status in ("todo", "doing"):
        if list(
            await job_app.job_manager.list_jobs_async(lock=lock_of(campaign_id), status=status)
        ):
            return True
    return False


async def run_due(now: datetime | None = None, *, stalled_seconds: float = STALLED_SECONDS) -> int:
    """Requeue the sending jobs of workers silent for `stalled_seconds`, and give a job to
    every campaign that is due, or sending, and has none waiting or running. How many jobs
    were deferred."""
    recovered = await recover_stalled_send_jobs(stalled_seconds)
    if recovered:
        log_fields(log, logging.WARNING, "stalled campaign jobs requeued", count=recovered)
    async with unit_of_work():
        ids = [
            *await repository.due(now or _utcnow()),
            *await repository.ids_with_status(str(CampaignStatus.SENDING)),
        ]
    deferred = 0
    for campaign_id in ids:
        if not await _has_job(campaign_id):
            await defer_send(campaign_id)
            deferred += 1
    return deferred


@job_app.periodic(cron=DUE_CRON)
@job_app.task(queue=QUEUE, queueing_lock="start_due_campaigns", pass_context=False)
async def start_due_campaigns(timestamp: int) -> None:
    """Every minute: campaigns whose time has come start (and lost sends resume)."""
    deferred = await run_due()
    if deferred:
        log_fields(log, logging.INFO, "campaign sends deferred", count=deferred)
