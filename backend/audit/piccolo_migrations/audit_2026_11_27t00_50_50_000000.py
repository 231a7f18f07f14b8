"""Make the audit log append-only: UPDATE, DELETE and TRUNCATE raise."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T00:50:50:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit log append-only trigger"

SQL = """
CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_entries_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
CREATE TRIGGER audit_entries_no_truncate
    BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only();
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def create_triggers() -> None:
        await run_sql_script(SQL)

    manager.add_raw(create_triggers)
    return manager
