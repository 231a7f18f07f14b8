"""What crosses HTTP on the police side of crime reports (and what police.py returns to the
console). No struct here carries a reporter's identity except `Reporter`, filled only for a
confidential report read by its handling unit (an audited read)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from backend.tips.workflow import Action, Outcome, Status, Urgency

UnitCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
Version = Annotated[int, msgspec.Meta(ge=1)]
UrgencyFilter = Literal["low", "normal", "high", "emergency", "none"]
PROVINCIAL = "provincial"
"""The `unit` filter value naming the provincial queue (reports with no unit)."""


class TipFilters(msgspec.Struct, frozen=True, kw_only=True):
    """The queue's filters (every one optional; together they narrow)."""

    statuses: tuple[Status, ...] = ()
    """Empty: every status but closed."""
    offences: tuple[str, ...] = ()
    """Reports with any of these offence types."""
    unit: str | None = None
    """A unit code the caller sees, or `provincial`."""
    urgencies: tuple[UrgencyFilter, ...] = ()
    """`none`: not triaged yet."""
    created_from: datetime | None = None
    created_to: datetime | None = None
    """Received in [created_from, created_to)."""
    assigned: str | None = None
    """`me`, `none` (unassigned), or an officer's id."""
    commune: str | None = None
    q: str | None = None
    """A reference (`TN-2026-000123`, or its end `000123`), or words searched in the
    decrypted content (see `police.list_queue`)."""


# --- the queue ---------------------------------------------------------------------------------


