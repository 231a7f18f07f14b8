"""Every query of campaigns: the campaigns themselves, their recipients (`campaign_reads`),
what was pushed (`push_deliveries`, `topic_sends`) and the reach of an audience over the
domain's devices and notification settings.

Bulk work is done in SQL (INSERT … SELECT over `unnest`, one statement per batch), never row
by row. Rows come back typed (`CampaignRow`, `Claim`, …)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from notifications.tables import Campaign, CampaignRead, Device, PushDelivery, TopicSend

_JSON_COLUMNS = ("translations", "survey", "submitted_snapshot")


class CampaignListRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    title: str
    status: str
    category: str
    urgent: bool
    requires_ack: bool
    audience_kind: str
    author_id: uuid.UUID
    scheduled_for: datetime | None
    send_after: datetime | None
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CampaignRow(CampaignListRow, frozen=True, kw_only=True):
    """A `campaigns` row (JSON columns decoded)."""

    body: str
    translations: dict[str, dict[str, str]]
    article_id: uuid.UUID | None
    image_asset_id: uuid.UUID | None
    deep_link: str | None
    survey: dict[str, Any] | None
    audience_communes: list[str]
    audience_agencies: list[str]
    audience_list_size: int
    updated_by: uuid.UUID
    submitted_by: uuid.UUID | None = None
    submitted_at: datetime | None = None
    submitted_snapshot: dict[str, Any] | None = None
    approved_by: uuid.UUID | None = None
    approved_at: datetime | None = None
    review_comment: str | None = None
    returned_by: uuid.UUID | None = None
    returned_at: datetime | None = None
    cancelled_by: uuid.UUID | None = None
    cancelled_at: datetime | None = None
    sending_started_at: datetime | None = None
    audience_size: int | None = None
    devices_targeted: int | None = None
    send_ranges: list[str] = msgspec.field(default_factory=list)


def _decode(raw: dict[str, Any]) -> dict[str, Any]:
    for column in _JSON_COLUMNS:
        value = raw.get(column)
        if isinstance(value, str | bytes):
            raw[column] = msgspec.json.decode(value)
    raw["translations"] = raw.get("translations") or {}
    raw["audience_communes"] = raw.get("audience_communes") or []
    raw["audience_agencies"] = raw.get("audience_agencies") or []
    raw["send_ranges"] = raw.get("send_ranges") or []
    return raw


def _row(raw: dict[str, Any]) -> CampaignRow:
    return msgspec.convert(_decode(raw), CampaignRow)


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    """JSON columns as JSON text (what Piccolo writes into JSONB)."""
    encoded = dict(values)
    for column in _JSON_COLUMNS:
        if column in encoded and encoded[column] is not None:
            encoded[column] = msgspec.json.encode(encoded[column]).decode()
    return encoded


# --- campaigns ----------------------------------------------------------------------------------


async def insert(row: CampaignRow) -> CampaignRow:
    values = _encode(msgspec.to_builtins(row, builtin_types=(uuid.UUID, datetime)))
    await Campaign.insert(Campaign(**values))
    created = await get(row.id)
    assert created is not None
    return created


async def get(campaign_id: uuid.UUID, *, for_update: bool = False) -> CampaignRow | None:
    """One campaign; `for_update` locks its row until the transaction ends (the sender's
    start, so two starts never both write its recipients)."""
    lock = " FOR UPDATE" if for_update else ""
    rows: list[dict[str, Any]] = await Campaign.raw(
        f"SELECT * FROM campaigns WHERE id = {{}}{lock}", campaign_id
    )
    return _row(rows[0]) if rows else None


async def status_of(campaign_id: uuid.UUID) -> str | None:
    rows = await Campaign.raw("SELECT status FROM campaigns WHERE id = {}", campaign_id)
    return str(rows[0]["status"]) if rows else None


async def update_if(
    campaign_id: uuid.UUID, statuses: Sequence[str], values: dict[str, Any]
) -> CampaignRow | None:
    """Change the campaign only if its status is still one of `statuses` (compare-and-set):
    the row, or None when it moved on meanwhile. `values` by column name."""
    encoded = _encode(values)
    rows: list[dict[str, Any]] = (
        await Campaign.update({getattr(Campaign, k): v for k, v in encoded.items()})
        .where((Campaign.id == campaign_id) & Campaign.status.is_in(list(statuses)))
        .returning(*Campaign.all_columns())
    )
    return _row(rows[0]) if rows else None


_LIST_COLUMNS = (
    "id, title, status, category, urgent, requires_ack, audience_kind, author_id,"
    " scheduled_for, send_after, sent_at, created_at, updated_at"
)


async def page(
    *, status: str | None, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[CampaignListRow]:
    """Campaigns newest first (by creation), of one status if asked."""
    conditions = ["TRUE"]
    args: list[object] = []
    if status is not None:
        conditions.append("status = {}")
        args.append(status)
    if after is not None:
        conditions.append("(created_at < {} OR (created_at = {} AND id < {}))")
        args += [after[0], after[0], after[1]]
    raws: list[dict[str, Any]] = await Campaign.raw(
        f"SELECT {_LIST_COLUMNS} FROM campaigns WHERE {' AND '.join(conditions)}"
        " ORDER BY created_at DESC, id DESC LIMIT {}",
        *args,
        limit,
    )
    return [msgspec.convert(raw, CampaignListRow) for raw in raws]


async def count_with_status(status: str) -> int:
    return int(await Campaign.count().where(Campaign.status == status))


async def count_by_status() -> dict[str, int]:
    rows = await Campaign.raw("SELECT status, count(*) AS n FROM campaigns GROUP BY status")
    return {row["status"]: int(row["n"]) for row in rows}


async def count_returned_to(author_id: uuid.UUID) -> int:
    """Drafts of this author that carry an approver's comment."""
    rows = await Campaign.raw(
        "SELECT count(*) AS n FROM campaigns"
        " WHERE author_id = {} AND status = 'draft' AND review_comment IS NOT NULL",
        author_id,
    )
    return int(rows[0]["n"])


