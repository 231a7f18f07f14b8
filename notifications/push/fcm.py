"""The FCM gateway: Firebase Cloud Messaging HTTP v1 through firebase-admin 7.7.

How it sends (see ../shared/notes/firebase-admin.md for the measured facts behind it):

- Devices are addressed by their Firebase Installation ID (`Message(fid=…)`); the deprecated
  registration-token field is never used.
- `send_each` in chunks of `CTN_FCM_CHUNK_SIZE` (≤ 500), each call run in a thread of our own
  pool, at most `CTN_FCM_MAX_IN_FLIGHT` chunks at once per process. Not `send_each_async`: its
  httpx client is bound to the first event loop and slows down with many requests in flight.
- The OAuth token is refreshed before a chunk leaves, in a thread, by one chunk at a time: the
  refresh is a blocking call, and left to the library every thread of a chunk would refresh
  at once.
- Before a chunk leaves, its messages are reserved against `CTN_FCM_QUOTA_PER_MINUTE` in
  PostgreSQL (`repository.reserve_sends`, one statement per chunk), shared by every worker;
  when the minute's quota is used up the chunk waits for the next minute.
- Every result is mapped to an `Outcome`. QUOTA_EXCEEDED (429) waits first 60 s (doubling),
  and pauses every send of this process meanwhile; UNAVAILABLE and INTERNAL wait with
  exponential backoff and jitter from 1 s; a `Retry-After` from FCM is always honoured as the
  least wait; after `Backoff.attempts` attempts the last outcome is final. The library's own
  retries (urllib3: up to 4 on 500/503, and a 429 with Retry-After slept in the thread) are
  turned off, so that this policy is the only one and no thread sleeps for FCM.
- Payload limits: a device message must stay under 4 KB, a topic or condition message under
  2 KB. A body too long is cut on a character boundary (never inside a letter and its
  combining accent) and ends with "…"; a message that does not fit even with an empty body
  (title and data too large) is not sent: INVALID_MESSAGE.

Only this module knows firebase-admin's internals: the send URL and the per-device topic URL
are attributes of the app's messaging service instance (`_fcm_url`, built from the class
attribute `_MessagingService.FCM_URL` when the service is created, and `_fcm_topic_url`), and
its HTTP session's adapters; `firebase_app` sets them from `CTN_FCM_ENDPOINT`.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import hashlib
import itertools
import json
import logging
import random
import time
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import firebase_admin
import requests.adapters
from firebase_admin import _http_client, credentials, exceptions, messaging
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import TokenState
from google.auth.transport.requests import Request as AuthRequest
from urllib3.util.retry import Retry

from backend.settings import Settings, SettingsError
from notifications.push import (
    DeviceSend,
    Outcome,
    PushMessage,
    SendResult,
    TopicError,
    repository,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

FCM_HOST = "https://fcm.googleapis.com"
DEVICE_PAYLOAD_LIMIT = 4096
TOPIC_PAYLOAD_LIMIT = 2048
TOPIC_BATCH = 1000
"""Devices per `subscribe_to_topic` call (firebase-admin's limit)."""
ELLIPSIS = "…"
TRANSIENT = frozenset({Outcome.QUOTA_EXCEEDED, Outcome.UNAVAILABLE, Outcome.INTERNAL})
TOPIC_TRANSIENT = frozenset(
    {
        "UNAVAILABLE",
        "INTERNAL",
        "QUOTA_EXCEEDED",
        "RESOURCE_EXHAUSTED",
        "DEADLINE_EXCEEDED",
        "UNKNOWN_ERROR",  # no answer at all (connection refused or reset)
    }
)
"""Reasons of a failed topic request worth trying again."""
_TARGETS = ("token", "fid", "topic", "condition")
_DEVICE_FIELDS = frozenset({"message.token", "message.fid"})
_app_names = itertools.count(1)

NO_STATUS_RETRIES = Retry(
    connect=1,
    read=1,
    status=0,
    other=0,
    allowed_methods=None,
    status_forcelist=(),
    raise_on_status=False,
    respect_retry_after_header=False,
)
"""Connection failures are tried once more (as the library does); HTTP statuses never: the
gateway decides when to try again."""


def firebase_app(
    credentials_file: str,
    *,
    name: str,
    endpoint: str | None = None,
    pool_size: int = 100,
    library_retries: bool = False,
) -> firebase_admin.App:
    """A firebase-admin app of its own `name`, sending to `endpoint` (default FCM itself),
    over a connection pool of `pool_size`. `library_retries=True` keeps firebase-admin's own
    retry policy (bare-library benchmarks); otherwise statuses are not retried inside."""
    app = firebase_admin.initialize_app(credentials.Certificate(credentials_file), name=name)
    service = messaging._get_messaging_service(app)
    base = (endpoint or FCM_HOST).rstrip("/")
    if endpoint:
        # The service copied the class attribute FCM_URL into `_fcm_url` when it was created;
        # setting the class attribute now would change nothing here and every app elsewhere.
        service._fcm_url = f"{base}/v1/projects/{app.project_id}/messages:send"
        service._fcm_topic_url = f"{base}/v1/projects/{app.project_id}/registrations"
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=4,
        pool_maxsize=pool_size,
        max_retries=_http_client.DEFAULT_RETRY_CONFIG if library_retries else NO_STATUS_RETRIES,
    )
    service._client.session.mount(base, adapter)
    return app


