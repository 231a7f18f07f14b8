"""Existing articles take their last updater as their last content editor (for a draft, the
last person who edited it; conservative: they may not publish it)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-27T04:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "articles: fill last content editor"


class _Raw(Table):
    pass


async def _backfill() -> None:
    await _Raw.raw(
        "UPDATE articles SET content_edited_by = updated_by WHERE content_edited_by IS NULL"
    )


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="content", description=DESCRIPTION)
    manager.add_raw(_backfill)
    return manager
