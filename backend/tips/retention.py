"""Retention of crime reports: what a closed report said is purged once its time is up.

How long depends on the outcome (`CTN_TIPS_RETENTION_<OUTCOME>_DAYS`: unfounded reports one
year, the others five by default), counted from closing; a reopened report is not closed, so
it is not counted down. The purge deletes the report's messages and files (their rows, and
their objects in storage once the purge commits), clears its sealed content and its wrapped
data key — so whatever could not be deleted, a stray object or a backup, can no longer be
opened — and what tied it to its reporter (the person of a confidential report, the receipt
hash of an anonymous one), and strips the sealed texts from its history. The row stays with
its columns in clear for the statistics, marked `purged_at`; an event `purge` is added to its
history and each purge is audited (`tip.purge`, actor none: the system).

`purge_due_tips` runs periodically (`CTN_TIPS_RETENTION_CRON`, daily by default) in batches,
each batch one unit of work, locked row by row so that two workers never purge the same
report; it goes on until nothing is due.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import croniter  # type: ignore[import-untyped]  # croniter ships no type information
import msgspec

from backend.audit.service import do_record
from backend.db import after_commit, unit_of_work
from backend.jobs import job_app
from backend.logs import log_fields
from backend.settings import Settings, SettingsError, get_settings
from backend.tips import police_repository
from backend.tips.workflow import Outcome
from content.service import get_storage

log = logging.getLogger(__name__)

BATCH = 100


def retention_days(settings: Settings) -> dict[str, int]:
    return {
        Outcome.RESOLVED: settings.tips_retention_resolved_days,
        Outcome.UNFOUNDED: settings.tips_retention_unfounded_days,
        Outcome.TRANSFERRED: settings.tips_retention_transferred_days,
        Outcome.DUPLICATE: settings.tips_retention_duplicate_days,
    }


def cutoffs(settings: Settings, now: datetime) -> dict[str, datetime]:
    """For each outcome, reports closed before this time are due."""
    return {
        str(outcome): now - timedelta(days=days)
        for outcome, days in retention_days(settings).items()
    }


class PurgeResult(msgspec.Struct, frozen=True, kw_only=True):
    purged: list[str]
    """References of the reports purged."""
    objects: int
    """Storage objects deleted after commit (or to be, when run inside a caller's unit)."""


async def do_purge_due(
    settings: Settings, *, now: datetime | None = None, limit: int = BATCH
) -> PurgeResult:
    """Purge up to `limit` reports whose retention is over, in the caller's transaction; the
    storage objects are deleted after it commits (a failed delete leaves an object nobody can
    open: its key is gone)."""
    now = now or datetime.now(UTC)
    days = retention_days(settings)
    due = await police_repository.due_for_purge(cutoffs(settings, now), limit)
    keys: list[str] = []
    for tip in due:
        files = await police_repository.purge_content(tip.id, now)
        keys += files.keys
        await police_repository.insert_event(
            tip.id,
            actor_id=None,
            action="purge",
            from_status="closed",
            to_status="closed",
            detail={"attachments": files.attachments, "messages": files.messages},
            at=now,
        )
        await do_record(
            "tip.purge",
            actor_id=None,
            object_type="tip",
            object_id=str(tip.id),
            reason="retention period over",
            details={
                "reference": tip.reference,
                "outcome": tip.outcome,
                "closed_at": tip.closed_at.isoformat(),
                "retention_days": days.get(tip.outcome or Outcome.RESOLVED),
                "attachments": files.attachments,
                "messages": files.messages,
                "objects": len(files.keys),
            },
        )
    if keys:

        async def remove() -> None:
            store = get_storage(settings)
            for key in keys:
                try:
                    await store.delete(key)
                except Exception:  # logged; without its key the object cannot be opened
                    log_fields(log, logging.WARNING, "purged object not deleted", key=key)

        await after_commit(remove)
    return PurgeResult(purged=[t.reference for t in due], objects=len(keys))


async def purge_all_due(settings: Settings, *, now: datetime | None = None) -> int:
    """Batch after batch (each its own unit of work) until nothing is due; how many."""
    total = 0
    while True:
        async with unit_of_work():
            result = await do_purge_due(settings, now=now)
        total += len(result.purged)
        if len(result.purged) < BATCH:
            return total


# The periodic task's schedule is fixed when the worker registers it, at import.
_CRON = get_settings().tips_retention_cron
if not croniter.croniter.is_valid(_CRON):
    raise SettingsError("CTN_TIPS_RETENTION_CRON", "is not a valid cron expression")


@job_app.periodic(cron=_CRON)
@job_app.task(queue="maintenance", queueing_lock="purge_due_tips", pass_context=False)
async def purge_due_tips(timestamp: int) -> None:
    """Purge the reports whose retention is over (see the module's docstring)."""
    count = await purge_all_due(get_settings())
    log_fields(log, logging.INFO, "tips purged", count=count)
