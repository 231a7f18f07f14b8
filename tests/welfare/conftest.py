"""Helpers of the welfare tests: a programme, officers with real tokens (optionally limited
to communes), list files generated as .csv and .xlsx, and imports run as the job runs them."""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import httpx
import xlsxwriter

from backend.access import Role
from backend.db import unit_of_work
from backend.identity.service import do_provision_person
from backend.settings import get_settings
from backend.welfare import service
from backend.welfare.schemas import CategoryIn, ProgrammeIn
from tests.support.auth import bearer_for, create_person

API = "/api/v1/welfare"
COMMUNE_A = "05443"
COMMUNE_B = "05569"
PROGRAMME = "BTXH"
HEADER_VI = [
    "Số định danh cá nhân",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Mã xã",
    "Chương trình",
    "Nhóm đối tượng",
    "Số tiền hằng tháng",
    "Hình thức chi trả",
    "Số tài khoản",
]
HEADER_PLAIN = [
    "SO DINH DANH CA NHAN",
    "ho  va ten",
    "Ngay sinh",
    "gioi tinh",
    "ma xa",
    "chuong trinh",
    "nhom doi tuong",
    "so tien hang thang",
    "hinh thuc chi tra",
    "so tai khoan",
]


def personal_id(birth: date, female: bool = False, province: str = "019") -> str:
    """A well-formed number for that birth date and gender."""
    digit = {1900: 0, 2000: 2}[birth.year // 100 * 100] + int(female)
    return f"{province}{digit}{birth.year % 100:02d}{secrets.randbelow(10**6):06d}"


def row(
    pid: str,
    name: str = "Nguyễn Văn An",
    birth: str = "12/03/1950",
    gender: str = "Nam",
    commune: str = COMMUNE_A,
    programme: str = PROGRAMME,
    category: str = "NCT80",
    amount: Any = "500.000",
    channel: str = "Tài khoản ngân hàng",
    account: str = "0123456789",
) -> list[Any]:
    return [pid, name, birth, gender, commune, programme, category, amount, channel, account]


def csv_bytes(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER_VI) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER_VI) -> bytes:
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, header)
    for number, values in enumerate(rows, start=1):
        sheet.write_row(number, 0, values)
    workbook.close()
    return out.getvalue()


async def programme() -> None:
    async with unit_of_work():
        await service.do_upsert_programme(
            None,
            ProgrammeIn(
                code=PROGRAMME,
                name_vi="Trợ cấp xã hội hằng tháng",
                name_en="Monthly social allowance",
                categories=[
                    CategoryIn(
                        code="NCT80",
                        name_vi="Người từ đủ 80 tuổi",
                        name_en="People aged 80 or over",
                        monthly_amount=500_000,
                        min_amount=500_000,
                        max_amount=1_000_000,
                    ),
                    CategoryIn(
                        code="KT",
                        name_vi="Người khuyết tật nặng",
                        name_en="Severe disability",
                        monthly_amount=750_000,
                    ),
                ],
            ),
        )


async def officer(communes: tuple[str, ...] = ()) -> tuple[uuid.UUID, dict[str, str]]:
    person = await create_person(Role.WELFARE_OFFICER, communes=communes)
    return person, await bearer_for(person)


async def citizen(
    pid: str, name: str, birth: date | None = None
) -> tuple[uuid.UUID, dict[str, str]]:
    """A person identity knows by this number (name and birth date as from sign-in)."""
    from backend.identity.tables import Person

    async with unit_of_work():
        person = await do_provision_person(pid, name)
        if birth is not None:
            await Person.update({Person.birth_date: birth}).where(Person.id == person.id)
    return person.id, await bearer_for(person.id)


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    content: bytes,
    filename: str,
    *,
    kind: str = "beneficiaries",
    period_id: uuid.UUID | None = None,
    mapping: str | None = None,
) -> dict[str, Any]:
    params: dict[str, str] = {"kind": kind}
    if period_id:
        params["period_id"] = str(period_id)
    if mapping:
        params["mapping"] = mapping
    response = await client.post(
        f"{API}/imports",
        params=params,
        content=content,
        headers={
            **headers,
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )
    assert response.status_code == 202, response.text
    return response.json()


async def run(import_id: str) -> dict[str, Any]:
    """The job's body, as the worker runs it."""
    result = await service.run_import(get_settings(), uuid.UUID(import_id))
    import msgspec

    return msgspec.to_builtins(result)


async def rows_of(
    client: httpx.AsyncClient, headers: dict[str, str], import_id: str
) -> list[dict[str, Any]]:
    response = await client.get(
        f"{API}/imports/{import_id}/rows", params={"limit": 100}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]
