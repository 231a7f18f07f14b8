"""A local stand-in for Firebase Cloud Messaging, for tests and benchmarks.

A real HTTP server on 127.0.0.1 that firebase-admin talks to exactly as it talks to Google:

- the OAuth token endpoint (`POST /token`: the service account's `token_uri`; the JWT-bearer
  grant google-auth sends; tokens expire after `token_lifetime` seconds);
- FCM HTTP v1 `POST /v1/projects/<p>/messages:send` (Bearer token required; the message's
  shape checked — one target among token, fid, topic and condition, string data, known fields,
  a condition's grammar, the payload within 4 KB, 2 KB for topic and condition messages);
- the per-device topic API firebase-admin 7.7 uses
  (`POST /v1/projects/<p>/registrations/<device>/topicSubscriptions?topic_name=<t>`,
  `DELETE …/topicSubscriptions/<t>?allow_missing=true`).

Failures carry the bodies FCM returns: a google.rpc Status (`code`, `message`, `status`) whose
`details` hold a `type.googleapis.com/google.firebase.fcm.v1.FcmError` with the `errorCode`
(and a `google.rpc.BadRequest` naming the field for a bad device id), plus `Retry-After` where
FCM sends it. They are injected per device id (`fail_device`: every later request for that
device, sends and topic requests alike) or for the next requests (`fail_next`: transient).
`hold()` makes every FCM request wait before anything about it is recorded, until `release()`
(a held request whose client has gone away — a killed worker — is never recorded);
`set_latency` delays each answer.

What was received is kept: accepted messages per device, topic and condition (`messages`),
every attempt with its status and time (`attempts`: how retries were spaced), subscriptions per
topic, and which devices a condition reaches given those subscriptions (`condition_audience`).

Two ways to run it, one interface (`StandIn`):
- in-process: `FcmStandIn().start()` (uvicorn serving in a thread; `.url`, `.stop()`);
- as a process: `python -m notifications.push.standin --port N`, driven through the JSON
  control API under `/_standin/` by `StandInClient(url)`; `StandInProcess` starts one and
  waits for it. For `ctn worker`/`ctn serve` subprocesses and benchmarks.

`write_service_account` writes a service-account JSON (a fresh RSA key, the project id, the
stand-in's `token_uri`) for `CTN_FCM_CREDENTIALS_FILE`; `CTN_FCM_ENDPOINT` is the stand-in's
URL. Serving is uvicorn (h11) without a framework: measured with wrk (32 connections, one
core) it answers about 4,300–4,600 sends a second, several times what firebase-admin sends
from one process here (500–1,000 a second), so it is not what sets a benchmark's pace.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote

import httpx
import msgspec
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT_PROJECT = "ctn-standin"
TARGETS = ("token", "fid", "topic", "condition")
MESSAGE_FIELDS = frozenset(
    {"name", "data", "notification", "android", "webpush", "apns", "fcm_options", *TARGETS}
)
NOTIFICATION_FIELDS = frozenset({"title", "body", "image"})
ANDROID_FIELDS = frozenset(
    {
        "collapse_key",
        "priority",
        "ttl",
        "restricted_package_name",
        "data",
        "notification",
        "fcm_options",
        "direct_boot_ok",
        "bandwidth_constrained_ok",
        "restricted_satellite_ok",
    }
)
APNS_FIELDS = frozenset({"headers", "payload", "fcm_options", "live_activity_token"})
DEVICE_LIMIT = 4096
TOPIC_LIMIT = 2048
TOPIC_NAME = re.compile(r"^[a-zA-Z0-9\-_.~%]+$")


# --- errors as FCM returns them ---------------------------------------------------------------


@dataclass(frozen=True)
class _Error:
    http: int
    status: str
    message: str
    fcm_code: str | None
    retry_after: float | None = None


ERRORS: Mapping[str, _Error] = {
    "UNREGISTERED": _Error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"),
    "INVALID_ARGUMENT": _Error(
        400,
        "INVALID_ARGUMENT",
        "The registration token is not a valid FCM registration token",
        "INVALID_ARGUMENT",
    ),
    # Not an FCM code: INVALID_ARGUMENT about the message rather than the device.
    "INVALID_MESSAGE": _Error(
        400, "INVALID_ARGUMENT", "Request contains an invalid argument.", "INVALID_ARGUMENT"
    ),
    "QUOTA_EXCEEDED": _Error(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Messages sent' and limit 'Messages sent per minute'.",
        "QUOTA_EXCEEDED",
        retry_after=60,
    ),
    "UNAVAILABLE": _Error(
        503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE"
    ),
    "INTERNAL": _Error(500, "INTERNAL", "Internal error encountered.", "INTERNAL"),
    "SENDER_ID_MISMATCH": _Error(
        403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH"
    ),
    "THIRD_PARTY_AUTH_ERROR": _Error(
        401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service", "THIRD_PARTY_AUTH_ERROR"
    ),
}
"""The codes `fail_device`/`fail_next` accept. THIRD_PARTY_AUTH_ERROR is a 401, which
google-auth answers by refreshing its token and trying again (twice), as it does with FCM."""


def _status_body(
    http: int,
    status: str,
    message: str,
    *,
    fcm_code: str | None = None,
    field_name: str | None = None,
) -> dict[str, Any]:
    details: list[dict[str, Any]] = []
    if fcm_code:
        details.append({"@type": FCM_ERROR, "errorCode": fcm_code})
    if field_name:
        details.append(
            {
                "@type": BAD_REQUEST,
                "fieldViolations": [{"field": field_name, "description": message}],
            }
        )
    error: dict[str, Any] = {"code": http, "message": message, "status": status}
    if details:
        error["details"] = details
    return {"error": error}


# --- records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """A message the stand-in accepted."""

    at: float
    """time.time() when it was accepted."""
    message_id: str
    target: str
    """token, fid, topic or condition."""
    to: str
    message: dict[str, Any]
    """The v1 message as sent, less its target field (`to` holds that)."""

    @property
    def notification(self) -> dict[str, Any]:
        return dict(self.message.get("notification") or {})

    @property
    def data(self) -> dict[str, str]:
        return dict(self.message.get("data") or {})

    @property
    def collapse_key(self) -> str | None:
        """The Android notification tag (the APNs collapse id carries the same value)."""
        tag = ((self.message.get("android") or {}).get("notification") or {}).get("tag")
        return str(tag) if tag is not None else None


@dataclass(frozen=True)
class Attempt:
    """One request of the FCM API (after any hold), answered `status`."""

    at: float
    kind: str
    """send, subscribe or unsubscribe."""
    target: str
    to: str
    status: int
    error: str | None = None
    """The FCM error code or status when it failed."""


@dataclass
class _Injected:
    remaining: int
    code: str
    retry_after: float | None
    scope: str


@dataclass
class _State:
    project_id: str
    keep_messages: bool = True
    token_lifetime: float = 3600.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    received: list[Received] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    attempts: list[Attempt] = field(default_factory=list)
    attempt_count: int = 0
    device_errors: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    injected: list[_Injected] = field(default_factory=list)
    subscriptions: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    tokens: dict[str, float] = field(default_factory=dict)
    tokens_issued: int = 0
    latency: float = 0.0
    held: bool = False
    hold_epoch: int = 0
    dropped_epochs: set[int] = field(default_factory=set)
    waiting: int = 0
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.counts.clear()
            self.attempts.clear()
            self.attempt_count = 0
            self.device_errors.clear()
            self.injected.clear()
            self.subscriptions.clear()
            self.tokens_issued = 0
            self.latency = 0.0
            self.held = False
            self.dropped_epochs.add(self.hold_epoch)
            self.hold_epoch += 1

    def take_injected(self, scope: str) -> tuple[str, float | None] | None:
        for spec in self.injected:
            if spec.remaining > 0 and spec.scope in (scope, "all"):
                spec.remaining -= 1
                if spec.remaining == 0:
                    self.injected.remove(spec)
                return spec.code, spec.retry_after
        return None

    def attempt(self, attempt: Attempt) -> None:
        self.attempt_count += 1
        if self.keep_messages:
            self.attempts.append(attempt)


# --- conditions -------------------------------------------------------------------------------

_CONDITION_TOKEN = re.compile(
    r"\s*(?:('([a-zA-Z0-9\-_.~%]+)'\s+in\s+topics)|(&&)|(\|\|)|(!)|(\()|(\)))"
)


class _ConditionError(ValueError):
    pass


def parse_condition(condition: str) -> Any:
    """The condition as a tree: ("topic", name) | ("not", x) | ("and"|"or", a, b). FCM's
    grammar: `'<topic>' in topics`, `&&`, `||`, `!`, parentheses, at most five topics."""
    tokens: list[tuple[str, str]] = []
    position = 0
    text = condition.strip()
    while position < len(text):
        match = _CONDITION_TOKEN.match(text, position)
        if not match or match.end() == position:
            raise _ConditionError("Invalid condition expression provided.")
        position = match.end()
        if match.group(2):
            tokens.append(("topic", match.group(2)))
        else:
            tokens.append(("op", match.group(0).strip()))
    if sum(1 for kind, _ in tokens if kind == "topic") > 5:
        raise _ConditionError("Invalid condition expression: more than five topics.")
    index = 0

    def peek() -> tuple[str, str] | None:
        return tokens[index] if index < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal index
        if index >= len(tokens):
            raise _ConditionError("Invalid condition expression provided.")
        index += 1
        return tokens[index - 1]

    def disjunction() -> Any:
        left = conjunction()
        while peek() == ("op", "||"):
            take()
            left = ("or", left, conjunction())
        return left

    def conjunction() -> Any:
        left = unary()
        while peek() == ("op", "&&"):
            take()
            left = ("and", left, unary())
        return left

    def unary() -> Any:
        kind, value = take()
        if kind == "topic":
            return ("topic", value)
        if value == "!":
            return ("not", unary())
        if value == "(":
            inner = disjunction()
            if take() != ("op", ")"):
                raise _ConditionError("Invalid condition expression provided.")
            return inner
        raise _ConditionError("Invalid condition expression provided.")

    tree = disjunction()
    if index != len(tokens):
        raise _ConditionError("Invalid condition expression provided.")
    return tree


def _matches(tree: Any, topics: set[str]) -> bool:
    kind = tree[0]
    if kind == "topic":
        return tree[1] in topics
    if kind == "not":
        return not _matches(tree[1], topics)
    if kind == "and":
        return _matches(tree[1], topics) and _matches(tree[2], topics)
    return _matches(tree[1], topics) or _matches(tree[2], topics)


# --- validation -------------------------------------------------------------------------------


def payload_bytes(message: Mapping[str, Any]) -> int:
    """What counts against FCM's payload limit here: the message without its target, as
    compact UTF-8 JSON (a little more than FCM counts, never less)."""
    rest = {k: v for k, v in message.items() if k not in TARGETS}
    return len(json.dumps(rest, ensure_ascii=False, separators=(",", ":")).encode())


def _string_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def _check_message(body: Any) -> tuple[str, str | None] | None:
    """(problem, field) when the request is not a valid v1 send, else None."""
    if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
        return "Request contains an invalid argument.", "message"
    unknown = set(body) - {"message", "validate_only"}
    if unknown:
        name = sorted(unknown)[0]
        return f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.', name
    message = body["message"]
    unknown = set(message) - MESSAGE_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        return (
            f"Invalid JSON payload received. Unknown name \"{name}\" at 'message': "
            "Cannot find field.",
            f"message.{name}",
        )
    targets = [t for t in TARGETS if t in message]
    if len(targets) != 1:
        return "Exactly one of token, fid, topic or condition must be specified.", "message"
    target = targets[0]
    value = message[target]
    if not isinstance(value, str) or not value:
        return f"Invalid value at 'message.{target}'.", f"message.{target}"
    if target == "topic" and not TOPIC_NAME.match(value.removeprefix("/topics/")):
        return "Invalid topic name provided.", "message.topic"
    if target == "condition":
        try:
            parse_condition(value)
        except _ConditionError as error:
            return str(error), "message.condition"
    if "data" in message and not _string_map(message["data"]):
        return "Invalid value at 'message.data': every value must be a string.", "message.data"
    notification = message.get("notification")
    if notification is not None and (
        not isinstance(notification, dict)
        or set(notification) - NOTIFICATION_FIELDS
        or not all(isinstance(v, str) for v in notification.values())
    ):
        return "Invalid value at 'message.notification'.", "message.notification"
    android = message.get("android")
    if android is not None:
        if not isinstance(android, dict) or set(android) - ANDROID_FIELDS:
            return "Invalid value at 'message.android'.", "message.android"
        if android.get("priority", "normal").lower() not in ("high", "normal"):
            return "Invalid value at 'message.android.priority'.", "message.android.priority"
        if "notification" in android and not isinstance(android["notification"], dict):
            return "Invalid value at 'message.android.notification'.", "message.android"
    apns = message.get("apns")
    if apns is not None:
        if not isinstance(apns, dict) or set(apns) - APNS_FIELDS:
            return "Invalid value at 'message.apns'.", "message.apns"
        if "headers" in apns and not _string_map(apns["headers"]):
            return "Invalid value at 'message.apns.headers'.", "message.apns.headers"
        collapse = (apns.get("headers") or {}).get("apns-collapse-id")
        if collapse is not None and len(collapse.encode()) > 64:
            return "apns-collapse-id must not exceed 64 bytes.", "message.apns.headers"
    limit = TOPIC_LIMIT if target in ("topic", "condition") else DEVICE_LIMIT
    if payload_bytes(message) > limit:
        return f"Message is too big (limit {limit} bytes).", "message"
    return None


def _decode_segment(segment: str) -> dict[str, Any]:
    padded = segment + "=" * (-len(segment) % 4)
    decoded = json.loads(base64.urlsafe_b64decode(padded))
    if not isinstance(decoded, dict):
        raise ValueError("not an object")
    return decoded


# --- the ASGI application ---------------------------------------------------------------------

_JSON = [(b"content-type", b"application/json; charset=UTF-8")]
_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


class _Request:
    __slots__ = ("body", "headers", "method", "query", "receive", "segments")

    def __init__(self, scope: dict[str, Any], body: bytes, receive: Any) -> None:
        self.method: str = scope["method"]
        raw = scope.get("raw_path") or scope["path"].encode()
        self.segments = [unquote(s) for s in raw.decode("latin-1").split("/")[1:]]
        self.query = {
            k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()
        }
        self.headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
        }
        self.body = body
        self.receive = receive

    def json(self) -> Any:
        return _decoder.decode(self.body) if self.body else None


class _Answer:
    __slots__ = ("body", "headers", "status")

    def __init__(
        self, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        self.status = status
        self.body = _encoder.encode(body)
        self.headers = headers or []


def _error_answer(
    code: str, *, target: str | None = None, retry_after: float | None = None
) -> _Answer:
    spec = ERRORS[code]
    field_name = f"message.{target}" if code == "INVALID_ARGUMENT" and target else None
    body = _status_body(
        spec.http, spec.status, spec.message, fcm_code=spec.fcm_code, field_name=field_name
    )
    headers = []
    wait = retry_after if retry_after is not None else spec.retry_after
    if wait is not None and spec.http in (429, 503):
        headers.append((b"retry-after", str(max(0, round(wait))).encode()))
    return _Answer(spec.http, body, headers)


UNAUTHENTICATED = _Answer(
    401,
    _status_body(
        401,
        "UNAUTHENTICATED",
        "Request is missing required authentication credential. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential.",
    ),
    [(b"www-authenticate", b'Bearer realm="https://accounts.google.com/"')],
)
NOT_FOUND = _Answer(404, _status_body(404, "NOT_FOUND", "Not Found"))


class _App:
    def __init__(self, state: _State) -> None:
        self.state = state

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = await receive()
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif event["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            event = await receive()
            if event["type"] == "http.disconnect":
                return
            chunks.append(event.get("body", b""))
            if not event.get("more_body"):
                break
        request = _Request(scope, b"".join(chunks), receive)
        try:
            answer = await self.route(request)
        except (msgspec.DecodeError, ValueError, KeyError, TypeError):
            answer = _Answer(
                400, _status_body(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
            )
        if answer is None:
            return  # dropped: the client went away while held
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [*_JSON, *answer.headers],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})

    async def route(self, request: _Request) -> _Answer | None:
        segments = request.segments
        method = request.method
        if segments == ["token"] and method == "POST":
            return self.token(request)
        if segments[:1] == ["_standin"]:
            return self.control(request, segments[1:])
        if len(segments) >= 4 and segments[:2] == ["v1", "projects"]:
            project = segments[2]
            if segments[3:] == ["messages:send"] and method == "POST":
                return await self.fcm(request, lambda: self.send(request, project))
            if len(segments) >= 6 and segments[3] == "registrations":
                device = segments[4]
                if segments[5:] == ["topicSubscriptions"] and method == "POST":
                    topic = request.query.get("topic_name", "")
                    return await self.fcm(request, lambda: self.subscribe(project, device, topic))
                unsubscribe = len(segments) == 7 and segments[5] == "topicSubscriptions"
                if unsubscribe and method == "DELETE":
                    missing_ok = request.query.get("allow_missing") == "true"
                    return await self.fcm(
                        request, lambda: self.unsubscribe(device, segments[6], missing_ok)
                    )
        return NOT_FOUND

    # --- the FCM API ---

    async def fcm(self, request: _Request, handle: Any) -> _Answer | None:
        state = self.state
        if state.held:
            epoch = state.hold_epoch
            state.waiting += 1
            try:
                gone = asyncio.ensure_future(_disconnected(request.receive))
                while state.held and state.hold_epoch == epoch and not gone.done():
                    await asyncio.wait([gone], timeout=0.02)
                if gone.done():
                    return None
                gone.cancel()
            finally:
                state.waiting -= 1
            if epoch in state.dropped_epochs:
                return _error_answer("UNAVAILABLE")
        if state.latency:
            await asyncio.sleep(state.latency)
        authorization = request.headers.get("authorization", "")
        token = authorization.removeprefix("Bearer ").strip()
        expires = state.tokens.get(token)
        if not authorization.startswith("Bearer ") or expires is None or expires < time.time():
            return UNAUTHENTICATED
        answer: _Answer = handle()
        return answer

    def send(self, request: _Request, project: str) -> _Answer:
        state = self.state
        now = time.time()
        body = request.json()
        problem = _check_message(body)
        target, to = "message", ""
        if problem is None:
            message = body["message"]
            target = next(t for t in TARGETS if t in message)
            to = message[target]
            if target == "topic":
                to = to.removeprefix("/topics/")
        with state.lock:
            if problem is not None:
                text, field_name = problem
                state.attempt(Attempt(now, "send", target, to, 400, "INVALID_ARGUMENT"))
                return _Answer(
                    400,
                    _status_body(
                        400,
                        "INVALID_ARGUMENT",
                        text,
                        fcm_code="INVALID_ARGUMENT",
                        field_name=field_name,
                    ),
                )
            failure = state.device_errors.get(to) if target in ("fid", "token") else None
            failure = failure or state.take_injected("send")
            if failure is not None:
                code, retry_after = failure
                answer = _error_answer(code, target=target, retry_after=retry_after)
                state.attempt(Attempt(now, "send", target, to, answer.status, code))
                return answer
            state.attempt(Attempt(now, "send", target, to, 200))
            if body.get("validate_only"):
                return _Answer(200, {"name": f"projects/{project}/messages/fake_message_id"})
            message_id = f"projects/{project}/messages/0:{int(now * 1e6)}%{next(state.ids):x}"
            state.counts[(target, to)] += 1
            if state.keep_messages:
                kept = {k: v for k, v in message.items() if k != target}
                state.received.append(Received(now, message_id, target, to, kept))
        return _Answer(200, {"name": message_id})

    def subscribe(self, project: str, device: str, topic: str) -> _Answer:
        state = self.state
        now = time.time()
        with state.lock:
            if not TOPIC_NAME.match(topic):
                state.attempt(Attempt(now, "subscribe", "topic", topic, 400, "INVALID_ARGUMENT"))
                return _Answer(
                    400, _status_body(400, "INVALID_ARGUMENT", "Invalid topic name provided.")
                )
            failure = state.device_errors.get(device) or state.take_injected("topics")
            if failure is not None:
                code, retry_after = failure
                answer = _error_answer(code, target="fid", retry_after=retry_after)
                state.attempt(Attempt(now, "subscribe", "fid", device, answer.status, code))
                return answer
            subscribers = state.subscriptions[topic]
            if device in subscribers:
                state.attempt(Attempt(now, "subscribe", "fid", device, 409, "ALREADY_EXISTS"))
                return _Answer(
                    409,
                    _status_body(
                        409, "ALREADY_EXISTS", "The device is already subscribed to the topic."
                    ),
                )
            subscribers.add(device)
            state.attempt(Attempt(now, "subscribe", "fid", device, 200))
        name = f"projects/{project}/registrations/{device}/topicSubscriptions/{topic}"
        return _Answer(200, {"name": name})

    def unsubscribe(self, device: str, topic: str, missing_ok: bool) -> _Answer:
        state = self.state
        now = time.time()
        with state.lock:
            failure = state.device_errors.get(device) or state.take_injected("topics")
            if failure is not None:
                code, retry_after = failure
                answer = _error_answer(code, target="fid", retry_after=retry_after)
                state.attempt(Attempt(now, "unsubscribe", "fid", device, answer.status, code))
                return answer
            subscribers = state.subscriptions.get(topic, set())
            if device not in subscribers and not missing_ok:
                state.attempt(Attempt(now, "unsubscribe", "fid", device, 404, "NOT_FOUND"))
                return _Answer(
                    404, _status_body(404, "NOT_FOUND", "Requested entity was not found.")
                )
            subscribers.discard(device)
            state.attempt(Attempt(now, "unsubscribe", "fid", device, 200))
        return _Answer(200, {})

    # --- OAuth ---

    def token(self, request: _Request) -> _Answer:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != JWT_BEARER or "assertion" not in form:
            return _Answer(
                400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}
            )
        try:
            header_part, claims_part, signature = form["assertion"].split(".")
            header = _decode_segment(header_part)
            claims = _decode_segment(claims_part)
        except ValueError:
            return _Answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT."})
        if (
            header.get("alg") != "RS256"
            or not signature
            or not claims.get("iss")
            or not claims.get("scope")
            or float(claims.get("exp", 0)) < time.time()
        ):
            return _Answer(
                400,
                {"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
            )
        token = f"ya29.standin-{secrets.token_urlsafe(24)}"
        state = self.state
        with state.lock:
            state.tokens[token] = time.time() + state.token_lifetime
            state.tokens_issued += 1
        return _Answer(
            200,
            {
                "access_token": token,
                "expires_in": int(state.token_lifetime),
                "token_type": "Bearer",
            },
        )

    # --- the control API (/_standin/...) ---

    def control(self, request: _Request, path: list[str]) -> _Answer:
        state = self.state
        view = _View(state)
        name = path[0] if path else ""
        query = request.query
        if request.method == "GET":
            if name == "messages":
                records = view.messages(
                    device=query.get("device"),
                    topic=query.get("topic"),
                    condition=query.get("condition"),
                )
                return _Answer(200, [asdict(r) for r in records])
            if name == "attempts":
                return _Answer(200, [asdict(a) for a in view.attempts(query.get("device"))])
            if name == "counts":
                return _Answer(200, view.counts())
            if name == "subscriptions":
                return _Answer(
                    200, {t: sorted(d) for t, d in view.subscriptions(query.get("topic")).items()}
                )
            if name == "audience":
                return _Answer(200, sorted(view.condition_audience(query["condition"])))
            if name == "held":
                return _Answer(200, {"held": state.waiting})
        if request.method == "POST":
            body = request.json() or {}
            if name == "reset":
                state.reset()
            elif name == "errors" and "device" in body:
                view.fail_device(body["device"], body.get("code"), body.get("retry_after"))
            elif name == "errors":
                view.fail_next(
                    int(body["next"]),
                    body["code"],
                    retry_after=body.get("retry_after"),
                    scope=body.get("scope", "send"),
                )
            elif name == "latency":
                state.latency = float(body.get("seconds", 0))
            elif name == "hold":
                view.hold()
            elif name == "release":
                view.release(drop=bool(body.get("drop", False)))
            elif name == "subscriptions":
                view.subscribe(body["topic"], body["devices"])
            else:
                return NOT_FOUND
            return _Answer(200, {"ok": True})
        return NOT_FOUND


async def _disconnected(receive: Any) -> None:
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            return


# --- the interface, in-process and remote -----------------------------------------------------


class StandIn(Protocol):
    """What tests and benchmarks drive, whether the stand-in runs in-process or not."""

    @property
    def url(self) -> str: ...
    @property
    def project_id(self) -> str: ...
    def reset(self) -> None: ...
    def fail_device(self, device: str, code: str | None, retry_after: float | None = None) -> None:
        """Every later request for `device` fails with `code` (None: stops failing)."""
        ...

    def fail_next(
        self, n: int, code: str, *, retry_after: float | None = None, scope: str = "send"
    ) -> None:
        """The next `n` requests fail with `code`; scope: send, topics or all."""
        ...

    def set_latency(self, seconds: float) -> None: ...
    def hold(self) -> None: ...
    def release(self, *, drop: bool = False) -> None:
        """Let held requests go on; with `drop`, they are answered UNAVAILABLE unrecorded."""
        ...

    def held(self) -> int: ...
    def messages(
        self, *, device: str | None = None, topic: str | None = None, condition: str | None = None
    ) -> list[Received]: ...
    def attempts(self, device: str | None = None) -> list[Attempt]: ...
    def counts(self) -> dict[str, Any]: ...
    def subscriptions(self, topic: str | None = None) -> dict[str, set[str]]: ...
    def subscribe(self, topic: str, devices: list[str]) -> None:
        """Record subscriptions directly (test set-up), as if the devices had subscribed."""
        ...

    def condition_audience(self, condition: str) -> set[str]: ...


class _View:
    """The introspection and control operations over the state (shared by the in-process
    object and the control API)."""

    def __init__(self, state: _State) -> None:
        self.state = state

    def fail_device(self, device: str, code: str | None, retry_after: float | None) -> None:
        with self.state.lock:
            if code is None:
                self.state.device_errors.pop(device, None)
            else:
                if code not in ERRORS:
                    raise ValueError(f"unknown FCM error code {code!r}")
                self.state.device_errors[device] = (code, retry_after)

    def fail_next(self, n: int, code: str, *, retry_after: float | None, scope: str) -> None:
        if code not in ERRORS:
            raise ValueError(f"unknown FCM error code {code!r}")
        with self.state.lock:
            self.state.injected.append(_Injected(n, code, retry_after, scope))

    def hold(self) -> None:
        with self.state.lock:
            self.state.hold_epoch += 1
            self.state.held = True

    def release(self, *, drop: bool) -> None:
        with self.state.lock:
            if drop:
                self.state.dropped_epochs.add(self.state.hold_epoch)
            self.state.held = False

    def messages(
        self, *, device: str | None, topic: str | None, condition: str | None
    ) -> list[Received]:
        with self.state.lock:
            records = list(self.state.received)
        if device is not None:
            records = [r for r in records if r.target in ("fid", "token") and r.to == device]
        if topic is not None:
            records = [r for r in records if r.target == "topic" and r.to == topic]
        if condition is not None:
            records = [r for r in records if r.target == "condition" and r.to == condition]
        return records

    def attempts(self, device: str | None) -> list[Attempt]:
        with self.state.lock:
            attempts = list(self.state.attempts)
        return [a for a in attempts if device is None or a.to == device]

    def counts(self) -> dict[str, Any]:
        with self.state.lock:
            per: dict[str, dict[str, int]] = {"fid": {}, "token": {}, "topic": {}, "condition": {}}
            for (target, to), n in self.state.counts.items():
                per[target][to] = n
            return {
                "devices": {**per["token"], **per["fid"]},
                "topics": per["topic"],
                "conditions": per["condition"],
                "accepted": sum(self.state.counts.values()),
                "requests": self.state.attempt_count,
                "tokens_issued": self.state.tokens_issued,
            }

    def subscriptions(self, topic: str | None) -> dict[str, set[str]]:
        with self.state.lock:
            if topic is not None:
                return {topic: set(self.state.subscriptions.get(topic, set()))}
            return {t: set(d) for t, d in self.state.subscriptions.items() if d}

    def subscribe(self, topic: str, devices: list[str]) -> None:
        with self.state.lock:
            self.state.subscriptions[topic].update(devices)

    def condition_audience(self, condition: str) -> set[str]:
        tree = parse_condition(condition)
        with self.state.lock:
            topics_of: defaultdict[str, set[str]] = defaultdict(set)
            for topic, devices in self.state.subscriptions.items():
                for device in devices:
                    topics_of[device].add(topic)
        return {device for device, topics in topics_of.items() if _matches(tree, topics)}


class FcmStandIn:
    """The stand-in served by uvicorn in a thread of this process."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        project_id: str = DEFAULT_PROJECT,
        keep_messages: bool = True,
        token_lifetime: float = 3600.0,
    ) -> None:
        self._state = _State(project_id, keep_messages=keep_messages, token_lifetime=token_lifetime)
        self._view = _View(self._state)
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self) -> FcmStandIn:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        self._port = sock.getsockname()[1]
        self._server = uvicorn.Server(_uvicorn_config(_App(self._state), self._host, self._port))
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.run(sockets=[sock]), name="fcm-standin", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the FCM stand-in did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._view.release(drop=True)
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> FcmStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def project_id(self) -> str:
        return self._state.project_id

    def write_service_account(self, path: Path) -> Path:
        return write_service_account(
            path, token_uri=f"{self.url}/token", project_id=self.project_id
        )

    # control and introspection

    def reset(self) -> None:
        self._state.reset()

    def fail_device(self, device: str, code: str | None, retry_after: float | None = None) -> None:
        self._view.fail_device(device, code, retry_after)

    def fail_next(
        self, n: int, code: str, *, retry_after: float | None = None, scope: str = "send"
    ) -> None:
        self._view.fail_next(n, code, retry_after=retry_after, scope=scope)

    def set_latency(self, seconds: float) -> None:
        self._state.latency = seconds

    def hold(self) -> None:
        self._view.hold()

    def release(self, *, drop: bool = False) -> None:
        self._view.release(drop=drop)

    def held(self) -> int:
        return self._state.waiting

    def messages(
        self, *, device: str | None = None, topic: str | None = None, condition: str | None = None
    ) -> list[Received]:
        return self._view.messages(device=device, topic=topic, condition=condition)

    def attempts(self, device: str | None = None) -> list[Attempt]:
        return self._view.attempts(device)

    def counts(self) -> dict[str, Any]:
        return self._view.counts()

    def subscriptions(self, topic: str | None = None) -> dict[str, set[str]]:
        return self._view.subscriptions(topic)

    def subscribe(self, topic: str, devices: list[str]) -> None:
        self._view.subscribe(topic, devices)

    def condition_audience(self, condition: str) -> set[str]:
        return self._view.condition_audience(condition)


