"""Article routes: reading (anyone, filtered by audience) and writing (communications staff)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.access import PUBLIC, access, caller, roles
from backend.http.pagination import PageRequest, page_request
from backend.settings import Settings
from content.articles import service
from content.articles.schemas import (
    SLUG_PATTERN,
    Article,
    ArticleCreate,
    ArticlePage,
    ArticleReturn,
    ArticleStatus,
    ArticleUpdate,
    Audience,
)

AnyRequest = Request[Any, Any, Any]

# What a reader gets depends on who they are: caches must key on the credentials too.
VARY = [ResponseHeader(name="Vary", value="Authorization, Cookie")]
WRITERS = roles(*service.WRITER_ROLES)
PUBLISHERS = roles(*service.PUBLISHER_ROLES)


async def articles_version(scope: Any) -> str:
    return await service.articles_version()


class ArticleController(Controller):
    path = service.ARTICLES_ROUTE
    tags = ["articles"]
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get(
        "/",
        opt=access(PUBLIC, etag=articles_version, transaction="read"),
        response_headers=VARY,
    )
    async def list_articles(
        self,
        request: AnyRequest,
        page: NamedDependency[PageRequest],
        q: Annotated[
            str | None,
            QueryParameter(
                description="words to find; case and diacritics optional", max_length=200
            ),
        ] = None,
        topic: Annotated[
            str | None,
            QueryParameter(description="topic code", pattern=SLUG_PATTERN, max_length=40),
        ] = None,
        status: Annotated[
            ArticleStatus,
            QueryParameter(description="draft, in_review and archived: communications staff only"),
        ] = ArticleStatus.PUBLISHED,
        audience: Annotated[
            Audience | None, QueryParameter(description="only articles for this audience")
        ] = None,
    ) -> ArticlePage:
        """Articles the caller may read, newest first: public ones for everyone, internal ones
        for civil servants, and those addressed to the caller's agencies."""
        return await service.list_articles(
            caller(request), page, query=q, topic=topic, status=status, audience=audience
        )

    @get(
        "/{slug:str}",
        opt=access(PUBLIC, etag=articles_version, transaction="read"),
        response_headers=VARY,
    )
    async def get_article(self, request: AnyRequest, slug: FromPath[str]) -> Article:
        """One article, with its body as sanitized HTML (404 if the caller may not read it)."""
        return await service.access_article(caller(request), slug)

    @get("/{slug:str}/cover", opt=access(PUBLIC), response_headers=VARY)
    async def get_cover(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        slug: FromPath[str],
        rendition: Annotated[
            Literal["display", "thumbnail"], QueryParameter(description="image size")
        ] = "display",
    ) -> Redirect:
        """A redirect to a freshly signed URL of the cover image."""
        url = await service.access_cover_url(settings, caller(request), slug, rendition)
        max_age = min(600, settings.media_url_ttl_seconds // 2)
        return Redirect(
            url, status_code=302, headers={"Cache-Control": f"private, max-age={max_age}"}
        )

    @post("/", status_code=HTTP_201_CREATED, opt=access(WRITERS))
    async def create_article(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        data: JSONBody[ArticleCreate],
    ) -> Article:
        """A new draft (Markdown body). Communications officers and approvers."""
        return await service.do_create_article(settings, caller(request), data)

    @patch("/{slug:str}", opt=access(WRITERS))
    async def update_article(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        slug: FromPath[str],
        data: JSONBody[ArticleUpdate],
    ) -> Article:
        """Change a draft or an article in review (which goes back to draft); published and
        archived articles are not edited."""
        return await service.do_update_article(settings, caller(request), slug, data)

    @post("/{slug:str}/submit", status_code=200, opt=access(WRITERS))
    async def submit_article(self, request: AnyRequest, slug: FromPath[str]) -> Article:
        """Submit a draft for review (draft → in_review)."""
        return await service.do_submit_article(caller(request), slug)

    @post("/{slug:str}/revise", status_code=HTTP_201_CREATED, opt=access(WRITERS))
    async def revise_article(
        self, request: AnyRequest, settings: NamedDependency[Settings], slug: FromPath[str]
    ) -> Response[Article]:
        """Start a revision of a published article (201), or get its open revision (200): a
        draft of its own, reviewed against the live text, which readers keep seeing until the
        revision is published over it."""
        revision, new = await service.do_revise_article(settings, caller(request), slug)
        return Response(revision, status_code=HTTP_201_CREATED if new else HTTP_200_OK)

    @post("/{slug:str}/return", status_code=200, opt=access(PUBLISHERS))
    async def return_article(
        self, request: AnyRequest, slug: FromPath[str], data: JSONBody[ArticleReturn]
    ) -> Article:
        """Return an article in review to draft, with a comment for its writers."""
        return await service.do_return_article(caller(request), slug, data)

    @post("/{slug:str}/publish", status_code=200, opt=access(PUBLISHERS))
    async def publish_article(
        self, request: AnyRequest, settings: NamedDependency[Settings], slug: FromPath[str]
    ) -> Article:
        """Publish an article in review now: an approver, who is neither its author nor the
        last to change its content."""
        return await service.do_publish_article(settings, caller(request), slug)

    @post("/{slug:str}/archive", status_code=200, opt=access(PUBLISHERS))
    async def archive_article(self, request: AnyRequest, slug: FromPath[str]) -> Article:
        """Withdraw a published article from readers."""
        return await service.do_archive_article(caller(request), slug)
