"""Crime reports in a real browser: a citizen files an anonymous report with a photo through
the API (as the app does: proof of work, the receipt, the file sent with the receipt); it
appears in the queue of the police unit of its commune, where an officer opens it (the photo
shown, the place on the map), triages it, takes it and replies with a file; the reporter
reads the reply with the receipt; a supervisor still looking at the old version is told
clearly that it changed; an officer of another unit gets the 404 page. axe checks every
page on the way, the statistics and duty pages included."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.async_api import Page, expect

from backend.tips.challenge import solve
from tests.browser.conftest import (
    POLICE_OFFICER,
    POLICE_SUPERVISOR,
    Browsing,
    Console,
    check_a11y,
    no_horizontal_scroll,
)
from tests.tips.conftest import photo_with_gps, report

OTHER_UNIT_OFFICER = "019193023333"  # Đinh Thị Mai, Công an xã Định Hóa
COMMUNE = "05443"  # Phường Phan Đình Phùng: Công an phường Phan Đình Phùng's
REPORT_PAGE = re.compile(r"/console/tips/(?P<id>[0-9a-f-]{36})$")
REPLY = "Cảm ơn bạn đã báo tin. Bạn có nhớ biển số chiếc xe máy đỏ không?"


async def file_anonymous_report(console: Console) -> dict[str, Any]:
    """The app: a challenge solved, the report sent without any account, then the photo
    (GPS and camera in its EXIF) with the receipt in a header."""
    async with httpx.AsyncClient(base_url=console.url, timeout=30) as phone:
        issued = (await phone.get("/api/v1/tips/challenge")).json()
        body = report()
        body["place"]["commune_code"] = COMMUNE
        body["proof"] = {
            "challenge": issued["challenge"],
            "nonce": solve(issued["challenge"], issued["difficulty"]),
        }
        answer = await phone.post("/api/v1/tips", json=body)
        assert answer.status_code == 201, answer.text
        filed = dict(answer.json())
        uploaded = await phone.post(
            "/api/v1/tips/anonymous/attachments",
            headers={"X-Tip-Receipt": filed["receipt"]},
            files={"file": ("IMG_0412.jpg", photo_with_gps(), "image/jpeg")},
        )
        assert uploaded.status_code == 201, uploaded.text
    return filed


async def reporter_reads(console: Console, receipt: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=console.url, timeout=30) as phone:
        seen = await phone.get("/api/v1/tips/anonymous", headers={"X-Tip-Receipt": receipt})
        assert seen.status_code == 200, seen.text
        return dict(seen.json())


def reply_file(tmp_path: Path) -> Path:
    path = tmp_path / "so-do-hien-truong.png"
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (30, 90, 160)).save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


async def image_loaded(page: Page, selector: str) -> bool:
    """The image is shown (scrolled to: report photos load lazily), its bytes decoded."""
    await page.locator(selector).first.scroll_into_view_if_needed()
    await page.wait_for_function(
        "s => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 0 }",
        arg=selector,
    )
    return True


async def test_an_anonymous_report_is_triaged_assigned_and_answered_in_the_right_unit(
    browsing: Browsing, console: Console, tmp_path: Path
) -> None:
    filed = await file_anonymous_report(console)
    reference = filed["reference"]

    # The officer of the commune's unit finds it in the queue, from the menu.
    officer = await browsing.signed_in(POLICE_OFFICER)
    await (
        officer.get_by_role("navigation", name="Trình đơn chính")
        .get_by_role("link", name="Tin báo tội phạm")
        .click()
    )
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Tin báo tội phạm")
    row = officer.get_by_role("row").filter(has_text=reference)
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("Chưa phân loại")
    await expect(row).to_contain_text("Ẩn danh")
    await expect(officer.locator("#tip-counts")).to_contain_text("Tin báo đang mở")
    await check_a11y(officer, "the queue")

    # A supervisor of the unit opens it too (and keeps that version on screen).
    supervisor = await browsing.signed_in(POLICE_SUPERVISOR, to="/console/tips")
    await supervisor.get_by_role("link", name=reference).click()
    await supervisor.wait_for_url(REPORT_PAGE)

    await row.get_by_role("link", name=reference).click()
    await officer.wait_for_url(REPORT_PAGE)
    found = REPORT_PAGE.search(officer.url)
    assert found is not None
    tip_id = found["id"]
    await expect(officer.get_by_role("heading", level=1)).to_have_text(f"Tin báo {reference}")
    await expect(officer.locator("main")).to_contain_text("Có người bán ma túy")
    photo = officer.get_by_role("img", name=re.compile("Ảnh đính kèm số 1"))
    await expect(photo).to_be_visible()
    assert await image_loaded(officer, ".tip-file img")
    await expect(officer.locator(".outline-map circle.spot")).to_have_count(1)
    await expect(officer.locator(".tile-place .tile.here")).to_have_count(1)
    await check_a11y(officer, "the report page")

    # Triage, then take it: only the allowed buttons each time.
    await expect(officer.get_by_role("button", name="Nhận xử lý tin báo này")).to_have_count(0)
    await officer.get_by_label("Mức độ khẩn").select_option("high")
    await officer.get_by_role("button", name="Phân loại").click()
    await expect(officer.locator(".tip-badges")).to_contain_text("Đã phân loại")
    await expect(officer.locator(".tip-badges")).to_contain_text("Cao")
    await officer.get_by_role("button", name="Nhận xử lý tin báo này").click()
    await expect(officer.locator(".tip-badges")).to_contain_text("Đã giao xử lý")
    await expect(officer.get_by_role("button", name="Bắt đầu xác minh")).to_be_visible()
    await check_a11y(officer, "the report page, assigned")

    # The reply, with a file (sent by tips.js through the police API).
    await officer.get_by_label("Trả lời người báo tin").fill(REPLY)
    await officer.get_by_label(re.compile("Kèm một tệp")).set_input_files(reply_file(tmp_path))
    await officer.get_by_role("button", name="Gửi tin nhắn").click()
    thread = officer.locator("#messages .msg.from-police")
    await expect(thread).to_have_count(1)
    await expect(thread).to_contain_text(REPLY)
    await expect(thread.locator("img")).to_have_count(1)
    assert await image_loaded(officer, "#messages .msg.from-police img")
    await check_a11y(officer, "the report page with the reply")

    # The reporter reads the reply with the receipt, and nothing else identifies them.
    seen = await reporter_reads(console, filed["receipt"])
    assert seen["status"] == "assigned"
    police_messages = [m for m in seen["messages"] if m["sender"] == "police"]
    assert [m["body"] for m in police_messages] == [REPLY]
    assert len(police_messages[0]["attachments"]) == 1

    # The supervisor's page still shows the version before all this: refused, said clearly.
    await supervisor.get_by_label("Mức độ khẩn").select_option("low")
    await supervisor.get_by_role("button", name="Phân loại").click()
    flash = supervisor.locator("#flash")
    await expect(flash).to_contain_text("vừa được người khác thay đổi")
    await expect(flash.get_by_role("link", name=re.compile("Tải lại tin báo"))).to_be_visible()
    await check_a11y(supervisor, "the report page with a version conflict")
    await flash.get_by_role("link", name=re.compile("Tải lại tin báo")).click()
    await expect(supervisor.locator(".tip-badges")).to_contain_text("Cao")

    # An officer of another unit: the report does not exist for them.
    other = await browsing.signed_in(OTHER_UNIT_OFFICER, to="/console/tips")
    await expect(other.get_by_role("row").filter(has_text=reference)).to_have_count(0)
    response = await other.goto(f"/console/tips/{tip_id}")
    assert response is not None and response.status == 404
    await expect(other.locator("main")).not_to_contain_text("Có người bán ma túy")
    await expect(other.locator("main")).to_contain_text("tip_not_found")
    await check_a11y(other, "the 404 page of another unit's report")


async def test_statistics_duty_and_the_pages_on_a_phone_pass_axe(
    browsing: Browsing, console: Console
) -> None:
    filed = await file_anonymous_report(console)
    supervisor = await browsing.signed_in(POLICE_SUPERVISOR, to="/console/tips")
    await (
        supervisor.get_by_role("navigation", name="Các trang tin báo")
        .get_by_role("link", name="Thống kê")
        .click()
    )
    await expect(supervisor.get_by_role("heading", level=1)).to_have_text("Thống kê tin báo")
    await check_a11y(supervisor, "the statistics page")
    await (
        supervisor.get_by_role("navigation", name="Các trang tin báo")
        .get_by_role("link", name="Lịch trực")
        .click()
    )
    await expect(supervisor.get_by_role("heading", level=1)).to_have_text("Lịch trực tin báo khẩn")
    await supervisor.get_by_label(re.compile("Ngô Đình Khang")).check()
    await supervisor.get_by_role("button", name="Lưu lịch trực").click()
    await expect(supervisor.locator("main")).to_contain_text(
        "Theo lịch trực do lãnh đạo đơn vị đặt"
    )
    await check_a11y(supervisor, "the duty page")

    phone = await browsing.signed_in(POLICE_OFFICER, phone=True, to="/console/tips")
    await no_horizontal_scroll(phone)
    await check_a11y(phone, "the queue on a phone")
    await phone.get_by_role("link", name=filed["reference"]).click()
    await phone.wait_for_url(REPORT_PAGE)
    await expect(phone.locator(".tile-place")).to_be_visible()
    await no_horizontal_scroll(phone)
    await check_a11y(phone, "a report on a phone")
