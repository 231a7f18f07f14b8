"""The police side of crime reports: the queue, reading a report, the workflow, messages to
the reporter, the duty roster; statistics and the CSV export are in `stats`, the retention
purge in `retention`. The console (backend/tips/pages.py) and the API call these same
functions; none imports Litestar.

Who sees what. A report belongs to the police unit of its commune (`routing`), or to the
provincial queue (no unit). Members of a unit — officers and supervisors — see its reports,
and an officer also sees the reports assigned to them. The provincial queue is handled by the
members of the provincial unit named by `CTN_TIPS_PROVINCIAL_UNIT` (default `CA-TINH`, the
provincial police): its officers triage and handle what they take, its supervisors assign
and transfer each report to the unit of its commune. A report the caller does not see is
`TipNotFound` (404) everywhere, never a 403, so its existence does not leak.

Reads. Every read of a report's content (`get_report`, `read_attachment`, a text search of
the queue) writes an audit entry in the caller's transaction (`tip.read`,
`tip.attachment_read`, `tip.search`): ids and counts only, never content or names.

Changes. Every change names the version of the report the caller saw (`expected_version`);
the row is changed by compare-and-set on it, so two officers acting at once cannot overwrite
each other: the second gets `TipVersionConflict` (409, `tip_version_conflict`, with
`current_version`). Each change is checked by the rules of `workflow`, timestamped, recorded
in the report's history (`tip_events`) and in the audit log (`tip.<action>`). Reasons given
for moving back and transferring, and the note of a closing, are police text about the
report: they are sealed with the report's data key in its history (so a dump of the database
reveals none of them, and a purge removes them) and never written in clear to the audit log.

Notifications (through `notifications.service.notify`, in the caller's transaction, pushed
after commit): a new report → its unit (`tips.new_report`), and at once, when its reporter
says the danger is happening now or when it is triaged as an emergency, the unit's on-duty
officers (`tips.emergency`, category `emergency`: see `duty`); an assignment → the officer
(`tips.assigned`); a status change or a police message → the reporter of a confidential
report (`tips.status_changed`, `tips.new_message`). Anonymous reporters are never notified:
nothing ties them to a device; they poll with their receipt.

Signatures (what the console calls):

    await seat_of(principal) -> Seat
    await list_queue(principal, filters: TipFilters, page: PageRequest) -> QueuePage
    await queue_counts(principal) -> QueueCounts
    await get_report(principal, tip_id) -> TipDetail                        # audited read
    await allowed_actions(principal, tip_id) -> list[Action]                # not a content read
    await assignable_officers(principal, tip_id) -> list[Officer]
    await do_triage(principal, tip_id, urgency, *, expected_version) -> TipWorkflow
    await do_assign(principal, tip_id, officer_id, *, expected_version) -> TipWorkflow
    await do_start_investigation(principal, tip_id, *, expected_version) -> TipWorkflow
    await do_close(principal, tip_id, outcome, *, duplicate_of=None, note=None,
                   expected_version) -> TipWorkflow
    await do_reopen(principal, tip_id, *, reason, to_status=None, expected_version) -> TipWorkflow
    await do_transfer(principal, tip_id, unit_code, *, reason, expected_version) -> TipWorkflow
    await do_post_message(principal, tip_id, body) -> MessageOut
    await do_add_message_attachment(settings, principal, tip_id, message_id, body: UploadBody)
        -> AttachmentOut                                                     # no transaction
    await read_attachment(settings, principal, tip_id, attachment_id, *, original=False,
                          byte_range=None) -> AttachmentStream              # audited read
    await on_new_report(tip_id) -> None                                     # the citizen part
    await get_duty(principal, unit_code) -> DutyRoster
    await do_set_duty(principal, unit_code, officers, *, until=None) -> DutyRoster
    stats.statistics(principal, filters: StatisticsFilters) -> TipStatistics
    stats.export_csv(principal, filters: StatisticsFilters) -> str          # audited
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from backend.access import Principal, Role
from backend.audit.service import do_record
from backend.db import unit_of_work
from backend.errors import PermissionDenied
from backend.http.pagination import PageRequest, decode_cursor, encode_cursor
from backend.identity.service import (
    get_person_roles,
    list_police_units,
    names_of,
)
from backend.settings import Settings, get_settings
from backend.text import fold
from backend.tips import content, crypto, duty, police_repository, repository
from backend.tips.errors import (
    TipAttachmentNotFound,
    TipMessageNotFound,
    TipNotFound,
    TipPurged,
)
from backend.tips.police_errors import (
    PoliceUnitNotFound,
    TipActionForbidden,
    TipDuplicateInvalid,
    TipDutyInvalid,
    TipFilterInvalid,
    TipMessageInvalid,
    TipOfficerInvalid,
    TipUnitInvalid,
    TipVersionConflict,
)
from backend.tips.police_repository import QueueQuery, Scope, TipRow
from backend.tips.police_schemas import (
    PROVINCIAL,
    AttachmentOut,
    DutyRoster,
    EventOut,
    MessageOut,
    Officer,
    QueueCounts,
    QueueItem,
    QueuePage,
    Reporter,
    ReportText,
    SearchProgress,
    TipDetail,
    TipFilters,
    TipWorkflow,
)
from backend.tips.workflow import (
    OPEN,
    Action,
    Change,
    Outcome,
    Standing,
    Status,
    TipState,
    Urgency,
    check_assign,
    check_close,
    check_message,
    check_reopen,
    check_start_investigation,
    check_transfer,
    check_triage,
    reopen_targets,
)
from backend.tips.workflow import allowed_actions as rule_actions
from content.errors import RangeNotSatisfiable
from content.service import UploadBody
from notifications.service import notify

POLICE_ROLES = frozenset({Role.POLICE_OFFICER, Role.POLICE_SUPERVISOR})
API = "/api/v1/police/tips"
CURSOR_KIND = "police-tips"
SEARCH_BATCH = 50
MESSAGE_MAX = 5000
EXPORT_LIMIT = 50_000


def _now() -> datetime:
    return datetime.now(UTC)


# --- who the caller is -----------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """The caller's police memberships: the units where they are a supervisor, an officer,
    and the provincial unit's code (whose members handle the provincial queue)."""

    person_id: uuid.UUID
    supervisor_units: frozenset[str]
    officer_units: frozenset[str]
    provincial_unit: str

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(sorted(self.supervisor_units | self.officer_units))

    @property
    def provincial(self) -> bool:
        return self.provincial_unit in self.supervisor_units | self.officer_units

    @property
    def scope(self) -> Scope:
        return Scope(person_id=self.person_id, units=self.units, provincial=self.provincial)

    def _key(self, unit_code: str | None) -> str:
        return unit_code if unit_code is not None else self.provincial_unit

    def is_supervisor_of(self, unit_code: str | None) -> bool:
        return self._key(unit_code) in self.supervisor_units

    def is_member_of(self, unit_code: str | None) -> bool:
        key = self._key(unit_code)
        return key in self.supervisor_units or key in self.officer_units

    def standing(self, unit_code: str | None) -> Standing:
        key = self._key(unit_code)
        return Standing(
            person_id=self.person_id,
            supervisor=key in self.supervisor_units,
            officer=key in self.officer_units,
        )


