"""What crosses HTTP for articles."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated

import msgspec

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, msgspec.Meta(pattern=SLUG_PATTERN, max_length=120)]
Topic = Annotated[str, msgspec.Meta(pattern=SLUG_PATTERN, max_length=40)]
AgencyCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Summary = Annotated[str, msgspec.Meta(max_length=1000)]
Body = Annotated[str, msgspec.Meta(max_length=200_000)]
"""Markdown."""
Byline = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class Audience(enum.StrEnum):
    PUBLIC = "public"
    """Everyone, signed in or not."""
    INTERNAL = "internal"
    """Every civil servant."""
    AGENCIES = "agencies"
    """The civil servants of the listed agencies."""


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    """Submitted by a writer, waiting for an approver: published, or returned to draft."""
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ArticleCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    summary: Summary = ""
    body: Body = ""
    slug: Slug | None = None
    """Defaults to one made from the title (`an-ninh-trat-tu`)."""
    topic: Topic | None = None
    byline: Byline | None = None
    cover_asset_id: uuid.UUID | None = None
    """An image uploaded through `POST /api/v1/media` and ready."""
    audience: Audience = Audience.PUBLIC
    agencies: list[AgencyCode] = []
    """Agency codes, for the `agencies` audience only."""


class ArticleUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields to change in a draft; absent fields stay, `null` clears an optional one."""

    title: Title | msgspec.UnsetType = msgspec.UNSET
    summary: Summary | msgspec.UnsetType = msgspec.UNSET
    body: Body | msgspec.UnsetType = msgspec.UNSET
    slug: Slug | msgspec.UnsetType = msgspec.UNSET
    topic: Topic | msgspec.UnsetType | None = msgspec.UNSET
    byline: Byline | msgspec.UnsetType | None = msgspec.UNSET
    cover_asset_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    audience: Audience | msgspec.UnsetType = msgspec.UNSET
    agencies: list[AgencyCode] | msgspec.UnsetType = msgspec.UNSET


ReviewComment = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class ArticleReturn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An approver sends an article in review back to its writers."""

    comment: ReviewComment
    """What to change (shown to the writers until they submit again)."""


class ArticleCover(msgspec.Struct, frozen=True, kw_only=True):
    """Stable links that redirect to freshly signed image URLs (so a list keeps its ETag)."""

    asset_id: uuid.UUID
    url: str
    thumbnail_url: str


class ApprovedText(msgspec.Struct, frozen=True, kw_only=True):
    """The title, summary and Markdown body an approver last published."""

    title: str
    summary: str
    body_markdown: str


class Editorial(msgspec.Struct, frozen=True, kw_only=True):
    """What only communications staff see."""

    body_markdown: str
    agencies: list[str]
    author_id: uuid.UUID
    updated_by: uuid.UUID
    content_edited_by: uuid.UUID | None
    """Who last changed the content: neither they nor the author may publish it."""
    published_by: uuid.UUID | None
    archived_by: uuid.UUID | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime
    submitted_by: uuid.UUID | None = None
    submitted_at: datetime | None = None
    review_comment: str | None = None
    """Why an approver returned the draft (until it is submitted again)."""
    returned_by: uuid.UUID | None = None
    returned_at: datetime | None = None
    approved: ApprovedText | None = None
    revises_id: uuid.UUID | None = None
    """For a revision: the published article it will replace the text of once published."""
    """The text as last published (None before the first publication)."""


class ArticleSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    slug: str
    title: str
    summary: str
    topic: str | None
    byline: str | None
    audience: Audience
    status: ArticleStatus
    published_at: datetime | None
    cover: ArticleCover | None


class Article(ArticleSummary, frozen=True, kw_only=True):
    body_html: str
    """The body rendered from Markdown and sanitized (no scripts, event handlers or
    `javascript:` links)."""
    editorial: Editorial | None = None


class ArticlePage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ArticleSummary]
    next_cursor: str | None
