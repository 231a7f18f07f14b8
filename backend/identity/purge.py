"""Housekeeping: sign-in state nobody can use any more."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.identity import keys, repository
from backend.settings import Settings


async def do_purge_expired(settings: Settings) -> dict[str, int]:
    """Delete sign-in state that can no longer be used, and retired keys past their tokens."""
    counts = await repository.delete_expired(datetime.now(UTC))
    counts["signing_keys"] = await keys.do_purge_retired_keys(settings)
    return counts
