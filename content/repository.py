"""Every query on media assets. Rows come back as `AssetRow` (typed: mypy checks the field
names the service reads), with their JSONB columns decoded into `StoredRendition` and
`AssetDetails`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from piccolo.query.methods.select import Select

from content.tables import MediaAsset, MediaAttachment

PROCESSABLE = ("uploaded", "processing")
_ATTACHMENT_NAMESPACE = uuid.UUID("5d0f6a52-8f7e-4c59-9d7a-8a4f3c2b1e60")


class StoredRendition(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One output of processing as stored in `media_assets.renditions` (absent fields are
    not stored)."""

    name: str
    mime: str
    key: str
    width: int | None = None
    height: int | None = None
    bitrate: int | None = None
    size: int | None = None
    depth: int | None = None
    """For an HLS playlist: how many path segments its signed URL covers."""


class AssetDetails(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What probing (or image decoding) found, as stored in `media_assets.details`."""

    format: str | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    video_codec: str | None = None
    fps: float | None = None
    audio_codec: str | None = None
    channels: int | None = None


class AssetRow(msgspec.Struct, frozen=True, kw_only=True):
    """A `media_assets` row."""

    id: uuid.UUID
    purpose: str
    kind: str
    mime: str
    original_filename: str
    original_key: str | None
    size: int
    sha256: str
    status: str
    progress: int
    failure_code: str | None
    failure_vi: str | None
    failure_en: str | None
    attempts: int
    run_id: uuid.UUID | None
    output_prefix: str | None
    renditions: list[StoredRendition]
    details: AssetDetails
    created_by: uuid.UUID | None
    """The uploader (None for system uploads)."""
    police_units: list[str]
    created_at: datetime
    updated_at: datetime


class NewAsset(msgspec.Struct, frozen=True, kw_only=True):
    """What `insert` records (the rest takes its defaults)."""

    id: uuid.UUID
    purpose: str
    kind: str
    mime: str
    original_filename: str
    original_key: str | None
    size: int
    sha256: str
    status: str
    progress: int
    renditions: list[StoredRendition]
    details: AssetDetails
    created_by: uuid.UUID | None
    police_units: list[str]


def _now() -> datetime:
    return datetime.now(UTC)


def _row(raw: dict[str, Any]) -> AssetRow:
    """The row with its JSONB columns decoded (Piccolo returns them as text)."""
    for column in ("renditions", "details"):
        if isinstance(raw.get(column), str):
            raw[column] = json.loads(raw[column])
    raw["police_units"] = raw.get("police_units") or []
    return msgspec.convert(raw, AssetRow)


def _rows(raws: Iterable[dict[str, Any]]) -> list[AssetRow]:
    return [_row(raw) for raw in raws]


async def insert(new: NewAsset) -> AssetRow:
    now = _now()
    values = msgspec.to_builtins(new, builtin_types=(uuid.UUID, datetime))
    await MediaAsset.insert(MediaAsset(**values, created_at=now, updated_at=now))
    created = await get(new.id)
    assert created is not None
    return created


async def get(asset_id: uuid.UUID) -> AssetRow | None:
    raw: dict[str, Any] | None = await MediaAsset.select().where(MediaAsset.id == asset_id).first()
    return None if raw is None else _row(raw)


async def page(
    *,
    uploaded_by: uuid.UUID,
    or_purposes: Sequence[str],
    purpose: str | None,
    kind: str | None,
    status: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[AssetRow]:
    """Assets uploaded by `uploaded_by`, or of one of `or_purposes` whoever uploaded them,
    matching the filters, newest first (by creation time, then id), after the position
    `after`."""
    owned: Any = MediaAsset.created_by == uploaded_by
    if or_purposes:
        owned = owned | MediaAsset.purpose.is_in(list(or_purposes))
    query: Select[Any] = MediaAsset.select().where(owned)
    if purpose is not None:
        query = query.where(MediaAsset.purpose == purpose)
    if kind is not None:
        query = query.where(MediaAsset.kind == kind)
    if status is not None:
        query = query.where(MediaAsset.status == status)
    if after is not None:
        at, last_id = after
        query = query.where(
            (MediaAsset.created_at < at)
            | ((MediaAsset.created_at == at) & (MediaAsset.id < last_id))
        )
    raws: list[dict[str, Any]] = await query.order_by(
        MediaAsset.created_at, MediaAsset.id, ascending=False
    ).limit(limit)
    return _rows(raws)


async def count_uploaded_by(
    uploaded_by: uuid.UUID, statuses: Sequence[str], *, since: datetime | None = None
) -> int:
    """How many assets `uploaded_by` uploaded that are in one of `statuses` (created at or
    after `since`, when given)."""
    condition: Any = (MediaAsset.created_by == uploaded_by) & MediaAsset.status.is_in(
        list(statuses)
    )
    if since is not None:
        condition = condition & (MediaAsset.created_at >= since)
    return int(await MediaAsset.count().where(condition))


async def claim(asset_id: uuid.UUID, run_id: uuid.UUID) -> AssetRow | None:
    """Mark the asset as processed by `run_id`; None if it is ready, failed or gone."""
    raws: list[dict[str, Any]] = (
        await MediaAsset.update(
            {
                MediaAsset.status: "processing",
                MediaAsset.run_id: run_id,
                MediaAsset.progress: 0,
                MediaAsset.attempts: MediaAsset.attempts + 1,
                MediaAsset.updated_at: _now(),
            }
        )
        .where((MediaAsset.id == asset_id) & MediaAsset.status.is_in(list(PROCESSABLE)))
        .returning(*MediaAsset.all_columns())
    )
    return _row(raws[0]) if raws else None


async def set_progress(asset_id: uuid.UUID, run_id: uuid.UUID, progress: int) -> bool:
    rows = (
        await MediaAsset.update({MediaAsset.progress: progress, MediaAsset.updated_at: _now()})
        .where(
            (MediaAsset.id == asset_id)
            & (MediaAsset.run_id == run_id)
            & (MediaAsset.status == "processing")
        )
        .returning(MediaAsset.id)
    )
    return bool(rows)


async def finish(
    asset_id: uuid.UUID,
    run_id: uuid.UUID,
    *,
    status: str,
    renditions: list[StoredRendition],
    details: AssetDetails,
    output_prefix: str | None,
    failure: tuple[str, str, str] | None = None,
) -> bool:
    """Publish a run's result, only if that run still owns the asset (compare-and-set)."""
    code, vi, en = failure or (None, None, None)
    values: dict[Any, Any] = {MediaAsset.progress: 100} if status == "ready" else {}
    rows = (
        await MediaAsset.update(
            {
                **values,
                MediaAsset.status: status,
                MediaAsset.renditions: msgspec.to_builtins(renditions),
                MediaAsset.details: msgspec.to_builtins(details),
                MediaAsset.output_prefix: output_prefix,
                MediaAsset.failure_code: code,
                MediaAsset.failure_vi: vi,
                MediaAsset.failure_en: en,
                MediaAsset.updated_at: _now(),
            }
        )
        .where(
            (MediaAsset.id == asset_id)
            & (MediaAsset.run_id == run_id)
            & (MediaAsset.status == "processing")
        )
        .returning(MediaAsset.id)
    )
    return bool(rows)


async def delete(asset_id: uuid.UUID) -> AssetRow | None:
    raws: list[dict[str, Any]] = (
        await MediaAsset.delete()
        .where(MediaAsset.id == asset_id)
        .returning(*MediaAsset.all_columns())
    )
    return _row(raws[0]) if raws else None


async def find_by_filename(filename: str) -> uuid.UUID | None:
    row = (
        await MediaAsset.select(MediaAsset.id)
        .where(MediaAsset.original_filename == filename)
        .order_by(MediaAsset.created_at, ascending=False)
        .first()
    )
    return row["id"] if row else None


# --- attachments ----------------------------------------------------------------------------


def _attachment_id(asset_id: uuid.UUID, owner_kind: str, owner_id: str) -> uuid.UUID:
    return uuid.uuid5(_ATTACHMENT_NAMESPACE, f"{asset_id}\n{owner_kind}\n{owner_id}")


async def attach(asset_id: uuid.UUID, owner_kind: str, owner_id: str) -> None:
    """Record that the asset belongs to (owner_kind, owner_id); once, however often asked."""
    await MediaAttachment.insert(
        MediaAttachment(
            id=_attachment_id(asset_id, owner_kind, owner_id),
            asset_id=asset_id,
            owner_kind=owner_kind,
            owner_id=owner_id,
            created_at=_now(),
        )
    ).on_conflict(action="DO NOTHING")


async def detach(asset_id: uuid.UUID, owner_kind: str, owner_id: str) -> None:
    await MediaAttachment.delete().where(
        MediaAttachment.id == _attachment_id(asset_id, owner_kind, owner_id)
    )


async def attachments(asset_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[tuple[str, str]]]:
    """(owner_kind, owner_id) of everything each asset is attached to (assets attached to
    nothing are absent)."""
    if not asset_ids:
        return {}
    rows = await MediaAttachment.select(
        MediaAttachment.asset_id, MediaAttachment.owner_kind, MediaAttachment.owner_id
    ).where(MediaAttachment.asset_id.is_in(list(asset_ids)))
    found: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for row in rows:
        found.setdefault(row["asset_id"], []).append((row["owner_kind"], row["owner_id"]))
    return found


async def delete_attachments(asset_id: uuid.UUID) -> None:
    await MediaAttachment.delete().where(MediaAttachment.asset_id == asset_id)
