"""Taking a quiz through the API: an attempt draws its questions at random and shuffles their
options (never showing the answers), start is idempotent, the attempt limit holds, the server
enforces the time limit (answers after it refused, the attempt graded with what was saved),
submission grades once, the review shows the correct answers only as configured, a passed
required quiz completes the lesson and the course, and nobody reads another's attempt."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from backend.access import Role
from mooc import quiz, sql
from mooc.quiz_tasks import sweep_overdue_attempts
from tests.mooc.factories import LessonSpec
from tests.mooc.quiz_fixtures import (
    QuizCourse,
    bank_of,
    learner,
    quiz_course,
    right_answer,
    text,
    true_false,
    wrong_answer,
)
from tests.support.auth import auth_headers

API = "/api/v1"


async def start(client: httpx.AsyncClient, headers: dict[str, str], lesson: uuid.UUID) -> Any:
    response = await client.post(f"{API}/lessons/{lesson}/attempts", headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def answer_all(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    quiz_: QuizCourse,
    attempt: dict[str, Any],
    *,
    wrong: int = 0,
) -> None:
    """Right answers to every question but the first `wrong` ones."""
    for n, question in enumerate(attempt["questions"]):
        data = quiz_.questions[question["id"]]
        value = wrong_answer(data) if n < wrong else right_answer(data)
        saved = await client.put(
            f"{API}/attempts/{attempt['id']}/answers/{question['id']}",
            headers=headers,
            json={"value": value},
        )
        assert saved.status_code == 200, saved.text


async def submit(client: httpx.AsyncClient, headers: dict[str, str], attempt_id: str) -> Any:
    return await client.post(f"{API}/attempts/{attempt_id}/submission", headers=headers)


async def move_deadline(attempt_id: str, seconds_ago: float) -> None:
    await sql.execute(
        "UPDATE mooc_quiz_attempts SET deadline_at = now() - make_interval(secs => $2),"
        " started_at = now() - interval '1 hour' WHERE id = $1",
        uuid.UUID(attempt_id),
        seconds_ago,
    )


async def test_an_attempt_shows_its_questions_without_answers_and_start_is_idempotent(
    client: httpx.AsyncClient,
) -> None:
    made = await quiz_course(time_limit_seconds=600)
    _, _, headers = await learner(made)
    before = datetime.now(UTC)
    response = await client.post(f"{API}/lessons/{made.lesson_id}/attempts", headers=headers)
    assert response.status_code == 201, response.text
    attempt = response.json()
    assert attempt["status"] == "open" and attempt["number"] == 1
    assert {q["id"] for q in attempt["questions"]} == set(made.questions)
    assert "correct" not in response.text and "explanation" not in response.text
    assert "Thành phố Thái Nguyên là trung tâm" not in response.text
    deadline = datetime.fromisoformat(attempt["deadline_at"])
    now = datetime.fromisoformat(attempt["now"])
    assert before <= now and timedelta(seconds=599) < deadline - now <= timedelta(seconds=600)
    assert attempt["review"] is None and attempt["score"] is None

    again = await client.post(f"{API}/lessons/{made.lesson_id}/attempts", headers=headers)
    assert again.status_code == 200 and again.json()["id"] == attempt["id"]
    assert again.json()["questions"] == attempt["questions"]  # the same draw and order

    summary = await client.get(f"{API}/lessons/{made.lesson_id}/attempts", headers=headers)
    assert summary.status_code == 200
    assert summary.json()["open_attempt_id"] == attempt["id"]
    assert summary.json()["can_start"] is False and summary.json()["attempts_used"] == 1


async def test_each_attempt_draws_its_own_questions_and_orders(client: httpx.AsyncClient) -> None:
    made = await quiz_course(*bank_of(10), draw=4)
    _, _, headers = await learner(made)
    draws: list[tuple[str, ...]] = []
    option_orders: set[tuple[str, ...]] = set()
    for _ in range(20):
        attempt = await start(client, headers, made.lesson_id)
        assert len(attempt["questions"]) == 4
        assert len({q["id"] for q in attempt["questions"]}) == 4
        draws.append(tuple(q["id"] for q in attempt["questions"]))
        option_orders.update(tuple(o["id"] for o in q["options"]) for q in attempt["questions"])
        assert (await submit(client, headers, attempt["id"])).status_code == 200
    # 20 draws of 4 of 10 in order: all alike would be a broken random source.
    assert len(set(draws)) >= 15
    assert len({frozenset(d) for d in draws}) >= 10
    # Options are shuffled per question and attempt: several of the 6 orders of 3 appear.
    assert len(option_orders) >= 4
    seen = {q for d in draws for q in d}
    assert len(seen) >= 8  # the whole bank is drawn from, not a fixed subset


async def test_the_attempt_limit_holds_and_a_passed_quiz_may_be_retaken_while_attempts_remain(
    client: httpx.AsyncClient,
) -> None:
    made = await quiz_course(max_attempts=2)
    _, _, headers = await learner(made)
    first = await start(client, headers, made.lesson_id)
    await answer_all(client, headers, made, first)
    passed = (await submit(client, headers, first["id"])).json()
    assert passed["passed"] is True and passed["percent"] == 100.0
    second = await start(client, headers, made.lesson_id)
    assert second["number"] == 2
    await answer_all(client, headers, made, second, wrong=4)
    assert (await submit(client, headers, second["id"])).json()["passed"] is False
    refused = await client.post(f"{API}/lessons/{made.lesson_id}/attempts", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "mooc_attempts_exhausted"
    assert "hết số lần" in refused.json()["detail"]
    summary = (await client.get(f"{API}/lessons/{made.lesson_id}/attempts", headers=headers)).json()
    assert summary["attempts_left"] == 0 and summary["passed"] is True
    assert summary["best_percent"] == 100.0 and summary["can_start"] is False


async def test_answers_after_the_deadline_are_refused_and_the_attempt_is_graded(
    client: httpx.AsyncClient,
) -> None:
    made = await quiz_course(time_limit_seconds=60, pass_percent=50)
    _, _, headers = await learner(made)
    attempt = await start(client, headers, made.lesson_id)
    first, second, *_ = attempt["questions"]
    url = f"{API}/attempts/{attempt['id']}/answers"
    right = right_answer(made.questions[first["id"]])
    assert (
        await client.put(f"{url}/{first['id']}", headers=headers, json={"value": right})
    ).status_code == 200

    # One second past the deadline is within the grace given to the network.
    await move_deadline(attempt["id"], 1)
    value = right_answer(made.questions[second["id"]])
    in_grace = await client.put(f"{url}/{second['id']}", headers=headers, json={"value": value})
    assert in_grace.status_code == 200, in_grace.text

    # Past the grace: refused, and the attempt is graded with what was saved in time.
    await move_deadline(attempt["id"], 5)
    late = await client.put(
        f"{url}/{second['id']}",
        headers=headers,
        json={"value": wrong_answer(made.questions[second["id"]])},
    )
    assert late.status_code == 409
    assert late.json()["code"] == "mooc_attempt_time_over"
    assert late.json()["attempt_id"] == attempt["id"]
    graded = (await client.get(f"{API}/attempts/{attempt['id']}", headers=headers)).json()
    assert graded["status"] == "timed_out"
    assert graded["score"] == 2 and graded["max_score"] == 4 and graded["passed"] is True
    assert graded["answers"][second["id"]] == value  # the late answer was not kept
    # The attempt ended at its deadline.
    assert graded["submitted_at"] == graded["deadline_at"]


async def test_a_late_submission_is_graded_as_timed_out_and_says_so(
    client: httpx.AsyncClient,
) -> None:
    made = await quiz_course(time_limit_seconds=60)
    _, _, headers = await learner(made)
    attempt = await start(client, headers, made.lesson_id)
    await answer_all(client, headers, made, attempt)
    await move_deadline(attempt["id"], 10)
    late = await submit(client, headers, attempt["id"])
    assert late.status_code == 409 and late.json()["code"] == "mooc_attempt_time_over"
    assert "Đã hết giờ" in late.json()["detail"]
    again = await submit(client, headers, attempt["id"])
    assert again.status_code == 409 and again.json()["code"] == "mooc_attempt_time_over"
    result = (await client.get(f"{API}/attempts/{attempt['id']}", headers=headers)).json()
    assert result["status"] == "timed_out" and result["passed"] is True  # saved in time


async def test_reading_an_attempt_past_its_deadline_grades_it(client: httpx.AsyncClient) -> None:
    made = await quiz_course(time_limit_seconds=30)
    _, _, headers = await learner(made)
    attempt = await start(client, headers, made.lesson_id)
    await move_deadline(attempt["id"], 3)
    read = (await client.get(f"{API}/attempts/{attempt['id']}", headers=headers)).json()
    assert read["status"] == "timed_out" and read["score"] == 0 and read["passed"] is False
    # A new attempt may start (no limit).
    assert (await start(client, headers, made.lesson_id))["number"] == 2


async def test_time_out_is_graded_by_the_sweep_once(client: httpx.AsyncClient) -> None:
    made = await quiz_course(time_limit_seconds=60)
    _, _, headers = await learner(made)
    other = await learner(made)
    answered = await start(client, headers, made.lesson_id)
    await answer_all(client, headers, made, answered)
    by_sweep = await start(client, other[2], made.lesson_id)
    still_open = await start(client, (await learner(made))[2], made.lesson_id)

    # Before the deadline, the sweep leaves every attempt open.
    await sweep_overdue_attempts.func(timestamp=0)
    assert await status_of(answered["id"]) == "open"
    await move_deadline(answered["id"], 3)
    await sweep_overdue_attempts.func(timestamp=0)
    assert await status_of(answered["id"]) == "timed_out"
    graded = (await client.get(f"{API}/attempts/{answered['id']}", headers=headers)).json()
    assert graded["passed"] is True and graded["percent"] == 100.0  # the answers saved in time
    # Run again (the next sweep): the grade stays.
    await sweep_overdue_attempts.func(timestamp=0)
    again = (await client.get(f"{API}/attempts/{answered['id']}", headers=headers)).json()
    assert {k: v for k, v in again.items() if k != "now"} == {
        k: v for k, v in graded.items() if k != "now"
    }

    await move_deadline(by_sweep["id"], 120)
    await sweep_overdue_attempts.func(timestamp=0)
    assert await status_of(by_sweep["id"]) == "timed_out"
    assert await status_of(still_open["id"]) == "open"
    row = await sql.fetchrow(
        "SELECT score, max_score, passed, submitted_at = deadline_at AS at_deadline"
        " FROM mooc_quiz_attempts WHERE id = $1",
        uuid.UUID(by_sweep["id"]),
    )
    assert row["score"] == 0 and row["max_score"] == 4 and row["passed"] is False
    assert row["at_deadline"]


async def status_of(attempt_id: str) -> str:
    return str(
        await sql.fetchval(
            "SELECT status FROM mooc_quiz_attempts WHERE id = $1", uuid.UUID(attempt_id)
        )
    )


async def test_submitting_twice_answers_the_same_result(client: httpx.AsyncClient) -> None:
    made = await quiz_course()
    _, _, headers = await learner(made)
    attempt = await start(client, headers, made.lesson_id)
    await answer_all(client, headers, made, attempt, wrong=1)
    first = await submit(client, headers, attempt["id"])
    assert first.status_code == 200, first.text
    result = first.json()
    assert result["status"] == "submitted" and result["score"] == 3 and result["percent"] == 75.0
    assert result["passed"] is False  # 75 % < 80 %
    second = (await submit(client, headers, attempt["id"])).json()
    assert {k: v for k, v in second.items() if k != "now"} == {
        k: v for k, v in result.items() if k != "now"
    }
    # Answers after submission are refused.
    question = attempt["questions"][0]["id"]
    closed = await client.put(
        f"{API}/attempts/{attempt['id']}/answers/{question}", headers=headers, json={"value": None}
    )
    assert closed.status_code == 409 and closed.json()["code"] == "mooc_attempt_closed"


async def test_the_review_shows_answers_only_as_configured(client: httpx.AsyncClient) -> None:
    for show, wrong, expect_shown in [
        ("after_submit", 4, True),
        ("never", 0, False),
        ("after_pass", 4, False),
        ("after_pass", 0, True),
    ]:
        made = await quiz_course(show_answers=show)
        _, _, headers = await learner(made)
        attempt = await start(client, headers, made.lesson_id)
        await answer_all(client, headers, made, attempt, wrong=wrong)
        result = (await submit(client, headers, attempt["id"])).json()
        assert result["answers_shown"] is expect_shown, show
        review = {r["question_id"]: r for r in result["review"]}
        assert len(review) == 4
        for question_id, data in made.questions.items():
            item = review[question_id]
            assert item["correct"] is (wrong == 0)
            assert item["answer"] == (wrong_answer(data) if wrong else right_answer(data))
            if expect_shown:
                assert item["explanation"] == data.explanation
                assert item["correct_answer"] == list(data.correct)
            else:
                assert item["explanation"] is None and item["correct_answer"] is None


async def test_after_pass_shows_the_answers_of_earlier_attempts_once_passed(
    client: httpx.AsyncClient,
) -> None:
    made = await quiz_course(show_answers="after_pass")
    _, _, headers = await learner(made)
    failed = await start(client, headers, made.lesson_id)
    await answer_all(client, headers, made, failed, wrong=4)
    assert (await submit(client, headers, failed["id"])).json()["answers_shown"] is False
    passed = await start(client, headers, made.lesson_id)
    await answer_all(client, headers, made, passed)
    assert (await submit(client, headers, passed["id"])).json()["answers_shown"] is True
    earlier = (await client.get(f"{API}/attempts/{failed['id']}", headers=headers)).json()
    assert earlier["answers_shown"] is True and earlier["review"][0]["explanation"]


async def test_a_passed_required_quiz_completes_the_lesson_and_the_course(
    client: httpx.AsyncClient,
) -> None:
    made = await quiz_course(other_lessons=(LessonSpec(kind="reading", required=False),))
    person, enrolment, headers = await learner(made)
    failed = await start(client, headers, made.lesson_id)
    touched = await sql.fetchrow(
        "SELECT started_at, last_lesson_id, last_activity_at FROM mooc_enrolments WHERE id = $1",
        enrolment,
    )
    assert touched["started_at"] is not None and touched["last_activity_at"] is not None
    assert touched["last_lesson_id"] == made.lesson_id  # starting the quiz is activity in it
    await answer_all(client, headers, made, failed, wrong=4)
    await submit(client, headers, failed["id"])
    state = await sql.fetchrow(
        "SELECT status, completed_at, best_score, started_at FROM mooc_enrolments WHERE id = $1",
        enrolment,
    )
    assert state["status"] == "active" and state["completed_at"] is None
    assert state["best_score"] == 0 and state["started_at"] == touched["started_at"]

    passed = await start(client, headers, made.lesson_id)
    await answer_all(client, headers, made, passed)
    result = (await submit(client, headers, passed["id"])).json()
    assert result["passed"] is True
    state = await sql.fetchrow(
        "SELECT status, completed_at, best_score, progress_percent FROM mooc_enrolments"
        " WHERE id = $1",
        enrolment,
    )
    assert state["status"] == "completed" and state["completed_at"] is not None
    assert state["best_score"] == 100 and state["progress_percent"] == 100
    lesson_done = await sql.fetchval(
        "SELECT completed_at FROM mooc_lesson_progress WHERE enrolment_id = $1 AND lesson_id = $2",
        enrolment,
        made.lesson_id,
    )
    assert lesson_done is not None
    certificates = await sql.fetchval(
        "SELECT count(*) FROM mooc_certificates WHERE enrolment_id = $1", enrolment
    )
    assert certificates == 1
    assert person is not None


async def test_nobody_reads_or_answers_another_learners_attempt(client: httpx.AsyncClient) -> None:
    made = await quiz_course()
    _, _, owner = await learner(made)
    _, _, other = await learner(made)
    stranger = await auth_headers(Role.CIVIL_SERVANT)
    attempt = await start(client, owner, made.lesson_id)
    question = attempt["questions"][0]["id"]
    for headers in (other, stranger):
        read = await client.get(f"{API}/attempts/{attempt['id']}", headers=headers)
        assert read.status_code == 404 and read.json()["code"] == "mooc_attempt_not_found"
        put = await client.put(
            f"{API}/attempts/{attempt['id']}/answers/{question}",
            headers=headers,
            json={"value": None},
        )
        assert put.status_code == 404 and put.json()["code"] == "mooc_attempt_not_found"
        sent = await submit(client, headers, attempt["id"])
        assert sent.status_code == 404 and sent.json()["code"] == "mooc_attempt_not_found"
    # Not enrolled: the quiz itself is not found.
    refused = await client.post(f"{API}/lessons/{made.lesson_id}/attempts", headers=stranger)
    assert refused.status_code == 404 and refused.json()["code"] == "mooc_lesson_not_found"
    assert await status_of(attempt["id"]) == "open"


async def test_bad_answers_and_closed_courses_are_refused_with_clear_codes(
    client: httpx.AsyncClient,
) -> None:
    made = await quiz_course(true_false(), text())
    _, _, headers = await learner(made)
    attempt = await start(client, headers, made.lesson_id)
    by_kind = {made.questions[q["id"]].kind: q["id"] for q in attempt["questions"]}
    url = f"{API}/attempts/{attempt['id']}/answers"
    bad = await client.put(f"{url}/{by_kind['true_false']}", headers=headers, json={"value": ["a"]})
    assert bad.status_code == 422 and bad.json()["code"] == "mooc_answer_invalid"
    assert "đúng/sai" in bad.json()["detail"]
    tf = await client.put(f"{url}/{by_kind['true_false']}", headers=headers, json={"value": "true"})
    assert tf.status_code == 200 and tf.json()["value"] is True
    elsewhere = await quiz_course()
    foreign = next(iter(elsewhere.questions))
    not_drawn = await client.put(f"{url}/{foreign}", headers=headers, json={"value": "a"})
    assert not_drawn.status_code == 404
    assert not_drawn.json()["code"] == "mooc_question_not_in_attempt"
    missing = await client.put(f"{url}/{uuid.uuid4()}", headers=headers, json={"value": "a"})
    assert missing.status_code == 404

    await sql.execute(
        "UPDATE mooc_courses SET status = 'archived' WHERE id = $1", made.course.course_id
    )
    closed = await client.post(f"{API}/lessons/{made.lesson_id}/attempts", headers=headers)
    assert closed.status_code == 409 and closed.json()["code"] == "mooc_course_closed"
    assert "đã đóng" in closed.json()["detail"]
    # The attempt started before the course closed may still be finished.
    text_answer = await client.put(
        f"{url}/{by_kind['text']}", headers=headers, json={"value": " vneid "}
    )
    assert text_answer.status_code == 200
    finished = await submit(client, headers, attempt["id"])
    assert finished.status_code == 200 and finished.json()["passed"] is True


async def test_an_empty_or_non_quiz_lesson_cannot_be_attempted(client: httpx.AsyncClient) -> None:
    made = await quiz_course(other_lessons=(LessonSpec(kind="reading"),))
    _, _, headers = await learner(made)
    reading = made.course.lesson_ids[1]
    answer = await client.post(f"{API}/lessons/{reading}/attempts", headers=headers)
    assert answer.status_code == 409 and answer.json()["code"] == "mooc_lesson_not_quiz"
    await sql.execute("DELETE FROM mooc_questions WHERE lesson_id = $1", made.lesson_id)
    quiz.forget_banks()
    empty = await client.post(f"{API}/lessons/{made.lesson_id}/attempts", headers=headers)
    assert empty.status_code == 409 and empty.json()["code"] == "mooc_quiz_empty"