class StandInClient:
    """A stand-in running in another process, driven through its control API."""

    def __init__(self, url: str, *, project_id: str = DEFAULT_PROJECT) -> None:
        self._url = url.rstrip("/")
        self._project_id = project_id
        self._http = httpx.Client(base_url=f"{self._url}/_standin", timeout=30)

    @property
    def url(self) -> str:
        return self._url

    @property
    def project_id(self) -> str:
        return self._project_id

    def close(self) -> None:
        self._http.close()

    def write_service_account(self, path: Path) -> Path:
        return write_service_account(
            path, token_uri=f"{self.url}/token", project_id=self.project_id
        )

    def _post(self, name: str, body: dict[str, Any] | None = None) -> None:
        self._http.post(f"/{name}", json=body or {}).raise_for_status()

    def _get(self, name: str, **params: str) -> Any:
        response = self._http.get(f"/{name}", params=params)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._post("reset")

    def fail_device(self, device: str, code: str | None, retry_after: float | None = None) -> None:
        self._post("errors", {"device": device, "code": code, "retry_after": retry_after})

    def fail_next(
        self, n: int, code: str, *, retry_after: float | None = None, scope: str = "send"
    ) -> None:
        self._post("errors", {"next": n, "code": code, "retry_after": retry_after, "scope": scope})

    def set_latency(self, seconds: float) -> None:
        self._post("latency", {"seconds": seconds})

    def hold(self) -> None:
        self._post("hold")

    def release(self, *, drop: bool = False) -> None:
        self._post("release", {"drop": drop})

    def held(self) -> int:
        return int(self._get("held")["held"])

    def messages(
        self, *, device: str | None = None, topic: str | None = None, condition: str | None = None
    ) -> list[Received]:
        params = {
            k: v
            for k, v in {"device": device, "topic": topic, "condition": condition}.items()
            if v is not None
        }
        return [Received(**r) for r in self._get("messages", **params)]

    def attempts(self, device: str | None = None) -> list[Attempt]:
        params = {"device": device} if device is not None else {}
        return [Attempt(**a) for a in self._get("attempts", **params)]

    def counts(self) -> dict[str, Any]:
        return dict(self._get("counts"))

    def subscriptions(self, topic: str | None = None) -> dict[str, set[str]]:
        params = {"topic": topic} if topic is not None else {}
        return {t: set(d) for t, d in self._get("subscriptions", **params).items()}

    def subscribe(self, topic: str, devices: list[str]) -> None:
        self._post("subscriptions", {"topic": topic, "devices": devices})

    def condition_audience(self, condition: str) -> set[str]:
        return set(self._get("audience", condition=condition))