async def seat_of(principal: Principal | None) -> Seat:
    """The caller's police memberships (the roles the request honours only); a caller who
    holds no police role is refused (`PermissionDenied`)."""
    if principal is None or not principal.roles & POLICE_ROLES:
        raise PermissionDenied()
    supervisor: set[str] = set()
    officer: set[str] = set()
    for grant in await get_person_roles(principal.id):
        if grant.role not in principal.roles or grant.police_unit is None:
            continue
        if grant.role == Role.POLICE_SUPERVISOR:
            supervisor.add(grant.police_unit.code)
        elif grant.role == Role.POLICE_OFFICER:
            officer.add(grant.police_unit.code)
    return Seat(
        person_id=principal.id,
        supervisor_units=frozenset(supervisor),
        officer_units=frozenset(officer),
        provincial_unit=get_settings().tips_provincial_unit,
    )


def _state(row: TipRow) -> TipState:
    return TipState(
        id=row.id,
        status=Status(row.status),
        urgency=Urgency(row.urgency) if row.urgency else None,
        assigned_to=row.assigned_to,
        unit_code=row.unit_code,
        purged=row.purged_at is not None,
    )


async def _visible(seat: Seat, tip_id: uuid.UUID) -> TipRow:
    row = await police_repository.get_visible_tip(seat.scope, tip_id)
    if row is None:
        raise TipNotFound()
    return row


# --- the queue ----------------------------------------------------------------------------------

_FULL_REFERENCE = re.compile(r"^TN-\d{4}-\d{1,12}$", re.IGNORECASE)
_REFERENCE_DIGITS = re.compile(r"^\d{1,6}$")


def _query(seat: Seat, filters: TipFilters) -> tuple[QueueQuery, list[str]]:
    """The repository's query, and the words to search in the content (if any)."""
    words: list[str] = []
    reference = None
    text = (filters.q or "").strip()
    if text:
        if _FULL_REFERENCE.match(text):
            reference = text.upper()
        elif _REFERENCE_DIGITS.match(text):
            reference = text
        else:
            words = fold(text).split()
            if not words or len(words) > 10 or len(text) > 200:
                raise TipFilterInvalid(field="q")
    urgencies = [str(u) for u in filters.urgencies if u != "none"]
    assigned_to = None
    unassigned = False
    if filters.assigned == "me":
        assigned_to = seat.person_id
    elif filters.assigned == "none":
        unassigned = True
    elif filters.assigned is not None:
        try:
            assigned_to = uuid.UUID(filters.assigned)
        except ValueError:
            raise TipFilterInvalid(field="assigned") from None
    if (
        filters.created_from is not None
        and filters.created_to is not None
        and filters.created_from >= filters.created_to
    ):
        raise TipFilterInvalid(field="created_to")
    query = QueueQuery(
        statuses=[str(s) for s in filters.statuses] or [str(s) for s in OPEN],
        offences=list(filters.offences),
        unit=filters.unit if filters.unit != PROVINCIAL else None,
        provincial_only=filters.unit == PROVINCIAL,
        urgencies=urgencies,
        untriaged="none" in filters.urgencies,
        created_from=filters.created_from,
        created_to=filters.created_to,
        assigned_to=assigned_to,
        unassigned=unassigned,
        commune=filters.commune,
        reference=reference,
    )
    return query, words


def _item(row: police_repository.QueueRow, names: dict[uuid.UUID, str | None]) -> QueueItem:
    return QueueItem(
        id=row.id,
        reference=row.reference,
        kind=row.kind,
        offences=row.offences,
        ongoing_danger=row.ongoing_danger,
        commune_code=row.commune_code,
        unit_code=row.unit_code,
        status=Status(row.status),
        urgency=Urgency(row.urgency) if row.urgency else None,
        rank=row.rank,
        assigned_to=row.assigned_to,
        assigned_to_name=names.get(row.assigned_to) if row.assigned_to else None,
        outcome=Outcome(row.outcome) if row.outcome else None,
        attachments=row.attachments,
        unread_messages=row.unread_messages,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_reporter_activity_at=row.last_reporter_activity_at,
        purged=row.purged,
    )


