"""Sign-in (browser redirects under /auth), the app's token endpoint, the signed-in person,
and the administration of people, roles and units (system administrators)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from backend.access import PUBLIC, SIGNED_IN, Role, access, roles, signed_in
from backend.db import unit_of_work
from backend.errors import MalformedBody, UnsupportedMediaType
from backend.http.pagination import PageRequest, decode_cursor, encode_cursor, page_request
from backend.identity import errors as identity_errors
from backend.identity import keys, service
from backend.identity.errors import IdTokenError, SignInRefused, UnsupportedGrantType
from backend.identity.oidc import client_jwks, get_client
from backend.identity.schemas import (
    Agency,
    Department,
    GrantRequest,
    Jwks,
    LogoutResult,
    Me,
    PersonPage,
    PersonSummary,
    PoliceUnit,
    ProvisionRequest,
    RevokeRequest,
    RoleInfo,
    TokenPair,
    TokenRequest,
)
from backend.identity.sessions import (
    CSRF_COOKIE,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    cookie_is_secure,
)
from backend.problems import validation_failed
from backend.settings import Settings
from backend.web import FORM, NO_STORE, media_type_of, read_form

TOKEN_TYPES = (FORM, "application/json")
GRANT_TYPES = ("authorization_code", "refresh_token")
# Documented in the OpenAPI document (backend.openapi): what these routes answer besides the edge.
PROVIDER = (identity_errors.ProviderError,)
GRANT_ERRORS = tuple(identity_errors.GrantError.__subclasses__())
T = TypeVar("T")


async def _read_fields(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """A small body sent as a form (what OAuth clients send) or as a JSON object."""
    media_type = media_type_of(request)
    if media_type not in TOKEN_TYPES:
        raise UnsupportedMediaType(accepted=list(TOKEN_TYPES))
    if media_type == FORM:
        return await read_form(request)
    try:
        fields = msgspec.json.decode(await request.body() or b"{}")
    except (msgspec.DecodeError, UnicodeDecodeError):
        raise MalformedBody() from None
    if not isinstance(fields, dict):
        raise MalformedBody()
    return fields


def _convert(fields: dict[str, Any], type_: type[T]) -> T:
    try:
        return msgspec.convert(fields, type_)
    except msgspec.ValidationError as exc:
        raise validation_failed(exc) from None


class SignInController(Controller):
    """Browser redirects of the sign-in (mobile and web console) and logout."""

    path = "/auth"
    tags = ["sign-in"]

    # The sign-in redirects run without a request transaction: the provider's discovery
    # document is fetched (or found cached) first, and only then is a connection taken for
    # the one insert, so that a slow provider never holds the pool (or the public share).
    @get(
        "/mobile/authorize",
        opt=access(PUBLIC, transaction=False, throttle="authorize", problems=PROVIDER),
    )
    async def mobile_authorize(
        self,
        settings: NamedDependency[Settings],
        redirect_uri: Annotated[str, QueryParameter(max_length=500)],
        app_state: Annotated[str, QueryParameter(name="state", min_length=1, max_length=500)],
        code_challenge: Annotated[str | None, QueryParameter(max_length=200)] = None,
        code_challenge_method: Annotated[str | None, QueryParameter(max_length=10)] = None,
        login_hint: Annotated[str | None, QueryParameter(max_length=100)] = None,
    ) -> Redirect:
        """The app opens this in the system browser (RFC 8252); the backend runs the code
        flow with the identity provider and comes back to `redirect_uri` with a one-time
        code and the app's `state`."""
        await get_client(settings).metadata()
        async with unit_of_work():
            url = await service.begin_mobile_sign_in(
                settings,
                redirect_uri=redirect_uri,
                state=app_state,
                code_challenge=code_challenge,
                code_challenge_method=code_challenge_method,
                login_hint=login_hint,
            )
        return Redirect(url, status_code=302, headers=NO_STORE)

    @get("/login", opt=access(PUBLIC, transaction=False, throttle="authorize", problems=PROVIDER))
    async def web_login(
        self,
        settings: NamedDependency[Settings],
        return_to: Annotated[str | None, QueryParameter(max_length=500)] = None,
        login_hint: Annotated[str | None, QueryParameter(max_length=100)] = None,
    ) -> Redirect:
        """The web console's sign-in: to the provider, back to `return_to` with a session."""
        await get_client(settings).metadata()
        async with unit_of_work():
            url, binding = await service.begin_web_sign_in(
                settings, return_to=return_to, login_hint=login_hint
            )
        cookie = Cookie(
            key=LOGIN_COOKIE,
            value=binding,
            path="/auth",
            max_age=service.LOGIN_FLOW_MINUTES * 60,
            httponly=True,
            secure=cookie_is_secure(settings),
            samesite="lax",
        )
        return Redirect(url, status_code=302, headers=NO_STORE, cookies=[cookie])

    @get("/callback", opt=access(PUBLIC, transaction=False, throttle="callback", problems=PROVIDER))
    async def callback(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        flow_state: Annotated[str | None, QueryParameter(name="state", max_length=500)] = None,
        code: Annotated[str | None, QueryParameter(max_length=2000)] = None,
        error: Annotated[str | None, QueryParameter(max_length=200)] = None,
        iss: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Redirect:
        """Where the provider sends the browser back. Three short steps, no transaction held
        while the provider is called: consume the state, exchange and validate, sign in."""
        async with unit_of_work():
            flow = await service.consume_login_flow(flow_state, request.cookies.get(LOGIN_COOKIE))
        try:
            claims = await service.validate_callback(settings, flow, code, error, iss)
        except (SignInRefused, IdTokenError) as exc:
            if flow.kind != "mobile":
                raise
            # The system browser goes back to the app, which shows the failure (RFC 6749
            # §4.1.2.1); the precise reason travels as `error_code`.
            return Redirect(
                service.app_error_redirect(flow, exc.code), status_code=302, headers=NO_STORE
            )
        async with unit_of_work():
            outcome = await service.do_finish_sign_in(settings, flow, claims)
        if isinstance(outcome, service.MobileHandoff):
            return Redirect(outcome.redirect_to, status_code=302, headers=NO_STORE)
        secure = cookie_is_secure(settings)
        cookies = [
            Cookie(
                key=SESSION_COOKIE,
                value=outcome.session_token,
                path="/",
                max_age=outcome.max_age,
                httponly=True,
                secure=secure,
                samesite="lax",
            ),
            Cookie(
                key=CSRF_COOKIE,
                value=outcome.csrf_token,
                path="/",
                max_age=outcome.max_age,
                httponly=False,  # the console's script reads it into X-CSRF-Token
                secure=secure,
                samesite="strict",
            ),
            Cookie(key=LOGIN_COOKIE, value="", path="/auth", max_age=0, secure=secure),
        ]
        return Redirect(outcome.redirect_to, status_code=302, headers=NO_STORE, cookies=cookies)

    @post("/logout", status_code=HTTP_200_OK, opt=access(SIGNED_IN, idempotent=False))
    async def web_logout(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> Response[LogoutResult]:
        """End the web session (cookie and CSRF token required), or the refresh family of a
        bearer token sent here. `end_session_url`, when the provider has one, ends the
        provider's session too (RP-Initiated Logout): the console sends the browser there, so
        the next person at a shared computer must sign in anew."""
        await service.do_sign_out(signed_in(request))
        secure = cookie_is_secure(settings)
        return Response(
            LogoutResult(end_session_url=await service.end_session_url(settings)),
            headers=NO_STORE,
            cookies=[
                Cookie(key=SESSION_COOKIE, value="", path="/", max_age=0, secure=secure),
                Cookie(key=CSRF_COOKIE, value="", path="/", max_age=0, secure=secure),
            ],
        )

    @post(
        "/backchannel-logout",
        status_code=HTTP_200_OK,
        opt=access(
            PUBLIC, accepts=(FORM,), authenticate=False, idempotent=False, problems=PROVIDER
        ),
    )
    async def backchannel_logout(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> Response[None]:
        """OpenID Connect Back-Channel Logout 1.0: the provider ends a session; every session
        and refresh token of it here is revoked."""
        token = (await read_form(request)).get("logout_token", "")
        claims = await get_client(settings).validate_logout_token(token)
        await service.do_backchannel_logout(settings, claims)
        return Response(None, status_code=HTTP_200_OK, headers=NO_STORE)

    @get("/client-jwks", opt=access(PUBLIC, cache_control="public, max-age=300"))
    async def client_jwks(self, settings: NamedDependency[Settings]) -> Jwks:
        """Our client key for `private_key_jwt` (the provider's registration points here)."""
        return Jwks(keys=client_jwks(settings)["keys"])

    @get("/jwks", opt=access(PUBLIC, cache_control="public, max-age=300"))
    async def jwks(self, settings: NamedDependency[Settings]) -> Jwks:
        """Public keys verifying our access tokens (for services that accept them)."""
        return Jwks(keys=(await keys.public_jwks(settings))["keys"])


class TokenController(Controller):
    path = "/api/v1/auth"
    tags = ["sign-in"]

    @post(
        "/token",
        status_code=HTTP_200_OK,
        opt=access(PUBLIC, throttle="token", idempotent=False, problems=GRANT_ERRORS),
    )
    async def token(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> Response[TokenPair]:
        """The app's tokens: `grant_type=authorization_code` (the handoff code with the
        app's PKCE `code_verifier`) or `grant_type=refresh_token` (rotated at every use)."""
        fields = await _read_fields(request)
        if fields.get("grant_type") not in GRANT_TYPES:
            raise UnsupportedGrantType()
        data = _convert(fields, TokenRequest)
        if data.grant_type == "authorization_code":
            pair = await service.do_redeem_handoff_code(
                settings,
                code=data.code,
                code_verifier=data.code_verifier,
                redirect_uri=data.redirect_uri,
            )
        else:
            pair = await service.do_refresh(settings, data.refresh_token)
        return Response(pair, headers=NO_STORE)

    @post("/logout", status_code=HTTP_204_NO_CONTENT, opt=access(SIGNED_IN, idempotent=False))
    async def logout(self, request: Request[Any, Any, Any]) -> None:
        """Sign the app out: its refresh-token family is revoked (and with it the access
        token, at once). Optional body: `{"refresh_token": …}`."""
        body = await request.body()
        refresh: str | None = None
        if body:
            refresh = _convert(await _read_fields(request), RevokeRequest).refresh_token
        await service.do_sign_out(signed_in(request), refresh)


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["people"]

    @get("/", opt=access(SIGNED_IN, transaction="read", profile=True))
    async def me(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Me:
        """The signed-in person: profile, roles, agency and police unit memberships."""
        session_token = request.scope.get("ctn.session_token")  # set by AuthenticationMiddleware
        return await service.get_me(
            signed_in(request), settings, session_token if isinstance(session_token, str) else None
        )


ADMIN = roles(Role.SYSTEM_ADMIN)


class PeopleController(Controller):
    """People and their roles, administered by system administrators (every change audited)."""

    path = "/api/v1/people"
    tags = ["people"]
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get("/", opt=access(ADMIN))
    async def list_people(
        self,
        request: Request[Any, Any, Any],
        page: NamedDependency[PageRequest],
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
        role: Annotated[Role | None, QueryParameter()] = None,
    ) -> PersonPage:
        """Search by personal identification number (exact) or name; filter by role."""
        after = decode_cursor(page.cursor, "people", (uuid.UUID,))[0] if page.cursor else None
        items = await service.access_people(
            signed_in(request), q=q, role=role, after=after, limit=page.limit + 1
        )
        more = len(items) > page.limit
        items = items[: page.limit]
        return PersonPage(
            items=items,
            next_cursor=encode_cursor("people", (str(items[-1].id),)) if more else None,
        )

    @post("/", opt=access(ADMIN))
    async def provision(
        self, request: Request[Any, Any, Any], data: JSONBody[ProvisionRequest]
    ) -> PersonSummary:
        """Add a staff member by identification number before their first sign-in, so that
        roles can be granted ahead (idempotent: returns the existing person)."""
        return await service.do_provision_person(
            data.personal_id, data.full_name, actor=signed_in(request).id
        )

    @get("/{person_id:uuid}/roles", opt=access(ADMIN))
    async def person_roles(self, person_id: FromPath[uuid.UUID]) -> list[RoleInfo]:
        return await service.get_person_roles(person_id)

    @post("/{person_id:uuid}/roles", opt=access(ADMIN))
    async def grant_role(
        self,
        request: Request[Any, Any, Any],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[GrantRequest],
    ) -> RoleInfo:
        """Grant a role (with its agency, police unit or communes); audited with the reason."""
        return await service.do_grant_role(
            person_id,
            data.role,
            granted_by=signed_in(request).id,
            reason=data.reason,
            agency=data.agency,
            police_unit=data.police_unit,
            communes=data.communes,
            department=data.department,
            manager=data.manager,
        )

    @delete(
        "/{person_id:uuid}/roles/{role:str}",
        status_code=HTTP_204_NO_CONTENT,
        opt=access(ADMIN),
    )
    async def revoke_role(
        self,
        request: Request[Any, Any, Any],
        person_id: FromPath[uuid.UUID],
        role: FromPath[Role],
        reason: Annotated[str, QueryParameter(min_length=3, max_length=500)],
    ) -> None:
        """Revoke a role; it stops working at the person's next request. Audited."""
        await service.do_revoke_role(
            person_id, role, revoked_by=signed_in(request).id, reason=reason
        )


class UnitsController(Controller):
    """Agencies and police units (memberships are given with roles)."""

    path = "/api/v1"
    tags = ["people"]

    @get("/agencies", opt=access(SIGNED_IN))
    async def agencies(self) -> list[Agency]:
        return await service.list_agencies()

    @get("/departments", opt=access(SIGNED_IN))
    async def departments(
        self,
        agency: Annotated[
            str | None, QueryParameter(max_length=40, description="one agency's departments")
        ] = None,
    ) -> list[Department]:
        """The departments civil servants' grants name, per agency, with their sizes."""
        return await service.list_departments([agency] if agency else None)

    @post("/agencies", opt=access(ADMIN))
    async def upsert_agency(
        self, request: Request[Any, Any, Any], data: JSONBody[Agency]
    ) -> Agency:
        await service.do_upsert_agency(data, actor=signed_in(request).id)
        return data

    @get("/police-units", opt=access(SIGNED_IN))
    async def police_units(self) -> list[PoliceUnit]:
        return await service.list_police_units()

    @post("/police-units", opt=access(ADMIN))
    async def upsert_police_unit(
        self, request: Request[Any, Any, Any], data: JSONBody[PoliceUnit]
    ) -> PoliceUnit:
        await service.do_upsert_police_unit(data, actor=signed_in(request).id)
        return data


ROUTE_HANDLERS = [
    SignInController,
    TokenController,
    MeController,
    PeopleController,
    UnitsController,
]
