"""Factories of the mandatory-training and report tests: civil servants with a department and
the manager flag, course admins, and what the notifications left in the inbox."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from backend.access import Principal, Role
from backend.db import unit_of_work
from backend.identity.schemas import Agency
from backend.identity.service import (
    do_grant_role,
    do_provision_person,
    do_upsert_agency,
)
from mooc import sql

NOW = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)
"""A Monday, 09:00 in Asia/Ho_Chi_Minh: the tests' clock (services take `now`)."""


async def agency(code: str, name: str | None = None) -> str:
    async with unit_of_work():
        await do_upsert_agency(Agency(code=code, name=name or f"Cơ quan {code}"))
    return code


async def civil_servant(
    agency_code: str,
    *,
    department: str | None = None,
    manager: bool = False,
    name: str = "Nguyễn Văn Học",
    other_roles: tuple[Role, ...] = (),
) -> uuid.UUID:
    """A civil servant of the agency (created if missing), in `department`, a manager or not."""
    await agency(agency_code)
    async with unit_of_work():
        person = await do_provision_person(f"0{secrets.randbelow(10**11):011d}", name)
        await do_grant_role(
            person.id,
            Role.CIVIL_SERVANT,
            granted_by=None,
            reason="test fixture",
            agency=agency_code,
            department=department,
            manager=manager,
        )
        for role in other_roles:
            await do_grant_role(person.id, role, granted_by=None, reason="test fixture")
    return person.id


async def staff(*roles: Role, name: str = "Trần Thị Quản") -> uuid.UUID:
    async with unit_of_work():
        person = await do_provision_person(f"0{secrets.randbelow(10**11):011d}", name)
        for role in roles:
            await do_grant_role(person.id, role, granted_by=None, reason="test fixture")
    return person.id


def admin_principal(person_id: uuid.UUID) -> Principal:
    return Principal(id=person_id, roles=frozenset({"citizen", "course_admin"}))


def manager_principal(person_id: uuid.UUID, *agencies: str) -> Principal:
    return Principal(
        id=person_id,
        roles=frozenset({"citizen", "civil_servant"}),
        agencies=frozenset(agencies),
        managed_agencies=frozenset(agencies),
    )


async def inbox(template: str) -> dict[uuid.UUID, list[dict[str, str]]]:
    """Who got a notification of `template`, with its data, in the order written."""
    rows = await sql.fetch(
        "SELECT person_id, data->>'course' AS course, data->>'deadline' AS deadline, title"
        " FROM inbox_items WHERE data->>'template' = $1 ORDER BY created_at, id",
        template,
    )
    found: dict[uuid.UUID, list[dict[str, str]]] = {}
    for row in rows:
        found.setdefault(row["person_id"], []).append(
            {"course": row["course"], "deadline": row["deadline"], "title": row["title"]}
        )
    return found


async def enrolment_of(person_id: uuid.UUID, course_id: uuid.UUID) -> dict[str, Any] | None:
    row = await sql.fetchrow(
        "SELECT * FROM mooc_enrolments WHERE person_id = $1 AND course_id = $2",
        person_id,
        course_id,
    )
    return dict(row) if row else None


async def enrolled(person_id: uuid.UUID, course_id: uuid.UUID) -> dict[str, Any]:
    row = await enrolment_of(person_id, course_id)
    assert row is not None, "not enrolled"
    return row
