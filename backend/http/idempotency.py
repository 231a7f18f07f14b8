"""`Idempotency-Key` on POST, PUT and PATCH (draft-ietf-httpapi-idempotency-key-header).

The first response (status, headers, body) is stored with the request's own work, in the same
transaction, for `CTN_IDEMPOTENCY_TTL_HOURS`; a retry with the same key and the same request
gets it again with `Idempotent-Replayed: true`. The same key with a different request is a 409.
Only successful responses (< 400) are stored: a failed request rolls back, key included, and
its retry runs again.

Keys belong to the signed-in person and are stored only as a hash (of the person and the
key). A caller who is not signed in has no namespace of its own, so its key is not honoured:
the request simply runs (a shared anonymous namespace would let one stranger replay another's
response). Routes that issue or revoke credentials (the token endpoint, logouts) say
`opt={"idempotent": False}` and never take part: a single-use code or refresh token redeemed
twice must be seen as such, and a stored response would hold the tokens.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from litestar import Response

from backend.db import current_unit_of_work
from backend.http.errors import IdempotencyBodyTooLarge, IdempotencyKeyInvalid
from backend.http.service import (
    StoredResponse,
    check_idempotency_key,
    do_forget,
    do_store_response,
    fingerprint,
)
from backend.middleware import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    buffered_send,
    handler_opt,
    send_response,
)

HEADER = b"idempotency-key"
MAX_BODY = 1024 * 1024
MAX_STORED_RESPONSE = 1024 * 1024
METHODS = frozenset({"POST", "PUT", "PATCH"})
_NOT_REPLAYED = {b"set-cookie", b"date", b"content-length", b"x-request-id", b"server"}


@dataclass(frozen=True)
class StoredKey:
    """An `Idempotency-Key` as kept: `scope_key`, a hash of the person and the key, names
    the record; the stored response is sealed (AES-GCM) under another hash of them, so the
    database alone reveals neither the key nor the response (which may hold signed URLs)."""

    scope_key: str
    sealing_key: bytes

    def seal(self, response: StoredResponse) -> StoredResponse:
        nonce = os.urandom(12)
        plain = msgspec.msgpack.encode((response.headers, response.body))
        sealed = nonce + AESGCM(self.sealing_key).encrypt(nonce, plain, self.scope_key.encode())
        return StoredResponse(response.status_code, [], sealed)

    def open(self, stored: StoredResponse) -> StoredResponse | None:
        """The response again; None when it does not open (a record from before sealing)."""
        try:
            plain = AESGCM(self.sealing_key).decrypt(
                stored.body[:12], stored.body[12:], self.scope_key.encode()
            )
            headers, body = msgspec.msgpack.decode(plain, type=tuple[list[tuple[str, str]], bytes])
        except (InvalidTag, ValueError, msgspec.DecodeError):
            return None
        return StoredResponse(stored.status_code, headers, body)


def stored_key(scope: Scope, raw_key: bytes) -> StoredKey | None:
    """How the key is kept, or None when it is not honoured here (an anonymous caller, or a
    route that says `idempotent: False`)."""
    if not handler_opt(scope, "idempotent", True):
        return None
    user: Any = scope.get("user")
    person_id = getattr(user, "id", None)
    if person_id is None:
        return None
    material = f"person:{person_id}|{raw_key.decode('latin-1')}".encode()
    return StoredKey(
        scope_key=hashlib.sha256(material).hexdigest(),
        sealing_key=hashlib.sha256(b"idempotency-response-v1|" + material).digest(),
    )


class StreamedRequestKey:
    """`Idempotency-Key` for a handler that streams its body and so holds no transaction
    while it reads (uploads): the request is recognised by the digest of what it received.
    `check` and `store` run in the unit of work that records the result, so a concurrent
    duplicate waits for it."""

    def __init__(self, scope: Scope, key: StoredKey, ttl: timedelta) -> None:
        self.scope = scope
        self.key = key
        self.ttl = ttl

    @classmethod
    def of(cls, scope: Scope, ttl_hours: int) -> StreamedRequestKey | None:
        """None without the header or where it is not honoured; `IdempotencyKeyInvalid` for
        a malformed key (checked before the body is read)."""
        raw_key = dict(scope["headers"]).get(HEADER)
        if raw_key is None:
            return None
        key = stored_key(scope, raw_key)
        if key is None:
            return None
        if not _valid_key(raw_key):
            raise IdempotencyKeyInvalid()
        return cls(scope, key, timedelta(hours=ttl_hours))

    async def check(self, body_digest: str) -> Response[bytes] | None:
        """The first response again when this is a retry; None: claimed, do the work."""
        request_fingerprint = fingerprint(
            self.scope["method"],
            self.scope["path"],
            self.scope.get("query_string", b""),
            "",
            body_digest.encode(),
        )
        stored = await check_idempotency_key(self.key.scope_key, request_fingerprint, self.ttl)
        opened = None if stored is None else self.key.open(stored)
        return None if opened is None else _replayed_response(opened)

    async def store(self, status: int, json_body: bytes) -> None:
        await do_store_response(
            self.key.scope_key,
            self.key.seal(
                StoredResponse(status, [("content-type", "application/json")], json_body)
            ),
        )


def _replayed_response(stored: StoredResponse) -> Response[bytes]:
    headers = {k: v for k, v in stored.headers if k.lower() != "content-type"}
    media_type = next((v for k, v in stored.headers if k.lower() == "content-type"), None)
    headers["Idempotent-Replayed"] = "true"
    return Response(
        stored.body, status_code=stored.status_code, headers=headers, media_type=media_type
    )


def _valid_key(value: bytes) -> bool:
    return 1 <= len(value) <= 255 and all(0x20 < b < 0x7F for b in value)


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, ttl_hours: int = 24) -> None:
        self.app = app
        self.ttl = timedelta(hours=ttl_hours)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        # Routes without a request transaction (streamed uploads) apply the key themselves.
        if (
            raw_key is None
            or not handler_opt(scope, "transaction", True)
            or current_unit_of_work() is None
        ):
            await self.app(scope, receive, send)
            return
        key = stored_key(scope, raw_key)
        if key is None:  # not honoured here: the request simply runs
            await self.app(scope, receive, send)
            return
        if not _valid_key(raw_key):
            raise IdempotencyKeyInvalid()
        body = await _read_body(receive)
        request_fingerprint = fingerprint(
            scope["method"],
            scope["path"],
            scope.get("query_string", b""),
            headers.get(b"content-type", b"").decode("latin-1"),
            body,
        )
        stored = await check_idempotency_key(key.scope_key, request_fingerprint, self.ttl)
        opened = None if stored is None else key.open(stored)
        if opened is not None:
            await _replay(opened, send)
            return

        async def record(start: Message, response_body: bytes) -> None:
            status = start["status"]
            if status < 400:
                if len(response_body) <= MAX_STORED_RESPONSE:
                    kept = [
                        (k.decode("latin-1"), v.decode("latin-1"))
                        for k, v in start.get("headers", [])
                        if k.lower() not in _NOT_REPLAYED
                    ]
                    await do_store_response(
                        key.scope_key, key.seal(StoredResponse(status, kept, response_body))
                    )
                else:
                    await do_forget(key.scope_key)
            await send_response(send, start, response_body)

        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay_receive, buffered_send(send, record))


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise IdempotencyBodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _replay(stored: StoredResponse, send: Send) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers]
    headers.append((b"idempotent-replayed", b"true"))
    start = {"type": "http.response.start", "status": stored.status_code, "headers": headers}
    await send_response(send, start, stored.body)
