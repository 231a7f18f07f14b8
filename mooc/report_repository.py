"""Every query of the managers' reports: grouped SQL over `mooc_enrolments` (which carries the
learner's agency and department, progress and best score), never a query per learner. One
definition of a learner's status (`_LEARNERS`) serves the figures, the drill-down and the
exports, so they always agree."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from mooc import sql

_LEARNERS = """
SELECT e.id AS enrolment_id, e.person_id, e.course_id, e.agency_code, e.department,
       e.progress_percent, e.best_score, e.enrolled_at, e.due_at, e.completed_at,
       e.last_activity_at, e.assignment_id IS NOT NULL AS mandatory,
       (e.started_at IS NOT NULL OR e.required_done > 0 OR e.completed_at IS NOT NULL)
           AS started,
       CASE WHEN e.completed_at IS NOT NULL THEN 'completed'
            WHEN e.due_at < $1 AND a.active THEN 'overdue'
            WHEN e.started_at IS NOT NULL OR e.required_done > 0 THEN 'in_progress'
            ELSE 'not_started' END AS status
FROM mooc_enrolments e
LEFT JOIN mooc_assignments a ON a.id = e.assignment_id
WHERE e.status <> 'unenrolled' AND ($2::text[] IS NULL OR e.agency_code = ANY($2::text[]))
"""
"""Learners of courses ($1: now, $2: the agencies the caller may see, NULL for all)."""

_FIGURES = """
count(*)::int AS enrolled,
count(*) FILTER (WHERE l.started)::int AS started,
count(*) FILTER (WHERE l.status = 'completed')::int AS completed,
count(*) FILTER (WHERE l.status = 'overdue')::int AS overdue,
round(avg(l.best_score), 2) AS average_score
"""


class FiguresRow(msgspec.Struct, frozen=True, kw_only=True):
    enrolled: int
    started: int
    completed: int
    overdue: int
    average_score: float | None


class AgencyRow(FiguresRow, frozen=True, kw_only=True):
    agency_code: str | None


class SummaryRow(FiguresRow, frozen=True, kw_only=True):
    course_id: uuid.UUID
    course_code: str
    course_title: str
    course_status: str


class LearnerRow(msgspec.Struct, frozen=True, kw_only=True):
    enrolment_id: uuid.UUID
    person_id: uuid.UUID
    agency_code: str | None
    department: str | None
    status: str
    progress_percent: int
    best_score: float | None
    enrolled_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    last_activity_at: datetime | None
    mandatory: bool


def _plain(record: Any) -> dict[str, Any]:
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in dict(record).items()}


def _scope(agencies: Collection[str] | None) -> list[str] | None:
    return None if agencies is None else sorted(agencies)


async def figures_by_agency(
    course_id: uuid.UUID, agencies: Collection[str] | None, now: datetime
) -> tuple[list[AgencyRow], FiguresRow | None]:
    """One grouped query (grouping sets): the course's figures per agency (agencies without
    learners absent; learners of no agency under None, last) and over them all (None when
    nobody is enrolled)."""
    records = await sql.fetch(
        "SELECT l.agency_code, GROUPING(l.agency_code) = 1 AS is_total, "
        + _FIGURES
        + " FROM ("
        + _LEARNERS
        + " AND e.course_id = $3) l"
        " GROUP BY GROUPING SETS ((l.agency_code), ())"
        " ORDER BY is_total, l.agency_code NULLS LAST",
        now,
        _scope(agencies),
        course_id,
    )
    rows: list[AgencyRow] = []
    total: FiguresRow | None = None
    for record in records:
        values = _plain(record)
        if values.pop("is_total"):
            values.pop("agency_code")
            total = msgspec.convert(values, FiguresRow) if values["enrolled"] else None
        else:
            rows.append(msgspec.convert(values, AgencyRow))
    return rows, total


_TITLES = """
SELECT c.id, c.code, c.status,
       COALESCE((SELECT v.title FROM mooc_course_versions v WHERE v.course_id = c.id
                  ORDER BY (v.id = c.current_version_id) DESC, v.number DESC LIMIT 1), c.code)
           AS title
