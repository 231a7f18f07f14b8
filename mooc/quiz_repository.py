"""Every query of quizzes (raw SQL on the unit of work's connection, `mooc.sql`).

Hot paths are one statement each: starting an attempt is one INSERT (the bank of a published
version is cached by the service), saving an answer one guarded UPDATE, grading one locked
read and one UPDATE. Rows come back as typed Structs, JSONB decoded."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from mooc import sql


def _json(value: Any) -> Any:
    """JSONB as asyncpg hands it over (text, unless a codec decoded it)."""
    return json.loads(value) if isinstance(value, str) else value


# --- lessons and question banks -----------------------------------------------------------------


class QuizLessonRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    kind: str
    title: str
    required: bool
    quiz: dict[str, Any]
    version_id: uuid.UUID
    course_id: uuid.UUID
    frozen: bool
    """The version is published (never changes again)."""


_LESSON = """
SELECT l.id, l.kind, l.title, l.required, l.quiz, l.version_id, v.course_id,
       v.published_at IS NOT NULL AS frozen
FROM mooc_lessons l JOIN mooc_course_versions v ON v.id = l.version_id
WHERE l.id = $1
"""


async def quiz_lesson(lesson_id: uuid.UUID, *, for_edit: bool = False) -> QuizLessonRow | None:
    """The lesson with its version's state. `for_edit` takes a share lock on the version row,
    so that publishing it (an UPDATE of that row) waits for the edit, and the edit sees a
    version published just before."""
    row = await sql.fetchrow(_LESSON + (" FOR SHARE OF v" if for_edit else ""), lesson_id)
    if row is None:
        return None
    return QuizLessonRow(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        required=row["required"],
        quiz=_json(row["quiz"]) or {},
        version_id=row["version_id"],
        course_id=row["course_id"],
        frozen=row["frozen"],
    )


class QuestionRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    lesson_id: uuid.UUID
    position: int
    kind: str
    prompt: str
    options: list[dict[str, str]]
    correct: list[str]
    explanation: str
    points: int


_QUESTION_COLUMNS = "id, lesson_id, position, kind, prompt, options, correct, explanation, points"


def _question(row: Any) -> QuestionRow:
    return QuestionRow(
        id=row["id"],
        lesson_id=row["lesson_id"],
        position=row["position"],
        kind=row["kind"],
        prompt=row["prompt"],
        options=_json(row["options"]) or [],
        correct=_json(row["correct"]) or [],
        explanation=row["explanation"],
        points=row["points"],
    )


async def questions_of(lesson_id: uuid.UUID) -> list[QuestionRow]:
    rows = await sql.fetch(
        f"SELECT {_QUESTION_COLUMNS} FROM mooc_questions WHERE lesson_id = $1"
        " ORDER BY position, id",
        lesson_id,
    )
    return [_question(row) for row in rows]


async def question(question_id: uuid.UUID) -> QuestionRow | None:
    row = await sql.fetchrow(
        f"SELECT {_QUESTION_COLUMNS} FROM mooc_questions WHERE id = $1", question_id
    )
    return None if row is None else _question(row)


async def insert_question(
    question_id: uuid.UUID,
    lesson_id: uuid.UUID,
    *,
    kind: str,
    prompt: str,
    options: list[dict[str, str]],
    correct: list[str],
    explanation: str,
    points: int,
) -> QuestionRow:
    """A question appended after the lesson's last one."""
    row = await sql.fetchrow(
        "INSERT INTO mooc_questions (id, lesson_id, position, kind, prompt, options, correct,"
        " explanation, points) VALUES ($1, $2,"
        " (SELECT coalesce(max(position), 0) + 1 FROM mooc_questions WHERE lesson_id = $2),"
        f" $3, $4, $5::jsonb, $6::jsonb, $7, $8) RETURNING {_QUESTION_COLUMNS}",
        question_id,
        lesson_id,
        kind,
        prompt,
        json.dumps(options, ensure_ascii=False),
        json.dumps(correct, ensure_ascii=False),
        explanation,
        points,
    )
    return _question(row)


async def update_question(row: QuestionRow) -> QuestionRow:
    updated = await sql.fetchrow(
        "UPDATE mooc_questions SET kind = $2, prompt = $3, options = $4::jsonb,"
        " correct = $5::jsonb, explanation = $6, points = $7 WHERE id = $1"
        f" RETURNING {_QUESTION_COLUMNS}",
        row.id,
        row.kind,
        row.prompt,
        json.dumps(row.options, ensure_ascii=False),
        json.dumps(row.correct, ensure_ascii=False),
        row.explanation,
        row.points,
    )
    return _question(updated)


async def renumber_questions(lesson_id: uuid.UUID, ordered: Sequence[uuid.UUID]) -> None:
    """Positions 1, 2, … in the order given."""
    await sql.execute(
        "UPDATE mooc_questions q SET position = o.position"
        " FROM unnest($2::uuid[]) WITH ORDINALITY AS o(id, position)"
        " WHERE q.id = o.id AND q.lesson_id = $1",
        lesson_id,
        list(ordered),
    )


