"""Communications' HTTP routes: devices, notification settings and the inbox
(`notifications.inbox.endpoints`), campaigns (`notifications.campaigns.endpoints`)."""

from __future__ import annotations

from typing import Any

from notifications.campaigns.endpoints import ROUTE_HANDLERS as CAMPAIGN_ROUTES
from notifications.devices.endpoints import ROUTE_HANDLERS as DEVICE_ROUTES
from notifications.inbox.endpoints import ROUTE_HANDLERS as INBOX_ROUTES

ROUTE_HANDLERS: list[Any] = [
    *DEVICE_ROUTES,
    *INBOX_ROUTES,
    *CAMPAIGN_ROUTES,
]