async def due(now: datetime) -> list[uuid.UUID]:
    """Approved or scheduled campaigns whose time has come, oldest first."""
    rows = await Campaign.raw(
        "SELECT id FROM campaigns WHERE status IN ('approved', 'scheduled') AND send_after <= {}"
        " ORDER BY send_after, id",
        now,
    )
    return [row["id"] for row in rows]


async def ids_with_status(status: str) -> list[uuid.UUID]:
    rows = await Campaign.raw("SELECT id FROM campaigns WHERE status = {} ORDER BY id", status)
    return [row["id"] for row in rows]


async def find_by_title(title: str) -> uuid.UUID | None:
    """A campaign with exactly this title (demo data idempotency)."""
    rows = await Campaign.raw("SELECT id FROM campaigns WHERE title = {} LIMIT 1", title)
    return rows[0]["id"] if rows else None


# --- the uploaded list (campaign_reads rows written with the list) ------------------------------


async def replace_list(
    campaign_id: uuid.UUID, person_ids: Sequence[uuid.UUID], now: datetime
) -> int:
    """The campaign's recipients become exactly these people (the list of a draft)."""
    await CampaignRead.raw("DELETE FROM campaign_reads WHERE campaign_id = {}", campaign_id)
    if not person_ids:
        return 0
    rows = await CampaignRead.raw(
        "WITH inserted AS ("
        " INSERT INTO campaign_reads (campaign_id, person_id, created_at)"
        " SELECT {}, person, {} FROM unnest({}::uuid[]) AS u(person)"
        " ON CONFLICT (campaign_id, person_id) DO NOTHING RETURNING 1)"
        " SELECT count(*) AS n FROM inserted",
        campaign_id,
        now,
        list(person_ids),
    )
    return int(rows[0]["n"])


async def list_digest(campaign_id: uuid.UUID) -> str:
    """A digest of the recipients written for the campaign (a changed list changes it)."""
    rows = await CampaignRead.raw(
        "SELECT md5(coalesce(string_agg(person_id::text, ',' ORDER BY person_id), '')) AS d"
        " FROM campaign_reads WHERE campaign_id = {}",
        campaign_id,
    )
    return str(rows[0]["d"])


