"""Heartbeats racing through the real app, each on its own connection and transaction: the
course's completion, its certificate and the notification happen exactly once, whether the
racing beats complete the same lesson or the last two lessons at the same moment."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from backend.access import Role
from backend.db import unit_of_work
from mooc import sql
from tests.mooc.factories import LessonSpec, enrol, make_course
from tests.support.auth import bearer_for, create_person


def beat(start: int, end: int) -> dict[str, object]:
    return {
        "intervals": [[start, end]],
        "position_ms": end,
        "client_at": datetime.now(UTC).isoformat(),
    }


async def outcome(enrolment: uuid.UUID, person: uuid.UUID) -> tuple[object, ...]:
    async with unit_of_work():
        state = await sql.fetchrow(
            "SELECT status, completed_at, progress_percent, required_done FROM mooc_enrolments"
            " WHERE id = $1",
            enrolment,
        )
        certificates = await sql.fetchval(
            "SELECT count(*) FROM mooc_certificates WHERE enrolment_id = $1", enrolment
        )
        notices = await sql.fetchval(
            "SELECT count(*) FROM inbox_items WHERE person_id = $1 AND data->>'template' = $2",
            person,
            "courses.certificate_issued",
        )
    return (state["status"], state["progress_percent"], certificates, notices)


@pytest.mark.usefixtures("committed")
async def test_racing_beats_that_each_complete_the_lesson_complete_the_course_once(
    committed_client: httpx.AsyncClient,
) -> None:
    person = await create_person(Role.CIVIL_SERVANT)
    async with unit_of_work():
        course = await make_course(LessonSpec(duration_ms=100_000))
        enrolment = await enrol(person, course)
    headers = await bearer_for(person)
    url = f"/api/v1/lessons/{course.lesson_ids[0]}/progress"

    answers = await asyncio.gather(
        *(committed_client.put(url, json=beat(0, 100_000), headers=headers) for _ in range(8))
    )
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
    assert all(a.json()["completed"] and a.json()["course_completed"] for a in answers)
    codes = [a.json()["certificate_code"] for a in answers if a.json()["certificate_code"]]
    assert len(codes) == 1  # told once, to the request that completed the course
    assert await outcome(enrolment, person) == ("completed", 100, 1, 1)


@pytest.mark.usefixtures("committed")
async def test_racing_beats_completing_the_last_two_lessons_complete_the_course(
    committed_client: httpx.AsyncClient,
) -> None:
    """Each beat completes a different lesson; neither sees the other's uncommitted lesson
    unless completions are serialised — they are, on the enrolment's row."""
    person = await create_person(Role.CIVIL_SERVANT)
    async with unit_of_work():
        course = await make_course(
            LessonSpec(duration_ms=60_000), LessonSpec(kind="reading"), reading_min_seconds=10
        )
        enrolment = await enrol(person, course)
    headers = await bearer_for(person)
    video, reading = course.lesson_ids

    for _ in range(3):  # a few rounds, fresh each time, to give the race its chances
        async with unit_of_work():
            await sql.execute("DELETE FROM mooc_lesson_progress WHERE enrolment_id = $1", enrolment)
            await sql.execute("DELETE FROM mooc_certificates WHERE enrolment_id = $1", enrolment)
            await sql.execute(
                "UPDATE mooc_enrolments SET status = 'active', completed_at = NULL,"
                " progress_percent = 0, required_done = 0 WHERE id = $1",
                enrolment,
            )
            await sql.execute(
                "DELETE FROM inbox_items WHERE person_id = $1 AND data->>'template' = $2",
                person,
                "courses.certificate_issued",
            )
        answers = await asyncio.gather(
            committed_client.put(
                f"/api/v1/lessons/{video}/progress", json=beat(0, 60_000), headers=headers
            ),
            committed_client.put(
                f"/api/v1/lessons/{reading}/progress", json=beat(0, 10_000), headers=headers
            ),
        )
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        assert await outcome(enrolment, person) == ("completed", 100, 1, 1)
