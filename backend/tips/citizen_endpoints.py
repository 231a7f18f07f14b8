"""The citizen's routes of crime reports, under /api/v1/tips."""

from __future__ import annotations

from typing import Any

ROUTE_HANDLERS: list[Any] = []
