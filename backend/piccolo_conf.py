"""Piccolo configuration: the engine (from DATABASE_URL) and one app per domain (the
domains registered in `backend.domains`)."""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from backend.domains import piccolo_apps
from backend.settings import get_settings

_settings = get_settings()

DB = PostgresEngine(
    config={
        "dsn": _settings.database_url or "postgresql:///ctn",
        "command_timeout": 60,
    }
)

APP_REGISTRY = AppRegistry(apps=piccolo_apps())
