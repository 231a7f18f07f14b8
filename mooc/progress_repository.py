"""Queries of progress and completion (raw SQL on the unit of work's connection: the watched
intervals are an `int4multirange` Piccolo cannot express, and a heartbeat is one round trip).

The beat is one statement: it locks and touches the learner's enrolment (found by person,
course and the lesson's version, so a lesson of another version or a course left or closed
matches nothing), then merges the beat's intervals into the lesson's `watched` multirange.
A union is commutative, idempotent and never shrinks, so late, duplicate or reordered beats
all leave the same `watched`; `watched_ms` is recomputed from the union, never added up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

from mooc import sql


@dataclass(frozen=True, slots=True)
class LessonFacts:
    """What a beat needs of a lesson: frozen once its version is published."""

    lesson_id: uuid.UUID
    kind: str
    course_id: uuid.UUID
    version_id: uuid.UUID
    required: bool
    duration_ms: int | None
    video_threshold: float
    reading_min_seconds: int
    published: bool


@dataclass(frozen=True, slots=True)
class BeatResult:
    enrolment_id: uuid.UUID
    watched_ms: int
    position_ms: int
    completed_at: datetime | None
    completed_now: bool
    course_progress_percent: int
    course_completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class EnrolmentLock:
    id: uuid.UUID
    person_id: uuid.UUID
    course_id: uuid.UUID
    version_id: uuid.UUID
    status: str
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class EnrolmentTotals:
    required_done: int
    required_total: int
    progress_percent: int
    best_score: float | None
    completed_at: datetime | None
    status: str


_LESSON_FACTS = """
SELECT l.id, l.kind, v.course_id, l.version_id, l.required, l.duration_ms,
       v.video_threshold, v.reading_min_seconds, v.published_at IS NOT NULL AS published
FROM mooc_lessons l JOIN mooc_course_versions v ON v.id = l.version_id
WHERE l.id = $1
"""


async def lesson_facts(lesson_id: uuid.UUID) -> LessonFacts | None:
    row = await sql.fetchrow(_LESSON_FACTS, lesson_id)
    if row is None:
        return None
    return LessonFacts(
        lesson_id=row["id"],
        kind=row["kind"],
        course_id=row["course_id"],
        version_id=row["version_id"],
        required=row["required"],
        duration_ms=row["duration_ms"],
        video_threshold=float(row["video_threshold"]),
        reading_min_seconds=row["reading_min_seconds"],
        published=row["published"],
    )


# The length of a multirange: the sum of its ranges' lengths (they never overlap).
_LENGTH = "(SELECT coalesce(sum(upper(r) - lower(r)), 0) FROM unnest({m}) AS r)::int"

_BEAT = f"""
WITH e AS (
    UPDATE mooc_enrolments en
    SET started_at = least(coalesce(en.started_at, $4), $4),
        last_lesson_id = CASE WHEN en.last_activity_at IS NULL OR $4 >= en.last_activity_at
                              THEN $2 ELSE en.last_lesson_id END,
        last_activity_at = greatest(coalesce(en.last_activity_at, $4), $4)
    FROM mooc_courses c
    WHERE en.person_id = $1 AND en.course_id = $9 AND en.version_id = $10
      AND en.status <> 'unenrolled' AND c.id = en.course_id AND c.status <> 'archived'
    RETURNING en.id, en.progress_percent, en.completed_at
), p AS (
    INSERT INTO mooc_lesson_progress AS p (enrolment_id, lesson_id, person_id, watched,
        watched_ms, position_ms, position_at, first_opened_at, updated_at, completed_at)
    SELECT e.id, $2, $1, $3::int4multirange, {_LENGTH.format(m="$3::int4multirange")}, $5, $6,
           $4, $4,
           CASE WHEN $8 AND {_LENGTH.format(m="$3::int4multirange")} >= $7 THEN $4 END
    FROM e
    ON CONFLICT (enrolment_id, lesson_id) DO UPDATE SET
        watched = p.watched + excluded.watched,
        watched_ms = {_LENGTH.format(m="p.watched + excluded.watched")},
        position_ms = CASE WHEN p.position_at IS NULL OR excluded.position_at > p.position_at
                           THEN excluded.position_ms ELSE p.position_ms END,
        position_at = greatest(p.position_at, excluded.position_at),
        updated_at = greatest(p.updated_at, excluded.updated_at),
        completed_at = coalesce(p.completed_at, CASE
            WHEN $8 AND {_LENGTH.format(m="p.watched + excluded.watched")} >= $7 THEN $4 END)
    RETURNING p.enrolment_id, p.watched_ms, p.position_ms, p.completed_at
)
SELECT p.enrolment_id, p.watched_ms, p.position_ms, p.completed_at,
       p.completed_at = $4 AS completed_now, e.progress_percent,
       e.completed_at AS course_completed_at