def _position(row: police_repository.QueueRow) -> tuple[int, datetime, uuid.UUID]:
    return (row.rank, row.created_at, row.id)


async def list_queue(
    principal: Principal | None, filters: TipFilters, page: PageRequest
) -> QueuePage:
    """The reports the caller sees, filtered, most urgent first (emergency, then untriaged
    with danger now, high, untriaged, normal, low), then oldest first; `page.cursor` is the
    previous page's `next_cursor`. Without a status filter, closed reports are left out.

    `filters.q`: a reference (`TN-2026-000123`, or its last 1–6 digits) is matched in SQL.
    Other text is searched in the decrypted content, since nothing searchable is stored in
    clear (a keyword index, even hashed, would tell a dump which reports share words):
    reports matching the other filters are opened in queue order, at most
    `CTN_TIPS_SEARCH_SCAN_LIMIT` per request, each word matched ignoring case and diacritics
    in the description, address, people, victims and organisation. When the bound cuts a page
    short, `search.complete` is False and `next_cursor` continues where the scan stopped.
    A search is a read of content: audited (`tip.search`, with the ids matched)."""
    seat = await seat_of(principal)
    query, words = _query(seat, filters)
    after = None
    if page.cursor:
        after = decode_cursor(page.cursor, CURSOR_KIND, (int, datetime, uuid.UUID))
    if not words:
        rows = await police_repository.queue_page(
            seat.scope, query, after=after, limit=page.limit + 1
        )
        shown = rows[: page.limit]
        next_cursor = (
            encode_cursor(CURSOR_KIND, _position(shown[-1])) if len(rows) > page.limit else None
        )
        return QueuePage(items=await _items(shown), next_cursor=next_cursor)
    return await _search(seat, query, words, after, page.limit)


async def _items(rows: Sequence[police_repository.QueueRow]) -> list[QueueItem]:
    names = await names_of([r.assigned_to for r in rows if r.assigned_to]) if rows else {}
    return [_item(row, names) for row in rows]


def _searchable(text: ReportText | content.ReportContent) -> str:
    parts: list[str | None] = [
        text.description,
        text.address,
        text.organisation_name,
        text.organisation_tax_code,
    ]
    if isinstance(text, content.ReportContent):
        for person in [*text.people, *text.victims]:
            parts += [person.name, person.description, person.phone, person.address]
    return fold(" ".join(p for p in parts if p))


async def _search(
    seat: Seat,
    query: QueueQuery,
    words: list[str],
    after: tuple[Any, ...] | None,
    limit: int,
) -> QueuePage:
    scan_limit = get_settings().tips_search_scan_limit
    matched: list[police_repository.QueueRow] = []
    scanned = 0
    last: police_repository.QueueRow | None = None
    exhausted = False
    while len(matched) < limit and scanned < scan_limit:
        batch = await police_repository.queue_page(
            seat.scope, query, after=after, limit=min(SEARCH_BATCH, scan_limit - scanned)
        )
        if not batch:
            exhausted = True
            break
        sealed = await police_repository.sealed_rows([r.id for r in batch])
        for row in batch:
            scanned += 1
            last = row
            found = sealed.get(row.id)
            if found is not None and found.sealed is not None:
                text = _searchable(content.open_content(found))
                if all(word in text for word in words):
                    matched.append(row)
                    if len(matched) == limit:
                        break
        after = _position(batch[-1])
        if len(matched) == limit:
            break
        if len(batch) < SEARCH_BATCH and scanned < scan_limit:
            exhausted = True
            break
    complete = exhausted or len(matched) == limit
    next_cursor = None
    if last is not None and not exhausted:
        next_cursor = encode_cursor(CURSOR_KIND, _position(last))
    await do_record(
        "tip.search",
        actor_id=str(seat.person_id),
        object_type="tip",
        details={
            "words": len(words),
            "scanned": scanned,
            "matched": [str(r.id) for r in matched],
        },
    )
    return QueuePage(
        items=await _items(matched),
        next_cursor=next_cursor,
        search=SearchProgress(scanned=scanned, scan_limit=scan_limit, complete=complete),
    )


async def queue_counts(principal: Principal | None) -> QueueCounts:
    """Open reports the caller sees, by status and urgency (the console's badges)."""
    seat = await seat_of(principal)
    rows = await police_repository.queue_counts(seat.scope, [str(s) for s in OPEN])
    by_status = {str(s): 0 for s in OPEN}
    by_urgency = {**{str(u): 0 for u in Urgency}, "none": 0}
    danger = mine = 0
    for row in rows:
        n = int(row["n"])
        by_status[row["status"]] += n
        by_urgency[row["urgency"] or "none"] += n
        if row["urgency"] is None and row["ongoing_danger"]:
            danger += n
        if row["mine"]:
            mine += n
    return QueueCounts(
        by_status=by_status,
        by_urgency=by_urgency,
        emergencies_untriaged=danger,
        assigned_to_me=mine,
    )


# --- one report ---------------------------------------------------------------------------------


def attachment_url(tip_id: uuid.UUID, attachment_id: uuid.UUID, *, original: bool = False) -> str:
    return f"{API}/{tip_id}/attachments/{attachment_id}" + ("?original=true" if original else "")


def _text(found: content.ReportContent) -> ReportText:
    def people(items: Sequence[content.Person]) -> str | None:
        lines = []
        for person in items:
            fields = [person.name, person.description, person.phone, person.address]
            line = " — ".join(f for f in fields if f)
            if line:
                lines.append(line)
        return "\n".join(lines) or None

    return ReportText(
        description=found.description,
        address=found.address,
        latitude=found.latitude,
        longitude=found.longitude,
        people=people(found.people),
        victims=people(found.victims),
        organisation_name=found.organisation_name,
        organisation_tax_code=found.organisation_tax_code,
    )


