"""Every query of the courses part (raw SQL on the current unit of work, `mooc.sql`): courses
and their versions, the copy of a version into a draft, sections and lessons, the catalogue,
enrolments, "my learning" and what a learner's lesson shows. Rows are asyncpg `Record`s; the
service turns them into schemas."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mooc import sql

Row = Any


# --- courses and versions ----------------------------------------------------------------------

_VERSION_COLUMNS = (
    "v.id, v.course_id, v.number, v.title, v.description, v.language, v.cover_asset_id,"
    " v.estimated_minutes, v.prerequisites, v.reading_min_seconds, v.video_threshold,"
    " v.created_at, v.published_at, v.published_by"
)


async def insert_course(
    course_id: uuid.UUID, code: str, audience: str, created_by: uuid.UUID | None, at: datetime
) -> bool:
    """False when the code is taken."""
    inserted = await sql.fetchval(
        "INSERT INTO mooc_courses (id, code, status, audience, created_by, created_at, updated_at)"
        " VALUES ($1, $2, 'draft', $3, $4, $5, $5) ON CONFLICT (code) DO NOTHING RETURNING id",
        course_id,
        code,
        audience,
        created_by,
        at,
    )
    return inserted is not None


async def insert_version(
    version_id: uuid.UUID,
    course_id: uuid.UUID,
    *,
    number: int,
    title: str,
    description: str,
    language: str,
    cover_asset_id: uuid.UUID | None,
    estimated_minutes: int,
    prerequisites: Sequence[uuid.UUID],
    reading_min_seconds: int,
    video_threshold: float,
    at: datetime,
) -> None:
    await sql.execute(
        "INSERT INTO mooc_course_versions (id, course_id, number, title, description, language,"
        " cover_asset_id, estimated_minutes, prerequisites, reading_min_seconds, video_threshold,"
        " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        version_id,
        course_id,
        number,
        title,
        description,
        language,
        cover_asset_id,
        estimated_minutes,
        list(prerequisites),
        reading_min_seconds,
        video_threshold,
        at,
    )


async def get_course(course_id: uuid.UUID) -> Row | None:
    return await sql.fetchrow("SELECT * FROM mooc_courses WHERE id = $1", course_id)


async def lock_course(course_id: uuid.UUID) -> Row | None:
    """The course row, locked until the unit of work ends: authoring writes of one course
    (and the copy into a draft) happen one at a time."""
    return await sql.fetchrow("SELECT * FROM mooc_courses WHERE id = $1 FOR UPDATE", course_id)


async def touch_course(course_id: uuid.UUID, at: datetime) -> datetime:
    """A new revision: strictly later than the previous one, even within a microsecond."""
    value: datetime = await sql.fetchval(
        "UPDATE mooc_courses SET updated_at = greatest($2, updated_at + interval '1 microsecond')"
        " WHERE id = $1 RETURNING updated_at",
        course_id,
        at,
    )
    return value


async def set_course_fields(course_id: uuid.UUID, **fields: Any) -> None:
    names = list(fields)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    await sql.execute(
        f"UPDATE mooc_courses SET {assignments} WHERE id = $1",  # names are ours, never input
        course_id,
        *fields.values(),
    )


async def set_version_fields(version_id: uuid.UUID, **fields: Any) -> None:
    names = list(fields)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    await sql.execute(
        f"UPDATE mooc_course_versions SET {assignments} WHERE id = $1 AND published_at IS NULL",
        version_id,
        *fields.values(),
    )


async def get_version(version_id: uuid.UUID) -> Row | None:
    return await sql.fetchrow(
        f"SELECT {_VERSION_COLUMNS} FROM mooc_course_versions v WHERE v.id = $1", version_id
    )


async def draft_of(course_id: uuid.UUID) -> Row | None:
    return await sql.fetchrow(
        f"SELECT {_VERSION_COLUMNS} FROM mooc_course_versions v"
        " WHERE v.course_id = $1 AND v.published_at IS NULL ORDER BY v.number DESC LIMIT 1",
        course_id,
    )


async def versions_of(course_id: uuid.UUID) -> list[Row]:
    return await sql.fetch(
        "SELECT v.id, v.number, v.title, v.created_at, v.published_at, v.published_by,"
        " (SELECT count(*) FROM mooc_enrolments e WHERE e.version_id = v.id) AS learners"
        " FROM mooc_course_versions v WHERE v.course_id = $1 ORDER BY v.number DESC",
        course_id,
    )


async def next_version_number(course_id: uuid.UUID) -> int:
    value: int = await sql.fetchval(
        "SELECT coalesce(max(number), 0) + 1 FROM mooc_course_versions WHERE course_id = $1",
        course_id,
    )
    return value


async def copy_version(
    source_id: uuid.UUID, target_id: uuid.UUID, number: int, at: datetime
) -> tuple[dict[uuid.UUID, uuid.UUID], dict[uuid.UUID, uuid.UUID]]:
    """Copy a version into a new draft `target_id`: its fields, sections, lessons (new ids,
    the same keys) and the question banks of its quiz lessons (new ids). One statement for the
    contents; the maps old id → new id of sections and lessons."""
    await sql.execute(
        "INSERT INTO mooc_course_versions (id, course_id, number, title, description, language,"
        " cover_asset_id, estimated_minutes, prerequisites, reading_min_seconds, video_threshold,"
        " created_at) SELECT $2, course_id, $3, title, description, language, cover_asset_id,"
        " estimated_minutes, prerequisites, reading_min_seconds, video_threshold, $4"
        " FROM mooc_course_versions WHERE id = $1",
        source_id,
        target_id,
        number,
        at,
    )
    rows = await sql.fetch(
        """
        WITH s AS MATERIALIZED (
            SELECT id, gen_random_uuid() AS new_id, position, title
            FROM mooc_sections WHERE version_id = $1
        ), si AS (
            INSERT INTO mooc_sections (id, version_id, position, title)
            SELECT new_id, $2, position, title FROM s
        ), l AS MATERIALIZED (
            SELECT l.*, gen_random_uuid() AS new_id, s.new_id AS new_section_id
            FROM mooc_lessons l JOIN s ON s.id = l.section_id
            WHERE l.version_id = $1
        ), li AS (
            INSERT INTO mooc_lessons (id, version_id, section_id, key, position, kind, title,
                required, asset_id, captions_asset_id, duration_ms, body_html, attachments, quiz)
            SELECT new_id, $2, new_section_id, key, position, kind, title, required, asset_id,
                captions_asset_id, duration_ms, body_html, attachments, quiz
            FROM l
        ), qi AS (
            INSERT INTO mooc_questions (id, lesson_id, position, kind, prompt, options, correct,
                explanation, points)
            SELECT gen_random_uuid(), l.new_id, q.position, q.kind, q.prompt, q.options,
                q.correct, q.explanation, q.points
            FROM mooc_questions q JOIN l ON l.id = q.lesson_id
        )
        SELECT 's' AS what, id, new_id FROM s
        UNION ALL SELECT 'l' AS what, id, new_id FROM l
        """,
        source_id,
        target_id,
    )
    sections = {r["id"]: r["new_id"] for r in rows if r["what"] == "s"}
    lessons = {r["id"]: r["new_id"] for r in rows if r["what"] == "l"}
    return sections, lessons


async def publish_version(
    course_id: uuid.UUID, version_id: uuid.UUID, by: uuid.UUID | None, at: datetime
) -> None:
    await sql.execute(
        "UPDATE mooc_course_versions SET published_at = $2, published_by = $3 WHERE id = $1",
        version_id,
        at,
        by,
    )
    await sql.execute(
        "UPDATE mooc_courses SET current_version_id = $2, status = 'published' WHERE id = $1",
        course_id,
        version_id,
    )


async def set_durations(durations: dict[uuid.UUID, int]) -> None:
    if not durations:
        return
    await sql.execute(
        "UPDATE mooc_lessons l SET duration_ms = d.ms"
        " FROM unnest($1::uuid[], $2::int[]) AS d(id, ms) WHERE l.id = d.id",
        list(durations),
        list(durations.values()),
    )


async def courses_exist(course_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    rows = await sql.fetch(
        "SELECT id FROM mooc_courses WHERE id = ANY($1::uuid[])", list(course_ids)
    )
    return {r["id"] for r in rows}


async def admin_page(
    status: str | None, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[Row]:
    return await sql.fetch(
        """
        SELECT c.id, c.code, c.status, c.audience, c.updated_at,
               coalesce(d.title, p.title) AS title, p.number AS version_number,
               d.id IS NOT NULL AS has_draft,
               (SELECT count(*) FROM mooc_enrolments e WHERE e.course_id = c.id) AS learners
        FROM mooc_courses c
        LEFT JOIN mooc_course_versions p ON p.id = c.current_version_id
        LEFT JOIN LATERAL (
            SELECT id, title FROM mooc_course_versions
            WHERE course_id = c.id AND published_at IS NULL ORDER BY number DESC LIMIT 1
        ) d ON true
        WHERE ($1::text IS NULL OR c.status = $1)
          AND ($2::timestamptz IS NULL OR (c.updated_at, c.id) < ($2, $3))
        ORDER BY c.updated_at DESC, c.id DESC
        LIMIT $4
        """,
        status,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


# --- sections and lessons ----------------------------------------------------------------------

_LESSON_COLUMNS = (
    "l.id, l.version_id, l.section_id, l.key, l.position, l.kind, l.title, l.required,"
    " l.asset_id, l.captions_asset_id, l.duration_ms, l.body_html, l.attachments, l.quiz"
)


async def sections_of(version_id: uuid.UUID) -> list[Row]:
    return await sql.fetch(
        "SELECT id, version_id, position, title FROM mooc_sections WHERE version_id = $1"
        " ORDER BY position, id",
        version_id,
    )


async def lessons_of(version_id: uuid.UUID) -> list[Row]:
    """The version's lessons in outline order, with the size of each quiz's bank."""
    return await sql.fetch(
        f"SELECT {_LESSON_COLUMNS},"
        " (SELECT count(*) FROM mooc_questions q WHERE q.lesson_id = l.id) AS question_count"
        " FROM mooc_lessons l JOIN mooc_sections s ON s.id = l.section_id"
        " WHERE l.version_id = $1 ORDER BY s.position, s.id, l.position, l.id",
        version_id,
    )


async def get_section(section_id: uuid.UUID) -> Row | None:
    return await sql.fetchrow(
        "SELECT s.id, s.version_id, s.position, s.title, v.course_id, v.published_at"
        " FROM mooc_sections s JOIN mooc_course_versions v ON v.id = s.version_id"
        " WHERE s.id = $1",
        section_id,
    )


async def get_lesson(lesson_id: uuid.UUID) -> Row | None:
    return await sql.fetchrow(
        f"SELECT {_LESSON_COLUMNS}, v.course_id, v.published_at FROM mooc_lessons l"
        " JOIN mooc_course_versions v ON v.id = l.version_id WHERE l.id = $1",
        lesson_id,
    )


async def lesson_in_version(version_id: uuid.UUID, key: uuid.UUID) -> uuid.UUID | None:
    value: uuid.UUID | None = await sql.fetchval(
        "SELECT id FROM mooc_lessons WHERE version_id = $1 AND key = $2", version_id, key
    )
    return value


async def insert_section(
    section_id: uuid.UUID, version_id: uuid.UUID, position: int, title: str
) -> None:
    await sql.execute(
        "INSERT INTO mooc_sections (id, version_id, position, title) VALUES ($1, $2, $3, $4)",
        section_id,
        version_id,
        position,
        title,
    )


async def set_section_title(section_id: uuid.UUID, title: str) -> None:
    await sql.execute("UPDATE mooc_sections SET title = $2 WHERE id = $1", section_id, title)


async def delete_section(section_id: uuid.UUID) -> None:
    await sql.execute("DELETE FROM mooc_sections WHERE id = $1", section_id)


async def count_lessons_in_section(section_id: uuid.UUID) -> int:
    value: int = await sql.fetchval(
        "SELECT count(*) FROM mooc_lessons WHERE section_id = $1", section_id
    )
    return value


async def renumber_sections(ids: Sequence[uuid.UUID]) -> None:
    """Positions 1..n in the order given."""
    await sql.execute(
        "UPDATE mooc_sections s SET position = o.n"
        " FROM unnest($1::uuid[]) WITH ORDINALITY AS o(id, n) WHERE s.id = o.id",
        list(ids),
    )


async def renumber_lessons(section_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
    """The lessons `ids` in this section, at positions 1..n in the order given."""
    await sql.execute(
        "UPDATE mooc_lessons l SET position = o.n, section_id = $1"
        " FROM unnest($2::uuid[]) WITH ORDINALITY AS o(id, n) WHERE l.id = o.id",
        section_id,
        list(ids),
    )


async def lesson_ids_in_section(section_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await sql.fetch(
        "SELECT id FROM mooc_lessons WHERE section_id = $1 ORDER BY position, id", section_id
    )
    return [r["id"] for r in rows]


async def insert_lesson(
    *,
    lesson_id: uuid.UUID,
    version_id: uuid.UUID,
    section_id: uuid.UUID,
    key: uuid.UUID,
    position: int,
    kind: str,
    title: str,
    required: bool,
    asset_id: uuid.UUID | None,
    captions_asset_id: uuid.UUID | None,
    body_html: str,
    attachments: Sequence[uuid.UUID],
    quiz: dict[str, Any],
) -> None:
    await sql.execute(
        "INSERT INTO mooc_lessons (id, version_id, section_id, key, position, kind, title,"
        " required, asset_id, captions_asset_id, body_html, attachments, quiz)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb)",
        lesson_id,
        version_id,
        section_id,
        key,
        position,
        kind,
        title,
        required,
        asset_id,
        captions_asset_id,
        body_html,
        list(attachments),
        json.dumps(quiz),
    )


async def set_lesson_fields(lesson_id: uuid.UUID, **fields: Any) -> None:
    if "quiz" in fields:
        fields["quiz"] = json.dumps(fields["quiz"])
    names = list(fields)
    assignments = ", ".join(
        f"{name} = ${i}::jsonb" if name == "quiz" else f"{name} = ${i}"
        for i, name in enumerate(names, start=2)
    )
    await sql.execute(
        f"UPDATE mooc_lessons SET {assignments} WHERE id = $1", lesson_id, *fields.values()
    )


async def delete_lesson(lesson_id: uuid.UUID) -> None:
    await sql.execute("DELETE FROM mooc_lessons WHERE id = $1", lesson_id)


# --- learners: catalogue and outline -----------------------------------------------------------


async def catalogue_version() -> str:
    row = await sql.fetchrow(
        "SELECT count(*) AS n, max(updated_at) AS at FROM mooc_courses WHERE status <> 'draft'"
    )
    return f"{row['n']}:{row['at']}"


async def catalogue_page(
    audiences: Sequence[str],
    terms: Sequence[str],
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    fold_from: str,
    fold_to: str,
) -> list[Row]:
    """Published courses of these audiences, newest publication first; every folded term must
    appear in the folded title or description (`translate` with the fold's letter map)."""
    return await sql.fetch(
        """
        SELECT c.id, c.code, c.audience, v.id AS version_id, v.number, v.title, v.description,
               v.language, v.estimated_minutes, v.cover_asset_id, v.published_at,
               (SELECT count(*) FROM mooc_lessons l WHERE l.version_id = v.id) AS lesson_count
        FROM mooc_courses c JOIN mooc_course_versions v ON v.id = c.current_version_id
        WHERE c.status = 'published' AND c.audience = ANY($1::text[])
          AND ($3::timestamptz IS NULL OR (v.published_at, c.id) < ($3, $4))
          AND NOT EXISTS (
              SELECT 1 FROM unnest($2::text[]) AS t(term)
              WHERE position(t.term IN translate(lower(v.title || ' ' || v.description), $6, $7))
                    = 0
          )
        ORDER BY v.published_at DESC, c.id DESC
        LIMIT $5
        """,
        list(audiences),
        list(terms),
        after[0] if after else None,
        after[1] if after else None,
        limit,
        fold_from,
        fold_to,
    )


async def course_with_version(course_id: uuid.UUID, version_id: uuid.UUID | None) -> Row | None:
    """The course and one of its versions (its current one when `version_id` is None)."""
    return await sql.fetchrow(
        f"SELECT c.code, c.status, c.audience, c.current_version_id, {_VERSION_COLUMNS},"
        " (SELECT coalesce(array_agg(pv.title ORDER BY array_position(v.prerequisites, pc.id)),"
        "   '{}') FROM mooc_courses pc JOIN mooc_course_versions pv"
        "   ON pv.id = coalesce(pc.current_version_id, (SELECT id FROM mooc_course_versions"
        "   WHERE course_id = pc.id ORDER BY number DESC LIMIT 1))"
        "   WHERE pc.id = ANY(v.prerequisites)) AS prerequisite_titles,"
        " (SELECT coalesce(array_agg(pc.id ORDER BY array_position(v.prerequisites, pc.id)),"
        "   '{}') FROM mooc_courses pc WHERE pc.id = ANY(v.prerequisites)) AS prerequisite_ids"
        " FROM mooc_courses c"
        " JOIN mooc_course_versions v ON v.id = coalesce($2, c.current_version_id)"
        " AND v.course_id = c.id WHERE c.id = $1",
        course_id,
        version_id,
    )


async def enrolment_of(person_id: uuid.UUID, course_id: uuid.UUID) -> Row | None:
    """The enrolment, and whether the assignment that made it mandatory is still in force
    (`assignment_active`)."""
    return await sql.fetchrow(
        "SELECT e.*, coalesce(a.active, false) AS assignment_active FROM mooc_enrolments e"
        " LEFT JOIN mooc_assignments a ON a.id = e.assignment_id"
        " WHERE e.person_id = $1 AND e.course_id = $2",
        person_id,
        course_id,
    )


async def lesson_states(enrolment_id: uuid.UUID) -> list[Row]:
    """Per lesson of the enrolment: watched time, completion and the best graded quiz."""
    return await sql.fetch(
        """
        SELECT coalesce(p.lesson_id, a.lesson_id) AS lesson_id, p.watched_ms, p.completed_at,
               a.best
        FROM (SELECT lesson_id, watched_ms, completed_at FROM mooc_lesson_progress
              WHERE enrolment_id = $1) p
        FULL JOIN (SELECT lesson_id, max(percent) AS best FROM mooc_quiz_attempts
                   WHERE enrolment_id = $1 AND status <> 'open' GROUP BY lesson_id) a
          ON a.lesson_id = p.lesson_id
        """,
        enrolment_id,
    )


async def completed_courses(
    person_id: uuid.UUID, course_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    rows = await sql.fetch(
        "SELECT course_id FROM mooc_enrolments WHERE person_id = $1"
        " AND course_id = ANY($2::uuid[]) AND completed_at IS NOT NULL",
        person_id,
        list(course_ids),
    )
    return {r["course_id"] for r in rows}


# --- enrolment ---------------------------------------------------------------------------------


async def enrol(
    *,
    enrolment_id: uuid.UUID,
    person_id: uuid.UUID,
    course_id: uuid.UUID,
    version_id: uuid.UUID,
    agency_code: str | None,
    department: str | None,
    at: datetime,
) -> Row:
    """Insert the enrolment in `version_id` with its count of required lessons, or reactivate
    a left one (the same row, its version and progress kept); an active or completed one is
    returned as it is."""
    row = await sql.fetchrow(
        """
        INSERT INTO mooc_enrolments AS e (id, person_id, course_id, version_id, status,
            enrolled_at, required_total, agency_code, department)
        SELECT $1, $2, $3, $4, 'active', $5,
               (SELECT count(*) FROM mooc_lessons WHERE version_id = $4 AND required), $6, $7
        ON CONFLICT (person_id, course_id) DO UPDATE
            SET status = CASE WHEN e.completed_at IS NULL THEN 'active' ELSE 'completed' END,
                unenrolled_at = NULL
            WHERE e.status = 'unenrolled'
        RETURNING *
        """,
        enrolment_id,
        person_id,
        course_id,
        version_id,
        at,
        agency_code,
        department,
    )
    if row is None:  # already active or completed: nothing changed
        row = await enrolment_of(person_id, course_id)
    return row


async def unenrol(person_id: uuid.UUID, course_id: uuid.UUID, at: datetime) -> Row | None:
    return await sql.fetchrow(
        "UPDATE mooc_enrolments SET status = 'unenrolled', unenrolled_at = $3"
        " WHERE person_id = $1 AND course_id = $2 AND status = 'active' RETURNING *",
        person_id,
        course_id,
        at,
    )


async def my_courses(person_id: uuid.UUID, now: datetime, limit: int) -> list[Row]:
    """The person's enrolments (not left) with the course's title in the pinned version, the
    next required lesson not completed in outline order, and the certificate: one query."""
    return await sql.fetch(
        """
        SELECT e.id AS enrolment_id, e.course_id, c.code, c.status AS course_status, v.title,
               e.status, e.progress_percent, e.required_done, e.required_total, e.due_at,
               e.assignment_id, e.enrolled_at, e.last_activity_at, e.completed_at,
               n.id AS next_id, n.kind AS next_kind, n.title AS next_title,
               cert.code AS certificate_code
        FROM mooc_enrolments e
        JOIN mooc_courses c ON c.id = e.course_id
        JOIN mooc_course_versions v ON v.id = e.version_id
        LEFT JOIN LATERAL (
            SELECT l.id, l.kind, l.title
            FROM mooc_lessons l JOIN mooc_sections s ON s.id = l.section_id
            WHERE l.version_id = e.version_id AND l.required AND e.completed_at IS NULL
              AND NOT EXISTS (
                  SELECT 1 FROM mooc_lesson_progress p
                  WHERE p.enrolment_id = e.id AND p.lesson_id = l.id
                    AND p.completed_at IS NOT NULL)
            ORDER BY s.position, s.id, l.position, l.id
            LIMIT 1
        ) n ON true
        LEFT JOIN mooc_certificates cert
          ON cert.enrolment_id = e.id AND cert.revoked_at IS NULL
        WHERE e.person_id = $1 AND e.status <> 'unenrolled'
        ORDER BY (e.completed_at IS NOT NULL), e.due_at ASC NULLS LAST,
                 e.last_activity_at DESC NULLS LAST, e.enrolled_at DESC
        LIMIT $2
        """,
        person_id,
        limit,
    )


# --- a learner's lesson --------------------------------------------------------------------------


async def lesson_for_learner(
    enrolment_id: uuid.UUID, lesson_id: uuid.UUID, with_attempts: bool
) -> Row | None:
    """What opening a lesson shows beyond `learner_lesson`'s facts, in one read: the body
    and attachments, the learner's progress (resume position, watched, done) and, for a
    quiz, the summary of their attempts."""
    return await sql.fetchrow(
        """
        SELECT l.body_html, l.attachments,
               p.position_ms, p.watched_ms, p.completed_at,
               a.used, a.best, a.passed, a.open_id
        FROM mooc_lessons l
        LEFT JOIN mooc_lesson_progress p ON p.enrolment_id = $1 AND p.lesson_id = l.id
        LEFT JOIN LATERAL (
            SELECT count(*) AS used,
                   max(percent) FILTER (WHERE status <> 'open') AS best,
                   coalesce(bool_or(passed), false) AS passed,
                   (array_agg(id) FILTER (WHERE status = 'open'))[1] AS open_id
            FROM mooc_quiz_attempts
            WHERE enrolment_id = $1 AND lesson_id = l.id AND $3
        ) a ON $3
        WHERE l.id = $2
        """,
        enrolment_id,
        lesson_id,
        with_attempts,
    )


async def course_of_lesson_version(version_id: uuid.UUID) -> Row | None:
    return await sql.fetchrow(
        "SELECT c.id, c.status, c.audience FROM mooc_course_versions v"
        " JOIN mooc_courses c ON c.id = v.course_id WHERE v.id = $1",
        version_id,
    )


async def person_may_see_course(
    person_id: uuid.UUID, course_id: uuid.UUID, audiences: Sequence[str]
) -> bool:
    """Enrolled in it (not left), or it is published for one of these audiences."""
    value = await sql.fetchval(
        "SELECT EXISTS (SELECT 1 FROM mooc_enrolments WHERE person_id = $1 AND course_id = $2"
        " AND status <> 'unenrolled') OR EXISTS (SELECT 1 FROM mooc_courses WHERE id = $2"
        " AND status = 'published' AND audience = ANY($3::text[]))",
        person_id,
        course_id,
        list(audiences),
    )
    return bool(value)