FROM mooc_courses c
"""


async def figures_by_course(agencies: Collection[str] | None, now: datetime) -> list[SummaryRow]:
    """One grouped query: every course with learners in those agencies, its figures, by
    title."""
    records = await sql.fetch(
        "WITH f AS (SELECT l.course_id, " + _FIGURES + " FROM (" + _LEARNERS + ") l"
        " GROUP BY l.course_id)"
        " SELECT f.*, t.code AS course_code, t.title AS course_title, t.status AS course_status"
        " FROM f JOIN (" + _TITLES + ") t ON t.id = f.course_id"
        " ORDER BY t.title, t.code",
        now,
        _scope(agencies),
    )
    return [msgspec.convert(_plain(r), SummaryRow) for r in records]


async def learners(
    course_id: uuid.UUID,
    agencies: Collection[str] | None,
    now: datetime,
    *,
    agency: str | None = None,
    department: str | None = None,
    status: str | None = None,
    after: tuple[str, str, int, uuid.UUID] | None = None,
    limit: int | None = None,
) -> list[LearnerRow]:
    """The course's learners in those agencies, filtered, ordered by agency, department,
    progress (least first) and enrolment (the keyset `after`); all of them when `limit` is
    None (exports)."""
    records = await sql.fetch(
        "SELECT * FROM (" + _LEARNERS + " AND e.course_id = $3"
        " AND ($4::text IS NULL OR e.agency_code = $4)"
        " AND ($5::text IS NULL OR e.department = $5)) l"
        " WHERE ($6::text IS NULL OR l.status = $6)"
        " AND ($7::text IS NULL OR (COALESCE(l.agency_code, ''), COALESCE(l.department, ''),"
        "      l.progress_percent, l.enrolment_id) > ($7, $8, $9::int, $10::uuid))"
        " ORDER BY COALESCE(l.agency_code, ''), COALESCE(l.department, ''),"
        " l.progress_percent, l.enrolment_id"
        " LIMIT $11",
        now,
        _scope(agencies),
        course_id,
        agency,
        department,
        status,
        after[0] if after else None,
        after[1] if after else None,
        after[2] if after else None,
        after[3] if after else None,
        limit,
    )
    return [msgspec.convert(_plain(r), LearnerRow) for r in records]


async def departments(
    course_id: uuid.UUID, agencies: Collection[str] | None
) -> list[tuple[str, str]]:
    """(agency, department) pairs among the course's learners (the drill-down's filter)."""
    records = await sql.fetch(
        "SELECT DISTINCT agency_code, department FROM mooc_enrolments"
        " WHERE course_id = $1 AND status <> 'unenrolled' AND department IS NOT NULL"
        " AND agency_code IS NOT NULL"
        " AND ($2::text[] IS NULL OR agency_code = ANY($2::text[]))"
        " ORDER BY agency_code, department",
        course_id,
        _scope(agencies),
    )
    return [(r["agency_code"], r["department"]) for r in records]


async def count_overdue(agencies: Collection[str] | None, now: datetime) -> int:
    """Learners past an active assignment's due date who have not completed, in those
    agencies (the partial index on due dates of uncompleted enrolments)."""
    found = await sql.fetchval(
        "SELECT count(*) FROM mooc_enrolments e"
        " JOIN mooc_assignments a ON a.id = e.assignment_id AND a.active"
        " WHERE e.status = 'active' AND e.completed_at IS NULL AND e.due_at IS NOT NULL"
        " AND e.due_at < $1 AND ($2::text[] IS NULL OR e.agency_code = ANY($2::text[]))",
        now,
        _scope(agencies),
    )
    return int(found or 0)
