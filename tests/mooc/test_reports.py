"""The completion report against a hand-built set of learners: exact figures per agency and in
total, the drill-down (filters, paging), what a manager sees (their agency only), exports."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from backend.access import Principal, Role
from backend.http.pagination import PageRequest
from mooc import assignments, reports, sql
from mooc.assignment_errors import ReportNotFound
from mooc.assignment_schemas import AssignmentCreate, AssignmentTarget
from mooc.errors import CourseNotFound
from mooc.report_schemas import Figures
from tests.mooc.assignment_fixtures import (
    NOW,
    admin_principal,
    civil_servant,
    manager_principal,
    staff,
)
from tests.mooc.factories import LessonSpec, make_course

DUE = NOW + timedelta(days=30)
LATER = NOW + timedelta(days=40)
"""When the report is read: the assignment's due date has passed."""


@dataclass
class Fixture:
    course_id: uuid.UUID
    people: dict[str, uuid.UUID]
    manager: uuid.UUID


async def learner_state(
    person: uuid.UUID,
    course_id: uuid.UUID,
    *,
    started: bool = False,
    done: int = 0,
    completed: bool = False,
    score: str | None = None,
    due_later: bool = False,
    left: bool = False,
) -> None:
    await sql.execute(
        "UPDATE mooc_enrolments SET started_at = CASE WHEN $3 THEN $8::timestamptz END,"
        " required_done = $4, progress_percent = $4 * 50,"
        " completed_at = CASE WHEN $5 THEN $8::timestamptz + interval '2 days' END,"
        " status = CASE WHEN $7 THEN 'unenrolled' WHEN $5 THEN 'completed' ELSE 'active' END,"
        " best_score = $6::numeric,"
        " due_at = CASE WHEN $9 THEN due_at + interval '60 days' ELSE due_at END,"
        " last_activity_at = CASE WHEN $3 THEN $8::timestamptz END"
        " WHERE person_id = $1 AND course_id = $2",
        person,
        course_id,
        started or completed,
        2 if completed else done,
        completed,
        Decimal(score) if score else None,
        left,
        NOW + timedelta(days=1),
        due_later,
    )


@pytest.fixture
async def fixture(db: None) -> Fixture:
    course = await make_course(LessonSpec(), LessonSpec(kind="quiz"), title="Kỹ năng số")
    people = {
        "a1": await civil_servant("SO-A", department="Phòng 1", name="Nguyễn Thị Ánh"),
        "a2": await civil_servant("SO-A", department="Phòng 1", name="Trần Văn Bình"),
        "a3": await civil_servant("SO-A", department="Phòng 2", name="Lê Thị Cúc"),
        "a4": await civil_servant("SO-A", department="Phòng 2", name="Phạm Văn Dũng"),
        "a5": await civil_servant("SO-A", name="Hoàng Thị Em"),
        "b1": await civil_servant("SO-B", name="Đỗ Văn Phúc"),
        "b2": await civil_servant("SO-B", name="Vũ Thị Giang"),
    }
    manager = await civil_servant("SO-A", manager=True, name="Bùi Văn Quản Lý")
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    for code in ("SO-A", "SO-B"):
        await assignments.do_create_assignment(
            admin,
            AssignmentCreate(
                course_id=course.course_id,
                target=AssignmentTarget(kind="agency", agency=code),
                due_at=DUE,
            ),
            now=NOW,
        )
    c = course.course_id
    await learner_state(people["a1"], c, completed=True, score="80")
    await learner_state(people["a2"], c, started=True, done=1, score="60", due_later=True)
    await learner_state(people["a3"], c)  # not started, overdue
    await learner_state(people["a4"], c, started=True, done=1)  # started, overdue
    await learner_state(people["a5"], c, started=True, left=True)  # left: not counted
    await learner_state(people["b1"], c, completed=True, score="100")
    await learner_state(people["b2"], c, due_later=True)
    # The manager is enrolled too (a member of SO-A): make them complete, no score.
    await learner_state(manager, c, completed=True)
    return Fixture(course_id=c, people=people, manager=manager)


