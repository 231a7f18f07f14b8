"""Articles: written as drafts by communications staff, submitted for review, published by an
approver, read by whom their audience admits.

The workflow: draft → in_review (`do_submit_article`, a writer) → published
(`do_publish_article`) → archived (`do_archive_article`); an approver may instead return an
article in review to draft with a comment (`do_return_article`), and an edit of an article in
review brings it back to draft (it must be submitted again).

Who does what: `comms_officer` and `comms_approver` create, edit and submit drafts; only a
`comms_approver` publishes, and never an article they wrote themselves nor one whose content
they were the last to change (a second pair of eyes on the text as published); a
`comms_approver` returns and archives. Creating, editing (with the fields changed), submitting,
returning, publishing and archiving are audited. Drafts, articles in review and archived
articles are seen only by communications staff. A published article is seen by everyone
(`public`), by civil servants (`internal`), or by the civil servants of the listed agencies
(`agencies`); to anyone else it does not exist (404, never 403).
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from backend.access import Principal, Role
from backend.audit.service import do_record
from backend.errors import PermissionDenied
from backend.http.etag import VersionCache
from backend.http.pagination import PageRequest, decode_cursor, encode_cursor
from backend.identity.service import list_agencies
from backend.settings import Settings
from backend.text import fold
from content import service as media
from content.articles import repository
from content.articles.markdown import render
from content.articles.repository import (
    ArticleListRow,
    ArticleReadRow,
    ArticleRow,
    SlugTaken,
    Visibility,
)
from content.articles.schemas import (
    ApprovedText,
    Article,
    ArticleCover,
    ArticleCreate,
    ArticlePage,
    ArticleReturn,
    ArticleStatus,
    ArticleSummary,
    ArticleUpdate,
    Audience,
    Editorial,
)
from content.errors import (
    ArticleAudienceInvalid,
    ArticleBodyEmpty,
    ArticleCoverInvalid,
    ArticleCoverNotPublic,
    ArticleLastEditorPublish,
    ArticleNotArchivable,
    ArticleNotEditable,
    ArticleNotFound,
    ArticleNotPublishable,
    ArticleNotReturnable,
    ArticleNotRevisable,
    ArticleNotSubmittable,
    ArticleSelfPublish,
    ArticleSlugTaken,
    MediaNotForPublicUse,
    MediaNotFound,
)

WRITER_ROLES = frozenset({Role.COMMS_OFFICER, Role.COMMS_APPROVER})
PUBLISHER_ROLES = frozenset({Role.COMMS_APPROVER})
ARTICLES_ROUTE = "/api/v1/articles"
MAX_SEARCH_TERMS = 8
COVER_RENDITIONS = ("display", "thumbnail")
COVER_OWNER = "article"
"""The owner kind of an article's cover in the media registry: the cover is read by whoever
may read the article."""


def _now() -> datetime:
    return datetime.now(UTC)


# --- who sees what ----------------------------------------------------------------------------


def visibility_of(principal: Principal | None) -> Visibility:
    if principal is None:
        return Visibility(everything=False, internal=False, agencies=frozenset())
    staff = bool(principal.roles & WRITER_ROLES)
    return Visibility(
        everything=staff,
        internal=staff or Role.CIVIL_SERVANT in principal.roles,
        agencies=frozenset(principal.agencies),
    )


def is_visible(row: ArticleRow | ArticleReadRow, visibility: Visibility) -> bool:
    """The list's filter, for one article already read."""
    if visibility.everything:
        return True
    if row.status != ArticleStatus.PUBLISHED:
        return False
    if row.audience == Audience.PUBLIC:
        return True
    if row.audience == Audience.INTERNAL:
        return visibility.internal
    return bool(visibility.agencies & set(row.agencies or ()))


def check_may_write(principal: Principal | None) -> Principal:
    if principal is None or not principal.roles & WRITER_ROLES:
        raise PermissionDenied()
    return principal


def check_may_publish(principal: Principal | None) -> Principal:
    if principal is None or not principal.roles & PUBLISHER_ROLES:
        raise PermissionDenied()
    return principal


# --- reading ----------------------------------------------------------------------------------


def _cursor_kind(status: ArticleStatus) -> str:
    return f"articles:{status}"


