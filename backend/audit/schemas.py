from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class AuditEntry(msgspec.Struct, kw_only=True):
    id: int
    occurred_at: datetime
    actor_id: str | None
    action: str
    object_type: str | None
    object_id: str | None
    reason: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str
    key_id: str | None = None
    """The audit key the entry is MACed under; None for entries from before keying."""
    mac: str | None = None


class AuditPage(msgspec.Struct, kw_only=True):
    items: list[AuditEntry]
    next_cursor: str | None
