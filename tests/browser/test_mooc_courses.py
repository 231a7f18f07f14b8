"""Courses in a real browser: a course admin creates a course, uploads a short video made by
ffmpeg here into a video lesson (progress bar, then the processing status updating itself
until ready), adds a reading and publishes; a civil servant finds the course in the
catalogue, enrols and sees where to continue; axe on every page on the way."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect

from tests.browser.conftest import (
    CIVIL_SERVANT,
    COURSE_ADMIN,
    Browsing,
    JobWorker,
    check_a11y,
    wait_for,
)
from tests.content.conftest import make_video

EDITOR = re.compile(r"/console/courses/[0-9a-f-]{36}$")
COURSE_PAGE = re.compile(r"/console/learn/courses/[0-9a-f-]{36}$")


async def video_ready(page: Page, worker: JobWorker, timeout: float = 120) -> None:
    status = page.locator(".mooc-video-status").first
    seen: list[str] = []

    async def final() -> bool:
        value = await status.get_attribute("data-status")
        if value and (not seen or seen[-1] != value):
            seen.append(value)
        return value in ("ready", "failed")

    try:
        await wait_for(final, "the lesson video processed", timeout=timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; seen {seen}\n{worker.output()}") from None
    assert seen[-1] == "ready", (seen, worker.output())


async def test_an_author_publishes_a_video_course_and_a_civil_servant_enrols(
    browsing: Browsing, job_worker: JobWorker, tmp_path: Path
) -> None:
    video = make_video(tmp_path / "gioi-thieu.mp4", seconds=3, size="640x360")
    author = await browsing.signed_in(COURSE_ADMIN)
    await (
        author.get_by_role("navigation", name="Trình đơn chính")
        .get_by_role("link", name="Khoá học", exact=True)
        .click()
    )
    await expect(author.get_by_role("heading", level=1)).to_have_text("Khoá học")
    await check_a11y(author, "the course list")
    await author.get_by_label("Mã khoá học").fill("CDS-2026")
    await author.get_by_label("Tên khoá học").fill("Chuyển đổi số cho cán bộ xã")
    await author.get_by_role("button", name="Tạo khoá học").click()
    await author.wait_for_url(EDITOR)
    await expect(author.get_by_role("heading", level=1)).to_have_text("Chuyển đổi số cho cán bộ xã")
    await expect(author.locator("#publish-problems")).to_contain_text(
        "Khoá học chưa có bài học nào."
    )
    await check_a11y(author, "the editor of a new course")

    await author.get_by_label("Phần mới").fill("Nhập môn")
    await author.get_by_role("button", name="Thêm phần").click()
    await expect(author.get_by_label("Phần 1")).to_have_value("Nhập môn")

    adding = author.locator("#add-video")
    await adding.locator("summary").click()
    await adding.get_by_label("Tên bài học").fill("Video giới thiệu")
    await adding.get_by_label("Hoặc tải video mới lên").set_input_files(video)
    await adding.get_by_role("button", name="Thêm bài học").click()
    await expect(author.locator(".mooc-lesson")).to_contain_text("Video giới thiệu")
    await video_ready(author, job_worker)
    await check_a11y(author, "the editor with a processed video")

    reading = author.locator("#add-reading")
    await reading.locator("summary").click()
    await reading.get_by_label("Tên bài học").fill("Đọc: an toàn thông tin")
    await reading.get_by_label("Nội dung").fill("**Không** chia sẻ mật khẩu với người khác.")
    await reading.get_by_role("button", name="Thêm bài học").click()
    await expect(author.locator(".mooc-lesson").nth(1)).to_contain_text("Đọc: an toàn thông tin")
    await expect(author.locator("#publish-problems")).to_have_count(0)
    await author.get_by_role("button", name="Xuất bản phiên bản 1").click()
    await expect(author.get_by_text("Đã xuất bản phiên bản mới.")).to_be_visible()
    await expect(author.get_by_role("button", name="Sửa khoá học (tạo bản nháp)")).to_be_visible()
    await check_a11y(author, "the editor of a published course")

    learner = await browsing.signed_in(CIVIL_SERVANT)
    await (
        learner.get_by_role("navigation", name="Trình đơn chính")
        .get_by_role("link", name="Học tập")
        .click()
    )
    await expect(learner.get_by_role("heading", level=1)).to_have_text("Học tập")
    await learner.get_by_label("Tìm khoá học").fill("chuyen doi so")
    await learner.get_by_role("button", name="Tìm").click()
    await check_a11y(learner, "the learning page")
    await learner.get_by_role("link", name="Chuyển đổi số cho cán bộ xã").click()
    await learner.wait_for_url(COURSE_PAGE)
    await check_a11y(learner, "a course's page before enrolling")
    await learner.get_by_role("button", name="Ghi danh").click()
    continue_link = learner.get_by_role("link", name=re.compile("^Học tiếp"))
    await expect(continue_link).to_have_attribute(
        "href", re.compile(r"^/console/learn/lessons/[0-9a-f-]{36}$")
    )
    await expect(learner.get_by_text("Chưa học").first).to_be_visible()
    await check_a11y(learner, "a course's page once enrolled")
    await learner.get_by_role("link", name="Học tập", exact=True).first.click()
    await expect(learner.locator(".mooc-courses")).to_contain_text("Chuyển đổi số cho cán bộ xã")
    await expect(learner.get_by_label(re.compile("^Tiến độ"))).to_have_attribute("value", "0")
    await check_a11y(learner, "my learning")
