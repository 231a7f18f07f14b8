"""The media library in the staff console (see backend.console.shell): the library with its
filters, the upload page (the browser sends the file to the media API's own upload route,
`POST /api/v1/media`, with the session cookie and the CSRF header), an asset's page with its
processing status that updates itself, and the preview.

Every answer comes from the same service calls as `GET /api/v1/media` and
`GET /api/v1/media/{id}` (`service.list_assets`, `service.access_asset`): a page shows what
the API would answer to the same person.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from backend.access import Principal, roles, signed_in
from backend.console.shell import Attention, MenuEntry, access, language_of, render, url
from backend.errors import BadRequest
from backend.http.pagination import PageRequest, page_request
from backend.settings import Settings
from content import service
from content.policy import POLICIES, UPLOAD_ROLES, Kind, Purpose
from content.schemas import AssetStatus, MediaAsset, Rendition

AnyRequest = Request[Any, Any, Any]
UPLOADERS = roles(*UPLOAD_ROLES)
"""Who has the media library: the roles that may upload through the media API."""
FINAL = frozenset({AssetStatus.READY, AssetStatus.FAILED})
POLL_SECONDS = 2
FAILED_RECENTLY = timedelta(days=7)
"""Failed uploads shown on the home page: those of the last week."""

PURPOSE_LABELS: dict[Purpose, tuple[str, str]] = {
    Purpose.REPORT_PHOTO: ("Ảnh tin báo", "Report photo"),
    Purpose.REPORT_VIDEO: ("Video tin báo", "Report video"),
    Purpose.REPORT_AUDIO: ("Ghi âm tin báo", "Report audio"),
    Purpose.COURSE_VIDEO: ("Video bài giảng", "Course video"),
    Purpose.COURSE_IMAGE: ("Ảnh khóa học", "Course image"),
    Purpose.ARTICLE_IMAGE: ("Ảnh bài viết", "Article image"),
    Purpose.CAMPAIGN_IMAGE: ("Ảnh chiến dịch", "Campaign image"),
}
STATUS_LABELS: dict[AssetStatus, tuple[str, str, str]] = {
    # (Vietnamese, English, tone of the badge)
    AssetStatus.UPLOADED: ("Đã tải lên, chờ xử lý", "Uploaded, waiting", "muted"),
    AssetStatus.PROCESSING: ("Đang xử lý", "Processing", "info"),
    AssetStatus.READY: ("Sẵn sàng", "Ready", "ok"),
    AssetStatus.FAILED: ("Xử lý thất bại", "Failed", "bad"),
}
KIND_LABELS: dict[Kind, tuple[str, str]] = {
    Kind.IMAGE: ("Ảnh", "Image"),
    Kind.VIDEO: ("Video", "Video"),
    Kind.AUDIO: ("Âm thanh", "Audio"),
}

Choice = TypeVar("Choice", bound=enum.StrEnum)


def _choice(kind: type[Choice], value: str | None, name: str) -> Choice | None:
    """A filter from a GET form: empty is no filter; an unknown value is refused (400), as
    the API refuses it."""
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise BadRequest(
            f"Giá trị không hợp lệ cho bộ lọc `{name}`.", f"Invalid value for the `{name}` filter."
        ) from None


def _label(lang: str, labels: tuple[str, ...]) -> str:
    return labels[1] if lang == "en" else labels[0]


@dataclass(frozen=True)
class Preview:
    """What the asset page shows of a ready asset."""

    image: Rendition | None = None
    video: Rendition | None = None
    """The MP4 rendition the page plays (the largest): Chromium plays MP4, not HLS."""
    hls: Rendition | None = None
    poster: Rendition | None = None
    audio: Rendition | None = None
    thumbnail: Rendition | None = None


def preview_of(asset: MediaAsset) -> Preview:
    by_name = {r.name: r for r in asset.renditions}
    mp4s = sorted(
        (r for r in asset.renditions if r.name.startswith("mp4_")),
        key=lambda r: (r.height or 0, r.bitrate or 0),
    )
    return Preview(
        image=by_name.get("display") or by_name.get("thumbnail"),
        video=mp4s[-1] if mp4s else None,
        hls=by_name.get("hls"),
        poster=by_name.get("poster"),
        audio=by_name.get("audio"),
        thumbnail=by_name.get("thumbnail") or by_name.get("poster"),
    )


def _context(request: AnyRequest) -> dict[str, Any]:
    """What every media template uses: the labels in the page's language."""
    lang = language_of(request)
    return {
        "purpose_label": lambda p: _label(lang, PURPOSE_LABELS.get(Purpose(p), (p, p))),
        "kind_label": lambda k: _label(lang, KIND_LABELS.get(Kind(k), (k, k))),
        "status_label": lambda s: _label(lang, STATUS_LABELS[AssetStatus(s)]),
        "status_tone": lambda s: STATUS_LABELS[AssetStatus(s)][2],
        "preview_of": preview_of,
        "is_final": lambda s: AssetStatus(s) in FINAL,
        "poll_seconds": POLL_SECONDS,
    }