async def list_articles(
    principal: Principal | None,
    page: PageRequest,
    *,
    query: str | None = None,
    topic: str | None = None,
    status: ArticleStatus = ArticleStatus.PUBLISHED,
    audience: Audience | None = None,
) -> ArticlePage:
    """The articles the caller may read, newest first. `query` matches title, summary and body
    ignoring case and diacritics (every word must appear). Only communications staff list
    drafts, articles in review or archived articles; for anyone else those lists are empty."""
    visibility = visibility_of(principal)
    if status is not ArticleStatus.PUBLISHED and not visibility.everything:
        return ArticlePage(items=[], next_cursor=None)
    after = None
    if page.cursor:
        at, last_id = decode_cursor(page.cursor, _cursor_kind(status), (datetime, uuid.UUID))
        after = (at, last_id)
    terms = fold(query).split()[:MAX_SEARCH_TERMS] if query else []
    rows = await repository.page(
        visibility,
        status=status,
        after=after,
        limit=page.limit + 1,
        topic=topic,
        folded_terms=terms,
        audience=str(audience) if audience else None,
    )
    shown = rows[: page.limit]
    next_cursor = None
    if len(rows) > page.limit:
        last = shown[-1]
        sort_at = (
            last.published_at
            if status in (ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED)
            else last.created_at
        )
        next_cursor = encode_cursor(_cursor_kind(status), (sort_at, last.id))
    return ArticlePage(items=[_summary(row) for row in shown], next_cursor=next_cursor)


async def access_article(principal: Principal | None, slug: str) -> Article:
    """The article if the caller may read it; `ArticleNotFound` otherwise (also when it
    exists but is not for them)."""
    visibility = visibility_of(principal)
    if not visibility.everything:
        readable = await repository.get_readable_by_slug(slug)
        if readable is None or not is_visible(readable, visibility):
            raise ArticleNotFound()
        return Article(**msgspec.structs.asdict(_summary(readable)), body_html=readable.body_html)
    row = await repository.get_by_slug(slug)
    if row is None:
        raise ArticleNotFound()
    return _article(row, editorial=True)


async def access_cover_url(
    settings: Settings, principal: Principal | None, slug: str, rendition: str
) -> str:
    """A freshly signed URL of the article's cover image, for a caller who may read it."""
    row = await repository.get_by_slug(slug)
    if row is None or not is_visible(row, visibility_of(principal)):
        raise ArticleNotFound()
    if row.cover_asset_id is None:
        raise MediaNotFound()
    asset = await media.get_asset(settings, row.cover_asset_id)
    for item in asset.renditions:
        if item.name == rendition:
            return item.url
    raise MediaNotFound()


# --- writing ----------------------------------------------------------------------------------


def slugify(title: str) -> str:
    """`An ninh trật tự: tuần 12` → `an-ninh-trat-tu-tuan-12` (at most 80 characters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")
    return slug[:80].rstrip("-") or "bai-viet"


async def _free_slug(base: str) -> str:
    slug = base
    while await repository.slug_exists(slug):
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


async def check_cover(settings: Settings, principal: Principal | None, asset_id: uuid.UUID) -> None:
    """The cover is an image whose processing is done, that the linker may read (an asset they
    may not read is as unknown to them: 422 article_cover_invalid) and whose purpose allows
    public use (never evidence or report media: 422 article_cover_not_public). With no
    `principal` (publishing), only the asset itself is checked again."""
    try:
        asset = await media.check_public_use(settings, principal, asset_id)
    except MediaNotFound:
        raise ArticleCoverInvalid() from None
    except MediaNotForPublicUse:
        raise ArticleCoverNotPublic() from None
    if asset.kind != "image" or asset.status != "ready":
        raise ArticleCoverInvalid()


async def _cover_readable(principal: Principal | None, article_id: str) -> bool:
    """The media registry's rule for covers: whoever may read the article."""
    try:
        row = await repository.get_by_id(uuid.UUID(article_id))
    except ValueError:
        return False
    return row is not None and is_visible(row, visibility_of(principal))


media.register_owner_kind(COVER_OWNER, _cover_readable)


async def _relink_cover(
    article_id: uuid.UUID, old: uuid.UUID | None, new: uuid.UUID | None
) -> None:
    if old == new:
        return
    if old is not None:
        await media.do_detach(old, owner_kind=COVER_OWNER, owner_id=str(article_id))
    if new is not None:
        await media.do_attach(new, owner_kind=COVER_OWNER, owner_id=str(article_id))


