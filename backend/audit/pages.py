"""Staff console pages of this domain (see backend.console.shell)."""

from __future__ import annotations

from typing import Any

from backend.console.shell import MenuEntry

PAGES: list[Any] = []
MENU: list[MenuEntry] = []