def figures(
    enrolled: int, started: int, completed: int, overdue: int, score: float | None
) -> Figures:
    return Figures(
        enrolled=enrolled,
        started=started,
        completed=completed,
        overdue=overdue,
        completion_rate=round(100 * completed / enrolled, 1),
        average_score=score,
    )


async def test_the_figures_per_agency_and_in_total_are_exact(fixture: Fixture) -> None:
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    report = await reports.get_course_report(admin, fixture.course_id, now=LATER)

    assert report.course_title == "Kỹ năng số"
    by_agency = {a.agency_code: a for a in report.agencies}
    assert list(by_agency) == ["SO-A", "SO-B"]
    assert by_agency["SO-A"].agency_name == "Cơ quan SO-A"
    # SO-A: a1 (completed, 80), a2 (started, 60, due later), a3 (overdue), a4 (started,
    # overdue), the manager (completed, no score); a5 left.
    assert by_agency["SO-A"].figures == figures(5, 4, 2, 2, 70.0)
    assert by_agency["SO-A"].figures.completion_rate == 40.0
    assert by_agency["SO-B"].figures == figures(2, 1, 1, 0, 100.0)
    assert report.total == figures(7, 5, 3, 2, 80.0)
    assert report.total.completion_rate == 42.9

    listed = await reports.list_course_reports(admin, now=LATER)
    mine = next(s for s in listed.items if s.course_id == fixture.course_id)
    assert mine.figures == report.total
    assert listed.agencies is None


async def test_a_manager_sees_only_their_agency(fixture: Fixture) -> None:
    manager = manager_principal(fixture.manager, "SO-A")
    report = await reports.get_course_report(manager, fixture.course_id, now=LATER)
    assert [a.agency_code for a in report.agencies] == ["SO-A"]
    assert report.total == figures(5, 4, 2, 2, 70.0)

    page = await reports.access_learners(
        manager, fixture.course_id, PageRequest(limit=50), now=LATER
    )
    names = [item.full_name for item in page.items]
    assert "Đỗ Văn Phúc" not in names and "Hoàng Thị Em" not in names
    assert len(names) == 5
    with pytest.raises(ReportNotFound):
        await reports.access_learners(
            manager, fixture.course_id, PageRequest(), agency="SO-B", now=LATER
        )
    listed = await reports.list_course_reports(manager, now=LATER)
    assert listed.agencies == ["SO-A"]
    assert next(s for s in listed.items if s.course_id == fixture.course_id).figures.enrolled == 5


async def test_someone_who_manages_nothing_sees_no_report(fixture: Fixture) -> None:
    plain = Principal(
        id=fixture.people["a2"],
        roles=frozenset({"citizen", "civil_servant"}),
        agencies=frozenset({"SO-A"}),
    )
    assert not reports.sees_reports(plain)
    with pytest.raises(ReportNotFound):
        await reports.get_course_report(plain, fixture.course_id, now=LATER)
    with pytest.raises(ReportNotFound):
        await reports.access_learners(plain, fixture.course_id, PageRequest(), now=LATER)
    assert (await reports.list_course_reports(plain, now=LATER)).items == []
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    with pytest.raises(CourseNotFound):
        await reports.get_course_report(admin, uuid.uuid4(), now=LATER)


