"""One Piccolo app per domain, all configured the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from piccolo.conf.apps import AppConfig, table_finder


def domain_app(app_name: str, piccolo_app_file: str, tables_module: str | None) -> AppConfig:
    """The AppConfig of a domain whose migrations sit beside its `piccolo_app.py`."""
    return AppConfig(
        app_name=app_name,
        migrations_folder_path=str(Path(piccolo_app_file).resolve().parent / "piccolo_migrations"),
        table_classes=(
            table_finder(modules=[tables_module], exclude_imported=True) if tables_module else []
        ),
        migration_dependencies=[],
        commands=[],
    )


async def run_sql_script(sql: str) -> None:
    """Run a multi-statement script from a raw migration, inside the migration's transaction
    when there is one (asyncpg runs scripts only through execute() without arguments)."""
    from piccolo.engine import engine_finder

    db: Any = engine_finder()
    transaction = db.current_transaction.get()
    if transaction is not None:
        await transaction.connection.execute(sql)
        return
    connection = await db.get_new_connection()
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


RENAMED_APPS = {"mobile_bridge": "http"}
"""Piccolo apps that were renamed (old name → new): their applied migrations are recorded
under the old name in databases migrated before the rename."""


async def adopt_renamed_apps() -> None:
    """Record the applied migrations of renamed apps under their new names, so that
    `ctn migrate` does not apply them again. Idempotent; nothing to do on a new database."""
    from piccolo.engine import engine_finder

    db: Any = engine_finder()
    connection = await db.get_new_connection()
    try:
        if await connection.fetchval("SELECT to_regclass('migration') IS NOT NULL"):
            for old, new in RENAMED_APPS.items():
                await connection.execute(
                    "UPDATE migration SET app_name = $2 WHERE app_name = $1", old, new
                )
    finally:
        await connection.close()
