"""Completion: lessons complete once, the course completes when every required lesson is
complete, and its completion, certificate and notification happen exactly once even when
concurrent requests complete its last lessons together."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from backend.access import Role
from backend.db import unit_of_work
from mooc import completion, sql
from tests.mooc.factories import LessonSpec, enrol, make_course
from tests.support.auth import create_person

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


async def _enrolment(enrolment_id: uuid.UUID) -> dict[str, object]:
    row = await sql.fetchrow("SELECT * FROM mooc_enrolments WHERE id = $1", enrolment_id)
    return dict(row)


async def test_a_lesson_completes_once_and_the_course_when_every_required_lesson_is_done(
    db: None,
) -> None:
    learner = await create_person(Role.CIVIL_SERVANT)
    course = await make_course(
        LessonSpec(),
        LessonSpec(kind="reading"),
        LessonSpec(kind="reading", required=False),
    )
    enrolment = await enrol(learner, course)
    first, second, optional = course.lesson_ids

    assert await completion.do_complete_lesson(enrolment, first, learner, NOW) is True
    assert await completion.do_complete_lesson(enrolment, first, learner, NOW) is False
    state = await _enrolment(enrolment)
    assert state["required_done"] == 1 and state["progress_percent"] == 50
    assert state["completed_at"] is None and state["status"] == "active"
    assert state["started_at"] == NOW and state["last_activity_at"] == NOW

    # An optional lesson counts for nothing.
    await completion.do_complete_lesson(enrolment, optional, learner, NOW)
    assert (await _enrolment(enrolment))["progress_percent"] == 50

    later = NOW + timedelta(hours=1)
    assert await completion.do_complete_lesson(enrolment, second, learner, later) is True
    state = await _enrolment(enrolment)
    assert state["completed_at"] == later and state["status"] == "completed"
    assert state["progress_percent"] == 100 and state["required_done"] == 2

    certificates = await sql.fetch(
        "SELECT learner_name, course_title, issued_at FROM mooc_certificates"
        " WHERE enrolment_id = $1",
        enrolment,
    )
    assert [tuple(c) for c in certificates] == [("Người thử nghiệm", "Khoá học thử nghiệm", later)]
    items = await sql.fetch(
        "SELECT title FROM inbox_items WHERE person_id = $1 AND data->>'template' = $2",
        learner,
        "courses.certificate_issued",
    )
    assert [i["title"] for i in items] == ["Bạn đã được cấp chứng chỉ"]

    # Refreshing again changes nothing: the completion keeps its first time.
    again = await completion.refresh_enrolment(enrolment, later + timedelta(days=1))
    assert again is not None and again.completed_now is False
    assert (await _enrolment(enrolment))["completed_at"] == later


async def test_best_score_is_the_mean_of_the_best_attempt_of_each_required_quiz(db: None) -> None:
    learner = await create_person(Role.CIVIL_SERVANT)
    course = await make_course(
        LessonSpec(kind="quiz"), LessonSpec(kind="quiz"), LessonSpec(kind="quiz", required=False)
    )
    enrolment = await enrol(learner, course)
    for lesson, number, percent in (
        (course.lesson_ids[0], 1, 40),
        (course.lesson_ids[0], 2, 80),
        (course.lesson_ids[1], 1, 60),
        (course.lesson_ids[2], 1, 0),
    ):
        await sql.execute(
            "INSERT INTO mooc_quiz_attempts (id, enrolment_id, lesson_id, person_id, number,"
            " status, questions, started_at, percent, passed) VALUES ($1, $2, $3, $4, $5,"
            " 'submitted', '[]', now(), $6::numeric, $6::numeric >= 50)",
            uuid.uuid4(),
            enrolment,
            lesson,
            learner,
            number,
            percent,
        )
    await completion.do_complete_lesson(enrolment, course.lesson_ids[0], learner, NOW)
    state = await _enrolment(enrolment)
    assert float(state["best_score"]) == pytest.approx(70.0)  # type: ignore[arg-type]
    assert state["progress_percent"] == 50


async def test_touch_notes_first_and_last_activity_without_going_back(db: None) -> None:
    learner = await create_person(Role.CIVIL_SERVANT)
    course = await make_course(LessonSpec(), LessonSpec())
    enrolment = await enrol(learner, course)
    await completion.do_touch(enrolment, course.lesson_ids[1], NOW)
    await completion.do_touch(enrolment, course.lesson_ids[0], NOW - timedelta(hours=1))
    state = await _enrolment(enrolment)
    assert state["started_at"] == NOW - timedelta(hours=1)
    assert state["last_activity_at"] == NOW
    assert state["last_lesson_id"] == course.lesson_ids[1]  # the newest activity's


@pytest.mark.usefixtures("committed")
async def test_concurrent_completions_of_the_last_lessons_complete_the_course_once() -> None:
    """Eight requests, each on its own connection, complete the course's lessons at once
    (two per lesson): one completion time, one certificate, one notification."""
    learner = await create_person(Role.CIVIL_SERVANT)
    async with unit_of_work():
        course = await make_course(*(LessonSpec(kind="reading") for _ in range(4)))
        enrolment = await enrol(learner, course)

    async def complete(lesson_id: uuid.UUID, offset: int) -> bool:
        async with unit_of_work():
            return await completion.do_complete_lesson(
                enrolment, lesson_id, learner, NOW + timedelta(seconds=offset)
            )

    results = await asyncio.gather(
        *(complete(lesson, i) for i, lesson in enumerate(course.lesson_ids * 2))
    )
    assert sum(results) == 4  # each lesson completed by exactly one of its two requests

    async with unit_of_work():
        state = await _enrolment(enrolment)
        assert state["status"] == "completed" and state["completed_at"] is not None
        assert state["required_done"] == 4 and state["progress_percent"] == 100
        certificates = await sql.fetchval(
            "SELECT count(*) FROM mooc_certificates WHERE enrolment_id = $1", enrolment
        )
        notices = await sql.fetchval(
            "SELECT count(*) FROM inbox_items WHERE person_id = $1 AND data->>'template' = $2",
            learner,
            "courses.certificate_issued",
        )
    assert certificates == 1 and notices == 1
