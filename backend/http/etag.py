"""ETag / If-None-Match for cacheable GETs (RFC 9110 §8.8.3, §13.1.2).

Routes opt in with `opt={"etag": True}` (optionally `"cache_control"`). The response body is
hashed; a request whose If-None-Match names that tag gets `304 Not Modified` with no body.
"""

from __future__ import annotations

import hashlib

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

DEFAULT_CACHE_CONTROL = "private, no-cache"


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
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not handler_opt(scope, "etag", False)
        ):
            await self.app(scope, receive, send)
            return

        async def finish(start: Message, body: bytes) -> None:
            await self._finish(scope, start, body, send)

        await self.app(scope, receive, buffered_send(send, finish))

    async def _finish(self, scope: Scope, start: Message, body: bytes, send: Send) -> None:
        if start["status"] != 200:
            await send_response(send, start, body)
            return
        etag = make_etag(body)
        cache_control = handler_opt(scope, "cache_control", DEFAULT_CACHE_CONTROL)
        headers = [
            (k, v)
            for k, v in start.get("headers", [])
            if k.lower() not in (b"etag", b"cache-control")
        ]
        headers += [(b"etag", etag.encode()), (b"cache-control", cache_control.encode())]
        request_header = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"if-none-match"), None
        )
        if if_none_match_matches(request_header, etag):
            kept = {b"etag", b"cache-control", b"vary", b"x-request-id", b"content-location"}
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": [(k, v) for k, v in headers if k.lower() in kept],
                }
            )
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
