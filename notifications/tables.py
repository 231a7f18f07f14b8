"""Tables of communications: devices, people's notification settings, campaigns, what each
person saw and answered, and what was pushed.

A province-wide campaign is one `campaigns` row: nobody's inbox needs a row written before
they can read it. `campaign_reads` rows appear when a person opens a public campaign, and are
written at send time only for campaigns addressed person by person (internal circulars and
uploaded lists), where "who has not acknowledged" must be listed. Personal notifications
from other domains (`notify`) are `inbox_items`.

Person ids are plain UUID columns (domains do not share tables); the migration adds the
foreign keys to `persons` with ON DELETE CASCADE, and the unique constraints Piccolo cannot
declare.
"""

from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    BigSerial,
    Boolean,
    Integer,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Device(Table, tablename="devices"):
    """An installation of the app, addressed by its Firebase Installation ID (`fid`). One
    person has many; registering an installation another person had moves it."""

    installation_id = Varchar(length=255, primary_key=True)
    person_id = UUID(index=True)
    platform = Varchar(length=10)
    """android, ios or web."""
    app_version = Varchar(length=40)
    locale = Varchar(length=16)
    """The language the app shows (vi, en, tay, nung, hmn, dao)."""
    topics = Array(base_column=Varchar(length=200), default=list)
    """The FCM topics this device is subscribed to, as last synced."""
    topics_synced_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    refreshed_at = Timestamptz(index=True)


class NotificationProfile(Table, tablename="notification_profiles"):
    """A person's settings: the commune whose news they follow (public audiences by commune),
    the language of the notifications, the categories they muted."""

    person_id = UUID(primary_key=True)
    commune_code = Varchar(length=5, null=True, default=None, index=True)
    language = Varchar(length=16, default="vi")
    muted_categories = Array(base_column=Varchar(length=40), default=list)
    updated_at = Timestamptz()


class Campaign(Table, tablename="campaigns"):
    """A message from communications staff: push + inbox (+ optional article, survey).

    `status`: draft → submitted → approved → scheduled → sending → sent, or cancelled;
    editing a submitted or approved campaign returns it to draft.
    `audience_kind`: citizens (all), communes (`audience_communes`), civil_servants (all),
    agencies (`audience_agencies`), list (uploaded personal ids → `campaign_reads` rows).
    """

    id = UUID(primary_key=True)
    title = Varchar(length=200)
    body = Text()
    translations = JSONB(default="{}")
    """{language: {"title": …, "body": …}} besides Vietnamese."""
    category = Varchar(length=40, index=True)
    urgent = Boolean(default=False)
    requires_ack = Boolean(default=False)
    article_id = UUID(null=True, default=None)
    image_asset_id = UUID(null=True, default=None)
    deep_link = Text(null=True, default=None)
    survey = JSONB(null=True, default=None)
    """{"question": …, "question_en": …, "kind": single|multiple|rating, "options": [...]}"""
    audience_kind = Varchar(length=20)
    audience_communes = Array(base_column=Varchar(length=5), default=list)
    audience_agencies = Array(base_column=Varchar(length=40), default=list)
    audience_list_size = Integer(default=0)
    status = Varchar(length=16, default="draft", index=True)
    scheduled_for = Timestamptz(null=True, default=None)
    """When the author wants it sent (null: as soon as approved)."""
    send_after = Timestamptz(null=True, default=None)
    """When it will really go out: `scheduled_for` moved out of quiet hours if it must."""
    author_id = UUID()
    updated_by = UUID()
    submitted_by = UUID(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    submitted_snapshot = JSONB(null=True, default=None)
    """The content and audience as submitted: what the approver compares against."""
    approved_by = UUID(null=True, default=None)
    approved_at = Timestamptz(null=True, default=None)
    review_comment = Text(null=True, default=None)
    """Why an approver returned it to draft (shown to its writers until submitted again)."""
    returned_by = UUID(null=True, default=None)
    returned_at = Timestamptz(null=True, default=None)
    cancelled_by = UUID(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    sending_started_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None, index=True)
    audience_size = Integer(null=True, default=None)
    """People addressed, fixed when sending starts."""
    devices_targeted = Integer(null=True, default=None)
    send_ranges = Array(base_column=Varchar(length=255), default=list)
    """The first installation ids of the ranges a device-by-device send was split into when it
    started (each sent by a chain of jobs of its own)."""
    created_at = Timestamptz()
    updated_at = Timestamptz()


class CampaignRead(Table, tablename="campaign_reads"):
    """One person's state for one campaign (unique per campaign and person). Written at send
    time for campaigns addressed person by person, else on the person's first open. The
    commune and agency are the person's when the row was written (analytics by place)."""

    id = BigSerial(primary_key=True)
    campaign_id = UUID()
    person_id = UUID(index=True)
    agency_code = Varchar(length=40, null=True, default=None)
    commune_code = Varchar(length=5, null=True, default=None)
    created_at = Timestamptz()
    opened_at = Timestamptz(null=True, default=None)
    acknowledged_at = Timestamptz(null=True, default=None)


class SurveyAnswer(Table, tablename="survey_answers"):
    """One person's answer to a campaign's survey (unique per campaign and person; answering
    again replaces it)."""

    id = BigSerial(primary_key=True)
    campaign_id = UUID()
    person_id = UUID()
    choices = Array(base_column=SmallInt(), default=list)
    """Indexes of the chosen options, or the rating (1–5) as one element."""
    commune_code = Varchar(length=5, null=True, default=None)
    agency_code = Varchar(length=40, null=True, default=None)
    answered_at = Timestamptz()


class PushDelivery(Table, tablename="push_deliveries"):
    """One push of one campaign (or inbox item) to one device, unique per message and device:
    the row is claimed (status `sending`) and committed before the request goes to FCM, so a
    resumed job never pushes a device twice for what it recorded.
    `status`: sending, accepted, failed; `error` is the FCM error class when failed."""

    id = BigSerial(primary_key=True)
    campaign_id = UUID(null=True, default=None)
    item_id = UUID(null=True, default=None)
    installation_id = Varchar(length=255)
    person_id = UUID()
    status = Varchar(length=10)
    error = Varchar(length=40, null=True, default=None)
    message_id = Varchar(length=200, null=True, default=None)
    attempts = SmallInt(default=1)
    claimed_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class TopicSend(Table, tablename="topic_sends"):
    """One topic or condition message of a broadcast campaign, unique per campaign and
    target (the topic or condition string)."""

    id = BigSerial(primary_key=True)
    campaign_id = UUID()
    target = Varchar(length=400)
    commune_code = Varchar(length=5, null=True, default=None)
    language = Varchar(length=16, default="vi")
    status = Varchar(length=10)
    error = Varchar(length=40, null=True, default=None)
    message_id = Varchar(length=200, null=True, default=None)
    claimed_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class InboxItem(Table, tablename="inbox_items"):
    """A notification to one person from another domain (`notify`): a report's new message,
    a payment made, a course deadline."""

    id = UUID(primary_key=True)
    person_id = UUID()
    category = Varchar(length=40)
    title = Varchar(length=200)
    body = Text()
    translations = JSONB(default="{}")
    deep_link = Text(null=True, default=None)
    data = JSONB(default="{}")
    requires_ack = Boolean(default=False)
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)
    acknowledged_at = Timestamptz(null=True, default=None)
