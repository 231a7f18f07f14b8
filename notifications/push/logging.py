"""The logging gateway: what would be pushed, recorded instead of sent (the embedded default,
`CTN_PUSH_BACKEND=logging`).

Each message is one JSON line appended to `CTN_PUSH_LOG_FILE`, or logged at INFO on the
`notifications.push` logger when no file is set. A device appears there only as a short
SHA-256 of its installation id (device ids are tokens: never in logs). Every send is ACCEPTED
with a made-up id. The last `keep` sends and the topic subscriptions are also kept in memory,
whole, for tests and the demo.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from backend.settings import Settings
from notifications.push import DeviceSend, Outcome, PushMessage, SendResult, TopicError

log = logging.getLogger("notifications.push")


@dataclass(frozen=True)
class LoggedPush:
    at: float
    message_id: str
    message: PushMessage
    installation_id: str | None = None
    condition: str | None = None


def device_digest(installation_id: str) -> str:
    """How a device is named in the push log."""
    return hashlib.sha256(installation_id.encode()).hexdigest()[:16]


class LoggingGateway:
    def __init__(self, settings: Settings | None = None, *, keep: int = 1000) -> None:
        self.path = Path(settings.push_log_file) if settings and settings.push_log_file else None
        self.sent: deque[LoggedPush] = deque(maxlen=keep)
        self.subscriptions: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    async def send_to_devices(self, sends: Sequence[DeviceSend]) -> list[SendResult]:
        now = time.time()
        pushes = [
            LoggedPush(now, f"logging/{uuid.uuid4()}", s.message, installation_id=s.installation_id)
            for s in sends
        ]
        await self._record(pushes)
        return [SendResult(Outcome.ACCEPTED, message_id=p.message_id) for p in pushes]

    async def send_to_condition(self, condition: str, message: PushMessage) -> SendResult:
        push = LoggedPush(time.time(), f"logging/{uuid.uuid4()}", message, condition=condition)
        await self._record([push])
        return SendResult(Outcome.ACCEPTED, message_id=push.message_id)

    async def subscribe(self, topic: str, installation_ids: Sequence[str]) -> list[TopicError]:
        self.subscriptions.setdefault(topic, set()).update(installation_ids)
        await self._write([self._topic_line("subscribe", topic, installation_ids)])
        return []

    async def unsubscribe(self, topic: str, installation_ids: Sequence[str]) -> list[TopicError]:
        self.subscriptions.setdefault(topic, set()).difference_update(installation_ids)
        await self._write([self._topic_line("unsubscribe", topic, installation_ids)])
        return []

    async def aclose(self) -> None:
        return None

    def to_device(self, installation_id: str) -> list[LoggedPush]:
        """What was sent to this device (of the last `keep` sends)."""
        return [p for p in self.sent if p.installation_id == installation_id]

    def to_condition(self, condition: str) -> list[LoggedPush]:
        return [p for p in self.sent if p.condition == condition]

    async def _record(self, pushes: list[LoggedPush]) -> None:
        self.sent.extend(pushes)
        await self._write([self._push_line(p) for p in pushes])

    @staticmethod
    def _push_line(push: LoggedPush) -> str:
        message = push.message
        record = {
            "at": push.at,
            "message_id": push.message_id,
            "device": device_digest(push.installation_id) if push.installation_id else None,
            "condition": push.condition,
            "title": message.title,
            "body": message.body,
            "data": dict(message.data),
            "collapse_key": message.collapse_key,
            "urgent": message.urgent,
            "image_url": message.image_url,
        }
        return json.dumps(record, ensure_ascii=False)

    @staticmethod
    def _topic_line(action: str, topic: str, installation_ids: Sequence[str]) -> str:
        record = {
            "at": time.time(),
            action: topic,
            "devices": [device_digest(i) for i in installation_ids],
        }
        return json.dumps(record, ensure_ascii=False)

    async def _write(self, lines: list[str]) -> None:
        if not lines:
            return
        if self.path is None:
            for line in lines:
                log.info("push %s", line)
            return
        await asyncio.to_thread(self._append, self.path, lines)

    def _append(self, path: Path, lines: list[str]) -> None:
        with self._lock, path.open("a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
