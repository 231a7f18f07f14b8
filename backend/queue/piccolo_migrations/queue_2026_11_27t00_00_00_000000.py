"""Create procrastinate's schema (jobs, events, periodic defers, locks)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from backend.piccolo_apps import run_sql_script
from procrastinate.schema import SchemaManager

ID = "2026-11-27T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "procrastinate job queue schema"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="queue", description=DESCRIPTION)

    async def create_schema() -> None:
        await run_sql_script(SchemaManager.get_schema())

    manager.add_raw(create_schema)
    return manager
