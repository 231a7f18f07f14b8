"""Indexes for the auditors' filters (actor, object)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T01:03:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit filter indexes"

SQL = """
CREATE INDEX audit_entries_by_actor ON audit_entries (actor_id, id);
CREATE INDEX audit_entries_by_object ON audit_entries (object_type, object_id, id);
CREATE INDEX audit_entries_by_action ON audit_entries (action, id);
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def create_indexes() -> None:
        await run_sql_script(SQL)

    manager.add_raw(create_indexes)
    return manager
