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


async def last_link() -> dict[str, Any] | None:
    """The newest entry's id, hash, MAC and key id (what the next entry chains onto)."""
    row: dict[str, Any] | None = (
        await AuditEntry.select(AuditEntry.id, AuditEntry.hash, AuditEntry.mac, AuditEntry.key_id)
        .order_by(AuditEntry.id, ascending=False)
        .first()
    )
    return row


async def first_of(action: str, object_type: str, object_id: str) -> dict[str, Any] | None:
    """The oldest entry recording `action` on that object (uses the object index)."""
    row: dict[str, Any] | None = (
        await AuditEntry.select()
        .where(
            (AuditEntry.object_type == object_type)
            & (AuditEntry.object_id == object_id)
            & (AuditEntry.action == action)
        )
        .order_by(AuditEntry.id)
        .first()
        .output(load_json=True)
    )
    return row


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


async def search(
    *,
    actor_id: str | None,
    action: str | None,
    object_type: str | None,
    object_id: str | None,
    since: Any,
    until: Any,
    before_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Entries matching every given filter, newest first, below `before_id`."""
    query = AuditEntry.select()
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if action is not None:
        if action.endswith("*"):
            query = query.where(AuditEntry.action.like(action[:-1].replace("%", "") + "%"))
        else:
            query = query.where(AuditEntry.action == action)
    if object_type is not None:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    if since is not None:
        query = query.where(AuditEntry.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEntry.occurred_at < until)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    rows: list[dict[str, Any]] = (
        await query.order_by(AuditEntry.id, ascending=False).limit(limit).output(load_json=True)
    )
    return rows
