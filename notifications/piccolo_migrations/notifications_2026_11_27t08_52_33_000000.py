"""What Piccolo cannot declare: person ids reference `persons` (a person's devices, reads and
answers go with them), and the uniqueness that keeps sends and counts exact — one push per
message and device, one topic message per campaign and target, one read and one answer per
campaign and person."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T08:52:33:000000"
VERSION = "1.38.0"
DESCRIPTION = "notifications: foreign keys and unique constraints"

SQL = """
ALTER TABLE devices ADD CONSTRAINT devices_person_fk
    FOREIGN KEY (person_id) REFERENCES persons (id) ON DELETE CASCADE;
ALTER TABLE notification_profiles ADD CONSTRAINT notification_profiles_person_fk
    FOREIGN KEY (person_id) REFERENCES persons (id) ON DELETE CASCADE;
ALTER TABLE campaign_reads ADD CONSTRAINT campaign_reads_campaign_fk
    FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE;
ALTER TABLE campaign_reads ADD CONSTRAINT campaign_reads_person_fk
    FOREIGN KEY (person_id) REFERENCES persons (id) ON DELETE CASCADE;
ALTER TABLE campaign_reads ADD CONSTRAINT campaign_reads_unique UNIQUE (campaign_id, person_id);
ALTER TABLE survey_answers ADD CONSTRAINT survey_answers_campaign_fk
    FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE;
ALTER TABLE survey_answers ADD CONSTRAINT survey_answers_person_fk
    FOREIGN KEY (person_id) REFERENCES persons (id) ON DELETE CASCADE;
ALTER TABLE survey_answers ADD CONSTRAINT survey_answers_unique UNIQUE (campaign_id, person_id);
ALTER TABLE push_deliveries ADD CONSTRAINT push_deliveries_campaign_fk
    FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE;
ALTER TABLE push_deliveries ADD CONSTRAINT push_deliveries_item_fk
    FOREIGN KEY (item_id) REFERENCES inbox_items (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX push_deliveries_campaign_device
    ON push_deliveries (campaign_id, installation_id) WHERE campaign_id IS NOT NULL;
CREATE UNIQUE INDEX push_deliveries_item_device
    ON push_deliveries (item_id, installation_id) WHERE item_id IS NOT NULL;
CREATE INDEX push_deliveries_campaign_status ON push_deliveries (campaign_id, status);
ALTER TABLE topic_sends ADD CONSTRAINT topic_sends_campaign_fk
    FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE;
ALTER TABLE topic_sends ADD CONSTRAINT topic_sends_unique UNIQUE (campaign_id, target);
ALTER TABLE inbox_items ADD CONSTRAINT inbox_items_person_fk
    FOREIGN KEY (person_id) REFERENCES persons (id) ON DELETE CASCADE;
CREATE INDEX inbox_items_person_created ON inbox_items (person_id, created_at DESC, id DESC);
CREATE INDEX inbox_items_person_unread ON inbox_items (person_id) WHERE read_at IS NULL;
CREATE INDEX campaign_reads_campaign_opened ON campaign_reads (campaign_id, opened_at);
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def constraints() -> None:
        await run_sql_script(SQL)

    manager.add_raw(constraints)
    return manager
