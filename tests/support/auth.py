"""Signed-in callers for tests: a fresh person with the given roles and a real access token
of ours (signed by the app's key), as the token endpoint would issue it."""

from __future__ import annotations

import secrets
import uuid

from backend.access import Role
from backend.db import unit_of_work
from backend.identity.schemas import Agency, PoliceUnit
from backend.identity.service import (
    do_grant_role,
    do_issue_tokens,
    do_provision_person,
    do_upsert_agency,
    do_upsert_police_unit,
)
from backend.settings import load_settings

TEST_AGENCY = "TEST-AGENCY"
TEST_POLICE_UNIT = "TEST-POLICE"


async def create_person(
    *roles: Role | str,
    agency: str = TEST_AGENCY,
    police_unit: str = TEST_POLICE_UNIT,
    communes: tuple[str, ...] = (),
) -> uuid.UUID:
    """A person (unique identification number) holding `roles`, their units created."""
    async with unit_of_work():
        person = await do_provision_person(f"0{secrets.randbelow(10**11):011d}", "Người thử nghiệm")
        for role in roles:
            role = Role(role)
            if role == Role.CITIZEN:
                continue
            if role == Role.CIVIL_SERVANT:
                await do_upsert_agency(Agency(code=agency, name=f"Cơ quan {agency}"))
            if role in (Role.POLICE_OFFICER, Role.POLICE_SUPERVISOR):
                await do_upsert_police_unit(
                    PoliceUnit(code=police_unit, name=f"Đơn vị {police_unit}", communes=["05443"])
                )
            await do_grant_role(
                person.id,
                role,
                granted_by=None,
                reason="test fixture",
                agency=agency,
                police_unit=police_unit,
                communes=list(communes),
            )
    return person.id


async def bearer_for(person_id: uuid.UUID) -> dict[str, str]:
    """A real access token of the person, in a refresh family of its own (as the token
    endpoint issues them: revoking the family stops it)."""
    async with unit_of_work():
        pair = await do_issue_tokens(load_settings(), person_id, acr="LoA2")
    return {"Authorization": f"Bearer {pair.access_token}"}


async def auth_headers(
    *roles: Role | str,
    agency: str = TEST_AGENCY,
    police_unit: str = TEST_POLICE_UNIT,
    communes: tuple[str, ...] = (),
) -> dict[str, str]:
    """`Authorization` header of a fresh person holding `roles` (none: a plain citizen)."""
    person_id = await create_person(
        *roles, agency=agency, police_unit=police_unit, communes=communes
    )
    return await bearer_for(person_id)
