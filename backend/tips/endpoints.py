"""Every route of crime reports: the citizen's (`/api/v1/tips…`) and the police's
(`/api/v1/police/tips…`)."""

from __future__ import annotations

from typing import Any

from backend.tips import citizen_endpoints, police_endpoints

ROUTE_HANDLERS: list[Any] = [
    *citizen_endpoints.ROUTE_HANDLERS,
    *police_endpoints.ROUTE_HANDLERS,
]
