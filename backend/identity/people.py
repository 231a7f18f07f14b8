"""People, their roles and memberships, and the agencies and police units they belong to.
Every change is audited."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

import msgspec

from backend.access import STAFF_ROLES, Principal, Role
from backend.audit.service import do_record
from backend.identity import repository
from backend.identity.errors import (
    AgencyNotFound,
    CannotRevokeOwnAdmin,
    MembershipRequired,
    PersonNotFound,
    PoliceUnitNotFound,
    RoleNotGranted,
)
from backend.identity.repository import GrantRow, PersonIdentity, PersonRow
from backend.identity.schemas import Agency, Me, Membership, PersonSummary, PoliceUnit, RoleInfo
from backend.identity.sessions import csrf_token_for
from backend.settings import Settings


async def get_me(principal: Principal, settings: Settings, session_token: str | None) -> Me:
    """The caller's profile, with only the grants the request honours (a weak sign-in's
    staff roles are left out), and the CSRF token of a web session."""
    found = principal.profile or await repository.person_with_grants(principal.id)
    if found is None:
        raise PersonNotFound()
    person, granted = found
    grants = [_role_info(g) for g in granted if g.role in principal.roles]
    return Me(
        id=person.id,
        full_name=person.full_name,
        personal_id=person.personal_id,
        birth_date=person.birth_date,
        gender=person.gender,
        address=person.address,
        roles=sorted(principal.roles),
        grants=grants,
        agencies=_unique(g.agency for g in grants),
        police_units=_unique(g.police_unit for g in grants),
        last_sign_in_at=person.last_sign_in_at,
        csrf_token=csrf_token_for(settings, session_token) if session_token else None,
    )


def _unique(items: Iterable[Membership | None]) -> list[Membership]:
    seen: dict[str, Membership] = {}
    for item in items:
        if item is not None:
            seen.setdefault(item.code, item)
    return list(seen.values())


def _role_info(grant: GrantRow) -> RoleInfo:
    return RoleInfo(
        role=grant.role,
        agency=_membership(grant.agency, grant.agency_name),
        police_unit=_membership(grant.police_unit, grant.police_unit_name),
        communes=list(grant.communes or []),
        granted_at=grant.granted_at,
        department=grant.department,
        manager=grant.manager,
    )


def _membership(code: str | None, name: str | None) -> Membership | None:
    # The join gives a name whenever there is a code (a foreign key to a named unit).
    return Membership(code=code, name=name or "") if code else None


async def get_person_roles(person_id: uuid.UUID) -> list[RoleInfo]:
    """The roles granted to a person, by role name; `PersonNotFound` if there is none."""
    if await repository.person_by_id(person_id) is None:
        raise PersonNotFound()
    return [_role_info(g) for g in await repository.grants_of(person_id)]


async def _summary(person: PersonRow) -> PersonSummary:
    grants = await repository.grants_of(person.id)
    return PersonSummary(
        id=person.id,
        full_name=person.full_name,
        personal_id=person.personal_id,
        roles=sorted({Role.CITIZEN.value, *(g.role for g in grants)}),
    )


async def access_people(
    actor: Principal, *, q: str | None, role: Role | None, after: uuid.UUID | None, limit: int
) -> list[PersonSummary]:
    """People matching a search (identification number exact, or name), for an
    administrator; the search itself is audited (it reveals identification numbers)."""
    rows = await repository.search_persons(q, role.value if role else None, after, limit)
    await do_record(
        "people.search",
        actor_id=str(actor.id),
        object_type="person",
        details={"role": role.value if role else None, "results": len(rows)},
    )
    return [await _summary(row) for row in rows]


async def access_person(actor: Principal, person_id: uuid.UUID) -> PersonSummary:
    """One person for an administrator (the console's person page); audited as a search is,
    since it shows their identification number. `PersonNotFound` if there is none."""
    person = await repository.person_by_id(person_id)
    if person is None:
        raise PersonNotFound()
    await do_record(
        "person.view", actor_id=str(actor.id), object_type="person", object_id=str(person_id)
    )
    return await _summary(person)


async def count_staff_people() -> int:
    """How many people hold a staff role (any role but citizen)."""
    return await repository.count_people_with_roles(sorted(r.value for r in STAFF_ROLES))


async def do_provision_person(
    personal_id: str, full_name: str | None, *, actor: uuid.UUID | None = None
) -> PersonSummary:
    """A person known by identification number before their first sign-in (staff being
    given roles ahead of time). Idempotent: the existing person if there is one."""
    existing = await repository.person_by_personal_id(personal_id)
    if existing is not None:
        return await _summary(existing)
    person_id = uuid.uuid4()
    await repository.insert_person(
        person_id, PersonIdentity(personal_id=personal_id, full_name=full_name), datetime.now(UTC)
    )
    await do_record(
        "person.provision",
        actor_id=str(actor) if actor else None,
        object_type="person",
        object_id=str(person_id),
    )
    return PersonSummary(
        id=person_id, full_name=full_name, personal_id=personal_id, roles=[Role.CITIZEN.value]
    )


async def do_grant_role(
    person_id: uuid.UUID,
    role: Role,
    *,
    granted_by: uuid.UUID | None,
    reason: str,
    agency: str | None = None,
    police_unit: str | None = None,
    communes: list[str] | None = None,
    department: str | None = None,
    manager: bool = False,
) -> RoleInfo:
    """Grant (or re-scope) a role, audited. Civil servants need an agency, and may name their
    `department` in it and carry the `manager` flag (they see their agency's training
    reports); police roles need a police unit; welfare officers may be limited to communes.
    Re-granting replaces the whole scope (a department left out is cleared)."""
    if role == Role.CITIZEN:
        raise MembershipRequired(
            detail_vi="Mọi người dùng đều là công dân; không cần cấp vai trò này.",
            detail_en="Everyone is a citizen; this role is not granted.",
        )
    if await repository.person_by_id(person_id) is None:
        raise PersonNotFound()
    if role == Role.CIVIL_SERVANT and not agency:
        raise MembershipRequired()
    if role in (Role.POLICE_OFFICER, Role.POLICE_SUPERVISOR) and not police_unit:
        raise MembershipRequired()
    if role != Role.CIVIL_SERVANT:
        agency, department, manager = None, None, False
    department = " ".join(department.split()) or None if department else None
    if role not in (Role.POLICE_OFFICER, Role.POLICE_SUPERVISOR):
        police_unit = None
    if agency and not await repository.agency_exists(agency):
        raise AgencyNotFound()
    if police_unit and not await repository.police_unit_exists(police_unit):
        raise PoliceUnitNotFound()
    scoped = sorted(set(communes or [])) if role == Role.WELFARE_OFFICER else []
    await repository.upsert_grant(
        person_id,
        role.value,
        agency,
        police_unit,
        scoped,
        granted_by,
        datetime.now(UTC),
        department=department,
        manager=manager,
    )
    await do_record(
        "role.grant",
        actor_id=str(granted_by) if granted_by else None,
        object_type="person",
        object_id=str(person_id),
        reason=reason,
        details={
            "role": role.value,
            "agency": agency,
            "police_unit": police_unit,
            "communes": scoped,
            "department": department,
            "manager": manager,
        },
    )
    return next(i for i in await get_person_roles(person_id) if i.role == role.value)


async def do_revoke_role(
    person_id: uuid.UUID, role: Role, *, revoked_by: uuid.UUID | None, reason: str
) -> None:
    """Revoke a role, audited. It stops working at the person's next request."""
    if role == Role.SYSTEM_ADMIN and revoked_by == person_id:
        raise CannotRevokeOwnAdmin()
    if await repository.person_by_id(person_id) is None:
        raise PersonNotFound()
    if not await repository.delete_grant(person_id, role.value):
        raise RoleNotGranted()
    await do_record(
        "role.revoke",
        actor_id=str(revoked_by) if revoked_by else None,
        object_type="person",
        object_id=str(person_id),
        reason=reason,
        details={"role": role.value},
    )


async def do_upsert_agency(agency: Agency, *, actor: uuid.UUID | None = None) -> None:
    """Create or rename an agency (keyed by code), audited."""
    await repository.upsert_agency(agency.code, agency.name, agency.commune_code)
    await do_record(
        "agency.upsert",
        actor_id=str(actor) if actor else None,
        object_type="agency",
        object_id=agency.code,
    )


async def do_upsert_police_unit(unit: PoliceUnit, *, actor: uuid.UUID | None = None) -> None:
    """Create or change a police unit and its communes (keyed by code), audited."""
    await repository.upsert_police_unit(unit.code, unit.name, sorted(set(unit.communes)))
    await do_record(
        "police_unit.upsert",
        actor_id=str(actor) if actor else None,
        object_type="police_unit",
        object_id=unit.code,
    )


async def list_agencies() -> list[Agency]:
    """Every agency, by code."""
    rows = await repository.list_agencies()
    return [msgspec.convert(r, Agency, from_attributes=True) for r in rows]


async def list_police_units() -> list[PoliceUnit]:
    """Every police unit, by code."""
    rows = await repository.list_police_units()
    return [msgspec.convert(r, PoliceUnit, from_attributes=True) for r in rows]
