"""Helpers of the police tests: police units answering for given communes, their officers and
supervisors with real access tokens, reports filed through the citizen API, audit trails and
inbox titles."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from backend.access import Role
from backend.audit.repository import EntryRow, search
from backend.db import unit_of_work
from backend.identity.schemas import PoliceUnit
from backend.identity.service import do_grant_role, do_provision_person, do_upsert_police_unit
from tests.support.auth import auth_headers, bearer_for
from tests.tips.conftest import submit_anonymous, submit_confidential

POLICE_API = "/api/v1/police/tips"
UNIT_A = "CA-TEST-A"
UNIT_B = "CA-TEST-B"
PROVINCIAL_UNIT = "CA-TINH"
COMMUNE_A = "05443"
COMMUNE_B = "05569"


@dataclass(frozen=True)
class Officer:
    id: uuid.UUID
    headers: dict[str, str]


async def police_unit(code: str, communes: list[str]) -> None:
    async with unit_of_work():
        await do_upsert_police_unit(
            PoliceUnit(code=code, name=f"Công an thử nghiệm {code}", communes=communes)
        )


async def police_person(role: Role | str, unit: str, name: str | None = None) -> Officer:
    """A person holding `role` in `unit` (the unit must exist), with a real access token."""
    async with unit_of_work():
        person = await do_provision_person(
            f"0{secrets.randbelow(10**11):011d}", name or f"Cán bộ {unit} {secrets.token_hex(2)}"
        )
        await do_grant_role(
            person.id, Role(role), granted_by=None, reason="test fixture", police_unit=unit
        )
    return Officer(id=person.id, headers=await bearer_for(person.id))


@dataclass(frozen=True)
class Units:
    """Two units of two communes and the provincial unit, each with an officer and a
    supervisor."""

    a_officer: Officer
    a_supervisor: Officer
    b_officer: Officer
    b_supervisor: Officer
    province_officer: Officer
    province_supervisor: Officer


async def two_units() -> Units:
    await police_unit(UNIT_A, [COMMUNE_A])
    await police_unit(UNIT_B, [COMMUNE_B])
    await police_unit(PROVINCIAL_UNIT, [])
    return Units(
        a_officer=await police_person(Role.POLICE_OFFICER, UNIT_A, "Nguyễn Văn An"),
        a_supervisor=await police_person(Role.POLICE_SUPERVISOR, UNIT_A, "Trần Thị Bình"),
        b_officer=await police_person(Role.POLICE_OFFICER, UNIT_B, "Lê Văn Cường"),
        b_supervisor=await police_person(Role.POLICE_SUPERVISOR, UNIT_B, "Phạm Thị Dung"),
        province_officer=await police_person(Role.POLICE_OFFICER, PROVINCIAL_UNIT),
        province_supervisor=await police_person(Role.POLICE_SUPERVISOR, PROVINCIAL_UNIT),
    )


def place(commune: str | None) -> dict[str, Any]:
    if commune is None:
        return {"unknown": True}
    return {"commune_code": commune, "address": "Tổ 3, ngõ 5"}


async def file_confidential(
    client: httpx.AsyncClient,
    commune: str | None = COMMUNE_A,
    reporter: dict[str, str] | None = None,
    **overrides: Any,
) -> tuple[dict[str, Any], dict[str, str]]:
    """A confidential report through the citizen API: (the answer, the reporter's headers)."""
    headers = reporter or await auth_headers()
    answer = await submit_confidential(client, headers, place=place(commune), **overrides)
    return answer, headers


async def file_anonymous(
    client: httpx.AsyncClient, commune: str | None = COMMUNE_A, **overrides: Any
) -> dict[str, Any]:
    return await submit_anonymous(client, place=place(commune), **overrides)


async def queue(client: httpx.AsyncClient, who: Officer, **params: Any) -> list[dict[str, Any]]:
    answer = await client.get(POLICE_API, headers=who.headers, params=params)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


async def tip_id_of(client: httpx.AsyncClient, who: Officer, reference: str) -> str:
    found = await queue(client, who, q=reference)
    assert [t["reference"] for t in found] == [reference]
    return str(found[0]["id"])


async def audit_trail(action: str, object_id: str | None = None) -> list[EntryRow]:
    """Audit entries of `action` (a prefix with `*`), oldest first."""
    async with unit_of_work():
        found = await search(
            actor_id=None,
            action=action,
            object_type=None,
            object_id=object_id,
            since=None,
            until=None,
            before_id=None,
            limit=100,
        )
    return list(reversed(found))


async def inbox_titles(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    answer = await client.get("/api/v1/inbox", headers=headers)
    assert answer.status_code == 200, answer.text
    return [item["title"] for item in answer.json()["items"]]
