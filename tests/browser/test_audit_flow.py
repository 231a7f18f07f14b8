"""The auditor's pages in a real browser: the audit log filtered (filters in the URL, the back
button), the chain checked and its status shown; the security events; and a staff member
without the auditor role refused with the 403 page."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.conftest import AUDITOR, COMMS_OFFICER, Browsing, check_a11y


async def test_an_auditor_filters_the_log_and_sees_the_chain_status(browsing: Browsing) -> None:
    page = await browsing.signed_in(AUDITOR)
    await (
        page.get_by_role("navigation", name="Trình đơn chính")
        .get_by_role("link", name="Nhật ký kiểm toán")
        .click()
    )
    await page.wait_for_url(re.compile(r"/console/audit$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nhật ký kiểm toán")
    entries = page.locator("table.audit-entries tbody tr")
    await expect(entries.first).to_be_visible()  # the demo roles were granted: role.grant
    await check_a11y(page, "the audit log")

    # The chain, checked on demand; the answer replaces the status part of the page.
    status = page.locator("#chain-status")
    await status.get_by_role("button", name="Kiểm tra chuỗi").click()
    await expect(status.locator(".chain-verdict")).to_contain_text("Toàn vẹn")
    await expect(status).to_contain_text("Số mục đã kiểm tra")
    await check_a11y(page, "the audit log with the chain status")

    # Filtered by action: in the URL, every row that action.
    await page.get_by_label("Hành động").fill("role.grant")
    await page.get_by_role("button", name="Lọc").click()
    await page.wait_for_url(re.compile(r"[?&]action=role\.grant"))
    await expect(page.locator(".active-filters")).to_contain_text("action = role.grant")
    actions = await page.locator("table.audit-entries tbody tr td:nth-child(4)").all_inner_texts()
    assert actions and set(actions) == {"role.grant"}, actions
    # The chain status is on the filtered page too: the check just made.
    await expect(status.locator(".chain-verdict")).to_contain_text("Toàn vẹn")

    # A filter nothing matches, then back.
    await page.get_by_label("Hành động").fill("no.such.action")
    await page.get_by_role("button", name="Lọc").click()
    await expect(page.get_by_text("Không có mục nào khớp bộ lọc.")).to_be_visible()
    await page.go_back()
    await page.wait_for_url(re.compile(r"[?&]action=role\.grant"))
    await expect(entries.first).to_be_visible()

    # Clicking an action in the table filters by it (a bookmarkable link).
    await page.goto("/console/audit")
    link = page.locator("table.audit-entries tbody tr td:nth-child(4) a").first
    action = (await link.inner_text()).strip()
    await link.click()
    await page.wait_for_url(re.compile(r"[?&]action="))
    shown = await page.locator("table.audit-entries tbody tr td:nth-child(4)").all_inner_texts()
    assert set(shown) == {action}, shown

    # An impossible period is refused next to the field, the other filters kept.
    await page.goto("/console/audit?action=role.grant&from=2026-01-02T10:00&to=2026-01-01T10:00")
    await expect(page.locator("#e-to")).to_be_visible()
    await expect(page.get_by_label("Hành động")).to_have_value("role.grant")
    await check_a11y(page, "the audit log with a filter error")


async def test_an_auditor_sees_the_security_events(browsing: Browsing) -> None:
    page = await browsing.signed_in(AUDITOR)
    await (
        page.get_by_role("navigation", name="Trình đơn chính")
        .get_by_role("link", name="Sự kiện an ninh")
        .click()
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sự kiện an ninh")
    await check_a11y(page, "the security events")


async def test_staff_without_the_auditor_role_get_the_403_page(browsing: Browsing) -> None:
    page = await browsing.signed_in(COMMS_OFFICER)
    menu = page.get_by_role("navigation", name="Trình đơn chính")
    await expect(menu.get_by_role("link", name="Nhật ký kiểm toán")).to_have_count(0)
    refused = await page.goto("/console/audit")
    assert refused is not None and refused.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Bạn không có quyền xem trang này"
    )
    await check_a11y(page, "the 403 page")
