"""Every query on administrative units."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.geo.tables import AdministrativeUnit


async def list_codes(province_code: str) -> set[str]:
    rows = await AdministrativeUnit.select(AdministrativeUnit.code).where(
        AdministrativeUnit.province_code == province_code
    )
    return {row["code"] for row in rows}


async def upsert(rows: list[dict[str, Any]], now: datetime) -> None:
    if not rows:
        return
    await AdministrativeUnit.insert(
        *(AdministrativeUnit(**row, updated_at=now) for row in rows)
    ).on_conflict(
        target=AdministrativeUnit.code,
        action="DO UPDATE",
        values=[
            AdministrativeUnit.name,
            AdministrativeUnit.name_folded,
            AdministrativeUnit.division_type,
            AdministrativeUnit.codename,
            AdministrativeUnit.province_code,
            AdministrativeUnit.province_name,
            AdministrativeUnit.updated_at,
        ],
    )


async def delete_codes(codes: set[str]) -> None:
    if codes:
        await AdministrativeUnit.delete().where(AdministrativeUnit.code.is_in(list(codes)))


async def get(code: str) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await AdministrativeUnit.select().where(AdministrativeUnit.code == code).first()
    )
    return row


async def page(
    *, after_code: str | None, limit: int, folded_query: str | None, division_type: str | None
) -> list[dict[str, Any]]:
    """Units ordered by code, strictly after `after_code` (keyset pagination)."""
    query = AdministrativeUnit.select().order_by(AdministrativeUnit.code).limit(limit)
    if after_code is not None:
        query = query.where(AdministrativeUnit.code > after_code)
    if folded_query:
        query = query.where(AdministrativeUnit.name_folded.ilike(f"%{_escape_like(folded_query)}%"))
    if division_type:
        query = query.where(AdministrativeUnit.division_type == division_type)
    rows: list[dict[str, Any]] = await query
    return rows


async def count(province_code: str) -> int:
    n: int = await AdministrativeUnit.count().where(
        AdministrativeUnit.province_code == province_code
    )
    return n


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
