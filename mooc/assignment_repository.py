"""Every query of mandatory training (raw SQL on the current unit of work, `mooc.sql`):
assignments, the set-based enrolment of their members, their counts, and the reminders due.
Rows are typed (msgspec Structs converted from the records), so a renamed column fails here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from mooc import sql

_Row = TypeVar("_Row", bound=msgspec.Struct)

ZONE = "Asia/Ho_Chi_Minh"


def _typed(record: Any, kind: type[_Row]) -> _Row:
    return msgspec.convert(dict(record), kind)


# --- courses ---------------------------------------------------------------------------------


class CourseRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    code: str
    status: str
    current_version_id: uuid.UUID | None
    title: str


_COURSE = """
SELECT c.id, c.code, c.status, c.current_version_id,
       COALESCE((SELECT v.title FROM mooc_course_versions v WHERE v.course_id = c.id
                  ORDER BY (v.id = c.current_version_id) DESC, v.number DESC LIMIT 1), c.code)
           AS title
FROM mooc_courses c
"""


async def course(course_id: uuid.UUID) -> CourseRow | None:
    record = await sql.fetchrow(_COURSE + " WHERE c.id = $1", course_id)
    return None if record is None else _typed(record, CourseRow)


async def published_courses() -> list[CourseRow]:
    """Courses that can be assigned (published, with a current version), by title."""
    records = await sql.fetch(
        "SELECT * FROM (" + _COURSE + " WHERE c.status = 'published'"
        " AND c.current_version_id IS NOT NULL) x ORDER BY x.title, x.code"
    )
    return [_typed(r, CourseRow) for r in records]


async def course_titles(course_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The titles of these courses (their current version's), one query."""
    if not course_ids:
        return {}
    records = await sql.fetch(_COURSE + " WHERE c.id = ANY($1::uuid[])", list(course_ids))
    return {r["id"]: r["title"] for r in records}


# --- assignments -------------------------------------------------------------------------------


class AssignmentRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    course_id: uuid.UUID
    course_code: str
    course_title: str
    course_status: str
    target_kind: str
    agency_code: str | None
    department: str | None
    role: str | None
    due_at: datetime
    remind_days_before: list[int]
    overdue_every_days: int
    active: bool
    created_by: uuid.UUID | None
    created_at: datetime
    last_synced_at: datetime | None


_ASSIGNMENT = (
    """
SELECT a.id, a.course_id, c.code AS course_code, c.title AS course_title,
       c.status AS course_status, a.target_kind, a.agency_code, a.department, a.role, a.due_at,
       a.remind_days_before, a.overdue_every_days, a.active, a.created_by, a.created_at,
       a.last_synced_at
FROM mooc_assignments a
JOIN ("""
    + _COURSE
    + """) c ON c.id = a.course_id
"""
)


async def insert_assignment(
    assignment_id: uuid.UUID,
    *,
    course_id: uuid.UUID,
    target_kind: str,
    agency_code: str | None,
    department: str | None,
    role: str | None,
    due_at: datetime,
    remind_days_before: Sequence[int],
    overdue_every_days: int,
    created_by: uuid.UUID | None,
    at: datetime,
) -> None:
    await sql.execute(
        "INSERT INTO mooc_assignments (id, course_id, target_kind, agency_code, department, role,"
        " due_at, remind_days_before, overdue_every_days, active, created_by, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, true, $10, $11)",
        assignment_id,
        course_id,
        target_kind,
        agency_code,
        department,
        role,
        due_at,
        list(remind_days_before),
        overdue_every_days,
        created_by,
        at,
    )


async def assignment(assignment_id: uuid.UUID, *, for_update: bool = False) -> AssignmentRow | None:
    if for_update:
        # Lock the row first (FOR UPDATE cannot lock through the aggregate in _COURSE).
        await sql.execute("SELECT 1 FROM mooc_assignments WHERE id = $1 FOR UPDATE", assignment_id)
    record = await sql.fetchrow(_ASSIGNMENT + " WHERE a.id = $1", assignment_id)
    return None if record is None else _typed(record, AssignmentRow)