def _event_aad(tip_id: uuid.UUID, action: str, at: datetime) -> bytes:
    return f"evt:{tip_id}:{action}:{at.isoformat()}".encode()


def _open_event_detail(
    event: police_repository.EventRow, data_key: bytes | None
) -> dict[str, object]:
    detail = dict(event.detail)
    sealed = detail.pop("sealed", None)
    if isinstance(sealed, str) and data_key is not None:
        try:
            plain = crypto.unseal(
                data_key, base64.b64decode(sealed), _event_aad(event.tip_id, event.action, event.at)
            )
            detail.update(msgspec.json.decode(plain, type=dict[str, str]))
        except crypto.CryptoError:
            detail["unreadable"] = True
    return detail


async def get_report(
    principal: Principal | None, tip_id: uuid.UUID, *, settings: Settings | None = None
) -> TipDetail:
    """The whole report for its unit: content decrypted, the reporter of a confidential
    report, attachments (with the URLs that read them, audited), the message thread, the
    history and what the caller may do. The reporter's messages are marked read. Audited
    (`tip.read`) in the caller's transaction; `TipNotFound` for a report the caller does not
    see."""
    seat = await seat_of(principal)
    row = await _visible(seat, tip_id)
    sealed = await repository.get_tip(tip_id)
    if sealed is None:  # pragma: no cover - read just above in the same transaction
        raise TipNotFound()
    purged = row.purged_at is not None
    data_key = None if purged else content.data_key_of(sealed, settings)
    text = None if purged else _text(content.open_content(sealed, settings))
    now = _now()
    messages = await repository.messages_of(tip_id)
    attachments = await repository.attachments_of(tip_id)
    events = await police_repository.events_of(tip_id)
    if any(m.sender == "reporter" and m.read_at is None for m in messages):
        await repository.mark_read(tip_id, "reporter", now)
    people = {
        *(m.author_id for m in messages if m.author_id),
        *(e.actor_id for e in events if e.actor_id),
    }
    if row.assigned_to:
        people.add(row.assigned_to)
    if row.kind == "confidential" and row.reporter_id:
        people.add(row.reporter_id)
    names = await names_of(sorted(people)) if people else {}
    by_message: dict[uuid.UUID, list[uuid.UUID]] = {}
    for attachment in attachments:
        if attachment.message_id is not None:
            by_message.setdefault(attachment.message_id, []).append(attachment.id)
    duplicate_reference = None
    if row.duplicate_of:
        duplicate_reference = (await police_repository.references_of([row.duplicate_of])).get(
            row.duplicate_of
        )
    await do_record(
        "tip.read",
        actor_id=str(seat.person_id),
        object_type="tip",
        object_id=str(tip_id),
        details={
            "reference": row.reference,
            "unit": row.unit_code,
            "purged": purged,
            "messages": len(messages),
            "attachments": len(attachments),
            "reporter_shown": row.kind == "confidential" and row.reporter_id is not None,
        },
    )
    state = _state(row)
    standing = seat.standing(row.unit_code)
    return TipDetail(
        id=row.id,
        reference=row.reference,
        kind=row.kind,
        reporter=(
            Reporter(person_id=row.reporter_id, full_name=names.get(row.reporter_id))
            if row.kind == "confidential" and row.reporter_id
            else None
        ),
        offences=row.offences,
        ongoing_danger=row.ongoing_danger,
        commune_code=row.commune_code,
        place_known=row.place_known,
        has_coordinates=row.has_coordinates,
        incident_time_kind=row.incident_time_kind,
        incident_from=row.incident_from,
        incident_to=row.incident_to,
        on_behalf_of_organisation=row.on_behalf_of_organisation,
        content=text,
        unit_code=row.unit_code,
        status=state.status,
        urgency=state.urgency,
        assigned_to=row.assigned_to,
        assigned_to_name=names.get(row.assigned_to) if row.assigned_to else None,
        outcome=Outcome(row.outcome) if row.outcome else None,
        duplicate_of=row.duplicate_of,
        duplicate_of_reference=duplicate_reference,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        triaged_at=row.triaged_at,
        closed_at=row.closed_at,
        purged_at=row.purged_at,
        attachments=[
            AttachmentOut(
                id=a.id,
                message_id=a.message_id,
                kind=a.kind,
                mime=a.view_mime or a.mime,
                size=a.view_size if a.view_size is not None else a.size,
                status=a.status,
                filename=(
                    content.open_filename(data_key, a.id, a.sealed_filename)
                    if data_key is not None and a.sealed_filename is not None
                    else None
                ),
                url=attachment_url(tip_id, a.id) if a.view_key else None,
                original_url=attachment_url(tip_id, a.id, original=True)
                if a.original_key
                else None,
                original_sha256=a.original_sha256,
                created_at=a.created_at,
            )
            for a in attachments
        ],
        messages=[
            MessageOut(
                id=m.id,
                sender="police" if m.sender == "police" else "reporter",
                author_id=m.author_id,
                author_name=names.get(m.author_id) if m.author_id else None,
                body=content.open_message(data_key, m.id, m.sealed)
                if data_key is not None and m.sealed is not None
                else None,
                attachments=by_message.get(m.id, []),
                created_at=m.created_at,
                read_at=m.read_at,
            )
            for m in messages
        ],
        history=[
            EventOut(
                id=e.id,
                action=e.action,
                actor_id=e.actor_id,
                actor_name=names.get(e.actor_id) if e.actor_id else None,
                from_status=e.from_status,
                to_status=e.to_status,
                detail=_open_event_detail(e, data_key),
                at=e.at,
            )
            for e in events
        ],
        allowed_actions=rule_actions(state, standing),
        reopen_targets=reopen_targets(state)
        if Action.REOPEN in rule_actions(state, standing)
        else [],
    )


