"""Demo data of communications."""

from __future__ import annotations

from backend.settings import Settings


async def seed_notifications(settings: Settings) -> None:
    """Devices, notification settings, campaigns in every state, inbox items, survey answers."""
