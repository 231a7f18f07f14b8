"""Mandatory training: a published course assigned to an agency, a department of an agency or
a role, with a due date and reminders.

- Creating an assignment enrols every present member in one set-based statement (identity
  names the members in one query) and notifies the newly assigned in one `notify` call.
- Members who join later are enrolled by `do_sync_assignments`, a periodic job (every
  `SYNC_MINUTES` minutes; a new civil servant waits at most that long).
- Reminders (`do_send_reminders`, a periodic job) go out in working hours in
  Asia/Ho_Chi_Minh: before the due date at each of `remind_days_before`, when overdue every
  `overdue_every_days` (once when 0); each slot is recorded in `mooc_reminders` in the same
  statement that picks it, so a retried job never sends one twice; never to a learner who
  completed or left, nor for a withdrawn assignment.
- Withdrawing stops enrolling and reminding; the enrolments stay (with `assignment_id`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from backend.access import STAFF_ROLES, Principal
from backend.audit.service import do_record
from backend.http.pagination import PageRequest, decode_cursor, encode_cursor
from backend.identity import service as identity
from mooc import assignment_repository as repository
from mooc.assignment_errors import (
    AssignmentCourseNotPublished,
    AssignmentDueInPast,
    AssignmentNotFound,
    AssignmentTargetInvalid,
    AssignmentWithdrawn,
)
from mooc.assignment_repository import AssignmentRow, CountsRow, CourseRow
from mooc.assignment_schemas import (
    Assignment,
    AssignmentCounts,
    AssignmentCreate,
    AssignmentPage,
    AssignmentTarget,
    AssignmentUpdate,
)
from mooc.errors import CourseNotFound
from notifications import service as notifications

ZONE = ZoneInfo(repository.ZONE)
SYNC_MINUTES = 5
"""How often members who joined later are enrolled (the periodic job's interval)."""
SYNC_MARGIN = timedelta(minutes=15)
"""Grants made this long before a sync are looked at again by the next one (a grant's
transaction may commit after the sync read)."""
WORKING_HOURS = (8, 17)
"""Reminders go out from 08:00 to 17:00, Monday to Friday, Asia/Ho_Chi_Minh."""
HORIZON_DAYS = 60
"""The largest reminder offset (`remind_days_before` is bounded by it)."""
OVERDUE_DAYS = 365
"""Overdue learners are reminded for a year after the due date, then left to their managers."""
CURSOR = "mooc_assignments"
ASSIGNABLE_ROLES = sorted(role.value for role in STAFF_ROLES)


def _now() -> datetime:
    return datetime.now(UTC)


def local_date(moment: datetime) -> str:
    """A date as learners read it (dd/mm/yyyy in Asia/Ho_Chi_Minh)."""
    return moment.astimezone(ZONE).strftime("%d/%m/%Y")


def in_working_hours(moment: datetime) -> bool:
    local = moment.astimezone(ZONE)
    return local.weekday() < 5 and WORKING_HOURS[0] <= local.hour < WORKING_HOURS[1]


# --- reading ---------------------------------------------------------------------------------


def _target(row: AssignmentRow) -> AssignmentTarget:
    return AssignmentTarget(
        kind=row.target_kind,  # type: ignore[arg-type]  # the table's check keeps it to the three kinds
        agency=row.agency_code,
        department=row.department,
        role=row.role,
    )


def _assignment(
    row: AssignmentRow, counts: CountsRow | None, *, newly_enrolled: int | None = None
) -> Assignment:
    return Assignment(
        id=row.id,
        course_id=row.course_id,
        course_code=row.course_code,
        course_title=row.course_title,
        target=_target(row),
        due_at=row.due_at,
        remind_days_before=row.remind_days_before,
        overdue_every_days=row.overdue_every_days,
        active=row.active,
        created_at=row.created_at,
        created_by=row.created_by,
        last_synced_at=row.last_synced_at,
        counts=AssignmentCounts(
            enrolled=counts.enrolled if counts else 0,
            started=counts.started if counts else 0,
            completed=counts.completed if counts else 0,
            overdue=counts.overdue if counts else 0,
        ),
        newly_enrolled=newly_enrolled,
    )


async def get_assignment(assignment_id: uuid.UUID, *, now: datetime | None = None) -> Assignment:
    """An assignment with its learners' counts; `AssignmentNotFound` if there is none."""
    row = await repository.assignment(assignment_id)
    if row is None:
        raise AssignmentNotFound()
    counts = await repository.counts([row.id], now or _now())
    return _assignment(row, counts.get(row.id))


async def list_assignments(
    page: PageRequest,
    *,
    course_id: uuid.UUID | None = None,
    active: bool | None = None,
    now: datetime | None = None,
) -> AssignmentPage:
    """Assignments newest first, each with its counts (one grouped query for the page)."""
    after = decode_cursor(page.cursor, CURSOR, (datetime, uuid.UUID)) if page.cursor else None
    rows = await repository.list_assignments(
        course_id=course_id,
        active=active,
        after=(after[0], after[1]) if after else None,
        limit=page.limit + 1,
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    counts = await repository.counts([r.id for r in rows], now or _now())
    return AssignmentPage(
        items=[_assignment(r, counts.get(r.id)) for r in rows],
        next_cursor=(
            encode_cursor(CURSOR, (rows[-1].created_at.isoformat(), str(rows[-1].id)))
            if more
            else None
        ),
    )


async def assignable_courses() -> list[CourseRow]:
    """Courses an assignment may name (published), by title."""
    return await repository.published_courses()


# --- creating, changing, withdrawing ---------------------------------------------------------


async def _check_target(target: AssignmentTarget) -> AssignmentTarget:
    """The target with only the fields its kind uses; `AssignmentTargetInvalid` otherwise."""
    department = " ".join(target.department.split()) if target.department else None
    if target.kind == "role":
        if target.role not in ASSIGNABLE_ROLES or target.agency or department:
            raise AssignmentTargetInvalid()
        return AssignmentTarget(kind="role", role=target.role)
    if not target.agency or target.role:
        raise AssignmentTargetInvalid()
    if target.kind == "agency" and department:
        raise AssignmentTargetInvalid()
    if target.kind == "department" and not department:
        raise AssignmentTargetInvalid()
    if target.agency not in {a.code for a in await identity.list_agencies()}:
        raise AssignmentTargetInvalid(
            detail_vi="Không có cơ quan mang mã này.", detail_en="There is no agency by that code."
        )
    return AssignmentTarget(
        kind=target.kind,
        agency=target.agency,
        department=department if target.kind == "department" else None,
    )


async def do_create_assignment(
    actor: Principal, data: AssignmentCreate, *, now: datetime | None = None
) -> Assignment:
    """Assign a published course with a future due date to a target; every present member is
    enrolled (or their enrolment assigned) at once and notified (`courses.assigned`, after
    commit); audited."""
    now = now or _now()
    course = await repository.course(data.course_id)
    if course is None:
        raise CourseNotFound()
    if course.status != "published" or course.current_version_id is None:
        raise AssignmentCourseNotPublished()
    if data.due_at <= now:
        raise AssignmentDueInPast()
    target = await _check_target(data.target)
    assignment_id = uuid.uuid4()
    await repository.insert_assignment(
        assignment_id,
        course_id=course.id,
        target_kind=target.kind,
        agency_code=target.agency,
        department=target.department,
        role=target.role,
        due_at=data.due_at,
        remind_days_before=sorted(set(data.remind_days_before), reverse=True),
        overdue_every_days=data.overdue_every_days,
        created_by=actor.id,
        at=now,
    )
    row = await repository.assignment(assignment_id)
    assert row is not None  # inserted just above
    enrolled = await _enrol_members(row, now)
    await do_record(
        "mooc.assignment.create",
        actor_id=str(actor.id),
        object_type="mooc_assignment",
        object_id=str(assignment_id),
        details={
            "course_id": str(course.id),
            "target": target.kind,
            "agency": target.agency,
            "role": target.role,
            "due_at": data.due_at.isoformat(),
            "enrolled": enrolled,
        },
    )
    counts = await repository.counts([assignment_id], now)
    return _assignment(row, counts.get(assignment_id), newly_enrolled=enrolled)


async def _enrol_members(
    row: AssignmentRow, now: datetime, *, granted_since: datetime | None = None
) -> int:
    """Enrol the assignment's members (one identity query, one upsert) — only those whose
    grant changed since `granted_since` when given —, notify the newly assigned who have not
    completed the course in one call, and mark the reminder slot that is current for them as
    sent (the assignment's notice names the due date)."""
    members = await identity.civil_servant_members(
        agency=row.agency_code if row.target_kind != "role" else None,
        department=row.department if row.target_kind == "department" else None,
        role=row.role if row.target_kind == "role" else None,
        granted_since=granted_since,
    )
    await repository.lock_course(row.course_id)
    enrolled = await repository.enrol_members(
        row.id,
        row.course_id,
        row.due_at,
        [(m.person_id, m.agency_code, m.department) for m in members],
        now,
    )
    await repository.mark_synced(row.id, now)
    learners = [e for e in enrolled if not e.completed]
    if learners:
        await notifications.notify(
            [e.person_id for e in learners],
            "courses.assigned",
            {"course": row.course_title, "deadline": local_date(row.due_at)},
            deep_link=f"ctn://courses/{row.course_id}",
            category="courses",
        )
        await repository.record_due_reminders(
            now,
            horizon_days=HORIZON_DAYS,
            overdue_days=OVERDUE_DAYS,
            enrolment_ids=[e.enrolment_id for e in learners],
        )
    return len(enrolled)


async def _editable(assignment_id: uuid.UUID) -> AssignmentRow:
    row = await repository.assignment(assignment_id, for_update=True)
    if row is None:
        raise AssignmentNotFound()
    if not row.active:
        raise AssignmentWithdrawn()
    return row


async def do_update_assignment(
    actor: Principal,
    assignment_id: uuid.UUID,
    data: AssignmentUpdate,
    *,
    now: datetime | None = None,
) -> Assignment:
    """Change the due date (the learners' due dates follow, and those who have not completed
    are told: `courses.due_changed`) or the reminders; audited. A withdrawn assignment
    cannot change (`AssignmentWithdrawn`)."""
    now = now or _now()
    row = await _editable(assignment_id)
    due_at = row.due_at
    if isinstance(data.due_at, datetime):
        if data.due_at <= now:
            raise AssignmentDueInPast()
        due_at = data.due_at
    remind = (
        sorted(set(data.remind_days_before), reverse=True)
        if isinstance(data.remind_days_before, list)
        else row.remind_days_before
    )
    every = (
        data.overdue_every_days
        if isinstance(data.overdue_every_days, int)
        else row.overdue_every_days
    )
    await repository.update_assignment(
        assignment_id, due_at=due_at, remind_days_before=remind, overdue_every_days=every
    )
    moved = 0
    if due_at != row.due_at:
        moved = await repository.set_enrolments_due(assignment_id, due_at)
        waiting = await repository.uncompleted_learners(assignment_id)
        if waiting:
            await notifications.notify(
                waiting,
                "courses.due_changed",
                {"course": row.course_title, "deadline": local_date(due_at)},
                deep_link=f"ctn://courses/{row.course_id}",
                category="courses",
            )
    await do_record(
        "mooc.assignment.update",
        actor_id=str(actor.id),
        object_type="mooc_assignment",
        object_id=str(assignment_id),
        details={
            "due_at": due_at.isoformat(),
            "remind_days_before": remind,
            "overdue_every_days": every,
            "enrolments_moved": moved,
        },
    )
    return await get_assignment(assignment_id, now=now)


async def do_withdraw_assignment(
    actor: Principal, assignment_id: uuid.UUID, *, now: datetime | None = None
) -> Assignment:
    """Withdraw: no new enrolments, no more reminders; enrolments stay with their
    `assignment_id`. Idempotent (audited once, when it happens)."""
    row = await repository.assignment(assignment_id, for_update=True)
    if row is None:
        raise AssignmentNotFound()
    if await repository.withdraw(assignment_id):
        await do_record(
            "mooc.assignment.withdraw",
            actor_id=str(actor.id),
            object_type="mooc_assignment",
            object_id=str(assignment_id),
            details={"course_id": str(row.course_id)},
        )
    return await get_assignment(assignment_id, now=now)


# --- jobs ------------------------------------------------------------------------------------


def _sync_since(row: AssignmentRow, now: datetime) -> datetime | None:
    """Members whose grant changed since the last sync (with a margin for grants committed
    late); the first sync of each day (Asia/Ho_Chi_Minh) looks at every member again."""
    last = row.last_synced_at
    if last is None or last.astimezone(ZONE).date() != now.astimezone(ZONE).date():
        return None
    return last - SYNC_MARGIN


async def do_sync_assignments(*, now: datetime | None = None) -> int:
    """Enrol the members who joined every active assignment's target since it was last
    synchronised (set-based per assignment: one identity query, one upsert; every member
    once a day); how many were enrolled."""
    now = now or _now()
    total = 0
    for row in await repository.active_assignments():
        total += await _enrol_members(row, now, granted_since=_sync_since(row, now))
    return total


async def do_send_reminders(*, now: datetime | None = None, any_hour: bool = False) -> int:
    """Send the reminders due at `now` (only in working hours unless `any_hour`): one
    statement picks and records every due slot, then one `notify` per course, due date and
    kind (`courses.deadline_soon`, `courses.overdue`). How many learners were reminded."""
    now = now or _now()
    if not any_hour and not in_working_hours(now):
        return 0
    rows = await repository.record_due_reminders(
        now, horizon_days=HORIZON_DAYS, overdue_days=OVERDUE_DAYS
    )
    if not rows:
        return 0
    groups: dict[tuple[uuid.UUID, str, str], list[uuid.UUID]] = defaultdict(list)
    for row in rows:
        template = "courses.overdue" if row.slot.startswith("overdue:") else "courses.deadline_soon"
        groups[(row.course_id, local_date(row.due_at), template)].append(row.person_id)
    titles = await repository.course_titles(sorted({key[0] for key in groups}))
    for (course_id, deadline, template), people in groups.items():
        await notifications.notify(
            people,
            template,
            {"course": titles.get(course_id, ""), "deadline": deadline},
            deep_link=f"ctn://courses/{course_id}",
            category="courses",
        )
    return len(rows)