FROM p JOIN e ON e.id = p.enrolment_id
"""


async def apply_beat(
    *,
    person_id: uuid.UUID,
    facts: LessonFacts,
    watched: list[tuple[int, int]],
    at: datetime,
    position_ms: int,
    position_at: datetime,
    complete_ms: int | None,
) -> BeatResult | None:
    """Merge `watched` (half-open [start, end) millisecond intervals) into the learner's
    progress in the lesson and touch their enrolment, in one statement; None when no active
    enrolment of theirs reaches the lesson (the caller finds out why). `complete_ms`: the
    watched length that completes the lesson (None: beats never complete it). `completed_now`
    is true when this statement set `completed_at` (to `at`, only where it was null)."""
    row = await sql.fetchrow(
        _BEAT,
        person_id,
        facts.lesson_id,
        [asyncpg.Range(start, end) for start, end in watched],
        at,
        position_ms,
        position_at,
        complete_ms if complete_ms is not None else 0,
        complete_ms is not None,
        facts.course_id,
        facts.version_id,
    )
    if row is None:
        return None
    return BeatResult(
        enrolment_id=row["enrolment_id"],
        watched_ms=row["watched_ms"],
        position_ms=row["position_ms"],
        completed_at=row["completed_at"],
        completed_now=bool(row["completed_now"]),
        course_progress_percent=row["progress_percent"],
        course_completed_at=row["course_completed_at"],
    )


async def lock_enrolment(enrolment_id: uuid.UUID) -> EnrolmentLock | None:
    """The enrolment, locked until the transaction ends: completions of one enrolment are
    serialised here, so the count that follows sees every lesson completed before."""
    row = await sql.fetchrow(
        "SELECT id, person_id, course_id, version_id, status, completed_at"
        " FROM mooc_enrolments WHERE id = $1 FOR NO KEY UPDATE",
        enrolment_id,
    )
    if row is None:
        return None
    return EnrolmentLock(
        id=row["id"],
        person_id=row["person_id"],
        course_id=row["course_id"],
        version_id=row["version_id"],
        status=row["status"],
        completed_at=row["completed_at"],
    )


async def complete_lesson(
    enrolment_id: uuid.UUID, lesson_id: uuid.UUID, person_id: uuid.UUID, at: datetime
) -> bool:
    """Set the lesson's `completed_at` unless already set (inserting the row if missing);
    True when this statement set it."""
    row = await sql.fetchrow(
        """
        INSERT INTO mooc_lesson_progress AS p (enrolment_id, lesson_id, person_id,
            first_opened_at, updated_at, completed_at)
        VALUES ($1, $2, $3, $4, $4, $4)
        ON CONFLICT (enrolment_id, lesson_id) DO UPDATE
            SET completed_at = $4, updated_at = greatest(p.updated_at, $4)
            WHERE p.completed_at IS NULL
        RETURNING 1
        """,
        enrolment_id,
        lesson_id,
        person_id,
        at,
    )
    return row is not None


_REFRESH = """
WITH done AS (
    SELECT count(*) FILTER (WHERE l.required) AS required_done, count(*) AS any_done
    FROM mooc_lesson_progress p JOIN mooc_lessons l ON l.id = p.lesson_id
    WHERE p.enrolment_id = $1 AND p.completed_at IS NOT NULL AND l.version_id = $3
), quiz AS (
    SELECT avg(best) AS score FROM (
        SELECT max(a.percent) AS best
        FROM mooc_quiz_attempts a JOIN mooc_lessons l ON l.id = a.lesson_id
        WHERE a.enrolment_id = $1 AND l.required AND a.percent IS NOT NULL
          AND a.status <> 'open'
        GROUP BY a.lesson_id) b
)
UPDATE mooc_enrolments en SET
    required_done = done.required_done,
    progress_percent = CASE
        WHEN en.completed_at IS NOT NULL THEN 100
        WHEN done.required_done >= en.required_total AND (en.required_total > 0
             OR done.any_done > 0) THEN 100
        WHEN en.required_total = 0 THEN 0
        ELSE least(99, (100 * done.required_done) / en.required_total) END,
    best_score = round(quiz.score, 2),
    last_activity_at = greatest(coalesce(en.last_activity_at, $2), $2),
    started_at = least(coalesce(en.started_at, $2), $2),
    completed_at = CASE
        WHEN en.completed_at IS NULL AND en.status = 'active'
             AND done.required_done >= en.required_total
             AND (en.required_total > 0 OR done.any_done > 0) THEN $2
        ELSE en.completed_at END,
    status = CASE
        WHEN en.completed_at IS NULL AND en.status = 'active'
             AND done.required_done >= en.required_total
             AND (en.required_total > 0 OR done.any_done > 0) THEN 'completed'
        ELSE en.status END
