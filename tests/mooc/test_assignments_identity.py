"""What identity gives mandatory training: a civil servant's department and manager flag
(granted, re-scoped, shown), the members of a target in one query, the agencies' departments,
the agencies a person manages (also on the request's principal)."""

from __future__ import annotations

import httpx
import pytest

from backend.access import Role
from backend.db import unit_of_work
from backend.identity import service as identity
from backend.identity.errors import MembershipRequired
from tests.mooc.assignment_fixtures import agency, civil_servant, staff
from tests.support.auth import bearer_for


async def test_a_grant_carries_the_department_and_manager_flag_of_civil_servants_only(
    db: None,
) -> None:
    person = await civil_servant("SO-ID", department="  Phòng   Kế hoạch ", manager=True)
    roles = {r.role: r for r in await identity.get_person_roles(person)}
    assert roles["civil_servant"].department == "Phòng Kế hoạch"
    assert roles["civil_servant"].manager is True
    assert await identity.managed_agencies(person) == frozenset({"SO-ID"})
    # Another role never carries them.
    async with unit_of_work():
        await identity.do_grant_role(
            person,
            Role.WELFARE_OFFICER,
            granted_by=None,
            reason="test",
            department="Phòng X",
            manager=True,
        )
    welfare = next(
        r for r in await identity.get_person_roles(person) if r.role == "welfare_officer"
    )
    assert welfare.department is None and welfare.manager is False
    # Re-granting re-scopes: no department, no longer a manager.
    async with unit_of_work():
        await identity.do_grant_role(
            person, Role.CIVIL_SERVANT, granted_by=None, reason="moved", agency="SO-ID"
        )
    again = next(r for r in await identity.get_person_roles(person) if r.role == "civil_servant")
    assert again.department is None and again.manager is False
    assert await identity.managed_agencies(person) == frozenset()
    with pytest.raises(MembershipRequired):
        async with unit_of_work():
            await identity.do_grant_role(
                person, Role.CIVIL_SERVANT, granted_by=None, reason="x", department="Phòng"
            )


async def test_members_of_a_target_come_in_one_query_with_agency_and_department(
    db: None,
) -> None:
    a = await civil_servant("SO-M", department="Phòng 1")
    b = await civil_servant("SO-M", department="Phòng 2")
    c = await civil_servant("SO-N", department="Phòng 1", other_roles=(Role.AUDITOR,))
    auditor_only = await staff(Role.AUDITOR)

    whole = await identity.civil_servant_members(agency="SO-M")
    assert [m.person_id for m in whole] == sorted([a, b])
    room = await identity.civil_servant_members(agency="SO-M", department="Phòng 1")
    assert [(m.person_id, m.agency_code, m.department) for m in room] == [(a, "SO-M", "Phòng 1")]
    auditors = {m.person_id: m for m in await identity.civil_servant_members(role="auditor")}
    assert auditors[c].agency_code == "SO-N" and auditors[c].department == "Phòng 1"
    assert auditors[auditor_only].agency_code is None
    assert await identity.civil_servant_of(b) == identity.CivilServant(
        person_id=b, agency_code="SO-M", department="Phòng 2"
    )
    assert await identity.civil_servant_of(auditor_only) is None

    departments = await identity.list_departments(["SO-M"])
    assert [(d.agency_code, d.department, d.members) for d in departments] == [
        ("SO-M", "Phòng 1", 1),
        ("SO-M", "Phòng 2", 1),
    ]


async def test_the_api_grants_and_shows_department_and_manager(client: httpx.AsyncClient) -> None:
    await agency("SO-API")
    admin = await bearer_for(await staff(Role.SYSTEM_ADMIN))
    person = await staff(name="Phan Văn Mới")
    granted = await client.post(
        f"/api/v1/people/{person}/roles",
        json={
            "role": "civil_servant",
            "agency": "SO-API",
            "department": "Văn phòng",
            "manager": True,
            "reason": "bổ nhiệm trưởng phòng",
        },
        headers=admin,
    )
    assert granted.status_code in (200, 201), granted.text
    assert granted.json()["department"] == "Văn phòng" and granted.json()["manager"] is True
    me = await client.get("/api/v1/me", headers=await bearer_for(person))
    grant = next(g for g in me.json()["grants"] if g["role"] == "civil_servant")
    assert grant["department"] == "Văn phòng" and grant["manager"] is True
    departments = await client.get(
        "/api/v1/departments", params={"agency": "SO-API"}, headers=admin
    )
    assert departments.json() == [
        {"agency_code": "SO-API", "department": "Văn phòng", "members": 1}
    ]


async def test_the_people_page_grants_a_department_and_the_manager_flag(
    client: httpx.AsyncClient,
) -> None:
    await agency("SO-FORM")
    admin = await bearer_for(await staff(Role.SYSTEM_ADMIN))
    person = await staff(name="Kiều Thị Nga")
    form = await client.get(f"/console/people/{person}", headers=admin)
    assert 'name="department"' in form.text and 'name="manager"' in form.text
    sent = await client.post(
        f"/console/people/{person}/roles",
        content="role=civil_servant&agency=SO-FORM&department=Ph%C3%B2ng+T%E1%BB%95ng+h%E1%BB%A3p"
        "&manager=on&reason=b%E1%BB%95+nhi%E1%BB%87m",
        headers=admin | {"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert sent.status_code == 204, sent.text
    page = await client.get(f"/console/people/{person}", headers=admin)
    assert "Phòng Tổng hợp" in page.text and "Quản lý" in page.text
    assert await identity.managed_agencies(person) == frozenset({"SO-FORM"})
