"""The console's shell in a real browser: the sign-in click path through the development
provider, who gets a console, the language switch, sign-out, the keyboard, axe, a phone."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.browser.conftest import (
    CITIZEN,
    COMMS_APPROVER,
    SYSTEM_ADMIN,
    Browsing,
    check_a11y,
    no_horizontal_scroll,
)

SIGN_IN = "Đăng nhập bằng định danh điện tử"


async def open_account_menu(page: Page) -> None:
    account = page.locator("details.account")
    if await account.get_attribute("open") is None:
        await account.locator("summary").click()


async def test_sign_in_by_clicking_through_the_development_provider(browsing: Browsing) -> None:
    page = await browsing.page()
    await page.goto("/console/")
    await expect(page).to_have_title(re.compile("Đăng nhập"))
    await expect(page.locator("html")).to_have_attribute("lang", "vi")
    await check_a11y(page, "the landing page")

    await page.get_by_role("link", name=SIGN_IN).click()
    # The development provider's picker of demo people.
    await page.wait_for_url(re.compile(r"/dev-idp/authorize\?"))
    await expect(page.get_by_role("heading", name="Đăng nhập thử nghiệm")).to_be_visible()
    await page.get_by_role("link", name="Dương Minh Tuấn").click()

    await page.wait_for_url(re.compile(r"/console/$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Việc cần chú ý")
    await expect(page.locator("details.account summary")).to_have_text("Tài khoản")
    await open_account_menu(page)
    await expect(page.locator(".account-menu .roles")).to_contain_text("system_admin")
    await check_a11y(page, "the home page")


async def test_a_citizen_gets_the_staff_only_page_and_no_menu(browsing: Browsing) -> None:
    page = await browsing.page()
    await page.goto("/auth/login?login_hint=" + CITIZEN + "&return_to=/console/")
    await page.wait_for_url(re.compile(r"/console/$"))
    response = await page.reload()
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Bảng điều khiển chỉ dành cho cán bộ"
    )
    await expect(page.get_by_role("navigation", name="Trình đơn chính")).to_have_count(0)
    await check_a11y(page, "the staff-only page")


async def test_english_persists_across_pages_and_sign_in(browsing: Browsing) -> None:
    page = await browsing.page()
    await page.goto("/console/")
    await (
        page.get_by_role("navigation", name="Ngôn ngữ").get_by_role("link", name="English").click()
    )
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(
        page.get_by_role("link", name="Sign in with your national digital identity")
    ).to_be_visible()
    await expect(
        page.get_by_role("navigation", name="Language").get_by_role("link", name="English")
    ).to_have_attribute("aria-current", "true")

    await page.get_by_role("link", name="Sign in with your national digital identity").click()
    await page.get_by_role("link", name="Dương Minh Tuấn").click()
    await page.wait_for_url(re.compile(r"/console/$"))
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Needs your attention")

    await page.reload()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Needs your attention")

    # And back to Vietnamese, from wherever one is.
    await page.get_by_role("link", name="Tiếng Việt").click()
    await expect(page.locator("html")).to_have_attribute("lang", "vi")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Việc cần chú ý")


async def test_sign_out_ends_the_session_and_the_console_asks_to_sign_in_again(
    browsing: Browsing,
) -> None:
    page = await browsing.signed_in(SYSTEM_ADMIN)
    await open_account_menu(page)
    await page.get_by_role("button", name="Đăng xuất", exact=True).click()
    await expect(page.locator("details.account")).to_have_count(0)

    await page.goto("/console/")
    await expect(page.get_by_role("link", name=SIGN_IN)).to_be_visible()
    await expect(page.locator("details.account")).to_have_count(0)
    cookies = {c["name"] for c in await page.context.cookies()}
    assert "ctn_session" not in cookies and "ctn_csrf" not in cookies


async def test_sign_out_lands_on_the_landing_page(browsing: Browsing) -> None:
    page = await browsing.signed_in(SYSTEM_ADMIN)
    await open_account_menu(page)
    await page.get_by_role("button", name="Đăng xuất", exact=True).click()
    await page.wait_for_load_state()
    await expect(page.get_by_role("link", name=SIGN_IN)).to_be_visible(timeout=2_000)


async def test_tab_reaches_the_skip_link_first_and_it_moves_focus_to_main(
    browsing: Browsing,
) -> None:
    signed_out, staff = await browsing.page(), await browsing.signed_in(COMMS_APPROVER)
    for page in (signed_out, staff):
        await page.goto("/console/")
        await page.keyboard.press("Tab")
        focused = page.locator(":focus")
        await expect(focused).to_have_text("Bỏ qua, tới nội dung chính")
        await expect(focused).to_be_visible()  # shown when focused, hidden otherwise
        await page.keyboard.press("Enter")
        await expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues in the main content (the sign-in button), not in the header.
    await signed_out.keyboard.press("Tab")
    await expect(signed_out.locator(":focus")).to_have_text(SIGN_IN)


async def test_an_unknown_console_page_is_the_404_page_and_passes_axe(browsing: Browsing) -> None:
    page = await browsing.signed_in(SYSTEM_ADMIN)
    missing = await page.goto("/console/no-such-page")
    assert missing is not None and missing.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Không tìm thấy trang", timeout=2_000
    )
    await check_a11y(page, "the 404 page")


async def test_on_a_phone_landing_and_home_fit_and_the_menu_works(browsing: Browsing) -> None:
    page = await browsing.page(phone=True)
    await page.goto("/console/")
    await no_horizontal_scroll(page)
    await check_a11y(page, "the landing page on a phone")
    await page.get_by_role("link", name=SIGN_IN).tap()
    await page.get_by_role("link", name="Trịnh Văn Phúc").tap()
    await page.wait_for_url(re.compile(r"/console/$"))
    await no_horizontal_scroll(page)
    await check_a11y(page, "the home page on a phone")

    menu = page.get_by_role("navigation", name="Trình đơn chính")
    await expect(menu).to_be_visible()
    links = menu.get_by_role("link")
    assert await links.count() >= 2, "the approver's menu has more than the home page"
    second = links.nth(1)
    if not await second.is_visible():  # a collapsed menu opens with a tap
        await menu.locator("summary").tap()
    href = await second.get_attribute("href")
    assert href is not None
    await second.tap()
    await page.wait_for_url(re.compile(re.escape(href)))
    await expect(page.locator("main h1")).to_be_visible()
    await no_horizontal_scroll(page)
