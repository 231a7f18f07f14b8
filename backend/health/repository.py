"""The queries of the health domain: which migrations the database has run."""

from __future__ import annotations

from backend import db


async def migrations_ran() -> set[tuple[str, str]]:
    """(app name, migration id) of every migration recorded in Piccolo's `migration` table."""
    rows = await db.engine().run_ddl("SELECT app_name, name FROM migration")
    return {(str(row["app_name"]), str(row["name"])) for row in rows}