class MediaPages(Controller):
    path = "/media"
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get("/", opt=access(UPLOADERS))
    async def library(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        page: NamedDependency[PageRequest],
        purpose: Annotated[str | None, QueryParameter(max_length=40)] = None,
        kind: Annotated[str | None, QueryParameter(max_length=40)] = None,
        status: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> Template:
        """The person's media as `GET /api/v1/media` lists them, newest first, with the
        filters and the cursor in the URL."""
        principal = signed_in(request)
        chosen_purpose = _choice(Purpose, purpose, "purpose")
        chosen_kind = _choice(Kind, kind, "kind")
        chosen_status = _choice(AssetStatus, status, "status")
        listed = await service.list_assets(
            settings,
            principal,
            page,
            purpose=chosen_purpose,
            kind=chosen_kind,
            status=chosen_status,
            language=language_of(request),
        )
        chosen = {"purpose": chosen_purpose, "kind": chosen_kind, "status": chosen_status}
        params = {k: str(v) for k, v in chosen.items() if v is not None}
        if page.cursor:
            params["cursor"] = page.cursor
        lang = language_of(request)
        return render(
            request,
            "media/library.html",
            page=listed,
            params=params,
            purpose_options=[
                (str(p), _label(lang, PURPOSE_LABELS[p])) for p in _visible_purposes(principal)
            ],
            kind_options=[(str(k), _label(lang, KIND_LABELS[k])) for k in Kind],
            status_options=[(str(s), _label(lang, STATUS_LABELS[s])) for s in AssetStatus],
            **_context(request),
        )

    @get("/upload", opt=access(UPLOADERS))
    async def upload(
        self,
        request: AnyRequest,
        purpose: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> Template:
        """The upload page; the page's script sends the file to `POST /api/v1/media`."""
        principal = signed_in(request)
        allowed = service.purposes_for(principal)
        chosen = _choice(Purpose, purpose, "purpose")
        return render(
            request,
            "media/upload.html",
            purposes=[(p, POLICIES[p].max_bytes) for p in allowed],
            selected=str(chosen if chosen in allowed else allowed[0]) if allowed else "",
            **_context(request),
        )

    @get("/{asset_id:uuid}", opt=access(UPLOADERS))
    async def asset(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        asset_id: FromPath[uuid.UUID],
    ) -> Template:
        """An asset: its facts, its status (updating itself while it is processed), and its
        preview once ready. Someone who may not read it gets the API's 404."""
        found = await service.access_asset(
            settings, signed_in(request), asset_id, language_of(request)
        )
        return render(request, "media/asset.html", asset=found, **_context(request))

    @get("/{asset_id:uuid}/status", opt=access(UPLOADERS))
    async def asset_state(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        asset_id: FromPath[uuid.UUID],
    ) -> Template:
        """The asset page's status and preview alone: what the page polls until the status
        is final (ready or failed)."""
        found = await service.access_asset(
            settings, signed_in(request), asset_id, language_of(request)
        )
        return render(request, "media/_state.html", asset=found, **_context(request))


def _visible_purposes(principal: Principal) -> list[Purpose]:
    """The purposes worth a filter: those the person uploads for or keeps the library of."""
    shown = set(service.purposes_for(principal)) | set(service.listed_purposes(principal))
    return [p for p in Purpose if p in shown]


PAGES: list[Any] = [MediaPages]
MENU: list[MenuEntry] = [
    MenuEntry("/media", "Thư viện media", "Media library", UPLOADERS, "Nội dung", "Content")
]


async def attention(principal: Principal) -> list[Attention]:
    """The person's uploads still being processed, and those that failed in the last week."""
    if not UPLOADERS.admits(principal):
        return []
    cards = []
    waiting = await service.count_own_uploads(
        principal, [AssetStatus.UPLOADED, AssetStatus.PROCESSING]
    )
    if waiting:
        cards.append(
            Attention(
                "Tệp đang xử lý",
                "Uploads being processed",
                url("/media"),  # newest first: they are at the top (waiting or processing)
                count=waiting,
                detail_vi="Video và âm thanh bạn tải lên đang được chuyển mã.",
                detail_en="Videos and audio you uploaded are being transcoded.",
            )
        )
    failed = await service.count_own_uploads(
        principal, [AssetStatus.FAILED], since=datetime.now(UTC) - FAILED_RECENTLY
    )
    if failed:
        cards.append(
            Attention(
                "Tệp xử lý thất bại",
                "Uploads that failed",
                url("/media", status=str(AssetStatus.FAILED)),
                count=failed,
                detail_vi="Trong 7 ngày qua; mở để xem lý do.",
                detail_en="In the last 7 days; open one to see why.",
                tone="bad",
            )
        )
    return cards
