"""Room for in-page (HOT) updates in the MOOC's three update-heavy tables: an attempt's
answers are rewritten at every save, a lesson's progress and its enrolment at every heartbeat,
and none of these updates touches an indexed column. With full pages (the default fill factor
of 100, and bulk loads) every such update writes a new entry in each of the table's indexes
(six on attempts); with room left in the page it is a heap-only tuple, and the page is pruned
on access without waiting for vacuum. Tables already filled keep their pages until rewritten."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T16:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "mooc: fill factor 80 on attempts, lesson progress and enrolments"

SQL = """
ALTER TABLE mooc_quiz_attempts SET (fillfactor = 80);
ALTER TABLE mooc_lesson_progress SET (fillfactor = 80);
ALTER TABLE mooc_enrolments SET (fillfactor = 80);
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="mooc", description=DESCRIPTION)

    async def fill_factor() -> None:
        await run_sql_script(SQL)

    manager.add_raw(fill_factor)
    return manager
