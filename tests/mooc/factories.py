"""Small factories the MOOC tests share: a published course written straight into its tables
(so each part's tests do not depend on the authoring API), and an enrolment as
`mooc.courses.do_enrol` makes it. Call them inside a unit of work (the `db` fixture's, or
`async with unit_of_work()` in committed tests)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mooc import sql


@dataclass
class LessonSpec:
    kind: str = "video"
    title: str = "Bài học"
    required: bool = True
    duration_ms: int | None = 60_000
    asset_id: uuid.UUID | None = None
    body_html: str = ""
    quiz: dict[str, Any] = field(default_factory=dict)


@dataclass
class MadeCourse:
    course_id: uuid.UUID
    version_id: uuid.UUID
    section_id: uuid.UUID
    lesson_ids: list[uuid.UUID]


async def make_course(
    *lessons: LessonSpec,
    title: str = "Khoá học thử nghiệm",
    audience: str = "civil_servants",
    status: str = "published",
    reading_min_seconds: int = 30,
    video_threshold: float = 0.9,
) -> MadeCourse:
    """A course with one published version, one section and `lessons` (one required video
    of a minute when none are given)."""
    lessons = lessons or (LessonSpec(),)
    now = datetime.now(UTC)
    course_id, version_id, section_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    code = f"T-{course_id.hex[:10]}"
    await sql.execute(
        "INSERT INTO mooc_courses (id, code, status, audience, current_version_id, created_at,"
        " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        course_id,
        code,
        status,
        audience,
        version_id if status != "draft" else None,
        now,
    )
    await sql.execute(
        "INSERT INTO mooc_course_versions (id, course_id, number, title, description, language,"
        " estimated_minutes, prerequisites, reading_min_seconds, video_threshold, created_at,"
        " published_at) VALUES ($1, $2, 1, $3, '', 'vi', 60, '{}', $4, $5, $6, $7)",
        version_id,
        course_id,
        title,
        reading_min_seconds,
        video_threshold,
        now,
        now if status != "draft" else None,
    )
    await sql.execute(
        "INSERT INTO mooc_sections (id, version_id, position, title) VALUES ($1, $2, 1, $3)",
        section_id,
        version_id,
        "Phần 1",
    )
    ids = []
    for position, spec in enumerate(lessons, start=1):
        lesson_id = uuid.uuid4()
        ids.append(lesson_id)
        await sql.execute(
            "INSERT INTO mooc_lessons (id, version_id, section_id, key, position, kind, title,"
            " required, asset_id, duration_ms, body_html, attachments, quiz)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '{}', $12::jsonb)",
            lesson_id,
            version_id,
            section_id,
            uuid.uuid4(),
            position,
            spec.kind,
            spec.title,
            spec.required,
            spec.asset_id,
            spec.duration_ms if spec.kind == "video" else None,
            spec.body_html,
            json.dumps(spec.quiz),
        )
    return MadeCourse(course_id, version_id, section_id, ids)


async def enrol(
    person_id: uuid.UUID,
    course: MadeCourse,
    *,
    agency_code: str | None = None,
    department: str | None = None,
    assignment_id: uuid.UUID | None = None,
    due_at: datetime | None = None,
) -> uuid.UUID:
    """An active enrolment in the course's current version, as `do_enrol` makes it."""
    enrolment_id = uuid.uuid4()
    await sql.execute(
        "INSERT INTO mooc_enrolments (id, person_id, course_id, version_id, status, enrolled_at,"
        " required_total, agency_code, department, assignment_id, due_at)"
        " SELECT $1, $2, $3, $4, 'active', now(),"
        " (SELECT count(*) FROM mooc_lessons WHERE version_id = $4 AND required), $5, $6, $7, $8",
        enrolment_id,
        person_id,
        course.course_id,
        course.version_id,
        agency_code,
        department,
        assignment_id,
        due_at,
    )
    return enrolment_id
