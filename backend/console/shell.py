"""The staff web console's shell: layout, menu, language, errors, assets, and the pages every
role shares (landing, home, language switch, sign-out).

Each domain adds its pages in its own `pages.py`, named by `pages=` in `backend.domains`:

- `PAGES`: its route handlers (controllers whose paths are relative to `/console`), declaring
  access rules like any route (`opt=access(roles(...))`);
- `MENU`: `MenuEntry`s, shown to whoever the entry's rule admits;
- optionally `async def attention(principal) -> list[Attention]`: what needs that person's
  attention, shown on the home page;
- templates in the `templates/` folder beside it (name them `<domain>/…html`), assets in
  `static/` (served under `/console/static/`).

Pages call the same services as the API. A page answers HTML; an unsigned visitor is sent to
the landing page to sign in; a refused or missing page is the same 403/404 as the API, as a
page. Forms are sent by `console.js` with the session's CSRF token in `X-CSRF-Token`.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.params import PathParameter, QueryParameter
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_303_SEE_OTHER
from litestar.template.config import TemplateConfig

from backend import domains
from backend.access import PUBLIC, SIGNED_IN, STAFF_ROLES, Principal, Rule, caller, roles
from backend.console import charts, format
from backend.errors import NotFound
from backend.identity import service as identity
from backend.problems import to_app_error
from backend.settings import Settings, get_settings

log = logging.getLogger(__name__)

ROOT = "/console"
LANG_COOKIE = "ctn_lang"
LANGUAGES = ("vi", "en")
HERE = Path(__file__).parent
STAFF = roles(*STAFF_ROLES)
"""Every console page but the landing page: any staff role (a citizen has no console)."""
HTML = "text/html; charset=utf-8"


@functools.cache
def security_headers() -> dict[str, str]:
    return security_headers_for(get_settings())


def security_headers_for(settings: Settings) -> dict[str, str]:
    """Everything the console loads comes from this app (and, with S3 storage, media from
    the bucket's presigned URLs); nothing inline runs."""
    media = "'self'"
    if settings.storage_backend == "s3":
        if settings.s3_endpoint_url:
            parts = urlsplit(settings.s3_endpoint_url)
            media += f" {parts.scheme}://{parts.netloc}"
        else:
            media += f" https://*.s3.{settings.s3_region}.amazonaws.com"
            media += f" https://s3.{settings.s3_region}.amazonaws.com"
    return {
        "Content-Security-Policy": (
            f"default-src 'self'; script-src 'self'; style-src 'self'; img-src {media} data: blob:;"
            f" media-src {media} blob:; connect-src 'self'; object-src 'none'; base-uri 'none';"
            " frame-ancestors 'none'; form-action 'self'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }


FORM = "application/x-www-form-urlencoded"
NextPage = Annotated[str | None, QueryParameter(name="next", max_length=500)]


def access(rule: Rule, **other: Any) -> dict[str, Any]:
    """Route options of a console page: its access rule, the form body it accepts."""
    return {"access": rule, "accepts": (FORM,), **other}


@dataclass(frozen=True)
class MenuEntry:
    href: str
    """Path under /console (`/articles`)."""
    label_vi: str
    label_en: str
    rule: Rule
    group_vi: str = "Chung"
    group_en: str = "General"


@dataclass(frozen=True)
class Attention:
    """A card on the home page: something a person should look at, and where."""

    title_vi: str
    title_en: str
    href: str
    count: int | None = None
    detail_vi: str = ""
    detail_en: str = ""
    tone: str = "info"
    """`info`, `ok`, `warn` or `bad` (colour and icon of the card)."""


AttentionSource = Callable[[Principal], Awaitable[list[Attention]]]


@dataclass(frozen=True)
class PageModule:
    handlers: Sequence[Any]
    menu: Sequence[MenuEntry]
    attention: AttentionSource | None
    templates: Path | None
    static: Path | None


def page_modules() -> list[PageModule]:
    """The `pages` module of every registered domain, in the order of the list."""
    found = []
    for name in domains.page_modules():
        module = importlib.import_module(name)
        found.append(_page_module(module))
    return found


def _page_module(module: ModuleType) -> PageModule:
    folder = Path(inspect.getfile(module)).parent
    attention = getattr(module, "attention", None)
    return PageModule(
        handlers=list(getattr(module, "PAGES", [])),
        menu=list(getattr(module, "MENU", [])),
        attention=attention,
        templates=folder / "templates" if (folder / "templates").is_dir() else None,
        static=folder / "static" if (folder / "static").is_dir() else None,
    )


# --- language, context and rendering ----------------------------------------------------------


def language_of(request: Request[Any, Any, Any]) -> str:
    """The console's language: the reader's choice (cookie), Vietnamese by default."""
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGUAGES else "vi"


@pass_context
def _t(context: Context, vi: str, en: str) -> str:
    """`{{ t("Bài viết", "Articles") }}`: the text in the page's language."""
    return en if context.get("lang") == "en" else vi


def is_partial(request: Request[Any, Any, Any]) -> bool:
    """Asked by console.js for a part of a page (it sends `HX-Request`, as htmx does)."""
    return request.headers.get("hx-request") == "true"


def menu_for(principal: Principal | None) -> list[MenuEntry]:
    if principal is None:
        return []
    return [entry for module in _modules() for entry in module.menu if entry.rule.admits(principal)]


def url(path: str, **query: Any) -> str:
    """A console URL with its query (empty values left out): `url("/articles", status="draft")`."""
    clean = {k: v for k, v in query.items() if v not in (None, "", [])}
    target = ROOT + path
    return f"{target}?{urlencode(clean, doseq=True)}" if clean else target


def render(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    """A console page (or, for console.js, the part of one the template renders alone)."""
    principal = caller(request)
    lang = language_of(request)
    base = {
        "request": request,
        "principal": principal,
        "lang": lang,
        "menu": menu_for(principal),
        "path": request.url.path,
        "query": request.url.query,
        "partial": is_partial(request),
        "url": url,
    }
    return Template(
        template_name=template,
        context=base | context,
        status_code=status,
        media_type=HTML,
        headers={**security_headers(), **(headers or {})},
    )


def redirect(request: Request[Any, Any, Any], to: str) -> Response[Any]:
    """After a form: console.js follows `HX-Redirect`; a plain browser follows the 303."""
    if is_partial(request):
        return Response(b"", status_code=204, headers={"HX-Redirect": to})
    return Redirect(to, status_code=HTTP_303_SEE_OTHER)


def environment(directories: Sequence[Path]) -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(d) for d in directories]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["t"] = _t
    env.globals["bar_chart"] = charts.bar_chart
    env.globals["Bar"] = charts.Bar
    env.filters["dt"] = format.datetime_vn
    env.filters["date"] = format.date_vn
    env.filters["iso"] = format.iso
    env.filters["num"] = format.number_vn
    env.filters["vnd"] = format.vnd
    env.filters["size"] = format.size_vn
    env.filters["dict_without"] = lambda d, key: {k: v for k, v in d.items() if k != key}
    env.filters["dict_with"] = lambda d, key, value: {**d, key: value}
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    directories = [HERE / "templates"] + [m.templates for m in _modules() if m.templates]
    env = environment(directories)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))


# --- errors as pages ---------------------------------------------------------------------------


def page_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every error of a console page as a page with the same status as the API's answer.
    Not signed in (or the session ended): to the landing page, which signs in and comes back."""
    error = to_app_error(exc, request)
    if error.status == 401:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        landing = f"{ROOT}/?{urlencode({'next': back})}"
        if is_partial(request):
            return Response(b"", status_code=401, headers={"HX-Redirect": landing})
        return Redirect(landing, status_code=HTTP_303_SEE_OTHER)
    if error.status >= 500:
        log.error("console page failed", exc_info=exc)
    if is_partial(request):
        # A form's answer: the message goes to the page's status region (htmx's headers),
        # the form stays as the person filled it.
        return render(
            request,
            "console/error_fragment.html",
            status=error.status,
            error=error,
            detail=error.detail(language_of(request)),
            headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
        )
    return render(
        request,
        "console/error.html",
        status=error.status,
        error=error,
        detail=error.detail(language_of(request)),
        headers=dict(getattr(error, "headers", None) or {}),
    )


# --- the shell's own pages ---------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    """A console path to come back to after sign-in or a language switch (never elsewhere)."""
    if value and value.startswith(ROOT) and not value.startswith(("//", "/\\")):
        return value
    return ROOT + "/"


@get("/", opt=access(PUBLIC), include_in_schema=False)
async def landing(
    request: Request[Any, Any, Any],
    next_page: NextPage = None,
) -> Template:
    """Signed out: what the console is and a button to sign in. Staff: their home page, with
    what needs their attention. A citizen: the same refusal as the API (403)."""
    principal = caller(request)
    if principal is None:
        back = _safe_next(next_page)
        sign_in = "/auth/login?" + urlencode({"return_to": back})
        return render(request, "console/landing.html", sign_in=sign_in)
    if not principal.is_staff:
        return render(request, "console/no_console.html", status=403)
    cards: list[Attention] = []
    for module in _modules():
        if module.attention is not None:
            cards.extend(await module.attention(principal))
    return render(request, "console/home.html", cards=cards)


@get("/lang/{code:str}", opt=access(PUBLIC, transaction=False), include_in_schema=False)
async def switch_language(
    code: Annotated[str, PathParameter(max_length=5)], next_page: NextPage = None
) -> Response[Any]:
    """Switch the console's language (kept for a year in a cookie) and go back."""
    response: Response[Any] = Redirect(_safe_next(next_page), status_code=HTTP_303_SEE_OTHER)
    if code in LANGUAGES:
        response.set_cookie(
            Cookie(key=LANG_COOKIE, value=code, path="/", max_age=365 * 24 * 3600, samesite="lax")
        )
    return response


@post("/sign-out", opt=access(SIGNED_IN, idempotent=False), include_in_schema=False)
async def sign_out(
    request: Request[Any, Any, Any], everywhere: Annotated[bool, QueryParameter()] = False
) -> Response[Any]:
    """End this web session (or, `?everywhere=true`, every session and app sign-in of the
    person), clear the cookies, and leave through the provider's logout when it has one."""
    settings = get_settings()
    principal = caller(request)
    if principal is not None:
        if everywhere:
            await identity.do_sign_out_everywhere(principal)
        else:
            await identity.do_sign_out(principal)
    to = await identity.end_session_url(settings) or ROOT + "/"
    response = redirect(request, to)
    secure = identity.cookie_is_secure(settings)
    for name in (identity.SESSION_COOKIE, identity.CSRF_COOKIE):
        response.set_cookie(Cookie(key=name, value="", path="/", max_age=0, secure=secure))
    return response


@get("/{rest:path}", opt=access(STAFF), include_in_schema=False)
async def no_such_page(rest: Annotated[str, PathParameter()]) -> None:
    """A console path no page serves: the 404 page (after sign-in, as for any page)."""
    raise NotFound()


@get("/", opt=access(PUBLIC, transaction=False), include_in_schema=False)
async def site_root() -> Redirect:
    """The site's root (where the provider's logout comes back): the console's landing."""
    return Redirect(ROOT + "/", status_code=HTTP_303_SEE_OTHER)


def _modules() -> list[PageModule]:
    global _loaded
    if _loaded is None:
        _loaded = page_modules()
    return _loaded


_loaded: list[PageModule] | None = None


def router(settings: Settings) -> list[Any]:
    """The console's routes (every domain's pages under `/console`, errors as pages) and its
    assets."""
    modules = _modules()
    handlers: list[Any] = [landing, switch_language, sign_out, no_such_page]
    for module in modules:
        handlers.extend(module.handlers)
    directories: list[Path | os.PathLike[Any] | str] = [HERE / "static"]
    directories += [m.static for m in modules if m.static]
    return [
        site_root,
        Router(
            path=ROOT,
            route_handlers=handlers,
            exception_handlers={Exception: page_error},
            include_in_schema=False,
        ),
        create_static_files_router(
            path=f"{ROOT}/static",
            directories=directories,
            opt={"access": PUBLIC, "transaction": False},
            include_in_schema=False,
            cache_control=None,
        ),
    ]
