"""Every query on articles. Rows come back typed: `ArticleListRow` for lists, `ArticleRow`
for one article."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from asyncpg.exceptions import UniqueViolationError  # type: ignore[import-untyped]  # asyncpg ships no type information

from content.articles.tables import Article


@dataclass(frozen=True)
class Visibility:
    """Which articles a caller may read: staff see every status and audience; others only
    published articles for the public, for civil servants (`internal`) or for their agencies."""

    everything: bool
    internal: bool
    agencies: frozenset[str]


class SlugTaken(Exception):
    pass


class ArticleListRow(msgspec.Struct, frozen=True, kw_only=True):
    """The columns a list shows (`_LIST_COLUMNS`)."""

    id: uuid.UUID
    slug: str
    title: str
    summary: str
    topic: str | None
    byline: str | None
    audience: str
    status: str
    published_at: datetime | None
    created_at: datetime
    cover_asset_id: uuid.UUID | None


class ArticleReadRow(ArticleListRow, frozen=True, kw_only=True):
    """What a reader's article page needs (`get_readable_by_slug`): the list's columns, the
    body and the agencies it is addressed to."""

    body_html: str
    agencies: list[str]


class ArticleRow(ArticleListRow, frozen=True, kw_only=True):
    """An `articles` row."""

    body_markdown: str
    body_html: str
    search_text: str
    agencies: list[str]
    author_id: uuid.UUID
    updated_by: uuid.UUID
    content_edited_by: uuid.UUID | None
    updated_at: datetime
    published_by: uuid.UUID | None = None
    archived_by: uuid.UUID | None = None
    archived_at: datetime | None = None
    submitted_by: uuid.UUID | None = None
    submitted_at: datetime | None = None
    review_comment: str | None = None
    returned_by: uuid.UUID | None = None
    returned_at: datetime | None = None
    approved_title: str | None = None
    approved_summary: str | None = None
    approved_body: str | None = None
    revises_id: uuid.UUID | None = None


def _row(raw: dict[str, Any]) -> ArticleRow:
    raw["agencies"] = raw.get("agencies") or []
    return msgspec.convert(raw, ArticleRow)


async def insert(new: ArticleRow) -> ArticleRow:
    values = msgspec.to_builtins(new, builtin_types=(uuid.UUID, datetime))
    try:
        await Article.insert(Article(**values))
    except UniqueViolationError as exc:
        raise SlugTaken() from exc
    created = await get_by_id(new.id)
    assert created is not None
    return created


async def get_by_id(article_id: uuid.UUID) -> ArticleRow | None:
    raw: dict[str, Any] | None = await Article.select().where(Article.id == article_id).first()
    return None if raw is None else _row(raw)


async def get_by_slug(slug: str) -> ArticleRow | None:
    # Fixed SQL: the article page is one of the hottest reads.
    rows: list[dict[str, Any]] = await Article.raw("SELECT * FROM articles WHERE slug = {}", slug)
    return _row(rows[0]) if rows else None


async def get_readable_by_slug(slug: str) -> ArticleReadRow | None:
    """The article page of a reader: only the columns it shows (the whole row is three times
    as much to fetch, decode and convert — the editorial fields, the Markdown, the search
    text)."""
    rows: list[dict[str, Any]] = await Article.raw(
        f"SELECT {_LIST_COLUMNS}, body_html, agencies FROM articles WHERE slug = {{}}", slug
    )
    if not rows:
        return None
    raw = rows[0]
    raw["agencies"] = raw["agencies"] or []
    return msgspec.convert(raw, ArticleReadRow)


async def open_revision_of(article_id: uuid.UUID) -> ArticleRow | None:
    """The revision of a published article still being written or reviewed, if any."""
    raw: dict[str, Any] | None = (
        await Article.select()
        .where((Article.revises_id == article_id) & Article.status.is_in(["draft", "in_review"]))
        .first()
    )
    return None if raw is None else _row(raw)


async def delete(article_id: uuid.UUID) -> None:
    await Article.delete().where(Article.id == article_id)


async def slug_exists(slug: str, *, other_than: uuid.UUID | None = None) -> bool:
    query = Article.exists().where(Article.slug == slug)
    if other_than is not None:
        query = query.where(Article.id != other_than)
    return bool(await query)


async def update_if(
    article_id: uuid.UUID, expected_status: str, values: dict[str, Any]
) -> ArticleRow | None:
    """Change the article only if it still has `expected_status` (compare-and-set): the row,
    or None when it moved on meanwhile. `values` by column name (an unknown one raises)."""
    try:
        rows: list[dict[str, Any]] = (
            await Article.update({getattr(Article, k): v for k, v in values.items()})
            .where((Article.id == article_id) & (Article.status == expected_status))
            .returning(*Article.all_columns())
        )
    except UniqueViolationError as exc:
        raise SlugTaken() from exc
    return _row(rows[0]) if rows else None


async def page(
    visibility: Visibility,
    *,
    status: str,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    topic: str | None,
    folded_terms: list[str],
    audience: str | None = None,
) -> list[ArticleListRow]:
    """Articles of `status` the caller may see, newest first: published and archived ones by
    publication time, drafts and articles in review by creation time; `folded_terms` must all
    appear in the folded title, summary or body."""
    # Fixed SQL fragments (a hot list): Piccolo's query building was a third of its cost.
    sort = "published_at" if status in ("published", "archived") else "created_at"
    conditions = ["status = {}"]
    args: list[object] = [status]
    if not visibility.everything:
        seen = ["audience = 'public'"]
        if visibility.internal:
            seen.append("audience = 'internal'")
        if visibility.agencies:
            seen.append("(audience = 'agencies' AND agencies && {}::varchar[])")
            args.append(sorted(visibility.agencies))
        conditions.append(f"status = 'published' AND ({' OR '.join(seen)})")
    if topic:
        conditions.append("topic = {}")
        args.append(topic)
    if audience:
        conditions.append("audience = {}")
        args.append(audience)
    for term in folded_terms:
        conditions.append("search_text LIKE {}")
        args.append(f"%{_escape_like(term)}%")
    if after is not None:
        at, last_id = after
        conditions.append(f"({sort} < {{}} OR ({sort} = {{}} AND id < {{}}))")
        args += [at, at, last_id]
    raws: list[dict[str, Any]] = await Article.raw(
        f"SELECT {_LIST_COLUMNS} FROM articles WHERE {' AND '.join(conditions)}"
        f" ORDER BY {sort} DESC, id DESC LIMIT {{}}",
        *args,
        limit,
    )
    return [msgspec.convert(raw, ArticleListRow) for raw in raws]


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_LIST_COLUMNS = (
    "id, slug, title, summary, topic, byline, audience, status, published_at, created_at,"
    " cover_asset_id"
)


async def count_with_status(status: str) -> int:
    return int(await Article.count().where(Article.status == status))


async def count_returned(author_id: uuid.UUID) -> int:
    """The author's drafts an approver returned with a comment."""
    return int(
        await Article.count().where(
            (Article.author_id == author_id)
            & (Article.status == "draft")
            & Article.review_comment.is_not_null()
        )
    )


async def version() -> str:
    """Changes whenever an article is created, changed, published, archived or deleted."""
    rows = await Article.raw("SELECT count(*) AS n, max(updated_at) AS at FROM articles")
    return f"{rows[0]['n']}:{rows[0]['at']}"
