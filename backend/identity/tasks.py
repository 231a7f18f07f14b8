"""Periodic clean-up of sign-in state nobody can use any more."""

from __future__ import annotations

import logging

from backend.identity.service import do_purge_expired
from backend.jobs import job_app, transactional
from backend.logs import log_fields
from backend.settings import get_settings

log = logging.getLogger(__name__)


@job_app.periodic(cron="*/10 * * * *")
@job_app.task(queue="maintenance", queueing_lock="purge_identity_state", pass_context=False)
@transactional
async def purge_identity_state(timestamp: int) -> None:
    """Expired login flows, handoff codes, refresh-token families and web sessions, and
    retired signing keys whose tokens have all expired."""
    counts = await do_purge_expired(get_settings())
    log_fields(log, logging.INFO, "identity state purged", **counts)
