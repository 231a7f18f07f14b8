"""Assets as stored and as shown: where an asset's objects live (`asset_prefix`), and what a
caller sees of a row (`view`: its renditions with freshly signed URLs)."""

from __future__ import annotations

import uuid

import msgspec

from backend.settings import Settings
from content.repository import AssetRow
from content.schemas import MediaAsset, Rendition
from content.storage import Storage, get_storage


def storage(settings: Settings) -> Storage:
    return get_storage(settings)


def asset_prefix(asset_id: uuid.UUID) -> str:
    """Every object of the asset lives under this key prefix (so one delete removes all)."""
    return f"media/{asset_id.hex}"


def view(
    settings: Settings,
    row: AssetRow,
    *,
    language: str,
    include_original: bool,
    include_uploader: bool = False,
) -> MediaAsset:
    """The asset as a caller sees it: renditions only once it is ready, each with a URL signed
    for `media_url_ttl_seconds`; the failure reason in `language`; the original's URL and the
    uploader's id only when asked."""
    store = storage(settings)
    ttl = settings.media_url_ttl_seconds
    renditions = [
        Rendition(
            name=item.name,
            mime=item.mime,
            url=store.url(item.key, expires_in=ttl, depth=item.depth),
            width=item.width,
            height=item.height,
            bitrate=item.bitrate,
            size=item.size,
        )
        for item in (row.renditions if row.status == "ready" else [])
    ]
    return MediaAsset(
        id=row.id,
        purpose=row.purpose,
        kind=row.kind,
        status=row.status,
        progress=row.progress,
        mime=row.mime,
        size=row.size,
        sha256=row.sha256,
        original_filename=row.original_filename,
        created_at=row.created_at,
        uploaded_by=row.created_by if include_uploader else msgspec.UNSET,
        duration_seconds=row.details.duration,
        width=row.details.width,
        height=row.details.height,
        failure_code=row.failure_code,
        failure_reason=row.failure_vi if language == "vi" else row.failure_en,
        renditions=renditions,
        original_url=(
            store.url(row.original_key, expires_in=ttl)
            if include_original and row.original_key
            else None
        ),
    )
