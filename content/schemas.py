"""What crosses HTTP for media assets."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import msgspec


class AssetStatus(enum.StrEnum):
    UPLOADED = "uploaded"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Rendition(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    """`hls` (master playlist), `mp4_720p`, `display`, `thumbnail`, `poster`, `audio` …"""
    mime: str
    url: str
    width: int | None = None
    height: int | None = None
    bitrate: int | None = None
    size: int | None = None


class MediaAsset(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    purpose: str
    kind: str
    status: str
    """uploaded → processing → ready, or failed."""
    progress: int
    mime: str
    size: int
    sha256: str
    original_filename: str
    created_at: datetime
    uploaded_by: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    """Who uploaded it (null: the system, e.g. demo data); shown to staff only."""
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None
    failure_code: str | None = None
    failure_reason: str | None = None
    """Why processing failed, in the client's language."""
    renditions: list[Rendition] = []
    original_url: str | None = None
    """Only for callers allowed to see the untouched original."""


class MediaAssetPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[MediaAsset]
    next_cursor: str | None
