"""Staff console pages of articles (see backend.console.shell): the list with its filters, the
editor with its Markdown preview, submitting, and the approver's review screen with the diff
against the text last published. Every page calls the same service functions as
`content.articles.endpoints`; templates in content/templates/articles/."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from backend.access import Principal, caller, roles
from backend.console.forms import form_failure
from backend.console.shell import (
    Attention,
    MenuEntry,
    access,
    is_partial,
    language_of,
    redirect,
    render,
)
from backend.errors import AppError
from backend.http.pagination import PageRequest
from backend.identity.service import list_agencies
from backend.settings import Settings
from content import service as media
from content.articles import service
from content.articles.diff import diff_html
from content.articles.schemas import (
    Article,
    ArticleCreate,
    ArticleReturn,
    ArticleStatus,
    ArticleUpdate,
    Audience,
)
from content.errors import (
    ArticleAudienceInvalid,
    ArticleBodyEmpty,
    ArticleCoverInvalid,
    ArticleCoverNotPublic,
)
from content.policy import Kind
from content.schemas import AssetStatus

AnyRequest = Request[Any, Any, Any]
WRITERS = roles(*service.WRITER_ROLES)
PUBLISHERS = roles(*service.PUBLISHER_ROLES)
PAGE_SIZE = 20
FIELDS = ("title", "summary", "body", "topic", "byline", "audience", "agencies", "cover_asset_id")

STATUS_LABELS = {
    ArticleStatus.DRAFT: ("Nháp", "Draft", "muted"),
    ArticleStatus.IN_REVIEW: ("Chờ duyệt", "In review", "warn"),
    ArticleStatus.PUBLISHED: ("Đã xuất bản", "Published", "ok"),
    ArticleStatus.ARCHIVED: ("Đã lưu trữ", "Archived", "muted"),
}
AUDIENCE_LABELS = {
    Audience.PUBLIC: ("Mọi người (công khai)", "Everyone (public)"),
    Audience.INTERNAL: ("Mọi cán bộ, công chức (nội bộ)", "Every civil servant (internal)"),
    Audience.AGENCIES: ("Cán bộ của các cơ quan được chọn", "Staff of the chosen agencies"),
}
FIELD_ERRORS = {
    "title": ("Nhập tiêu đề (tối đa 300 ký tự).", "Enter a title (at most 300 characters)."),
    "summary": ("Tóm tắt dài tối đa 1.000 ký tự.", "The summary takes at most 1,000 characters."),
    "body": ("Nội dung dài tối đa 200.000 ký tự.", "The body takes at most 200,000 characters."),
    "topic": (
        "Chủ đề chỉ gồm chữ thường không dấu, số và dấu gạch nối (ví dụ: an-ninh).",
        "A topic is lower-case letters without accents, digits and hyphens (e.g. an-ninh).",
    ),
    "byline": ("Tên người/đơn vị ký tối đa 200 ký tự.", "The byline takes at most 200 characters."),
    "audience": ("Chọn đối tượng xem bài viết.", "Choose who may read the article."),
    "agencies": ("Mã cơ quan không hợp lệ.", "Invalid agency code."),
    "cover_asset_id": ("Ảnh bìa không hợp lệ.", "Invalid cover image."),
    "comment": (
        "Nhập nhận xét cho người viết (tối đa 2.000 ký tự).",
        "Write a comment for the writers (at most 2,000 characters).",
    ),
}
"""What to tell the person about a field the form could not read (msgspec names the field)."""

MENU = [
    MenuEntry(
        "/articles",
        "Bài viết",
        "Articles",
        WRITERS,
        group_vi="Truyền thông",
        group_en="Communications",
    )
]


async def attention(principal: Principal) -> list[Attention]:
    """Approvers: how many articles wait for review. Writers: their drafts an approver
    returned with a comment."""
    cards: list[Attention] = []
    if PUBLISHERS.admits(principal):
        waiting = await service.count_in_review(principal)
        cards.append(
            Attention(
                title_vi="Bài viết chờ duyệt",
                title_en="Articles waiting for review",
                href="/console/articles?status=in_review",
                count=waiting,
                tone="warn" if waiting else "ok",
            )
        )
    if WRITERS.admits(principal):
        returned = await service.count_returned_to(principal)
        if returned:
            cards.append(
                Attention(
                    title_vi="Bài viết bị trả lại",
                    title_en="Articles returned to you",
                    href="/console/articles?status=draft",
                    count=returned,
                    detail_vi="Người duyệt đã gửi nhận xét; sửa rồi gửi duyệt lại.",
                    detail_en="An approver left a comment; revise and submit again.",
                    tone="warn",
                )
            )
    return cards


# --- the form ---------------------------------------------------------------------------------


class FormState(msgspec.Struct, kw_only=True):
    """What the person typed, kept as typed to show again with the errors."""

    title: str = ""
    summary: str = ""
    body: str = ""
    topic: str = ""
    byline: str = ""
    audience: str = str(Audience.PUBLIC)
    agencies: list[str] = []
    cover_asset_id: str = ""

    @classmethod
    def of_form(cls, form: FormMultiDict) -> FormState:
        values: dict[str, Any] = {
            name: str(form.get(name) or "") for name in FIELDS if name != "agencies"
        }
        # Textareas send CR LF; the text is stored as typed in the API (LF).
        for name in ("summary", "body"):
            values[name] = values[name].replace("\r\n", "\n")
        values["agencies"] = [str(a) for a in form.getall("agencies", []) if a]
        return cls(**values)

    @classmethod
    def of_article(cls, article: Article) -> FormState:
        editorial = article.editorial
        return cls(
            title=article.title,
            summary=article.summary,
            body=editorial.body_markdown if editorial else "",
            topic=article.topic or "",
            byline=article.byline or "",
            audience=str(article.audience),
            agencies=list(editorial.agencies) if editorial else [],
            cover_asset_id=str(article.cover.asset_id) if article.cover else "",
        )

    def values(self) -> dict[str, Any]:
        """The API's fields (blank optional fields are null; agencies only for `agencies`)."""
        return {
            "title": self.title.strip(),
            "summary": self.summary,
            "body": self.body,
            "topic": self.topic.strip() or None,
            "byline": self.byline.strip() or None,
            "audience": self.audience,
            "agencies": self.agencies if self.audience == Audience.AGENCIES else [],
            "cover_asset_id": self.cover_asset_id or None,
        }


