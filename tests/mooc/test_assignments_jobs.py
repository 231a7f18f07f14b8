"""The jobs of mandatory training, really committed: two reminder runs at once send each slot
once; two syncs at once (and a creation beside them) enrol each member once; the periodic
tasks are registered and run through the queue's worker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from backend.access import Role
from backend.db import engine, unit_of_work
from backend.jobs import job_app
from mooc import assignment_tasks, assignments, sql
from mooc.assignment_schemas import AssignmentCreate, AssignmentTarget
from tests.mooc.assignment_fixtures import admin_principal, civil_servant, staff
from tests.mooc.factories import make_course


async def count(statement: str, *args: object) -> int:
    async with unit_of_work():
        return int(await sql.fetchval(statement, *args))


@pytest.mark.usefixtures("committed")
async def test_concurrent_reminder_runs_send_each_slot_once() -> None:
    learners = [await civil_servant("SO-JOB") for _ in range(5)]
    now = datetime.now(UTC)
    due = now + timedelta(days=2)
    async with unit_of_work():
        course = await make_course(title="Khoá học nhắc hạn")
        admin = admin_principal(await staff(Role.COURSE_ADMIN))
        await assignments.do_create_assignment(
            admin,
            AssignmentCreate(
                course_id=course.course_id,
                target=AssignmentTarget(kind="agency", agency="SO-JOB"),
                due_at=due,
            ),
            now=now,
        )
    run_at = due - timedelta(hours=12)  # "1 day before" is due

    async def run() -> int:
        async with unit_of_work():
            return await assignments.do_send_reminders(now=run_at, any_hour=True)

    sent = await asyncio.gather(run(), run(), run())
    assert sum(sent) == len(learners)
    items = await count(
        "SELECT count(*) FROM inbox_items WHERE data->>'template' = 'courses.deadline_soon'"
        " AND person_id = ANY($1::uuid[])",
        learners,
    )
    assert items == len(learners)


@pytest.mark.usefixtures("committed")
async def test_concurrent_syncs_enrol_each_member_once() -> None:
    now = datetime.now(UTC)
    async with unit_of_work():
        course = await make_course()
        admin = admin_principal(await staff(Role.COURSE_ADMIN))
        made = await assignments.do_create_assignment(
            admin,
            AssignmentCreate(
                course_id=course.course_id,
                target=AssignmentTarget(kind="role", role="civil_servant"),
                due_at=now + timedelta(days=9),
            ),
        )
    joined = [await civil_servant("SO-SYNC") for _ in range(4)]

    async def sync() -> int:
        async with unit_of_work():
            return await assignments.do_sync_assignments()

    results = await asyncio.gather(sync(), sync())
    assert sum(results) == len(joined)
    enrolled = await count(
        "SELECT count(*) FROM mooc_enrolments WHERE assignment_id = $1 AND person_id ="
        " ANY($2::uuid[])",
        made.id,
        joined,
    )
    told = await count(
        "SELECT count(*) FROM inbox_items WHERE data->>'template' = 'courses.assigned'"
        " AND person_id = ANY($1::uuid[])",
        joined,
    )
    assert enrolled == told == len(joined)


@pytest.mark.usefixtures("committed")
async def test_the_periodic_tasks_run_in_the_worker() -> None:
    assert {"mooc.sync_assignments", "mooc.send_reminders"} <= set(job_app.tasks)
    periodic = {p.task.name for p in job_app.periodic_registry.periodic_tasks.values()}
    assert {"mooc.sync_assignments", "mooc.send_reminders"} <= periodic
    learner = await civil_servant("SO-WORKER")
    async with unit_of_work():
        course = await make_course()
        admin = admin_principal(await staff(Role.COURSE_ADMIN))
        await assignments.do_create_assignment(
            admin,
            AssignmentCreate(
                course_id=course.course_id,
                target=AssignmentTarget(kind="agency", agency="SO-WORKER"),
                due_at=datetime.now(UTC) + timedelta(days=9),
            ),
        )
    newcomer = await civil_servant("SO-WORKER")
    await assignment_tasks.sync_assignments.defer_async(timestamp=0)  # type: ignore[call-arg]  # the periodic decorator hides the parameter
    await job_app.run_worker_async(
        queues=["maintenance"], wait=False, install_signal_handlers=False, listen_notify=False
    )
    connection = await engine().get_new_connection()
    try:
        status = await connection.fetchval(
            "SELECT status FROM procrastinate_jobs WHERE task_name = 'mooc.sync_assignments'"
            " ORDER BY id DESC LIMIT 1"
        )
    finally:
        await connection.close()
    assert status == "succeeded"
    assert (
        await count(
            "SELECT count(*) FROM mooc_enrolments WHERE person_id = ANY($1::uuid[])",
            [learner, newcomer],
        )
        == 2
    )