class QueueItem(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    reference: str
    kind: str
    """confidential or anonymous."""
    offences: list[str]
    ongoing_danger: bool
    commune_code: str | None
    unit_code: str | None
    """None: the provincial queue."""
    status: Status
    urgency: Urgency | None
    rank: int
    """The queue's order: 0 most urgent (emergency, or untriaged with danger now)."""
    assigned_to: uuid.UUID | None
    assigned_to_name: str | None
    outcome: Outcome | None
    attachments: int
    unread_messages: int
    """Messages from the reporter no officer has read yet."""
    version: int
    created_at: datetime
    updated_at: datetime
    last_reporter_activity_at: datetime | None
    purged: bool


class SearchProgress(msgspec.Struct, frozen=True, kw_only=True):
    """A search in the decrypted content reads at most `scan_limit` reports per request:
    `scanned` were read for this page; `complete` is False when the page was cut by the bound
    before it was full (follow `next_cursor` to search on)."""

    scanned: int
    scan_limit: int
    complete: bool


class QueuePage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[QueueItem]
    next_cursor: str | None
    search: SearchProgress | None = None


class QueueCounts(msgspec.Struct, frozen=True, kw_only=True):
    """Open reports the caller sees, by status and by urgency (`none`: not triaged)."""

    by_status: dict[str, int]
    by_urgency: dict[str, int]
    emergencies_untriaged: int
    """Untriaged reports whose reporter says the danger is happening now."""
    assigned_to_me: int


# --- one report --------------------------------------------------------------------------------


class Reporter(msgspec.Struct, frozen=True, kw_only=True):
    """Who made a confidential report (anonymous reports have none: nobody knows)."""

    person_id: uuid.UUID
    full_name: str | None


class ReportText(msgspec.Struct, frozen=True, kw_only=True):
    """The decrypted content of the report."""

    description: str
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    people: str | None = None
    victims: str | None = None
    organisation_name: str | None = None
    organisation_tax_code: str | None = None


class AttachmentOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    message_id: uuid.UUID | None
    kind: str
    mime: str
    size: int
    status: str
    filename: str | None
    """The cleaned original name (confidential reports only)."""
    url: str | None
    """Where to read the viewable copy (metadata stripped), through this API (audited)."""
    original_url: str | None
    """The untouched original kept as evidence (confidential reports only)."""
    original_sha256: str | None
    created_at: datetime


class MessageOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    sender: Literal["reporter", "police"]
    author_id: uuid.UUID | None
    author_name: str | None
    body: str | None
    """None once purged."""
    attachments: list[uuid.UUID]
    created_at: datetime
    read_at: datetime | None


class EventOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    action: str
    actor_id: uuid.UUID | None
    actor_name: str | None
    from_status: str | None
    to_status: str | None
    detail: dict[str, object]
    """What changed (urgency, officer, unit, outcome, duplicate_of) and the reason given."""
    at: datetime


class TipDetail(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    reference: str
    kind: str
    reporter: Reporter | None
    offences: list[str]
    ongoing_danger: bool
    commune_code: str | None
    place_known: bool
    has_coordinates: bool
    incident_time_kind: str
    incident_from: datetime | None
    incident_to: datetime | None
    on_behalf_of_organisation: bool
    content: ReportText | None
    """None once purged."""
    unit_code: str | None
    status: Status
    urgency: Urgency | None
    assigned_to: uuid.UUID | None
    assigned_to_name: str | None
    outcome: Outcome | None
    duplicate_of: uuid.UUID | None
    duplicate_of_reference: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    triaged_at: datetime | None
    closed_at: datetime | None
    purged_at: datetime | None
    attachments: list[AttachmentOut]
    messages: list[MessageOut]
    history: list[EventOut]
    allowed_actions: list[Action]
    reopen_targets: list[Status]


class TipWorkflow(msgspec.Struct, frozen=True, kw_only=True):
    """A report's workflow state after a change (no content: the change is not a read)."""

    id: uuid.UUID
    reference: str
    unit_code: str | None
    status: Status
    urgency: Urgency | None
    assigned_to: uuid.UUID | None
    outcome: Outcome | None
    duplicate_of: uuid.UUID | None
    version: int
    updated_at: datetime
    allowed_actions: list[Action]
    """What the caller may do now (empty after a transfer out of their unit)."""
    reopen_targets: list[Status]


class Officer(msgspec.Struct, frozen=True, kw_only=True):
    person_id: uuid.UUID
    full_name: str | None
    role: str
    on_duty: bool


# --- bodies ------------------------------------------------------------------------------------


class TriageIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    urgency: Urgency
    version: Version
    """The report's version the caller saw (a stale one is 409 tip_version_conflict)."""


class AssignIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    officer_id: uuid.UUID
    version: Version


class VersionIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Version


class CloseIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    outcome: Outcome | None = None
    duplicate_of: str | None = None
    """The other report, by id or reference (outcome `duplicate` only)."""
    note: Reason | None = None
    version: Version


class ReopenIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    reason: str
    to_status: Status | None = None
    """None: the nearest status it may go back to."""
    version: Version


class TransferIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    unit_code: UnitCode | None
    """None: the provincial queue."""
    reason: str
    version: Version


class MessageIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]


class DutyIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    officers: Annotated[list[uuid.UUID], msgspec.Meta(max_length=200)]
    until: datetime | None = None
    """When this roster ends (then every officer of the unit is alerted again)."""


class DutyRoster(msgspec.Struct, frozen=True, kw_only=True):
    unit_code: str
    officers: list[Officer]
    """Who emergency reports alert now."""
    from_roster: bool
    """False: nobody is on the roster (or it ended), so every officer of the unit is."""
    until: datetime | None
    set_by: uuid.UUID | None
    set_at: datetime | None


# --- statistics --------------------------------------------------------------------------------


class Count(msgspec.Struct, frozen=True, kw_only=True):
    key: str | None
    count: int


class WeekCount(msgspec.Struct, frozen=True, kw_only=True):
    week: date
    """Monday of the week (Asia/Ho_Chi_Minh)."""
    received: int
    closed: int


class StatisticsFilters(msgspec.Struct, frozen=True, kw_only=True):
    unit: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


class TipStatistics(msgspec.Struct, frozen=True, kw_only=True):
    """Reports received in the period by the units the caller sees (purged ones included:
    their statistics row is kept)."""

    units: list[str | None]
    created_from: datetime | None
    created_to: datetime | None
    total: int
    by_offence: list[Count]
    by_commune: list[Count]
    by_status: list[Count]
    by_urgency: list[Count]
    by_outcome: list[Count]
    by_week: list[WeekCount]
    median_hours_to_triage: float | None
    median_hours_to_close: float | None
