"""Staff console pages of communications (see backend.console.shell); templates in
notifications/templates/notifications/."""

from __future__ import annotations

from typing import Any

from backend.console.shell import MenuEntry

PAGES: list[Any] = []
MENU: list[MenuEntry] = []
