"""Sign-in throttle counters are UNLOGGED: written on every sign-in request, worth no WAL
(nor replication), and losing them in a crash only forgets a minute of counting."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T04:43:49:000000"
VERSION = "1.38.0"
DESCRIPTION = "throttle counters unlogged"

SQL = """
ALTER TABLE throttle_counters SET UNLOGGED;
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="identity", description=DESCRIPTION)

    async def set_unlogged() -> None:
        await run_sql_script(SQL)

    manager.add_raw(set_unlogged)
    return manager
