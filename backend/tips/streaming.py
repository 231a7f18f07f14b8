"""A report's file sent to the police over HTTP (the API and the console alike): one byte
range honoured so that video and audio seek, decrypted as it is sent, never opened by the
browser unless it is a picture, a sound or a video."""

from __future__ import annotations

import re

from litestar.response import Stream

from backend.tips.police import AttachmentStream

_RANGE = re.compile(r"^bytes=(\d{1,15})-(\d{0,15})$")
INLINE = ("image/", "video/", "audio/")
"""Types shown in the page; anything else — a PDF, the original kept as evidence — is
downloaded."""


def byte_range(header: str | None) -> tuple[int, int | None] | None:
    """One `bytes=a-b` or `bytes=a-` range; anything else (several ranges, a suffix) is
    ignored and the whole file sent (RFC 9110 lets a server ignore Range)."""
    match = _RANGE.match((header or "").strip())
    if match is None:
        return None
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else None
    if end is not None and end < start:
        return None
    return start, end


def attachment_response(
    read: AttachmentStream, requested: tuple[int, int | None] | None, *, original: bool
) -> Stream:
    """200 with the whole file, or 206 with the range `police.read_attachment` resolved."""
    inline = not original and read.media_type.startswith(INLINE)
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
        "Content-Length": str(read.end - read.start + 1 if read.size else 0),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Content-Disposition": "inline" if inline else "attachment",
    }
    status = 200
    if requested is not None:
        status = 206
        headers["Content-Range"] = f"bytes {read.start}-{read.end}/{read.size}"
    return Stream(
        content=read.chunks, status_code=status, headers=headers, media_type=read.media_type
    )
