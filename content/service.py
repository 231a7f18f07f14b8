"""Media: who reads an asset, what callers see of it, what it is attached to; and the entry
points other domains use. The work itself lives by what it does:

- `content.uploads` — streamed uploads into storage, then recorded (`receive_upload`,
  `do_create_asset`), and the media API's whole upload request (`do_upload`);
- `content.pipeline` — the video/audio pipeline's steps (`content.tasks` runs them);
- `content.objects` — signed object reads (local storage, HLS through the app);
- `content.assets` — where an asset's objects live, and its view with signed URLs.

Who reads an asset: its uploader; or, when it is attached to something (an article's cover,
later a crime report's evidence), whoever may read that thing, by the rule its domain
registers with `register_owner_kind`; or, while it is attached to nothing, the purpose's
readers (`policy.Readers`: staff of the purpose, or police of the uploader's unit). Anyone
else gets 404, so an id's existence does not leak.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from backend.access import Principal
from backend.db import after_commit
from backend.http.pagination import PageRequest, decode_cursor, encode_cursor
from backend.settings import Settings
from content import repository
from content.articles.schemas import ArticlePage, ArticleSummary
from content.assets import asset_prefix, storage, view
from content.errors import MediaNotForPublicUse, MediaNotFound
from content.images import get_decoder as get_decoder
from content.pipeline import Claim as Claim
from content.pipeline import produce_renditions as produce_renditions
from content.policy import POLICIES, Kind, Purpose, Readers
from content.repository import AssetRow
from content.schemas import AssetStatus, MediaAsset, MediaAssetPage
from content.sniff import HEAD_BYTES as HEAD_BYTES
from content.sniff import check_file_type as check_file_type
from content.storage import get_storage as get_storage
from content.upload_body import UploadBody as UploadBody
from content.upload_body import open_upload as open_upload
from content.uploads import ReceivedUpload as ReceivedUpload
from content.uploads import clean_filename as clean_filename
from content.uploads import discard_upload as discard_upload
from content.uploads import do_create_asset as do_create_asset
from content.uploads import purposes_for as purposes_for
from content.uploads import receive_upload as receive_upload
from content.video import ffmpeg_binary as ffmpeg_binary
from content.video import run_ffmpeg as run_ffmpeg

# --- who reads an asset ----------------------------------------------------------------------

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


def _uploaded_by(principal: Principal | None, row: AssetRow) -> bool:
    return principal is not None and row.created_by is not None and row.created_by == principal.id


async def _may_read(
    principal: Principal | None, row: AssetRow, owners: Sequence[tuple[str, str]] | None = None
) -> bool:
    """The rule of the module's docstring; `owners`: the asset's attachments when the caller
    has already read them (a list reads them for a whole page at once)."""
    if _uploaded_by(principal, row):
        return True
    if owners is None:
        owners = (await repository.attachments([row.id])).get(row.id, [])
    if owners:
        for owner_kind, owner_id in owners:
            rule = _OWNER_RULES.get(owner_kind)
            if rule is not None and await rule(principal, owner_id):
                return True
        return False
    if principal is None:
        return False
    policy = POLICIES[Purpose(row.purpose)]
    if not principal.roles & policy.roles:
        return False
    if policy.readers is Readers.POLICE_UNIT:
        return bool(principal.police_units & set(row.police_units))
    return True


# --- reading ---------------------------------------------------------------------------------


async def access_asset(
    settings: Settings, principal: Principal | None, asset_id: uuid.UUID, language: str = "vi"
) -> MediaAsset:
    """The asset with signed URLs, for a caller who may read it (see the module's docstring;
    others: 404, so the id's existence does not leak). Staff also see who uploaded it."""
    row = await repository.get(asset_id)
    if row is None or not await _may_read(principal, row):
        raise MediaNotFound()
    return view(
        settings,
        row,
        language=language,
        include_original=True,
        include_uploader=principal is not None and principal.is_staff,
    )


CURSOR_KIND = "media"


def listed_purposes(principal: Principal) -> list[Purpose]:
    """The purposes whose assets the caller lists whoever uploaded them (`policy` names their
    librarians); of the others, the caller lists their own uploads only."""
    return [purpose for purpose, policy in POLICIES.items() if principal.roles & policy.librarians]


async def list_assets(
    settings: Settings,
    principal: Principal,
    page: PageRequest,
    *,
    purpose: Purpose | None = None,
    kind: Kind | None = None,
    status: AssetStatus | None = None,
    language: str = "vi",
) -> MediaAssetPage:
    """The caller's media, newest first, with signed URLs and the uploader: their own
    uploads; for a purpose the caller is a librarian of (`listed_purposes`), also the assets
    others uploaded that the caller may read, by the very rule of `access_asset` (police media
    stay within their units, an attached asset follows its owner). Pages never skip or repeat
    an asset while assets are added (keyset cursor)."""
    after: tuple[datetime, uuid.UUID] | None = None
    if page.cursor:
        at, last_id = decode_cursor(page.cursor, CURSOR_KIND, (datetime, uuid.UUID))
        after = (at, last_id)
    librarian_of = [str(p) for p in listed_purposes(principal)]
    shown: list[AssetRow] = []
    # Rows the caller may not read are skipped after the query (an owner's rule is code, not
    # SQL), so a page may take more than one query; the cursor is the last row shown.
    while len(shown) <= page.limit:
        batch = await repository.page(
            uploaded_by=principal.id,
            or_purposes=librarian_of,
            purpose=str(purpose) if purpose else None,
            kind=str(kind) if kind else None,
            status=str(status) if status else None,
            after=after,
            limit=page.limit + 1,
        )
        others = [row.id for row in batch if not _uploaded_by(principal, row)]
        owners = await repository.attachments(others)
        for row in batch:
            if await _may_read(principal, row, owners.get(row.id, [])):
                shown.append(row)
                if len(shown) > page.limit:
                    break
        if len(batch) <= page.limit:
            break
        after = (batch[-1].created_at, batch[-1].id)
    next_cursor = None
    if len(shown) > page.limit:
        shown = shown[: page.limit]
        next_cursor = encode_cursor(CURSOR_KIND, (shown[-1].created_at, shown[-1].id))
    items = [
        view(settings, row, language=language, include_original=True, include_uploader=True)
        for row in shown
    ]
    return MediaAssetPage(items=items, next_cursor=next_cursor)


async def count_own_uploads(
    principal: Principal, statuses: Sequence[AssetStatus], *, since: datetime | None = None
) -> int:
    """How many of the caller's own uploads are in one of `statuses` (since `since`): what
    the console's home page shows as still processing, or failed."""
    return await repository.count_uploaded_by(
        principal.id, [str(status) for status in statuses], since=since
    )


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
    if not POLICIES[Purpose(row.purpose)].public_use:
        raise MediaNotForPublicUse(purpose=row.purpose)
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


async def get_published_article(article_id: uuid.UUID) -> ArticleSummary | None:
    """A published article by id (whatever its audience), for another domain linking to it
    (communications' campaigns); None when there is none or it is not published."""
    from content.articles import service as articles  # it imports this module

    return await articles.get_published_article(article_id)


async def list_published_articles(principal: Principal | None, page: PageRequest) -> ArticlePage:
    """The published articles the caller may read, newest first, for another domain that
    offers them to link to (the campaign editor's article picker)."""
    from content.articles import service as articles  # it imports this module

    return await articles.list_articles(principal, page)


async def find_asset_by_filename(filename: str) -> uuid.UUID | None:
    """The newest asset uploaded under this name (demo data idempotency)."""
    return await repository.find_by_filename(filename)


# --- deleting --------------------------------------------------------------------------------


async def do_delete_asset(settings: Settings, asset_id: uuid.UUID) -> None:
    """Delete the asset; its objects are removed once the deletion commits."""
    row = await repository.delete(asset_id)
    if row is None:
        raise MediaNotFound()
    await repository.delete_attachments(asset_id)

    async def remove() -> None:
        await storage(settings).delete_prefix(asset_prefix(asset_id))

    await after_commit(remove)
