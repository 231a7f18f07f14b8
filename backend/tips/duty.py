"""Who is on duty in a police unit: whom an emergency report alerts at once.

"On duty" is a small roster a unit's supervisors set (`police.do_set_duty`): the members
named, until the time given (or until changed). A roster entry counts only while the person
is still a member of the unit (a member who left is never alerted). When nobody is on the
roster — never set, ended, or every named person gone — every officer of the unit is on duty,
and a unit without officers falls back to its supervisors: an emergency always reaches
someone of the unit.

The alert is a personal notification (`tips.emergency`, category `emergency`, which nobody
can mute) written in the caller's transaction and pushed right after it commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from backend.access import Role
from backend.identity.service import members_with_role, names_of
from backend.settings import Settings
from backend.tips import police_repository
from backend.tips.police_schemas import Officer
from notifications.service import notify

if TYPE_CHECKING:
    from backend.tips.police_repository import TipRow


def _now() -> datetime:
    return datetime.now(UTC)


async def unit_members(unit_code: str) -> dict[uuid.UUID, str]:
    """The unit's members and their police role (supervisor wins for someone with both)."""
    members: dict[uuid.UUID, str] = {}
    for role in (Role.POLICE_OFFICER, Role.POLICE_SUPERVISOR):
        for member in await members_with_role(role, police_units=[unit_code]):
            members[member.person_id] = role.value
    return members


async def unit_member_ids(unit_code: str) -> list[uuid.UUID]:
    return sorted(await unit_members(unit_code))


@dataclass(frozen=True)
class OnDuty:
    person_ids: list[uuid.UUID]
    from_roster: bool
    until: datetime | None
    set_by: uuid.UUID | None
    set_at: datetime | None


async def on_duty(unit_code: str, *, now: datetime | None = None) -> OnDuty:
    """Who an emergency of the unit alerts now (see the module's docstring)."""
    now = now or _now()
    members = await unit_members(unit_code)
    roster = await police_repository.duty_of(unit_code)
    current = [r for r in roster if (r.until is None or r.until > now) and r.person_id in members]
    if current:
        return OnDuty(
            person_ids=[r.person_id for r in current],
            from_roster=True,
            until=min((r.until for r in current if r.until), default=None),
            set_by=current[0].set_by,
            set_at=current[0].set_at,
        )
    officers = sorted(p for p, role in members.items() if role == Role.POLICE_OFFICER)
    return OnDuty(
        person_ids=officers or sorted(members),
        from_roster=False,
        until=None,
        set_by=None,
        set_at=None,
    )


async def unit_officers(unit_code: str, *, now: datetime | None = None) -> list[Officer]:
    """The unit's members by name (officers and supervisors), with who is on duty."""
    members = await unit_members(unit_code)
    duty = set((await on_duty(unit_code, now=now)).person_ids)
    names = await names_of(list(members)) if members else {}
    officers = [
        Officer(person_id=p, full_name=names.get(p), role=role, on_duty=p in duty)
        for p, role in members.items()
    ]
    return sorted(officers, key=lambda o: ((o.full_name or "").casefold(), o.person_id))


async def replace_roster(
    unit_code: str,
    person_ids: Sequence[uuid.UUID],
    *,
    until: datetime | None,
    set_by: uuid.UUID,
    now: datetime,
) -> None:
    await police_repository.replace_duty(unit_code, person_ids, until=until, set_by=set_by, now=now)


async def alert_on_duty(unit_code: str, row: TipRow, settings: Settings) -> list[uuid.UUID]:
    """Alert the unit's on-duty officers of an emergency report at once; who was alerted."""
    people = (await on_duty(unit_code)).person_ids
    if people:
        await notify(
            people,
            "tips.emergency",
            {"reference": row.reference},
            deep_link=f"{settings.base_url}/console/tips/{row.id}",
            category="emergency",
        )
    return people
