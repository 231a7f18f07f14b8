"""Names of places that several domains' pages show."""

from __future__ import annotations

from backend.geo.service import list_units
from backend.http.pagination import MAX_LIMIT, PageRequest


async def commune_names() -> dict[str, str]:
    """Every commune and ward of the province by code (geo's list, a few pages)."""
    names: dict[str, str] = {}
    cursor = None
    while True:
        page = await list_units(PageRequest(cursor=cursor, limit=MAX_LIMIT))
        names.update((unit.code, unit.name) for unit in page.items)
        if page.next_cursor is None:
            return names
        cursor = page.next_cursor