async def delete_question(question_id: uuid.UUID) -> bool:
    return await sql.execute("DELETE FROM mooc_questions WHERE id = $1", question_id) != "DELETE 0"


# --- attempts -------------------------------------------------------------------------------------


class AttemptRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    enrolment_id: uuid.UUID
    lesson_id: uuid.UUID
    person_id: uuid.UUID
    number: int
    status: str
    questions: list[dict[str, Any]]
    """[{"id": question id, "options": [option ids in the order shown]}, …]"""
    answers: dict[str, Any]
    started_at: datetime
    deadline_at: datetime | None
    submitted_at: datetime | None
    score: Decimal | None
    max_score: Decimal | None
    percent: Decimal | None
    passed: bool | None
    results: dict[str, Any]


_ATTEMPT_COLUMNS = (
    "a.id, a.enrolment_id, a.lesson_id, a.person_id, a.number, a.status, a.questions, a.answers,"
    " a.started_at, a.deadline_at, a.submitted_at, a.score, a.max_score, a.percent, a.passed,"
    " a.results"
)


def _attempt(row: Any) -> AttemptRow:
    return AttemptRow(
        id=row["id"],
        enrolment_id=row["enrolment_id"],
        lesson_id=row["lesson_id"],
        person_id=row["person_id"],
        number=row["number"],
        status=row["status"],
        questions=_json(row["questions"]) or [],
        answers=_json(row["answers"]) or {},
        started_at=row["started_at"],
        deadline_at=row["deadline_at"],
        submitted_at=row["submitted_at"],
        score=row["score"],
        max_score=row["max_score"],
        percent=row["percent"],
        passed=row["passed"],
        results=_json(row["results"]) or {},
    )


async def insert_attempt(
    attempt_id: uuid.UUID,
    *,
    enrolment_id: uuid.UUID,
    lesson_id: uuid.UUID,
    person_id: uuid.UUID,
    number: int,
    questions: list[dict[str, Any]],
    started_at: datetime,
    deadline_at: datetime | None,
) -> AttemptRow | None:
    """The new open attempt, or None when a concurrent start won (an open attempt exists, or
    this number was taken). The enrolment's activity is noted in the same statement (what
    `completion.do_touch` does: first activity, last lesson, last activity), one round trip
    fewer at the quiz-start spike."""
    row = await sql.fetchrow(
        "WITH a AS (INSERT INTO mooc_quiz_attempts AS a (id, enrolment_id, lesson_id, person_id,"
        " number, status, questions, answers, started_at, deadline_at, results)"
        " VALUES ($1, $2, $3, $4, $5, 'open', $6::jsonb, '{}', $7, $8, '{}')"
        f" ON CONFLICT DO NOTHING RETURNING {_ATTEMPT_COLUMNS}),"
        " touched AS (UPDATE mooc_enrolments SET"
        " started_at = least(coalesce(started_at, $7), $7),"
        " last_lesson_id = CASE WHEN last_activity_at IS NULL OR $7 >= last_activity_at"
        " THEN $3 ELSE last_lesson_id END,"
        " last_activity_at = greatest(coalesce(last_activity_at, $7), $7)"
        " WHERE id = $2 AND EXISTS (SELECT 1 FROM a))"
        f" SELECT {_ATTEMPT_COLUMNS} FROM a",
        attempt_id,
        enrolment_id,
        lesson_id,
        person_id,
        number,
        json.dumps(questions),
        started_at,
        deadline_at,
    )
    return None if row is None else _attempt(row)


async def attempts_of(enrolment_id: uuid.UUID, lesson_id: uuid.UUID) -> list[AttemptRow]:
    """Every attempt of a learner at a quiz, oldest first."""
    rows = await sql.fetch(
        f"SELECT {_ATTEMPT_COLUMNS} FROM mooc_quiz_attempts a"
        " WHERE a.enrolment_id = $1 AND a.lesson_id = $2 ORDER BY a.number",
        enrolment_id,
        lesson_id,
    )
    return [_attempt(row) for row in rows]


async def open_attempt(enrolment_id: uuid.UUID, lesson_id: uuid.UUID) -> AttemptRow | None:
    row = await sql.fetchrow(
        f"SELECT {_ATTEMPT_COLUMNS} FROM mooc_quiz_attempts a"
        " WHERE a.enrolment_id = $1 AND a.lesson_id = $2 AND a.status = 'open'",
        enrolment_id,
        lesson_id,
    )
    return None if row is None else _attempt(row)


async def attempt_of(
    attempt_id: uuid.UUID, person_id: uuid.UUID | None = None, *, lock: bool = False
) -> AttemptRow | None:
    """One attempt (only the person's, when given); `lock`: FOR UPDATE, so that grading it
    waits for answers being saved and happens once."""
    row = await sql.fetchrow(
        f"SELECT {_ATTEMPT_COLUMNS} FROM mooc_quiz_attempts a WHERE a.id = $1"
        " AND ($2::uuid IS NULL OR a.person_id = $2)" + (" FOR UPDATE" if lock else ""),
        attempt_id,
        person_id,
    )
    return None if row is None else _attempt(row)


