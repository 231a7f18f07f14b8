"""Constraints the table definitions cannot say: one person per (issuer, subject), one grant
per (person, role)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T01:04:38:000000"
VERSION = "1.38.0"
DESCRIPTION = "identity unique keys"

SQL = """
CREATE UNIQUE INDEX persons_issuer_subject ON persons (issuer, subject)
    WHERE subject IS NOT NULL;
CREATE UNIQUE INDEX role_grants_person_role ON role_grants (person, role);
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="identity", description=DESCRIPTION)

    async def create_constraints() -> None:
        await run_sql_script(SQL)

    manager.add_raw(create_constraints)
    return manager
