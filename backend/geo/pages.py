"""Staff console pages of geo: the province's administrative units (read only), with the
filters and pages of `GET /api/v1/admin-units`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.response import Template

from backend.console.shell import STAFF, MenuEntry, access, render
from backend.geo import service
from backend.http.pagination import DEFAULT_LIMIT, PageRequest, page_request

DIVISION_TYPES = ("xã", "phường", "đặc khu")


def _limit(page: PageRequest) -> int | None:
    """The page size to keep in the URL (left out when it is the default)."""
    return page.limit if page.limit != DEFAULT_LIMIT else None


@get(
    "/admin-units",
    opt=access(STAFF),
    dependencies={"page": Provide(page_request, sync_to_thread=False)},
)
async def admin_units(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    q: Annotated[str | None, QueryParameter(max_length=100)] = None,
    division_type: Annotated[str | None, QueryParameter(name="type", max_length=20)] = None,
) -> Template:
    """Communes and wards of the province by code; the name matches without diacritics."""
    query = q.strip() if q and q.strip() else None
    kind = division_type or None
    units = await service.list_units(page, query=query, division_type=kind)
    return render(
        request,
        "geo/admin_units.html",
        units=units,
        params={"q": query, "type": kind, "cursor": page.cursor, "limit": _limit(page)},
        division_types=DIVISION_TYPES,
    )


PAGES: list[Any] = [admin_units]
MENU: list[MenuEntry] = [
    MenuEntry(
        "/admin-units",
        "Đơn vị hành chính",
        "Administrative units",
        STAFF,
        "Quản trị",
        "Administration",
    ),
]
