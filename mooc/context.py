"""A learner's lesson in one query: the lesson, the enrolment that reaches it (the enrolment's
pinned version must be the lesson's) and the course's settings. Every learner-facing part
(lessons, progress, quizzes) starts here, so the rules of who may learn what live in one place:

- no enrolment in this lesson's version (or none at all): `LessonNotFound` (another version's
  lesson id, or a course the caller is not in, tells nothing);
- an enrolment that was left (`unenrolled`): `NotEnrolled`;
- an archived course: `CourseClosed` for anything that would change progress (`writing=True`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mooc import sql
from mooc.errors import CourseClosed, LessonNotFound, NotEnrolled


@dataclass(frozen=True, slots=True)
class LessonContext:
    lesson_id: uuid.UUID
    lesson_key: uuid.UUID
    kind: str
    """video, reading or quiz."""
    title: str
    required: bool
    section_id: uuid.UUID
    version_id: uuid.UUID
    duration_ms: int | None
    asset_id: uuid.UUID | None
    captions_asset_id: uuid.UUID | None
    quiz: dict[str, Any]
    course_id: uuid.UUID
    course_status: str
    enrolment_id: uuid.UUID
    enrolment_status: str
    completed_at: datetime | None
    """The course's completion, if recorded."""
    person_id: uuid.UUID
    video_threshold: float
    reading_min_seconds: int


_QUERY = """
SELECT l.id, l.key, l.kind, l.title, l.required, l.section_id, l.version_id, l.duration_ms,
       l.asset_id, l.captions_asset_id, l.quiz, c.id AS course_id, c.status AS course_status,
       e.id AS enrolment_id, e.status AS enrolment_status, e.completed_at,
       v.video_threshold, v.reading_min_seconds
FROM mooc_lessons l
JOIN mooc_course_versions v ON v.id = l.version_id
JOIN mooc_courses c ON c.id = v.course_id
JOIN mooc_enrolments e ON e.course_id = c.id AND e.version_id = l.version_id AND e.person_id = $2
WHERE l.id = $1
"""


async def learner_lesson(
    person_id: uuid.UUID, lesson_id: uuid.UUID, *, writing: bool = False
) -> LessonContext:
    row = await sql.fetchrow(_QUERY, lesson_id, person_id)
    if row is None:
        raise LessonNotFound()
    if row["enrolment_status"] == "unenrolled":
        raise NotEnrolled()
    if writing and row["course_status"] == "archived":
        raise CourseClosed()
    quiz = row["quiz"]
    if isinstance(quiz, str):
        quiz = json.loads(quiz)
    return LessonContext(
        lesson_id=row["id"],
        lesson_key=row["key"],
        kind=row["kind"],
        title=row["title"],
        required=row["required"],
        section_id=row["section_id"],
        version_id=row["version_id"],
        duration_ms=row["duration_ms"],
        asset_id=row["asset_id"],
        captions_asset_id=row["captions_asset_id"],
        quiz=quiz or {},
        course_id=row["course_id"],
        course_status=row["course_status"],
        enrolment_id=row["enrolment_id"],
        enrolment_status=row["enrolment_status"],
        completed_at=row["completed_at"],
        person_id=person_id,
        video_threshold=float(row["video_threshold"]),
        reading_min_seconds=row["reading_min_seconds"],
    )
