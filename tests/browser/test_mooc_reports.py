"""Mandatory training and its report in a real browser. The demo course admin assigns a
course to Sở Nội vụ from the assignments page; one learner completes it. The demo manager of
Sở Nội vụ (Phạm Minh Đức, the manager flag on his civil servant grant) finds "Báo cáo đào
tạo" in his menu, opens the course's report, reads the completion figures and a learner in
the drill-down, filters it, and downloads the CSV, whose rows are his agency's only. axe on
every page."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

from playwright.async_api import expect

from backend.access import Role
from backend.db import unit_of_work
from backend.identity.service import do_grant_role, do_provision_person
from mooc import sql
from tests.browser.conftest import CIVIL_SERVANT, COURSE_ADMIN, Browsing, check_a11y
from tests.mooc.factories import LessonSpec, make_course

MANAGER = CIVIL_SERVANT  # Phạm Minh Đức, Sở Nội vụ


async def query(statement: str, *args: Any) -> Any:
    async with unit_of_work():
        return await sql.fetchrow(statement, *args)


async def setup() -> uuid.UUID:
    """A published course; two more civil servants of Sở Nội vụ, one of another agency; the
    demo civil servant made Sở Nội vụ's manager."""
    async with unit_of_work():
        course = await make_course(
            LessonSpec(), LessonSpec(kind="reading"), title="An toàn thông tin cơ bản"
        )
        for personal_id, name, agency, department in (
            ("019190095001", "Lương Thị Hồng", "SO-NOIVU", "Phòng Công chức, viên chức"),
            ("019185095002", "Chu Văn Khải", "SO-NOIVU", "Phòng Xây dựng chính quyền"),
            ("019185095003", "Mã Văn Ngoài", "UBND-05569", None),
        ):
            person = await do_provision_person(personal_id, name)
            await do_grant_role(
                person.id,
                Role.CIVIL_SERVANT,
                granted_by=None,
                reason="browser test",
                agency=agency,
                department=department,
            )
        manager = await sql.fetchval("SELECT id FROM persons WHERE personal_id = $1", MANAGER)
        await do_grant_role(
            manager,
            Role.CIVIL_SERVANT,
            granted_by=None,
            reason="browser test",
            agency="SO-NOIVU",
            department="Phòng Công chức, viên chức",
            manager=True,
        )
    return course.course_id


async def test_a_manager_reads_the_completion_of_their_agency_and_downloads_it(
    browsing: Browsing,
) -> None:
    course_id = await setup()

    # The course admin assigns the course to Sở Nội vụ from the form.
    admin = await browsing.signed_in(COURSE_ADMIN, to="/console/training/assignments")
    await expect(admin.get_by_role("heading", level=1)).to_have_text("Đào tạo bắt buộc")
    await check_a11y(admin, "assignments")
    form = admin.locator("#assignment-form")
    await form.get_by_label("Khoá học").select_option(str(course_id))
    await form.get_by_label("Giao cho").select_option("agency")
    await form.get_by_label("Cơ quan", exact=True).select_option("SO-NOIVU")
    due = (date.today() + timedelta(days=20)).isoformat()
    await form.get_by_label("Hạn hoàn thành (hết ngày)").fill(due)
    await form.get_by_role("button", name="Giao khoá học").click()
    await expect(admin.get_by_role("status").filter(has_text="Đã giao khoá học")).to_be_visible()
    counts = admin.locator("#assignment-counts")
    await expect(counts).to_contain_text("Ghi danh")
    await check_a11y(admin, "an assignment")

    # Lương Thị Hồng completes it (as the progress part records a completion).
    await query(
        "UPDATE mooc_enrolments SET status = 'completed', completed_at = now(),"
        " started_at = now(), required_done = 2, progress_percent = 100, best_score = 90"
        " WHERE course_id = $1 AND person_id ="
        " (SELECT id FROM persons WHERE personal_id = '019190095001') RETURNING id",
        course_id,
    )

    # The manager finds the reports in his menu.
    page = await browsing.signed_in(MANAGER)
    menu = page.get_by_role("navigation", name="Trình đơn chính")
    await expect(menu.get_by_role("link", name="Đào tạo bắt buộc")).to_have_count(0)
    await menu.get_by_role("link", name="Báo cáo đào tạo").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Báo cáo đào tạo")
    await expect(page.locator(".note")).to_contain_text("Sở Nội vụ tỉnh Thái Nguyên")
    await expect(page.get_by_role("img", name="Tỷ lệ hoàn thành theo khoá học")).to_be_visible()
    await check_a11y(page, "reports")
    await page.get_by_role("link", name="An toàn thông tin cơ bản").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("An toàn thông tin cơ bản")
    # Sở Nội vụ's members: the two added here, the manager, and the demo course admin.
    enrolled = int(await page.locator('[data-stat="enrolled"]').inner_text())
    assert enrolled >= 3
    await expect(page.locator('[data-stat="completed"]')).to_have_text("1")
    await expect(page.locator("#agency-figures")).to_contain_text("Sở Nội vụ tỉnh Thái Nguyên")
    await expect(page.locator("#agency-figures")).not_to_contain_text("UBND xã Định Hóa")
    learners = page.locator("#learners")
    await expect(learners).to_contain_text("Lương Thị Hồng")
    await expect(learners).to_contain_text("Đã hoàn thành")
    await expect(learners).not_to_contain_text("Mã Văn Ngoài")
    await check_a11y(page, "a course's report")

    # Only the not started, then the CSV of what the filter shows.
    await page.get_by_label("Tình trạng").select_option("not_started")
    await page.get_by_role("button", name="Lọc").click()
    await expect(learners).to_contain_text("Chu Văn Khải")
    await expect(learners).not_to_contain_text("Lương Thị Hồng")
    async with page.expect_download() as started:
        await page.get_by_role("link", name="Tải danh sách (CSV)").click()
    download = await started.value
    path = await download.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0][3] == "Họ và tên"
    names = {row[3] for row in rows[1:]}
    assert "Chu Văn Khải" in names
    assert "Lương Thị Hồng" not in names and "Mã Văn Ngoài" not in names
    assert {row[4] for row in rows[1:]} == {"Chưa bắt đầu"}
    audited = await query(
        "SELECT count(*) AS n FROM audit_entries WHERE action = 'mooc.report.export'"
        " AND object_id = $1",
        str(course_id),
    )
    assert audited["n"] == 1
