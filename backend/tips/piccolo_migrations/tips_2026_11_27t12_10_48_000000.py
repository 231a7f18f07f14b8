"""What Piccolo cannot declare: the reference sequence, foreign keys (a report's messages,
attachments and history go with it; people and units are referenced, never copied), the
checks that keep a report's identity rule true in the database itself (a confidential report
has a reporter and no receipt, an anonymous one a receipt and no reporter), and the counters
table UNLOGGED (short-lived; not worth WAL, and nothing of them survives a crash)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T12:10:48:000000"
VERSION = "1.38.0"
DESCRIPTION = "tips: reference sequence, foreign keys, checks, unlogged counters"

SQL = """
CREATE SEQUENCE tip_reference_seq AS bigint START 1;
ALTER TABLE tip_counters SET UNLOGGED;
ALTER TABLE tips ADD CONSTRAINT tips_reporter_fk
    FOREIGN KEY (reporter_id) REFERENCES persons (id) ON DELETE SET NULL;
ALTER TABLE tips ADD CONSTRAINT tips_assigned_fk
    FOREIGN KEY (assigned_to) REFERENCES persons (id) ON DELETE SET NULL;
ALTER TABLE tips ADD CONSTRAINT tips_unit_fk
    FOREIGN KEY (unit_code) REFERENCES police_units (code) ON UPDATE CASCADE;
ALTER TABLE tips ADD CONSTRAINT tips_duplicate_fk
    FOREIGN KEY (duplicate_of) REFERENCES tips (id) ON DELETE SET NULL;
ALTER TABLE tips ADD CONSTRAINT tips_kind_check CHECK (kind IN ('confidential', 'anonymous'));
ALTER TABLE tips ADD CONSTRAINT tips_identity_check CHECK (
    (kind = 'anonymous' AND reporter_id IS NULL)
    OR (kind = 'confidential' AND receipt_hash IS NULL)
);
ALTER TABLE tips ADD CONSTRAINT tips_offences_check
    CHECK (cardinality(offences) BETWEEN 1 AND 3);
ALTER TABLE tips ADD CONSTRAINT tips_incident_time_check
    CHECK (incident_time_kind IN ('exact', 'approximate', 'unknown'));
CREATE INDEX tips_reporter_created ON tips (reporter_id, created_at DESC)
    WHERE reporter_id IS NOT NULL;
ALTER TABLE tip_messages ADD CONSTRAINT tip_messages_tip_fk
    FOREIGN KEY (tip_id) REFERENCES tips (id) ON DELETE CASCADE;
ALTER TABLE tip_messages ADD CONSTRAINT tip_messages_author_fk
    FOREIGN KEY (author_id) REFERENCES persons (id) ON DELETE SET NULL;
ALTER TABLE tip_messages ADD CONSTRAINT tip_messages_sender_check
    CHECK (sender IN ('reporter', 'police'));
CREATE INDEX tip_messages_tip_created ON tip_messages (tip_id, created_at, id);
ALTER TABLE tip_attachments ADD CONSTRAINT tip_attachments_tip_fk
    FOREIGN KEY (tip_id) REFERENCES tips (id) ON DELETE CASCADE;
ALTER TABLE tip_attachments ADD CONSTRAINT tip_attachments_message_fk
    FOREIGN KEY (message_id) REFERENCES tip_messages (id) ON DELETE CASCADE;
ALTER TABLE tip_events ADD CONSTRAINT tip_events_tip_fk
    FOREIGN KEY (tip_id) REFERENCES tips (id) ON DELETE CASCADE;
ALTER TABLE tip_events ADD CONSTRAINT tip_events_actor_fk
    FOREIGN KEY (actor_id) REFERENCES persons (id) ON DELETE SET NULL;
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tips", description=DESCRIPTION)

    async def constraints() -> None:
        await run_sql_script(SQL)

    manager.add_raw(constraints)
    return manager
