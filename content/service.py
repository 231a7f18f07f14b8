"""Media: streamed uploads into storage, image processing, the video/audio pipeline's steps,
signed object reads, and the views other domains attach by id.

An upload is two steps so that a long upload holds no database transaction:
`receive_upload` streams the bytes into storage (no database), then `do_create_asset` records
the asset inside the caller's unit of work. A caller whose transaction fails calls
`discard_upload`.

Who reads an asset: its uploader; or, when it is attached to something (an article's cover,
later a crime report's evidence), whoever may read that thing, by the rule its domain
registers with `register_owner_kind`; or, while it is attached to nothing, the purpose's
readers (`policy.Readers`: staff of the purpose, or police of the uploader's unit). Anyone
else gets 404, so an id's existence does not leak.
"""

from __future__ import annotations

import contextlib
import logging
import re
import tempfile
import time
import unicodedata
import uuid
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.access import Principal
from backend.audit.service import do_record
from backend.db import after_commit
from backend.logs import log_fields
from backend.settings import Settings
from content import repository
from content.errors import (
    FileTypeNotAllowed,
    MediaNotForPublicUse,
    MediaNotFound,
    MediaProcessingFailed,
    MediaTranscodeFailed,
    ObjectNotFound,
    UploadEmpty,
    UploadPurposeForbidden,
    UploadsInProgress,
    UploadTooLarge,
)
from content.images import get_decoder
from content.policy import POLICIES, Kind, Purpose, Readers
from content.ranges import parse_range
from content.schemas import MediaAsset, Rendition
from content.signing import UrlSigner
from content.sniff import HEAD_BYTES, check_file_type
from content.storage import Storage, check_key, content_type_for, get_storage
from content.video import (
    Probe,
    Rung,
    audio_args,
    check_complete,
    encode_args,
    hls_args,
    ladder_for,
    master_playlist,
    poster_args,
    probe,
    require_audio,
    run_ffmpeg,
)

log = logging.getLogger(__name__)

MULTIPART_SLACK = 64 * 1024
"""Bytes of multipart framing allowed beyond a purpose's limit in an announced length."""


def storage(settings: Settings) -> Storage:
    return get_storage(settings)


# --- uploads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedUpload:
    """Bytes stored and checked, not yet recorded in the database."""

    id: uuid.UUID
    purpose: Purpose
    kind: Kind
    mime: str
    filename: str
    size: int
    sha256: str
    original_key: str | None
    status: str
    renditions: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return asset_prefix(self.id)


def asset_prefix(asset_id: uuid.UUID) -> str:
    return f"media/{asset_id.hex}"


def check_may_upload(principal: Principal | None, purpose: Purpose) -> None:
    """Staff may upload through the media API only for the purposes of their roles."""
    if principal is None or not (principal.roles & POLICIES[purpose].roles):
        raise UploadPurposeForbidden()


def max_pixels_for(settings: Settings, purpose: Purpose) -> int:
    """The purpose's pixel limit, never above the configured one."""
    own = POLICIES[purpose].max_pixels
    return min(own, settings.image_max_pixels) if own else settings.image_max_pixels


_uploads_in_progress: dict[uuid.UUID, int] = {}


@contextlib.contextmanager
def upload_slot(person_id: uuid.UUID, limit: int) -> Iterator[None]:
    """Hold one of the person's `limit` concurrent upload slots (in this process) for the
    block; with none free, `UploadsInProgress` (429) before a byte is read."""
    held = _uploads_in_progress.get(person_id, 0)
    if held >= limit:
        raise UploadsInProgress(headers={"Retry-After": "5"}, limit=limit)
    _uploads_in_progress[person_id] = held + 1
    try:
        yield
    finally:
        left = _uploads_in_progress[person_id] - 1
        if left:
            _uploads_in_progress[person_id] = left
        else:
            del _uploads_in_progress[person_id]


def clean_filename(name: str | None) -> str:
    """The base name without control characters or path, at most 255 characters."""
    if not name:
        return ""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    return unicodedata.normalize("NFC", base).strip()[:255]


