"""Administrative units: loaded from the `vietnam-provinces` package, never typed by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import version

from vietnam_provinces import Province, ProvinceCode, Ward

from backend.audit.service import do_record
from backend.geo import repository
from backend.geo.errors import AdministrativeUnitNotFound
from backend.geo.repository import UnitRow
from backend.geo.schemas import AdministrativeUnit, AdministrativeUnitPage, SyncReport
from backend.http.etag import VersionCache
from backend.http.pagination import PageRequest, decode_cursor, encode_cursor
from backend.text import fold

CURSOR_KIND = "admin_units"


def packaged_units(province_code: str) -> list[UnitRow]:
    """The province's units as the installed `vietnam-provinces` package lists them."""
    province = Province.from_code(ProvinceCode(int(province_code)))
    return [
        UnitRow(
            code=f"{int(ward.code):05d}",
            name=ward.name,
            name_folded=fold(ward.name),
            division_type=str(ward.division_type.value),
            codename=ward.codename,
            province_code=f"{int(province.code):02d}",
            province_name=province.name,
        )
        for ward in Ward.iter_by_province(province.code)
    ]


async def do_sync_units(province_code: str) -> SyncReport:
    """Make the table match the package for one province. Idempotent. Each run is audited
    (`admin_units.sync`, by the system: no actor) with what it changed and the package
    version, since every commune-scoped rule (welfare officers, police units) reads this
    table."""
    rows = packaged_units(province_code)
    existing = await repository.list_codes(f"{int(province_code):02d}")
    wanted = {row.code for row in rows}
    await repository.upsert(rows, datetime.now(UTC))
    await _version.changed()
    removed = existing - wanted
    await repository.delete_codes(removed)
    report = SyncReport(
        province_code=f"{int(province_code):02d}",
        units=len(rows),
        inserted=len(wanted - existing),
        updated=len(wanted & existing),
        removed=len(removed),
    )
    await do_record(
        "admin_units.sync",
        actor_id=None,
        object_type="province",
        object_id=report.province_code,
        details={
            "package": f"vietnam-provinces {version('vietnam-provinces')}",
            "units": report.units,
            "inserted": report.inserted,
            "updated": report.updated,
            "removed": sorted(removed),
        },
    )
    return report


async def get_unit(code: str) -> AdministrativeUnit:
    row = await repository.get(code)
    if row is None:
        raise AdministrativeUnitNotFound()
    return _to_schema(row)


async def list_units(
    page: PageRequest, *, query: str | None = None, division_type: str | None = None
) -> AdministrativeUnitPage:
    """A page of units ordered by code; `query` matches names ignoring case and diacritics."""
    after = decode_cursor(page.cursor, CURSOR_KIND, (str,))[0] if page.cursor else None
    rows = await repository.page(
        after_code=after,
        limit=page.limit + 1,
        folded_query=fold(query) if query else None,
        division_type=division_type,
    )
    items = [_to_schema(row) for row in rows[: page.limit]]
    next_cursor = encode_cursor(CURSOR_KIND, (items[-1].code,)) if len(rows) > page.limit else None
    return AdministrativeUnitPage(items=items, next_cursor=next_cursor)


def _to_schema(row: UnitRow) -> AdministrativeUnit:
    return AdministrativeUnit(
        code=row.code,
        name=row.name,
        division_type=row.division_type,
        province_code=row.province_code,
        province_name=row.province_name,
    )


# Units change only when a sync runs (a new `vietnam-provinces` release); another process's
# sync reaches this one within a minute (answers may be cached an hour anyway).
_version = VersionCache(seconds=60)


async def units_version() -> str:
    """A validator of every answer about the units: it changes whenever a sync changes them."""
    return await _version.get(repository.version)
