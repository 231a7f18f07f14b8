from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from backend.system.tables import InstallationState


async def get(key: str) -> Any:
    row = (
        await InstallationState.select(InstallationState.value)
        .where(InstallationState.key == key)
        .first()
    )
    return None if row is None else msgspec.json.decode(row["value"])


async def put(key: str, value: Any, now: datetime) -> None:
    await InstallationState.insert(
        InstallationState(key=key, value=msgspec.json.encode(value).decode(), updated_at=now)
    ).on_conflict(
        target=InstallationState.key,
        action="DO UPDATE",
        values=[InstallationState.value, InstallationState.updated_at],
    )
