"""Re-synchronise administrative units from the installed package."""

from __future__ import annotations

import logging

import msgspec

from backend.geo.service import do_sync_units
from backend.jobs import DEFAULT_RETRY, job_app, transactional
from backend.logs import log_fields

log = logging.getLogger(__name__)


@job_app.task(queue="maintenance", queueing_lock="sync_admin_units", retry=DEFAULT_RETRY)
@transactional
async def sync_admin_units(province_code: str) -> None:
    report = await do_sync_units(province_code)
    log_fields(
        log, logging.INFO, "administrative units synchronised", **msgspec.to_builtins(report)
    )
