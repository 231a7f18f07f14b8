"""Who holds a role where: the audiences other domains address (communications' campaigns,
`notify` to a role in a unit), and the few facts about people other domains need to match
their own records to a person (`names_of`, `identities_by_personal_id`, `personal_id_of`).
Read only; the caller decides what it may show and audits it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

import msgspec

from backend.identity import repository
from backend.identity.schemas import Department


class Member(msgspec.Struct, frozen=True, kw_only=True):
    """A holder of a role and where they hold it."""

    person_id: uuid.UUID
    agency: str | None
    police_unit: str | None
    communes: list[str]


async def members_with_role(
    role: str,
    *,
    agencies: Sequence[str] | None = None,
    police_units: Sequence[str] | None = None,
    communes: Sequence[str] | None = None,
) -> list[Member]:
    """The holders of `role` (one per person: a role is granted once), limited to those
    agencies, police units or communes when given; ordered by person id."""
    rows = await repository.members_with_role(
        role, agencies=agencies, police_units=police_units, communes=communes
    )
    return [Member(**msgspec.structs.asdict(row)) for row in rows]


async def count_members_by_agency(
    role: str, agencies: Sequence[str] | None = None
) -> dict[str, int]:
    """How many hold `role` in each agency (every agency when `agencies` is None)."""
    return await repository.count_members_by_agency(role, agencies)


async def person_ids_by_personal_id(personal_ids: Sequence[str]) -> dict[str, uuid.UUID]:
    """The people these personal identification numbers name (unknown numbers left out)."""
    return await repository.person_ids_by_personal_id(sorted(set(personal_ids)))


class IdentityRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What identity holds about a person known by a personal identification number."""

    person_id: uuid.UUID
    full_name: str | None
    birth_date: date | None


async def identities_by_personal_id(personal_ids: Sequence[str]) -> dict[str, IdentityRecord]:
    """The person, full name and birth date (None where the provider gave none) identity
    holds for each of these personal identification numbers (unknown numbers left out); one
    query however many numbers, so a list's import can compare a whole chunk at once."""
    rows = await repository.identities_by_personal_id(sorted(set(personal_ids)))
    return {
        personal_id: IdentityRecord(**msgspec.structs.asdict(row))
        for personal_id, row in rows.items()
    }


async def personal_id_of(person_id: uuid.UUID) -> str | None:
    """The personal identification number of this person (None when unknown or not given)."""
    row = await repository.person_by_id(person_id)
    return row.personal_id if row else None


async def count_persons() -> int:
    """Everyone who has signed in at least once or was provisioned (every one a citizen)."""
    return await repository.count_persons()


async def names_of(person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    """The full names of these people (None for one the provider gave no name), for staff
    lists whose purpose is to name people — who has not acknowledged a circular. The caller
    audits the read; names never go into logs or audit details."""
    return await repository.names_of(sorted(set(person_ids)))


CivilServant = repository.CivilServantRow
"""A member of a mandatory training's target: `person_id` and their civil_servant grant's
`agency_code` and `department` (None for a holder of another role who is no civil servant)."""


async def civil_servant_members(
    *,
    agency: str | None = None,
    department: str | None = None,
    role: str | None = None,
    granted_since: datetime | None = None,
) -> list[CivilServant]:
    """Set-based, one query: the civil servants of `agency` (and `department` in it) — or,
    with `role`, everyone holding that role (with their civil_servant grant's agency and
    department when they have one; `agency`/`department` then narrow it) — ordered by
    person id. Nothing given: every civil servant. `granted_since`: only those whose grant
    was made or changed since then (a periodic sync's increment)."""
    rows = await repository.civil_servant_members(
        agency=agency, department=department, role=role, granted_since=granted_since
    )
    return rows


async def civil_servant_of(person_id: uuid.UUID) -> CivilServant | None:
    """The person's civil_servant grant's agency and department (None: not a civil servant)."""
    return await repository.civil_servant_of(person_id)


async def list_departments(agencies: Sequence[str] | None = None) -> list[Department]:
    """The departments civil servants' grants name, per agency (those `agencies` when given),
    with how many civil servants each has; by agency then name."""
    rows = await repository.departments(agencies)
    return [Department(**msgspec.structs.asdict(row)) for row in rows]


async def managed_agencies(person_id: uuid.UUID) -> frozenset[str]:
    """The agencies whose training reports this person sees as a manager (the manager flag on
    their civil_servant grant); empty for anyone else. A request's `Principal` carries the
    same set (`managed_agencies`), read with its roles."""
    return frozenset(await repository.managed_agencies(person_id))
