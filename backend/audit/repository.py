"""Every query on the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from backend.audit.tables import AuditEntry

# Appends are serialised by a transaction-scoped advisory lock, so two concurrent writers
# cannot both chain onto the same previous entry.
_CHAIN_LOCK = 0x6374_6E61_7564


async def lock_chain() -> None:
    await AuditEntry.raw("SELECT pg_advisory_xact_lock({})", _CHAIN_LOCK)


async def last_hash() -> str | None:
    row = await AuditEntry.select(AuditEntry.hash).order_by(AuditEntry.id, ascending=False).first()
    return None if row is None else str(row["hash"])


async def insert(entry: dict[str, Any]) -> int:
    rows = await AuditEntry.insert(AuditEntry(**entry)).returning(AuditEntry.id)
    return int(rows[0]["id"])


async def iterate(batch_size: int = 1000) -> AsyncIterator[list[dict[str, Any]]]:
    """All entries in chain order, a batch at a time."""
    after = 0
    while True:
        rows: list[dict[str, Any]] = (
            await AuditEntry.select()
            .where(AuditEntry.id > after)
            .order_by(AuditEntry.id)
            .limit(batch_size)
            .output(load_json=True)
        )
        if not rows:
            return
        yield rows
        after = rows[-1]["id"]
