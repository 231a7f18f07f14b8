"""Campaigns remember how their devices were split into ranges when sending started, so a
start that runs again (its worker died) defers the same ranges under the same locks."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Array, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-27T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "campaigns: the ranges of a device send"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Campaign",
        tablename="campaigns",
        column_name="send_ranges",
        db_column_name="send_ranges",
        column_class_name="Array",
        column_class=Array,
        params={
            "base_column": Varchar(length=255),
            "default": list,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