async def allowed_actions(principal: Principal | None, tip_id: uuid.UUID) -> list[Action]:
    """What the caller may do on the report now (no content read: not audited)."""
    seat = await seat_of(principal)
    row = await _visible(seat, tip_id)
    return rule_actions(_state(row), seat.standing(row.unit_code))


async def assignable_officers(principal: Principal | None, tip_id: uuid.UUID) -> list[Officer]:
    """The members of the report's unit a supervisor may assign it to (officers and
    supervisors, by name), with who is on duty."""
    seat = await seat_of(principal)
    row = await _visible(seat, tip_id)
    return await duty.unit_officers(row.unit_code or seat.provincial_unit)


@dataclass(frozen=True)
class AttachmentStream:
    """A file of a report (or the byte range asked for), decrypted as it is read: the
    database was read inside the caller's transaction, the stream reads storage only."""

    media_type: str
    size: int
    """Plaintext size of the whole file."""
    start: int
    end: int
    """The range sent (inclusive); 0..size-1 for the whole file."""
    chunks: AsyncIterator[bytes]


async def read_attachment(
    settings: Settings,
    principal: Principal | None,
    tip_id: uuid.UUID,
    attachment_id: uuid.UUID,
    *,
    original: bool = False,
    byte_range: tuple[int, int | None] | None = None,
) -> AttachmentStream:
    """One file of a report the caller sees: the viewable copy (metadata stripped), or the
    original kept as evidence (confidential reports), whole or a byte range (`start`, `end`
    inclusive or None: to the end; `RangeNotSatisfiable` past the end). Every request is
    audited (`tip.attachment_read`), ranges included."""
    from backend.tips import attachments

    seat = await seat_of(principal)
    row = await _visible(seat, tip_id)
    if row.purged_at is not None:
        raise TipPurged()
    found = await repository.get_attachment(attachment_id)
    if found is None or found.tip_id != tip_id:
        raise TipAttachmentNotFound()
    if (original and found.original_key is None) or (not original and found.view_key is None):
        raise TipAttachmentNotFound()
    opened = await attachments.open_attachment(settings, attachment_id, original=original)
    start, end = 0, max(opened.size - 1, 0)
    if byte_range is not None:
        start = byte_range[0]
        end = min(byte_range[1] if byte_range[1] is not None else opened.size - 1, opened.size - 1)
        if start >= opened.size or start > end:
            raise RangeNotSatisfiable(
                headers={"Content-Range": f"bytes */{opened.size}"}, size=opened.size
            )
    await do_record(
        "tip.attachment_read",
        actor_id=str(seat.person_id),
        object_type="tip",
        object_id=str(tip_id),
        details={
            "reference": row.reference,
            "attachment": str(attachment_id),
            "original": original,
            **({"range": [start, end]} if byte_range is not None else {}),
        },
    )
    return AttachmentStream(
        media_type=opened.mime,
        size=opened.size,
        start=start,
        end=end,
        chunks=attachments.read_opened(settings, opened, start, end),
    )


# --- the workflow -------------------------------------------------------------------------------


def _workflow(row: TipRow, seat: Seat) -> TipWorkflow:
    state = _state(row)
    standing = seat.standing(row.unit_code)
    actions = rule_actions(state, standing)
    return TipWorkflow(
        id=row.id,
        reference=row.reference,
        unit_code=row.unit_code,
        status=state.status,
        urgency=state.urgency,
        assigned_to=row.assigned_to,
        outcome=Outcome(row.outcome) if row.outcome else None,
        duplicate_of=row.duplicate_of,
        version=row.version,
        updated_at=row.updated_at,
        allowed_actions=actions,
        reopen_targets=reopen_targets(state) if Action.REOPEN in actions else [],
    )


def _seal_texts(
    row: TipRow, sealed_row: repository.TipRow, action: str, at: datetime, texts: dict[str, str]
) -> dict[str, str]:
    if not texts:
        return {}
    data_key = content.data_key_of(sealed_row)
    plain = msgspec.json.encode(texts)
    sealed = crypto.seal(data_key, plain, _event_aad(row.id, action, at))
    return {"sealed": base64.b64encode(sealed).decode()}


