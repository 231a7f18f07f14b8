"""The video lesson in a real browser: a short video made by ffmpeg goes through content's
pipeline (uploaded through the media API, transcoded by `ctn worker`) and becomes a course's
only lesson. The demo civil servant plays it in the lesson page until the page's own
heartbeats complete it (real playback in Chromium, the MP4 rendition), the course completes
and the certificate's PDF, downloaded from the certificates page, shows their name with its
diacritics. A second learner who seeks to the end and plays the last half second does not
complete it (this one plays the MP4 rendition, as browsers without native HLS do). axe on
each page."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import httpx
import pypdf
from playwright.async_api import Page, expect

from backend.db import unit_of_work
from mooc import sql
from tests.browser.conftest import (
    CIVIL_SERVANT,
    COURSE_ADMIN,
    Browsing,
    Console,
    JobWorker,
    check_a11y,
    wait_for,
)
from tests.content.conftest import make_video
from tests.mooc.factories import LessonSpec, enrol, make_course

SECOND_LEARNER = "019191012222"  # Đỗ Thu Hà, civil servant of a commune


async def query(statement: str, *args: Any) -> Any:
    async with unit_of_work():
        return await sql.fetchrow(statement, *args)


async def person(personal_id: str) -> uuid.UUID:
    row = await query("SELECT id FROM persons WHERE personal_id = $1", personal_id)
    return uuid.UUID(str(row["id"]))


async def processed_video(
    browsing: Browsing, console: Console, worker: JobWorker, tmp_path: Path
) -> dict[str, Any]:
    """A 6-second video uploaded by the demo course admin (signed in, through the media API as
    the console's upload page sends it) and transcoded: its asset."""
    video = make_video(tmp_path / "bai-giang-so.mp4", seconds=6, size="320x240")
    admin = await browsing.signed_in(COURSE_ADMIN)
    cookies = {c["name"]: c["value"] for c in await admin.context.cookies()}
    headers = {"X-CSRF-Token": cookies["ctn_csrf"]}
    async with httpx.AsyncClient(base_url=console.url, timeout=60, cookies=cookies) as http:
        uploaded = await http.post(
            "/api/v1/media",
            params={"purpose": "course_video"},
            content=video.read_bytes(),
            headers={
                **headers,
                "Content-Type": "video/mp4",
                "Content-Disposition": 'attachment; filename="bai-giang-so.mp4"',
            },
        )
        assert uploaded.status_code in (201, 202), uploaded.text
        asset_id = uploaded.json()["id"]
        asset: dict[str, Any] = {}

        async def ready() -> bool:
            nonlocal asset
            asset = (await http.get(f"/api/v1/media/{asset_id}", headers=headers)).json()
            assert asset["status"] != "failed", asset
            return bool(asset["status"] == "ready")

        try:
            await wait_for(ready, "the video transcoded", timeout=120)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{worker.output()}") from None
    assert any(r["mime"] == "video/mp4" for r in asset["renditions"]), asset
    return asset


async def play(page: Page) -> None:
    """Start the player as a person would (muted: Chromium's autoplay rule for scripts)."""
    player = page.locator("video#mooc-video")
    await expect(player).to_be_visible()

    async def loaded() -> bool:
        return bool(await player.evaluate("v => v.readyState >= 1"))

    await wait_for(loaded, "the video's metadata loaded", timeout=15)
    await player.evaluate("v => { v.muted = true; return v.play(); }")


async def test_a_learner_watches_a_video_lesson_to_completion_and_a_seek_does_not_complete(
    browsing: Browsing, console: Console, job_worker: JobWorker, tmp_path: Path
) -> None:
    asset = await processed_video(browsing, console, job_worker, tmp_path)
    duration_ms = round(float(asset["duration_seconds"]) * 1000)
    async with unit_of_work():
        course = await make_course(
            LessonSpec(
                kind="video",
                title="Chữ ký số trong văn bản hành chính",
                asset_id=uuid.UUID(asset["id"]),
                duration_ms=duration_ms,
            ),
            title="Kỹ năng số cơ bản",
        )
        first = await enrol(await person(CIVIL_SERVANT), course)
        second = await enrol(await person(SECOND_LEARNER), course)
    lesson = course.lesson_ids[0]

    # The first learner plays the whole video; the page's heartbeats complete it.
    page = await browsing.signed_in(CIVIL_SERVANT, to=f"/console/learn/lessons/{lesson}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Chữ ký số trong văn bản hành chính"
    )
    # HLS where the browser plays it itself (Safari, and Chromium builds with native HLS);
    # elsewhere the MP4 rendition.
    source, native_hls = await page.locator("video#mooc-video").evaluate(
        "v => [v.currentSrc, v.canPlayType('application/vnd.apple.mpegurl')]"
    )
    assert source.endswith("master.m3u8") if native_hls else ".mp4" in source, source
    await check_a11y(page, "the video lesson")
    await play(page)
    await expect(page.locator("[data-done-region]")).to_contain_text(
        "hoàn thành khoá học", timeout=30_000
    )
    await expect(page.locator("#lesson-progress")).to_have_attribute("value", "100")
    row = await query(
        "SELECT watched_ms, completed_at FROM mooc_lesson_progress WHERE enrolment_id = $1",
        first,
    )
    assert row["completed_at"] is not None
    assert row["watched_ms"] >= duration_ms * 0.9
    enrolment = await query("SELECT status FROM mooc_enrolments WHERE id = $1", first)
    assert enrolment["status"] == "completed"
    await check_a11y(page, "the video lesson, completed")

    # The certificate, downloaded from the certificates page: the name with its diacritics.
    await page.get_by_role("link", name="Chứng chỉ của tôi").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Chứng chỉ của tôi")
    await expect(page.get_by_role("heading", level=2)).to_have_text("Kỹ năng số cơ bản")
    await check_a11y(page, "the certificates page")
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Tải PDF").click()
    download = await downloading.value
    path = await download.path()
    text = pypdf.PdfReader(io.BytesIO(Path(path).read_bytes())).pages[0].extract_text()
    assert "Phạm Minh Đức" in text and "Kỹ năng số cơ bản" in text

    # The public verification page, from the certificates page's link.
    await page.get_by_role("link", name="Trang xác thực").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Xác thực chứng chỉ")
    await expect(page.get_by_text("Chứng chỉ hợp lệ")).to_be_visible()
    await expect(page.get_by_text("Phạm Minh Đức")).to_be_visible()
    await check_a11y(page, "the verification page")

    # The second learner seeks to the end and plays the last half second: not complete.
    # This one plays the MP4 rendition (as a browser without native HLS does).
    other = await browsing.signed_in(SECOND_LEARNER, to=f"/console/learn/lessons/{lesson}")
    await other.locator("video#mooc-video").evaluate(
        "v => { v.querySelectorAll('source[type*=mpegurl]').forEach(s => s.remove()); v.load(); }"
    )
    await play(other)
    source = await other.locator("video#mooc-video").evaluate("v => v.currentSrc")
    assert ".mp4" in source, source
    await other.locator("video#mooc-video").evaluate(
        "v => { v.currentTime = Math.max(0, v.duration - 0.5); }"
    )

    async def ended() -> bool:
        return bool(await other.locator("video#mooc-video").evaluate("v => v.ended"))

    await wait_for(ended, "the video played to its end after the seek", timeout=15)

    async def beat_recorded() -> bool:
        found = await query(
            "SELECT watched_ms, position_ms FROM mooc_lesson_progress WHERE enrolment_id = $1",
            second,
        )
        return found is not None and found["position_ms"] >= duration_ms - 1000

    await wait_for(beat_recorded, "the page's beat at the end", timeout=15)
    row = await query(
        "SELECT watched_ms, completed_at FROM mooc_lesson_progress WHERE enrolment_id = $1",
        second,
    )
    assert row["completed_at"] is None
    assert row["watched_ms"] < duration_ms * 0.5, row["watched_ms"]
    await expect(other.locator("[data-done-region]")).to_have_text("")
    assert int(await other.locator("#lesson-progress").get_attribute("value") or "0") < 50
    enrolment = await query(
        "SELECT status, completed_at FROM mooc_enrolments WHERE id = $1", second
    )
    assert enrolment["status"] == "active" and enrolment["completed_at"] is None


async def test_a_reading_lesson_is_read_and_marked_done(browsing: Browsing) -> None:
    async with unit_of_work():
        course = await make_course(
            LessonSpec(
                kind="reading",
                title="Quy chế sử dụng chữ ký số",
                body_html="<h2>Phạm vi</h2><p>Quy chế áp dụng cho cán bộ, công chức.</p>",
            ),
            LessonSpec(kind="reading", title="Bài đọc thêm", required=False),
            title="Văn bản điện tử",
            reading_min_seconds=0,
        )
        enrolment = await enrol(await person(CIVIL_SERVANT), course)
    lesson = course.lesson_ids[0]
    page = await browsing.signed_in(CIVIL_SERVANT, to=f"/console/learn/lessons/{lesson}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Quy chế sử dụng chữ ký số")
    await expect(page.get_by_role("heading", level=2, name="Phạm vi")).to_be_visible()
    await check_a11y(page, "the reading lesson")
    await page.get_by_role("button", name="Tôi đã đọc xong").click()
    await expect(page.locator("[data-done-region]")).to_contain_text(
        "Bạn đã hoàn thành bài học này."
    )
    await expect(page.get_by_role("button", name="Tôi đã đọc xong")).to_have_count(0)
    await expect(page.get_by_role("link", name="Chứng chỉ của tôi")).to_be_visible()
    await check_a11y(page, "the reading lesson, done")
    row = await query("SELECT status FROM mooc_enrolments WHERE id = $1", enrolment)
    assert row["status"] == "completed"
    # The next lesson is one link away.
    await page.get_by_role("link", name="Bài tiếp theo ›").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bài đọc thêm")

    # Leaving a page sends its visible open time (fetch keepalive on pagehide).
    async def open_time_recorded() -> bool:
        found = await query(
            "SELECT watched_ms FROM mooc_lesson_progress WHERE enrolment_id = $1"
            " AND lesson_id = $2",
            enrolment,
            lesson,
        )
        return found is not None and found["watched_ms"] > 0

    await wait_for(open_time_recorded, "the reading page's open time sent on leaving", timeout=10)
