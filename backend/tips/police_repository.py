"""Every query of the police side of crime reports: the queue, a report's workflow columns and
history, the duty roster, the statistics, the retention purge.

Nothing here reads or writes sealed content (the citizen part's `content` module opens it);
rows come back typed. Who may see what is passed in as a `Scope` and applied in SQL, so that
no query can return a report of a unit the caller does not belong to.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import msgspec

from backend.tips import repository
from backend.tips.tables import Tip, TipAttachment, TipDuty, TipEvent, TipMessage
from backend.tips.workflow import RANK_SQL


@dataclass(frozen=True)
class Scope:
    """The reports a caller sees: those of `units`, those of the provincial queue when
    `provincial`, and those assigned to `person_id`."""

    person_id: uuid.UUID
    units: tuple[str, ...]
    provincial: bool


_VISIBLE = (
    "(tips.unit_code = ANY({}::text[]) OR ({}::bool AND tips.unit_code IS NULL)"
    " OR tips.assigned_to = {})"
)


def _visible(scope: Scope) -> tuple[str, list[object]]:
    return _VISIBLE, [list(scope.units), scope.provincial, scope.person_id]


class TipRow(msgspec.Struct, frozen=True, kw_only=True):
    """A report's columns in clear (never its sealed content or keys)."""

    id: uuid.UUID
    reference: str
    kind: str
    reporter_id: uuid.UUID | None
    offences: list[str]
    ongoing_danger: bool
    commune_code: str | None
    place_known: bool
    has_coordinates: bool
    incident_time_kind: str
    incident_from: datetime | None
    incident_to: datetime | None
    on_behalf_of_organisation: bool
    unit_code: str | None
    status: str
    urgency: str | None
    assigned_to: uuid.UUID | None
    outcome: str | None
    duplicate_of: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
    triaged_at: datetime | None
    closed_at: datetime | None
    last_reporter_activity_at: datetime | None
    last_police_activity_at: datetime | None
    purged_at: datetime | None


_TIP_COLUMNS = ", ".join(f"tips.{name}" for name in TipRow.__struct_fields__)


class QueueRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    reference: str
    kind: str
    offences: list[str]
    ongoing_danger: bool
    commune_code: str | None
    unit_code: str | None
    status: str
    urgency: str | None
    rank: int
    assigned_to: uuid.UUID | None
    outcome: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    last_reporter_activity_at: datetime | None
    purged: bool
    attachments: int
    unread_messages: int


_QUEUE_COLUMNS = (
    "tips.id, tips.reference, tips.kind, tips.offences, tips.ongoing_danger, tips.commune_code,"
    " tips.unit_code, tips.status, tips.urgency, " + RANK_SQL + " AS rank, tips.assigned_to,"
    " tips.outcome, tips.version, tips.created_at, tips.updated_at,"
    " tips.last_reporter_activity_at, tips.purged_at IS NOT NULL AS purged,"
    " (SELECT count(*) FROM tip_attachments a WHERE a.tip_id = tips.id) AS attachments,"
    " (SELECT count(*) FROM tip_messages m WHERE m.tip_id = tips.id AND m.sender = 'reporter'"
    " AND m.read_at IS NULL) AS unread_messages"
)


@dataclass(frozen=True)
class QueueQuery:
    """The queue's filters in the repository's terms (see police_schemas.TipFilters)."""

    statuses: Sequence[str] = ()
    offences: Sequence[str] = ()
    unit: str | None = None
    provincial_only: bool = False
    urgencies: Sequence[str] = ()
    untriaged: bool = False
    created_from: datetime | None = None
    created_to: datetime | None = None
    assigned_to: uuid.UUID | None = None
    unassigned: bool = False
    commune: str | None = None
    reference: str | None = None