async def receive_upload(
    settings: Settings,
    *,
    purpose: Purpose,
    chunks: AsyncIterable[bytes],
    filename: str | None = None,
    declared_type: str | None = None,
    keep_original: bool = False,
    announced_size: int | None = None,
) -> ReceivedUpload:
    """Stream an upload into storage, checking it on the way.

    Guarantees: the bytes are never held whole in memory; the type is decided from the bytes
    (415 when not allowed for `purpose` or when the name/declared type disagree); the
    purpose's size limit stops the stream as soon as it is passed (413) and nothing stays in
    storage; the SHA-256 is computed. Images are decoded under the purpose's pixel limit, in
    a bounded pool of worker processes (`content.images.ImageDecoder`: the server's memory
    does not grow with the image), and re-encoded without metadata, with a thumbnail; the
    untouched original is kept only if `keep_original`. Videos and audio are stored for the
    background pipeline.
    """
    policy = POLICIES[purpose]
    limit = policy.max_bytes
    if announced_size is not None and announced_size > limit + MULTIPART_SLACK:
        raise UploadTooLarge(limit_bytes=limit)
    iterator = aiter(chunks)
    head = b""
    with contextlib.suppress(StopAsyncIteration):
        while len(head) < HEAD_BYTES:
            head += await anext(iterator)
    if not head:
        raise UploadEmpty()
    file_type = check_file_type(head[:HEAD_BYTES], filename, declared_type)
    if file_type.kind not in policy.kinds:
        raise FileTypeNotAllowed(detected=file_type.mime, purpose=str(purpose))

    async def limited() -> AsyncIterator[bytes]:
        total = len(head)
        if total > limit:
            raise UploadTooLarge(limit_bytes=limit)
        yield head
        async for chunk in iterator:
            total += len(chunk)
            if total > limit:
                raise UploadTooLarge(limit_bytes=limit)
            yield chunk

    asset_id = uuid.uuid4()
    prefix = asset_prefix(asset_id)
    original_key = f"{prefix}/original{file_type.extension}"
    store = storage(settings)
    stored = await store.write(original_key, limited())
    received = ReceivedUpload(
        id=asset_id,
        purpose=purpose,
        kind=file_type.kind,
        mime=file_type.mime,
        filename=clean_filename(filename),
        size=stored.size,
        sha256=stored.sha256,
        original_key=original_key,
        status="uploaded",
    )
    if file_type.kind is not Kind.IMAGE:
        return received
    try:
        return await _process_received_image(settings, store, received, keep_original)
    except BaseException:
        await store.delete_prefix(prefix)
        raise


async def _process_received_image(
    settings: Settings, store: Storage, received: ReceivedUpload, keep_original: bool
) -> ReceivedUpload:
    assert received.original_key is not None
    renditions = []
    with tempfile.TemporaryDirectory(prefix="ctn-img-") as work:
        async with store.local_copy(received.original_key) as source:
            result = await get_decoder(
                settings.image_workers, settings.image_worker_memory_mb
            ).process(source, Path(work), max_pixels=max_pixels_for(settings, received.purpose))
        for output in result.outputs:
            key = f"{received.prefix}/img/{output.path.name}"
            stored = await store.put_file(key, output.path)
            renditions.append(
                {
                    "name": output.name,
                    "key": key,
                    "mime": output.mime,
                    "width": output.width,
                    "height": output.height,
                    "size": stored.size,
                }
            )
    if not keep_original:
        await store.delete(received.original_key)
    return ReceivedUpload(
        **{
            **received.__dict__,
            "original_key": received.original_key if keep_original else None,
            "status": "ready",
            "renditions": renditions,
            "details": {"width": result.width, "height": result.height},
        }
    )


async def discard_upload(settings: Settings, received: ReceivedUpload) -> None:
    """Remove what `receive_upload` stored (the caller's transaction failed)."""
    await storage(settings).delete_prefix(received.prefix)


async def do_create_asset(
    received: ReceivedUpload,
    *,
    created_by: uuid.UUID | None,
    police_units: Iterable[str] = (),
    enqueue: bool = True,
) -> dict[str, Any]:
    """Record a received upload (audited as `media.upload`; no actor for system uploads); a
    video or audio is queued for processing after commit (unless `enqueue` is False: the
    caller processes it itself). For police purposes the uploader's `police_units` are kept
    on the asset: while it is attached to nothing, only police of those units read it."""
    units = (
        sorted(set(police_units))
        if POLICIES[received.purpose].readers is Readers.POLICE_UNIT
        else []
    )
    row = await repository.insert(
        {
            "id": received.id,
            "purpose": str(received.purpose),
            "kind": str(received.kind),
            "mime": received.mime,
            "original_filename": received.filename,
            "original_key": received.original_key,
            "size": received.size,
            "sha256": received.sha256,
            "status": received.status,
            "progress": 100 if received.status == "ready" else 0,
            "renditions": received.renditions,
            "details": received.details,
            "created_by": created_by,
            "police_units": units,
        }
    )
    await do_record(
        "media.upload",
        actor_id=str(created_by) if created_by else None,
        object_type="media_asset",
        object_id=str(received.id),
        details={
            "purpose": str(received.purpose),
            "kind": str(received.kind),
            "mime": received.mime,
            "size": received.size,
            "sha256": received.sha256,
        },
    )
    if enqueue and received.kind in (Kind.VIDEO, Kind.AUDIO):
        from backend.jobs import defer
        from content.tasks import process_media

        await defer(process_media.configure(lock=f"media:{received.id}"), asset_id=str(received.id))
    return row


