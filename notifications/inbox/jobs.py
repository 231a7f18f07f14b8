"""Background job of the inbox: pushing the items `notify` wrote to their people's devices.

(Named `jobs.py`, not `tasks.py`: `backend.domains` registers one tasks module per domain,
`notifications.tasks`, which imports this module so the worker knows its task.)

A run claims its pushes in one unit (committed before any request leaves), sends them through
the gateway with no transaction open, then records the outcomes in another unit: a worker
killed between the two leaves rows `sending`, which the retried job sends once more with the
same collapse key (the item id), so the phone shows one notification.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from backend.db import unit_of_work
from backend.jobs import DEFAULT_RETRY, job_app
from backend.logs import log_fields
from backend.settings import get_settings
from notifications import push
from notifications.inbox import service
from notifications.push import PushGateway, SendResult

log = logging.getLogger(__name__)

QUEUE = "push"
SEND_CHUNK = 500
"""FCM takes at most 500 messages per batch call."""


@job_app.task(queue=QUEUE, retry=DEFAULT_RETRY)
async def push_inbox_items(item_ids: list[str]) -> None:
    """Push these inbox items to their people's devices (each device once per item)."""
    counts = await run_item_push(
        push.gateway(get_settings()), [uuid.UUID(item_id) for item_id in item_ids]
    )
    if counts:
        log_fields(log, logging.INFO, "inbox items pushed", items=len(item_ids), **counts)


async def run_item_push(gateway: PushGateway, item_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    """The job's body; counts of the pushes' outcomes."""
    async with unit_of_work():
        pushes = await service.do_claim_item_pushes(item_ids)
    if not pushes.deliveries:
        return {}
    sends = service.device_sends(pushes)
    counts: dict[str, int] = {}
    for start in range(0, len(sends), SEND_CHUNK):
        chunk = sends[start : start + SEND_CHUNK]
        results: list[SendResult] = await gateway.send_to_devices(chunk)
        async with unit_of_work():
            recorded = await service.do_record_item_pushes(
                pushes.deliveries[start : start + SEND_CHUNK], results
            )
        for outcome, n in recorded.items():
            counts[outcome] = counts.get(outcome, 0) + n
    return counts