# --- reach of an audience ---------------------------------------------------------------------


class Reach(msgspec.Struct, frozen=True, kw_only=True):
    people: int
    """People in scope who did not mute (`muted` None: everyone in scope)."""
    muted: int
    devices: int
    """Devices of the people counted."""


_NOT_MUTED = (
    "({}::varchar IS NULL OR p.muted_categories IS NULL"
    " OR NOT ({}::varchar = ANY(p.muted_categories)))"
)
"""Not muted by the person of `p` (a `notification_profiles` row, or none); the category is
given twice (None: a mandatory category, nobody is left out)."""
_MUTED = (
    "({}::varchar IS NOT NULL AND p.muted_categories IS NOT NULL"
    " AND {}::varchar = ANY(p.muted_categories))"
)


async def public_reach(*, communes: Sequence[str] | None, muted: str | None, persons: int) -> Reach:
    """The reach of a public audience: everyone (`communes` None; `persons` is how many
    people there are) or the followers of these communes (by their notification settings)."""
    if communes is None:
        muted_rows = await Device.raw(
            f"SELECT count(*) AS n FROM notification_profiles p WHERE {_MUTED}", muted, muted
        )
        device_rows = await Device.raw(
            "SELECT count(*) AS n FROM devices d"
            " LEFT JOIN notification_profiles p ON p.person_id = d.person_id"
            f" WHERE {_NOT_MUTED}",
            muted,
            muted,
        )
        muted_count = int(muted_rows[0]["n"])
        return Reach(
            people=max(persons - muted_count, 0),
            muted=muted_count,
            devices=int(device_rows[0]["n"]),
        )
    codes = list(communes)
    people_rows = await Device.raw(
        "SELECT count(*) FILTER (WHERE NOT m) AS people, count(*) FILTER (WHERE m) AS muted"
        f" FROM (SELECT {_MUTED} AS m FROM notification_profiles p"
        " WHERE p.commune_code = ANY({}::varchar[])) s",
        muted,
        muted,
        codes,
    )
    device_rows = await Device.raw(
        "SELECT count(*) AS n FROM devices d"
        " JOIN notification_profiles p ON p.person_id = d.person_id"
        f" WHERE p.commune_code = ANY({{}}::varchar[]) AND {_NOT_MUTED}",
        codes,
        muted,
        muted,
    )
    return Reach(
        people=int(people_rows[0]["people"]),
        muted=int(people_rows[0]["muted"]),
        devices=int(device_rows[0]["n"]),
    )


async def persons_reach(person_ids: Sequence[uuid.UUID], *, muted: str | None) -> Reach:
    """The reach of these people (an internal audience before it is written)."""
    rows = await Device.raw(
        "WITH people AS ("
        f" SELECT u.person, {_MUTED} AS m FROM unnest({{}}::uuid[]) AS u(person)"
        " LEFT JOIN notification_profiles p ON p.person_id = u.person)"
        " SELECT (SELECT count(*) FROM people WHERE NOT m) AS people,"
        " (SELECT count(*) FROM people WHERE m) AS muted,"
        " (SELECT count(*) FROM devices d JOIN people ON people.person = d.person_id"
        "  WHERE NOT people.m) AS devices",
        muted,
        muted,
        list(person_ids),
    )
    return Reach(
        people=int(rows[0]["people"]), muted=int(rows[0]["muted"]), devices=int(rows[0]["devices"])
    )


async def recipients_reach(campaign_id: uuid.UUID, *, muted: str | None) -> Reach:
    """The reach of the recipients written for the campaign (its uploaded list)."""
    rows = await Device.raw(
        "WITH people AS ("
        f" SELECT r.person_id AS person, {_MUTED} AS m FROM campaign_reads r"
        " LEFT JOIN notification_profiles p ON p.person_id = r.person_id"
        " WHERE r.campaign_id = {})"
        " SELECT (SELECT count(*) FROM people WHERE NOT m) AS people,"
        " (SELECT count(*) FROM people WHERE m) AS muted,"
        " (SELECT count(*) FROM devices d JOIN people ON people.person = d.person_id"
        "  WHERE NOT people.m) AS devices",
        muted,
        muted,
        campaign_id,
    )
    return Reach(
        people=int(rows[0]["people"]), muted=int(rows[0]["muted"]), devices=int(rows[0]["devices"])
    )


