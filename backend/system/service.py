"""Installation state: facts the installation records about itself, by key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backend.system import repository


async def get_state(key: str) -> Any:
    """The value stored under `key`, or None."""
    return await repository.get(key)


async def do_set_state(key: str, value: Any) -> None:
    await repository.put(key, value, datetime.now(UTC))
