"""Placeholder: filled by its part."""

from typing import Any

PAGES: list[Any] = []
MENU: list[Any] = []