@dataclass(frozen=True)
class Backoff:
    """How long to wait before trying again what FCM refused for now. Tests pass short
    delays; production uses the defaults."""

    quota: float = 60.0
    """First wait after QUOTA_EXCEEDED (doubling)."""
    transient: float = 1.0
    """First wait after UNAVAILABLE or INTERNAL (doubling)."""
    ceiling: float = 900.0
    """Longest wait the doubling reaches (a longer Retry-After is still honoured)."""
    attempts: int = 5
    """Attempts per message, the first included."""
    jitter: float = 0.25
    """Up to this share of the wait is added at random, so workers do not retry in step."""

    def wait(self, outcome: Outcome, attempt: int, retry_after: float | None) -> float:
        first = self.quota if outcome is Outcome.QUOTA_EXCEEDED else self.transient
        wait = min(self.ceiling, first * 2.0 ** (attempt - 1))
        wait += random.uniform(0, wait * self.jitter)  # noqa: S311 - jitter, not a secret
        return max(wait, retry_after or 0.0)


# --- messages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    parts: dict[str, Any]
    """Keyword arguments of `messaging.Message` besides the target."""
    problem: str | None = None


def _collapse_id(key: str | None) -> str | None:
    if key is None:
        return None
    # APNs refuses a collapse id over 64 bytes; a long key is replaced by its digest.
    return key if len(key.encode()) <= 64 else hashlib.sha256(key.encode()).hexdigest()


def _parts(message: PushMessage, body: str) -> dict[str, Any]:
    collapse = _collapse_id(message.collapse_key)
    headers = {"apns-priority": "10" if message.urgent else "5"}
    if collapse:
        headers["apns-collapse-id"] = collapse
    aps = messaging.Aps(
        sound="default",
        custom_data={"interruption-level": "time-sensitive"} if message.urgent else None,
    )
    return {
        "notification": messaging.Notification(
            title=message.title, body=body, image=message.image_url
        ),
        "data": dict(message.data) or None,
        "android": messaging.AndroidConfig(
            priority="high" if message.urgent else "normal",
            notification=messaging.AndroidNotification(tag=collapse) if collapse else None,
        ),
        "apns": messaging.APNSConfig(headers=headers, payload=messaging.APNSPayload(aps=aps)),
    }


def payload_size(parts: dict[str, Any]) -> int:
    """Bytes of the message without its target, as compact UTF-8 JSON: what is held against
    FCM's limit (a little more than FCM counts). Raises ValueError for an invalid message."""
    encoded = json.loads(str(messaging.Message(fid="-", **parts)))
    rest = {k: v for k, v in encoded.items() if k not in _TARGETS}
    return len(json.dumps(rest, ensure_ascii=False, separators=(",", ":")).encode())


def _surely_fits(message: PushMessage, limit: int) -> bool:
    """Cheap bound: every character costs at most 6 bytes of JSON, the structure less than
    600 bytes. Most messages are far below the limit and need no exact measure."""
    data = message.data
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        return False
    chars = len(message.title) + len(message.body) + len(message.image_url or "")
    chars += 2 * len(message.collapse_key or "") + sum(len(k) + len(v) + 6 for k, v in data.items())
    return 6 * chars + 600 <= limit


