"""Quizzes under concurrency, really committed: a learner's submissions racing each other (two
tabs, a retry, the deadline job) grade the attempt once and complete the course once;
starts racing each other make one attempt; the deadline job is enqueued once the start
commits, for the deadline plus the grace."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from backend.db import unit_of_work
from backend.jobs import job_app
from mooc import quiz, quiz_repository, sql
from tests.mooc.quiz_fixtures import learner, quiz_course, right_answer


async def fetchrow(statement: str, *args: Any) -> Any:
    async with unit_of_work():
        return await sql.fetchrow(statement, *args)


async def test_racing_submissions_grade_once_and_complete_the_course_once(
    committed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with unit_of_work():
        made = await quiz_course(time_limit_seconds=600)
    async with unit_of_work():
        person, enrolment, _ = await learner(made)
    async with unit_of_work():
        attempt, _ = await quiz.do_start_attempt(person, made.lesson_id)
        for question in attempt.questions:
            await quiz.do_save_answer(
                person, attempt.id, question.id, right_answer(made.questions[str(question.id)])
            )

    stored: list[uuid.UUID] = []
    original = quiz_repository.store_grade

    async def counting(grade: quiz_repository.GradeRow) -> Any:
        stored.append(grade.attempt_id)
        await asyncio.sleep(0.05)  # widen the window a second grader would use
        return await original(grade)

    monkeypatch.setattr(quiz_repository, "store_grade", counting)

    async def submit() -> Any:
        async with unit_of_work():
            return await quiz.do_submit_attempt(person, attempt.id)

    async def sweep() -> int:
        async with unit_of_work():
            return await quiz.do_sweep_overdue_attempts()

    results = await asyncio.gather(submit(), submit(), submit(), sweep())
    assert stored == [attempt.id]  # graded by exactly one of them
    graded = [r for r in results[:3]]
    assert {(r.status, r.score, r.passed) for r in graded} == {("submitted", 4.0, True)}
    assert results[3] == 0  # the sweep found nothing past its deadline

    state = await fetchrow(
        "SELECT status, completed_at, (SELECT count(*) FROM mooc_certificates c"
        " WHERE c.enrolment_id = e.id) AS certificates FROM mooc_enrolments e WHERE id = $1",
        enrolment,
    )
    assert state["status"] == "completed" and state["certificates"] == 1


async def test_racing_starts_make_one_attempt(committed: None) -> None:
    async with unit_of_work():
        made = await quiz_course(max_attempts=3)
    async with unit_of_work():
        person, enrolment, _ = await learner(made)

    async def start() -> uuid.UUID:
        async with unit_of_work():
            attempt, _ = await quiz.do_start_attempt(person, made.lesson_id)
            return attempt.id

    ids = await asyncio.gather(*(start() for _ in range(5)))
    assert len(set(ids)) == 1
    count = await fetchrow(
        "SELECT count(*) AS n FROM mooc_quiz_attempts WHERE enrolment_id = $1", enrolment
    )
    assert count["n"] == 1


async def test_starting_a_timed_attempt_enqueues_no_job(committed: None) -> None:
    """Time-outs are graded by the sweep (and any read, answer or submission): a start is
    one insert, with nothing for the job queue at the quiz-start spike."""
    async with unit_of_work():
        made = await quiz_course(time_limit_seconds=300)
    async with unit_of_work():
        person, _, _ = await learner(made)
    async with unit_of_work():
        attempt, started = await quiz.do_start_attempt(person, made.lesson_id)
    assert started and attempt.deadline_at is not None
    jobs = await fetchrow("SELECT count(*) AS n FROM procrastinate_jobs WHERE queue_name = 'mooc'")
    assert jobs["n"] == 0


async def test_the_sweep_runs_every_few_seconds() -> None:
    from mooc.quiz_tasks import sweep_overdue_attempts

    periodic = [
        p
        for p in job_app.periodic_registry.periodic_tasks.values()
        if p.task is sweep_overdue_attempts
    ]
    assert [p.cron for p in periodic] == [f"* * * * * */{quiz.SWEEP_SECONDS}"]
