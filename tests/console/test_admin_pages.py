"""The administration pages over real HTTP: people and their roles (grant and revoke with a
reason, through the same services as the API), agencies and police units, administrative
units."""

from __future__ import annotations

import re
import uuid

import httpx

from backend.access import Role
from backend.audit import repository as audit_repository
from backend.db import unit_of_work
from backend.identity.service import do_provision_person
from tests.console.test_shell import grant
from tests.identity.conftest import CITIZEN, web_sign_in

ADMIN = "019083071111"  # the demo system administrator
COMMS = "019189031111"  # a demo communications officer
TARGET = "019090001234"  # Nguyễn Văn An


def form_headers(http: httpx.AsyncClient) -> dict[str, str]:
    """What console.js sends with every form."""
    return {"X-CSRF-Token": http.cookies["ctn_csrf"], "HX-Request": "true"}


async def sign_in_admin(http: httpx.AsyncClient) -> None:
    await web_sign_in(http, ADMIN, return_to="/console/")
    await grant(ADMIN, Role.SYSTEM_ADMIN)


async def provision(personal_id: str = TARGET, name: str = "Nguyễn Văn An") -> uuid.UUID:
    async with unit_of_work():
        return (await do_provision_person(personal_id, name)).id


async def api_roles(http: httpx.AsyncClient, person_id: uuid.UUID) -> list[str]:
    answer = await http.get(f"/api/v1/people/{person_id}/roles")
    assert answer.status_code == 200, answer.text
    return [item["role"] for item in answer.json()]


async def test_an_admin_finds_a_person_grants_and_revokes_a_role_with_a_reason(
    http: httpx.AsyncClient,
) -> None:
    person_id = await provision()
    await sign_in_admin(http)

    found = await http.get("/console/people", params={"q": TARGET})
    assert found.status_code == 200, found.text
    assert "Nguyễn Văn An" in found.text
    assert f'href="/console/people/{person_id}"' in found.text
    assert 'value="019090001234"' in found.text  # the search stays in the form

    page = await http.get(f"/console/people/{person_id}")
    assert page.status_code == 200, page.text
    assert "<h1>Nguyễn Văn An</h1>" in page.text
    assert "Chưa có vai trò cán bộ nào" in page.text

    granted = await http.post(
        f"/console/people/{person_id}/roles",
        data={"role": "comms_officer", "reason": "joins the press office"},
        headers=form_headers(http),
    )
    assert granted.status_code == 204, granted.text
    assert granted.headers["HX-Redirect"] == f"/console/people/{person_id}?done=granted"
    assert await api_roles(http, person_id) == ["comms_officer"]
    page = await http.get(granted.headers["HX-Redirect"])
    assert "Đã cấp vai trò." in page.text
    assert "Cán bộ truyền thông" in page.text
    assert f"/console/people/{person_id}/roles/comms_officer/revoke" in page.text

    revoked = await http.post(
        f"/console/people/{person_id}/roles/comms_officer/revoke",
        data={"reason": "left the press office"},
        headers=form_headers(http),
    )
    assert revoked.status_code == 204, revoked.text
    assert revoked.headers["HX-Redirect"] == f"/console/people/{person_id}?done=revoked"
    assert await api_roles(http, person_id) == []

    # Both changes are audited with their reasons, as the API's are.
    async with unit_of_work():
        entries = await audit_repository.search(
            actor_id=None,
            action="role.*",
            object_type="person",
            object_id=str(person_id),
            since=None,
            until=None,
            before_id=None,
            limit=10,
        )
    assert [(e.action, e.reason) for e in entries] == [
        ("role.revoke", "left the press office"),
        ("role.grant", "joins the press office"),
    ]


async def test_a_role_needing_a_unit_is_granted_with_it(http: httpx.AsyncClient) -> None:
    person_id = await provision()
    await sign_in_admin(http)
    saved = await http.post(
        "/console/police-units",
        data={"code": "CA-TEST", "name": "Công an phường Thử", "communes": "05746, 05752"},
        headers=form_headers(http),
    )
    assert saved.status_code == 204, saved.text
    granted = await http.post(
        f"/console/people/{person_id}/roles",
        data={"role": "police_officer", "police_unit": "CA-TEST", "reason": "new officer"},
        headers=form_headers(http),
    )
    assert granted.status_code == 204, granted.text
    answer = await http.get(f"/api/v1/people/{person_id}/roles")
    assert answer.json()[0]["police_unit"] == {"code": "CA-TEST", "name": "Công an phường Thử"}
    page = await http.get(f"/console/people/{person_id}")
    assert "Công an phường Thử" in page.text


