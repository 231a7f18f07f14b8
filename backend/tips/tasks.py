"""Background jobs of crime reports (the citizen's side): expired counters and spent
challenges deleted."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from backend.jobs import job_app, transactional
from backend.logs import log_fields
from backend.tips import repository
from backend.tips import retention as retention  # the police side's retention purge (periodic)

log = logging.getLogger(__name__)


@job_app.periodic(cron="*/5 * * * *")
@job_app.task(queue="maintenance", queueing_lock="purge_tip_counters", pass_context=False)
@transactional
async def purge_tip_counters(timestamp: int) -> None:
    """Counters whose window is over (the keyed hashes of client addresses go with them) and
    proof-of-work challenges past their expiry."""
    counts = await repository.delete_expired(datetime.now(UTC))
    log_fields(log, logging.INFO, "tip counters purged", **counts)
