"""The police side of crime reports: queue, reading, workflow, messages, statistics."""

from __future__ import annotations

from uuid import UUID


async def on_new_report(tip_id: UUID) -> None:
    """Called once a report is committed: notifies its unit (stub until the police part lands)."""
    return None