class StandInProcess:
    """`python -m notifications.push.standin` started in a child process (and stopped)."""

    def __init__(
        self,
        *,
        port: int | None = None,
        project_id: str = DEFAULT_PROJECT,
        keep_messages: bool = True,
        cpus: set[int] | None = None,
        log: Path | None = None,
    ) -> None:
        self.port = port or _free_port()
        self.project_id = project_id
        command = [
            sys.executable,
            "-m",
            "notifications.push.standin",
            "--port",
            str(self.port),
            "--project",
            project_id,
        ]
        if not keep_messages:
            command.append("--count-only")
        self._command = command
        self._cpus = cpus
        self._log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.client = StandInClient(f"http://127.0.0.1:{self.port}", project_id=project_id)

    @property
    def url(self) -> str:
        return self.client.url

    def start(self) -> StandInClient:
        output = self._log.open("ab") if self._log else subprocess.DEVNULL
        cpus = self._cpus
        preexec = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            self._command, stdout=output, stderr=subprocess.STDOUT, preexec_fn=preexec
        )
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(httpx.HTTPError):
                self.client.counts()
                return self.client
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the FCM stand-in process did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.client.close()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> StandInClient:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- service account --------------------------------------------------------------------------


def write_service_account(path: Path, *, token_uri: str, project_id: str = DEFAULT_PROJECT) -> Path:
    """A service-account JSON for `project_id` with a fresh RSA key whose tokens come from
    `token_uri` (the stand-in's `/token`)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": f"firebase-adminsdk@{project_id}.iam.gserviceaccount.com",
        "client_id": str(secrets.randbelow(10**20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "universe_domain": "googleapis.com",
    }
    path.write_text(json.dumps(info, indent=2))
    path.chmod(0o600)
    return path


# --- serving ----------------------------------------------------------------------------------


def _uvicorn_config(app: _App, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        loop="asyncio",
        lifespan="off",
        access_log=False,
        log_level="warning",
        backlog=4096,
        timeout_keep_alive=60,
        timeout_graceful_shutdown=2,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local FCM stand-in (tests, benchmarks).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--project", default=DEFAULT_PROJECT)
    parser.add_argument(
        "--count-only",
        action="store_true",
        help="keep counts per device, topic and condition, not the messages (benchmarks)",
    )
    parser.add_argument("--token-lifetime", type=float, default=3600.0)
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the stand-in only listens on the loopback interface")
    state = _State(
        args.project, keep_messages=not args.count_only, token_lifetime=args.token_lifetime
    )
    print(f"FCM stand-in on http://{args.host}:{args.port} (project {args.project})", flush=True)
    uvicorn.Server(_uvicorn_config(_App(state), args.host, args.port)).run()


if __name__ == "__main__":
    main()
