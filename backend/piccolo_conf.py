"""Piccolo configuration: the engine (from DATABASE_URL) and one app per domain (the
domains registered in `backend.domains`)."""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from backend.domains import piccolo_apps
from backend.settings import get_settings

_settings = get_settings()

STATEMENT_TIMEOUT_MS = 60_000
"""No statement runs longer than a minute. PostgreSQL enforces it (`statement_timeout`), not
asyncpg's `command_timeout`, which arms and cancels a timer in the event loop for every query
(~2 % of a one-row read)."""

DB = PostgresEngine(
    config={
        "dsn": _settings.database_url or "postgresql:///ctn",
        "server_settings": {"statement_timeout": str(STATEMENT_TIMEOUT_MS)},
    }
)

APP_REGISTRY = AppRegistry(apps=piccolo_apps())
