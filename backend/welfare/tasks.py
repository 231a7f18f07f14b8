"""Background jobs of welfare status: an import, read and applied (all or nothing)."""

from __future__ import annotations

import uuid

from backend.jobs import job_app
from backend.settings import get_settings
from backend.welfare import imports


@job_app.task(queue="welfare", queueing_lock=None, pass_context=False)
async def run_welfare_import(import_id: str) -> None:
    """Runs its own units of work (the import's, then its outcome's), so it is not
    `@transactional`: a failed import is recorded as failed, not rolled back with it."""
    await imports.run_import(get_settings(), uuid.UUID(import_id))