async def check_audience(audience: Audience, agencies: list[str]) -> list[str]:
    """The agency codes to store: a non-empty list of registered agencies for `agencies`,
    none for the other audiences."""
    codes = sorted(set(agencies))
    if audience is not Audience.AGENCIES:
        if codes:
            raise ArticleAudienceInvalid()
        return []
    if not codes:
        raise ArticleAudienceInvalid()
    known = {agency.code for agency in await list_agencies()}
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ArticleAudienceInvalid(unknown_agencies=unknown)
    return codes


def _content(title: str, summary: str, body: str) -> dict[str, Any]:
    return {
        "title": title,
        "summary": summary,
        "body_markdown": body,
        "body_html": render(body),
        "search_text": fold(f"{title}\n{summary}\n{body}"),
    }


async def do_create_article(
    settings: Settings, principal: Principal | None, data: ArticleCreate
) -> Article:
    """A new draft by the caller (communications staff)."""
    author = check_may_write(principal)
    agencies = await check_audience(data.audience, data.agencies)
    if data.cover_asset_id is not None:
        await check_cover(settings, author, data.cover_asset_id)
    if data.slug is not None:
        if await repository.slug_exists(data.slug):
            raise ArticleSlugTaken()
        slug = data.slug
    else:
        slug = await _free_slug(slugify(data.title))
    now = _now()
    try:
        await _version.changed()
        row = await repository.insert(
            ArticleRow(
                id=uuid.uuid4(),
                slug=slug,
                **_content(data.title, data.summary, data.body),
                topic=data.topic,
                byline=data.byline,
                cover_asset_id=data.cover_asset_id,
                audience=str(data.audience),
                agencies=agencies,
                status=str(ArticleStatus.DRAFT),
                published_at=None,
                author_id=author.id,
                updated_by=author.id,
                content_edited_by=author.id,
                created_at=now,
                updated_at=now,
            )
        )
    except SlugTaken:
        raise ArticleSlugTaken() from None
    await _relink_cover(row.id, None, data.cover_asset_id)
    await do_record(
        "article.create",
        actor_id=str(author.id),
        object_type="article",
        object_id=str(row.id),
        details={
            "slug": slug,
            "audience": row.audience,
            "cover_asset_id": str(data.cover_asset_id) if data.cover_asset_id else None,
        },
    )
    return _article(row, editorial=True)


async def do_revise_article(
    settings: Settings, principal: Principal | None, slug: str
) -> tuple[Article, bool]:
    """A revision of a published article: a draft of its own, with the article's text, that
    is edited, submitted and reviewed against the live text (which readers keep seeing) and,
    once published, replaces it. One open revision per article: asked again, the open one is
    returned (`False`: not new). The reviser is the revision's author (who may not publish it).
    Audited."""
    writer = check_may_write(principal)
    row = await repository.get_by_slug(slug)
    if row is None or row.revises_id is not None:
        raise ArticleNotFound()
    if row.status != ArticleStatus.PUBLISHED:
        raise ArticleNotRevisable(status=row.status)
    existing = await repository.open_revision_of(row.id)
    if existing is not None:
        return _article(existing, editorial=True), False
    now = _now()
    await _version.changed()
    try:
        revision = await repository.insert(
            msgspec.structs.replace(
                row,
                id=uuid.uuid4(),
                slug=await _free_slug(f"{row.slug}-ban-sua"),
                status=str(ArticleStatus.DRAFT),
                published_at=None,
                published_by=None,
                author_id=writer.id,
                updated_by=writer.id,
                content_edited_by=writer.id,
                submitted_by=None,
                submitted_at=None,
                review_comment=None,
                returned_by=None,
                returned_at=None,
                approved_title=row.title,
                approved_summary=row.summary,
                approved_body=row.body_markdown,
                revises_id=row.id,
                created_at=now,
                updated_at=now,
            )
        )
    except SlugTaken:
        raise ArticleSlugTaken() from None
    await _relink_cover(revision.id, None, revision.cover_asset_id)
    await do_record(
        "article.revise",
        actor_id=str(writer.id),
        object_type="article",
        object_id=str(row.id),
        details={"slug": row.slug, "revision": str(revision.id)},
    )
    return _article(revision, editorial=True), True


