"""Demo data of the MOOC (placeholder until its part lands)."""

from __future__ import annotations

from backend.settings import Settings


async def seed_mooc(settings: Settings) -> None:
    return None
