"""Articles published before the review columns: their published text is their approved text
(what the next review compares against)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T07:23:26:000000"
VERSION = "1.38.0"
DESCRIPTION = "article review: approved text of published articles"

SQL = """
UPDATE articles
   SET approved_title = title, approved_summary = summary, approved_body = body_markdown
 WHERE status IN ('published', 'archived') AND approved_body IS NULL;
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="content", description=DESCRIPTION)

    async def backfill() -> None:
        await run_sql_script(SQL)

    manager.add_raw(backfill)
    return manager
