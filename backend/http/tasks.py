"""Periodic clean-up of expired idempotency keys."""

from __future__ import annotations

import logging

from backend.http.service import do_purge_expired_keys
from backend.jobs import job_app, transactional
from backend.logs import log_fields

log = logging.getLogger(__name__)


@job_app.periodic(cron="17 * * * *")
@job_app.task(queue="maintenance", queueing_lock="purge_idempotency_keys", pass_context=False)
@transactional
async def purge_idempotency_keys(timestamp: int) -> None:
    deleted = await do_purge_expired_keys()
    log_fields(log, logging.INFO, "idempotency keys purged", deleted=deleted)
