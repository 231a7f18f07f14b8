from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from backend.access import Role, access, roles, signed_in
from backend.audit import service
from backend.audit.schemas import AuditPage
from backend.http.pagination import PageRequest, decode_cursor, encode_cursor, page_request

Short = Annotated[str | None, QueryParameter(max_length=100)]


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get("/", opt=access(roles(Role.AUDITOR)))
    async def list_entries(
        self,
        request: Request[Any, Any, Any],
        page: NamedDependency[PageRequest],
        actor: Short = None,
        action: Short = None,
        object_type: Short = None,
        object_id: Short = None,
        since: Annotated[datetime | None, QueryParameter(name="from")] = None,
        until: Annotated[datetime | None, QueryParameter(name="to")] = None,
    ) -> AuditPage:
        """The audit log, newest first, filtered by actor, action (`role.*` for a prefix),
        object and time range [`from`, `to`). Each read is itself recorded."""
        before = decode_cursor(page.cursor, "audit", (int,))[0] if page.cursor else None
        rows = await service.access_entries(
            str(signed_in(request).id),
            service.AuditFilter(
                actor_id=actor,
                action=action,
                object_type=object_type,
                object_id=object_id,
                since=since,
                until=until,
            ),
            before_id=before,
            limit=page.limit + 1,
        )
        items = rows[: page.limit]
        more = len(rows) > page.limit
        return AuditPage(
            items=items, next_cursor=encode_cursor("audit", (items[-1].id,)) if more else None
        )
