"""Idempotency records written before keys were hashed and credential routes left out held
the keys in clear, and token responses (access and refresh tokens) in their bodies: delete
them. None of them can match a request any more (keys are now looked up by their hash)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "forget idempotency records kept in clear"

SQL = """
DELETE FROM idempotency_keys;
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="http", description=DESCRIPTION)

    async def forget_records() -> None:
        await run_sql_script(SQL)

    manager.add_raw(forget_records)
    return manager
