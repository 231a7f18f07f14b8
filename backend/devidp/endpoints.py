"""HTTP face of the development identity provider, under /dev-idp."""

from __future__ import annotations

import base64
import binascii
from html import escape
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_200_OK

from backend.access import PUBLIC, access
from backend.devidp import service
from backend.devidp.errors import DevIdpError
from backend.devidp.people import BY_PERSONAL_ID, PEOPLE
from backend.settings import Settings
from backend.web import FORM, NO_STORE, read_form

# The provider's endpoints read their own credentials (client secret, its access tokens) and
# issue credentials, which are never replayed from an idempotency record.
OPEN = access(PUBLIC, anonymous=True, authenticate=False, idempotent=False)


class DemoUser(msgspec.Struct, kw_only=True):
    personal_id: str
    full_name: str
    title: str
    roles: list[str]
    agency: str | None
    police_unit: str | None
    communes: list[str]


def _basic(request: Request[Any, Any, Any]) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


def _picker(query: dict[str, str]) -> str:
    rows = []
    for person in PEOPLE:
        link = "/dev-idp/authorize?" + urlencode({**query, "login_hint": person.personal_id})
        rows.append(
            f'<li><a href="{escape(link)}"><strong>{escape(person.full_name)}</strong></a>'
            f"<br><small>{escape(person.title)} · CCCD {escape(person.personal_id)}</small></li>"
        )
    return (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Đăng nhập thử nghiệm — VNeID (bản phát triển)</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;"
        "padding:0 1rem}li{margin:.6rem 0}small{color:#555}</style></head><body>"
        "<h1>Đăng nhập thử nghiệm</h1>"
        "<p>Nhà cung cấp định danh <em>dành cho phát triển</em>: chọn một người dân hoặc cán bộ "
        "mẫu để đăng nhập. (Development identity provider: pick a demo person.)</p>"
        f"<ul>{''.join(rows)}</ul></body></html>"
    )


class DevIdentityProviderController(Controller):
    path = "/dev-idp"
    tags = ["development identity provider"]
    include_in_schema = False

    @get("/.well-known/openid-configuration", opt=OPEN)
    async def discovery(self, settings: NamedDependency[Settings]) -> dict[str, Any]:
        return service.metadata(settings)

    @get("/jwks", opt={**OPEN, "cache_control": "public, max-age=3600"})
    async def jwks(self) -> dict[str, Any]:
        return await service.jwks()

    @get("/authorize", opt=OPEN)
    async def authorize(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
    ) -> Response[str] | Redirect:
        """A picker of the demo people; `login_hint=<personal id>` signs that person in at
        once (for scripts and tests)."""
        query = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
        try:
            auth = msgspec.convert(query, service.AuthorizeRequest, strict=False)
        except msgspec.ValidationError as exc:
            raise DevIdpError("invalid_request", str(exc)) from None
        service.check_authorize(settings, auth)
        error = service.redirect_error(auth)
        # Every authorization response names this provider (RFC 9207).
        iss = {"iss": service.issuer(settings)}
        if error:
            params = {"error": error, **({"state": auth.state} if auth.state else {}), **iss}
            return Redirect(f"{auth.redirect_uri}?{urlencode(params)}", status_code=302)
        person = BY_PERSONAL_ID.get(auth.login_hint or "")
        if person is None:
            page_query = {k: v for k, v in query.items() if k != "login_hint"}
            return Response(
                _picker(page_query), media_type="text/html; charset=utf-8", headers=NO_STORE
            )
        code = await service.do_issue_code(auth, person)
        params = {"code": code, **({"state": auth.state} if auth.state else {}), **iss}
        return Redirect(f"{auth.redirect_uri}?{urlencode(params)}", status_code=302)

    @post("/token", status_code=HTTP_200_OK, opt=OPEN)
    async def token(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> Response[dict[str, Any]]:
        result = await service.do_token(settings, await read_form(request), _basic(request))
        return Response(result, headers=NO_STORE)

    @get("/userinfo", opt=OPEN)
    async def userinfo(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> dict[str, Any]:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            raise DevIdpError("invalid_token", "a Bearer token is required", status=401)
        return await service.userinfo(settings, token.strip())

    @get("/users", opt=OPEN)
    async def users(self) -> list[DemoUser]:
        """The demo people this provider can sign in, with the roles the demo gives them."""
        return [
            DemoUser(
                personal_id=p.personal_id,
                full_name=p.full_name,
                title=p.title,
                roles=["citizen", *p.roles],
                agency=p.agency,
                police_unit=p.police_unit,
                communes=list(p.communes),
            )
            for p in PEOPLE
        ]

    @post("/rotate-key", status_code=HTTP_200_OK, opt=OPEN)
    async def rotate_key(self) -> dict[str, str]:
        """Switch to a new signing key (the old one stays published)."""
        return {"kid": await service.do_rotate_key()}

    @get("/end-session", opt=OPEN)
    async def end_session(
        self,
        settings: NamedDependency[Settings],
        client_id: Annotated[str, QueryParameter(max_length=100)],
        post_logout_redirect_uri: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Redirect:
        """RP-Initiated Logout: this provider keeps no browser session, so there is nothing
        to end here; it checks the client and returns to the registered address."""
        if client_id != settings.oidc_client_id:
            raise DevIdpError("invalid_client", "unknown client_id")
        home = f"{settings.base_url}/"
        if post_logout_redirect_uri not in (None, home):
            raise DevIdpError("invalid_request", "post_logout_redirect_uri is not registered")
        return Redirect(home, status_code=302)

    @post("/logout", status_code=HTTP_200_OK, opt={**OPEN, "accepts": (FORM,)})
    async def logout(
        self,
        settings: NamedDependency[Settings],
        sid: Annotated[str | None, QueryParameter(max_length=64)] = None,
        personal_id: Annotated[str | None, QueryParameter(max_length=12)] = None,
    ) -> dict[str, Any]:
        """End a provider session (by `sid`) or all of a person's: the relying party is told
        through Back-Channel Logout, as the national provider would."""
        if not sid and not personal_id:
            raise DevIdpError("invalid_request", "sid or personal_id is required")
        token = await service.logout_token(settings, sid=sid, personal_id=personal_id)
        status = await service.send_backchannel_logout(settings, token)
        return {"backchannel_status": status}
