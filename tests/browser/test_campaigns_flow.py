"""Campaigns in a real browser, sent through firebase-admin to the local FCM stand-in: a comms
officer writes a public campaign (a translation, the audience picked on the list and on the
province's tile map, the live estimate, the quiet-hours warning for a time in them) and
submits it; a different person — an approver — reviews it and approves it; `ctn worker` sends
it to the stand-in (a process of its own) and the analytics page, refreshing itself, shows
what FCM accepted and the open of the citizen who follows the commune. axe checks every page
on the way; every campaign page fits a phone.

The app and the worker here are their own `ctn serve`/`ctn worker` processes, started with
`CTN_PUSH_BACKEND=fcm` and the stand-in's credentials and endpoint, and quiet hours set an hour
long six hours from now (so the campaign goes out now, and a time in them can be shown)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, Dialog, Page, expect

from notifications.categories import LANGUAGES
from notifications.topics import commune_topic
from tests.browser.conftest import (
    ARTIFACTS,
    CITIZEN,
    COMMS_APPROVER,
    COMMS_OFFICER,
    Browsing,
    _artifact_name,
    _failed,
    check_a11y,
    no_horizontal_scroll,
    wait_for,
)
from tests.conftest import TEST_SECRET_KEY
from tests.identity.conftest import bearer, mobile_tokens, running_server
from tests.notifications.fcm import Fcm
from tests.notifications.fcm import fcm_process as fcm_process  # fixture

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DEVICE = "fid-browser-campaign-1"
COMMUNE = "05443"  # Phường Phan Đình Phùng, whose news the citizen follows
TITLE = "Thông báo lịch cắt điện ngày 5/12"


@dataclass
class PushedApp:
    """`ctn serve` and `ctn worker` pushing through the FCM stand-in."""

    url: str
    fcm: Fcm
    quiet_start: datetime
    worker_log: Path

    def worker_output(self) -> str:
        return self.worker_log.read_text(errors="replace")[-4000:]


def quiet_window() -> tuple[datetime, datetime]:
    """An hour of quiet hours six hours from now (Viet Nam's time, whole minutes)."""
    start = (datetime.now(VIETNAM) + timedelta(hours=6)).replace(second=0, microsecond=0)
    return start, start + timedelta(hours=1)


@pytest.fixture
def pushed_app(
    fcm_process: Fcm, server_url: str, database_name: str, tmp_path: Path
) -> Iterator[PushedApp]:
    start, end = quiet_window()
    database_url = server_url.format(db=database_name)
    push_env = {**fcm_process.env, "CTN_QUIET_HOURS": f"{start:%H:%M}-{end:%H:%M}"}
    with running_server(tmp_path, database_url, extra_env=push_env) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CTN_", "PYTEST_"))}
        env.update(
            DATABASE_URL=database_url,
            CTN_DATA_DIR=str(tmp_path / "data"),
            CTN_SECRET_KEY=TEST_SECRET_KEY,
            CTN_PUBLIC_URL=server.url,
            CTN_DB_POOL_MIN="0",
            **push_env,
        )
        log = tmp_path / "worker.log"
        with log.open("wb") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "backend", "worker", "--concurrency", "2"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            yield PushedApp(server.url, fcm_process, start, log)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


@pytest.fixture
async def browsing_pushed(
    browser: Browser, pushed_app: PushedApp, demo_people: None, request: pytest.FixtureRequest
) -> AsyncIterator[Browsing]:
    """The conftest's `browsing`, against this test's own app (screenshots on failure)."""
    opened = Browsing(browser, pushed_app.url)
    yield opened
    if _failed(request):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = _artifact_name(request.node.nodeid)
        for number, page in enumerate(opened.pages, start=1):
            if not page.is_closed():
                suffix = "" if number == 1 else f"-{number}"
                await page.screenshot(path=str(ARTIFACTS / f"{name}{suffix}.png"), full_page=True)
    for context in opened.contexts:
        await context.close()


def accept_dialogs(page: Page) -> None:
    """`data-confirm` asks with window.confirm: say yes."""

    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    page.on("dialog", accept)


async def a_citizen_with_a_phone(app: PushedApp) -> dict[str, str]:
    """A demo citizen signs in on the app, registers the phone's installation and follows a
    commune's news; the worker subscribes it to its topics at the stand-in. The app's
    Authorization header."""
    async with httpx.AsyncClient(base_url=app.url, timeout=20) as http:
        tokens = await mobile_tokens(http, CITIZEN)
        registered = await http.put(
            f"/api/v1/devices/{DEVICE}",
            json={"platform": "android", "app_version": "1.4.0", "locale": "vi-VN"},
            headers=bearer(tokens),
        )
        assert registered.status_code in (200, 201), registered.text
        followed = await http.put(
            "/api/v1/notification-settings",
            json={"commune_code": COMMUNE, "language": "vi", "muted_categories": []},
            headers=bearer(tokens),
        )
        assert followed.status_code == 200, followed.text

    async def subscribed() -> bool:
        topics = app.fcm.standin.subscriptions()
        return DEVICE in topics.get(commune_topic(COMMUNE), set())

    try:
        await wait_for(subscribed, "the device subscribed to its topics", timeout=60)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{app.worker_output()}") from None
    return bearer(tokens)


async def write_campaign(officer: Page, app: PushedApp) -> None:
    """The officer's part, in the editor."""
    await (
        officer.get_by_role("navigation", name="Trình đơn chính")
        .get_by_role("link", name="Chiến dịch thông báo")
        .click()
    )
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Chiến dịch thông báo")
    await check_a11y(officer, "the campaigns list")
    await officer.get_by_role("link", name="Soạn chiến dịch mới").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Soạn chiến dịch mới")
    await check_a11y(officer, "the campaign editor")

    await officer.get_by_role("textbox", name="Tiêu đề", exact=True).fill(TITLE)
    await officer.get_by_role("textbox", name="Nội dung", exact=True).fill(
        "Điện lực Thái Nguyên tạm ngừng cấp điện từ 7 giờ đến 11 giờ để bảo dưỡng."
    )
    await officer.locator("summary", has_text="Tiếng Anh").click()  # open the translation
    await officer.get_by_label("Tiêu đề (Tiếng Anh)").fill("Power cut on 5 December")
    await officer.get_by_label("Nội dung (Tiếng Anh)").fill("No power from 7 to 11 a.m.")
    await officer.get_by_label("Loại thông báo").select_option("announcement")

    side = officer.locator("#campaign-side")
    # The phone preview follows the text, in each language written.
    await expect(side.locator(".notif-title")).to_have_text([TITLE, "Power cut on 5 December"])
    # Every citizen: the one phone registered is in the estimate.
    await expect(side.locator('[data-estimate="devices"]')).to_have_text("1")

    # Communes: a tile of the map and the list are one choice; the estimate follows (the
    # citizen follows Phan Đình Phùng's news, nobody follows Định Hóa's).
    await officer.get_by_label("Công dân của các xã, phường được chọn").check()
    await expect(side.locator('[data-estimate="people"]')).to_have_count(0)  # none chosen
    await officer.get_by_label("Tìm xã, phường (không cần dấu)").fill("dinh hoa")
    await expect(officer.locator("#commune-list li:not([hidden])")).to_have_count(1)
    await officer.get_by_label("Xã Định Hóa", exact=True).check()
    await expect(officer.locator('[data-tile="05569"]')).to_have_attribute("aria-checked", "true")
    await expect(side.locator('[data-estimate="people"]')).to_have_text("0")
    tile = officer.locator(f'[data-tile="{COMMUNE}"]')
    await tile.click()
    await expect(tile).to_have_attribute("aria-checked", "true")
    await expect(officer.locator(f"#commune-{COMMUNE}")).to_be_checked()
    await expect(side.locator('[data-estimate="people"]')).to_have_text("1")
    await expect(side.locator('[data-estimate="devices"]')).to_have_text("1")
    await tile.focus()
    await officer.keyboard.press("Space")  # the keyboard toggles a tile too
    await expect(officer.locator(f"#commune-{COMMUNE}")).not_to_be_checked()
    await expect(side.locator('[data-estimate="people"]')).to_have_text("0")
    await check_a11y(officer, "the editor with the communes picker")
    await officer.get_by_label("Mọi công dân trong tỉnh").check()
    await expect(side.locator('[data-estimate="devices"]')).to_have_text("1")

    # A time inside quiet hours: the side panel says it would wait, before anything is sent.
    inside = app.quiet_start + timedelta(minutes=30)
    schedule = officer.get_by_label("Hẹn giờ gửi (giờ Việt Nam, không bắt buộc)")
    await schedule.fill(f"{inside:%Y-%m-%dT%H:%M}")
    warning = side.locator("[data-quiet-warning]")
    await expect(warning).to_be_visible()
    await expect(warning).to_contain_text(f"{app.quiet_start + timedelta(hours=1):%d/%m/%Y %H:%M}")
    await officer.get_by_label("Khẩn", exact=True).check()  # urgent: no waiting
    await expect(warning).to_have_count(0)
    await officer.get_by_label("Khẩn", exact=True).uncheck()
    await schedule.fill("")  # as soon as approved
    await expect(side.locator(".timing strong").first).to_have_text("ngay")
    await expect(warning).to_have_count(0)

    await officer.get_by_role("button", name="Lưu và gửi duyệt").click()
    await officer.wait_for_url(re.compile(r"/console/campaigns/[0-9a-f-]{36}$"))
    await expect(officer.get_by_role("heading", level=1)).to_have_text(TITLE)
    await expect(officer.locator("main")).to_contain_text("Chờ duyệt")
    await expect(officer.locator(".notif-card")).to_have_count(2)
    await check_a11y(officer, "the campaign page")
    # The officer does not approve: no review for them.
    await expect(officer.get_by_role("link", name="Xem xét và duyệt")).to_have_count(0)


async def test_an_officer_writes_an_approver_approves_and_fcm_receives_it(
    browsing_pushed: Browsing, pushed_app: PushedApp
) -> None:
    phone = await a_citizen_with_a_phone(pushed_app)
    officer = await browsing_pushed.signed_in(COMMS_OFFICER)
    await write_campaign(officer, pushed_app)
    campaign_url = officer.url

    approver = await browsing_pushed.signed_in(COMMS_APPROVER)
    accept_dialogs(approver)
    await approver.get_by_role("link", name=re.compile("Chiến dịch chờ duyệt")).click()
    await approver.get_by_role("link", name=TITLE).click()
    await approver.get_by_role("link", name="Xem xét và duyệt").click()
    await expect(approver.get_by_role("heading", level=1)).to_contain_text("Duyệt chiến dịch")
    await expect(approver.locator("main")).to_contain_text("Lần gửi duyệt đầu tiên")
    await check_a11y(approver, "the approver's screen")
    await approver.get_by_role("button", name="Duyệt", exact=True).click()
    await approver.wait_for_url(campaign_url)

    await approver.get_by_role("link", name="Kết quả").click()
    await expect(approver.get_by_role("heading", level=1)).to_contain_text(TITLE)
    await check_a11y(approver, "the analytics page")
    # The page refreshes itself until the campaign is sent; the stand-in accepted a condition
    # message per language (Vietnamese text where there is no translation), which FCM fans
    # out to the subscribed phones.
    await expect(approver.locator("#analytics-live")).to_contain_text("Đã gửi", timeout=60_000)
    accepted = approver.locator('[data-stat="accepted"]')
    await expect(accepted).to_have_text(str(len(LANGUAGES)))
    await expect(approver.locator('[data-stat="failed"]')).to_have_text("0")
    received = [m for m in pushed_app.fcm.standin.messages() if m.target == "condition"]
    assert sorted(m.notification.get("title") for m in received) == sorted(
        [TITLE] * (len(LANGUAGES) - 1) + ["Power cut on 5 December"]
    )
    reaching = [m for m in received if DEVICE in pushed_app.fcm.standin.condition_audience(m.to)]
    assert [m.notification.get("title") for m in reaching] == [TITLE]  # its language: vi
    await expect(approver.locator('[data-stat="opened"]')).to_have_text("0")

    # The citizen opens it in the app's inbox: the analytics count one open.
    campaign_id = campaign_url.rsplit("/", 1)[1]
    async with httpx.AsyncClient(base_url=pushed_app.url, timeout=20) as app:
        inbox = (await app.get("/api/v1/inbox", headers=phone)).json()
        assert [entry["title"] for entry in inbox["items"]] == [TITLE]
        opened = await app.post(f"/api/v1/inbox/{campaign_id}/read", headers=phone)
        assert opened.status_code == 200, opened.text
    await approver.reload()
    await expect(approver.locator('[data-stat="opened"]')).to_have_text("1")
    by_commune = approver.locator("#commune-title").locator("..")
    await expect(by_commune).to_contain_text("Đã mở, theo xã, phường")
    await expect(by_commune.locator("desc")).to_have_text("P. Phan Đình Phùng: 1")
    await check_a11y(approver, "the analytics page once sent and opened")


async def test_every_campaign_page_fits_a_phone(
    browsing_pushed: Browsing, pushed_app: PushedApp
) -> None:
    officer = await browsing_pushed.signed_in(
        COMMS_OFFICER, phone=True, to="/console/campaigns/new"
    )
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Soạn chiến dịch mới")
    await no_horizontal_scroll(officer)
    await officer.get_by_label("Công dân của các xã, phường được chọn").check()
    await expect(officer.locator('[data-tile="05443"]')).to_be_visible()
    await no_horizontal_scroll(officer)
    await check_a11y(officer, "the editor on a phone")
    await officer.get_by_role("textbox", name="Tiêu đề", exact=True).fill("Thử trên điện thoại")
    await officer.get_by_role("textbox", name="Nội dung", exact=True).fill("Nội dung ngắn.")
    await officer.locator('[data-tile="05443"]').click()  # a tap
    await expect(officer.locator("#commune-05443")).to_be_checked()
    await officer.get_by_role("button", name="Lưu và gửi duyệt").click()
    await officer.wait_for_url(re.compile(r"/console/campaigns/[0-9a-f-]{36}$"))
    campaign = officer.url
    await expect(officer.locator("main")).to_contain_text("Phường Phan Đình Phùng")
    await no_horizontal_scroll(officer)
    await check_a11y(officer, "a campaign on a phone")
    await officer.goto(campaign + "/analytics")
    await no_horizontal_scroll(officer)
    await check_a11y(officer, "the analytics on a phone")
    await officer.goto("/console/campaigns")
    await expect(officer.get_by_role("link", name="Thử trên điện thoại")).to_be_visible()
    await no_horizontal_scroll(officer)

    approver = await browsing_pushed.signed_in(COMMS_APPROVER, phone=True)
    await approver.goto(campaign + "/review")
    await expect(approver.get_by_role("button", name="Duyệt", exact=True)).to_be_visible()
    await no_horizontal_scroll(approver)
    await check_a11y(approver, "the approver's screen on a phone")
