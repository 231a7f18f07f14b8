"""Signed object reads: an object of local storage (or an HLS playlist or segment in S3)
through a signed, expiring URL, with `Range` (overlapping ranges coalesced, see `ranges`),
`HEAD` and `If-None-Match`. The signature is the credential; no database is read."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from backend.settings import Settings
from content.assets import storage
from content.errors import ObjectNotFound
from content.ranges import parse_range
from content.signing import UrlSigner
from content.storage import check_key, content_type_for


@dataclass(frozen=True)
class ObjectRead:
    status: int
    headers: dict[str, str]
    body: AsyncIterator[bytes] | None


def signer(settings: Settings) -> UrlSigner:
    return UrlSigner(settings.require_secret_key())


async def read_signed_object(
    settings: Settings,
    token: str,
    key: str,
    *,
    range_header: str | None = None,
    if_none_match: str | None = None,
    head: bool = False,
) -> ObjectRead:
    """The object named by a signed URL: 403 if the token is tampered with or expired, the
    requested byte ranges (206; overlapping ones coalesced, see `ranges`) or the whole object,
    with type and caching headers. `head`: the headers of the whole object (its length and
    `Accept-Ranges`), no body."""
    key = check_key(key.lstrip("/"))
    expires = signer(settings).verify(token, key)
    store = storage(settings)
    info = await store.stat(key)
    if info is None:
        raise ObjectNotFound()
    max_age = max(0, min(expires - int(time.time()), 7 * 24 * 3600))
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": f"private, max-age={max_age}, immutable",
        "ETag": info.etag,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    if if_none_match and info.etag and info.etag in [t.strip() for t in if_none_match.split(",")]:
        return ObjectRead(304, headers, None)
    content_type = content_type_for(key)
    if head:
        headers |= {"Content-Type": content_type, "Content-Length": str(info.size)}
        return ObjectRead(200, headers, None)
    ranges = parse_range(range_header, info.size)
    if ranges is None or info.size == 0:
        headers |= {"Content-Type": content_type, "Content-Length": str(info.size)}
        body = store.read_range(key, 0, info.size - 1) if info.size else _empty()
        return ObjectRead(200, headers, body)
    if len(ranges) == 1:
        start, end = ranges[0]
        headers |= {
            "Content-Type": content_type,
            "Content-Length": str(end - start + 1),
            "Content-Range": f"bytes {start}-{end}/{info.size}",
        }
        return ObjectRead(206, headers, store.read_range(key, start, end))
    boundary = uuid.uuid4().hex
    parts = [
        (
            f"\r\n--{boundary}\r\nContent-Type: {content_type}\r\n"
            f"Content-Range: bytes {start}-{end}/{info.size}\r\n\r\n"
        ).encode()
        for start, end in ranges
    ]
    closing = f"\r\n--{boundary}--\r\n".encode()
    length = sum(len(p) for p in parts) + sum(e - s + 1 for s, e in ranges) + len(closing)

    async def multipart() -> AsyncIterator[bytes]:
        for part, (start, end) in zip(parts, ranges, strict=True):
            yield part
            async for chunk in store.read_range(key, start, end):
                yield chunk
        yield closing

    headers |= {
        "Content-Type": f"multipart/byteranges; boundary={boundary}",
        "Content-Length": str(length),
    }
    return ObjectRead(206, headers, multipart())


async def _empty() -> AsyncIterator[bytes]:
    yield b""