async def test_a_missing_reason_or_unit_rerenders_the_form_with_the_error(
    http: httpx.AsyncClient,
) -> None:
    person_id = await provision()
    await sign_in_admin(http)

    no_reason = await http.post(
        f"/console/people/{person_id}/roles",
        data={"role": "auditor", "reason": ""},
        headers=form_headers(http),
    )
    assert no_reason.status_code == 422
    assert no_reason.text.lstrip().startswith("<form")  # the form alone, for console.js
    assert "Hãy ghi lý do" in no_reason.text
    assert 'aria-invalid="true"' in no_reason.text
    assert re.search(r'<option value="auditor"\s+selected>', no_reason.text)  # kept

    no_unit = await http.post(
        f"/console/people/{person_id}/roles",
        data={"role": "police_officer", "reason": "new officer"},
        headers=form_headers(http),
    )
    assert no_unit.status_code == 422
    assert 'role="alert"' in no_unit.text
    assert 'value="new officer"' in no_unit.text  # nothing typed is lost

    # Without console.js, the whole page comes back with the error in the form.
    whole = await http.post(
        f"/console/people/{person_id}/roles",
        data={"role": "auditor", "reason": "x"},
        headers={"X-CSRF-Token": http.cookies["ctn_csrf"]},
    )
    assert whole.status_code == 422
    assert "<h1>Nguyễn Văn An</h1>" in whole.text and "Hãy ghi lý do" in whole.text

    await grant(TARGET, Role.AUDITOR)
    no_revoke_reason = await http.post(
        f"/console/people/{person_id}/roles/auditor/revoke",
        data={"reason": " "},
        headers=form_headers(http),
    )
    assert no_revoke_reason.status_code == 422
    assert "Hãy ghi lý do" in no_revoke_reason.text
    assert await api_roles(http, person_id) == ["auditor"]  # nothing was revoked

    not_granted = await http.post(
        f"/console/people/{person_id}/roles/course_admin/revoke",
        data={"reason": "cleanup"},
        headers=form_headers(http),
    )
    assert not_granted.status_code == 404
    assert 'role="alert"' in not_granted.text


async def test_people_pages_are_for_system_administrators_only(
    http: httpx.AsyncClient,
) -> None:
    person_id = await provision()
    await web_sign_in(http, COMMS, return_to="/console/")
    await grant(COMMS, Role.COMMS_OFFICER)
    for path in ("/console/people", f"/console/people/{person_id}"):
        page = await http.get(path)
        assert page.status_code == 403, path
        assert "text/html" in page.headers["content-type"]
    refused = await http.post(
        f"/console/people/{person_id}/roles",
        data={"role": "system_admin", "reason": "let me in"},
        headers=form_headers(http),
    )
    assert refused.status_code == 403
    # Staff read agencies and police units (the API lets them), without the forms.
    agencies = await http.get("/console/agencies")
    assert agencies.status_code == 200
    assert 'id="agency-form"' not in agencies.text
    assert (
        await http.post(
            "/console/agencies", data={"code": "X", "name": "X"}, headers=form_headers(http)
        )
    ).status_code == 403
    home = await http.get("/console/")
    assert 'href="/console/people"' not in home.text
    assert 'href="/console/agencies"' in home.text


async def test_a_citizen_gets_no_administration_page(http: httpx.AsyncClient) -> None:
    await web_sign_in(http, CITIZEN, return_to="/console/")
    for path in ("/console/people", "/console/agencies", "/console/admin-units"):
        assert (await http.get(path)).status_code == 403, path


async def test_an_admin_creates_and_renames_an_agency(http: httpx.AsyncClient) -> None:
    await sign_in_admin(http)
    invalid = await http.post(
        "/console/agencies",
        data={"code": "bad code!", "name": "Sở Thử nghiệm"},
        headers=form_headers(http),
    )
    assert invalid.status_code == 422
    assert 'id="e-code"' in invalid.text and 'value="Sở Thử nghiệm"' in invalid.text
    for name in ("Sở Thử nghiệm", "Sở Thử nghiệm và Phát triển"):
        saved = await http.post(
            "/console/agencies",
            data={"code": "SO-TN", "name": name, "commune_code": ""},
            headers=form_headers(http),
        )
        assert saved.status_code == 204, saved.text
        assert saved.headers["HX-Redirect"] == "/console/agencies?done=SO-TN"
    api = await http.get("/api/v1/agencies")
    assert {"code": "SO-TN", "name": "Sở Thử nghiệm và Phát triển", "commune_code": None} in (
        api.json()
    )
    page = await http.get("/console/agencies")
    assert "Sở Thử nghiệm và Phát triển" in page.text and 'id="agency-form"' in page.text
    menu = await http.get("/console/")
    assert 'href="/console/people"' in menu.text
    assert "Người có vai trò cán bộ" in menu.text  # the administrator's card


async def test_administrative_units_filter_and_page_like_the_api(
    http: httpx.AsyncClient,
) -> None:
    await web_sign_in(http, COMMS, return_to="/console/")
    await grant(COMMS, Role.COMMS_OFFICER)
    api = (await http.get("/api/v1/admin-units", params={"type": "phường", "limit": 5})).json()
    page = await http.get("/console/admin-units", params={"type": "phường", "limit": 5})
    assert page.status_code == 200, page.text
    codes = re.findall(r'<th scope="row">(\d{5})</th>', page.text)
    assert codes == [unit["code"] for unit in api["items"]]
    assert '<option value="phường" selected>' in page.text
    # The next page keeps the filter and moves the cursor, as the API's next_cursor does.
    assert api["next_cursor"]
    nxt = re.search(r'<a rel="next" href="([^"]+)"', page.text)
    assert nxt is not None
    link = nxt.group(1).replace("&amp;", "&")
    assert "type=%E1%BB%9Dng" in link or "type=ph%C6%B0%E1%BB%9Dng" in link
    second = await http.get(link)
    api_second = (
        await http.get(
            "/api/v1/admin-units",
            params={"type": "phường", "limit": 5, "cursor": api["next_cursor"]},
        )
    ).json()
    assert re.findall(r'<th scope="row">(\d{5})</th>', second.text) == [
        unit["code"] for unit in api_second["items"]
    ]
    searched = await http.get("/console/admin-units", params={"q": "phan dinh phung"})
    assert "Phan Đình Phùng" in searched.text