def _conditions(scope: Scope, query: QueueQuery) -> tuple[list[str], list[object]]:
    visible, args = _visible(scope)
    conditions = [visible]
    if query.statuses:
        conditions.append("tips.status = ANY({}::text[])")
        args.append(list(query.statuses))
    if query.offences:
        conditions.append("tips.offences && {}::varchar[]")
        args.append(list(query.offences))
    if query.provincial_only:
        conditions.append("tips.unit_code IS NULL")
    elif query.unit is not None:
        conditions.append("tips.unit_code = {}")
        args.append(query.unit)
    if query.urgencies or query.untriaged:
        conditions.append("(tips.urgency = ANY({}::text[]) OR ({}::bool AND tips.urgency IS NULL))")
        args += [list(query.urgencies), query.untriaged]
    if query.created_from is not None:
        conditions.append("tips.created_at >= {}")
        args.append(query.created_from)
    if query.created_to is not None:
        conditions.append("tips.created_at < {}")
        args.append(query.created_to)
    if query.assigned_to is not None:
        conditions.append("tips.assigned_to = {}")
        args.append(query.assigned_to)
    if query.unassigned:
        conditions.append("tips.assigned_to IS NULL")
    if query.commune is not None:
        conditions.append("tips.commune_code = {}")
        args.append(query.commune)
    if query.reference is not None:
        # The whole reference, or its last digits (what people read out on the phone).
        conditions.append("(tips.reference = {} OR tips.reference LIKE {})")
        args += [query.reference, "%-" + query.reference.lstrip("0").rjust(6, "0")]
    return conditions, args


async def queue_page(
    scope: Scope,
    query: QueueQuery,
    *,
    after: tuple[int, datetime, uuid.UUID] | None,
    limit: int,
) -> list[QueueRow]:
    """Visible reports matching `query`, most urgent first, then oldest first (then by id),
    after the keyset position `after`."""
    conditions, args = _conditions(scope, query)
    if after is not None:
        conditions.append(f"({RANK_SQL}, tips.created_at, tips.id) > ({{}}, {{}}, {{}})")
        args += list(after)
    raws: list[dict[str, Any]] = await Tip.raw(
        f"SELECT {_QUEUE_COLUMNS} FROM tips WHERE {' AND '.join(conditions)}"
        f" ORDER BY {RANK_SQL}, tips.created_at, tips.id LIMIT {{}}",
        *args,
        limit,
    )
    return [msgspec.convert(raw, QueueRow) for raw in raws]


async def queue_counts(scope: Scope, statuses: Sequence[str]) -> list[dict[str, Any]]:
    """(status, urgency, ongoing_danger, mine, n) over the visible reports of `statuses`."""
    visible, args = _visible(scope)
    rows: list[dict[str, Any]] = await Tip.raw(
        "SELECT tips.status, tips.urgency, tips.ongoing_danger,"
        " tips.assigned_to IS NOT DISTINCT FROM {} AS mine, count(*) AS n FROM tips"
        f" WHERE {visible} AND tips.status = ANY({{}}::text[])"
        " GROUP BY 1, 2, 3, 4",
        scope.person_id,
        *args,
        list(statuses),
    )
    return rows


async def get_tip(tip_id: uuid.UUID) -> TipRow | None:
    raws = await Tip.raw(f"SELECT {_TIP_COLUMNS} FROM tips WHERE tips.id = {{}}", tip_id)
    return msgspec.convert(raws[0], TipRow) if raws else None


async def get_visible_tip(scope: Scope, tip_id: uuid.UUID) -> TipRow | None:
    """The report if the scope sees it (else None, as if it did not exist)."""
    visible, args = _visible(scope)
    raws = await Tip.raw(
        f"SELECT {_TIP_COLUMNS} FROM tips WHERE tips.id = {{}} AND {visible}", tip_id, *args
    )
    return msgspec.convert(raws[0], TipRow) if raws else None


