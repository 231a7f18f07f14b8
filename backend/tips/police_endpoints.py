"""Police routes of crime reports, under /api/v1/police/tips (filled in by the police part)."""

from typing import Any

ROUTE_HANDLERS: list[Any] = []
