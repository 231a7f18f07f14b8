"""Articles remember who last changed their content (`content_edited_by`), so that person may
not publish it (two-person rule). The next migration fills it for existing articles (a
migration runs its raw SQL before its column changes)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-27T04:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "articles: last content editor"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="content", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Article",
        tablename="articles",
        column_name="content_edited_by",
        db_column_name="content_edited_by",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": None,
            "null": True,
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
