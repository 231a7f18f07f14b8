"""Files of crime reports: photos, videos, audio and PDF documents, sealed with the report's
data key before they reach storage.

An upload streams through content's machinery (`open_upload` finds the file in the body,
`check_file_type` decides its type from its first bytes) into a private temporary file, and,
for a confidential report, at the same time into storage sealed as the untouched original
(the evidence, with its SHA-256). The stripped copy officers view is then made from the
temporary file — images re-encoded from their pixels only by content's decoder pool, video
remuxed (or transcoded when it cannot be) and audio transcoded by ffmpeg without any metadata
or extra streams, PDFs rewritten without their document information, XMP, annotations or
page metadata — and sealed into storage too. The temporary directory is removed whatever
happens. For an anonymous report nothing of the original is kept, not even its name.

Objects are keyed `tips/<report id>/<attachment id>/{view,original}.bin`: no name, no type.
`read_attachment` opens one on the fly, by segments, with byte ranges.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend.db import unit_of_work
from backend.settings import Settings
from backend.tips import crypto, repository
from backend.tips.content import coarse_time, data_key_of, seal_filename
from backend.tips.errors import (
    AttachmentLimitReached,
    AttachmentTypeNotAllowed,
    AttachmentUnreadable,
    TipAttachmentNotFound,
    TipMessageNotFound,
)
from backend.tips.repository import AttachmentRow, TipRow
from content.errors import (
    FileTypeMismatch,
    FileTypeUnsupported,
    ImageTooLarge,
    ImageUnreadable,
    MediaTranscodeFailed,
    UploadEmpty,
    UploadTooLarge,
)
from content.service import (
    HEAD_BYTES,
    UploadBody,
    check_file_type,
    clean_filename,
    ffmpeg_binary,
    get_decoder,
    get_storage,
    open_upload,
    run_ffmpeg,
)

MB = 1024 * 1024
MAX_BYTES = {"image": 20 * MB, "video": 300 * MB, "audio": 50 * MB, "document": 20 * MB}
"""Per file, by kind (as content's `report_*` purposes)."""
MAX_PIXELS = 50_000_000
MULTIPART_SLACK = 64 * 1024
PDF_MAGIC = b"%PDF-"
FFMPEG_TIMEOUT = 600.0


@dataclass(frozen=True)
class Detected:
    kind: str
    mime: str


def detect(head: bytes, filename: str | None, declared: str | None) -> Detected:
    """The file's kind and type from its first bytes (the name and declared type must not
    disagree)."""
    if head.startswith(PDF_MAGIC):
        if filename and os.path.splitext(filename)[1].lower() not in ("", ".pdf"):
            raise AttachmentTypeNotAllowed()
        return Detected("document", "application/pdf")
    try:
        found = check_file_type(head, filename, declared)
    except (FileTypeUnsupported, FileTypeMismatch):
        raise AttachmentTypeNotAllowed() from None
    return Detected(str(found.kind.value), found.mime)


def object_key(tip_id: uuid.UUID, attachment_id: uuid.UUID, part: str) -> str:
    return f"tips/{tip_id}/{attachment_id}/{part}.bin"


async def check_room(settings: Settings, tip_id: uuid.UUID, adding: int) -> None:
    """`AttachmentLimitReached` when one more file of `adding` bytes would pass the report's
    count or total size."""
    count, total = await repository.attachment_totals(tip_id)
    if count >= settings.tips_max_attachments:
        raise AttachmentLimitReached(limit_files=settings.tips_max_attachments)
    if total + adding > settings.tips_max_attachment_total_mb * MB:
        raise AttachmentLimitReached(limit_bytes=settings.tips_max_attachment_total_mb * MB)


async def do_receive_attachment(
    settings: Settings,
    tip: TipRow,
    body: UploadBody,
    *,
    message_id: uuid.UUID | None = None,
    by_reporter: bool = True,
) -> AttachmentRow:
    """Receive one file of a report (or of one of its messages), sealed into storage, and
    record it. Runs outside any transaction while the body streams; the record is written in
    a unit of work of its own that re-checks the report's limits under its row lock.
    Whatever is not recorded is removed from storage."""
    anonymous = tip.kind == "anonymous"
    coarse = anonymous and by_reporter
    data_key = data_key_of(tip, settings)
    async with unit_of_work():
        if message_id is not None and await repository.get_message(tip.id, message_id) is None:
            raise TipMessageNotFound()
        await check_room(settings, tip.id, 0)
    room = settings.tips_max_attachment_total_mb * MB
    if body.length is not None and body.length > min(max(MAX_BYTES.values()), room) + (
        MULTIPART_SLACK
    ):
        raise UploadTooLarge(limit_bytes=min(max(MAX_BYTES.values()), room))
    opened = await open_upload(body)
    iterator = aiter(opened.chunks)
    head = b""
    with contextlib.suppress(StopAsyncIteration):
        while len(head) < HEAD_BYTES:
            head += await anext(iterator)
    if not head:
        raise UploadEmpty()
    detected = detect(head[:HEAD_BYTES], opened.filename, opened.declared_type)
    limit = MAX_BYTES[detected.kind]
    attachment_id = uuid.uuid4()
    store = get_storage(settings)
    original_key = object_key(tip.id, attachment_id, "original")
    view_key = object_key(tip.id, attachment_id, "view")
    work = Path(tempfile.mkdtemp(prefix="ctn-tip-"))
    stored_keys: list[str] = []
    try:
        source = work / "source"
        digest = hashlib.sha256()
        size = 0

        async def plain() -> AsyncIterator[bytes]:
            nonlocal size
            # The plaintext goes to the private temporary file on the way (for the stripped
            # copy) and is counted against the limits.
            with source.open("wb") as out:
                async for chunk in _achain(head, iterator):
                    size += len(chunk)
                    if size > limit:
                        raise UploadTooLarge(limit_bytes=limit)
                    out.write(chunk)
                    yield chunk

        if anonymous:
            async for _ in plain():
                pass  # only the temporary file: no original of an anonymous report is kept
        else:
            stored_keys.append(original_key)
            await store.write(
                original_key,
                crypto.seal_stream(
                    data_key, plain(), crypto.attachment_aad(attachment_id, "original"), digest
                ),
            )
        view_path, view_mime = await _stripped(settings, detected, source, work)
        stored_keys.append(view_key)
        view_size = view_path.stat().st_size
        await store.write(
            view_key,
            crypto.seal_stream(
                data_key, _file_chunks(view_path), crypto.attachment_aad(attachment_id, "view")
            ),
        )
        now = datetime.now(UTC)
        created_at = coarse_time(now, settings.tips_anonymous_time_minutes) if coarse else now
        name = clean_filename(opened.filename)
        row = AttachmentRow(
            id=attachment_id,
            tip_id=tip.id,
            message_id=message_id,
            kind=detected.kind,
            mime=detected.mime,
            filename="",
            sealed_filename=None
            if anonymous or not name
            else seal_filename(data_key, attachment_id, name),
            size=size,
            view_key=view_key,
            view_mime=view_mime,
            view_size=view_size,
            original_key=None if anonymous else original_key,
            original_sha256=None if anonymous else digest.hexdigest(),
            status="ready",
            created_at=created_at,
        )
        if coarse:
            _coarse_mtimes(store, stored_keys, created_at)
        async with unit_of_work():
            locked = await repository.get_tip(tip.id, for_update=True)
            if locked is None:
                raise TipAttachmentNotFound()
            await check_room(settings, tip.id, size)
            await repository.insert_attachment(row)
            if by_reporter:
                await repository.touch_reporter_activity(tip.id, created_at)
        return row
    except BaseException:
        for key in stored_keys:
            with contextlib.suppress(Exception):
                await store.delete(key)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


async def _achain(head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield head
    async for chunk in rest:
        yield chunk


async def _file_chunks(path: Path, size: int = 1024 * 1024) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while True:
            chunk = await asyncio.to_thread(handle.read, size)
            if not chunk:
                return
            yield chunk


def _coarse_mtimes(store: object, keys: list[str], at: datetime) -> None:
    """Local storage keeps a file's time: the same coarse time as the row, not the upload's."""
    path_of = getattr(store, "path_of", None)
    if path_of is None:
        return
    for key in keys:
        with contextlib.suppress(OSError):
            os.utime(path_of(key), (at.timestamp(), at.timestamp()))


# --- the stripped copy ----------------------------------------------------------------------


async def _stripped(
    settings: Settings, detected: Detected, source: Path, work: Path
) -> tuple[Path, str]:
    """A copy of `source` without metadata, and its type."""
    if detected.kind == "image":
        out = work / "image"
        try:
            result = await get_decoder(
                settings.image_workers, settings.image_worker_memory_mb
            ).process(source, out, max_pixels=min(MAX_PIXELS, settings.image_max_pixels))
        except ImageTooLarge:
            raise
        except ImageUnreadable:
            raise AttachmentUnreadable() from None
        display = next(o for o in result.outputs if o.name == "display")
        return display.path, display.mime
    if detected.kind == "document":
        target = work / "view.pdf"
        await asyncio.to_thread(_strip_pdf, source, target)
        return target, "application/pdf"
    ffmpeg = ffmpeg_binary(settings)
    quiet = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source)]
    bare = [
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        "-flags:a",
        "+bitexact",
    ]
    if detected.kind == "audio":
        target = work / "view.m4a"
        args = [*quiet, "-vn", "-sn", "-dn", "-map", "0:a:0", "-c:a", "aac", "-b:a", "96k"]
        await _ffmpeg([*args, *bare, str(target)])
        return target, "audio/mp4"
    target = work / "view.mp4"
    streams = ["-map", "0:v:0", "-map", "0:a:0?", "-sn", "-dn"]
    try:
        await _ffmpeg(
            [*quiet, *streams, "-c", "copy", *bare, "-movflags", "+faststart", str(target)]
        )
    except AttachmentUnreadable:
        # Codecs MP4 cannot carry as they are: transcoded (bounded by FFMPEG_TIMEOUT).
        await _ffmpeg(
            [
                *quiet,
                *streams,
                "-c:v",
                "libx264",
                "-preset",
                settings.ffmpeg_preset,
                "-crf",
                "26",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-b:a",
                "128k",
                *bare,
                "-movflags",
                "+faststart",
                str(target),
            ]
        )
    return target, "video/mp4"