async def find_asset_by_filename(filename: str) -> uuid.UUID | None:
    """The newest asset uploaded under this name (demo data idempotency)."""
    return await repository.find_by_filename(filename)


async def do_delete_asset(settings: Settings, asset_id: uuid.UUID) -> None:
    """Delete the asset; its objects are removed once the deletion commits."""
    row = await repository.delete(asset_id)
    if row is None:
        raise MediaNotFound()
    await repository.delete_attachments(asset_id)

    async def remove() -> None:
        await storage(settings).delete_prefix(asset_prefix(asset_id))

    await after_commit(remove)


# --- views ----------------------------------------------------------------------------------


OwnerRule = Callable[[Principal | None, str], Awaitable[bool]]
"""May this caller read the owner (of this id)? The owner's domain answers."""
_OWNER_RULES: dict[str, OwnerRule] = {}


def register_owner_kind(owner_kind: str, may_read: OwnerRule) -> None:
    """Let a domain decide who reads the assets attached to its objects: `may_read(principal,
    owner_id)` is asked for each attachment of that kind. An attachment of a kind nobody
    registered admits no one (fail closed)."""
    _OWNER_RULES[owner_kind] = may_read


async def do_attach(asset_id: uuid.UUID, *, owner_kind: str, owner_id: str) -> None:
    """Record that the asset belongs to (owner_kind, owner_id); from then on the owner's rule
    decides who reads it. Idempotent."""
    await repository.attach(asset_id, owner_kind, owner_id)


async def do_detach(asset_id: uuid.UUID, *, owner_kind: str, owner_id: str) -> None:
    await repository.detach(asset_id, owner_kind, owner_id)


async def _may_read(principal: Principal | None, row: dict[str, Any]) -> bool:
    if (
        principal is not None
        and row["created_by"] is not None
        and row["created_by"] == principal.id
    ):
        return True
    owners = await repository.attachments(row["id"])
    if owners:
        for owner_kind, owner_id in owners:
            rule = _OWNER_RULES.get(owner_kind)
            if rule is not None and await rule(principal, owner_id):
                return True
        return False
    if principal is None:
        return False
    policy = POLICIES[Purpose(row["purpose"])]
    if not principal.roles & policy.roles:
        return False
    if policy.readers is Readers.POLICE_UNIT:
        return bool(principal.police_units & set(row["police_units"] or ()))
    return True


async def access_asset(
    settings: Settings, principal: Principal | None, asset_id: uuid.UUID, language: str = "vi"
) -> MediaAsset:
    """The asset with signed URLs, for a caller who may read it (see the module's docstring;
    others: 404, so the id's existence does not leak)."""
    row = await repository.get(asset_id)
    if row is None or not await _may_read(principal, row):
        raise MediaNotFound()
    return view(settings, row, language=language, include_original=True)


async def check_public_use(
    settings: Settings, principal: Principal | None, asset_id: uuid.UUID
) -> MediaAsset:
    """The asset, if it may be linked into public content by this caller: they may read it
    (else `MediaNotFound`, as for an unknown id) and its purpose allows public use (else
    `MediaNotForPublicUse`: evidence and report media never). With no `principal` only the
    purpose is checked (a later step of a link already checked, e.g. publishing)."""
    row = await repository.get(asset_id)
    if row is None or (principal is not None and not await _may_read(principal, row)):
        raise MediaNotFound()
    if not POLICIES[Purpose(row["purpose"])].public_use:
        raise MediaNotForPublicUse(purpose=row["purpose"])
    return view(settings, row, language="vi", include_original=False)


async def get_asset(
    settings: Settings, asset_id: uuid.UUID, *, language: str = "vi", include_original: bool = False
) -> MediaAsset:
    """The asset, for another domain that has done its own access check (a report's
    attachments, an article's cover, a lesson's video)."""
    row = await repository.get(asset_id)
    if row is None:
        raise MediaNotFound()
    return view(settings, row, language=language, include_original=include_original)


