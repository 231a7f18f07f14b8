"""A civil servant's department in their agency and the manager flag (mandatory training:
assignments to a department, managers' completion reports). Written by hand, declared through
the migration manager so that Piccolo's view of the table stays right; the check and the index
are the next migration (a manager's raw steps run before its columns are added)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-27T15:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "role grants: department and manager flag of civil servants"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="identity", description=DESCRIPTION)
    manager.add_column(
        table_class_name="RoleGrant",
        tablename="role_grants",
        column_name="department",
        db_column_name="department",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 120,
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
    manager.add_column(
        table_class_name="RoleGrant",
        tablename="role_grants",
        column_name="manager",
        db_column_name="manager",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
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