async def _apply(
    seat: Seat,
    tip_id: uuid.UUID,
    expected_version: int,
    action: Action,
    decide: Callable[[TipState, Standing], tuple[Change, dict[str, str]]],
    *,
    check: Callable[[TipRow, Change], Any] | None = None,
) -> tuple[TipRow, TipRow | None, Change]:
    """Check and apply one workflow action by compare-and-set on the version; record it in
    the history and the audit log. Returns (before, after, change); `after` is None when the
    action changed nothing (the same urgency or officer again)."""
    row = await _visible(seat, tip_id)
    if row.version != expected_version:
        raise TipVersionConflict(current_version=row.version)
    state = _state(row)
    change, texts = decide(state, seat.standing(row.unit_code))
    if check is not None:
        await check(row, change)
    if (
        change.status == state.status
        and change.urgency == state.urgency
        and change.assigned_to == state.assigned_to
        and change.unit_code == state.unit_code
        and change.outcome is None
        and action not in (Action.REOPEN, Action.CLOSE)
    ):
        return row, None, change
    now = _now()
    values: dict[str, Any] = {
        "status": str(change.status),
        "urgency": str(change.urgency) if change.urgency else None,
        "assigned_to": change.assigned_to,
        "unit_code": change.unit_code,
        "outcome": str(change.outcome) if change.outcome else None,
        "duplicate_of": change.duplicate_of,
        "updated_at": now,
        "last_police_activity_at": now,
    }
    if action is Action.TRIAGE and row.triaged_at is None:
        values["triaged_at"] = now
    if change.status is Status.CLOSED:
        values["closed_at"] = now
    elif state.status is Status.CLOSED:
        values["closed_at"] = None
    updated = await police_repository.update_if_version(tip_id, expected_version, values)
    if updated is None:
        current = await police_repository.get_tip(tip_id)
        raise TipVersionConflict(current_version=current.version if current else None)
    detail: dict[str, Any] = {}
    if change.urgency != state.urgency:
        detail["urgency"] = str(change.urgency) if change.urgency else None
    if change.assigned_to != state.assigned_to:
        detail["officer"] = str(change.assigned_to) if change.assigned_to else None
    if change.unit_code != state.unit_code:
        detail["from_unit"] = state.unit_code
        detail["to_unit"] = change.unit_code
    if change.outcome is not None:
        detail["outcome"] = str(change.outcome)
    if change.duplicate_of is not None:
        detail["duplicate_of"] = str(change.duplicate_of)
    sealed_texts: dict[str, str] = {}
    if texts:
        sealed_row = await repository.get_tip(tip_id)
        assert sealed_row is not None
        sealed_texts = _seal_texts(row, sealed_row, str(action), now, texts)
    event_id = await police_repository.insert_event(
        tip_id,
        actor_id=seat.person_id,
        action=str(action),
        from_status=row.status,
        to_status=str(change.status),
        detail={**detail, **sealed_texts},
        at=now,
    )
    await do_record(
        f"tip.{action}",
        actor_id=str(seat.person_id),
        object_type="tip",
        object_id=str(tip_id),
        details={
            "reference": row.reference,
            "from_status": row.status,
            "to_status": str(change.status),
            "version": updated.version,
            "event": event_id,
            **detail,
            **({"texts": sorted(texts)} if texts else {}),
        },
    )
    return row, updated, change


async def _after_change(seat: Seat, before: TipRow, after: TipRow) -> None:
    """The notifications a change causes."""
    settings = get_settings()
    data = {"reference": after.reference}
    assigned = after.assigned_to
    if assigned and assigned != before.assigned_to and assigned != seat.person_id:
        await notify(
            assigned,
            "tips.assigned",
            data,
            deep_link=_console_link(settings, after.id),
            category="tips",
        )
    if after.unit_code != before.unit_code:
        await _announce(after, settings)
    elif after.urgency == Urgency.EMERGENCY and before.urgency != Urgency.EMERGENCY:
        await duty.alert_on_duty(after.unit_code or seat.provincial_unit, after, settings)
    if after.status != before.status:
        await _notify_reporter(after, "tips.status_changed", settings)


async def _notify_reporter(row: TipRow, template: str, settings: Settings) -> None:
    # Only a confidential report has a reporter to tell; an anonymous one polls.
    if row.kind != "confidential" or row.reporter_id is None:
        return
    await notify(
        row.reporter_id,
        template,
        {"reference": row.reference},
        deep_link=_app_link(settings, row.reference),
        category="tips",
    )


def _console_link(settings: Settings, tip_id: uuid.UUID) -> str:
    return f"{settings.base_url}/console/tips/{tip_id}"


def _app_link(settings: Settings, reference: str) -> str | None:
    schemes = sorted(uri.split(":", 1)[0] for uri in settings.mobile_redirects if ":" in uri)
    return f"{schemes[0]}:/tin-bao/{reference}" if schemes else None


async def do_triage(
    principal: Principal | None,
    tip_id: uuid.UUID,
    urgency: Urgency,
    *,
    expected_version: int,
) -> TipWorkflow:
    """Set the urgency: received → triaged (first triage timestamped: `triaged_at`); on a
    report further on, the urgency changes and the status stays. Made an emergency, the
    unit's on-duty officers are alerted at once."""
    seat = await seat_of(principal)
    before, after, _ = await _apply(
        seat,
        tip_id,
        expected_version,
        Action.TRIAGE,
        lambda state, standing: (check_triage(state, standing, urgency), {}),
    )
    if after is None:
        return _workflow(before, seat)
    await _after_change(seat, before, after)
    return _workflow(after, seat)


async def _check_officer(seat: Seat, unit_code: str | None, officer_id: uuid.UUID) -> None:
    members = await duty.unit_member_ids(unit_code or seat.provincial_unit)
    if officer_id not in members:
        raise TipOfficerInvalid()


async def do_assign(
    principal: Principal | None,
    tip_id: uuid.UUID,
    officer_id: uuid.UUID,
    *,
    expected_version: int,
) -> TipWorkflow:
    """Give the report to an officer (or supervisor) of its unit: triaged → assigned, or a
    reassignment. A supervisor assigns anyone of the unit; an officer takes an unassigned
    report for themselves. The officer is notified (`tips.assigned`) unless they assigned it
    to themselves."""
    seat = await seat_of(principal)

    async def check(row: TipRow, change: Change) -> None:
        await _check_officer(seat, row.unit_code, officer_id)

    before, after, _ = await _apply(
        seat,
        tip_id,
        expected_version,
        Action.ASSIGN,
        lambda state, standing: (check_assign(state, standing, officer_id), {}),
        check=check,
    )
    if after is None:
        return _workflow(before, seat)
    await _after_change(seat, before, after)
    return _workflow(after, seat)


