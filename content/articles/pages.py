"""Staff console pages (see backend.console.shell)."""

from __future__ import annotations

from typing import Any

from backend.access import Principal
from backend.console.shell import Attention, MenuEntry

PAGES: list[Any] = []
MENU: list[MenuEntry] = []


async def attention(principal: Principal) -> list[Attention]:
    return []