def view(
    settings: Settings, row: dict[str, Any], *, language: str, include_original: bool
) -> MediaAsset:
    store = storage(settings)
    ttl = settings.media_url_ttl_seconds
    renditions = []
    for item in row["renditions"] if row["status"] == "ready" else []:
        renditions.append(
            Rendition(
                name=item["name"],
                mime=item["mime"],
                url=store.url(item["key"], expires_in=ttl, depth=item.get("depth")),
                width=item.get("width"),
                height=item.get("height"),
                bitrate=item.get("bitrate"),
                size=item.get("size"),
            )
        )
    details = row["details"] or {}
    failure = row["failure_vi"] if language == "vi" else row["failure_en"]
    return MediaAsset(
        id=row["id"],
        purpose=row["purpose"],
        kind=row["kind"],
        status=row["status"],
        progress=row["progress"],
        mime=row["mime"],
        size=row["size"],
        sha256=row["sha256"],
        original_filename=row["original_filename"],
        created_at=row["created_at"],
        duration_seconds=details.get("duration"),
        width=details.get("width"),
        height=details.get("height"),
        failure_code=row["failure_code"],
        failure_reason=failure,
        renditions=renditions,
        original_url=(
            store.url(row["original_key"], expires_in=ttl)
            if include_original and row["original_key"]
            else None
        ),
    )


# --- signed object reads (local storage, and HLS through the app) ----------------------------


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


# --- the video/audio pipeline, step by step (the task runs each in its own unit of work) ---


@dataclass(frozen=True)
class Claim:
    asset_id: uuid.UUID
    run_id: uuid.UUID
    kind: Kind
    original_key: str
    previous_run: uuid.UUID | None

    @property
    def output_prefix(self) -> str:
        return f"{asset_prefix(self.asset_id)}/r{self.run_id.hex[:12]}"


@dataclass(frozen=True)
class Produced:
    renditions: list[dict[str, Any]]
    details: dict[str, Any]
    output_prefix: str


async def do_claim_processing(asset_id: uuid.UUID) -> Claim | None:
    """Start a processing run; None when there is nothing to do (already ready or failed, or
    deleted), which makes a duplicated or retried job harmless."""
    before = await repository.get(asset_id)
    if before is None or before["original_key"] is None:
        return None
    row = await repository.claim(asset_id, uuid.uuid4())
    if row is None:
        return None
    return Claim(
        asset_id=asset_id,
        run_id=row["run_id"],
        kind=Kind(row["kind"]),
        original_key=row["original_key"],
        previous_run=before["run_id"],
    )


async def do_report_progress(claim: Claim, percent: int) -> bool:
    return await repository.set_progress(claim.asset_id, claim.run_id, percent)