async def do_start_investigation(
    principal: Principal | None, tip_id: uuid.UUID, *, expected_version: int
) -> TipWorkflow:
    """assigned → investigating (the assignee or a supervisor)."""
    seat = await seat_of(principal)
    before, after, _ = await _apply(
        seat,
        tip_id,
        expected_version,
        Action.START_INVESTIGATION,
        lambda state, standing: (check_start_investigation(state, standing), {}),
    )
    assert after is not None
    await _after_change(seat, before, after)
    return _workflow(after, seat)


async def _duplicate_target(seat: Seat, duplicate_of: str | uuid.UUID | None) -> uuid.UUID | None:
    """The report named as the original, by id or reference, if the caller sees it."""
    if duplicate_of is None:
        return None
    if isinstance(duplicate_of, uuid.UUID):
        found = await police_repository.get_visible_tip(seat.scope, duplicate_of)
        if found is None:
            raise TipDuplicateInvalid()
        return found.id
    text = duplicate_of.strip()
    try:
        return await _duplicate_target(seat, uuid.UUID(text))
    except ValueError:
        pass
    found_id = await police_repository.find_visible_by_reference(seat.scope, text.upper())
    if found_id is None:
        raise TipDuplicateInvalid()
    return found_id


async def do_close(
    principal: Principal | None,
    tip_id: uuid.UUID,
    outcome: Outcome | None,
    *,
    duplicate_of: str | uuid.UUID | None = None,
    note: str | None = None,
    expected_version: int,
) -> TipWorkflow:
    """Close the report with an outcome (`TipOutcomeRequired` without one): resolved,
    unfounded, transferred (to an authority outside the police units) or duplicate — naming
    the other report by id or reference, one the caller sees (`TipDuplicateInvalid`). A note
    is kept sealed in the history. Timestamped (`closed_at`, from which retention counts)."""
    seat = await seat_of(principal)
    await _visible(seat, tip_id)  # a report the caller does not see is 404 before anything
    target = await _duplicate_target(seat, duplicate_of)
    texts = {"note": note.strip()} if note and note.strip() else {}
    before, after, _ = await _apply(
        seat,
        tip_id,
        expected_version,
        Action.CLOSE,
        lambda state, standing: (check_close(state, standing, outcome, target), texts),
    )
    assert after is not None
    await _after_change(seat, before, after)
    return _workflow(after, seat)


async def do_reopen(
    principal: Principal | None,
    tip_id: uuid.UUID,
    *,
    reason: str | None,
    to_status: Status | None = None,
    expected_version: int,
) -> TipWorkflow:
    """Move the report back (`to_status`, or the nearest status it may go back to), with a
    reason (`TipReasonRequired`), kept sealed in the history: reopening a closed report is
    for supervisors; the assignee may step their own report back."""
    seat = await seat_of(principal)

    def decide(state: TipState, standing: Standing) -> tuple[Change, dict[str, str]]:
        change, text = check_reopen(state, standing, to_status, reason)
        return change, {"reason": text}

    before, after, _ = await _apply(seat, tip_id, expected_version, Action.REOPEN, decide)
    assert after is not None
    await _after_change(seat, before, after)
    return _workflow(after, seat)


async def do_transfer(
    principal: Principal | None,
    tip_id: uuid.UUID,
    unit_code: str | None,
    *,
    reason: str | None,
    expected_version: int,
) -> TipWorkflow:
    """A supervisor hands the report to another unit (None: the provincial queue), with a
    reason kept sealed in the history. The assignee is dropped; the report shows in the new
    unit's queue as triaged (urgency known) or received, the new unit is notified
    (`tips.new_report`) and, for an emergency, its on-duty officers alerted. The caller may
    no longer see the report afterwards (the answer's `allowed_actions` is then empty)."""
    seat = await seat_of(principal)

    async def check(row: TipRow, change: Change) -> None:
        if unit_code is not None and unit_code not in {u.code for u in await list_police_units()}:
            raise TipUnitInvalid()

    def decide(state: TipState, standing: Standing) -> tuple[Change, dict[str, str]]:
        change, text = check_transfer(state, standing, unit_code, reason)
        return change, {"reason": text}

    before, after, _ = await _apply(
        seat, tip_id, expected_version, Action.TRANSFER, decide, check=check
    )
    assert after is not None
    await _after_change(seat, before, after)
    return _workflow(after, seat)


# --- messages -----------------------------------------------------------------------------------


async def do_post_message(principal: Principal | None, tip_id: uuid.UUID, body: str) -> MessageOut:
    """A police message to the reporter, sealed with the report's data key; files follow
    with `do_add_message_attachment`. The reporter's messages are marked read. The reporter
    of a confidential report is notified (`tips.new_message`); an anonymous one reads it with
    their receipt. Audited (`tip.message`, ids only)."""
    seat = await seat_of(principal)
    row = await _visible(seat, tip_id)
    check_message(_state(row), seat.standing(row.unit_code))
    text = body.strip()
    if not text or len(text) > MESSAGE_MAX:
        raise TipMessageInvalid()
    sealed_row = await repository.get_tip(tip_id)
    if sealed_row is None:  # pragma: no cover - read just above
        raise TipNotFound()
    data_key = content.data_key_of(sealed_row)
    now = _now()
    message_id = uuid.uuid4()
    await repository.insert_message(
        message_id,
        tip_id,
        sender="police",
        author_id=seat.person_id,
        sealed=content.seal_message(data_key, message_id, text),
        created_at=now,
    )
    await police_repository.touch_police_activity(tip_id, now)
    await repository.mark_read(tip_id, "reporter", now)
    await do_record(
        "tip.message",
        actor_id=str(seat.person_id),
        object_type="tip",
        object_id=str(tip_id),
        details={"reference": row.reference, "message": str(message_id)},
    )
    await _notify_reporter(row, "tips.new_message", get_settings())
    names = await names_of([seat.person_id])
    return MessageOut(
        id=message_id,
        sender="police",
        author_id=seat.person_id,
        author_name=names.get(seat.person_id),
        body=text,
        attachments=[],
        created_at=now,
        read_at=None,
    )