async def test_the_drill_down_filters_orders_and_pages(fixture: Fixture) -> None:
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    seen: list[str | None] = []
    cursor = None
    while True:
        page = await reports.access_learners(
            admin, fixture.course_id, PageRequest(cursor=cursor, limit=3), now=LATER
        )
        seen += [i.full_name for i in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 7 and len(set(seen)) == 7

    overdue = await reports.access_learners(
        admin, fixture.course_id, PageRequest(), status="overdue", now=LATER
    )
    assert {i.full_name for i in overdue.items} == {"Lê Thị Cúc", "Phạm Văn Dũng"}
    assert all(i.status == "overdue" and i.mandatory for i in overdue.items)
    room = await reports.access_learners(
        admin, fixture.course_id, PageRequest(), department="Phòng 1", now=LATER
    )
    by_name = {i.full_name: i for i in room.items}
    assert set(by_name) == {"Nguyễn Thị Ánh", "Trần Văn Bình"}
    assert by_name["Nguyễn Thị Ánh"].status == "completed"
    assert by_name["Nguyễn Thị Ánh"].best_score == 80.0
    assert by_name["Trần Văn Bình"].status == "in_progress"
    assert by_name["Trần Văn Bình"].progress_percent == 50
    audited = await sql.fetchval(
        "SELECT count(*) FROM audit_entries WHERE action = 'mooc.report.learners'"
        " AND object_id = $1",
        str(fixture.course_id),
    )
    assert audited >= 5


async def test_the_drill_down_order_is_agency_department_then_progress(fixture: Fixture) -> None:
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    page = await reports.access_learners(
        admin, fixture.course_id, PageRequest(limit=100), now=LATER
    )
    keys = [(i.agency_code, i.department or "", i.progress_percent) for i in page.items]
    assert keys == sorted(keys)
    assert keys[0] == ("SO-A", "", 100)  # the manager, no department


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_the_export_holds_every_learner_in_scope_and_is_audited(
    fixture: Fixture, tmp_path: Path, fmt: str
) -> None:
    manager = manager_principal(fixture.manager, "SO-A")
    path = tmp_path / f"report.{fmt}"
    await reports.export_learners(manager, fixture.course_id, fmt, path, now=LATER)  # type: ignore[arg-type]  # fmt is csv or xlsx
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    else:
        book = CalamineWorkbook.from_path(str(path))
        assert book.sheet_names == ["Học viên", "Tổng hợp"]
        rows = [[str(c) for c in r] for r in book.get_sheet_by_name("Học viên").to_python()]
        summary = book.get_sheet_by_name("Tổng hợp").to_python()
        assert summary[2][:6] == ["SO-A", "Cơ quan SO-A", 5, 4, 2, 2]
    assert rows[0][:5] == ["Mã cơ quan", "Cơ quan", "Phòng, ban", "Họ và tên", "Trạng thái"]
    names = {r[3]: r for r in rows[1:]}
    assert set(names) == {
        "Nguyễn Thị Ánh",
        "Trần Văn Bình",
        "Lê Thị Cúc",
        "Phạm Văn Dũng",
        "Bùi Văn Quản Lý",
    }
    assert names["Lê Thị Cúc"][4] == "Quá hạn"
    assert names["Nguyễn Thị Ánh"][4] == "Đã hoàn thành"
    assert names["Lê Thị Cúc"][9] == "03/04/2030 09:00"
    entry = await sql.fetchrow(
        "SELECT actor_id, details FROM audit_entries WHERE action = 'mooc.report.export'"
        " AND object_id = $1 ORDER BY id DESC LIMIT 1",
        str(fixture.course_id),
    )
    assert entry["actor_id"] == str(fixture.manager)
    assert '"rows": 5' in entry["details"] and f'"format": "{fmt}"' in entry["details"]


async def test_the_overdue_count_of_the_home_page_follows_the_scope(fixture: Fixture) -> None:
    admin = admin_principal(await staff(Role.COURSE_ADMIN))
    manager = manager_principal(fixture.manager, "SO-A")
    other = manager_principal(fixture.manager, "SO-B")
    assert await reports.count_overdue(admin, now=LATER) >= 2
    assert await reports.count_overdue(manager, now=LATER) == 2
    assert await reports.count_overdue(other, now=LATER) == 0
    assert await reports.count_overdue(manager, now=NOW) == 0  # nothing due yet
