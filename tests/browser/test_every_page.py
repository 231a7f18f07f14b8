"""Every console page reachable from the menu of each staff role, walked in a real browser:
it answers 200, has one main heading, and axe finds no serious or critical violation; on a
phone-sized screen the main pages fit the width (no sideways scrolling) and pass axe too."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import (
    AUDITOR,
    CIVIL_SERVANT,
    COMMS_APPROVER,
    COMMS_OFFICER,
    COURSE_ADMIN,
    POLICE_OFFICER,
    POLICE_SUPERVISOR,
    SYSTEM_ADMIN,
    WELFARE_OFFICER,
    Browsing,
    check_a11y,
    no_horizontal_scroll,
)

ROLES = {
    "comms_officer": COMMS_OFFICER,
    "comms_approver": COMMS_APPROVER,
    "course_admin": COURSE_ADMIN,
    "auditor": AUDITOR,
    "system_admin": SYSTEM_ADMIN,
    "welfare_officer": WELFARE_OFFICER,
    "police_officer": POLICE_OFFICER,
    "police_supervisor": POLICE_SUPERVISOR,
    "civil_servant": CIVIL_SERVANT,
}
DEEPER = {
    # Pages one link below a menu page (a detail page with forms), by the link to follow.
    "/console/people": "main table a[href^='/console/people/']",
    "/console/media": "main table a[href^='/console/media/']",
}


async def menu_links(page: Page) -> list[str]:
    menu = page.get_by_role("navigation", name="Trình đơn chính")
    if not await menu.count():
        return []
    hrefs = await menu.get_by_role("link").evaluate_all("links => links.map(a => a.pathname)")
    return list(dict.fromkeys(hrefs))


async def walk(page: Page, *, phone: bool) -> list[str]:
    """Every page of the menu (and a detail page below some), checked; the paths visited."""
    visited = []
    for href in await menu_links(page):
        response = await page.goto(href)
        assert response is not None and response.status == 200, (href, response and response.status)
        await expect(page.locator("main h1")).to_have_count(1)
        await check_a11y(page, href)
        if phone:
            await no_horizontal_scroll(page)
        visited.append(href)
        deeper = DEEPER.get(href.rstrip("/"))
        if deeper and await page.locator(deeper).count():
            detail = await page.locator(deeper).first.evaluate("a => a.pathname")
            response = await page.goto(detail)
            assert response is not None and response.status == 200, detail
            await check_a11y(page, detail)
            if phone:
                await no_horizontal_scroll(page)
            visited.append(detail)
    return visited


@pytest.mark.parametrize("role", list(ROLES))
async def test_every_menu_page_of_a_role_passes_axe(browsing: Browsing, role: str) -> None:
    page = await browsing.signed_in(ROLES[role])
    await check_a11y(page, f"the home page of {role}")
    visited = await walk(page, phone=False)
    assert visited, f"{role} has no menu"
    print(f"{role}: {visited}")


@pytest.mark.parametrize(
    "role", ["system_admin", "auditor", "comms_officer", "comms_approver", "course_admin"]
)
async def test_the_main_pages_fit_a_phone(browsing: Browsing, role: str) -> None:
    page = await browsing.signed_in(ROLES[role], phone=True)
    await no_horizontal_scroll(page)
    await check_a11y(page, f"the home page of {role} on a phone")
    visited = await walk(page, phone=True)
    assert visited, f"{role} has no menu"
