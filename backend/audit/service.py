"""The audit log: who did what to which record, when and why; append-only and hash-chained."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import msgspec

from backend.audit import repository

GENESIS = "0" * 64
REMOVED_OR_INSERTED = "previous hash does not match (an entry was removed or inserted)"
CHANGED = "content does not match its hash (the entry was changed)"


class ChainBreak(msgspec.Struct, frozen=True):
    entry_id: int
    problem: str


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the entry's fields in a canonical JSON form."""
    canonical = {
        "occurred_at": entry["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": entry["actor_id"],
        "action": entry["action"],
        "object_type": entry["object_type"],
        "object_id": entry["object_id"],
        "reason": entry["reason"],
        "details": entry["details"],
    }
    payload = msgspec.json.encode(canonical, order="sorted")
    return hashlib.sha256(prev_hash.encode() + b"\n" + payload).hexdigest()


async def do_record(
    action: str,
    *,
    actor_id: str | None,
    object_type: str | None = None,
    object_id: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one entry in the caller's transaction: it exists exactly when the audited action
    is committed. `details` must carry no personal data (ids, not names or PINs)."""
    await repository.lock_chain()
    prev_hash = await repository.last_hash() or GENESIS
    entry: dict[str, Any] = {
        "occurred_at": datetime.now(UTC),
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "reason": reason,
        "details": details or {},
    }
    digest = entry_hash(prev_hash, entry)
    return await repository.insert(
        {
            **entry,
            "details": msgspec.json.encode(entry["details"]).decode(),
            "prev_hash": prev_hash,
            "hash": digest,
        }
    )


async def verify_chain() -> tuple[int, ChainBreak | None]:
    """Walk the whole chain; returns (entries checked, first break or None)."""
    expected_prev = GENESIS
    checked = 0
    async for rows in repository.iterate():
        for row in rows:
            if row["prev_hash"] != expected_prev:
                return checked, ChainBreak(row["id"], REMOVED_OR_INSERTED)
            if entry_hash(row["prev_hash"], row) != row["hash"]:
                return checked, ChainBreak(row["id"], CHANGED)
            expected_prev = row["hash"]
            checked += 1
    return checked, None


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True):
    actor_id: str | None = None
    action: str | None = None
    """An action, or a prefix ending in `*` (`role.*`)."""
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def access_entries(
    auditor_id: str, criteria: AuditFilter, *, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """Entries for an auditor, newest first. Reading the log is itself recorded."""
    rows = await repository.search(
        actor_id=criteria.actor_id,
        action=criteria.action,
        object_type=criteria.object_type,
        object_id=criteria.object_id,
        since=criteria.since,
        until=criteria.until,
        before_id=before_id,
        limit=limit,
    )
    await do_record(
        "audit.read",
        actor_id=auditor_id,
        object_type="audit_log",
        details={k: v for k, v in msgspec.structs.asdict(criteria).items() if v is not None}
        | {"results": len(rows)},
    )
    return rows
