"""Key the audit chain: each new entry carries the id of the audit key (derived from
CTN_SECRET_KEY) and an HMAC under it. Existing entries are left as they are (no re-keying: the
trigger refuses UPDATE, and re-keying would vouch for whatever the table holds today); `ctn
audit verify` checks their plain SHA-256 and reports where the keyed chain begins."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-27T04:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit chain key id and MAC"


def _nullable_varchar(length: int) -> dict[str, object]:
    return {
        "length": length,
        "default": None,
        "null": True,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)
    for name, length in (("key_id", 40), ("mac", 64)):
        manager.add_column(
            table_class_name="AuditEntry",
            tablename="audit_entries",
            column_name=name,
            db_column_name=name,
            column_class_name="Varchar",
            column_class=Varchar,
            params=_nullable_varchar(length),
            schema=None,
        )
    return manager
