"""Piccolo configuration: the engine (from DATABASE_URL) and one app per domain."""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from backend.settings import load_settings

_settings = load_settings()

DB = PostgresEngine(
    config={
        "dsn": _settings.database_url or "postgresql:///ctn",
        "command_timeout": 60,
    }
)

APP_REGISTRY = AppRegistry(
    apps=[
        "backend.queue.piccolo_app",
        "backend.system.piccolo_app",
        "backend.audit.piccolo_app",
        "backend.geo.piccolo_app",
        "backend.identity.piccolo_app",
        "backend.devidp.piccolo_app",
        "mobile_bridge.piccolo_app",
        "content.piccolo_app",
    ]
)
