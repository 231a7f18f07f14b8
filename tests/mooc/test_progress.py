"""Progress through the API: heartbeats merge watched intervals (a seek to the end earns
nothing, 90 % real watching completes), reading lessons complete by open time or "done",
the resume position is the newest beat's by the client's clock, the offline batch applies
what it can and says what it could not, and bad beats are refused with stable codes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from backend.access import Role
from mooc import sql
from tests.mooc.factories import LessonSpec, MadeCourse, enrol, make_course
from tests.support.auth import bearer_for, create_person

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def beat(intervals: list[list[int]], position: int = 0, at: datetime = T0) -> dict[str, Any]:
    return {"intervals": intervals, "position_ms": position, "client_at": at.isoformat()}


async def learner_in(course: MadeCourse) -> tuple[uuid.UUID, uuid.UUID, dict[str, str]]:
    person = await create_person(Role.CIVIL_SERVANT)
    enrolment = await enrol(person, course)
    return person, enrolment, await bearer_for(person)


async def put(
    client: httpx.AsyncClient, headers: dict[str, str], lesson: uuid.UUID, body: dict[str, Any]
) -> httpx.Response:
    return await client.put(f"/api/v1/lessons/{lesson}/progress", json=body, headers=headers)


async def watch(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    lesson: uuid.UUID,
    start: int,
    end: int,
    step: int = 30_000,
) -> dict[str, Any]:
    """Beats of `step` ms of real watching from `start` to `end`, as a player sends them."""
    answer: dict[str, Any] = {}
    for begin in range(start, end, step):
        stop = min(begin + step, end)
        at = T0 + timedelta(milliseconds=stop)
        response = await put(client, headers, lesson, beat([[begin, stop]], stop, at))
        assert response.status_code == 200, response.text
        answer = response.json()
    return answer


async def test_seeking_to_the_end_earns_nothing_and_real_watching_completes(
    client: httpx.AsyncClient,
) -> None:
    course = await make_course(LessonSpec(duration_ms=300_000))
    lesson = course.lesson_ids[0]
    _, enrolment, headers = await learner_in(course)

    # Ten seconds at the start, then a seek to the end and the last two seconds.
    await watch(client, headers, lesson, 0, 10_000)
    seek = beat([[298_000, 300_000]], 300_000, T0 + timedelta(seconds=20))
    answer = (await put(client, headers, lesson, seek)).json()
    assert answer["watched_ms"] == 12_000 and answer["completed"] is False
    assert answer["percent"] == 12_000 * 100 // 270_000
    assert answer["position_ms"] == 300_000 and answer["course_progress_percent"] == 0

    # Watching the same part again adds nothing.
    again = await watch(client, headers, lesson, 0, 10_000)
    assert again["watched_ms"] == 12_000

    # Real watching up to 90 % (the last two seconds were watched too) completes the lesson,
    # and the one-lesson course with it.
    done = await watch(client, headers, lesson, 10_000, 266_000)
    assert done["completed"] is False and done["watched_ms"] == 268_000
    done = await watch(client, headers, lesson, 266_000, 268_000)
    assert done["completed"] is True and done["percent"] == 100
    assert done["course_completed"] is True and done["course_progress_percent"] == 100
    code = done["certificate_code"]
    assert isinstance(code, str) and len(code) == 24
    assert code == await sql.fetchval(
        "SELECT code FROM mooc_certificates WHERE enrolment_id = $1", enrolment
    )

    # Later beats keep it complete and issue nothing more.
    later = (await put(client, headers, lesson, beat([[0, 5_000]], 5_000))).json()
    assert later["completed"] is True and later["certificate_code"] is None
    assert later["course_completed"] is True


async def test_intervals_past_the_end_are_clipped_within_the_slack(
    client: httpx.AsyncClient,
) -> None:
    course = await make_course(LessonSpec(duration_ms=60_000))
    lesson = course.lesson_ids[0]
    _, _, headers = await learner_in(course)
    answer = await put(client, headers, lesson, beat([[50_000, 61_500]], 61_500))
    assert answer.status_code == 200
    assert answer.json()["watched_ms"] == 10_000 and answer.json()["position_ms"] == 60_000


async def test_beats_that_cannot_be_true_are_refused_with_nothing_applied(
    client: httpx.AsyncClient,
) -> None:
    course = await make_course(LessonSpec(duration_ms=600_000))
    lesson = course.lesson_ids[0]
    _, enrolment, headers = await learner_in(course)
    for bad in (
        beat([[20_000, 10_000]]),  # reversed
        beat([[0, 121_000]]),  # more new time than a beat can carry
        beat([[0, 60_000], [100_000, 170_000]]),  # the same, in two intervals
        beat([[590_000, 605_000]]),  # past the end beyond the slack
        beat([[i * 1000, i * 1000 + 500] for i in range(51)]),  # too many intervals
    ):
        response = await put(client, headers, lesson, bad)
        assert response.status_code == 422, response.text
        assert response.json()["code"] in ("mooc_progress_invalid", "validation_failed")
    response = await put(client, headers, lesson, beat([[0, 121_000]]))
    assert response.json()["code"] == "mooc_progress_invalid"
    assert "120000 ms" in response.json()["detail"] or "tiến độ" in response.json()["detail"]
    negative = await put(client, headers, lesson, beat([[-5, 100]]))
    assert negative.status_code == 422
    naive = await put(
        client, headers, lesson, {"intervals": [[0, 1000]], "client_at": "2026-11-28T02:00:00"}
    )
    assert naive.status_code == 422
    rows = await sql.fetchval(
        "SELECT count(*) FROM mooc_lesson_progress WHERE enrolment_id = $1", enrolment
    )
    assert rows == 0


async def test_the_resume_position_is_the_newest_beat_by_the_client_clock(
    client: httpx.AsyncClient,
) -> None:
    course = await make_course(LessonSpec(duration_ms=600_000))
    lesson = course.lesson_ids[0]
    _, _, headers = await learner_in(course)
    newest = beat([[100_000, 130_000]], 130_000, T0 + timedelta(minutes=2))
    older = beat([[0, 30_000]], 30_000, T0)
    assert (await put(client, headers, lesson, newest)).json()["position_ms"] == 130_000
    answer = (await put(client, headers, lesson, older)).json()
    assert answer["position_ms"] == 130_000  # the late, older beat does not move it back
    assert answer["watched_ms"] == 60_000  # but its watching counts


async def test_a_clock_in_the_future_does_not_pin_the_position(client: httpx.AsyncClient) -> None:
    course = await make_course(LessonSpec(duration_ms=600_000))
    lesson = course.lesson_ids[0]
    _, _, headers = await learner_in(course)
    future = datetime.now(UTC) + timedelta(days=365)
    await put(client, headers, lesson, beat([[0, 10_000]], 10_000, future))
    now = datetime.now(UTC) + timedelta(seconds=5)
    answer = (await put(client, headers, lesson, beat([[10_000, 20_000]], 20_000, now))).json()
    assert answer["position_ms"] == 20_000


async def test_reading_completes_after_its_minimum_open_time(client: httpx.AsyncClient) -> None:
    course = await make_course(LessonSpec(kind="reading"), reading_min_seconds=30)
    lesson = course.lesson_ids[0]
    _, _, headers = await learner_in(course)
    first = (await put(client, headers, lesson, beat([[0, 15_000]]))).json()
    assert first["completed"] is False and first["percent"] == 50
    # The same beat again (a retry) adds nothing; the next fifteen seconds complete it.
    assert (await put(client, headers, lesson, beat([[0, 15_000]]))).json()["watched_ms"] == 15_000
    second = (await put(client, headers, lesson, beat([[15_000, 30_000]]))).json()
    assert second["completed"] is True and second["course_completed"] is True


async def test_reading_with_no_minimum_completes_only_on_done(client: httpx.AsyncClient) -> None:
    course = await make_course(
        LessonSpec(kind="reading"), LessonSpec(kind="reading"), reading_min_seconds=0
    )
    lesson = course.lesson_ids[0]
    _, enrolment, headers = await learner_in(course)
    opened = (await put(client, headers, lesson, beat([[0, 120_000]]))).json()
    assert opened["completed"] is False and opened["percent"] == 0
    done = await client.post(f"/api/v1/lessons/{lesson}/done", headers=headers)
    assert done.status_code == 200
    assert done.json()["completed"] is True and done.json()["course_progress_percent"] == 50
    again = await client.post(f"/api/v1/lessons/{lesson}/done", headers=headers)
    assert again.json()["completed"] is True
    row = await sql.fetchrow(
        "SELECT started_at, last_lesson_id, required_done FROM mooc_enrolments WHERE id = $1",
        enrolment,
    )
    assert row["started_at"] is not None and row["last_lesson_id"] == lesson
    assert row["required_done"] == 1


async def test_done_is_for_reading_and_beats_are_not_for_quizzes(client: httpx.AsyncClient) -> None:
    course = await make_course(LessonSpec(), LessonSpec(kind="quiz"))
    video, quiz = course.lesson_ids
    _, _, headers = await learner_in(course)
    done = await client.post(f"/api/v1/lessons/{video}/done", headers=headers)
    assert done.status_code == 409 and done.json()["code"] == "mooc_progress_not_tracked"
    response = await put(client, headers, quiz, beat([[0, 1000]]))
    assert response.status_code == 409 and response.json()["code"] == "mooc_progress_not_tracked"


async def test_who_may_send_beats(client: httpx.AsyncClient) -> None:
    course = await make_course(LessonSpec())
    lesson = course.lesson_ids[0]
    # Not signed in.
    anonymous = await put(client, {}, lesson, beat([[0, 1000]]))
    assert anonymous.status_code == 401
    # Not enrolled: the lesson does not exist for them.
    stranger = await bearer_for(await create_person(Role.CIVIL_SERVANT))
    response = await put(client, stranger, lesson, beat([[0, 1000]]))
    assert response.status_code == 404 and response.json()["code"] == "mooc_lesson_not_found"
    # Left the course.
    _, enrolment, headers = await learner_in(course)
    await sql.execute("UPDATE mooc_enrolments SET status = 'unenrolled' WHERE id = $1", enrolment)
    response = await put(client, headers, lesson, beat([[0, 1000]]))
    assert response.status_code == 403 and response.json()["code"] == "mooc_not_enrolled"
    # A closed course takes no more progress.
    _, _, other = await learner_in(course)
    await sql.execute("UPDATE mooc_courses SET status = 'archived' WHERE id = $1", course.course_id)
    response = await put(client, other, lesson, beat([[0, 1000]]))
    assert response.status_code == 409 and response.json()["code"] == "mooc_course_closed"
    # An unknown lesson.
    response = await put(client, other, uuid.uuid4(), beat([[0, 1000]]))
    assert response.status_code == 404


async def test_a_video_still_processing_takes_no_beats(client: httpx.AsyncClient) -> None:
    course = await make_course(LessonSpec(duration_ms=None))
    _, _, headers = await learner_in(course)
    response = await put(client, headers, course.lesson_ids[0], beat([[0, 1000]]))
    assert response.status_code == 409 and response.json()["code"] == "mooc_video_not_ready"


async def test_the_offline_batch_merges_in_any_order_and_reports_what_it_could_not_apply(
    client: httpx.AsyncClient,
) -> None:
    course = await make_course(
        LessonSpec(duration_ms=120_000), LessonSpec(kind="reading"), reading_min_seconds=20
    )
    video, reading = course.lesson_ids
    other_course = await make_course(LessonSpec())
    _, enrolment, headers = await learner_in(course)
    beats = [
        {"lesson_id": str(video), **beat([[60_000, 90_000]], 90_000, T0 + timedelta(seconds=60))},
        {"lesson_id": str(reading), **beat([[0, 25_000]])},
        {"lesson_id": str(other_course.lesson_ids[0]), **beat([[0, 10_000]])},
        {"lesson_id": str(video), **beat([[0, 30_000]], 30_000, T0)},
        {"lesson_id": str(video), **beat([[60_000, 90_000]], 90_000, T0 + timedelta(seconds=60))},
        {"lesson_id": str(video), **beat([[5_000, 1_000]])},
        {"lesson_id": str(video), **beat([[30_000, 60_000]], 60_000, T0 + timedelta(seconds=30))},
        {"lesson_id": str(video), **beat([[90_000, 110_000]], 110_000, T0 + timedelta(seconds=1))},
    ]
    for i, item in enumerate(beats):
        item["beat_id"] = f"b{i}"
    response = await client.post("/api/v1/progress/batch", json={"beats": beats}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    outcome = [(item["beat_id"], item["applied"], item["error"]) for item in body["items"]]
    assert outcome == [
        ("b0", True, None),
        ("b1", True, None),
        ("b2", False, "mooc_lesson_not_found"),
        ("b3", True, None),
        ("b4", True, None),
        ("b5", False, "mooc_progress_invalid"),
        ("b6", True, None),
        ("b7", True, None),
    ]
    lessons = {item["lesson_id"]: item for item in body["lessons"]}
    assert lessons[str(video)]["watched_ms"] == 110_000 and lessons[str(video)]["completed"]
    assert lessons[str(video)]["position_ms"] == 90_000  # the newest beat by the client's clock
    assert lessons[str(reading)]["completed"] is True
    state = await sql.fetchrow(
        "SELECT status, progress_percent FROM mooc_enrolments WHERE id = $1", enrolment
    )
    assert tuple(state) == ("completed", 100)

    # The same batch reversed changes nothing.
    again = await client.post(
        "/api/v1/progress/batch", json={"beats": beats[::-1]}, headers=headers
    )
    lessons = {item["lesson_id"]: item for item in again.json()["lessons"]}
    assert lessons[str(video)]["watched_ms"] == 110_000


async def test_a_batch_has_a_bound(client: httpx.AsyncClient) -> None:
    course = await make_course(LessonSpec())
    _, _, headers = await learner_in(course)
    item = {"lesson_id": str(course.lesson_ids[0]), **beat([[0, 1000]])}
    response = await client.post(
        "/api/v1/progress/batch", json={"beats": [item] * 501}, headers=headers
    )
    assert response.status_code in (400, 422)