# --- recipients, written when sending starts ----------------------------------------------------


async def insert_recipients(
    campaign_id: uuid.UUID,
    person_ids: Sequence[uuid.UUID],
    agencies: Sequence[str | None],
    *,
    muted: str | None,
    now: datetime,
) -> int:
    """One `campaign_reads` row per person (their agency as given, their commune from their
    settings), in one statement; people who muted `muted` are left out. Idempotent."""
    if not person_ids:
        return 0
    rows = await CampaignRead.raw(
        "WITH inserted AS ("
        " INSERT INTO campaign_reads"
        " (campaign_id, person_id, agency_code, commune_code, created_at)"
        " SELECT {}, u.person, u.agency, p.commune_code, {}"
        " FROM unnest({}::uuid[], {}::varchar[]) AS u(person, agency)"
        " LEFT JOIN notification_profiles p ON p.person_id = u.person"
        f" WHERE {_NOT_MUTED}"
        " ON CONFLICT (campaign_id, person_id) DO NOTHING RETURNING 1)"
        " SELECT count(*) AS n FROM inserted",
        campaign_id,
        now,
        list(person_ids),
        list(agencies),
        muted,
        muted,
    )
    return int(rows[0]["n"])


async def prepare_list_recipients(
    campaign_id: uuid.UUID,
    person_ids: Sequence[uuid.UUID],
    agencies: Sequence[str | None],
    *,
    muted: str | None,
) -> None:
    """The uploaded list's rows as sending starts: people who muted `muted` removed, each
    one's agency (from `person_ids`/`agencies`, the civil servants' grants) and commune (from
    their settings) filled in."""
    await CampaignRead.raw(
        "DELETE FROM campaign_reads r USING notification_profiles p"
        f" WHERE r.campaign_id = {{}} AND p.person_id = r.person_id AND {_MUTED}",
        campaign_id,
        muted,
        muted,
    )
    await CampaignRead.raw(
        "UPDATE campaign_reads r SET commune_code = p.commune_code FROM notification_profiles p"
        " WHERE r.campaign_id = {} AND p.person_id = r.person_id",
        campaign_id,
    )
    if person_ids:
        await CampaignRead.raw(
            "UPDATE campaign_reads r SET agency_code = u.agency"
            " FROM unnest({}::uuid[], {}::varchar[]) AS u(person, agency)"
            " WHERE r.campaign_id = {} AND r.person_id = u.person",
            list(person_ids),
            list(agencies),
            campaign_id,
        )


async def count_recipients(campaign_id: uuid.UUID) -> tuple[int, int]:
    """(people, their devices) of the recipients written for the campaign."""
    rows = await CampaignRead.raw(
        "SELECT (SELECT count(*) FROM campaign_reads WHERE campaign_id = {}) AS people,"
        " (SELECT count(*) FROM devices d JOIN campaign_reads r ON r.person_id = d.person_id"
        "  WHERE r.campaign_id = {}) AS devices",
        campaign_id,
        campaign_id,
    )
    return int(rows[0]["people"]), int(rows[0]["devices"])


# --- device sends -------------------------------------------------------------------------------


class Claim(msgspec.Struct, frozen=True, kw_only=True):
    """A device push claimed (its `push_deliveries` row committed as `sending`), with the
    language its person chose (None: no settings) and the device's locale."""

    installation_id: str
    person_id: uuid.UUID
    language: str | None
    locale: str | None


_WITH_LANGUAGE = (
    " SELECT c.installation_id, c.person_id, p.language, d.locale"
    " FROM claimed c LEFT JOIN devices d ON d.installation_id = c.installation_id"
    " LEFT JOIN notification_profiles p ON p.person_id = c.person_id"
    " ORDER BY c.installation_id"
)


