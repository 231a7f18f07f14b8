"""Every query of the inbox: what a person sees (campaigns by the visibility rule, their own
items), what they opened, acknowledged and answered, the items `notify` writes and their
pushes. Rows come back typed (`EntryRow`, `ItemRow`, `DeliveryRow`).

One statement answers each read (the unread count is a hot route on a connection without a
transaction): the person's settings are joined in (`_ME`), not read first. Piccolo's `raw`
numbers each `{}` as a parameter, so no literal braces appear in the SQL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from notifications.tables import Campaign, CampaignRead, InboxItem, PushDelivery, SurveyAnswer

# The person (first parameter) and the categories that may be muted (second): their commune,
# language and effectively muted categories, defaults when they have no settings row; and
# their campaign_reads rows.
_ME = """me AS (
  SELECT x.person_id, p.commune_code AS commune, COALESCE(p.language, 'vi') AS language,
         ARRAY(SELECT unnest(p.muted_categories) INTERSECT SELECT unnest(x.mutable))::varchar[]
           AS muted
  FROM (SELECT {}::uuid AS person_id, {}::varchar[] AS mutable) AS x
  LEFT JOIN notification_profiles p ON p.person_id = x.person_id
),
mine AS MATERIALIZED (
  SELECT r.campaign_id, r.opened_at, r.acknowledged_at
  FROM campaign_reads r, me WHERE r.person_id = me.person_id
)"""
# `mine`, the person's own campaign_reads rows (by the person_id index), is materialised and
# hashed against the campaigns: one index range scan instead of one probe per campaign.

# Is campaign `c` in the person's inbox (`r`: their campaign_reads row, if any)? Sent or
# being sent, not in a category they muted, and addressed to them: everyone, their commune,
# or them by name (a campaign_reads row written at send time — or on their first open). A
# campaign cancelled after sending started stays where it went out: for people with a row,
# and for public audiences where a topic message of it was accepted (or is in doubt) for
# the whole province or for the person's commune (`sending`, `resending` and `in_doubt`: a
# killed worker's request may have reached FCM).
_VISIBLE = """c.sending_started_at IS NOT NULL
  AND c.status IN ('sending', 'sent', 'cancelled')
  AND NOT (c.category = ANY(me.muted))
  AND (
    r.campaign_id IS NOT NULL
    OR (
      (c.audience_kind = 'citizens'
       OR (c.audience_kind = 'communes' AND me.commune = ANY(c.audience_communes)))
      AND (c.status <> 'cancelled' OR EXISTS (
        SELECT 1 FROM topic_sends t
        WHERE t.campaign_id = c.id
          AND (t.status IN ('accepted', 'sending', 'resending') OR t.error = 'in_doubt')
          AND (t.commune_code IS NULL OR t.commune_code = me.commune)))
    )
  )"""

_CAMPAIGNS = f"""campaigns c CROSS JOIN me
  LEFT JOIN mine r ON r.campaign_id = c.id
  WHERE {_VISIBLE}"""

_ENTRIES = f"""(
  SELECT 'campaign' AS kind, c.id, c.sending_started_at AS at, c.category, c.title, c.body,
         c.translations, c.deep_link, c.urgent, c.article_id, c.image_asset_id, c.requires_ack,
         c.survey, r.opened_at, r.acknowledged_at, me.language, me.commune
  FROM {_CAMPAIGNS}
  UNION ALL
  SELECT 'item', i.id, i.created_at, i.category, i.title, i.body, i.translations, i.deep_link,
         false, NULL::uuid, NULL::uuid, i.requires_ack, NULL::jsonb, i.read_at,
         i.acknowledged_at, me.language, me.commune
  FROM inbox_items i CROSS JOIN me
  WHERE i.person_id = me.person_id
) AS e"""

# The person's survey answers, joined to the page's entries only (after the limit).
_WITH_ANSWERS = """SELECT page.*, s.choices AS answer, s.answered_at
  FROM page CROSS JOIN me
  LEFT JOIN survey_answers s
    ON page.kind = 'campaign' AND s.campaign_id = page.id AND s.person_id = me.person_id
  ORDER BY page.at DESC, page.id DESC"""


class EntryRow(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    id: uuid.UUID
    at: datetime
    category: str
    title: str
    body: str
    translations: dict[str, dict[str, str]]
    deep_link: str | None
    urgent: bool
    article_id: uuid.UUID | None
    image_asset_id: uuid.UUID | None
    requires_ack: bool
    survey: dict[str, Any] | None
    opened_at: datetime | None
    acknowledged_at: datetime | None
    answer: list[int] | None
    answered_at: datetime | None
    language: str
    """The person's notification language."""
    commune: str | None
    """The commune the person follows now."""


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _entry(raw: dict[str, Any]) -> EntryRow:
    raw["translations"] = _json(raw["translations"]) or {}
    raw["survey"] = _json(raw["survey"])
    return msgspec.convert(raw, EntryRow)


