"""One Piccolo app per domain, all configured the same way."""

from __future__ import annotations

from pathlib import Path

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
