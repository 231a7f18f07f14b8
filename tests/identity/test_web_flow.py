"""The web console: sign-in with an HttpOnly session cookie, CSRF on unsafe requests, idle
timeout for staff, logout — over real HTTP against the development provider."""

from __future__ import annotations

import httpx

from backend.access import Role
from backend.db import unit_of_work
from backend.devidp.people import BY_PERSONAL_ID
from backend.identity import repository
from backend.identity.service import do_grant_role
from tests.identity.conftest import CITIZEN, sql, web_sign_in

STAFF = "019083071111"  # the demo system administrator


async def set_cookie_headers(response: httpx.Response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


async def test_a_browser_signs_in_and_gets_an_httponly_session(http: httpx.AsyncClient) -> None:
    callback = await web_sign_in(http, return_to="/api/v1/me")
    assert callback.status_code == 302
    assert callback.headers["location"] == "/api/v1/me"
    cookies = await set_cookie_headers(callback)
    session = cookies["ctn_session"].lower()
    assert "httponly" in session
    assert "samesite=lax" in session
    assert "secure" not in session  # on localhost only
    assert "httponly" not in cookies["ctn_csrf"].lower()  # the console's script reads it
    me = await http.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["personal_id"] == CITIZEN
    assert me.json()["csrf_token"] == http.cookies["ctn_csrf"]


async def test_return_to_never_leaves_the_site(http: httpx.AsyncClient) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        callback = await web_sign_in(http, return_to=target)
        assert callback.headers["location"] == "/api/v1/me"


async def test_unsafe_requests_with_the_cookie_need_the_csrf_token(
    http: httpx.AsyncClient,
) -> None:
    await web_sign_in(http)
    without = await http.post("/auth/logout")
    assert without.status_code == 403
    assert without.json()["code"] == "csrf_failed"
    wrong = await http.post("/auth/logout", headers={"X-CSRF-Token": "forged"})
    assert wrong.json()["code"] == "csrf_failed"
    assert (await http.get("/api/v1/me")).status_code == 200  # still signed in
    out = await http.post("/auth/logout", headers={"X-CSRF-Token": http.cookies["ctn_csrf"]})
    assert out.status_code == 200


async def test_after_logout_the_session_cookie_is_worthless(http: httpx.AsyncClient) -> None:
    await web_sign_in(http)
    session = http.cookies["ctn_session"]
    csrf = http.cookies["ctn_csrf"]
    out = await http.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 200
    # Ending the provider's session too (RP-Initiated Logout), back to our home page.
    end = httpx.URL(out.json()["end_session_url"])
    assert end.path == "/dev-idp/end-session"
    assert dict(end.params)["client_id"] == "c-thainguyen"
    back = await http.get(str(end))
    assert back.status_code == 302
    assert back.headers["location"] == str(http.base_url).rstrip("/") + "/"
    http.cookies.clear()
    http.cookies.set("ctn_session", session)
    replayed = await http.get("/api/v1/me")
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "token_invalid"


async def test_a_callback_in_another_browser_is_refused(http: httpx.AsyncClient) -> None:
    """Login CSRF: a victim's browser must not complete a sign-in the attacker started."""
    start = await http.get("/auth/login", params={"login_hint": CITIZEN})
    at_provider = await http.get(start.headers["location"])
    http.cookies.clear()  # the callback arrives in a browser without the binding cookie
    callback = await http.get(at_provider.headers["location"])
    assert callback.status_code == 400
    assert callback.json()["code"] == "login_state_invalid"


async def test_a_staff_session_ends_after_15_idle_minutes(http: httpx.AsyncClient) -> None:
    await web_sign_in(http, STAFF)
    async with unit_of_work():
        person = await repository.person_by_personal_id(STAFF)
        assert person is not None
        await do_grant_role(person.id, Role.SYSTEM_ADMIN, granted_by=None, reason="test")
    assert BY_PERSONAL_ID[STAFF].roles == ("system_admin",)
    assert (await http.get("/api/v1/me")).json()["roles"] == ["citizen", "system_admin"]
    await sql("UPDATE web_sessions SET last_seen_at = now() - interval '16 minutes'")
    expired = await http.get("/api/v1/me")
    assert expired.status_code == 401
    assert expired.json()["code"] == "session_expired"
    # Revoked for good: going back in time does not revive it.
    await sql("UPDATE web_sessions SET last_seen_at = now()")
    assert (await http.get("/api/v1/me")).status_code == 401


async def test_a_citizen_session_survives_16_idle_minutes(http: httpx.AsyncClient) -> None:
    await web_sign_in(http)
    await sql("UPDATE web_sessions SET last_seen_at = now() - interval '16 minutes'")
    assert (await http.get("/api/v1/me")).status_code == 200


async def test_a_stale_cookie_does_not_block_public_pages(http: httpx.AsyncClient) -> None:
    http.cookies.set("ctn_session", "stale")
    response = await http.get("/api/v1/admin-units")
    assert response.status_code == 200