_IN_RANGE = (
    " AND ({}::varchar IS NULL OR {col} > {}::varchar)"
    " AND ({}::varchar IS NULL OR {col} <= {}::varchar)"
)


def _in_range(column: str) -> str:
    """`column` within (after, until] — None bounds are open; four placeholders."""
    return _IN_RANGE.replace("{col}", column)


async def fail_exhausted_claims(
    campaign_id: uuid.UUID, now: datetime, *, after: str | None = None, until: str | None = None
) -> int:
    """Rows of the range still `sending` although they were already sent again once: given
    up as `in_doubt` (never pushed a third time)."""
    rows = await PushDelivery.raw(
        "WITH failed AS (UPDATE push_deliveries SET status = 'failed', error = 'in_doubt',"
        " finished_at = {} WHERE campaign_id = {} AND status = 'sending' AND attempts >= 2"
        + _in_range("installation_id")
        + " RETURNING 1) SELECT count(*) AS n FROM failed",
        now,
        campaign_id,
        after,
        after,
        until,
        until,
    )
    return int(rows[0]["n"])


async def reclaim_in_doubt(
    campaign_id: uuid.UUID,
    limit: int,
    now: datetime,
    *,
    after: str | None = None,
    until: str | None = None,
) -> list[Claim]:
    """Rows of the range a killed run left `sending` (their push may or may not have left):
    claimed again, as a second attempt."""
    rows = await PushDelivery.raw(
        "WITH claimed AS (UPDATE push_deliveries SET attempts = attempts + 1, claimed_at = {}"
        " WHERE id IN (SELECT id FROM push_deliveries WHERE campaign_id = {}"
        " AND status = 'sending' AND attempts < 2"
        + _in_range("installation_id")
        + " ORDER BY installation_id LIMIT {})"
        " RETURNING installation_id, person_id)" + _WITH_LANGUAGE,
        now,
        campaign_id,
        after,
        after,
        until,
        until,
        limit,
    )
    return [msgspec.convert(row, Claim) for row in rows]


async def claim_batch(
    campaign_id: uuid.UUID,
    *,
    after: str | None,
    limit: int,
    now: datetime,
    until: str | None = None,
) -> tuple[list[Claim], str | None]:
    """The next `limit` devices of the campaign's recipients, by installation id in
    (after, until]: their rows inserted as `sending`, except devices already claimed
    (`ON CONFLICT DO NOTHING`: a range run again from its start). Also the last installation
    id looked at (None: the range has no device left), where the next batch starts.

    No anti-join with the deliveries: statistics lag behind a send that inserts thousands of
    deliveries a second, and the planner then sorted every delivery of the campaign on each
    batch (100 ms a batch at 60,000), or probed them by the wrong index (minutes)."""
    rows = await PushDelivery.raw(
        "WITH candidates AS ("
        " SELECT d.installation_id, d.person_id FROM devices d"
        " JOIN campaign_reads r ON r.campaign_id = {} AND r.person_id = d.person_id"
        " WHERE true" + _in_range("d.installation_id") + " ORDER BY d.installation_id LIMIT {}),"
        " claimed AS ("
        " INSERT INTO push_deliveries (campaign_id, installation_id, person_id, status,"
        " attempts, claimed_at)"
        " SELECT {}, installation_id, person_id, 'sending', 1, {} FROM candidates"
        " ON CONFLICT DO NOTHING RETURNING installation_id, person_id),"
        " languages AS (" + _WITH_LANGUAGE + ")"
        " SELECT s.scanned_to, l.installation_id, l.person_id, l.language, l.locale"
        " FROM (SELECT max(installation_id) AS scanned_to FROM candidates) AS s"
        " LEFT JOIN languages l ON true ORDER BY l.installation_id",
        campaign_id,
        after,
        after,
        until,
        until,
        limit,
        campaign_id,
        now,
    )
    scanned_to = rows[0]["scanned_to"] if rows else None
    claims = [
        msgspec.convert({k: v for k, v in row.items() if k != "scanned_to"}, Claim)
        for row in rows
        if row["installation_id"] is not None
    ]
    return claims, scanned_to