async def do_update_article(
    settings: Settings, principal: Principal | None, slug: str, data: ArticleUpdate
) -> Article:
    """Change a draft or an article in review; published and archived articles are not edited
    (409). An edit that changes anything makes the caller the draft's last content editor (who
    may then not publish it), brings an article in review back to draft (to be submitted
    again) and is audited with the names of the fields it changed; an edit that changes
    nothing writes nothing."""
    editor = check_may_write(principal)
    row = await repository.get_by_slug(slug)
    if row is None:
        raise ArticleNotFound()
    if row.status not in (ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW):
        raise ArticleNotEditable()
    changes = {f: v for f, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    merged = {
        "title": row.title,
        "summary": row.summary,
        "body": row.body_markdown,
        "audience": Audience(row.audience),
        "agencies": list(row.agencies or []),
        **changes,
    }
    values: dict[str, Any] = _content(merged["title"], merged["summary"], merged["body"])
    if "audience" in changes or "agencies" in changes:
        if "agencies" not in changes and merged["audience"] is not Audience.AGENCIES:
            merged["agencies"] = []  # leaving the `agencies` audience drops its list
        values["audience"] = str(merged["audience"])
        values["agencies"] = await check_audience(merged["audience"], merged["agencies"])
    if changes.get("cover_asset_id") not in (None, row.cover_asset_id):
        await check_cover(settings, editor, changes["cover_asset_id"])
    for field in ("topic", "byline", "cover_asset_id"):
        if field in changes:
            values[field] = changes[field]
    if "slug" in changes and changes["slug"] != row.slug:
        if await repository.slug_exists(changes["slug"], other_than=row.id):
            raise ArticleSlugTaken()
        values["slug"] = changes["slug"]
    changed = _changed_fields(row, values)
    if not changed:
        return _article(row, editorial=True)
    values = {k: v for k, v in values.items() if k in changed or k in _DERIVED}
    values |= {"updated_by": editor.id, "content_edited_by": editor.id, "updated_at": _now()}
    if row.status == ArticleStatus.IN_REVIEW:
        values["status"] = str(ArticleStatus.DRAFT)
    try:
        await _version.changed()
        updated = await repository.update_if(row.id, row.status, values)
    except SlugTaken:
        raise ArticleSlugTaken() from None
    if updated is None:  # submitted, returned or published meanwhile
        raise ArticleNotEditable()
    await _relink_cover(row.id, row.cover_asset_id, updated.cover_asset_id)
    await do_record(
        "article.update",
        actor_id=str(editor.id),
        object_type="article",
        object_id=str(row.id),
        details={
            "slug": updated.slug,
            "fields": sorted(_FIELD_NAMES[c] for c in changed),
            **({"back_to_draft": True} if row.status == ArticleStatus.IN_REVIEW else {}),
        },
    )
    return _article(updated, editorial=True)


_FIELD_NAMES = {
    "title": "title",
    "summary": "summary",
    "body_markdown": "body",
    "slug": "slug",
    "topic": "topic",
    "byline": "byline",
    "cover_asset_id": "cover_asset_id",
    "audience": "audience",
    "agencies": "agencies",
}
"""Columns an edit may change, by the name the API gives them."""
_DERIVED = ("body_html", "search_text")


def _changed_fields(row: ArticleRow, values: dict[str, Any]) -> list[str]:
    """The editable columns whose new value differs from the stored one."""
    return [
        column
        for column in _FIELD_NAMES
        if column in values and values[column] != getattr(row, column)
    ]


async def do_submit_article(principal: Principal | None, slug: str) -> Article:
    """Send a draft to the approvers (draft → in_review). Any writer; the draft needs a body.
    A comment an approver left when returning it is cleared (it stays in the audit log)."""
    writer = check_may_write(principal)
    row = await repository.get_by_slug(slug)
    if row is None:
        raise ArticleNotFound()
    if row.status != ArticleStatus.DRAFT:
        raise ArticleNotSubmittable(status=row.status)
    if not row.body_markdown.strip():
        raise ArticleBodyEmpty()
    now = _now()
    await _version.changed()
    updated = await repository.update_if(
        row.id,
        ArticleStatus.DRAFT,
        {
            "status": str(ArticleStatus.IN_REVIEW),
            "submitted_by": writer.id,
            "submitted_at": now,
            "review_comment": None,
            "updated_by": writer.id,
            "updated_at": now,
        },
    )
    if updated is None:
        raise ArticleNotSubmittable()
    await do_record(
        "article.submit",
        actor_id=str(writer.id),
        object_type="article",
        object_id=str(row.id),
        details={"slug": slug},
    )
    return _article(updated, editorial=True)


async def do_return_article(principal: Principal | None, slug: str, data: ArticleReturn) -> Article:
    """Send an article in review back to draft with the approver's comment, which its writers
    see until they submit it again. Approvers only; the comment is audited."""
    approver = check_may_publish(principal)
    row = await repository.get_by_slug(slug)
    if row is None:
        raise ArticleNotFound()
    if row.status != ArticleStatus.IN_REVIEW:
        raise ArticleNotReturnable(status=row.status)
    now = _now()
    await _version.changed()
    updated = await repository.update_if(
        row.id,
        ArticleStatus.IN_REVIEW,
        {
            "status": str(ArticleStatus.DRAFT),
            "review_comment": data.comment,
            "returned_by": approver.id,
            "returned_at": now,
            "updated_by": approver.id,
            "updated_at": now,
        },
    )
    if updated is None:
        raise ArticleNotReturnable()
    await do_record(
        "article.return",
        actor_id=str(approver.id),
        object_type="article",
        object_id=str(row.id),
        details={"slug": slug, "comment": data.comment},
    )
    return _article(updated, editorial=True)


async def do_publish_article(settings: Settings, principal: Principal | None, slug: str) -> Article:
    """Publish an article in review now. Only an approver who is neither the article's author
    nor the last person to change its content (so two people stand behind the text
    published); it needs a body, and its cover must still be a ready image fit for public
    content. The text published becomes the approved text later reviews compare against."""
    approver = check_may_publish(principal)
    row = await repository.get_by_slug(slug)
    if row is None:
        raise ArticleNotFound()
    if row.status != ArticleStatus.IN_REVIEW:
        raise ArticleNotPublishable(status=row.status)
    if row.author_id == approver.id:
        raise ArticleSelfPublish()
    if row.content_edited_by == approver.id:
        raise ArticleLastEditorPublish()
    if not row.body_markdown.strip():
        raise ArticleBodyEmpty()
    if row.cover_asset_id is not None:
        await check_cover(settings, None, row.cover_asset_id)
    if row.revises_id is not None:
        return await _publish_revision(row, approver)
    now = _now()
    await _version.changed()
    updated = await repository.update_if(
        row.id,
        ArticleStatus.IN_REVIEW,
        {
            "status": str(ArticleStatus.PUBLISHED),
            "published_at": now,
            "published_by": approver.id,
            "approved_title": row.title,
            "approved_summary": row.summary,
            "approved_body": row.body_markdown,
            "review_comment": None,
            "updated_by": approver.id,
            "updated_at": now,
        },
    )
    if updated is None:
        raise ArticleNotPublishable()
    await do_record(
        "article.publish",
        actor_id=str(approver.id),
        object_type="article",
        object_id=str(row.id),
        details={"slug": slug, "audience": row.audience, "author": str(row.author_id)},
    )
    return _article(updated, editorial=True)


async def _publish_revision(revision: ArticleRow, approver: Principal) -> Article:
    """Put an approved revision's text on the published article it revises (same address,
    first publication time kept) and remove the revision."""
    target = await repository.get_by_id(revision.revises_id) if revision.revises_id else None
    if target is None:
        raise ArticleNotFound()
    now = _now()
    await _version.changed()
    updated = await repository.update_if(
        target.id,
        ArticleStatus.PUBLISHED,
        {
            **{column: getattr(revision, column) for column in _REVISED},
            "content_edited_by": revision.content_edited_by,
            "published_by": approver.id,
            "approved_title": revision.title,
            "approved_summary": revision.summary,
            "approved_body": revision.body_markdown,
            "updated_by": approver.id,
            "updated_at": now,
        },
    )
    if updated is None:  # archived meanwhile: the revision has nothing left to replace
        raise ArticleNotRevisable(status=target.status)
    await repository.delete(revision.id)
    await _relink_cover(revision.id, revision.cover_asset_id, None)
    await _relink_cover(target.id, target.cover_asset_id, updated.cover_asset_id)
    await do_record(
        "article.publish",
        actor_id=str(approver.id),
        object_type="article",
        object_id=str(target.id),
        details={
            "slug": target.slug,
            "audience": updated.audience,
            "author": str(revision.author_id),
            "revision": str(revision.id),
        },
    )
    return _article(updated, editorial=True)


_REVISED = (
    "title",
    "summary",
    "body_markdown",
    "body_html",
    "search_text",
    "topic",
    "byline",
    "cover_asset_id",
    "audience",
    "agencies",
)
"""What a revision changes on the article it revises (its address and history stay)."""


async def do_archive_article(principal: Principal | None, slug: str) -> Article:
    """Withdraw a published article from readers (kept for the record)."""
    approver = check_may_publish(principal)
    row = await repository.get_by_slug(slug)
    if row is None:
        raise ArticleNotFound()
    if row.status != ArticleStatus.PUBLISHED:
        raise ArticleNotArchivable(status=row.status)
    now = _now()
    await _version.changed()
    updated = await repository.update_if(
        row.id,
        ArticleStatus.PUBLISHED,
        {
            "status": str(ArticleStatus.ARCHIVED),
            "archived_at": now,
            "archived_by": approver.id,
            "updated_by": approver.id,
            "updated_at": now,
        },
    )
    if updated is None:
        raise ArticleNotArchivable()
    await do_record(
        "article.archive",
        actor_id=str(approver.id),
        object_type="article",
        object_id=str(row.id),
        details={"slug": slug},
    )
    return _article(updated, editorial=True)


async def count_in_review(principal: Principal) -> int:
    """How many articles wait for an approver (0 for anyone who is not one)."""
    if not principal.roles & PUBLISHER_ROLES:
        return 0
    return await repository.count_with_status(str(ArticleStatus.IN_REVIEW))


async def count_returned_to(principal: Principal) -> int:
    """How many of the writer's own drafts an approver returned with a comment."""
    if not principal.roles & WRITER_ROLES:
        return 0
    return await repository.count_returned(principal.id)


def preview_body(principal: Principal | None, markdown: str) -> str:
    """The Markdown body as readers would see it: the very rendering and sanitizer an article
    is stored with (writers only)."""
    check_may_write(principal)
    return render(markdown)


async def get_published_article(article_id: uuid.UUID) -> ArticleSummary | None:
    """A published article by id (whatever its audience), for another domain that links to
    it (communications' campaigns); None when there is none or it is not published."""
    row = await repository.get_by_id(article_id)
    if row is None or row.status != ArticleStatus.PUBLISHED or row.revises_id is not None:
        return None
    return _summary(row)


async def find_article_slug(slug: str) -> bool:
    """Whether an article with this slug exists (demo data idempotency)."""
    return await repository.slug_exists(slug)


# --- views ------------------------------------------------------------------------------------


def _cover(row: ArticleListRow) -> ArticleCover | None:
    asset_id = row.cover_asset_id
    if asset_id is None:
        return None
    # The asset id in the link changes it when the cover changes (caches see a new URL).
    base = f"{ARTICLES_ROUTE}/{row.slug}/cover?v={asset_id.hex[:12]}"
    return ArticleCover(asset_id=asset_id, url=base, thumbnail_url=f"{base}&rendition=thumbnail")


def _summary(row: ArticleListRow) -> ArticleSummary:
    return ArticleSummary(
        id=row.id,
        slug=row.slug,
        title=row.title,
        summary=row.summary,
        topic=row.topic,
        byline=row.byline,
        audience=Audience(row.audience),
        status=ArticleStatus(row.status),
        published_at=row.published_at,
        cover=_cover(row),
    )


def _article(row: ArticleRow, *, editorial: bool) -> Article:
    return Article(
        **msgspec.structs.asdict(_summary(row)),
        body_html=row.body_html,
        editorial=Editorial(
            body_markdown=row.body_markdown,
            agencies=list(row.agencies or []),
            author_id=row.author_id,
            updated_by=row.updated_by,
            content_edited_by=row.content_edited_by,
            published_by=row.published_by,
            archived_by=row.archived_by,
            archived_at=row.archived_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            submitted_by=row.submitted_by,
            submitted_at=row.submitted_at,
            review_comment=row.review_comment,
            returned_by=row.returned_by,
            returned_at=row.returned_at,
            approved=ApprovedText(
                title=row.approved_title or "",
                summary=row.approved_summary or "",
                body_markdown=row.approved_body,
            )
            if row.approved_body is not None
            else None,
            revises_id=row.revises_id,
        )
        if editorial
        else None,
    )


# Read at most once a second per process; this process's own writes forget it at commit.
_version = VersionCache(seconds=1)


async def articles_version() -> str:
    """A validator of every answer about articles (any change to any article changes it; the
    caller's view is added by whoever derives a tag from it)."""
    return await _version.get(repository.version)
