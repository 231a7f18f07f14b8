"""ETag / If-None-Match for cacheable GETs (RFC 9110 §8.8.3, §13.1.2).

Routes opt in with `opt={"etag": True}` (optionally `"cache_control"`): the response body is
hashed, and a request whose If-None-Match names that tag gets `304 Not Modified` with no body.

A route whose data has a cheap version says `opt={"etag": version}`, an async function of the
ASGI scope returning a string that changes whenever the answer may (a row count and the last
update time, say). The tag is then derived from that version, the route, its query string and
what the caller may see (`scope["user"]`'s roles and units), and a matching If-None-Match is
answered 304 before the handler runs: a revalidation costs the version's query, not the page.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable

from backend.db import after_commit
from backend.middleware import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    buffered_send,
    handler_opt,
    header,
    send_response,
)

DEFAULT_CACHE_CONTROL = "private, no-cache"

Version = Callable[[Scope], Awaitable[str]]


def make_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def if_none_match_matches(header: str | None, etag: str) -> bool:
    """Weak comparison, as If-None-Match requires; `*` matches any current representation."""
    if not header:
        return False
    opaque = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == opaque:
            return True
    return False


class ETagMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        option = handler_opt(scope, "etag", False)
        if scope["type"] != "http" or scope["method"] != "GET" or not option:
            await self.app(scope, receive, send)
            return
        if callable(option):
            await self._versioned(scope, receive, send, option)
            return

        async def finish(start: Message, body: bytes) -> None:
            await self._finish(scope, start, body, send, make_etag(body))

        await self.app(scope, receive, buffered_send(send, finish))

    async def _versioned(
        self, scope: Scope, receive: Receive, send: Send, version: Version
    ) -> None:
        etag = versioned_etag(scope, await version(scope))
        if if_none_match_matches(_if_none_match(scope), etag):
            await self._send_not_modified(scope, [], send, etag)
            return

        async def finish(start: Message, body: bytes) -> None:
            await self._finish(scope, start, body, send, etag)

        await self.app(scope, receive, buffered_send(send, finish))

    async def _send_not_modified(
        self, scope: Scope, headers: list[tuple[bytes, bytes]], send: Send, etag: str
    ) -> None:
        cache_control = handler_opt(scope, "cache_control", DEFAULT_CACHE_CONTROL)
        kept = {b"vary", b"x-request-id", b"content-location"}
        await send(
            {
                "type": "http.response.start",
                "status": 304,
                "headers": [
                    *((k, v) for k, v in headers if k.lower() in kept),
                    *_vary_of(scope, headers),
                    (b"etag", etag.encode()),
                    (b"cache-control", cache_control.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _finish(
        self, scope: Scope, start: Message, body: bytes, send: Send, etag: str
    ) -> None:
        if start["status"] != 200:
            await send_response(send, start, body)
            return
        cache_control = handler_opt(scope, "cache_control", DEFAULT_CACHE_CONTROL)
        headers = [
            (k, v)
            for k, v in start.get("headers", [])
            if k.lower() not in (b"etag", b"cache-control")
        ]
        if if_none_match_matches(_if_none_match(scope), etag):
            await self._send_not_modified(scope, headers, send, etag)
            return
        headers += [(b"etag", etag.encode()), (b"cache-control", cache_control.encode())]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})


_TAGS: dict[tuple[str, ...], str] = {}
_TAGS_MAX = 4096


def versioned_etag(scope: Scope, version: str) -> str:
    """The tag of a route's answer at `version`, for this query and this caller's view
    (remembered: the hottest reads ask for the same few tags again and again)."""
    cache_key = (
        version,
        scope.get("path", ""),
        scope.get("query_string", b"").decode("latin-1"),
        header_value(scope, b"accept-language") or "",
    )
    if scope.get("user") is None:
        tag = _TAGS.get(cache_key)
        if tag is None:
            if len(_TAGS) >= _TAGS_MAX:
                _TAGS.clear()
            tag = _TAGS[cache_key] = _compute_etag(scope, version)
        return tag
    return _compute_etag(scope, version)


def _compute_etag(scope: Scope, version: str) -> str:
    user = scope.get("user")
    view = ""
    if user is not None:
        view = "|".join(
            ",".join(sorted(getattr(user, name, ()) or ()))
            for name in ("roles", "agencies", "police_units", "communes")
        )
    key = "\n".join(
        (
            version,
            scope.get("path", ""),
            scope.get("query_string", b"").decode("latin-1"),
            view,
            header_value(scope, b"accept-language") or "",
        )
    )
    return '"v' + hashlib.sha256(key.encode()).hexdigest()[:31] + '"'


def header_value(scope: Scope, name: bytes) -> str | None:
    return header(scope, name)


def _if_none_match(scope: Scope) -> str | None:
    return header_value(scope, b"if-none-match")


def _vary_of(scope: Scope, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A 304 sent before the handler ran carries the route's declared Vary."""
    if any(k.lower() == b"vary" for k, _ in headers):
        return []
    handler = scope.get("route_handler")
    for response_header in getattr(handler, "response_headers", None) or ():
        if getattr(response_header, "name", "").lower() == "vary" and response_header.value:
            return [(b"vary", str(response_header.value).encode())]
    return []


class VersionCache:
    """A data version read at most once every `seconds` by this process. The service that
    owns the data forgets it when it changes the data (after commit); a change made by another
    process may be answered 304 for up to `seconds`. It saves the hottest reads a query."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._read_at = float("-inf")
        self._value = ""

    async def get(self, read: Callable[[], Awaitable[str]]) -> str:
        now = time.monotonic()
        if now - self._read_at >= self.seconds:
            self._value = await read()
            self._read_at = now
        return self._value

    async def forget(self) -> None:
        self._read_at = float("-inf")

    async def changed(self) -> None:
        """The data is being changed in the current unit of work: forget the version now
        (for this unit's own later reads) and again once the change commits (a read made
        meanwhile by another request saw the data before it)."""
        await self.forget()
        await after_commit(self.forget)
