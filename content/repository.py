"""Every query on media assets."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from content.tables import MediaAsset, MediaAttachment

PROCESSABLE = ("uploaded", "processing")
_ATTACHMENT_NAMESPACE = uuid.UUID("5d0f6a52-8f7e-4c59-9d7a-8a4f3c2b1e60")


def _now() -> datetime:
    return datetime.now(UTC)


def _loaded(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """The row with its JSONB columns decoded (Piccolo returns them as text)."""
    if row is None:
        return None
    for column in ("renditions", "details"):
        if isinstance(row.get(column), str):
            row[column] = json.loads(row[column])
    return row


async def insert(row: dict[str, Any]) -> dict[str, Any]:
    now = _now()
    await MediaAsset.insert(MediaAsset(**row, created_at=now, updated_at=now))
    created = await get(row["id"])
    assert created is not None
    return created


async def get(asset_id: uuid.UUID) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await MediaAsset.select().where(MediaAsset.id == asset_id).first()
    return _loaded(row)


async def claim(asset_id: uuid.UUID, run_id: uuid.UUID) -> dict[str, Any] | None:
    """Mark the asset as processed by `run_id`; None if it is ready, failed or gone."""
    rows: list[dict[str, Any]] = (
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
    return _loaded(rows[0]) if rows else None


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
    renditions: list[dict[str, Any]],
    details: dict[str, Any],
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
                MediaAsset.renditions: renditions,
                MediaAsset.details: details,
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


async def delete(asset_id: uuid.UUID) -> dict[str, Any] | None:
    rows: list[dict[str, Any]] = (
        await MediaAsset.delete()
        .where(MediaAsset.id == asset_id)
        .returning(*MediaAsset.all_columns())
    )
    return _loaded(rows[0]) if rows else None


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


async def attachments(asset_id: uuid.UUID) -> list[tuple[str, str]]:
    """(owner_kind, owner_id) of everything the asset is attached to."""
    rows = await MediaAttachment.select(MediaAttachment.owner_kind, MediaAttachment.owner_id).where(
        MediaAttachment.asset_id == asset_id
    )
    return [(row["owner_kind"], row["owner_id"]) for row in rows]


async def delete_attachments(asset_id: uuid.UUID) -> None:
    await MediaAttachment.delete().where(MediaAttachment.asset_id == asset_id)