async def any_passed(enrolment_id: uuid.UUID, lesson_id: uuid.UUID) -> bool:
    return bool(
        await sql.fetchval(
            "SELECT EXISTS (SELECT 1 FROM mooc_quiz_attempts WHERE enrolment_id = $1"
            " AND lesson_id = $2 AND passed)",
            enrolment_id,
            lesson_id,
        )
    )


async def save_answer(
    attempt_id: uuid.UUID,
    person_id: uuid.UUID,
    question_id: uuid.UUID,
    value: Any,
    *,
    now: datetime,
    grace_seconds: float,
) -> tuple[uuid.UUID, datetime | None] | None:
    """One UPDATE: the answer merged into the attempt's answers if the attempt is the
    person's, still open, within its deadline (plus the grace) and drew this question.
    Returns (lesson id, deadline), or None when refused (`answer_refusal` tells why)."""
    row = await sql.fetchrow(
        "UPDATE mooc_quiz_attempts SET answers = answers || jsonb_build_object($3::text, $4::jsonb)"
        " WHERE id = $1 AND person_id = $2 AND status = 'open'"
        " AND (deadline_at IS NULL OR $5 <= deadline_at + make_interval(secs => $6))"
        " AND questions @> jsonb_build_array(jsonb_build_object('id', $3::text))"
        " RETURNING lesson_id, deadline_at",
        attempt_id,
        person_id,
        str(question_id),
        json.dumps(value, ensure_ascii=False),
        now,
        grace_seconds,
    )
    return None if row is None else (row["lesson_id"], row["deadline_at"])


class Refusal(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    deadline_at: datetime | None
    drawn: bool
    """The question is one of the attempt's."""


async def answer_refusal(
    attempt_id: uuid.UUID, person_id: uuid.UUID, question_id: uuid.UUID
) -> Refusal | None:
    row = await sql.fetchrow(
        "SELECT status, deadline_at,"
        " questions @> jsonb_build_array(jsonb_build_object('id', $3::text)) AS drawn"
        " FROM mooc_quiz_attempts WHERE id = $1 AND person_id = $2",
        attempt_id,
        person_id,
        str(question_id),
    )
    if row is None:
        return None
    return Refusal(status=row["status"], deadline_at=row["deadline_at"], drawn=row["drawn"])


async def replace_answers(attempt_id: uuid.UUID, answers: dict[str, Any]) -> None:
    """The answers of an attempt the caller holds locked and open."""
    await sql.execute(
        "UPDATE mooc_quiz_attempts SET answers = $2::jsonb WHERE id = $1 AND status = 'open'",
        attempt_id,
        json.dumps(answers, ensure_ascii=False),
    )


class GradeRow(msgspec.Struct, frozen=True, kw_only=True):
    attempt_id: uuid.UUID
    status: str
    submitted_at: datetime
    score: Decimal
    max_score: Decimal
    percent: Decimal
    passed: bool
    results: dict[str, Any]


async def store_grade(grade: GradeRow) -> AttemptRow | None:
    """The grade of an open attempt (None if it was no longer open)."""
    row = await sql.fetchrow(
        "UPDATE mooc_quiz_attempts a SET status = $2, submitted_at = $3, score = $4,"
        " max_score = $5, percent = $6, passed = $7, results = $8::jsonb"
        f" WHERE a.id = $1 AND a.status = 'open' RETURNING {_ATTEMPT_COLUMNS}",
        grade.attempt_id,
        grade.status,
        grade.submitted_at,
        grade.score,
        grade.max_score,
        grade.percent,
        grade.passed,
        json.dumps(grade.results),
    )
    return None if row is None else _attempt(row)


async def overdue_attempts(before: datetime, limit: int) -> list[AttemptRow]:
    """Open attempts whose deadline is before `before`, locked (others' locked rows are
    skipped: a submit or a job is grading them)."""
    rows = await sql.fetch(
        f"SELECT {_ATTEMPT_COLUMNS} FROM mooc_quiz_attempts a"
        " WHERE a.status = 'open' AND a.deadline_at < $1"
        " ORDER BY a.deadline_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        before,
        limit,
    )
    return [_attempt(row) for row in rows]


async def store_grades(grades: Sequence[GradeRow]) -> int:
    """Many grades in one UPDATE (the periodic sweep)."""
    if not grades:
        return 0
    status = await sql.execute(
        "UPDATE mooc_quiz_attempts a SET status = g.status, submitted_at = g.submitted_at,"
        " score = g.score, max_score = g.max_score, percent = g.percent, passed = g.passed,"
        " results = g.results"
        " FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::numeric[], $5::numeric[],"
        " $6::numeric[], $7::bool[], $8::jsonb[])"
        " AS g(id, status, submitted_at, score, max_score, percent, passed, results)"
        " WHERE a.id = g.id AND a.status = 'open'",
        [g.attempt_id for g in grades],
        [g.status for g in grades],
        [g.submitted_at for g in grades],
        [g.score for g in grades],
        [g.max_score for g in grades],
        [g.percent for g in grades],
        [g.passed for g in grades],
        [json.dumps(g.results) for g in grades],
    )
    return int(status.split()[-1])
