"""Only civil servants' grants carry a department or the manager flag; the members' lookup of
mandatory training (role, agency, department) is one index scan."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T15:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "role grants: department and manager only for civil servants; members index"

SQL = """
ALTER TABLE role_grants ADD CONSTRAINT role_grants_civil_servant_scope_check
    CHECK (role = 'civil_servant' OR (department IS NULL AND NOT manager));
CREATE INDEX role_grants_role_agency_department ON role_grants (role, agency, department);
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="identity", description=DESCRIPTION)

    async def constraints() -> None:
        await run_sql_script(SQL)

    manager.add_raw(constraints)
    return manager
