"""The mandatory-training and report pages of the console (in process, each person's own
token): a course admin assigns a course from the form, changes the due date, withdraws; a
manager reads their agency's report and its learners, never another agency's; a civil
servant who manages nothing is told so; the menu shows each entry to whom it concerns."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx

from backend.access import Role
from tests.mooc.assignment_fixtures import civil_servant, enrolled, staff
from tests.mooc.factories import make_course
from tests.support.auth import bearer_for

PAGES = "/console/training"
HX = {"HX-Request": "true"}


async def post_form(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], data: dict[str, str]
) -> httpx.Response:
    return await client.post(
        url,
        content=urlencode(data),
        headers=headers | HX | {"Content-Type": "application/x-www-form-urlencoded"},
    )


def day(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


async def test_a_course_admin_assigns_from_the_form_changes_and_withdraws(
    client: httpx.AsyncClient,
) -> None:
    course = await make_course(title="Kỹ năng soạn thảo văn bản")
    learner = await civil_servant("SO-PAGE", department="Văn phòng", name="Đinh Thị Lan")
    admin = await bearer_for(await staff(Role.COURSE_ADMIN))

    page = await client.get(f"{PAGES}/assignments", headers=admin)
    assert page.status_code == 200, page.text
    assert "<h1>Đào tạo bắt buộc</h1>" in page.text
    assert "Kỹ năng soạn thảo văn bản" in page.text  # offered in the form
    assert 'href="/console/training/assignments"' in page.text  # the menu entry
    assert 'href="/console/training/reports"' in page.text

    bad = await post_form(
        client,
        f"{PAGES}/assignments",
        admin,
        {
            "course_id": str(course.course_id),
            "kind": "agency",
            "agency": "SO-PAGE",
            "due_date": day(-2),
            "remind_days": "7, 3, 1",
            "overdue_every": "7",
        },
    )
    assert bad.status_code == 422
    assert "Hạn hoàn thành phải ở tương lai." in bad.text
    wrong_days = await post_form(
        client,
        f"{PAGES}/assignments",
        admin,
        {
            "course_id": str(course.course_id),
            "kind": "agency",
            "agency": "SO-PAGE",
            "due_date": day(20),
            "remind_days": "7, 99",
            "overdue_every": "7",
        },
    )
    assert wrong_days.status_code == 422 and "từ 1 đến 60" in wrong_days.text

    made = await post_form(
        client,
        f"{PAGES}/assignments",
        admin,
        {
            "course_id": str(course.course_id),
            "kind": "department",
            "agency": "SO-PAGE",
            "department": "Văn phòng",
            "due_date": day(20),
            "remind_days": "3, 7",
            "overdue_every": "0",
        },
    )
    assert made.status_code == 204, made.text
    location = made.headers["HX-Redirect"]
    detail = await client.get(location, headers=admin)
    assert detail.status_code == 200
    assert "số người được ghi danh hoặc giao: 1" in detail.text
    assert "7, 3 ngày" in detail.text and "một lần" in detail.text
    row = await enrolled(learner, course.course_id)
    due = row["due_at"].astimezone(UTC)
    assert (due.hour, due.minute) == (16, 59)  # 23:59 in Hà Nội

    assignment = location.split("?")[0].rsplit("/", 1)[1]
    changed = await post_form(
        client,
        f"{PAGES}/assignments/{assignment}",
        admin,
        {"due_date": day(40), "remind_days": "5", "overdue_every": "3"},
    )
    assert changed.status_code == 204, changed.text
    after = await client.get(changed.headers["HX-Redirect"], headers=admin)
    assert "Đã lưu thay đổi" in after.text and "mỗi 3 ngày" in after.text
    assert (await enrolled(learner, course.course_id))["due_at"] > row["due_at"]

    listed = await client.get(f"{PAGES}/assignments", headers=admin)
    assert f'href="/console/training/assignments/{assignment}"' in listed.text

    withdrawn = await post_form(client, f"{PAGES}/assignments/{assignment}/withdrawal", admin, {})
    assert withdrawn.status_code == 204
    gone = await client.get(withdrawn.headers["HX-Redirect"], headers=admin)
    assert "Đã thu hồi" in gone.text and "Thu hồi đợt giao" not in gone.text
    shown = await client.get(f"{PAGES}/assignments", params={"show": "withdrawn"}, headers=admin)
    assert f'href="/console/training/assignments/{assignment}"' in shown.text


async def test_a_manager_reads_their_agency_in_the_report_pages(client: httpx.AsyncClient) -> None:
    course = await make_course(title="Đạo đức công vụ")
    await civil_servant("SO-M1", department="Phòng Tổ chức", name="Ngô Thị Mai")
    await civil_servant("SO-M2", name="Trịnh Văn Xa")
    manager_id = await civil_servant("SO-M1", manager=True, name="Hà Văn Trưởng")
    admin = await bearer_for(await staff(Role.COURSE_ADMIN))
    for code in ("SO-M1", "SO-M2"):
        await client.post(
            "/api/v1/admin/assignments",
            json={
                "course_id": str(course.course_id),
                "target": {"kind": "agency", "agency": code},
                "due_at": (datetime.now(UTC) + timedelta(days=10)).isoformat(),
            },
            headers=admin,
        )
    manager = await bearer_for(manager_id)

    home = await client.get(f"{PAGES}/reports", headers=manager)
    assert home.status_code == 200, home.text
    assert 'href="/console/training/reports"' in home.text  # the menu shows it to a manager
    assert 'href="/console/training/assignments"' not in home.text
    assert f'href="/console/training/reports/{course.course_id}"' in home.text
    assert "Cơ quan SO-M1" in home.text and 'role="img"' in home.text

    report = await client.get(f"{PAGES}/reports/{course.course_id}", headers=manager)
    assert report.status_code == 200, report.text
    assert "Ngô Thị Mai" in report.text and "Hà Văn Trưởng" in report.text
    assert "Trịnh Văn Xa" not in report.text and "Cơ quan SO-M2" not in report.text
    total = re.search(r'data-stat="enrolled">(\d+)<', report.text)
    assert total is not None and total.group(1) == "2"
    assert f"/api/v1/reports/courses/{course.course_id}/export.csv" in report.text
    filtered = await client.get(
        f"{PAGES}/reports/{course.course_id}",
        params={"department": "Phòng Tổ chức", "status": "not_started"},
        headers=manager,
    )
    assert "Ngô Thị Mai" in filtered.text and "Hà Văn Trưởng" not in filtered.text
    assert "export.csv?department=" in filtered.text
    other = await client.get(
        f"{PAGES}/reports/{course.course_id}", params={"agency": "SO-M2"}, headers=manager
    )
    assert other.status_code == 404
    refused = await client.get(f"{PAGES}/assignments", headers=manager)
    assert refused.status_code == 403

    everyone = await client.get(f"{PAGES}/reports/{course.course_id}", headers=admin)
    assert "Trịnh Văn Xa" in everyone.text and "Ngô Thị Mai" in everyone.text


async def test_a_civil_servant_who_manages_nothing_is_told_so(client: httpx.AsyncClient) -> None:
    course = await make_course()
    plain = await bearer_for(await civil_servant("SO-N"))
    page = await client.get(f"{PAGES}/reports", headers=plain)
    assert page.status_code == 200
    assert "Bạn chưa được giao quản lý cơ quan nào" in page.text
    assert 'href="/console/training/reports"' not in page.text  # not in their menu
    detail = await client.get(f"{PAGES}/reports/{course.course_id}", headers=plain)
    assert detail.status_code == 404