async def _ffmpeg(args: list[str]) -> None:
    try:
        async with asyncio.timeout(FFMPEG_TIMEOUT):
            await run_ffmpeg(args)
    except (MediaTranscodeFailed, TimeoutError):
        raise AttachmentUnreadable() from None


def _strip_pdf(source: Path, target: Path) -> None:
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError
    from pypdf.generic import NameObject

    try:
        reader = PdfReader(source)
        if reader.is_encrypted:
            raise AttachmentUnreadable()
        writer = PdfWriter()
        for page in reader.pages:
            for name in ("/Metadata", "/PieceInfo", "/Annots", "/LastModified"):
                page.pop(NameObject(name), None)
            writer.add_page(page)
        writer.metadata = None
        with target.open("wb") as out:
            writer.write(out)
    except AttachmentUnreadable:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
        raise AttachmentUnreadable() from None


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedAttachment:
    row: AttachmentRow
    mime: str
    size: int
    """Plaintext size of the part opened."""
    key: str
    aad: bytes
    data_key: bytes


async def open_attachment(
    settings: Settings, attachment_id: uuid.UUID, *, original: bool = False
) -> OpenedAttachment:
    """An attachment's part ready to be read (the caller checked access to its report)."""
    row = await repository.get_attachment(attachment_id)
    if row is None:
        raise TipAttachmentNotFound()
    tip = await repository.get_tip(row.tip_id)
    key = row.original_key if original else row.view_key
    if tip is None or key is None:
        raise TipAttachmentNotFound()
    size = row.size if original else (row.view_size or 0)
    mime = row.mime if original else (row.view_mime or "application/octet-stream")
    part = "original" if original else "view"
    return OpenedAttachment(
        row, mime, size, key, crypto.attachment_aad(row.id, part), data_key_of(tip, settings)
    )


