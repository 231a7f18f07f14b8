"""The police side's constraints and indexes: one duty-roster row per unit and person (rows
go with their unit or person), the queue's index by unit and status, and the retention
purge's index over closed reports not yet purged."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T12:14:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "tips: duty roster constraints, queue and retention indexes"

SQL = """
ALTER TABLE tip_duty ADD CONSTRAINT tip_duty_unit_person UNIQUE (unit_code, person_id);
ALTER TABLE tip_duty ADD CONSTRAINT tip_duty_unit_fk
    FOREIGN KEY (unit_code) REFERENCES police_units (code) ON UPDATE CASCADE ON DELETE CASCADE;
ALTER TABLE tip_duty ADD CONSTRAINT tip_duty_person_fk
    FOREIGN KEY (person_id) REFERENCES persons (id) ON DELETE CASCADE;
ALTER TABLE tip_duty ADD CONSTRAINT tip_duty_set_by_fk
    FOREIGN KEY (set_by) REFERENCES persons (id) ON DELETE SET NULL;
CREATE INDEX tips_unit_status_created ON tips (unit_code, status, created_at);
CREATE INDEX tips_retention_due ON tips (closed_at)
    WHERE status = 'closed' AND purged_at IS NULL;
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tips", description=DESCRIPTION)

    async def constraints() -> None:
        await run_sql_script(SQL)

    manager.add_raw(constraints)
    return manager