async def range_starts(campaign_id: uuid.UUID, parts: int) -> list[str]:
    """The first installation ids of `parts` ranges of about equal size of the recipients'
    devices not pushed yet (fewer when there are fewer devices), ascending."""
    rows = await PushDelivery.raw(
        "SELECT min(installation_id) AS start FROM ("
        " SELECT d.installation_id,"
        "  ntile({}) OVER (ORDER BY d.installation_id) AS part"
        " FROM devices d"
        " JOIN campaign_reads r ON r.campaign_id = {} AND r.person_id = d.person_id"
        " WHERE NOT EXISTS (SELECT 1 FROM push_deliveries x"
        "  WHERE x.campaign_id = {} AND x.installation_id = d.installation_id)"
        ") AS numbered GROUP BY part ORDER BY start",
        parts,
        campaign_id,
        campaign_id,
    )
    return [row["start"] for row in rows]


async def nothing_left(campaign_id: uuid.UUID) -> bool:
    """No push of the campaign in flight or in doubt, and no recipient device unclaimed."""
    rows = await PushDelivery.raw(
        "SELECT NOT EXISTS (SELECT 1 FROM push_deliveries"
        "  WHERE campaign_id = {} AND status = 'sending')"
        " AND NOT EXISTS (SELECT 1 FROM devices d"
        "  JOIN campaign_reads r ON r.campaign_id = {} AND r.person_id = d.person_id"
        "  WHERE NOT EXISTS (SELECT 1 FROM push_deliveries x"
        "   WHERE x.campaign_id = {} AND x.installation_id = d.installation_id)) AS done",
        campaign_id,
        campaign_id,
        campaign_id,
    )
    return bool(rows[0]["done"])


class DeliveryResult(msgspec.Struct, frozen=True, kw_only=True):
    installation_id: str
    status: str
    error: str | None
    message_id: str | None


async def record_deliveries(
    campaign_id: uuid.UUID, results: Sequence[DeliveryResult], now: datetime
) -> None:
    if not results:
        return
    await PushDelivery.raw(
        "UPDATE push_deliveries x SET status = u.status, error = u.error,"
        " message_id = u.message_id, finished_at = {}"
        " FROM unnest({}::varchar[], {}::varchar[], {}::varchar[], {}::varchar[])"
        " AS u(installation_id, status, error, message_id)"
        " WHERE x.campaign_id = {} AND x.installation_id = u.installation_id",
        now,
        [r.installation_id for r in results],
        [r.status for r in results],
        [r.error for r in results],
        [r.message_id for r in results],
        campaign_id,
    )


# --- topic (condition) sends --------------------------------------------------------------------


class TopicTarget(msgspec.Struct, frozen=True, kw_only=True):
    target: str
    """The condition."""
    commune_code: str | None
    language: str


async def claimed_targets(campaign_id: uuid.UUID) -> set[str]:
    rows = await TopicSend.raw("SELECT target FROM topic_sends WHERE campaign_id = {}", campaign_id)
    return {row["target"] for row in rows}


async def claim_targets(
    campaign_id: uuid.UUID, targets: Sequence[TopicTarget], now: datetime
) -> list[TopicTarget]:
    """Insert these targets' rows as `sending`; the ones really inserted (a target already
    claimed is skipped)."""
    if not targets:
        return []
    rows = await TopicSend.raw(
        "INSERT INTO topic_sends (campaign_id, target, commune_code, language, status, claimed_at)"
        " SELECT {}, u.target, u.commune, u.language, 'sending', {}"
        " FROM unnest({}::varchar[], {}::varchar[], {}::varchar[]) AS u(target, commune, language)"
        " ON CONFLICT (campaign_id, target) DO NOTHING"
        " RETURNING target, commune_code, language",
        campaign_id,
        now,
        [t.target for t in targets],
        [t.commune_code for t in targets],
        [t.language for t in targets],
    )
    return [msgspec.convert(row, TopicTarget) for row in rows]