async def read_opened(
    settings: Settings, opened: OpenedAttachment, start: int = 0, end: int | None = None
) -> AsyncIterator[bytes]:
    """Plaintext bytes `start`..`end` (inclusive; default: to the end), opened segment by
    segment (never the whole file in memory)."""
    store = get_storage(settings)
    layout = crypto.SealedLayout(opened.size)
    last_byte = opened.size - 1 if end is None else min(end, opened.size - 1)
    header = await _read(store, opened.key, 0, crypto.HEADER_BYTES - 1)
    first = start // crypto.SEGMENT
    last = max(first, last_byte // crypto.SEGMENT) if opened.size else 0
    span_start = layout.segment_span(first)[0]
    span_end = layout.segment_span(last)[1]

    async def sealed() -> AsyncIterator[tuple[int, bytes, bool]]:
        buffer = bytearray()
        index = first
        async for chunk in store.read_range(opened.key, span_start, span_end):
            buffer += chunk
            while index <= last:
                lo, hi = layout.segment_span(index)
                length = hi - lo + 1
                if len(buffer) < length:
                    break
                yield index, bytes(buffer[:length]), index == layout.segments - 1
                del buffer[:length]
                index += 1
        if index <= last:
            raise crypto.CryptoError("a sealed file is shorter than its record says")

    async for index_plain in _sliced(
        crypto.unseal_segments(opened.data_key, header, sealed(), opened.aad),
        first,
        start,
        last_byte,
    ):
        yield index_plain


async def _sliced(
    segments: AsyncIterator[bytes], first: int, start: int, end: int
) -> AsyncIterator[bytes]:
    offset = first * crypto.SEGMENT
    async for plain in segments:
        lo = max(start - offset, 0)
        hi = min(end - offset + 1, len(plain))
        if hi > lo:
            yield plain[lo:hi]
        offset += len(plain)


async def _read(store: Any, key: str, start: int, end: int) -> bytes:
    return b"".join([c async for c in store.read_range(key, start, end)])


async def read_attachment(
    settings: Settings,
    attachment_id: uuid.UUID,
    *,
    original: bool = False,
    start: int = 0,
    end: int | None = None,
) -> AsyncIterator[bytes]:
    """An attachment's bytes in clear, decrypted on the fly (the stripped copy, or with
    `original` the evidence of a confidential report), optionally a byte range. The caller
    checked access to the report (and the police side audits the read)."""
    opened = await open_attachment(settings, attachment_id, original=original)
    async for chunk in read_opened(settings, opened, start, end):
        yield chunk