def _message(lang: str, field: str) -> str:
    vi, en = FIELD_ERRORS.get(field, FIELD_ERRORS["title"])
    return en if lang == "en" else vi


def _app_error_field(error: AppError) -> str | None:
    if isinstance(error, ArticleAudienceInvalid):
        return "audience"
    if isinstance(error, ArticleCoverInvalid | ArticleCoverNotPublic):
        return "cover_asset_id"
    if isinstance(error, ArticleBodyEmpty):
        return "body"
    return None


async def _cover_choices(
    settings: Settings, principal: Principal, chosen: str
) -> list[tuple[str, str]]:
    """The person's ready images (the media library's own list), newest first."""
    page = await media.list_assets(
        settings,
        principal,
        PageRequest(limit=100),
        kind=Kind.IMAGE,
        status=AssetStatus.READY,
    )
    choices = [(str(a.id), f"{a.original_filename} · {a.created_at:%d/%m/%Y}") for a in page.items]
    if chosen and chosen not in {value for value, _ in choices}:
        choices.insert(0, (chosen, chosen))
    return choices


async def _editor(
    request: AnyRequest,
    settings: Settings,
    *,
    state: FormState,
    article: Article | None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Template:
    principal = caller(request)
    assert principal is not None  # the route admits writers only
    context: dict[str, Any] = {
        "form": state,
        "article": article,
        "errors": errors or {},
        "problem": problem,
        "agencies": await list_agencies(),
        "covers": await _cover_choices(settings, principal, state.cover_asset_id),
        "audiences": AUDIENCE_LABELS,
        "preview_html": service.preview_body(principal, state.body),
        "statuses": STATUS_LABELS,
    }
    partial = is_partial(request) and status >= 400
    template = "articles/_form.html" if partial else "articles/editor.html"
    return render(request, template, status=status, **context)


def _lang(request: AnyRequest) -> str:
    return language_of(request)


async def _save(
    request: AnyRequest, settings: Settings, slug: str | None
) -> Template | Response[Any]:
    """Create or update from the editor's form, then (button `then=submit`) submit it."""
    principal = caller(request)
    form = await request.form()
    state = FormState.of_form(form)
    lang = _lang(request)
    article = await service.access_article(principal, slug) if slug else None
    try:
        if article is None:
            saved = await service.do_create_article(
                settings, principal, msgspec.convert(state.values(), ArticleCreate)
            )
        else:
            saved = await service.do_update_article(
                settings, principal, article.slug, msgspec.convert(state.values(), ArticleUpdate)
            )
        if form.get("then") == "submit":
            saved = await service.do_submit_article(principal, saved.slug)
    except (msgspec.ValidationError, AppError) as error:
        failure = form_failure(
            error,
            lang,
            messages=FIELD_ERRORS,
            field_of=_app_error_field,
        )
        return await _editor(
            request,
            settings,
            state=state,
            article=article,
            errors=failure.errors,
            problem=failure.problem,
            status=failure.status,
        )
    return redirect(request, f"/console/articles/{saved.slug}")


# --- the pages --------------------------------------------------------------------------------


def _choice(value: str | None, allowed: type[ArticleStatus] | type[Audience]) -> str | None:
    return value if value in {str(v) for v in allowed} else None


class ArticlePages(Controller):
    path = "/articles"

    @get("/", opt=access(WRITERS))
    async def list_page(
        self,
        request: AnyRequest,
        status: Annotated[str | None, QueryParameter(max_length=20)] = None,
        audience: Annotated[str | None, QueryParameter(max_length=20)] = None,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=512)] = None,
    ) -> Template:
        """Articles by status (approvers start on those in review, writers on drafts), with the
        API's filters and cursors."""
        principal = caller(request)
        assert principal is not None
        default = ArticleStatus.IN_REVIEW if PUBLISHERS.admits(principal) else ArticleStatus.DRAFT
        chosen = ArticleStatus(_choice(status, ArticleStatus) or default)
        audience_chosen = _choice(audience, Audience)
        page = await service.list_articles(
            principal,
            PageRequest(cursor=cursor or None, limit=PAGE_SIZE),
            query=q or None,
            status=chosen,
            audience=Audience(audience_chosen) if audience_chosen else None,
        )
        params = {"status": str(chosen), "audience": audience_chosen, "q": q, "cursor": cursor}
        return render(
            request,
            "articles/list.html",
            page=page,
            params=params,
            statuses=STATUS_LABELS,
            audiences=AUDIENCE_LABELS,
            status_chosen=str(chosen),
            audience_chosen=audience_chosen or "",
            q=q or "",
        )

    @get("/new", opt=access(WRITERS))
    async def new_page(self, request: AnyRequest, settings: NamedDependency[Settings]) -> Template:
        return await _editor(request, settings, state=FormState(), article=None)

    @post("/new", status_code=200, opt=access(WRITERS))
    async def create(
        self, request: AnyRequest, settings: NamedDependency[Settings]
    ) -> Template | Response[Any]:
        """`do_create_article` from the form (then `do_submit_article` if asked)."""
        return await _save(request, settings, None)

    @post("/preview", status_code=200, opt=access(WRITERS, transaction=False))
    async def preview(self, request: AnyRequest) -> Template:
        """The body as readers will see it: the API's own Markdown rendering and sanitizer."""
        form = await request.form()
        body = str(form.get("body") or "").replace("\r\n", "\n")
        html = service.preview_body(caller(request), body)
        return render(request, "articles/_preview.html", html=html)

    @get("/{slug:str}", opt=access(WRITERS))
    async def article_page(self, request: AnyRequest, slug: FromPath[str]) -> Template:
        principal = caller(request)
        article = await service.access_article(principal, slug)
        return render(
            request,
            "articles/article.html",
            article=article,
            statuses=STATUS_LABELS,
            audiences=AUDIENCE_LABELS,
            approver=principal is not None and PUBLISHERS.admits(principal),
        )

    @get("/{slug:str}/edit", opt=access(WRITERS))
    async def edit_page(
        self, request: AnyRequest, settings: NamedDependency[Settings], slug: FromPath[str]
    ) -> Template:
        article = await service.access_article(caller(request), slug)
        state = FormState.of_article(article)
        return await _editor(request, settings, state=state, article=article)

    @post("/{slug:str}/edit", status_code=200, opt=access(WRITERS))
    async def update(
        self, request: AnyRequest, settings: NamedDependency[Settings], slug: FromPath[str]
    ) -> Template | Response[Any]:
        """`do_update_article` from the form (then `do_submit_article` if asked)."""
        return await _save(request, settings, slug)

    @post("/{slug:str}/submit", status_code=200, opt=access(WRITERS))
    async def submit(self, request: AnyRequest, slug: FromPath[str]) -> Response[Any]:
        """`do_submit_article`: draft → in review."""
        article = await service.do_submit_article(caller(request), slug)
        return redirect(request, f"/console/articles/{article.slug}")

    @post("/{slug:str}/revise", status_code=200, opt=access(WRITERS))
    async def revise(
        self, request: AnyRequest, settings: NamedDependency[Settings], slug: FromPath[str]
    ) -> Response[Any]:
        """`do_revise_article`: to the editor of the (new or open) revision."""
        revision, _ = await service.do_revise_article(settings, caller(request), slug)
        return redirect(request, f"/console/articles/{revision.slug}/edit")

    @get("/{slug:str}/review", opt=access(PUBLISHERS))
    async def review_page(self, request: AnyRequest, slug: FromPath[str]) -> Template:
        article = await service.access_article(caller(request), slug)
        return _review(request, article)

    @post("/{slug:str}/publish", status_code=200, opt=access(PUBLISHERS))
    async def publish(
        self, request: AnyRequest, settings: NamedDependency[Settings], slug: FromPath[str]
    ) -> Template | Response[Any]:
        """`do_publish_article`; a refusal (the author, the last editor) shown on the page."""
        try:
            article = await service.do_publish_article(settings, caller(request), slug)
        except AppError as error:
            return await _refused(request, slug, error)
        return redirect(request, f"/console/articles/{article.slug}")

    @post("/{slug:str}/return", status_code=200, opt=access(PUBLISHERS))
    async def return_to_author(
        self, request: AnyRequest, slug: FromPath[str]
    ) -> Template | Response[Any]:
        """`do_return_article` with the approver's comment."""
        form = await request.form()
        comment = str(form.get("comment") or "").replace("\r\n", "\n").strip()
        try:
            data = msgspec.convert({"comment": comment}, ArticleReturn)
        except msgspec.ValidationError:
            error = _message(_lang(request), "comment")
            return await _refused(request, slug, None, comment=comment, comment_error=error)
        try:
            article = await service.do_return_article(caller(request), slug, data)
        except AppError as error:
            return await _refused(request, slug, error, comment=comment)
        return redirect(request, f"/console/articles/{article.slug}")

    @post("/{slug:str}/archive", status_code=200, opt=access(PUBLISHERS))
    async def archive(self, request: AnyRequest, slug: FromPath[str]) -> Template | Response[Any]:
        """`do_archive_article`."""
        try:
            article = await service.do_archive_article(caller(request), slug)
        except AppError as error:
            return await _refused(request, slug, error)
        return redirect(request, f"/console/articles/{article.slug}")


