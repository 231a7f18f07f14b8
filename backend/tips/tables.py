"""Tables of crime reports (tips): the report, its messages, its attachments and its history.

What a report says is never stored in clear. Description, address, coordinates, people,
victims, organisation and message bodies are sealed (AES-256-GCM) with the report's own data
key; the data key is stored wrapped by a master key whose id is kept beside it, so that
`ctn tips rotate-key` re-wraps keys without touching the sealed content. Columns in clear are
what routing, the queue, the workflow and the statistics need: offence types, commune,
urgency, status, unit, times.

An anonymous report keeps nothing that identifies its reporter: no person id, no address, no
user agent, no device, no session; its reporter proves ownership with a receipt stored only as
an argon2id hash (with a server-side salt, so that the hash is also the lookup key).
Person ids are plain UUID columns; the migration adds the foreign keys and constraints Piccolo
cannot declare.
"""

from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    BigInt,
    BigSerial,
    Boolean,
    Bytea,
    Integer,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Tip(Table, tablename="tips"):
    """One report. `status`: received → triaged → assigned → investigating → closed.
    `kind`: confidential (the handling unit knows `reporter_id`) or anonymous (nobody does)."""

    id = UUID(primary_key=True)
    reference = Varchar(length=20, unique=True)
    """Shown to the reporter and the police, e.g. TN-2026-000123 (year and a sequence)."""
    kind = Varchar(length=12)
    reporter_id = UUID(null=True, default=None, index=True)
    """Only for confidential reports."""
    receipt_hash = Varchar(length=128, null=True, default=None, unique=True)
    """Only for anonymous reports: argon2id of the receipt under the server-side salt."""
    offences = Array(base_column=Varchar(length=40))
    ongoing_danger = Boolean(default=False)
    """The reporter said the danger is happening now (answers remind them to call 113)."""
    commune_code = Varchar(length=5, null=True, default=None, index=True)
    place_known = Boolean(default=True)
    has_coordinates = Boolean(default=False)
    incident_time_kind = Varchar(length=12)
    """exact, approximate or unknown."""
    incident_from = Timestamptz(null=True, default=None)
    incident_to = Timestamptz(null=True, default=None)
    on_behalf_of_organisation = Boolean(default=False)
    sealed = Bytea(null=True, default=None)
    """The sealed content (JSON: description, address, latitude, longitude, people, victims,
    organisation name and tax code); null once purged."""
    data_key = Bytea(null=True, default=None)
    """The report's data key wrapped by master key `key_id`; null once purged."""
    key_id = Varchar(length=40, null=True, default=None, index=True)
    unit_code = Varchar(length=40, null=True, default=None, index=True)
    """Handling police unit; null: the provincial queue."""
    status = Varchar(length=16, default="received", index=True)
    urgency = Varchar(length=12, null=True, default=None)
    """low, normal, high or emergency, set at triage."""
    assigned_to = UUID(null=True, default=None, index=True)
    outcome = Varchar(length=16, null=True, default=None)
    """resolved, unfounded, transferred or duplicate (with `duplicate_of`)."""
    duplicate_of = UUID(null=True, default=None)
    version = Integer(default=1)
    """Bumped by every change; a change naming an older version is refused (409)."""
    created_at = Timestamptz()
    updated_at = Timestamptz()
    triaged_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    last_reporter_activity_at = Timestamptz(null=True, default=None)
    last_police_activity_at = Timestamptz(null=True, default=None)
    purged_at = Timestamptz(null=True, default=None)


class TipMessage(Table, tablename="tip_messages"):
    """A message on a report, from the reporter or the police; the body is sealed with the
    report's data key."""

    id = UUID(primary_key=True)
    tip_id = UUID(index=True)
    sender = Varchar(length=8)
    """reporter or police."""
    author_id = UUID(null=True, default=None)
    """The officer who wrote a police message; null for the reporter's."""
    sealed = Bytea(null=True, default=None)
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)
    """When the other side first read it."""


class TipAttachment(Table, tablename="tip_attachments"):
    """A file of a report or of one of its messages, stored sealed with the report's data key.
    `view_key` holds the derivative shown to officers (metadata stripped; a video transcoded);
    `original_key` the untouched original kept as evidence — confidential reports only."""

    id = UUID(primary_key=True)
    tip_id = UUID(index=True)
    message_id = UUID(null=True, default=None)
    kind = Varchar(length=10)
    """image, video, audio or document."""
    mime = Varchar(length=100)
    filename = Varchar(length=200)
    """Always "": a file's name may say who took it or what it shows. A confidential report's
    cleaned name is sealed in `sealed_filename`; an anonymous report's is dropped."""
    sealed_filename = Bytea(null=True, default=None)
    """The cleaned original name, sealed with the report's data key (confidential only)."""
    size = BigInt()
    view_key = Varchar(length=300, null=True, default=None)
    view_mime = Varchar(length=100, null=True, default=None)
    view_size = BigInt(null=True, default=None)
    original_key = Varchar(length=300, null=True, default=None)
    original_sha256 = Varchar(length=64, null=True, default=None)
    status = Varchar(length=12, default="ready")
    """processing, ready or failed."""
    created_at = Timestamptz()


class TipEvent(Table, tablename="tip_events"):
    """The report's history as the police see it: every transition, assignment, transfer and
    purge, with who did it (never the reporter's identity)."""

    id = BigSerial(primary_key=True)
    tip_id = UUID(index=True)
    actor_id = UUID(null=True, default=None)
    action = Varchar(length=30)
    from_status = Varchar(length=16, null=True, default=None)
    to_status = Varchar(length=16, null=True, default=None)
    detail = JSONB(default="{}")
    at = Timestamptz()


class TipChallenge(Table, tablename="tip_challenges"):
    """Proof-of-work challenges already spent (each is accepted once, until it expires)."""

    digest = Varchar(length=64, primary_key=True)
    expires_at = Timestamptz(index=True)


class TipCounter(Table, tablename="tip_counters"):
    """Short-lived counters of the citizen routes' limits (anonymous submissions per keyed
    hash of the client address, wrong receipts per receipt, per address and overall), one row
    per limit, subject and window. UNLOGGED (set by its migration); `key` is
    `<limit>:<keyed hash>:<window>`; rows are deleted once their window is over."""

    key = Varchar(length=120, primary_key=True)
    hits = Integer(default=0)
    expires_at = Timestamptz(index=True)


class TipDuty(Table, tablename="tip_duty"):
    """A police unit's duty roster: the members its supervisors put on duty, whom an emergency
    report (or one whose danger is happening now) alerts at once. `until` ends the roster
    entry; a unit with nobody on duty alerts every officer it has. One row per unit and
    person (unique, set by its migration)."""

    id = Serial(primary_key=True)
    unit_code = Varchar(length=40, index=True)
    person_id = UUID()
    until = Timestamptz(null=True, default=None)
    set_by = UUID(null=True, default=None)
    set_at = Timestamptz()
