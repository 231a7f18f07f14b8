"""The body of an upload, as the media API accepts it: `multipart/form-data` whose first file
part is streamed through `multipart.PushMultipartParser` (a maintained, non-blocking push
parser: no part is buffered whole), or the raw bytes named by `Content-Disposition`.

No HTTP framework here: the caller hands over the headers and the body's chunks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from multipart import MultipartSegment, ParserError, PushMultipartParser, parse_options_header

from content.errors import UploadIncomplete, UploadMalformed

MAX_PARTS = 16
"""Parts a form may have before the file (more is refused as malformed)."""


@dataclass(frozen=True)
class UploadBody:
    """What arrived: the request's `Content-Type` and `Content-Disposition`, its announced
    length, and its body (not read yet)."""

    content_type: str
    content_disposition: str | None
    length: int | None
    chunks: AsyncIterator[bytes]


@dataclass(frozen=True)
class OpenedUpload:
    """The file within the body: its name and declared type, and its bytes (not read yet)."""

    filename: str | None
    declared_type: str | None
    chunks: AsyncIterator[bytes]


async def open_upload(body: UploadBody) -> OpenedUpload:
    """The file of the body. For a form, the body is read up to the file part's headers;
    `UploadMalformed` without a boundary or a file part, `UploadIncomplete` for a body that
    breaks off or is not multipart after all."""
    media_type, options = parse_options_header(body.content_type)
    if media_type == "multipart/form-data":
        boundary = options.get("boundary")
        if not boundary:
            raise UploadMalformed()
        part = _MultipartFile(body.chunks, boundary)
        await part.open()
        return OpenedUpload(part.filename, part.content_type, part.data())
    declared = body.content_type.partition(";")[0].strip() or None
    return OpenedUpload(filename_from_disposition(body.content_disposition), declared, body.chunks)


def filename_from_disposition(header: str | None) -> str | None:
    """`filename*=UTF-8''…` (RFC 6266, which `multipart.parse_options_header` does not read)
    or `filename="…"` from a Content-Disposition."""
    if not header:
        return None
    plain = None
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        name = name.strip().lower()
        value = value.strip()
        if name == "filename*" and "''" in value:
            return unquote(value.split("''", 1)[1])
        if name == "filename":
            plain = value.strip('"')
    return plain


class _MultipartFile:
    """The first file part of a multipart/form-data body, streamed."""

    def __init__(self, chunks: AsyncIterator[bytes], boundary: str) -> None:
        self._parser = PushMultipartParser(boundary, max_segment_count=MAX_PARTS)
        self._events = self._parse(chunks)
        self.filename: str | None = None
        self.content_type: str | None = None

    async def _parse(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[Any]:
        try:
            async for chunk in chunks:
                for event in self._parser.parse(chunk):
                    yield event
            for event in self._parser.parse(b""):
                yield event
            self._parser.close()
        except ParserError as exc:
            raise UploadIncomplete() from exc

    async def open(self) -> None:
        async for event in self._events:
            if isinstance(event, MultipartSegment) and (
                event.filename is not None or event.name == "file"
            ):
                self.filename = event.filename
                self.content_type = event.content_type
                return
        raise UploadMalformed()

    async def data(self) -> AsyncIterator[bytes]:
        async for event in self._events:
            if event is None:
                return
            if isinstance(event, (bytes, bytearray)) and event:
                yield bytes(event)
        raise UploadIncomplete()
