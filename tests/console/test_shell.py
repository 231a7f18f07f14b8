"""The console's shell over real HTTP: landing, who gets a console, language, sign-out, errors
as pages, assets served by the app."""

from __future__ import annotations

import httpx

from backend.access import Role
from backend.db import unit_of_work
from backend.identity import repository
from backend.identity.service import do_grant_role
from tests.identity.conftest import CITIZEN, web_sign_in

STAFF = "019083071111"  # the demo system administrator


async def grant(personal_id: str, role: Role) -> None:
    async with unit_of_work():
        person = await repository.person_by_personal_id(personal_id)
        assert person is not None
        await do_grant_role(person.id, role, granted_by=None, reason="test")


async def test_the_landing_page_offers_sign_in_and_comes_back(http: httpx.AsyncClient) -> None:
    page = await http.get("/console/", params={"next": "/console/articles?status=draft"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="vi">' in page.text
    assert "return_to=%2Fconsole%2Farticles%3Fstatus%3Ddraft" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    # Elsewhere is never a place to come back to.
    page = await http.get("/console/", params={"next": "https://evil.example/"})
    assert "/auth/login?return_to=%2Fconsole%2F&quot;" in page.text or (
        'href="/auth/login?return_to=%2Fconsole%2F"' in page.text
    )


async def test_a_citizen_gets_no_console(http: httpx.AsyncClient) -> None:
    await web_sign_in(http, CITIZEN, return_to="/console/")
    page = await http.get("/console/")
    assert page.status_code == 403
    assert "chỉ dành cho cán bộ" in page.text


async def test_staff_get_their_home_and_menu(http: httpx.AsyncClient) -> None:
    await web_sign_in(http, STAFF, return_to="/console/")
    await grant(STAFF, Role.SYSTEM_ADMIN)
    page = await http.get("/console/")
    assert page.status_code == 200, page.text
    assert 'role="banner"' in page.text and '<main id="main"' in page.text


async def test_the_language_switch_persists(http: httpx.AsyncClient) -> None:
    switched = await http.get("/console/lang/en", params={"next": "/console/"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/console/"
    page = await http.get("/console/")
    assert '<html lang="en">' in page.text
    assert "Sign in with your national digital identity" in page.text


async def test_sign_out_needs_the_csrf_token_and_clears_the_session(
    http: httpx.AsyncClient,
) -> None:
    await web_sign_in(http, STAFF, return_to="/console/")
    refused = await http.post("/console/sign-out")
    assert refused.status_code == 403
    assert "text/html" in refused.headers["content-type"]
    assert "csrf_failed" in refused.text
    # Sent by console.js: the message goes to the status region, the page stays.
    partial = await http.post("/console/sign-out", headers={"HX-Request": "true"})
    assert partial.status_code == 403
    assert partial.headers["HX-Retarget"] == "#flash"
    assert 'role="alert"' in partial.text and "<html" not in partial.text
    done = await http.post(
        "/console/sign-out",
        headers={"X-CSRF-Token": http.cookies["ctn_csrf"], "HX-Request": "true"},
    )
    assert done.status_code == 204
    assert done.headers["HX-Redirect"]
    assert (await http.get("/api/v1/me")).status_code == 401


async def test_a_page_that_needs_sign_in_sends_to_the_landing_page(
    http: httpx.AsyncClient,
) -> None:
    page = await http.post("/console/sign-out")
    assert page.status_code == 303
    assert page.headers["location"] == "/console/?next=%2Fconsole%2Fsign-out"


async def test_assets_are_served_by_the_app(http: httpx.AsyncClient) -> None:
    for name in ("console.css", "console.js", "icon.svg"):
        asset = await http.get(f"/console/static/{name}")
        assert asset.status_code == 200, name


def test_the_content_policy_admits_media_from_the_s3_endpoint_only_with_s3() -> None:
    from backend.console.shell import security_headers_for
    from backend.settings import load_settings

    local = security_headers_for(load_settings({}))["Content-Security-Policy"]
    assert "media-src 'self' blob:" in local
    s3 = security_headers_for(
        load_settings(
            {
                "CTN_STORAGE_BACKEND": "s3",
                "CTN_S3_ENDPOINT_URL": "https://media.example.vn:9000/",
                "CTN_S3_BUCKET": "ctn",
            }
        )
    )["Content-Security-Policy"]
    assert "media-src 'self' https://media.example.vn:9000 blob:" in s3
    assert "script-src 'self';" in s3


async def test_an_unknown_console_page_is_the_404_page_and_the_root_lands_on_the_console(
    http: httpx.AsyncClient,
) -> None:
    anonymous = await http.get("/console/no-such-page")
    assert anonymous.status_code == 303  # sign in first, as for any page
    await web_sign_in(http, STAFF, return_to="/console/")
    await grant(STAFF, Role.SYSTEM_ADMIN)
    page = await http.get("/console/no-such-page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "not_found" in page.text
    assert (await http.get("/console/static/console.css")).status_code == 200
    root = await http.get("/")
    assert root.status_code == 303
    assert root.headers["location"] == "/console/"
