"""Every query on the audit log, and the typed rows they take and return."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import msgspec

from backend.audit.tables import AuditEntry

# Appends are serialised by a transaction-scoped advisory lock, so two concurrent writers
# cannot both chain onto the same previous entry.
_CHAIN_LOCK = 0x6374_6E61_7564


class EntryFields(msgspec.Struct, frozen=True, kw_only=True):
    """What an entry states: what its hash and MAC cover."""

    occurred_at: datetime
    actor_id: str | None
    action: str
    object_type: str | None
    object_id: str | None
    reason: str | None
    details: Any
    """JSON: an object in every entry the application writes, but whatever a forged row
    holds when read back (verification must report it, not fail to read it)."""


class EntryRow(EntryFields, frozen=True, kw_only=True):
    id: int
    prev_hash: str
    hash: str
    key_id: str | None
    """The audit key the entry is MACed under; None for entries from before keying."""
    mac: str | None


class ChainLink(msgspec.Struct, frozen=True, kw_only=True):
    """What the next entry chains onto."""

    id: int
    hash: str
    mac: str | None
    key_id: str | None


async def lock_chain() -> None:
    await AuditEntry.raw("SELECT pg_advisory_xact_lock({})", _CHAIN_LOCK)


async def last_link() -> ChainLink | None:
    """The newest entry's id, hash, MAC and key id."""
    row = (
        await AuditEntry.select(AuditEntry.id, AuditEntry.hash, AuditEntry.mac, AuditEntry.key_id)
        .order_by(AuditEntry.id, ascending=False)
        .first()
    )
    return None if row is None else msgspec.convert(row, ChainLink)


async def first_of(action: str, object_type: str, object_id: str) -> EntryRow | None:
    """The oldest entry recording `action` on that object (uses the object index)."""
    row = (
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
    return None if row is None else msgspec.convert(row, EntryRow)


async def latest_of(action: str) -> EntryRow | None:
    """The newest entry recording `action` (uses the action index)."""
    row = (
        await AuditEntry.select()
        .where(AuditEntry.action == action)
        .order_by(AuditEntry.id, ascending=False)
        .first()
        .output(load_json=True)
    )
    return None if row is None else msgspec.convert(row, EntryRow)


async def insert(
    fields: EntryFields, *, prev_hash: str, hash: str, key_id: str, mac: str
) -> ChainLink:
    values = msgspec.structs.asdict(fields)
    values["details"] = msgspec.json.encode(fields.details).decode()
    rows = await AuditEntry.insert(
        AuditEntry(**values, prev_hash=prev_hash, hash=hash, key_id=key_id, mac=mac)
    ).returning(AuditEntry.id)
    return ChainLink(id=int(rows[0]["id"]), hash=hash, mac=mac, key_id=key_id)


async def iterate(batch_size: int = 1000) -> AsyncIterator[list[EntryRow]]:
    """All entries in chain order, a batch at a time."""
    after = 0
    while True:
        rows = (
            await AuditEntry.select()
            .where(AuditEntry.id > after)
            .order_by(AuditEntry.id)
            .limit(batch_size)
            .output(load_json=True)
        )
        if not rows:
            return
        batch = [msgspec.convert(row, EntryRow) for row in rows]
        yield batch
        after = batch[-1].id


async def search(
    *,
    actor_id: str | None,
    action: str | None,
    object_type: str | None,
    object_id: str | None,
    since: datetime | None,
    until: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[EntryRow]:
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
    rows = await query.order_by(AuditEntry.id, ascending=False).limit(limit).output(load_json=True)
    return [msgspec.convert(row, EntryRow) for row in rows]
