"""The shared factories make a course a learner can reach through `learner_lesson`."""

from __future__ import annotations

import uuid

import pytest

from backend.access import Role
from mooc.context import learner_lesson
from mooc.errors import LessonNotFound
from tests.mooc.factories import LessonSpec, enrol, make_course
from tests.support.auth import create_person


async def test_an_enrolled_learner_reaches_the_lessons_of_their_version(db: None) -> None:
    learner = await create_person(Role.CIVIL_SERVANT)
    course = await make_course(LessonSpec(), LessonSpec(kind="reading", required=False))
    enrolment = await enrol(learner, course)
    context = await learner_lesson(learner, course.lesson_ids[0], writing=True)
    assert context.enrolment_id == enrolment
    assert context.kind == "video" and context.duration_ms == 60_000
    assert context.video_threshold == pytest.approx(0.9)
    with pytest.raises(LessonNotFound):
        await learner_lesson(uuid.uuid4(), course.lesson_ids[0])
