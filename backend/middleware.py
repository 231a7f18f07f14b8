"""ASGI middleware that every request goes through.

`RequestContextMiddleware` wraps the whole application (404s and 405s included): it assigns
the request id, adds it to the response and writes the one access-log line. The unit-of-work
middleware is per route (it needs the matched handler's options).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from backend.db import UnitOfWork
from backend.errors import (
    AppError,
    BadRequest,
    MalformedBody,
    PayloadTooLarge,
    RequestTimeout,
    ServerBusy,
    ValidationFailed,
)
from backend.logs import access_line, request_id_var

# Plain ASGI types: our middleware reads and writes raw messages, which Litestar's TypedDict
# unions make needlessly hard to type-check.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("ctn.access")

COMMIT_ON_ERROR = "ctn.commit_on_error"
"""Scope key set by the exception handler when a failing request's work must commit."""

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def handler_opt(scope: Scope, name: str, default: Any = None) -> Any:
    handler = scope.get("route_handler")
    return handler.opt.get(name, default) if handler is not None else default


class RequestContextMiddleware:
    """Request id in and out, one structured log line per request, and a bound on how long
    the request body may pause (`body_timeout`: a silent sender gets 408 and is closed)."""

    def __init__(self, app: ASGIApp, body_timeout: float = 30.0) -> None:
        self.app = app
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else os.urandom(16).hex()
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                # The request id in force now: an anonymous route replaces the client's.
                headers.append((b"x-request-id", (request_id_var.get() or request_id).encode()))
                message["headers"] = headers
            await send(message)

        if has_body(scope):
            receive = bounded_receive(receive, self.body_timeout)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            fields: dict[str, Any] = {
                "method": scope["method"],
                "route": scope.get("path_template") or "<unmatched>",
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            if not handler_opt(scope, "anonymous", False):
                client = scope.get("client")
                fields["client"] = client[0] if client else None
                fields["user_agent"] = header(scope, b"user-agent")
            access_line(access_log, **fields)
            request_id_var.reset(token)


class EdgeMiddleware:
    """What every route's request meets first, in one layer (three layers cost ~10 % of a
    cheap read's CPU in calls and closures):

    1. Bad input is refused before any handler or query sees it: NUL characters (PostgreSQL
       refuses them in text) and invalid UTF-8 in the path, the query string and JSON or form
       bodies, JSON nested too deeply to decode. A route that runs in a transaction has its
       body read whole here, within `body_timeout` seconds and the route's size limit, *before*
       the unit-of-work middleware takes a database connection: a client that sends half a
       body holds a socket, never a connection of the pool. Routes without a transaction
       (streamed uploads) read their body themselves, bounded by `RequestContextMiddleware`.
    2. Responses that may carry personal data are never kept by a shared cache, nor by the
       browser unless they can be revalidated: a signed-in route's answer, or any answer to a
       request with credentials, gets `Cache-Control: private, no-store` (`private, no-cache`
       when it has an ETag), unless the route set its own. Anonymous answers of public routes
       are left as they are.
    3. Answers are compressed (gzip) for clients that accept it, when they are one body of at
       least `COMPRESS_MIN_BYTES` in a textual type (JSON, HTML, CSS, JavaScript, SVG, CSV,
       WebVTT, playlists): many learners and reporters are on weak mobile links. Streamed
       answers (files, Range reads, video) are never touched, nor routes with opt
       `compress=False`.
    4. Admission: requests that carry no credentials wait for one of `public_slots` before
       they may use the database (the sign-in throttle's counters, then the request's
       transaction), and get 503 `server_busy` after `wait` seconds: however many anonymous
       requests arrive, signed-in work always finds connections in the pool. Routes without a
       transaction hold a connection only for short steps (probes, the sign-in callback, which
       waits on the identity provider between its steps) and are not held back: a slot held
       across a call to the provider would let a slow provider starve every public route.
    """

    def __init__(
        self,
        app: ASGIApp,
        public_slots: asyncio.Semaphore,
        body_timeout: float = 30.0,
        wait: float = 5.0,
    ) -> None:
        self.app = app
        self.public_slots = public_slots
        self.body_timeout = body_timeout
        self.wait = wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        opt = scope["route_handler"].opt
        if opt.get("anonymous", False):
            # A request id the client chose could follow it from request to request: an
            # anonymous route logs one of ours instead.
            request_id_var.set(os.urandom(16).hex())
        check_path_and_query(scope)
        transaction = opt.get("transaction", True)
        if transaction and has_body(scope):
            body = await self._read_body(scope, receive)
            if body is None:
                return  # the client went away mid-body: nobody is left to answer
            check_body(header(scope, b"content-type"), body)
            receive = replay(body, receive)
        credentials = has_credentials(scope)
        if credentials or not getattr(opt.get("access"), "public", False):
            send = private_send(send)
        if opt.get("compress", True):
            accepted = header(scope, b"accept-encoding")
            if accepted is not None and "gzip" in accepted:
                send = gzip_send(send)
        if not transaction or credentials:
            await self.app(scope, receive, send)
            return
        slots = self.public_slots
        if slots.locked():
            try:
                async with asyncio.timeout(self.wait):
                    await slots.acquire()
            except TimeoutError:
                raise ServerBusy() from None
        else:
            await slots.acquire()  # free: no timer to arm and cancel
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        handler = scope["route_handler"]
        limit: int | None = handler.resolve_request_max_body_size()
        announced = header(scope, b"content-length")
        if limit is not None and announced and announced.isdigit() and int(announced) > limit:
            raise PayloadTooLarge()
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return None
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise PayloadTooLarge()
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise RequestTimeout() from None


def private_send(send: Send) -> Send:
    """`send`, adding `Cache-Control: private, no-store` (`private, no-cache` with an ETag) to
    a response that set no Cache-Control of its own."""

    async def send_private(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            names = {name.lower() for name, _ in headers}
            if b"cache-control" not in names:
                value = b"private, no-cache" if b"etag" in names else b"private, no-store"
                headers.append((b"cache-control", value))
                message["headers"] = headers
        await send(message)

    return send_private


COMPRESS_MIN_BYTES = 1024
COMPRESS_LEVEL = 5
"""zlib's level 5: most of level 9's saving on JSON at a third of its CPU."""
_COMPRESSIBLE = (
    b"application/json",
    b"application/problem+json",
    b"text/",
    b"application/javascript",
    b"image/svg+xml",
    b"application/vnd.apple.mpegurl",
    b"application/x-mpegurl",
)


def gzip_send(send: Send) -> Send:
    """`send`, compressing a single-body answer of a textual type with gzip. A strong ETag
    becomes weak (the compressed bytes differ from the ones it names; revalidation compares
    weakly, so a 304 still answers either form)."""
    start: Message | None = None

    async def send_gzip(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if start is None or message["type"] != "http.response.body":
            await send(message)
            return
        held, start = start, None
        body = message.get("body", b"")
        if (
            message.get("more_body", False)
            or len(body) < COMPRESS_MIN_BYTES
            or held.get("status") == 206  # a byte range of the uncompressed representation
        ):
            await send(held)
            await send(message)
            return
        headers = list(held.get("headers", []))
        content_type = b""
        for name, value in headers:
            lowered = name.lower()
            if lowered == b"content-encoding":
                await send(held)
                await send(message)
                return
            if lowered == b"content-type":
                content_type = value.lower()
        if not content_type.startswith(_COMPRESSIBLE):
            await send(held)
            await send(message)
            return
        packer = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, 31)  # 31: the gzip format
        packed = packer.compress(body) + packer.flush()
        rewritten: list[tuple[bytes, bytes]] = []
        vary = False
        for name, value in headers:
            lowered = name.lower()
            if lowered == b"content-length":
                continue
            if lowered == b"etag" and not value.startswith(b"W/"):
                value = b"W/" + value
            if lowered == b"vary":
                vary = True
                if b"accept-encoding" not in value.lower():
                    value = value + b", Accept-Encoding"
            rewritten.append((name, value))
        if not vary:
            rewritten.append((b"vary", b"Accept-Encoding"))
        rewritten.append((b"content-encoding", b"gzip"))
        rewritten.append((b"content-length", str(len(packed)).encode()))
        held["headers"] = rewritten
        await send(held)
        await send({"type": "http.response.body", "body": packed, "more_body": False})

    return send_gzip


def has_body(scope: Scope) -> bool:
    if header(scope, b"transfer-encoding") is not None:
        return True
    length = header(scope, b"content-length")
    return length is not None and length.strip() not in ("", "0")


def bounded_receive(receive: Receive, timeout: float) -> Receive:
    """`receive`, where waiting for the next piece of the request body is bounded by
    `timeout` (408). Waiting for the client to disconnect, once the body is complete, is not."""
    body_complete = False

    async def bounded() -> Message:
        nonlocal body_complete
        if body_complete:
            return await receive()
        try:
            async with asyncio.timeout(timeout):
                message = await receive()
        except TimeoutError:
            raise RequestTimeout() from None
        if message["type"] != "http.request" or not message.get("more_body", False):
            body_complete = True
        return message

    return bounded


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands out `body` whole, then defers to the real one (disconnects)."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def check_path_and_query(scope: Scope) -> None:
    for name, value in (scope.get("path_params") or {}).items():
        if isinstance(value, str) and "\x00" in value:
            raise nul_character(name, "path")
    if "\x00" in scope.get("path", ""):
        raise nul_character("$", "path")
    query = scope.get("query_string", b"")
    if query:
        invalid = BadRequest(
            "Chuỗi truy vấn không phải UTF-8 hợp lệ.", "The query string is not valid UTF-8."
        )
        check_pairs(query, "query", invalid)


def check_body(content_type: str | None, body: bytes) -> None:
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        check_json(body)
    elif media_type == "application/x-www-form-urlencoded":
        check_form(body)


def check_json(body: bytes) -> None:
    if not body.strip():
        return
    try:
        document = msgspec.json.decode(body)
    except UnicodeDecodeError:
        raise MalformedBody(
            "Nội dung JSON không phải UTF-8 hợp lệ.", "The JSON body is not valid UTF-8."
        ) from None
    except RecursionError:
        raise MalformedBody(
            "Nội dung JSON lồng nhau quá sâu.", "The JSON body is nested too deeply."
        ) from None
    except msgspec.DecodeError:
        raise MalformedBody() from None
    # A NUL can only be in the document as the escape \u0000; most bodies have none.
    if b"\\u0000" in body:
        path = _nul_path(document, "")
        if path is not None:
            raise nul_character(path or "$", "body")


def _nul_path(value: Any, path: str) -> str | None:
    """Where the first string holding a NUL character is, in `_field_error`'s notation."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in key:
                return here.replace("\x00", "")
            found = _nul_path(item, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def check_form(body: bytes) -> None:
    invalid = MalformedBody(
        "Nội dung biểu mẫu không phải UTF-8 hợp lệ.", "The form body is not valid UTF-8."
    )
    check_pairs(body, "body", invalid)


def check_pairs(encoded: bytes, source: str, invalid: AppError) -> None:
    """URL-encoded pairs (a query string, a form): `invalid` unless they decode as UTF-8, and
    a problem naming the field whose name or value holds a NUL character."""
    try:
        pairs = parse_qsl(
            encoded.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError:
        raise invalid from None
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise nul_character(name.replace("\x00", ""), source)


def nul_character(field: str, source: str) -> ValidationFailed:
    return ValidationFailed(
        errors=[
            {
                "field": field,
                "source": source,
                "message_en": "Must not contain the NUL character (U+0000)",
                "message_vi": "Không được chứa ký tự NUL (U+0000)",
            }
        ]
    )


class UnitOfWorkMiddleware:
    """One transaction per request: committed before the response starts when its status is
    below 400 (or when the error says its work must stick, `AppError.commit`), rolled back
    otherwise. Routes opt out with `opt={"transaction": False}`; hot reads that write nothing
    say `opt={"transaction": "read"}` (a connection without BEGIN and COMMIT)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not handler_opt(scope, "transaction", True):
            await self.app(scope, receive, send)
            return
        read_only = handler_opt(scope, "transaction", True) == "read"
        uow = await UnitOfWork(read_only=read_only).begin(request=True)

        async def send_after_commit(message: Message) -> None:
            if message["type"] == "http.response.start" and not uow.finished:
                if message["status"] < 400 or scope.get(COMMIT_ON_ERROR):
                    await uow.commit()
                else:
                    await uow.rollback()
            await send(message)

        try:
            await self.app(scope, receive, send_after_commit)
        except AppError as exc:
            # Raised by middleware inside this one (authentication): Litestar renders it
            # further out, after this unit has ended.
            if exc.commit and not uow.finished:
                await uow.commit()
            raise
        finally:
            await uow.rollback()  # no-op once committed or rolled back


def has_credentials(scope: Scope) -> bool:
    """Whether the request presents a bearer token or a session cookie (not yet verified:
    a forged one is refused by authentication, quickly)."""
    authorization = header(scope, b"authorization")
    if authorization and authorization[:7].lower() == "bearer ":
        return True
    cookie = header(scope, b"cookie")
    return cookie is not None and "ctn_session=" in cookie


def buffered_send(send: Send, on_complete: Callable[[Message, bytes], Awaitable[None]]) -> Send:
    """A `send` that holds the response start and body, then calls `on_complete(start, body)`
    once the body is complete; `on_complete` decides what reaches the client."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def buffer(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            await on_complete(start, b"".join(chunks))

    return buffer


async def send_response(send: Send, start: Message, body: bytes) -> None:
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


def header(scope: Scope, name: bytes) -> str | None:
    """A request header (the first, decoded as latin-1), or None. The headers are indexed
    once per request (`scope["ctn.headers"]`): a request asks for ten or so of them."""
    index = scope.get("ctn.headers")
    if index is None:
        index = {}
        for key, value in scope.get("headers", ()):
            index.setdefault(key, value)
        scope["ctn.headers"] = index
    value = index.get(name)
    return None if value is None else str(value.decode("latin-1"))
