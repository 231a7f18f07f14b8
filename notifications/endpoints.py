"""Communications' HTTP routes: devices, notification settings and the inbox
(`notifications.inbox.endpoints`), campaigns (`notifications.campaigns.endpoints`)."""

from __future__ import annotations

from typing import Any

ROUTE_HANDLERS: list[Any] = []
