"""Demo data of the identity domain: the province's agencies and police units, and the demo
people of every role, provisioned by identification number so that their first sign-in
through the development provider binds them (with their roles already in place)."""

from __future__ import annotations

from backend.access import Role
from backend.devidp.people import AGENCIES, PEOPLE, POLICE_UNITS
from backend.identity.schemas import Agency, PoliceUnit
from backend.identity.service import (
    do_grant_role,
    do_provision_person,
    do_upsert_agency,
    do_upsert_police_unit,
    get_person_roles,
)
from backend.settings import Settings

REASON = "Dữ liệu mẫu (demo)"


async def seed_people(settings: Settings | None = None) -> int:
    """Idempotent: units are upserted, people provisioned once, missing roles granted.
    Returns the number of roles granted by this run."""
    for agency in AGENCIES:
        await do_upsert_agency(
            Agency(code=agency.code, name=agency.name, commune_code=agency.commune_code)
        )
    for unit in POLICE_UNITS:
        await do_upsert_police_unit(
            PoliceUnit(code=unit.code, name=unit.name, communes=list(unit.communes))
        )
    granted = 0
    for person in PEOPLE:
        summary = await do_provision_person(person.personal_id, person.full_name)
        held = {info.role for info in await get_person_roles(summary.id)}
        for role in person.roles:
            if role in held:
                continue
            await do_grant_role(
                summary.id,
                Role(role),
                granted_by=None,
                reason=REASON,
                agency=person.agency,
                police_unit=person.police_unit,
                communes=list(person.communes),
            )
            granted += 1
    return granted