def prepare(message: PushMessage, limit: int) -> _Prepared:
    """The message's parts within `limit` bytes, the body cut if it must be."""
    if _surely_fits(message, limit):
        return _Prepared(_parts(message, message.body))
    try:
        if payload_size(_parts(message, message.body)) <= limit:
            return _Prepared(_parts(message, message.body))
        if payload_size(_parts(message, ELLIPSIS)) > limit:
            return _Prepared({}, f"the title and data exceed the {limit}-byte payload limit")
    except ValueError as error:
        return _Prepared({}, str(error))
    body = message.body
    low, high = 0, len(body) - 1  # the longest prefix that fits with the ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        if payload_size(_parts(message, body[:middle] + ELLIPSIS)) <= limit:
            low = middle
        else:
            high = middle - 1
    cut = low
    while cut > 0 and unicodedata.combining(body[cut]):
        cut -= 1  # keep a letter with its combining accents (decomposed Vietnamese)
    return _Prepared(_parts(message, body[:cut].rstrip() + ELLIPSIS))


# --- results ----------------------------------------------------------------------------------


def _error_body(error: Exception) -> dict[str, Any]:
    response = getattr(error, "http_response", None)
    if response is None:
        return {}
    try:
        parsed = response.json()
    except ValueError:
        return {}
    body = parsed.get("error") if isinstance(parsed, dict) else None
    return body if isinstance(body, dict) else {}


def _names_device(error: Exception) -> bool:
    """Whether an INVALID_ARGUMENT is about the device's id rather than the message."""
    text = str(error).lower()
    if "registration token" in text or "installation id" in text:
        return True
    for detail in _error_body(error).get("details", []):
        for violation in detail.get("fieldViolations", []) if isinstance(detail, dict) else []:
            if isinstance(violation, dict) and violation.get("field") in _DEVICE_FIELDS:
                return True
    return False


