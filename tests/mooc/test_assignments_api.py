"""Mandatory training and the reports over HTTP: what a course admin, a manager, a civil
servant who manages nothing and a citizen get, and the problems bad input answers."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from python_calamine import CalamineWorkbook

from backend.access import Role
from tests.mooc.assignment_fixtures import civil_servant, enrolled, staff
from tests.mooc.factories import make_course
from tests.support.auth import auth_headers, bearer_for

API = "/api/v1/admin/assignments"
REPORTS = "/api/v1/reports/courses"


def due(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def test_a_course_admin_assigns_changes_and_withdraws_over_http(
    client: httpx.AsyncClient,
) -> None:
    course = await make_course(title="Chuyển đổi số")
    learner = await civil_servant("SO-HTTP", department="Văn phòng")
    admin = await bearer_for(await staff(Role.COURSE_ADMIN))

    made = await client.post(
        API,
        json={
            "course_id": str(course.course_id),
            "target": {"kind": "department", "agency": "SO-HTTP", "department": "Văn phòng"},
            "due_at": due(),
            "remind_days_before": [3, 7],
        },
        headers=admin,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["newly_enrolled"] == 1 and body["counts"]["enrolled"] == 1
    assert body["remind_days_before"] == [7, 3] and body["overdue_every_days"] == 7
    assert body["course_title"] == "Chuyển đổi số" and body["active"] is True
    assignment = body["id"]

    listed = await client.get(API, params={"course_id": str(course.course_id)}, headers=admin)
    assert [a["id"] for a in listed.json()["items"]] == [assignment]

    new_due = due(45)
    changed = await client.patch(f"{API}/{assignment}", json={"due_at": new_due}, headers=admin)
    assert changed.status_code == 200, changed.text
    row = await enrolled(learner, course.course_id)
    assert row["due_at"] == datetime.fromisoformat(new_due)

    withdrawn = await client.delete(f"{API}/{assignment}", headers=admin)
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
    again = await client.patch(f"{API}/{assignment}", json={"due_at": due(50)}, headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "mooc_assignment_withdrawn"
    read = await client.get(f"{API}/{assignment}", headers=admin)
    assert read.json()["counts"]["enrolled"] == 1  # the enrolment stays
    missing = await client.get(f"{API}/{uuid.uuid4()}", headers=admin)
    assert missing.status_code == 404 and missing.json()["code"] == "mooc_assignment_not_found"


async def test_bad_assignments_answer_problems_with_stable_codes(
    client: httpx.AsyncClient,
) -> None:
    course = await make_course()
    draft = await make_course(status="draft")
    await civil_servant("SO-BAD")
    admin = await bearer_for(await staff(Role.COURSE_ADMIN))

    async def post(**body: object) -> httpx.Response:
        data = {
            "course_id": str(course.course_id),
            "target": {"kind": "agency", "agency": "SO-BAD"},
            "due_at": due(),
            **body,
        }
        return await client.post(API, json=data, headers=admin)

    past = await post(due_at=due(-1))
    assert past.status_code == 422 and past.json()["code"] == "mooc_assignment_due_past"
    closed = await post(course_id=str(draft.course_id))
    assert closed.status_code == 409
    assert closed.json()["code"] == "mooc_assignment_course_not_published"
    unknown = await post(course_id=str(uuid.uuid4()))
    assert unknown.status_code == 404 and unknown.json()["code"] == "mooc_course_not_found"
    target = await post(target={"kind": "department", "agency": "SO-BAD"})
    assert target.status_code == 422
    assert target.json()["code"] == "mooc_assignment_target_invalid"
    for bad in (
        {"remind_days_before": [0]},
        {"remind_days_before": [1, 2, 3, 4, 5, 6]},
        {"overdue_every_days": 91},
        {"due_at": "2030-01-01T00:00:00"},  # no time zone
        {"target": {"kind": "team", "agency": "SO-BAD"}},
        {"surprise": 1},
    ):
        answer = await post(**bad)
        assert answer.status_code in (400, 422), (bad, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    vi = await client.post(
        API,
        json={
            "course_id": str(course.course_id),
            "target": {"kind": "agency", "agency": "SO-BAD"},
            "due_at": due(-1),
        },
        headers={**admin, "Accept-Language": "vi"},
    )
    assert "tương lai" in vi.json()["detail"]


async def test_a_manager_reads_their_agency_only_and_exports_it(
    client: httpx.AsyncClient,
) -> None:
    course = await make_course(title="Văn hoá công sở")
    mine = await civil_servant("SO-MINE", department="Phòng 1", name="Nguyễn Thị Hoa")
    theirs = await civil_servant("SO-THEIRS", name="Trần Văn Khác")
    manager_id = await civil_servant("SO-MINE", manager=True, name="Lê Văn Quản")
    admin = await bearer_for(await staff(Role.COURSE_ADMIN))
    for code in ("SO-MINE", "SO-THEIRS"):
        made = await client.post(
            API,
            json={
                "course_id": str(course.course_id),
                "target": {"kind": "agency", "agency": code},
                "due_at": due(),
            },
            headers=admin,
        )
        assert made.status_code == 201
    manager = await bearer_for(manager_id)

    listed = await client.get(REPORTS, headers=manager)
    assert listed.status_code == 200 and listed.json()["agencies"] == ["SO-MINE"]
    report = await client.get(f"{REPORTS}/{course.course_id}", headers=manager)
    assert report.status_code == 200, report.text
    assert [a["agency_code"] for a in report.json()["agencies"]] == ["SO-MINE"]
    assert report.json()["total"]["enrolled"] == 2
    learners = await client.get(f"{REPORTS}/{course.course_id}/learners", headers=manager)
    names = {i["full_name"] for i in learners.json()["items"]}
    assert names == {"Nguyễn Thị Hoa", "Lê Văn Quản"}
    other = await client.get(
        f"{REPORTS}/{course.course_id}/learners", params={"agency": "SO-THEIRS"}, headers=manager
    )
    assert other.status_code == 404 and other.json()["code"] == "mooc_report_not_found"
    exported = await client.get(f"{REPORTS}/{course.course_id}/export.csv", headers=manager)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert {r[3] for r in rows[1:]} == {"Nguyễn Thị Hoa", "Lê Văn Quản"}
    xlsx = await client.get(f"{REPORTS}/{course.course_id}/export.xlsx", headers=manager)
    assert xlsx.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content))
    sheet = book.get_sheet_by_name("Học viên").to_python()
    assert {r[3] for r in sheet[1:]} == {"Nguyễn Thị Hoa", "Lê Văn Quản"}

    everyone = await client.get(f"{REPORTS}/{course.course_id}", headers=admin)
    assert [a["agency_code"] for a in everyone.json()["agencies"]] == ["SO-MINE", "SO-THEIRS"]
    assert mine != theirs


async def test_who_may_not_read_reports_or_assign(client: httpx.AsyncClient) -> None:
    course = await make_course()
    plain = await bearer_for(await civil_servant("SO-PLAIN"))
    citizen = await auth_headers()

    report = await client.get(f"{REPORTS}/{course.course_id}", headers=plain)
    assert report.status_code == 404 and report.json()["code"] == "mooc_report_not_found"
    assert (await client.get(REPORTS, headers=plain)).json()["items"] == []
    assert (await client.get(REPORTS, headers=citizen)).status_code == 403
    assert (await client.get(API, headers=plain)).status_code == 403
    refused = await client.post(
        API,
        json={
            "course_id": str(course.course_id),
            "target": {"kind": "agency", "agency": "SO-PLAIN"},
            "due_at": due(),
        },
        headers=plain,
    )
    assert refused.status_code == 403
    assert (await client.get(REPORTS)).status_code == 401