def _review(
    request: AnyRequest,
    article: Article,
    *,
    refusal: AppError | None = None,
    comment: str = "",
    comment_error: str | None = None,
    status: int = 200,
) -> Template:
    principal = caller(request)
    assert principal is not None  # approvers only
    assert article.editorial is not None
    lang = _lang(request)
    approved = article.editorial.approved
    added, removed = ("added", "removed") if lang == "en" else ("thêm", "bỏ")

    def diff(old: str, new: str) -> Any:
        return diff_html(old, new, added=added, removed=removed)

    own = principal.id in (article.editorial.author_id, article.editorial.content_edited_by)
    template = (
        "articles/_review_actions.html"
        if is_partial(request) and status >= 400
        else "articles/review.html"
    )
    return render(
        request,
        template,
        status=status,
        article=article,
        statuses=STATUS_LABELS,
        audiences=AUDIENCE_LABELS,
        approved=approved,
        title_diff=diff(approved.title if approved else "", article.title),
        summary_diff=diff(approved.summary if approved else "", article.summary),
        body_diff=diff(approved.body_markdown if approved else "", article.editorial.body_markdown),
        own=own,
        is_author=principal.id == article.editorial.author_id,
        refusal=refusal.detail(lang) if refusal else None,
        refusal_code=refusal.code if refusal else None,
        comment=comment,
        comment_error=comment_error,
    )


async def _refused(
    request: AnyRequest,
    slug: str,
    error: AppError | None,
    *,
    comment: str = "",
    comment_error: str | None = None,
) -> Template:
    """The review screen again, with why the action was refused next to its buttons."""
    article = await service.access_article(caller(request), slug)
    return _review(
        request,
        article,
        refusal=error,
        comment=comment,
        comment_error=comment_error,
        status=error.status if error else 422,
    )


PAGES: list[Any] = [ArticlePages]
