"""`ctn tips rotate-key`: every report's data key re-wrapped under the current master key.

Run after putting a new key first in `CTN_TIPS_MASTER_KEYS` (the old one kept after it) on
every process: new reports are then wrapped by the new key at once, and this re-wraps the
older ones in small batches, each in a transaction of its own that locks only its rows
(rows a request holds are skipped and taken by a later pass), so the service runs on and
every report stays readable throughout — a report's key opens under whichever master key
its row names. Sealed content is never touched. Once nothing names the old key, it can be
removed from the settings.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from backend.audit.service import do_record
from backend.db import unit_of_work
from backend.settings import Settings
from backend.tips import crypto, repository

BATCH = 200
PASSES = 5


@dataclass
class Rotation:
    key_id: str
    rewrapped: int = 0
    failed: list[str] = field(default_factory=list)
    """Reports whose key opens under no configured master key (ids only)."""
    left: dict[str, int] = field(default_factory=dict)
    """Data keys per master key id after the run."""


async def do_rotate_keys(
    settings: Settings,
    *,
    batch_size: int = BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> Rotation:
    """Re-wrap every data key not under the current master key. Idempotent; audited
    (`tips.keys_rewrapped`: the key id and counts)."""
    current = crypto.keyring(settings).current
    rotation = Rotation(current.id)
    failed: set[uuid.UUID] = set()
    for _ in range(PASSES):
        after: uuid.UUID | None = None
        changed = 0
        while True:
            async with unit_of_work():
                batch = await repository.keys_not_under(current.id, batch_size, after)
                for row in batch:
                    after = row.id
                    if row.id in failed:
                        continue
                    try:
                        data_key = crypto.unwrap_key(row.data_key, row.key_id, settings)
                    except crypto.CryptoError:
                        failed.add(row.id)
                        continue
                    wrapped, key_id = crypto.wrap_key(data_key, settings)
                    if await repository.rewrap(row.id, row.key_id, wrapped, key_id):
                        changed += 1
            if on_batch is not None and batch:
                on_batch(len(batch))
            if len(batch) < batch_size:
                break
        rotation.rewrapped += changed
        async with unit_of_work():
            counts = await repository.count_by_key_id()
        if sum(n for k, n in counts.items() if k != current.id) <= len(failed):
            break
    rotation.failed = sorted(str(i) for i in failed)
    rotation.left = counts
    async with unit_of_work():
        await do_record(
            "tips.keys_rewrapped",
            actor_id=None,
            object_type="tips_master_key",
            object_id=current.id,
            details={
                "rewrapped": rotation.rewrapped,
                "unopenable": len(rotation.failed),
                "by_key": counts,
            },
        )
    return rotation