async def list_assignments(
    *,
    course_id: uuid.UUID | None,
    active: bool | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[AssignmentRow]:
    """Newest first (keyset on created_at, id)."""
    records = await sql.fetch(
        _ASSIGNMENT + " WHERE ($1::uuid IS NULL OR a.course_id = $1)"
        " AND ($2::boolean IS NULL OR a.active = $2)"
        " AND ($3::timestamptz IS NULL OR (a.created_at, a.id) < ($3, $4::uuid))"
        " ORDER BY a.created_at DESC, a.id DESC LIMIT $5",
        course_id,
        active,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [_typed(r, AssignmentRow) for r in records]


async def active_assignments() -> list[AssignmentRow]:
    """Assignments that still enrol: active, of a published course; oldest first."""
    records = await sql.fetch(
        _ASSIGNMENT + " WHERE a.active AND c.status = 'published'"
        " AND c.current_version_id IS NOT NULL ORDER BY a.created_at, a.id"
    )
    return [_typed(r, AssignmentRow) for r in records]


async def update_assignment(
    assignment_id: uuid.UUID,
    *,
    due_at: datetime,
    remind_days_before: Sequence[int],
    overdue_every_days: int,
) -> None:
    await sql.execute(
        "UPDATE mooc_assignments SET due_at = $2, remind_days_before = $3,"
        " overdue_every_days = $4 WHERE id = $1",
        assignment_id,
        due_at,
        list(remind_days_before),
        overdue_every_days,
    )


async def set_enrolments_due(assignment_id: uuid.UUID, due_at: datetime) -> int:
    """The learners of the assignment follow its new due date; how many."""
    status = await sql.execute(
        "UPDATE mooc_enrolments SET due_at = $2 WHERE assignment_id = $1 AND due_at <> $2",
        assignment_id,
        due_at,
    )
    return int(status.rsplit(" ", 1)[-1])


async def uncompleted_learners(assignment_id: uuid.UUID) -> list[uuid.UUID]:
    """The people the assignment holds who are still learning (not completed, not left)."""
    records = await sql.fetch(
        "SELECT person_id FROM mooc_enrolments WHERE assignment_id = $1"
        " AND status = 'active' AND completed_at IS NULL ORDER BY person_id",
        assignment_id,
    )
    return [r["person_id"] for r in records]


async def withdraw(assignment_id: uuid.UUID) -> bool:
    """True if this call withdrew it (it was active)."""
    found = await sql.fetchval(
        "UPDATE mooc_assignments SET active = false WHERE id = $1 AND active RETURNING id",
        assignment_id,
    )
    return found is not None


async def mark_synced(assignment_id: uuid.UUID, at: datetime) -> None:
    await sql.execute(
        "UPDATE mooc_assignments SET last_synced_at = $2 WHERE id = $1", assignment_id, at
    )


class CountsRow(msgspec.Struct, frozen=True, kw_only=True):
    assignment_id: uuid.UUID
    enrolled: int
    started: int
    completed: int
    overdue: int


async def counts(assignment_ids: Sequence[uuid.UUID], now: datetime) -> dict[uuid.UUID, CountsRow]:
    """One grouped query for the learners each assignment holds (left ones not counted)."""
    if not assignment_ids:
        return {}
    records = await sql.fetch(
        "SELECT e.assignment_id, count(*)::int AS enrolled,"
        " count(*) FILTER (WHERE e.started_at IS NOT NULL OR e.completed_at IS NOT NULL"
        "   OR e.required_done > 0)::int AS started,"
        " count(*) FILTER (WHERE e.completed_at IS NOT NULL)::int AS completed,"
        " count(*) FILTER (WHERE e.completed_at IS NULL AND e.due_at < $2)::int AS overdue"
        " FROM mooc_enrolments e"
        " WHERE e.assignment_id = ANY($1::uuid[]) AND e.status <> 'unenrolled'"
        " GROUP BY e.assignment_id",
        list(assignment_ids),
        now,
    )
    rows = [_typed(r, CountsRow) for r in records]
    return {row.assignment_id: row for row in rows}


# --- enrolling the members -----------------------------------------------------------------


async def lock_course(course_id: uuid.UUID) -> None:
    """Serialise the enrolling of one course's assignments (a request creating one and the
    periodic sync) until the transaction ends: no deadlock between their upserts."""
    await sql.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"mooc-assign:{course_id}"
    )


class EnrolledRow(msgspec.Struct, frozen=True, kw_only=True):
    enrolment_id: uuid.UUID
    person_id: uuid.UUID
    completed: bool


_ENROL = """
WITH members AS (
    SELECT m.person_id, m.agency_code, m.department
    FROM unnest($1::uuid[], $2::text[], $3::text[]) AS m(person_id, agency_code, department)
), course AS (
    SELECT c.id, c.current_version_id AS version_id,
           (SELECT count(*) FROM mooc_lessons l
             WHERE l.version_id = c.current_version_id AND l.required)::int AS required_total
    FROM mooc_courses c
    WHERE c.id = $4 AND c.status = 'published' AND c.current_version_id IS NOT NULL
)
INSERT INTO mooc_enrolments AS e (id, person_id, course_id, version_id, status, enrolled_at,
    required_total, agency_code, department, assignment_id, due_at)
SELECT gen_random_uuid(), m.person_id, course.id, course.version_id, 'active', $6,
       course.required_total, m.agency_code, m.department, $5, $7
FROM members m CROSS JOIN course
WHERE NOT EXISTS (
    SELECT 1 FROM mooc_enrolments x
     WHERE x.person_id = m.person_id AND x.course_id = course.id AND x.status <> 'unenrolled'
       AND x.assignment_id IS NOT NULL AND (x.assignment_id = $5 OR x.due_at <= $7))
ON CONFLICT (person_id, course_id) DO UPDATE SET
    assignment_id = EXCLUDED.assignment_id,
    due_at = EXCLUDED.due_at,
    status = CASE WHEN e.status = 'unenrolled' THEN 'active' ELSE e.status END,
    unenrolled_at = CASE WHEN e.status = 'unenrolled' THEN NULL ELSE e.unenrolled_at END,
    agency_code = COALESCE(EXCLUDED.agency_code, e.agency_code),
    department = CASE WHEN EXCLUDED.agency_code IS NULL THEN e.department
                      ELSE EXCLUDED.department END
WHERE e.status = 'unenrolled' OR e.assignment_id IS NULL
   OR (e.assignment_id <> EXCLUDED.assignment_id
       AND (e.due_at IS NULL OR e.due_at > EXCLUDED.due_at))
RETURNING e.id AS enrolment_id, e.person_id, e.completed_at IS NOT NULL AS completed
"""


async def enrol_members(
    assignment_id: uuid.UUID,
    course_id: uuid.UUID,
    due_at: datetime,
    members: Sequence[tuple[uuid.UUID, str | None, str | None]],
    at: datetime,
) -> list[EnrolledRow]:
    """ONE statement for every member (person, agency, department): a new enrolment in the
    course's current version (`required_total` its required lessons), or the existing one
    taken over — a left one reactivated (its pinned version and progress kept), one without
    an assignment or held by another assignment due later given this one and its due date.
    Members this assignment (or one due no later) already holds are left untouched (not even
    locked). Returns the enrolments this call enrolled or assigned."""
    if not members:
        return []
    records = await sql.fetch(
        _ENROL,
        [m[0] for m in members],
        [m[1] for m in members],
        [m[2] for m in members],
        course_id,
        assignment_id,
        at,
        due_at,
    )
    return [_typed(r, EnrolledRow) for r in records]


# --- reminders -----------------------------------------------------------------------------


class ReminderRow(msgspec.Struct, frozen=True, kw_only=True):
    enrolment_id: uuid.UUID
    slot: str
    person_id: uuid.UUID
    course_id: uuid.UUID
    due_at: datetime


_REMINDERS = (
    """
WITH candidates AS (
    SELECT e.id AS enrolment_id, e.person_id, e.course_id, e.due_at,
           CASE
               WHEN e.due_at <= $1 THEN 'overdue:' || CASE
                   WHEN a.overdue_every_days > 0 THEN
                       (floor(extract(epoch FROM ($1 - e.due_at))
                              / (a.overdue_every_days * 86400.0))::int * a.overdue_every_days)
                   ELSE 0 END
               ELSE (SELECT 'before:' || min(o) FROM unnest(a.remind_days_before) AS o
                      WHERE e.due_at - make_interval(days => o) <= $1)
           END AS slot
    FROM mooc_enrolments e
    JOIN mooc_assignments a ON a.id = e.assignment_id
    WHERE e.status = 'active' AND e.completed_at IS NULL AND e.due_at IS NOT NULL
      AND e.due_at <= $1 + make_interval(days => $2)
      AND e.due_at > $1 - make_interval(days => $3)
      AND a.active
      AND ($4::uuid[] IS NULL OR e.id = ANY($4::uuid[]))
), sent AS (
    INSERT INTO mooc_reminders (enrolment_id, slot, sent_at)
    SELECT c.enrolment_id,
           c.slot || '@' || to_char(c.due_at AT TIME ZONE '"""
    + ZONE
    + """', 'YYYYMMDD'), $1
    FROM candidates c WHERE c.slot IS NOT NULL
    ON CONFLICT (enrolment_id, slot) DO NOTHING
    RETURNING enrolment_id, slot
)
SELECT s.enrolment_id, s.slot, e.person_id, e.course_id, e.due_at
FROM sent s JOIN mooc_enrolments e ON e.id = s.enrolment_id
ORDER BY e.course_id, e.due_at, e.person_id
"""
    # The slots sent are joined back to the enrolments by primary key, not to the candidates:
    # two CTE scans have no statistics, and the planner may join them in a nested loop
    # (50,000 × 50,000 comparisons, past the statement timeout).
)


async def record_due_reminders(
    now: datetime,
    *,
    horizon_days: int,
    overdue_days: int,
    enrolment_ids: Sequence[uuid.UUID] | None = None,
) -> list[ReminderRow]:
    """Set-based, one statement: for each active, uncompleted enrolment of an active
    assignment (those `enrolment_ids` when given) its current reminder slot — `before:<d>`
    for the nearest offset whose time has come, `overdue:<n>` (n = whole periods of
    `overdue_every_days` since the due date, 0 when that is 0) — suffixed with the due date
    (a new due date arms the reminders again), recorded in `mooc_reminders` unless already
    there. Returns only the slots this call recorded, so a retry never sends one twice.
    `horizon_days` bounds how far ahead a due date is looked at (the largest offset),
    `overdue_days` how long after it overdue reminders go on."""
    records = await sql.fetch(
        _REMINDERS,
        now,
        horizon_days,
        overdue_days,
        list(enrolment_ids) if enrolment_ids is not None else None,
    )
    return [_typed(r, ReminderRow) for r in records]