FROM done, quiz
WHERE en.id = $1
RETURNING en.required_done, en.required_total, en.progress_percent, en.best_score,
          en.completed_at, en.status
"""


async def refresh_totals(
    enrolment_id: uuid.UUID, version_id: uuid.UUID, at: datetime
) -> EnrolmentTotals | None:
    """Recount the enrolment's completed required lessons and best quiz scores, and record
    the course's completion when every required lesson is complete (only where it was not;
    the caller holds the enrolment's lock)."""
    row = await sql.fetchrow(_REFRESH, enrolment_id, at, version_id)
    if row is None:
        return None
    return EnrolmentTotals(
        required_done=row["required_done"],
        required_total=row["required_total"],
        progress_percent=row["progress_percent"],
        best_score=None if row["best_score"] is None else float(row["best_score"]),
        completed_at=row["completed_at"],
        status=row["status"],
    )


async def touch(enrolment_id: uuid.UUID, lesson_id: uuid.UUID, at: datetime) -> None:
    await sql.execute(
        "UPDATE mooc_enrolments SET started_at = least(coalesce(started_at, $3), $3),"
        " last_lesson_id = CASE WHEN last_activity_at IS NULL OR $3 >= last_activity_at"
        " THEN $2 ELSE last_lesson_id END,"
        " last_activity_at = greatest(coalesce(last_activity_at, $3), $3) WHERE id = $1",
        enrolment_id,
        lesson_id,
        at,
    )


@dataclass(frozen=True, slots=True)
class ProgressRow:
    lesson_id: uuid.UUID
    watched_ms: int
    position_ms: int
    completed_at: datetime | None
    watched: list[tuple[int, int]]


def _ranges(value: Any) -> list[tuple[int, int]]:
    return [(r.lower, r.upper) for r in (value or [])]


async def lesson_progress(enrolment_id: uuid.UUID, lesson_id: uuid.UUID) -> ProgressRow | None:
    row = await sql.fetchrow(
        "SELECT lesson_id, watched_ms, position_ms, completed_at, watched"
        " FROM mooc_lesson_progress WHERE enrolment_id = $1 AND lesson_id = $2",
        enrolment_id,
        lesson_id,
    )
    if row is None:
        return None
    return ProgressRow(
        lesson_id=row["lesson_id"],
        watched_ms=row["watched_ms"],
        position_ms=row["position_ms"],
        completed_at=row["completed_at"],
        watched=_ranges(row["watched"]),
    )


async def enrolment_summary(enrolment_id: uuid.UUID) -> tuple[int, datetime | None]:
    """(progress_percent, completed_at) of the enrolment."""
    row = await sql.fetchrow(
        "SELECT progress_percent, completed_at FROM mooc_enrolments WHERE id = $1", enrolment_id
    )
    return (0, None) if row is None else (row["progress_percent"], row["completed_at"])