async def do_add_message_attachment(
    settings: Settings,
    principal: Principal | None,
    tip_id: uuid.UUID,
    message_id: uuid.UUID,
    body: UploadBody,
) -> AttachmentOut:
    """A file added to the caller's own police message (photo, video, audio or PDF, through
    the citizen part's `attachments`: sealed, metadata stripped, the report's limits). Runs
    outside the request's transaction while the body streams: the checks and the audit entry
    (`tip.message_attachment`) are units of work of their own."""
    from backend.tips import attachments

    async with unit_of_work():
        seat = await seat_of(principal)
        row = await _visible(seat, tip_id)
        check_message(_state(row), seat.standing(row.unit_code))
        message = await repository.get_message(tip_id, message_id)
        if message is None or message.sender != "police" or message.author_id != seat.person_id:
            raise TipMessageNotFound()
        sealed_row = await repository.get_tip(tip_id)
        if sealed_row is None:  # pragma: no cover - read just above
            raise TipNotFound()
    added = await attachments.do_receive_attachment(
        settings, sealed_row, body, message_id=message_id
    )
    async with unit_of_work():
        await police_repository.touch_police_activity(tip_id, _now())
        await do_record(
            "tip.message_attachment",
            actor_id=str(seat.person_id),
            object_type="tip",
            object_id=str(tip_id),
            details={
                "reference": row.reference,
                "message": str(message_id),
                "attachment": str(added.id),
                "kind": added.kind,
                "size": added.size,
            },
        )
    return AttachmentOut(
        id=added.id,
        message_id=message_id,
        kind=added.kind,
        mime=added.view_mime or added.mime,
        size=added.view_size if added.view_size is not None else added.size,
        status=added.status,
        filename=None,
        url=attachment_url(tip_id, added.id) if added.view_key else None,
        original_url=attachment_url(tip_id, added.id, original=True)
        if added.original_key
        else None,
        original_sha256=added.original_sha256,
        created_at=added.created_at,
    )


# --- the duty roster ----------------------------------------------------------------------------


def _duty_unit(seat: Seat, unit_code: str) -> str:
    if not seat.is_member_of(unit_code):
        raise PoliceUnitNotFound()
    return unit_code


async def get_duty(principal: Principal | None, unit_code: str) -> DutyRoster:
    """Who is on duty in one of the caller's units (see `duty`)."""
    seat = await seat_of(principal)
    unit = _duty_unit(seat, unit_code)
    current = await duty.on_duty(unit)
    officers = [o for o in await duty.unit_officers(unit) if o.on_duty]
    return DutyRoster(
        unit_code=unit,
        officers=officers,
        from_roster=current.from_roster,
        until=current.until,
        set_by=current.set_by,
        set_at=current.set_at,
    )


async def do_set_duty(
    principal: Principal | None,
    unit_code: str,
    officers: Sequence[uuid.UUID],
    *,
    until: datetime | None = None,
) -> DutyRoster:
    """A supervisor of the unit puts these members on duty (replacing the roster; empty:
    every officer again), until `until` if given. Audited (`tip.duty_set`)."""
    seat = await seat_of(principal)
    unit = _duty_unit(seat, unit_code)
    if not seat.is_supervisor_of(unit):
        raise TipActionForbidden()
    now = _now()
    members = await duty.unit_members(unit)
    if any(person not in members for person in officers) or (until is not None and until <= now):
        raise TipDutyInvalid()
    await duty.replace_roster(unit, officers, until=until, set_by=seat.person_id, now=now)
    await do_record(
        "tip.duty_set",
        actor_id=str(seat.person_id),
        object_type="police_unit",
        object_id=unit,
        details={
            "officers": sorted(str(p) for p in set(officers)),
            "until": until.isoformat() if until else None,
        },
    )
    return await get_duty(principal, unit)


# --- a new report -------------------------------------------------------------------------------


async def _announce(row: TipRow, settings: Settings) -> None:
    """Tell a unit it has a report (new, or transferred to it): its on-duty officers at once
    when the danger is happening now or the report is an emergency, everyone else of the unit
    by `tips.new_report`."""
    unit = row.unit_code or settings.tips_provincial_unit
    alerted: list[uuid.UUID] = []
    urgent = row.urgency == Urgency.EMERGENCY or (row.urgency is None and row.ongoing_danger)
    if urgent:
        alerted = await duty.alert_on_duty(unit, row, settings)
    members = [m for m in await duty.unit_member_ids(unit) if m not in alerted]
    if members:
        await notify(
            members,
            "tips.new_report",
            {"reference": row.reference},
            deep_link=_console_link(settings, row.id),
            category="tips",
        )


async def on_new_report(tip_id: uuid.UUID) -> None:
    """Called by the citizen part once a new report is committed: notifies its unit (the
    provincial unit for the provincial queue) — see `_announce` — in a unit of work of its
    own (a savepoint when called inside one). Nothing about the reporter goes into a
    notification: the reference only."""
    async with unit_of_work():
        row = await police_repository.get_tip(tip_id)
        if row is None:
            raise TipNotFound()
        await _announce(row, get_settings())
