"""Communications' HTTP routes: devices, notification settings and the inbox
(`notifications.inbox.endpoints`), campaigns (`notifications.campaigns.endpoints`)."""

from __future__ import annotations

from typing import Any

from notifications.campaigns.endpoints import ROUTE_HANDLERS as CAMPAIGN_ROUTES

ROUTE_HANDLERS: list[Any] = [
    *CAMPAIGN_ROUTES,
]
