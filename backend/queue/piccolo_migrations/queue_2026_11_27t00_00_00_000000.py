"""Create procrastinate's schema (jobs, events, periodic defers, locks)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from procrastinate.schema import SchemaManager

ID = "2026-11-27T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "procrastinate job queue schema"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="queue", description=DESCRIPTION)

    async def create_schema() -> None:
        db = engine_finder()
        sql = SchemaManager.get_schema()
        transaction = db.current_transaction.get()
        if transaction is not None:
            # asyncpg runs a multi-statement script only through execute() without arguments.
            await transaction.connection.execute(sql)
        else:
            connection = await db.get_new_connection()
            try:
                await connection.execute(sql)
            finally:
                await connection.close()

    manager.add_raw(create_schema)
    return manager