async def fail_exhausted_targets(campaign_id: uuid.UUID, now: datetime) -> int:
    """Targets already sent again once (`resending`) and still unanswered: `in_doubt`."""
    rows = await TopicSend.raw(
        "WITH failed AS (UPDATE topic_sends SET status = 'failed', error = 'in_doubt',"
        " finished_at = {} WHERE campaign_id = {} AND status = 'resending' RETURNING 1)"
        " SELECT count(*) AS n FROM failed",
        now,
        campaign_id,
    )
    return int(rows[0]["n"])


async def reclaim_targets_in_doubt(campaign_id: uuid.UUID, now: datetime) -> list[TopicTarget]:
    rows = await TopicSend.raw(
        "UPDATE topic_sends SET status = 'resending', claimed_at = {}"
        " WHERE campaign_id = {} AND status = 'sending'"
        " RETURNING target, commune_code, language",
        now,
        campaign_id,
    )
    return [msgspec.convert(row, TopicTarget) for row in rows]


class TopicResult(msgspec.Struct, frozen=True, kw_only=True):
    target: str
    status: str
    error: str | None
    message_id: str | None


async def record_targets(
    campaign_id: uuid.UUID, results: Sequence[TopicResult], now: datetime
) -> None:
    if not results:
        return
    await TopicSend.raw(
        "UPDATE topic_sends x SET status = u.status, error = u.error,"
        " message_id = u.message_id, finished_at = {}"
        " FROM unnest({}::varchar[], {}::varchar[], {}::varchar[], {}::varchar[])"
        " AS u(target, status, error, message_id)"
        " WHERE x.campaign_id = {} AND x.target = u.target",
        now,
        [r.target for r in results],
        [r.status for r in results],
        [r.error for r in results],
        [r.message_id for r in results],
        campaign_id,
    )


# --- analytics ---------------------------------------------------------------------------------