async def find_visible_by_reference(scope: Scope, reference: str) -> uuid.UUID | None:
    visible, args = _visible(scope)
    raws = await Tip.raw(
        f"SELECT tips.id FROM tips WHERE tips.reference = {{}} AND {visible}", reference, *args
    )
    return raws[0]["id"] if raws else None


async def references_of(tip_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not tip_ids:
        return {}
    raws = await Tip.raw(
        "SELECT id, reference FROM tips WHERE id = ANY({}::uuid[])", list(set(tip_ids))
    )
    return {raw["id"]: raw["reference"] for raw in raws}


async def update_if_version(
    tip_id: uuid.UUID, expected_version: int, values: dict[str, Any]
) -> TipRow | None:
    """Change the report only if its version is still `expected_version` (compare-and-set),
    bumping the version: the new row, or None when someone changed it meanwhile."""
    assignments = ", ".join(f"{column} = {{}}" for column in values)
    raws = await Tip.raw(
        f"UPDATE tips SET {assignments}, version = tips.version + 1"
        f" WHERE tips.id = {{}} AND tips.version = {{}} RETURNING {_TIP_COLUMNS}",
        *values.values(),
        tip_id,
        expected_version,
    )
    return msgspec.convert(raws[0], TipRow) if raws else None


async def touch_police_activity(tip_id: uuid.UUID, now: datetime) -> None:
    """A police message: the report's activity time (not its version: a message does not
    conflict with a workflow change)."""
    await Tip.raw(
        "UPDATE tips SET last_police_activity_at = {}, updated_at = {} WHERE id = {}",
        now,
        now,
        tip_id,
    )


# --- history ----------------------------------------------------------------------------------


class EventRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    tip_id: uuid.UUID
    actor_id: uuid.UUID | None
    action: str
    from_status: str | None
    to_status: str | None
    detail: dict[str, Any]
    at: datetime


async def insert_event(
    tip_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    action: str,
    from_status: str | None,
    to_status: str | None,
    detail: dict[str, Any],
    at: datetime,
) -> int:
    raws = await TipEvent.raw(
        "INSERT INTO tip_events (tip_id, actor_id, action, from_status, to_status, detail, at)"
        " VALUES ({}, {}, {}, {}, {}, {}::jsonb, {}) RETURNING id",
        tip_id,
        actor_id,
        action,
        from_status,
        to_status,
        msgspec.json.encode(detail).decode(),
        at,
    )
    return int(raws[0]["id"])


async def events_of(tip_id: uuid.UUID) -> list[EventRow]:
    raws = await TipEvent.raw(
        "SELECT id, tip_id, actor_id, action, from_status, to_status, detail, at"
        " FROM tip_events WHERE tip_id = {} ORDER BY at, id",
        tip_id,
    )
    rows = []
    for raw in raws:
        detail = raw["detail"]
        raw["detail"] = msgspec.json.decode(detail) if isinstance(detail, str | bytes) else detail
        rows.append(msgspec.convert(raw, EventRow))
    return rows


# --- sealed content (for the text search) -----------------------------------------------------


async def sealed_rows(tip_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, repository.TipRow]:
    """The rows with their sealed content and wrapped key (the citizen part's `TipRow`, which
    `content.open_content` opens), for a batch of reports already known visible."""
    if not tip_ids:
        return {}
    columns = ", ".join(repository.TipRow.__struct_fields__)
    raws = await Tip.raw(f"SELECT {columns} FROM tips WHERE id = ANY({{}}::uuid[])", list(tip_ids))
    rows = [msgspec.convert(raw, repository.TipRow) for raw in raws]
    return {row.id: row for row in rows}


# --- the duty roster --------------------------------------------------------------------------


class DutyRow(msgspec.Struct, frozen=True, kw_only=True):
    person_id: uuid.UUID
    until: datetime | None
    set_by: uuid.UUID | None
    set_at: datetime


async def duty_of(unit_code: str) -> list[DutyRow]:
    raws = await TipDuty.raw(
        "SELECT person_id, until, set_by, set_at FROM tip_duty WHERE unit_code = {}"
        " ORDER BY person_id",
        unit_code,
    )
    return [msgspec.convert(raw, DutyRow) for raw in raws]


async def replace_duty(
    unit_code: str,
    person_ids: Sequence[uuid.UUID],
    *,
    until: datetime | None,
    set_by: uuid.UUID,
    now: datetime,
) -> None:
    await TipDuty.raw("DELETE FROM tip_duty WHERE unit_code = {}", unit_code)
    if person_ids:
        await TipDuty.raw(
            "INSERT INTO tip_duty (unit_code, person_id, until, set_by, set_at)"
            " SELECT {}, p, {}, {}, {} FROM unnest({}::uuid[]) AS p",
            unit_code,
            until,
            set_by,
            now,
            list(dict.fromkeys(person_ids)),
        )


# --- statistics -------------------------------------------------------------------------------


def _stats_conditions(
    units: Sequence[str],
    provincial: bool,
    created_from: datetime | None,
    created_to: datetime | None,
) -> tuple[str, list[object]]:
    conditions = ["(tips.unit_code = ANY({}::text[]) OR ({}::bool AND tips.unit_code IS NULL))"]
    args: list[object] = [list(units), provincial]
    if created_from is not None:
        conditions.append("tips.created_at >= {}")
        args.append(created_from)
    if created_to is not None:
        conditions.append("tips.created_at < {}")
        args.append(created_to)
    return " AND ".join(conditions), args


class Totals(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    median_seconds_to_triage: float | None
    median_seconds_to_close: float | None


async def statistics(
    units: Sequence[str],
    provincial: bool,
    created_from: datetime | None,
    created_to: datetime | None,
    timezone: str,
) -> tuple[Totals, dict[str, list[tuple[str | None, int]]], list[tuple[date, int, int]]]:
    """Totals and medians; counts by offence, commune, status, urgency, outcome; by week
    (Monday in `timezone`) received and closed. Purged reports count: their row is kept."""
    where, args = _stats_conditions(units, provincial, created_from, created_to)
    totals = await Tip.raw(
        "SELECT count(*) AS total,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM triaged_at - created_at))"
        " AS median_seconds_to_triage,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - created_at))"
        " FILTER (WHERE status = 'closed') AS median_seconds_to_close"
        f" FROM tips WHERE {where}",
        *args,
    )
    groups: dict[str, list[tuple[str | None, int]]] = {}
    for name, expression in (
        ("offence", "unnest(tips.offences)"),
        ("commune", "tips.commune_code"),
        ("status", "tips.status"),
        ("urgency", "tips.urgency"),
        ("outcome", "tips.outcome"),
    ):
        rows = await Tip.raw(
            f"SELECT key, count(*) AS n FROM (SELECT {expression} AS key FROM tips WHERE {where})"
            " AS k GROUP BY key ORDER BY n DESC, key NULLS LAST",
            *args,
        )
        groups[name] = [(row["key"], int(row["n"])) for row in rows]
    weeks = await Tip.raw(
        "WITH scoped AS (SELECT created_at, closed_at, status FROM tips WHERE " + where + "),"
        " received AS (SELECT date_trunc('week', created_at AT TIME ZONE {})::date AS week,"
        " count(*) AS n FROM scoped GROUP BY 1),"
        " closed AS (SELECT date_trunc('week', closed_at AT TIME ZONE {})::date AS week,"
        " count(*) AS n FROM scoped WHERE status = 'closed' GROUP BY 1)"
        " SELECT coalesce(r.week, c.week) AS week, coalesce(r.n, 0) AS received,"
        " coalesce(c.n, 0) AS closed FROM received r FULL JOIN closed c ON r.week = c.week"
        " ORDER BY 1",
        *args,
        timezone,
        timezone,
    )
    return (
        msgspec.convert(totals[0], Totals),
        groups,
        [(row["week"], int(row["received"]), int(row["closed"])) for row in weeks],
    )


class ExportRow(msgspec.Struct, frozen=True, kw_only=True):
    reference: str
    kind: str
    offences: list[str]
    ongoing_danger: bool
    commune_code: str | None
    unit_code: str | None
    status: str
    urgency: str | None
    outcome: str | None
    assigned_to: uuid.UUID | None
    created_at: datetime
    triaged_at: datetime | None
    closed_at: datetime | None
    purged_at: datetime | None


async def export_rows(
    units: Sequence[str],
    provincial: bool,
    created_from: datetime | None,
    created_to: datetime | None,
    limit: int,
) -> list[ExportRow]:
    where, args = _stats_conditions(units, provincial, created_from, created_to)
    raws = await Tip.raw(
        "SELECT reference, kind, offences, ongoing_danger, commune_code, unit_code, status,"
        " urgency, outcome, assigned_to, created_at, triaged_at, closed_at, purged_at"
        f" FROM tips WHERE {where} ORDER BY created_at, id LIMIT {{}}",
        *args,
        limit,
    )
    return [msgspec.convert(raw, ExportRow) for raw in raws]


# --- retention --------------------------------------------------------------------------------


class PurgeCandidate(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    reference: str
    outcome: str | None
    closed_at: datetime


async def due_for_purge(cutoffs: dict[str, datetime], limit: int) -> list[PurgeCandidate]:
    """Closed, unpurged reports closed before the cutoff of their outcome, oldest first,
    locked (others running the job skip them)."""
    outcomes = list(cutoffs)
    raws = await Tip.raw(
        "SELECT tips.id, tips.reference, tips.outcome, tips.closed_at FROM tips"
        " JOIN unnest({}::text[], {}::timestamptz[]) AS c(outcome, cutoff)"
        " ON c.outcome = coalesce(tips.outcome, 'resolved')"
        " WHERE tips.status = 'closed' AND tips.purged_at IS NULL AND tips.closed_at < c.cutoff"
        " ORDER BY tips.closed_at, tips.id LIMIT {} FOR UPDATE OF tips SKIP LOCKED",
        outcomes,
        [cutoffs[o] for o in outcomes],
        limit,
    )
    return [msgspec.convert(raw, PurgeCandidate) for raw in raws]


class PurgedFiles(msgspec.Struct, frozen=True, kw_only=True):
    keys: list[str]
    attachments: int
    messages: int


async def purge_content(tip_id: uuid.UUID, now: datetime) -> PurgedFiles:
    """Delete a report's messages and attachments rows and clear its sealed content, key and
    what tied it to its reporter (reporter id, receipt hash); the row's clear columns stay for
    the statistics. Returns the storage keys of its files (to delete after commit)."""
    files = await TipAttachment.raw(
        "DELETE FROM tip_attachments WHERE tip_id = {} RETURNING view_key, original_key", tip_id
    )
    keys = [key for row in files for key in (row["view_key"], row["original_key"]) if key]
    messages = await TipMessage.raw(
        "DELETE FROM tip_messages WHERE tip_id = {} RETURNING id", tip_id
    )
    # Reasons and notes in the history are police text about the report (sealed with its
    # key): they go with the content.
    await TipEvent.raw(
        "UPDATE tip_events SET detail = detail - 'sealed' - 'reason' - 'note' WHERE tip_id = {}",
        tip_id,
    )
    await Tip.raw(
        "UPDATE tips SET sealed = NULL, data_key = NULL, key_id = NULL, reporter_id = NULL,"
        " receipt_hash = NULL, purged_at = {}, updated_at = {}, version = version + 1"
        " WHERE id = {}",
        now,
        now,
        tip_id,
    )
    return PurgedFiles(keys=keys, attachments=len(files), messages=len(messages))
