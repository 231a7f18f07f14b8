"""Background processing of uploaded videos and audio.

A transcode can take minutes, so the job holds no transaction while it runs: it claims the
asset, reports progress and publishes the result each in its own short unit of work. Each
run writes into its own directory and publishes only if it still owns the asset, so a
duplicated or retried job cannot corrupt a result. A worker killed mid-transcode leaves its
job `doing`; `recover_stalled_media_jobs` hands it back to the queue and the next run starts
over (removing what the dead run left).
"""

from __future__ import annotations

import logging
import uuid

import croniter  # type: ignore[import-untyped]  # croniter ships no type information
import procrastinate

from backend.db import unit_of_work
from backend.jobs import job_app
from backend.logs import log_fields
from backend.settings import SettingsError, get_settings
from content import pipeline
from content.errors import MediaProcessingFailed

log = logging.getLogger(__name__)

MEDIA_RETRY = procrastinate.RetryStrategy(max_attempts=4, exponential_wait=5)
# The periodic task's schedule is fixed when the worker registers it, at import.
_RECOVERY = get_settings()
if not croniter.croniter.is_valid(_RECOVERY.media_recovery_cron):
    raise SettingsError("CTN_MEDIA_RECOVERY_CRON", "is not a valid cron expression")


async def run_processing(asset_id: uuid.UUID, *, last_attempt: bool = True) -> str:
    """Process one asset: `skipped` (nothing to do), `ready`, `failed` or `lost` (another
    run took over). Transient errors propagate, unless this is the last attempt."""
    settings = get_settings()
    async with unit_of_work():
        claim = await pipeline.do_claim_processing(asset_id)
    if claim is None:
        return "skipped"
    if claim.previous_run is not None:
        await pipeline.discard_run_outputs(settings, claim.asset_id, claim.previous_run)
    reported = 0

    async def progress(fraction: float) -> None:
        nonlocal reported
        percent = int(fraction * 100)
        if percent >= reported + 5:
            reported = percent
            async with unit_of_work():
                await pipeline.do_report_progress(claim, min(percent, 99))

    try:
        produced = await pipeline.produce_renditions(settings, claim, progress)
    except MediaProcessingFailed as error:
        async with unit_of_work():
            await pipeline.do_fail_processing(settings, claim, error)
        return "failed"
    except Exception:
        if not last_attempt:
            raise
        log.exception("media processing gave up")
        async with unit_of_work():
            await pipeline.do_fail_processing(settings, claim, pipeline.transient_failure())
        return "failed"
    async with unit_of_work():
        published = await pipeline.do_publish(settings, claim, produced)
    log_fields(log, logging.INFO, "media processed", published=published)
    return "ready" if published else "lost"


@job_app.task(queue="media", retry=MEDIA_RETRY, pass_context=True)
async def process_media(context: procrastinate.JobContext, asset_id: str) -> None:
    attempts = context.job.attempts if context.job is not None else 0
    await run_processing(
        uuid.UUID(asset_id), last_attempt=attempts + 1 >= (MEDIA_RETRY.max_attempts or 1)
    )


async def recover_stalled_jobs(seconds_since_heartbeat: float | None = None) -> int:
    """Put back in the queue the media jobs whose worker stopped sending heartbeats for
    `seconds_since_heartbeat` (default `CTN_MEDIA_STALLED_SECONDS`)."""
    if seconds_since_heartbeat is None:
        seconds_since_heartbeat = get_settings().media_stalled_seconds
    manager = job_app.job_manager
    stalled = await manager.get_stalled_jobs(
        task_name=process_media.name, seconds_since_heartbeat=seconds_since_heartbeat
    )
    count = 0
    for job in stalled:
        await manager.retry_job(job)
        count += 1
    return count


@job_app.periodic(cron=_RECOVERY.media_recovery_cron)
@job_app.task(queue="maintenance", queueing_lock="recover_stalled_media_jobs", pass_context=False)
async def recover_stalled_media_jobs(timestamp: int) -> None:
    recovered = await recover_stalled_jobs()
    if recovered:
        log_fields(log, logging.WARNING, "stalled media jobs requeued", count=recovered)
