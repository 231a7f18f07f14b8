from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from backend.access import PUBLIC, Role, access, roles
from backend.geo import service
from backend.geo.schemas import AdministrativeUnit, AdministrativeUnitPage, SyncAccepted
from backend.geo.tasks import sync_admin_units
from backend.http.pagination import PageRequest, page_request
from backend.jobs import defer
from backend.settings import Settings


async def units_version(scope: Any) -> str:
    return await service.units_version()


class AdministrativeUnitController(Controller):
    path = "/api/v1/admin-units"
    tags = ["administrative units"]
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get(
        "/",
        opt=access(
            PUBLIC, etag=units_version, cache_control="public, max-age=3600", transaction="read"
        ),
    )
    async def list_units(
        self,
        page: NamedDependency[PageRequest],
        q: Annotated[
            str | None, QueryParameter(description="name, diacritics optional", max_length=100)
        ] = None,
        division_type: Annotated[
            str | None,
            QueryParameter(name="type", description="xã, phường or đặc khu", max_length=20),
        ] = None,
    ) -> AdministrativeUnitPage:
        """Communes and wards of the province, ordered by code."""
        return await service.list_units(page, query=q, division_type=division_type)

    @get(
        "/{code:str}",
        opt=access(
            PUBLIC, etag=units_version, cache_control="public, max-age=3600", transaction="read"
        ),
    )
    async def get_unit(self, code: FromPath[str]) -> AdministrativeUnit:
        return await service.get_unit(code)

    @post("/sync", status_code=HTTP_202_ACCEPTED, opt=access(roles(Role.SYSTEM_ADMIN)))
    async def sync_units(self, settings: NamedDependency[Settings]) -> SyncAccepted:
        """Re-load the units from the installed `vietnam-provinces` package, in the background."""
        await defer(sync_admin_units, province_code=settings.province_code)
        return SyncAccepted(status="queued")
