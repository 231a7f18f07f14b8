"""Placeholder: filled by its part."""

from typing import Any

ROUTE_HANDLERS: list[Any] = []
