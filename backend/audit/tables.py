from piccolo.columns import JSONB, BigSerial, Text, Timestamptz, Varchar
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entries"):
    """One audited action. Each entry stores the hash of the previous entry and its own, so a
    changed, removed or inserted row breaks the chain; a trigger refuses UPDATE and DELETE."""

    id = BigSerial(primary_key=True)
    occurred_at = Timestamptz(index=True)
    actor_id = Varchar(length=64, null=True, default=None, index=True)
    action = Varchar(length=100, index=True)
    object_type = Varchar(length=50, null=True, default=None)
    object_id = Varchar(length=100, null=True, default=None, index=True)
    reason = Text(null=True, default=None)
    details = JSONB(default="{}")
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64, unique=True)