class OutcomeCount(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    error: str | None
    n: int


async def delivery_counts(campaign_id: uuid.UUID) -> list[OutcomeCount]:
    rows = await PushDelivery.raw(
        "SELECT status, error, count(*) AS n FROM push_deliveries WHERE campaign_id = {}"
        " GROUP BY status, error",
        campaign_id,
    )
    return [msgspec.convert(row, OutcomeCount) for row in rows]


async def target_counts(campaign_id: uuid.UUID) -> list[OutcomeCount]:
    rows = await TopicSend.raw(
        "SELECT status, error, count(*) AS n FROM topic_sends WHERE campaign_id = {}"
        " GROUP BY status, error",
        campaign_id,
    )
    return [msgspec.convert(row, OutcomeCount) for row in rows]


class ReadCounts(msgspec.Struct, frozen=True, kw_only=True):
    rows: int
    opened: int
    acknowledged: int


async def read_counts(campaign_id: uuid.UUID) -> ReadCounts:
    rows = await CampaignRead.raw(
        "SELECT count(*) AS rows, count(opened_at) AS opened, count(acknowledged_at) AS"
        " acknowledged FROM campaign_reads WHERE campaign_id = {}",
        campaign_id,
    )
    return msgspec.convert(rows[0], ReadCounts)


class PlaceRow(msgspec.Struct, frozen=True, kw_only=True):
    code: str | None
    rows: int
    opened: int
    acknowledged: int


async def reads_by(campaign_id: uuid.UUID, column: str) -> list[PlaceRow]:
    """Read counts grouped by `commune_code` or `agency_code`."""
    if column not in ("commune_code", "agency_code"):
        raise ValueError(column)
    rows = await CampaignRead.raw(
        f"SELECT {column} AS code, count(*) AS rows, count(opened_at) AS opened,"
        " count(acknowledged_at) AS acknowledged FROM campaign_reads WHERE campaign_id = {}"
        f" GROUP BY {column} ORDER BY {column} NULLS LAST",
        campaign_id,
    )
    return [msgspec.convert(row, PlaceRow) for row in rows]


class HourRow(msgspec.Struct, frozen=True, kw_only=True):
    hour: datetime
    accepted: int
    opened: int
    acknowledged: int


async def hourly(campaign_id: uuid.UUID) -> list[HourRow]:
    """Per hour (UTC): pushes accepted (device sends and topic messages), opens and
    acknowledgements."""
    rows = await CampaignRead.raw(
        "WITH events AS ("
        " SELECT date_trunc('hour', finished_at) AS hour, 1 AS a, 0 AS o, 0 AS k"
        "  FROM push_deliveries WHERE campaign_id = {} AND status = 'accepted'"
        " UNION ALL SELECT date_trunc('hour', finished_at), 1, 0, 0"
        "  FROM topic_sends WHERE campaign_id = {} AND status = 'accepted'"
        " UNION ALL SELECT date_trunc('hour', opened_at), 0, 1, 0"
        "  FROM campaign_reads WHERE campaign_id = {} AND opened_at IS NOT NULL"
        " UNION ALL SELECT date_trunc('hour', acknowledged_at), 0, 0, 1"
        "  FROM campaign_reads WHERE campaign_id = {} AND acknowledged_at IS NOT NULL)"
        " SELECT hour, sum(a)::int AS accepted, sum(o)::int AS opened, sum(k)::int AS acknowledged"
        " FROM events GROUP BY hour ORDER BY hour",
        campaign_id,
        campaign_id,
        campaign_id,
        campaign_id,
    )
    return [msgspec.convert(row, HourRow) for row in rows]


class ChoiceCount(msgspec.Struct, frozen=True, kw_only=True):
    choice: int
    n: int


async def survey_counts(campaign_id: uuid.UUID) -> tuple[int, list[ChoiceCount]]:
    """(respondents, how often each choice was chosen)."""
    respondents = await CampaignRead.raw(
        "SELECT count(*) AS n FROM survey_answers WHERE campaign_id = {}", campaign_id
    )
    rows = await CampaignRead.raw(
        "SELECT c AS choice, count(*) AS n FROM survey_answers, unnest(choices) AS c"
        " WHERE campaign_id = {} GROUP BY c ORDER BY c",
        campaign_id,
    )
    return int(respondents[0]["n"]), [msgspec.convert(row, ChoiceCount) for row in rows]


class UnacknowledgedRow(msgspec.Struct, frozen=True, kw_only=True):
    person_id: uuid.UUID
    agency_code: str | None
    commune_code: str | None
    opened_at: datetime | None


async def unacknowledged(
    campaign_id: uuid.UUID,
    *,
    agency: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int | None,
) -> list[UnacknowledgedRow]:
    """Recipients who have not acknowledged, by agency code (people of no agency last) then
    person id; `after` is the (agency code or "", person id) of the last row of a page."""
    conditions = ["campaign_id = {}", "acknowledged_at IS NULL"]
    args: list[object] = [campaign_id]
    if agency is not None:
        conditions.append("agency_code = {}")
        args.append(agency)
    if after is not None:
        conditions.append(f"({_UNACK_KEY}) > ({{}}, {{}}, {{}})")
        args += [after[0] == "", after[0], after[1]]
    sql = (
        "SELECT person_id, agency_code, commune_code, opened_at FROM campaign_reads"
        f" WHERE {' AND '.join(conditions)} ORDER BY {_UNACK_KEY}"
    )
    if limit is not None:
        sql += " LIMIT {}"
        args.append(limit)
    rows = await CampaignRead.raw(sql, *args)
    return [msgspec.convert(row, UnacknowledgedRow) for row in rows]


_UNACK_KEY = "agency_code IS NULL, coalesce(agency_code, ''), person_id"


async def count_unacknowledged(campaign_id: uuid.UUID, *, agency: str | None) -> int:
    rows = await CampaignRead.raw(
        "SELECT count(*) AS n FROM campaign_reads WHERE campaign_id = {}"
        " AND acknowledged_at IS NULL AND ({}::varchar IS NULL OR agency_code = {}::varchar)",
        campaign_id,
        agency,
        agency,
    )
    return int(rows[0]["n"])