async def page(
    person_id: uuid.UUID,
    mutable: Sequence[str],
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[EntryRow]:
    """The person's inbox, newest first (ties by id), after the cursor position."""
    args: list[object] = [person_id, list(mutable)]
    condition = ""
    if after is not None:
        condition = "WHERE (e.at, e.id) < ({}::timestamptz, {}::uuid)"
        args += [after[0], after[1]]
    rows = await Campaign.raw(
        f"WITH {_ME}, page AS (SELECT e.* FROM {_ENTRIES} {condition}"
        f" ORDER BY e.at DESC, e.id DESC LIMIT {{}}) {_WITH_ANSWERS}",
        *args,
        limit,
    )
    return [_entry(row) for row in rows]


async def get(person_id: uuid.UUID, mutable: Sequence[str], entry_id: uuid.UUID) -> EntryRow | None:
    """One entry of the person's inbox; None if it is not in it (or does not exist)."""
    rows = await Campaign.raw(
        f"WITH {_ME}, page AS (SELECT e.* FROM {_ENTRIES} WHERE e.id = {{}}) {_WITH_ANSWERS}",
        person_id,
        list(mutable),
        entry_id,
    )
    return _entry(rows[0]) if rows else None


async def unread_count(person_id: uuid.UUID, mutable: Sequence[str]) -> int:
    """Entries of the person's inbox not opened: visible campaigns without an `opened_at`,
    and their items without a `read_at`."""
    rows = await Campaign.raw(
        f"WITH {_ME} SELECT"
        " (SELECT count(*) FROM inbox_items i, me"
        "   WHERE i.person_id = me.person_id AND i.read_at IS NULL)"
        f" + (SELECT count(*) FROM {_CAMPAIGNS} AND r.opened_at IS NULL) AS n",
        person_id,
        list(mutable),
    )
    return int(rows[0]["n"])


# --- the person's state of a campaign ---------------------------------------------------------


async def open_campaign(
    campaign_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    agency_code: str | None,
    commune_code: str | None,
    now: datetime,
    acknowledge: bool = False,
) -> None:
    """Record the first open (and, with `acknowledge`, the first acknowledgement) of the
    campaign by the person: their one `campaign_reads` row, created now for a public campaign
    (with the commune and agency they have now), or the row written at send time."""
    await CampaignRead.raw(
        "INSERT INTO campaign_reads (campaign_id, person_id, agency_code, commune_code,"
        " created_at, opened_at, acknowledged_at) VALUES ({}, {}, {}, {}, {}, {}, {})"
        " ON CONFLICT (campaign_id, person_id) DO UPDATE SET"
        " opened_at = COALESCE(campaign_reads.opened_at, EXCLUDED.opened_at),"
        " acknowledged_at = COALESCE(campaign_reads.acknowledged_at, EXCLUDED.acknowledged_at)",
        campaign_id,
        person_id,
        agency_code,
        commune_code,
        now,
        now,
        now if acknowledge else None,
    )


async def answer_survey(
    campaign_id: uuid.UUID,
    person_id: uuid.UUID,
    choices: Sequence[int],
    *,
    agency_code: str | None,
    commune_code: str | None,
    now: datetime,
) -> None:
    """The person's one answer to the campaign's survey (answering again replaces it)."""
    await SurveyAnswer.raw(
        "INSERT INTO survey_answers (campaign_id, person_id, choices, commune_code, agency_code,"
        " answered_at) VALUES ({}, {}, {}::smallint[], {}, {}, {})"
        " ON CONFLICT (campaign_id, person_id) DO UPDATE SET choices = EXCLUDED.choices,"
        " commune_code = EXCLUDED.commune_code, agency_code = EXCLUDED.agency_code,"
        " answered_at = EXCLUDED.answered_at",
        campaign_id,
        person_id,
        list(choices),
        commune_code,
        agency_code,
        now,
    )


# --- items ------------------------------------------------------------------------------------


class NewItem(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    person_id: uuid.UUID
    category: str
    title: str
    body: str
    translations: dict[str, dict[str, str]]
    deep_link: str | None
    data: dict[str, Any]
    requires_ack: bool
    created_at: datetime


class ItemRow(NewItem, frozen=True, kw_only=True):
    read_at: datetime | None
    acknowledged_at: datetime | None


async def insert_items(items: Sequence[NewItem]) -> None:
    if not items:
        return
    await InboxItem.raw(
        "INSERT INTO inbox_items (id, person_id, category, title, body, translations,"
        " deep_link, data, requires_ack, created_at)"
        " SELECT * FROM unnest({}::uuid[], {}::uuid[], {}::varchar[], {}::varchar[], {}::text[],"
        " {}::jsonb[], {}::text[], {}::jsonb[], {}::boolean[], {}::timestamptz[])",
        [i.id for i in items],
        [i.person_id for i in items],
        [i.category for i in items],
        [i.title for i in items],
        [i.body for i in items],
        [json.dumps(i.translations, ensure_ascii=False) for i in items],
        [i.deep_link for i in items],
        [json.dumps(i.data, ensure_ascii=False) for i in items],
        [i.requires_ack for i in items],
        [i.created_at for i in items],
    )


async def items_by_id(item_ids: Sequence[uuid.UUID]) -> list[ItemRow]:
    if not item_ids:
        return []
    rows = await InboxItem.raw(
        "SELECT id, person_id, category, title, body, translations, deep_link, data,"
        " requires_ack, created_at, read_at, acknowledged_at FROM inbox_items"
        " WHERE id = ANY({}::uuid[]) ORDER BY created_at, id",
        list(item_ids),
    )
    for row in rows:
        row["translations"] = _json(row["translations"]) or {}
        row["data"] = _json(row["data"]) or {}
    return [msgspec.convert(row, ItemRow) for row in rows]


async def mark_item(
    item_id: uuid.UUID, person_id: uuid.UUID, now: datetime, *, acknowledge: bool = False
) -> None:
    """Record the first read (and first acknowledgement) of the person's item."""
    await InboxItem.raw(
        "UPDATE inbox_items SET read_at = COALESCE(read_at, {}),"
        " acknowledged_at = CASE WHEN {}::boolean THEN COALESCE(acknowledged_at, {})"
        " ELSE acknowledged_at END"
        " WHERE id = {} AND person_id = {}",
        now,
        acknowledge,
        now,
        item_id,
        person_id,
    )


# --- pushes of items --------------------------------------------------------------------------


class DeliveryRow(msgspec.Struct, frozen=True, kw_only=True):
    item_id: uuid.UUID
    installation_id: str
    person_id: uuid.UUID
    status: str
    attempts: int


async def claim_item_deliveries(
    wanted: Sequence[tuple[uuid.UUID, str, uuid.UUID]], now: datetime, *, max_attempts: int
) -> list[DeliveryRow]:
    """Claim the pushes to make of (item, device, person): new ones are inserted `sending`;
    rows a previous run left `sending` (a killed worker: in doubt whether FCM got them) are
    claimed once more with one attempt more, up to `max_attempts`, after which they are
    recorded failed (`in_doubt`). Pushes already `accepted` or `failed` are never claimed."""
    if not wanted:
        return []
    item_ids = sorted({w[0] for w in wanted})
    await PushDelivery.raw(
        "UPDATE push_deliveries SET status = 'failed', error = 'in_doubt', finished_at = {}"
        " WHERE item_id = ANY({}::uuid[]) AND status = 'sending' AND attempts >= {}",
        now,
        item_ids,
        max_attempts,
    )
    again = await PushDelivery.raw(
        "UPDATE push_deliveries SET attempts = attempts + 1, claimed_at = {}"
        " WHERE item_id = ANY({}::uuid[]) AND status = 'sending' AND claimed_at < {}"
        " RETURNING item_id, installation_id, person_id, status, attempts",
        now,
        item_ids,
        now,
    )
    new = await PushDelivery.raw(
        "INSERT INTO push_deliveries (item_id, installation_id, person_id, status, attempts,"
        " claimed_at) SELECT w.item_id, w.installation_id, w.person_id, 'sending', 1, {}"
        " FROM unnest({}::uuid[], {}::varchar[], {}::uuid[])"
        " AS w (item_id, installation_id, person_id)"
        " ON CONFLICT (item_id, installation_id) WHERE item_id IS NOT NULL DO NOTHING"
        " RETURNING item_id, installation_id, person_id, status, attempts",
        now,
        [w[0] for w in wanted],
        [w[1] for w in wanted],
        [w[2] for w in wanted],
    )
    return [msgspec.convert(row, DeliveryRow) for row in [*again, *new]]


async def record_delivery(
    item_id: uuid.UUID,
    installation_id: str,
    *,
    status: str,
    error: str | None,
    message_id: str | None,
    now: datetime,
) -> None:
    await PushDelivery.raw(
        "UPDATE push_deliveries SET status = {}, error = {}, message_id = {}, finished_at = {}"
        " WHERE item_id = {} AND installation_id = {} AND status = 'sending'",
        status,
        error,
        message_id,
        now,
        item_id,
        installation_id,
    )


async def deliveries_of(item_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    """Every push of these items (for the console and tests)."""
    rows: list[dict[str, Any]] = await PushDelivery.raw(
        "SELECT item_id, installation_id, person_id, status, error, message_id, attempts"
        " FROM push_deliveries WHERE item_id = ANY({}::uuid[]) ORDER BY item_id, installation_id",
        list(item_ids),
    )
    return rows
