"""Where a report goes, and whether a place is in the province.

Routing: a report goes to the police unit that answers for its commune (identity's police
units and their communes: the routing table is kept there, by `ctn`/the console); no commune,
or a commune no unit answers for, goes to the provincial queue (`unit_code` NULL).

The province's outline: there is no boundary data on this machine (see
notifications/province_map.py), so coordinates are checked against a simplified outline of
Thái Nguyên after the July 2025 merger (the former Thái Nguyên and Bắc Kạn provinces), drawn
a few kilometres generous all round: a point a reporter picks near the border is never
refused, while points in the neighbouring provinces' towns (Hà Nội, Bắc Ninh, Lạng Sơn,
Cao Bằng, Tuyên Quang, Phú Thọ) are.
"""

from __future__ import annotations

from backend.identity.service import list_police_units

# (longitude, latitude) clockwise from the southern tip (Phổ Yên).
THAI_NGUYEN_OUTLINE: tuple[tuple[float, float], ...] = (
    (105.80, 21.28),
    (106.05, 21.38),
    (106.20, 21.55),
    (106.28, 21.75),
    (106.40, 21.95),
    (106.42, 22.25),
    (106.28, 22.50),
    (106.05, 22.62),
    (105.85, 22.78),
    (105.62, 22.75),
    (105.45, 22.55),
    (105.38, 22.25),
    (105.45, 22.00),
    (105.45, 21.70),
    (105.58, 21.45),
    (105.70, 21.32),
)

OUTLINES: dict[str, tuple[tuple[float, float], ...]] = {"19": THAI_NGUYEN_OUTLINE}
"""Outlines by province code; a province without one accepts any coordinates in Vietnam."""
VIETNAM_BOX = (102.1, 8.3, 117.9, 23.4)
"""(west, south, east, north), islands included."""


def in_province(province_code: str, latitude: float, longitude: float) -> bool:
    outline = OUTLINES.get(f"{int(province_code):02d}")
    if outline is None:
        west, south, east, north = VIETNAM_BOX
        return west <= longitude <= east and south <= latitude <= north
    return _inside(outline, longitude, latitude)


def _inside(polygon: tuple[tuple[float, float], ...], x: float, y: float) -> bool:
    """Ray casting: a point is inside when a ray from it crosses the outline an odd number
    of times."""
    inside = False
    j = len(polygon) - 1
    for i, (xi, yi) in enumerate(polygon):
        xj, yj = polygon[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


async def unit_for_commune(commune_code: str | None) -> str | None:
    """The code of the police unit that answers for the commune; None: the provincial
    queue. When several units list a commune, the first by code (a configuration slip the
    console shows; the report is still routed)."""
    if not commune_code:
        return None
    for unit in await list_police_units():
        if commune_code in unit.communes:
            return unit.code
    return None
