"""Background jobs of campaigns: sending, range by range, and the minute's look for campaigns
due, stalled or without a job.

(Named `jobs.py`, not `tasks.py`: `backend.domains` registers one tasks module per domain,
`notifications.tasks`, which imports this module so the worker knows its tasks.)

`send_campaign` without a range starts a campaign if it is due. A broadcast then sends all its
condition messages, in chunks. A device-by-device campaign is split into up to
`CTN_PUSH_SEND_PARTS` ranges of installation ids, each sent by a chain of jobs of its own (lock
`campaign-send:<id>:<n>`), so several workers (and a worker's concurrent jobs) share one
campaign. A range's job sends batch after batch for up to `STEP_SECONDS`, then defers its own
continuation: jobs of one range run one at a time, so rows of a range a job finds left `sending`
were left by a run that died (in doubt), never by one still running. A worker killed mid-batch
leaves its job `doing`; `start_due_campaigns` hands it back to the queue once the worker has
missed its heartbeats, and the job's next run sends the in-doubt rows once more. The range that
finishes last (nothing in flight, in doubt or unclaimed in any range) marks the campaign sent.
A sending campaign whose jobs were all lost (a job that failed for good, or a deferral lost
with its process) gets a new start from it too, which splits what is left again.
"""

from __future__ import annotations

import logging
import time
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
STEP_SECONDS = 60.0
"""How long one job of a range sends before it hands over to its continuation (other
campaigns' jobs get a turn between)."""

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def lock_of(campaign_id: uuid.UUID | str, part: int | None = None) -> str:
    base = f"campaign-send:{campaign_id}"
    return base if part is None else f"{base}:{part}"


@dataclass(frozen=True)
class Step:
    state: str
    """`batch` (more to send in this range), `finished` (sent), `range_done` (this range is
    done, another is still at work), `not_due`, `stopped` (cancelled, or nothing to send),
    `gone`."""
    after: str | None = None
    """Where the next batch of devices starts."""
    sent: int = 0


async def run_send_step(
    settings: Settings,
    campaign_id: uuid.UUID,
    *,
    gateway: PushGateway,
    after: str | None = None,
    until: str | None = None,
    now: Clock = _utcnow,
) -> Step:
    """One step of sending a campaign: start it if due, then one batch of devices of the range
    (after, until] (the whole campaign by default), or all of a broadcast. Each claim, result
    and status change is committed in its own unit of work, none is open while FCM answers."""
    async with unit_of_work():
        started = await sending.do_start(settings, campaign_id, now())
    if started.state != "sending":
        return Step(started.state)
    assert started.row is not None
    if sending.is_public(started.row):
        return await _broadcast(campaign_id, gateway=gateway, now=now)
    async with unit_of_work():
        batch = await sending.do_claim_devices(
            settings, campaign_id, after=after, until=until, now=now()
        )
    if batch is None:
        return Step("stopped")
    if not batch.claims and batch.scanned_to is not None:
        return Step("batch", after=batch.scanned_to)  # all claimed before: go on after them
    if not batch.claims:
        async with unit_of_work():
            finished = await sending.do_finish_if_done(campaign_id, now())
        if finished is None:
            return Step("range_done")
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
        after=after if batch.resent else batch.scanned_to,
        sent=len(batch.claims),
    )


async def run_range(
    settings: Settings,
    campaign_id: uuid.UUID,
    *,
    gateway: PushGateway,
    after: str | None,
    until: str | None,
    now: Clock = _utcnow,
    seconds: float | None = None,
) -> Step:
    """Batches of the range one after another, for up to `seconds` (None: until it is done).
    A `batch` step returned says where the range goes on."""
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        step = await run_send_step(
            settings, campaign_id, gateway=gateway, after=after, until=until, now=now
        )
        if step.state != "batch":
            return step
        after = step.after
        if deadline is not None and time.monotonic() >= deadline:
            return step


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
    """Every step of a campaign in this process, range after range (demo data, tests): what
    the jobs do side by side."""
    started = await _start(settings, campaign_id, gateway=gateway, now=now)
    if isinstance(started, Step):
        return started
    for after, until in _ranges(started):
        step = await run_range(
            settings, campaign_id, gateway=gateway, after=after, until=until, now=now
        )
        if step.state != "range_done":
            return step  # finished (nothing left anywhere), or stopped
    return step


async def _start(
    settings: Settings, campaign_id: uuid.UUID, *, gateway: PushGateway, now: Clock
) -> Step | list[str]:
    """Start the campaign if it is due. A broadcast is sent whole (its final step returned);
    a device campaign answers the first ids of its ranges, fixed when it started (the same
    whenever this runs again, so a repeated start defers the same ranges under the same
    locks)."""
    async with unit_of_work():
        started = await sending.do_start(settings, campaign_id, now())
    if started.state != "sending":
        return Step(started.state)
    assert started.row is not None
    if sending.is_public(started.row):
        return await _broadcast(campaign_id, gateway=gateway, now=now)
    return list(started.row.send_ranges)


def _ranges(starts: list[str]) -> list[tuple[str | None, str | None]]:
    """(after, until] bounds from the first ids s0 < s1 < … of the ranges: (None, s1],
    (s1, s2], …, (s_last, None) — every id exactly once, and ids claimed later (a device
    registered meanwhile) too."""
    bounds: list[str | None] = [None, *starts[1:]]
    return [
        (after, bounds[index + 1] if index + 1 < len(bounds) else None)
        for index, after in enumerate(bounds)
    ]


# --- the jobs ---------------------------------------------------------------------------------


@job_app.task(queue=QUEUE, retry=SEND_RETRY)
async def send_campaign(
    campaign_id: str,
    after: str | None = None,
    until: str | None = None,
    part: int | None = None,
) -> None:
    """Without `part`: start the campaign (if due) and send a broadcast, or split a device
    campaign into ranges, each a chain of `send_campaign` jobs with its `part`. With `part`:
    send the range (after, until] for up to STEP_SECONDS, then defer the rest."""
    settings = get_settings()
    gateway = push.gateway(settings)
    campaign = uuid.UUID(campaign_id)
    if part is None:
        started = await _start(settings, campaign, gateway=gateway, now=_utcnow)
        if isinstance(started, Step):
            if started.state == "finished":
                log_fields(log, logging.INFO, "campaign sent", campaign_id=campaign_id)
            return
        async with unit_of_work():
            for index, (first, last) in enumerate(_ranges(started)):
                await defer_send(campaign, after=first, until=last, part=index)
        return
    step = await run_range(
        settings,
        campaign,
        gateway=gateway,
        after=after,
        until=until,
        seconds=STEP_SECONDS,
    )
    if step.state == "batch":
        await defer_send(campaign, after=step.after, until=until, part=part)
    elif step.state == "finished":
        log_fields(log, logging.INFO, "campaign sent", campaign_id=campaign_id)


async def defer_send(
    campaign_id: uuid.UUID,
    *,
    after: str | None = None,
    until: str | None = None,
    part: int | None = None,
) -> None:
    """`send_campaign` for this campaign (or one of its ranges), once the current
    transaction commits."""
    await defer(
        send_campaign.configure(lock=lock_of(campaign_id, part)),
        campaign_id=str(campaign_id),
        after=after,
        until=until,
        part=part,
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
    """A job of the campaign waits or runs: its start, or one of its ranges."""
    locks = [lock_of(campaign_id)] + [
        lock_of(campaign_id, part) for part in range(get_settings().push_send_parts)
    ]
    for lock in locks:
        for status in ("todo", "doing"):
            if list(await job_app.job_manager.list_jobs_async(lock=lock, status=status)):
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
