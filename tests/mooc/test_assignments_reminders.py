"""Deadline reminders: each slot (days before, overdue every N days) once per learner whatever
the retries, only the nearest when several are due, never to those who completed or left,
none for a withdrawn assignment, only in working hours (Asia/Ho_Chi_Minh)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from backend.access import Role
from mooc import assignments, sql
from mooc.assignment_schemas import AssignmentCreate, AssignmentTarget, AssignmentUpdate
from tests.mooc.assignment_fixtures import NOW, admin_principal, civil_servant, inbox, staff
from tests.mooc.factories import make_course

DUE = NOW + timedelta(days=30)
HOUR = timedelta(hours=1)


async def assign(
    agency: str, *, due: datetime = DUE, every: int = 7, remind: list[int] | None = None
) -> tuple[uuid.UUID, uuid.UUID]:
    course = await make_course(title="Phòng chống tham nhũng")
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    made = await assignments.do_create_assignment(
        admin,
        AssignmentCreate(
            course_id=course.course_id,
            target=AssignmentTarget(kind="agency", agency=agency),
            due_at=due,
            remind_days_before=[7, 3, 1] if remind is None else remind,
            overdue_every_days=every,
        ),
        now=NOW,
    )
    return course.course_id, made.id


async def slots(person: uuid.UUID) -> list[str]:
    rows = await sql.fetch(
        "SELECT r.slot FROM mooc_reminders r JOIN mooc_enrolments e ON e.id = r.enrolment_id"
        " WHERE e.person_id = $1 ORDER BY r.sent_at, r.slot",
        person,
    )
    return [r["slot"] for r in rows]


async def send(at: datetime) -> int:
    return await assignments.do_send_reminders(now=at, any_hour=True)


async def test_each_slot_is_sent_once_and_never_to_those_who_completed_or_left(db: None) -> None:
    learner = await civil_servant("SO-A")
    finisher = await civil_servant("SO-A")
    leaver = await civil_servant("SO-A")
    course_id, _ = await assign("SO-A")
    await sql.execute(
        "UPDATE mooc_enrolments SET status = 'completed', completed_at = $2 WHERE person_id = $1",
        finisher,
        NOW,
    )
    await sql.execute(
        "UPDATE mooc_enrolments SET status = 'unenrolled' WHERE person_id = $1", leaver
    )

    assert await send(NOW + HOUR) == 0  # a month ahead: nothing yet
    assert await send(DUE - timedelta(days=7) + HOUR) == 1
    assert await send(DUE - timedelta(days=7) + 2 * HOUR) == 0  # a retry sends nothing
    assert await send(DUE - timedelta(days=3) + HOUR) == 1
    assert await send(DUE - timedelta(days=1) + HOUR) == 1
    assert await send(DUE + HOUR) == 1  # overdue
    assert await send(DUE + timedelta(days=3)) == 0
    assert await send(DUE + timedelta(days=7) + HOUR) == 1  # overdue again a week later
    assert await send(DUE + timedelta(days=8)) == 0

    soon = await inbox("courses.deadline_soon")
    overdue = await inbox("courses.overdue")
    assert set(soon) == {learner} and len(soon[learner]) == 3
    assert soon[learner][0] == {
        "course": "Phòng chống tham nhũng",
        "deadline": "03/04/2030",
        "title": "Sắp đến hạn hoàn thành khóa học",
    }
    assert set(overdue) == {learner} and len(overdue[learner]) == 2
    assert overdue[learner][0]["title"] == "Khóa học bắt buộc đã quá hạn"
    assert await slots(learner) == [
        "before:7@20300403",
        "before:3@20300403",
        "before:1@20300403",
        "overdue:0@20300403",
        "overdue:7@20300403",
    ]
    assert await slots(finisher) == [] and await slots(leaver) == []

    # Completing ends the reminders.
    await sql.execute(
        "UPDATE mooc_enrolments SET status = 'completed', completed_at = $3"
        " WHERE person_id = $1 AND course_id = $2",
        learner,
        course_id,
        DUE + timedelta(days=9),
    )
    assert await send(DUE + timedelta(days=14) + HOUR) == 0


async def test_only_the_nearest_due_slot_is_sent_and_the_assignment_notice_counts_as_one(
    db: None,
) -> None:
    late = await civil_servant("SO-B")
    course_id, _ = await assign("SO-B", due=NOW + timedelta(days=2))
    # The notice of the assignment named the due date: the "3 days before" slot is not sent.
    assert await send(NOW + HOUR) == 0
    assert await slots(late) == ["before:3@20300306"]
    assert await send(NOW + timedelta(days=1) + HOUR) == 1
    assert (await slots(late))[-1] == "before:1@20300306"
    assert set(await inbox("courses.assigned")) == {late}
    assert course_id


async def test_overdue_every_zero_reminds_once(db: None) -> None:
    learner = await civil_servant("SO-C")
    await assign("SO-C", every=0, remind=[])
    assert await send(DUE - timedelta(days=1)) == 0  # no reminder before
    assert await send(DUE + HOUR) == 1
    assert await send(DUE + timedelta(days=7) + HOUR) == 0
    assert await send(DUE + timedelta(days=60)) == 0
    assert await slots(learner) == ["overdue:0@20300403"]


async def test_a_withdrawn_assignment_reminds_nobody(db: None) -> None:
    learner = await civil_servant("SO-D")
    _, assignment_id = await assign("SO-D")
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    await assignments.do_withdraw_assignment(admin, assignment_id, now=NOW)
    assert await send(DUE - timedelta(days=1) + HOUR) == 0
    assert await send(DUE + HOUR) == 0
    assert await slots(learner) == []


async def test_a_new_due_date_arms_the_reminders_again(db: None) -> None:
    learner = await civil_servant("SO-E")
    _, assignment_id = await assign("SO-E")
    assert await send(DUE - timedelta(days=7) + HOUR) == 1
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    later = DUE + timedelta(days=20)
    await assignments.do_update_assignment(
        admin, assignment_id, AssignmentUpdate(due_at=later), now=DUE - timedelta(days=6)
    )
    assert await send(DUE - timedelta(days=3) + HOUR) == 0  # no longer near
    assert await send(later - timedelta(days=7) + HOUR) == 1
    assert await slots(learner) == ["before:7@20300403", "before:7@20300423"]


async def test_reminders_wait_for_working_hours_in_vietnam(db: None) -> None:
    learner = await civil_servant("SO-F")
    await assign("SO-F", due=datetime(2030, 3, 20, 10, 0, tzinfo=UTC), remind=[7])
    saturday_night = datetime(2030, 3, 16, 14, 0, tzinfo=UTC)  # 21:00 Saturday in Hà Nội
    monday_early = datetime(2030, 3, 18, 0, 30, tzinfo=UTC)  # 07:30 Monday
    monday_work = datetime(2030, 3, 18, 1, 0, tzinfo=UTC)  # 08:00 Monday
    assert await assignments.do_send_reminders(now=saturday_night) == 0
    assert await assignments.do_send_reminders(now=monday_early) == 0
    assert await assignments.do_send_reminders(now=monday_work) == 1
    assert await slots(learner) == ["before:7@20300320"]
