"""Index the media library's keyset pages: an uploader's assets, and one purpose's assets,
newest first (GET /api/v1/media)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T05:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "media library indexes"

SQL = """
CREATE INDEX IF NOT EXISTS media_assets_uploader_newest
    ON media_assets (created_by, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS media_assets_purpose_newest
    ON media_assets (purpose, created_at DESC, id DESC);
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="content", description=DESCRIPTION)

    async def create_indexes() -> None:
        await run_sql_script(SQL)

    manager.add_raw(create_indexes)
    return manager
