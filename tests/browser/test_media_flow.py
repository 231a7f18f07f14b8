"""The media library in a real browser: a course admin uploads a short video made by ffmpeg
here, watches the processing status update itself until ready, and the preview plays; an
image dropped on the upload box; the library's filters in the URL."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from PIL import Image
from playwright.async_api import Page, expect

from tests.browser.conftest import COURSE_ADMIN, Browsing, JobWorker, check_a11y, wait_for
from tests.content.conftest import make_video

ASSET_PAGE = re.compile(r"/console/media/[0-9a-f-]{36}$")


async def status_of(page: Page) -> str | None:
    return await page.locator("#media-status").get_attribute("data-status")


async def wait_until_final(page: Page, worker: JobWorker, timeout: float = 90) -> list[str]:
    """The statuses the page showed, polling itself (no reload), until ready or failed."""
    seen: list[str] = []

    async def final() -> bool:
        status = await status_of(page)
        if status and (not seen or seen[-1] != status):
            seen.append(status)
        return status in ("ready", "failed")

    try:
        await wait_for(final, "a final status", timeout=timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; seen {seen}\n{worker.output()}") from None
    return seen


async def test_a_course_video_is_uploaded_processed_and_its_preview_plays(
    browsing: Browsing, job_worker: JobWorker, tmp_path: Path
) -> None:
    video = make_video(tmp_path / "bai-giang-1.mp4", seconds=3, size="320x240")
    page = await browsing.signed_in(COURSE_ADMIN)
    await (
        page.get_by_role("navigation", name="Trình đơn chính")
        .get_by_role("link", name="Thư viện media")
        .click()
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("Thư viện media")
    await page.get_by_role("link", name="Tải tệp lên").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Tải tệp lên")
    await check_a11y(page, "the upload page")

    await page.get_by_label("Mục đích").select_option("course_video")
    await page.get_by_label("Chọn tệp, hoặc kéo và thả tệp vào khung này").set_input_files(video)
    await expect(page.locator("#media-chosen")).to_contain_text("bai-giang-1.mp4")
    await page.get_by_role("button", name="Tải lên").click()

    await page.wait_for_url(ASSET_PAGE)
    await expect(page.get_by_role("heading", level=1)).to_have_text("bai-giang-1.mp4")
    first = await status_of(page)
    assert first in ("uploaded", "processing", "ready"), first
    if first != "ready":
        await check_a11y(page, "the asset page while processing")
    seen = await wait_until_final(page, job_worker)
    assert seen[-1] == "ready", seen
    await expect(page.locator("#media-status")).to_contain_text("Sẵn sàng")

    preview = page.locator("video#media-preview")
    await expect(preview).to_be_visible()
    await page.wait_for_function("document.querySelector('video#media-preview').readyState >= 2")
    # Muted, so that Chromium's autoplay policy lets the page start it.
    await preview.evaluate("v => { v.muted = true; return v.play(); }")

    async def advanced() -> bool:
        return bool(await preview.evaluate("v => v.currentTime > 0.5 && !v.error"))

    await wait_for(advanced, "the preview playing (currentTime advancing)", timeout=15)
    await check_a11y(page, "the asset page, ready")

    # The library lists it; its filters are in the URL and the back button undoes them.
    await page.get_by_role("link", name="Thư viện media").first.click()
    await expect(page.get_by_role("rowheader", name="bai-giang-1.mp4")).to_be_visible()
    await page.get_by_label("Mục đích").select_option("course_image")
    await page.get_by_role("button", name="Lọc").click()
    await page.wait_for_url(re.compile(r"purpose=course_image"))
    await expect(page.get_by_text("Không có tệp nào khớp bộ lọc.")).to_be_visible()
    await page.get_by_label("Mục đích").select_option("course_video")
    await page.get_by_label("Trạng thái").select_option("ready")
    await page.get_by_role("button", name="Lọc").click()
    await page.wait_for_url(re.compile(r"purpose=course_video.*status=ready"))
    await expect(page.get_by_role("rowheader", name="bai-giang-1.mp4")).to_be_visible()
    await check_a11y(page, "the filtered library")
    await page.go_back()
    await page.wait_for_url(re.compile(r"purpose=course_image"))
    await expect(page.get_by_text("Không có tệp nào khớp bộ lọc.")).to_be_visible()


async def test_an_image_dropped_on_the_upload_box_is_uploaded(
    browsing: Browsing, job_worker: JobWorker
) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 200)).save(picture, "PNG")
    page = await browsing.signed_in(COURSE_ADMIN, to="/console/media/upload")
    await page.get_by_label("Mục đích").select_option("course_image")

    # What the browser hands the page when a file is dragged from the desktop and dropped.
    transfer = await page.evaluate_handle(
        """([name, data]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: "image/png" }));
            return transfer;
        }""",
        ["anh-khoa-hoc.png", base64.b64encode(picture.getvalue()).decode()],
    )
    drop = page.locator("#media-drop")
    await drop.dispatch_event("dragenter", {"dataTransfer": transfer})
    await drop.dispatch_event("drop", {"dataTransfer": transfer})
    await expect(page.locator("#media-chosen")).to_contain_text("anh-khoa-hoc.png")
    await page.get_by_role("button", name="Tải lên").click()

    await page.wait_for_url(ASSET_PAGE)
    seen = await wait_until_final(page, job_worker)
    assert seen[-1] == "ready", seen
    image = page.locator("img#media-preview")
    await expect(image).to_be_visible()
    await page.wait_for_function(
        "document.querySelector('img#media-preview').complete"
        " && document.querySelector('img#media-preview').naturalWidth > 0"
    )
    await check_a11y(page, "an image's page")
