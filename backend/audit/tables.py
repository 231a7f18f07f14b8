from piccolo.columns import JSONB, BigSerial, Text, Timestamptz, Varchar
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entries"):
    """One audited action. Each entry stores the SHA-256 of the previous entry and its own, so a
    changed, removed or inserted row breaks the chain; a trigger refuses UPDATE and DELETE.
    `mac` keys the chain: an HMAC under the audit key `key_id` (derived from CTN_SECRET_KEY,
    never stored) over the previous entry's MAC and this entry, so a row appended by someone
    who can only write to the database does not verify. Entries written before the chain was
    keyed have neither."""

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
    key_id = Varchar(length=40, null=True, default=None)
    mac = Varchar(length=64, null=True, default=None)
