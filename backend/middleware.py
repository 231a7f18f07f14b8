"""ASGI middleware that every request goes through.

`RequestContextMiddleware` wraps the whole application (404s and 405s included): it assigns
the request id, adds it to the response and writes the one access-log line. The unit-of-work
middleware is per route (it needs the matched handler's options).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from backend.db import UnitOfWork
from backend.errors import AppError
from backend.logs import log_fields, request_id_var

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
    """Request id in and out, and one structured log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

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
            log_fields(access_log, logging.INFO, "request", **fields)
            request_id_var.reset(token)


class UnitOfWorkMiddleware:
    """One transaction per request: committed before the response starts when its status is
    below 400 (or when the error says its work must stick, `AppError.commit`), rolled back
    otherwise. Routes opt out with `opt={"transaction": False}`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not handler_opt(scope, "transaction", True):
            await self.app(scope, receive, send)
            return
        uow = await UnitOfWork().begin()

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
    """A request header (the first, decoded as latin-1), or None."""
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None
