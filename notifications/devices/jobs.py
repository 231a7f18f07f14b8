"""Background jobs of devices: topic sync per device, the full re-sync spread over workers,
pruning devices not seen for months.

(Named `jobs.py`, not `tasks.py`: `backend.domains` registers one tasks module per domain,
`notifications.tasks`, which imports this module so the worker knows its tasks.)

Every job touching one installation's topics takes the lock `device-topics:<id>`:
procrastinate runs jobs of one lock one at a time, in the order they were deferred, so a
sign-out's unsubscription, a registration's sync and a settings change's sync apply in order.
A sync job also has a queueing lock: while one waits, deferring another adds nothing (the
waiting one reads the settings when it runs).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from procrastinate.exceptions import AlreadyEnqueued

from backend.db import unit_of_work
from backend.jobs import DEFAULT_RETRY, defer, job_app
from backend.logs import log_fields
from backend.settings import get_settings
from notifications import push
from notifications.devices import service
from notifications.devices.errors import TopicSyncIncomplete
from notifications.devices.service import TopicPlan
from notifications.push import PushGateway

log = logging.getLogger(__name__)

QUEUE = "topics"
RESYNC_BATCH = 1000
PRUNE_CRON = "17 20 * * *"
"""Daily at 20:17 UTC, 03:17 in Thái Nguyên (Asia/Ho_Chi_Minh): the quietest hour."""


def lock_of(installation_id: str) -> str:
    return f"device-topics:{installation_id}"


class _Quietly:
    """A configured task whose deferral is dropped when an identical job already waits."""

    def __init__(self, task: Any) -> None:
        self.task = task

    async def defer_async(self, **kwargs: Any) -> None:
        with contextlib.suppress(AlreadyEnqueued):
            await self.task.defer_async(**kwargs)


def _gateway() -> PushGateway:
    return push.gateway(get_settings())


# --- one device -------------------------------------------------------------------------------


@job_app.task(queue=QUEUE, retry=DEFAULT_RETRY)
async def sync_device_topics(installation_id: str) -> None:
    """Bring one device's FCM topics in step with its person's settings."""
    await run_topic_sync(_gateway(), installation_id)


async def defer_sync(installation_id: str) -> None:
    """`sync_device_topics` for this device, after the current transaction commits."""
    task = sync_device_topics.configure(
        lock=lock_of(installation_id), queueing_lock=f"sync-{lock_of(installation_id)}"
    )
    await defer(_Quietly(task), installation_id=installation_id)


async def run_topic_sync(gateway: PushGateway, installation_id: str) -> list[str]:
    """The job's body: plan (one unit), FCM (no transaction), record (one unit). Raises
    `TopicSyncIncomplete` when FCM refused something for a reason other than the device being
    gone (procrastinate retries the job); the topics changed, as `+topic`/`-topic`."""
    async with unit_of_work():
        plan = await service.plan_topic_sync(installation_id)
    if plan is None:
        return []
    results = await service.apply_topic_plans(gateway, [plan])
    async with unit_of_work():
        failures = await service.do_record_topic_results([plan], results)
    if failures:
        raise TopicSyncIncomplete("; ".join(failures))
    [result] = results
    return sorted(f"+{t}" for t in result.subscribed) + sorted(f"-{t}" for t in result.unsubscribed)


@job_app.task(queue=QUEUE, retry=DEFAULT_RETRY)
async def unsubscribe_device_topics(installation_id: str, topics: list[str]) -> None:
    """Unsubscribe a device that signed out (or lost its row) from these topics."""
    await run_unsubscribe(_gateway(), installation_id, topics)


async def defer_unsubscribe(installation_id: str, topics: Sequence[str]) -> None:
    task = unsubscribe_device_topics.configure(lock=lock_of(installation_id))
    await defer(task, installation_id=installation_id, topics=sorted(topics))


async def run_unsubscribe(gateway: PushGateway, installation_id: str, topics: list[str]) -> None:
    plan = TopicPlan(
        installation_id=installation_id,
        current=frozenset(topics),
        wanted=frozenset(),
        subscribe=frozenset(),
        unsubscribe=frozenset(topics),
    )
    [result] = await service.apply_topic_plans(gateway, [plan])
    async with unit_of_work():
        failures = await service.do_record_unsubscribed(result)
    if failures:
        raise TopicSyncIncomplete("; ".join(failures))


# --- every device -----------------------------------------------------------------------------


@job_app.task(queue=QUEUE, retry=DEFAULT_RETRY)
async def resync_topics(
    after_installation_id: str, batch: int = RESYNC_BATCH, until_installation_id: str | None = None
) -> None:
    """Re-sync one batch of devices (ids after `after_installation_id`, up to
    `until_installation_id`), then defer the next batch of the same range."""
    await run_resync_batch(_gateway(), after_installation_id, batch, until_installation_id)


async def run_resync_batch(
    gateway: PushGateway, after: str, batch: int, until: str | None
) -> tuple[int, str | None]:
    """One batch: every wanted subscription asserted again, stale ones removed; the next batch
    deferred in the same unit that records this one, so a retried batch never forks the chain.
    How many devices, and where the next batch starts (None: the range is done)."""
    async with unit_of_work():
        plans, next_after = await service.plan_topic_resync(after, until, batch)
    results = await service.apply_topic_plans(gateway, plans)
    async with unit_of_work():
        failures = await service.do_record_topic_results(plans, results)
        if next_after is not None:
            await defer(
                resync_topics,
                after_installation_id=next_after,
                batch=batch,
                until_installation_id=until,
            )
    if failures:
        # The batch is not retried as a whole (that would re-send its thousands of requests);
        # the devices left out of step are marked so, and their next registration syncs them.
        log_fields(log, logging.WARNING, "topic re-sync failures", count=len(failures))
    return len(plans), next_after


@job_app.task(queue=QUEUE, retry=DEFAULT_RETRY)
async def launch_topic_resync(parts: int = 4, batch: int = RESYNC_BATCH) -> None:
    """Start a full re-sync of every device as `parts` ranges of about equal size, each a
    chain of batches, so that that many workers share it."""
    await launch_resync(parts, batch)


async def launch_resync(parts: int, batch: int) -> int:
    """Defer one chain of batches per range (after commit); how many ranges. With the first
    ids s0 < s1 < … of the ranges, the chains cover ("", s1], (s1, s2], …, (s_last, ∞): every
    device exactly once."""
    async with unit_of_work():
        starts = await service.range_starts(max(1, parts))
        if not starts:
            return 0
        bounds = ["", *starts[1:]]
        for index, after in enumerate(bounds):
            until = bounds[index + 1] if index + 1 < len(bounds) else None
            await defer(
                resync_topics,
                after_installation_id=after,
                batch=batch,
                until_installation_id=until,
            )
    return len(bounds)


# --- pruning ----------------------------------------------------------------------------------


@job_app.periodic(cron=PRUNE_CRON)
@job_app.task(queue="maintenance", queueing_lock="prune_stale_devices", pass_context=False)
async def prune_stale_devices(timestamp: int) -> None:
    """Delete devices not refreshed for `CTN_DEVICE_STALE_DAYS` (270), in batches."""
    total = await run_prune()
    if total:
        log_fields(log, logging.INFO, "stale devices pruned", count=total)


async def run_prune(batch: int = 5000) -> int:
    settings = get_settings()
    total = 0
    while True:
        async with unit_of_work():
            deleted = await service.do_prune_stale_devices(settings, limit=batch)
        total += deleted
        if deleted < batch:
            return total