async def discard_run_outputs(settings: Settings, asset_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """Remove what an abandoned run (a killed worker) left in storage."""
    prefix = f"{asset_prefix(asset_id)}/r{run_id.hex[:12]}"
    await storage(settings).delete_prefix(prefix)


async def produce_renditions(
    settings: Settings, claim: Claim, on_progress: Callable[[float], Awaitable[None]]
) -> Produced:
    """Probe and transcode the original into this run's own output directory (no database).

    Raises `MediaProcessingFailed` for a file that cannot be processed (corrupt, truncated,
    no usable stream); other exceptions are transient and the job is retried.
    """
    store = storage(settings)
    with tempfile.TemporaryDirectory(prefix="ctn-media-") as work_dir:
        work = Path(work_dir)
        async with store.local_copy(claim.original_key) as source:
            source_probe = await probe(source)
            if claim.kind is Kind.VIDEO:
                files, renditions = await _transcode_video(
                    settings, source, source_probe, work, on_progress
                )
            else:
                files, renditions = await _transcode_audio(
                    settings, source, source_probe, work, on_progress
                )
        for relative, item in files:
            key = f"{claim.output_prefix}/{relative}"
            stored = await store.put_file(key, work / relative)
            if item is not None:
                item["key"] = key
                item.setdefault("size", stored.size)
        if claim.kind is Kind.VIDEO:
            master = next(r for r in renditions if r["name"] == "hls")
            master["depth"] = len(master["key"].split("/")) - 1
    return Produced(
        renditions=renditions, details=source_probe.details(), output_prefix=claim.output_prefix
    )


FileList = list[tuple[str, dict[str, Any] | None]]


async def _transcode_video(
    settings: Settings,
    source: Path,
    source_probe: Probe,
    work: Path,
    on_progress: Callable[[float], Awaitable[None]],
) -> tuple[FileList, list[dict[str, Any]]]:
    rungs = ladder_for(source_probe)
    mp4_dir = work / "mp4"
    mp4_dir.mkdir()
    duration = source_probe.duration

    async def encode_progress(fraction: float) -> None:
        await on_progress(fraction * 0.9)

    await run_ffmpeg(
        encode_args(settings, source, source_probe, rungs, mp4_dir),
        duration=duration,
        on_progress=encode_progress,
    )
    mp4s: list[tuple[Rung, Path]] = [(r, mp4_dir / f"{r.name}.mp4") for r in rungs]
    outputs: dict[str, Probe] = {}
    for rung, path in mp4s:
        outputs[rung.name] = await probe(path)
        check_complete(source_probe, outputs[rung.name])
    hls_dir = work / "hls"
    await run_ffmpeg(hls_args(settings, mp4s, hls_dir))
    top_rung, top_mp4 = mp4s[-1]
    poster_at = min(1.0, (duration or 0) / 2)
    await run_ffmpeg(poster_args(settings, top_mp4, poster_at, work / "poster.jpg"))

    variants = []
    renditions: list[dict[str, Any]] = []
    files: FileList = []
    for rung, path in mp4s:
        out = outputs[rung.name]
        assert out.video is not None
        size = path.stat().st_size
        bandwidth = int(size * 8 / max(out.duration or 1.0, 0.1) * 1.1)
        variants.append((rung, bandwidth, out.video["width"], out.video["height"]))
        item = {
            "name": f"mp4_{rung.name}",
            "mime": "video/mp4",
            "width": out.video["width"],
            "height": out.video["height"],
            "bitrate": bandwidth,
        }
        renditions.append(item)
        files.append((f"mp4/{rung.name}.mp4", item))
        for segment in sorted((hls_dir / rung.name).iterdir()):
            files.append((f"hls/{rung.name}/{segment.name}", None))
    (hls_dir / "master.m3u8").write_text(master_playlist(variants))
    hls_item: dict[str, Any] = {"name": "hls", "mime": "application/vnd.apple.mpegurl"}
    renditions.insert(0, hls_item)
    files.append(("hls/master.m3u8", hls_item))
    top_video = outputs[top_rung.name].video or {}
    poster_item: dict[str, Any] = {
        "name": "poster",
        "mime": "image/jpeg",
        "width": top_video.get("width"),
        "height": top_video.get("height"),
    }
    renditions.append(poster_item)
    files.append(("poster.jpg", poster_item))
    await on_progress(0.95)
    return files, renditions


async def _transcode_audio(
    settings: Settings,
    source: Path,
    source_probe: Probe,
    work: Path,
    on_progress: Callable[[float], Awaitable[None]],
) -> tuple[FileList, list[dict[str, Any]]]:
    require_audio(source_probe)
    target = work / "audio.m4a"
    await run_ffmpeg(
        audio_args(settings, source, target),
        duration=source_probe.duration,
        on_progress=on_progress,
    )
    check_complete(source_probe, await probe(target))
    item: dict[str, Any] = {"name": "audio", "mime": "audio/mp4", "bitrate": 128_000}
    return [("audio.m4a", item)], [item]


async def do_publish(settings: Settings, claim: Claim, produced: Produced) -> bool:
    """Make the run's outputs the asset's renditions (status ready), if this run still owns
    the asset; otherwise its outputs are removed and False returned."""
    published = await repository.finish(
        claim.asset_id,
        claim.run_id,
        status="ready",
        renditions=produced.renditions,
        details=produced.details,
        output_prefix=produced.output_prefix,
    )
    if not published:
        await storage(settings).delete_prefix(produced.output_prefix)
    return published


async def do_fail_processing(
    settings: Settings, claim: Claim, error: MediaProcessingFailed
) -> bool:
    """Record why the file cannot be processed (status failed); the run's outputs go."""
    log_fields(log, logging.INFO, "media processing failed", code=error.code)
    await storage(settings).delete_prefix(claim.output_prefix)
    return await repository.finish(
        claim.asset_id,
        claim.run_id,
        status="failed",
        renditions=[],
        details={},
        output_prefix=None,
        failure=(error.code, error.message_vi, error.message_en),
    )


def transient_failure() -> MediaProcessingFailed:
    """What a run that kept failing for other reasons records when it gives up."""
    return MediaTranscodeFailed()