def retry_after(error: Exception) -> float | None:
    """FCM's Retry-After (seconds or an HTTP date), if the answer had one."""
    response = getattr(error, "http_response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def classify(error: Exception) -> Outcome:
    """The outcome of a message FCM refused (firebase-admin's exception classes)."""
    if isinstance(error, messaging.UnregisteredError):
        return Outcome.UNREGISTERED
    if isinstance(error, messaging.SenderIdMismatchError):
        return Outcome.SENDER_ID_MISMATCH
    if isinstance(error, messaging.ThirdPartyAuthError):
        return Outcome.THIRD_PARTY_AUTH
    if isinstance(error, exceptions.ResourceExhaustedError):  # QuotaExceededError among them
        return Outcome.QUOTA_EXCEEDED
    if isinstance(error, exceptions.InvalidArgumentError):
        return Outcome.INVALID_TOKEN if _names_device(error) else Outcome.INVALID_MESSAGE
    if isinstance(error, exceptions.UnavailableError | exceptions.DeadlineExceededError):
        return Outcome.UNAVAILABLE
    if isinstance(error, exceptions.InternalError):
        return Outcome.INTERNAL
    return Outcome.OTHER


def _detail(error: Exception) -> str:
    return str(error)[:300]


@dataclass(frozen=True)
class _Reply:
    message_id: str | None = None
    error: Exception | None = None
    problem: str | None = None
    """The message was refused before it left (invalid)."""


# --- the gateway ------------------------------------------------------------------------------


class FcmGateway:
    """`PushGateway` over firebase-admin (see the module's docstring). One per process:
    `notifications.push.gateway(settings)`."""

    def __init__(
        self,
        settings: Settings,
        *,
        backoff: Backoff | None = None,
        quota_window: float = 60.0,
        quota_key: str | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        """`quota_window` is the quota's minute (a test shortens it); `quota_key` scopes the
        counter (default: the Firebase project, shared by every process sending for it)."""
        if not settings.fcm_credentials_file:
            raise SettingsError(
                "CTN_FCM_CREDENTIALS_FILE", "is not set (required with CTN_PUSH_BACKEND=fcm)"
            )
        self._chunk = settings.fcm_chunk_size
        self._limit = settings.fcm_quota_per_minute
        self._backoff = backoff or Backoff()
        self._window = quota_window
        self._sleep = sleep
        in_flight = settings.fcm_max_in_flight
        self._app = firebase_app(
            settings.fcm_credentials_file,
            name=f"ctn-push-{next(_app_names)}",
            endpoint=settings.fcm_endpoint,
            pool_size=min(1000, max(100, self._chunk * in_flight)),
        )
        self._quota_key = quota_key or str(self._app.project_id)
        self._credential = self._app.credential.get_credential()
        self._executor = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="fcm-send")
        self._topic_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fcm-topic")
        self._slots = asyncio.Semaphore(in_flight)
        self._token_lock = asyncio.Lock()
        self._resume_at = 0.0
        self._purged_window: int | None = None

    # --- sends ---

    async def send_to_devices(self, sends: Sequence[DeviceSend]) -> list[SendResult]:
        """One result per send, in order; transient failures retried inside (bounded). The
        same `PushMessage` object given for many devices is prepared once."""
        results: list[SendResult | None] = [None] * len(sends)
        prepared: dict[int, _Prepared] = {}
        batch: list[tuple[int, messaging.Message]] = []
        for index, send in enumerate(sends):
            ready = prepared.get(id(send.message))
            if ready is None:
                ready = prepared[id(send.message)] = prepare(send.message, DEVICE_PAYLOAD_LIMIT)
            if ready.problem is not None:
                results[index] = SendResult(Outcome.INVALID_MESSAGE, detail=ready.problem)
            elif not send.installation_id:
                results[index] = SendResult(Outcome.INVALID_TOKEN, detail="no installation id")
            else:
                batch.append((index, messaging.Message(fid=send.installation_id, **ready.parts)))
        chunks = [batch[i : i + self._chunk] for i in range(0, len(batch), self._chunk)]
        await asyncio.gather(*(self._deliver(chunk, results) for chunk in chunks))
        return [r if r is not None else SendResult(Outcome.OTHER) for r in results]

    async def send_to_condition(self, condition: str, message: PushMessage) -> SendResult:
        """One condition message (FCM fans it out to the devices subscribed); within 2 KB."""
        ready = prepare(message, TOPIC_PAYLOAD_LIMIT)
        if ready.problem is not None:
            return SendResult(Outcome.INVALID_MESSAGE, detail=ready.problem)
        results: list[SendResult | None] = [None]
        await self._deliver([(0, messaging.Message(condition=condition, **ready.parts))], results)
        return results[0] or SendResult(Outcome.OTHER)

    async def _deliver(
        self, items: list[tuple[int, messaging.Message]], results: list[SendResult | None]
    ) -> None:
        """Send one chunk, trying again what is transient, and write each final result."""
        pending = items
        attempt = 1
        while pending:
            async with self._slots:
                await self._until_resumed()
                try:
                    await self._fresh_token()
                except auth_exceptions.GoogleAuthError as error:
                    failure = exceptions.UnavailableError(f"OAuth token refresh failed: {error}")
                    replies = [_Reply(error=failure)] * len(pending)
                else:
                    # Reserved last, just before the chunk leaves: sends counted in a window
                    # are sent in it.
                    await self._reserve(len(pending))
                    replies = await self._run(
                        self._executor, self._send_each, [m for _, m in pending]
                    )
            again: list[tuple[int, messaging.Message]] = []
            wait = 0.0
            for (index, message), reply in zip(pending, replies, strict=True):
                if reply.message_id is not None:
                    results[index] = SendResult(Outcome.ACCEPTED, message_id=reply.message_id)
                    continue
                if reply.error is None:
                    results[index] = SendResult(Outcome.INVALID_MESSAGE, detail=reply.problem)
                    continue
                outcome = classify(reply.error)
                if outcome in TRANSIENT and attempt < self._backoff.attempts:
                    again.append((index, message))
                    delay = self._backoff.wait(outcome, attempt, retry_after(reply.error))
                    wait = max(wait, delay)
                    if outcome is Outcome.QUOTA_EXCEEDED:
                        self._pause(delay)
                else:
                    results[index] = SendResult(outcome, detail=_detail(reply.error))
            if again:
                await self._sleep(wait)
            pending = again
            attempt += 1

    def _send_each(self, messages: list[messaging.Message]) -> list[_Reply]:
        """In a thread: one `send_each` call. An invalid message makes the library refuse the
        whole call before sending; then the invalid ones are set apart and the rest sent."""
        try:
            batch = messaging.send_each(messages, app=self._app)
        except ValueError:
            problems: dict[int, str] = {}
            for position, message in enumerate(messages):
                try:
                    str(message)
                except ValueError as error:
                    problems[position] = str(error)
            valid = [m for p, m in enumerate(messages) if p not in problems]
            sent = iter(self._send_each(valid) if valid else [])
            return [
                _Reply(problem=problems[p]) if p in problems else next(sent)
                for p in range(len(messages))
            ]
        except exceptions.FirebaseError as error:
            return [_Reply(error=error)] * len(messages)
        return [
            _Reply(message_id=r.message_id) if r.success else _Reply(error=r.exception)
            for r in batch.responses
        ]

    # --- pacing ---

    def _pause(self, seconds: float) -> None:
        """FCM said the project sends too much: nothing leaves this process meanwhile."""
        resume = time.monotonic() + seconds
        if resume > self._resume_at:
            log.warning("FCM quota exceeded: sends paused for %.1f s", seconds)
            self._resume_at = resume

    async def _until_resumed(self) -> None:
        while (left := self._resume_at - time.monotonic()) > 0:
            await self._sleep(left)

    async def _reserve(self, wanted: int) -> None:
        """Wait until `wanted` sends are granted by the shared quota (window by window)."""
        got = 0
        while True:
            now = time.time()
            window = int(now // self._window)
            ends = (window + 1) * self._window
            if window != self._purged_window:
                self._purged_window = window
                await repository.purge_quota_windows(
                    datetime.fromtimestamp(now - self._window, UTC)
                )
            got += await repository.reserve_sends(
                f"{self._quota_key}:{self._window:g}:{window}",
                wanted - got,
                self._limit,
                datetime.fromtimestamp(ends, UTC),
            )
            if got >= wanted:
                return
            await self._sleep(max(0.0, ends - time.time()) + 0.001)

    async def _fresh_token(self) -> None:
        if self._credential.token_state is TokenState.FRESH:
            return
        async with self._token_lock:
            if self._credential.token_state is not TokenState.FRESH:
                await self._run(self._executor, self._credential.refresh, AuthRequest())

    async def _run(self, executor: ThreadPoolExecutor, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(executor, call, *args)

    # --- topics ---

    async def subscribe(self, topic: str, installation_ids: Sequence[str]) -> list[TopicError]:
        """One FCM request per device (firebase-admin 7.7); the devices that failed, with
        FCM's error code as the reason (`TOPIC_DEVICE_GONE`: the device is gone). Transient
        failures are tried again with backoff (bounded) before they are reported."""
        return await self._topic(messaging.subscribe_to_topic, topic, installation_ids)

    async def unsubscribe(self, topic: str, installation_ids: Sequence[str]) -> list[TopicError]:
        """As `subscribe`; a device that was not subscribed is no error."""
        return await self._topic(messaging.unsubscribe_from_topic, topic, installation_ids)

    async def _topic(
        self, call: Callable[..., Any], topic: str, installation_ids: Sequence[str]
    ) -> list[TopicError]:
        errors: list[TopicError] = []
        pending = list(installation_ids)
        attempt = 1
        while pending:
            again: list[str] = []
            for start in range(0, len(pending), TOPIC_BATCH):
                part = pending[start : start + TOPIC_BATCH]
                await self._fresh_token()
                response = await self._run(
                    self._topic_executor, functools.partial(call, part, topic, app=self._app)
                )
                for error in response.errors:
                    device, reason = part[error.index], str(error.reason)
                    if reason in TOPIC_TRANSIENT and attempt < self._backoff.attempts:
                        again.append(device)
                    else:
                        errors.append(TopicError(device, reason))
            if again:
                # The library keeps no Retry-After for topic requests: backoff alone.
                await self._sleep(self._backoff.wait(Outcome.UNAVAILABLE, attempt, None))
            pending = again
            attempt += 1
        order = {device: i for i, device in enumerate(installation_ids)}
        return sorted(errors, key=lambda e: order[e.installation_id])

    async def aclose(self) -> None:
        # delete_app closes the messaging service with asyncio.run(): not on this loop.
        await asyncio.to_thread(firebase_admin.delete_app, self._app)
        self._executor.shutdown(wait=False)
        self._topic_executor.shutdown(wait=False)
