"""The push gateway's send quota: messages sent per time window, counted in PostgreSQL so that
every worker process shares FCM's per-project limit. UNLOGGED: written once per chunk of
messages, worth no WAL (nor replication); a crash forgets at most the current window's count.
No Piccolo table: only `notifications/push/repository.py` reads or writes it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T09:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "push send quota (unlogged counters per window)"

SQL = """
CREATE UNLOGGED TABLE push_send_quota (
    key varchar(200) PRIMARY KEY,
    used integer NOT NULL,
    granted integer NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX push_send_quota_expires ON push_send_quota (expires_at);
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def create_quota() -> None:
        await run_sql_script(SQL)

    manager.add_raw(create_quota)
    return manager
