"""A schematic tile map of the province's communes and wards for the campaign editor.

There is no boundary data of the post-2025 communes on this machine (and nothing may be
downloaded while the app runs), so the map is a tile map, not a drawing of borders: one square
per unit, the units grouped by the district they belonged to before the 2025 reorganisation
and the groups placed roughly where those districts lie (the former Bắc Kạn province to the
north, the former Thái Nguyên province to the south).

A unit's former district is read from its code: a post-2025 unit kept the code of one of the
communes it was formed from, and the national codes of communes run in blocks by district.
Units whose code falls in no block (another province's list, a future change) are drawn in a
group of their own at the bottom, so every unit is always on the map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from backend.geo.schemas import AdministrativeUnit
from backend.geo.service import list_units
from backend.http.pagination import MAX_LIMIT, PageRequest


@dataclass(frozen=True)
class District:
    key: str
    name: str
    first: int
    last: int
    """The block of national commune codes the district's communes had."""
    column: int
    band: int
    """Where its group is drawn: column 0–3 west to east, band 0–5 north to south."""


DISTRICTS: tuple[District, ...] = (
    # Former Bắc Kạn province (codes 01834–02200).
    District("pac-nam", "Pác Nặm", 1858, 1888, 0, 0),
    District("ba-be", "Ba Bể", 1889, 1935, 1, 0),
    District("ngan-son", "Ngân Sơn", 1936, 1968, 2, 0),
    District("cho-don", "Chợ Đồn", 2018, 2085, 0, 1),
    District("bach-thong", "Bạch Thông", 1969, 2017, 1, 1),
    District("tp-bac-kan", "TP Bắc Kạn", 1834, 1857, 2, 1),
    District("na-ri", "Na Rì", 2143, 2200, 3, 1),
    District("dinh-hoa", "Định Hóa", 5541, 5608, 0, 2),
    District("cho-moi", "Chợ Mới", 2086, 2142, 1, 2),
    District("vo-nhai", "Võ Nhai", 5714, 5770, 3, 2),
    # Former Thái Nguyên province (codes 05431–05959).
    District("dai-tu", "Đại Từ", 5771, 5854, 0, 3),
    District("phu-luong", "Phú Lương", 5609, 5659, 1, 3),
    District("dong-hy", "Đồng Hỷ", 5660, 5713, 2, 3),
    District("song-cong", "Sông Công", 5518, 5540, 0, 4),
    District("tp-thai-nguyen", "TP Thái Nguyên", 5431, 5517, 1, 4),
    District("phu-binh", "Phú Bình", 5906, 5959, 2, 4),
    District("pho-yen", "Phổ Yên", 5855, 5905, 1, 5),
)

TILE = 40
GAP = 4
STEP = TILE + GAP
GROUP_COLUMNS = 3
"""Tiles per row inside a group."""
COLUMN_WIDTH = GROUP_COLUMNS * STEP + 16
LABEL = 20
BAND_GAP = 10
OTHER_COLUMNS = 12


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    short: str
    """A few letters drawn on the tile (the initials of the name without Xã/Phường)."""
    ward: bool
    """A phường (urban ward) rather than a xã."""
    x: int
    y: int


@dataclass(frozen=True)
class Group:
    name: str
    x: int
    y: int
    """Where the group's label is written."""
    tiles: tuple[Tile, ...]


@dataclass(frozen=True)
class ProvinceMap:
    width: int
    height: int
    groups: tuple[Group, ...]
    units: tuple[AdministrativeUnit, ...]
    """Every unit by code (the list beside the map)."""

    @property
    def names(self) -> dict[str, str]:
        return {unit.code: unit.name for unit in self.units}


def district_of(code: str) -> District | None:
    try:
        number = int(code)
    except ValueError:
        return None
    return next((d for d in DISTRICTS if d.first <= number <= d.last), None)


def short_name(name: str) -> str:
    words = name.split()
    if words and words[0].lower() in ("xã", "phường", "đặc"):
        words = words[2:] if words[0].lower() == "đặc" else words[1:]
    return "".join(word[0] for word in words[:3]).upper() or name[:2]


async def all_units() -> list[AdministrativeUnit]:
    """The province's communes and wards by code, from geo's service."""
    units: list[AdministrativeUnit] = []
    cursor = None
    while True:
        page = await list_units(PageRequest(cursor=cursor, limit=MAX_LIMIT))
        units.extend(page.items)
        if page.next_cursor is None:
            return units
        cursor = page.next_cursor


def _tiles(units: list[AdministrativeUnit], left: int, top: int, columns: int) -> tuple[Tile, ...]:
    return tuple(
        Tile(
            code=unit.code,
            name=unit.name,
            short=short_name(unit.name),
            ward=unit.division_type.lower().startswith("phường"),
            x=left + (index % columns) * STEP,
            y=top + (index // columns) * STEP,
        )
        for index, unit in enumerate(units)
    )


def layout(units: list[AdministrativeUnit]) -> ProvinceMap:
    """Tiles placed group by group (pure: positions from the units alone)."""
    by_district: dict[str, list[AdministrativeUnit]] = {d.key: [] for d in DISTRICTS}
    others: list[AdministrativeUnit] = []
    for unit in sorted(units, key=lambda u: u.name):
        district = district_of(unit.code)
        (by_district[district.key] if district else others).append(unit)
    bands = max(d.band for d in DISTRICTS) + 1
    band_rows = [0] * bands
    for district in DISTRICTS:
        rows = math.ceil(len(by_district[district.key]) / GROUP_COLUMNS)
        band_rows[district.band] = max(band_rows[district.band], rows)
    band_top = []
    y = 0
    for rows in band_rows:
        band_top.append(y)
        if rows:
            y += LABEL + rows * STEP + BAND_GAP
    groups: list[Group] = []
    for district in DISTRICTS:
        members = by_district[district.key]
        if not members:
            continue
        left = district.column * COLUMN_WIDTH
        top = band_top[district.band]
        groups.append(
            Group(
                name=district.name,
                x=left,
                y=top + LABEL - 6,
                tiles=_tiles(members, left, top + LABEL, GROUP_COLUMNS),
            )
        )
    width = 4 * COLUMN_WIDTH
    if others:
        columns = min(OTHER_COLUMNS, max(1, width // STEP))
        groups.append(
            Group(name="", x=0, y=y + LABEL - 6, tiles=_tiles(others, 0, y + LABEL, columns))
        )
        y += LABEL + math.ceil(len(others) / columns) * STEP + BAND_GAP
    return ProvinceMap(
        width=width,
        height=max(y, STEP),
        groups=tuple(groups),
        units=tuple(sorted(units, key=lambda u: u.code)),
    )


async def province_map() -> ProvinceMap:
    return layout(await all_units())
