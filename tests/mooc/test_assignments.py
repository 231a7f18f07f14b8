"""Mandatory training: assigning a course enrols the target's present members in one statement
(and later members through the sync job), notifies the newly assigned, follows due-date
changes, stops at withdrawal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from backend.access import Role
from backend.http.pagination import PageRequest
from mooc import assignments, sql
from mooc.assignment_errors import (
    AssignmentCourseNotPublished,
    AssignmentDueInPast,
    AssignmentNotFound,
    AssignmentTargetInvalid,
    AssignmentWithdrawn,
)
from mooc.assignment_schemas import AssignmentCreate, AssignmentTarget, AssignmentUpdate
from mooc.errors import CourseNotFound
from tests.mooc.assignment_fixtures import (
    NOW,
    admin_principal,
    civil_servant,
    enrolled,
    enrolment_of,
    inbox,
    staff,
)
from tests.mooc.factories import LessonSpec, enrol, make_course

DUE = NOW + timedelta(days=30)


def create(course_id: uuid.UUID, **target: str) -> AssignmentCreate:
    return AssignmentCreate(
        course_id=course_id, target=msgspec.convert(target, AssignmentTarget), due_at=DUE
    )


async def test_an_agency_assignment_enrols_every_present_member_and_notifies_them(
    db: None,
) -> None:
    course = await make_course(
        LessonSpec(),
        LessonSpec(kind="reading"),
        LessonSpec(kind="reading", required=False),
        title="An toàn thông tin cơ bản",
    )
    a1 = await civil_servant("SO-TTTT", department="Phòng CNTT")
    a2 = await civil_servant("SO-TTTT")
    other = await civil_servant("SO-YTE")
    admin = admin_principal(await staff(Role.COURSE_ADMIN))

    made = await assignments.do_create_assignment(
        admin, create(course.course_id, kind="agency", agency="SO-TTTT"), now=NOW
    )

    assert made.newly_enrolled == 2
    assert made.counts.enrolled == 2 and made.counts.completed == 0
    assert made.course_title == "An toàn thông tin cơ bản"
    first = await enrolment_of(a1, course.course_id)
    assert first is not None
    assert first["assignment_id"] == made.id and first["due_at"] == DUE
    assert first["version_id"] == course.version_id and first["status"] == "active"
    assert first["required_total"] == 2
    assert (first["agency_code"], first["department"]) == ("SO-TTTT", "Phòng CNTT")
    assert await enrolment_of(other, course.course_id) is None
    told = await inbox("courses.assigned")
    assert set(told) == {a1, a2}
    assert told[a1][0]["course"] == "An toàn thông tin cơ bản"
    assert told[a1][0]["deadline"] == "03/04/2030"
    audited = await sql.fetchval(
        "SELECT count(*) FROM audit_entries WHERE action = 'mooc.assignment.create'"
        " AND object_id = $1",
        str(made.id),
    )
    assert audited == 1


async def test_a_department_assignment_enrols_only_that_department(db: None) -> None:
    course = await make_course()
    inside = await civil_servant("UBND-XA", department="Văn phòng")
    outside = await civil_servant("UBND-XA", department="Địa chính")
    admin = admin_principal(await staff(Role.COURSE_ADMIN))

    made = await assignments.do_create_assignment(
        admin,
        create(course.course_id, kind="department", agency="UBND-XA", department=" Văn  phòng "),
        now=NOW,
    )

    assert made.target.department == "Văn phòng"
    assert await enrolment_of(inside, course.course_id) is not None
    assert await enrolment_of(outside, course.course_id) is None


async def test_a_role_assignment_enrols_its_holders_with_their_agency(db: None) -> None:
    course = await make_course()
    officer = await civil_servant(
        "SO-LDTBXH", department="Bảo trợ", other_roles=(Role.WELFARE_OFFICER,)
    )
    plain = await civil_servant("SO-LDTBXH")
    admin = admin_principal(await staff(Role.COURSE_ADMIN))

    await assignments.do_create_assignment(
        admin, create(course.course_id, kind="role", role="welfare_officer"), now=NOW
    )

    row = await enrolment_of(officer, course.course_id)
    assert row is not None and (row["agency_code"], row["department"]) == ("SO-LDTBXH", "Bảo trợ")
    assert await enrolment_of(plain, course.course_id) is None


async def test_existing_enrolments_are_taken_over_left_ones_reactivated_completed_not_told(
    db: None,
) -> None:
    course = await make_course()
    voluntary = await civil_servant("SO-GD")
    left = await civil_servant("SO-GD")
    done = await civil_servant("SO-GD")
    for person in (voluntary, left, done):
        await enrol(person, course, agency_code="SO-GD")
    await sql.execute(
        "UPDATE mooc_enrolments SET status = 'unenrolled', unenrolled_at = now(),"
        " required_done = 1 WHERE person_id = $1",
        left,
    )
    await sql.execute(
        "UPDATE mooc_enrolments SET status = 'completed', completed_at = now()"
        " WHERE person_id = $1",
        done,
    )
    admin = admin_principal(await staff(Role.COURSE_ADMIN))

    made = await assignments.do_create_assignment(
        admin, create(course.course_id, kind="agency", agency="SO-GD"), now=NOW
    )

    assert made.newly_enrolled == 3
    rows = {p: await enrolled(p, course.course_id) for p in (voluntary, left, done)}
    assert all(r["assignment_id"] == made.id for r in rows.values())
    assert rows[left]["status"] == "active"
    assert rows[left]["required_done"] == 1  # progress kept
    assert rows[done]["status"] == "completed"
    assert set(await inbox("courses.assigned")) == {voluntary, left}
    assert made.counts.completed == 1


async def test_an_earlier_due_date_takes_a_learner_over_and_a_later_one_does_not(
    db: None,
) -> None:
    course = await make_course()
    learner = await civil_servant("SO-TC", department="Kế toán")
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    broad = await assignments.do_create_assignment(
        admin, create(course.course_id, kind="agency", agency="SO-TC"), now=NOW
    )
    sooner = AssignmentCreate(
        course_id=course.course_id,
        target=AssignmentTarget(kind="department", agency="SO-TC", department="Kế toán"),
        due_at=DUE - timedelta(days=10),
    )
    later = AssignmentCreate(
        course_id=course.course_id,
        target=AssignmentTarget(kind="role", role="civil_servant"),
        due_at=DUE + timedelta(days=10),
    )

    first = await assignments.do_create_assignment(admin, sooner, now=NOW)
    second = await assignments.do_create_assignment(admin, later, now=NOW)

    row = await enrolment_of(learner, course.course_id)
    assert row is not None and row["assignment_id"] == first.id
    assert row["due_at"] == DUE - timedelta(days=10)
    assert first.newly_enrolled == 1 and second.newly_enrolled == 0
    assert (await assignments.get_assignment(broad.id, now=NOW)).counts.enrolled == 0


async def test_a_member_who_joins_later_is_enrolled_by_the_sync_job_unless_withdrawn(
    db: None,
) -> None:
    # The real clock: the sync looks at grants made since its last run.
    now = datetime.now(UTC)
    due = now + timedelta(days=30)
    course = await make_course()
    await civil_servant("SO-NV")
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    made = await assignments.do_create_assignment(
        admin,
        AssignmentCreate(
            course_id=course.course_id,
            target=AssignmentTarget(kind="agency", agency="SO-NV"),
            due_at=due,
        ),
    )
    newcomer = await civil_servant("SO-NV", name="Lê Thị Mới")
    assert await enrolment_of(newcomer, course.course_id) is None

    assert await assignments.do_sync_assignments() == 1
    row = await enrolled(newcomer, course.course_id)
    assert row["assignment_id"] == made.id and row["due_at"] == due
    assert newcomer in await inbox("courses.assigned")
    assert await assignments.do_sync_assignments() == 0

    withdrawn = await assignments.do_withdraw_assignment(admin, made.id)
    assert withdrawn.active is False and withdrawn.counts.enrolled == 2
    late = await civil_servant("SO-NV", name="Phạm Văn Muộn")
    await assignments.do_sync_assignments()
    assert await enrolment_of(late, course.course_id) is None
    kept = await enrolled(newcomer, course.course_id)
    assert kept["assignment_id"] == made.id
    # Withdrawing again changes nothing (and is audited once).
    await assignments.do_withdraw_assignment(admin, made.id)
    audited = await sql.fetchval(
        "SELECT count(*) FROM audit_entries WHERE action = 'mooc.assignment.withdraw'"
        " AND object_id = $1",
        str(made.id),
    )
    assert audited == 1


async def test_the_first_sync_of_a_day_looks_at_every_member_again(db: None) -> None:
    course = await make_course()
    member = await civil_servant("SO-DAY")
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    made = await assignments.do_create_assignment(
        admin, create(course.course_id, kind="agency", agency="SO-DAY"), now=NOW
    )
    # An enrolment lost from the assignment (e.g. by hand) is not seen by the increments...
    await sql.execute("DELETE FROM mooc_enrolments WHERE person_id = $1", member)
    assert await assignments.do_sync_assignments(now=NOW + timedelta(minutes=5)) == 0
    # ...but by the day's first full sync.
    assert await assignments.do_sync_assignments(now=NOW + timedelta(days=1)) == 1
    assert (await enrolled(member, course.course_id))["assignment_id"] == made.id


async def test_changing_the_due_date_moves_the_learners_and_tells_those_still_learning(
    db: None,
) -> None:
    course = await make_course(title="Cải cách hành chính")
    learning = await civil_servant("SO-NOIVU")
    done = await civil_servant("SO-NOIVU")
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    made = await assignments.do_create_assignment(
        admin, create(course.course_id, kind="agency", agency="SO-NOIVU"), now=NOW
    )
    await sql.execute(
        "UPDATE mooc_enrolments SET status = 'completed', completed_at = now()"
        " WHERE person_id = $1",
        done,
    )
    new_due = DUE + timedelta(days=14)

    changed = await assignments.do_update_assignment(
        admin,
        made.id,
        AssignmentUpdate(due_at=new_due, remind_days_before=[1, 5, 5]),
        now=NOW,
    )

    assert changed.due_at == new_due and changed.remind_days_before == [5, 1]
    assert changed.overdue_every_days == 7
    for person in (learning, done):
        row = await enrolment_of(person, course.course_id)
        assert row is not None and row["due_at"] == new_due
    assert set(await inbox("courses.due_changed")) == {learning}
    with pytest.raises(AssignmentDueInPast):
        await assignments.do_update_assignment(
            admin, made.id, AssignmentUpdate(due_at=NOW - timedelta(days=1)), now=NOW
        )
    await assignments.do_withdraw_assignment(admin, made.id, now=NOW)
    with pytest.raises(AssignmentWithdrawn):
        await assignments.do_update_assignment(
            admin, made.id, AssignmentUpdate(overdue_every_days=3), now=NOW
        )


async def test_what_cannot_be_assigned_is_refused(db: None) -> None:
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    draft = await make_course(status="draft")
    archived = await make_course(status="archived")
    course = await make_course()
    await civil_servant("SO-KHCN")

    with pytest.raises(CourseNotFound):
        await assignments.do_create_assignment(
            admin, create(uuid.uuid4(), kind="agency", agency="SO-KHCN"), now=NOW
        )
    for closed in (draft, archived):
        with pytest.raises(AssignmentCourseNotPublished):
            await assignments.do_create_assignment(
                admin, create(closed.course_id, kind="agency", agency="SO-KHCN"), now=NOW
            )
    with pytest.raises(AssignmentDueInPast):
        await assignments.do_create_assignment(
            admin, create(course.course_id, kind="agency", agency="SO-KHCN"), now=DUE
        )
    for target in (
        {"kind": "agency", "agency": "NO-SUCH"},
        {"kind": "agency"},
        {"kind": "agency", "agency": "SO-KHCN", "department": "Phòng A"},
        {"kind": "department", "agency": "SO-KHCN"},
        {"kind": "role", "role": "citizen"},
        {"kind": "role", "role": "civil_servant", "agency": "SO-KHCN"},
    ):
        with pytest.raises(AssignmentTargetInvalid):
            await assignments.do_create_assignment(
                admin, create(course.course_id, **target), now=NOW
            )
    with pytest.raises(AssignmentNotFound):
        await assignments.get_assignment(uuid.uuid4())


async def test_assignments_are_listed_newest_first_in_pages(db: None) -> None:
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    await civil_servant("SO-LIST")
    course = await make_course()
    made = [
        await assignments.do_create_assignment(
            admin,
            create(course.course_id, kind="agency", agency="SO-LIST"),
            now=NOW + timedelta(minutes=n),
        )
        for n in range(3)
    ]
    seen = []
    cursor = None
    while True:
        page = await assignments.list_assignments(
            PageRequest(cursor=cursor, limit=2), course_id=course.course_id, now=NOW
        )
        seen += [a.id for a in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [a.id for a in reversed(made)]
    await assignments.do_withdraw_assignment(admin, made[0].id, now=NOW)
    withdrawn = await assignments.list_assignments(
        PageRequest(), course_id=course.course_id, active=False, now=NOW
    )
    assert [a.id for a in withdrawn.items] == [made[0].id]
