"""Uploads: a body streamed into storage and checked on the way (`receive_upload`, no
database), then recorded in a unit of work (`do_create_asset`); `do_upload` is the whole
request — permission, a slot, the body, the record, an `Idempotency-Key` — and cleans up
after itself when any step fails."""

from __future__ import annotations

import contextlib
import re
import tempfile
import unicodedata
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol, TypeVar

import msgspec

from backend.access import Principal
from backend.audit.service import do_record
from backend.db import unit_of_work
from backend.settings import Settings
from content import repository
from content.assets import asset_prefix, storage, view
from content.errors import (
    FileTypeNotAllowed,
    UploadEmpty,
    UploadPurposeForbidden,
    UploadsInProgress,
    UploadTooLarge,
)
from content.images import get_decoder
from content.policy import POLICIES, Kind, Purpose, Readers
from content.repository import AssetDetails, AssetRow, NewAsset, StoredRendition
from content.schemas import MediaAsset
from content.sniff import HEAD_BYTES, check_file_type
from content.storage import Storage
from content.upload_body import UploadBody, open_upload

MULTIPART_SLACK = 64 * 1024
"""Bytes of multipart framing allowed beyond a purpose's limit in an announced length."""
CREATED = 201


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
    renditions: list[StoredRendition] = field(default_factory=list)
    details: AssetDetails = field(default_factory=AssetDetails)

    @property
    def prefix(self) -> str:
        return asset_prefix(self.id)


def check_may_upload(principal: Principal | None, purpose: Purpose) -> None:
    """Staff may upload through the media API only for the purposes of their roles."""
    if principal is None or purpose not in purposes_for(principal):
        raise UploadPurposeForbidden()


def purposes_for(principal: Principal) -> list[Purpose]:
    """The purposes the caller may upload for through the media API (`check_may_upload`)."""
    return [purpose for purpose, policy in POLICIES.items() if principal.roles & policy.roles]


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


# --- the request ----------------------------------------------------------------------------

Replay = TypeVar("Replay")
Replay_co = TypeVar("Replay_co", covariant=True)


class RetryKey(Protocol[Replay_co]):
    """An `Idempotency-Key` recognised by the digest of the bytes received (the HTTP layer's
    `StreamedRequestKey`); both calls run in the unit of work that records the asset."""

    async def check(self, body_digest: str) -> Replay_co | None: ...

    async def store(self, status: int, json_body: bytes) -> None: ...


async def do_upload(
    settings: Settings,
    principal: Principal,
    purpose: Purpose,
    body: UploadBody,
    *,
    keep_original: bool = False,
    language: str = "vi",
    retry_key_of: Callable[[], RetryKey[Replay] | None] = lambda: None,
) -> MediaAsset | Replay:
    """One upload through the media API, start to end.

    Guarantees: only for the purposes of the caller's roles (403), at most
    `upload_concurrency_per_person` at once per person in this process (429, before a byte
    is read); the body is streamed into storage holding no transaction (`receive_upload`),
    then recorded in a unit of work of its own. With `retry_key`, a retry of the same bytes
    gets the first answer back (whatever its `check` returns) and what it sent again
    is dropped. Whenever the record is not committed, what was stored is removed.
    `retry_key_of` is asked for the key once permission and a slot are granted (a malformed
    key is refused then, before the body is read).
    """
    check_may_upload(principal, purpose)
    with upload_slot(principal.id, settings.upload_concurrency_per_person):
        retry_key = retry_key_of()
        opened = await open_upload(body)
        received = await receive_upload(
            settings,
            purpose=purpose,
            chunks=opened.chunks,
            filename=opened.filename,
            declared_type=opened.declared_type,
            keep_original=keep_original,
            announced_size=body.length,
        )
        try:
            async with unit_of_work():
                replay = await retry_key.check(received.sha256) if retry_key else None
                if replay is not None:
                    await discard_upload(settings, received)
                    return replay
                row = await do_create_asset(
                    received, created_by=principal.id, police_units=principal.police_units
                )
                asset = view(
                    settings, row, language=language, include_original=True, include_uploader=True
                )
                if retry_key is not None:
                    await retry_key.store(CREATED, msgspec.json.encode(asset))
        except BaseException:
            await discard_upload(settings, received)
            raise
        return asset


# --- the steps ------------------------------------------------------------------------------


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
                StoredRendition(
                    name=output.name,
                    key=key,
                    mime=output.mime,
                    width=output.width,
                    height=output.height,
                    size=stored.size,
                )
            )
    if not keep_original:
        await store.delete(received.original_key)
    return replace(
        received,
        original_key=received.original_key if keep_original else None,
        status="ready",
        renditions=renditions,
        details=AssetDetails(width=result.width, height=result.height),
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
) -> AssetRow:
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
        NewAsset(
            id=received.id,
            purpose=str(received.purpose),
            kind=str(received.kind),
            mime=received.mime,
            original_filename=received.filename,
            original_key=received.original_key,
            size=received.size,
            sha256=received.sha256,
            status=received.status,
            progress=100 if received.status == "ready" else 0,
            renditions=received.renditions,
            details=received.details,
            created_by=created_by,
            police_units=units,
        )
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
