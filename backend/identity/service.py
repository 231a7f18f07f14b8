"""Sign-in, our tokens and sessions, people and their roles.

The backend is the provider's confidential client for the mobile app and the web console
(backend-for-frontend): it runs the code flow with the provider, then hands the app a
one-time code redeemable with the app's own PKCE verifier, or gives the browser a session
cookie. Tokens and codes are random 256-bit values stored only as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import msgspec
from msgspec import UNSET

from backend import security_events
from backend.access import STAFF_ROLES, Principal, Role
from backend.audit.service import do_record
from backend.hashing import b64url, pkce_s256, sha256_hex
from backend.identity import keys, repository
from backend.identity.errors import (
    AgencyNotFound,
    AuthorizationResponseIssuerMismatch,
    CannotRevokeOwnAdmin,
    HandoffCodeInvalid,
    HandoffRedirectMismatch,
    InvalidToken,
    LoginStateInvalid,
    MembershipRequired,
    PersonNotFound,
    PkceMismatch,
    PkceRequired,
    PoliceUnitNotFound,
    ProviderError,
    RedirectUriNotAllowed,
    RefreshTokenInvalid,
    RefreshTokenReused,
    RoleNotGranted,
    SessionExpired,
    SignInRefused,
)
from backend.identity.oidc import get_client
from backend.identity.repository import (
    GrantRow,
    HandoffCodeRow,
    LoginFlowRow,
    PersonIdentity,
    PersonRow,
    PrincipalRow,
    RefreshFamilyRow,
    RefreshTokenRow,
    WebSessionRow,
)
from backend.identity.schemas import (
    Agency,
    Me,
    Membership,
    PersonSummary,
    PoliceUnit,
    RoleInfo,
    TokenPair,
)
from backend.settings import Settings

LOGIN_FLOW_MINUTES = 10
HANDOFF_SECONDS = 60
SESSION_HOURS = 12
TOUCH_EVERY = timedelta(seconds=30)
_CODE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43,128}$")
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


def _now() -> datetime:
    return datetime.now(UTC)


def callback_url(settings: Settings) -> str:
    return f"{settings.base_url}/auth/callback"


# --- starting a sign-in --------------------------------------------------------------------------


async def _provider_redirect(
    settings: Settings,
    login_hint: str | None,
    *,
    kind: str,
    app_redirect_uri: str | None = None,
    app_state: str | None = None,
    app_code_challenge: str | None = None,
    return_to: str | None = None,
    browser_hash: str | None = None,
) -> str:
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    now = _now()
    await repository.insert_login_flow(
        LoginFlowRow(
            state_hash=sha256_hex(state),
            kind=kind,
            nonce=nonce,
            code_verifier=verifier,
            app_redirect_uri=app_redirect_uri,
            app_state=app_state,
            app_code_challenge=app_code_challenge,
            return_to=return_to,
            browser_hash=browser_hash,
            created_at=now,
            expires_at=now + timedelta(minutes=LOGIN_FLOW_MINUTES),
        )
    )
    metadata = await get_client(settings).metadata()
    query = {
        "response_type": "code",
        "client_id": settings.oidc_client_id,
        "redirect_uri": callback_url(settings),
        "scope": settings.oidc_scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": pkce_s256(verifier),
        "code_challenge_method": "S256",
    }
    if login_hint:
        query["login_hint"] = login_hint
    if settings.oidc_acr_values:
        query["acr_values"] = settings.oidc_acr_values
    separator = "&" if "?" in metadata.authorization_endpoint else "?"
    return f"{metadata.authorization_endpoint}{separator}{urlencode(query)}"


async def begin_mobile_sign_in(
    settings: Settings,
    *,
    redirect_uri: str,
    state: str,
    code_challenge: str | None,
    code_challenge_method: str | None,
    login_hint: str | None,
) -> str:
    """Check the app's request and return the provider's authorization URL to go to."""
    if redirect_uri not in settings.mobile_redirects:
        raise RedirectUriNotAllowed()
    if (
        not code_challenge
        or code_challenge_method != "S256"
        or not _CODE_CHALLENGE.match(code_challenge)
    ):
        raise PkceRequired()
    return await _provider_redirect(
        settings,
        login_hint,
        kind="mobile",
        app_redirect_uri=redirect_uri,
        app_state=state,
        app_code_challenge=code_challenge,
    )


def safe_return_to(value: str | None) -> str:
    """A same-origin path to land on after a web sign-in (never another site)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/api/v1/me"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/api/v1/me"
    return value


async def begin_web_sign_in(
    settings: Settings, *, return_to: str | None, login_hint: str | None
) -> tuple[str, str]:
    """The provider's authorization URL, and a value for the browser-binding cookie."""
    binding = secrets.token_urlsafe(32)
    url = await _provider_redirect(
        settings,
        login_hint,
        kind="web",
        return_to=safe_return_to(return_to),
        browser_hash=sha256_hex(binding),
    )
    return url, binding


# --- finishing a sign-in -------------------------------------------------------------------------


class MobileHandoff(msgspec.Struct, frozen=True):
    redirect_to: str


class WebSignIn(msgspec.Struct, frozen=True):
    session_token: str
    csrf_token: str
    redirect_to: str
    max_age: int


async def consume_login_flow(state: str | None, browser_binding: str | None) -> LoginFlowRow:
    """The sign-in this callback belongs to; single use. Commit before talking to the
    provider, so a state can never be replayed."""
    if not state:
        raise LoginStateInvalid()
    flow = await repository.consume_login_flow(sha256_hex(state), _now())
    if flow is None:
        security_events.emit("login_state_rejected", code=LoginStateInvalid.code)
        raise LoginStateInvalid()
    if flow.kind == "web" and (
        not browser_binding
        or not hmac.compare_digest(sha256_hex(browser_binding), flow.browser_hash or "")
    ):
        security_events.emit("login_state_rejected", code="browser_binding_mismatch")
        raise LoginStateInvalid()
    return flow


async def validate_callback(
    settings: Settings,
    flow: LoginFlowRow,
    code: str | None,
    error: str | None,
    iss: str | None = None,
) -> dict[str, Any]:
    """Check the authorization response, exchange the provider's code and validate the ID
    token (no database work: runs outside any transaction). Returns the identity claims,
    userinfo merged in."""
    client = get_client(settings)
    metadata = await client.metadata()
    # RFC 9207 §2.4: an `iss` present must be our provider's; a provider that says it always
    # sends one must have sent it.
    if (iss is not None or metadata.authorization_response_iss_parameter_supported) and (
        iss != client.issuer
    ):
        security_events.emit(
            "authorization_response_rejected",
            code=AuthorizationResponseIssuerMismatch.code,
            iss="missing" if iss is None else "mismatch",
        )
        raise AuthorizationResponseIssuerMismatch()
    if error or not code:
        security_events.emit("sign_in_refused_by_provider", code=(error or "no_code")[:40])
        raise SignInRefused()
    tokens = await client.exchange_code(code, flow.code_verifier, callback_url(settings))
    claims = await client.validate_id_token(tokens.id_token, nonce=flow.nonce)
    if tokens.access_token and _claim(settings, claims, "personal_id") is None:
        info = await client.userinfo(tokens.access_token)
        if info.get("sub") == claims["sub"]:
            claims = {**info, **claims}
    return claims


async def do_finish_sign_in(
    settings: Settings, flow: LoginFlowRow, claims: dict[str, Any]
) -> MobileHandoff | WebSignIn:
    """Record the person and the sign-in; a handoff code for the app or a web session."""
    person_id = await do_sign_in_person(settings, claims)
    sid = claims.get("sid") if isinstance(claims.get("sid"), str) else None
    acr = claims.get("acr") if isinstance(claims.get("acr"), str) else None
    now = _now()
    await do_record(
        "auth.sign_in",
        actor_id=str(person_id),
        object_type="person",
        object_id=str(person_id),
        details={"client": flow.kind, "acr": acr},
    )
    if flow.kind == "mobile":
        app_redirect_uri = _app_redirect_uri(flow)
        code = secrets.token_urlsafe(32)
        await repository.insert_handoff_code(
            HandoffCodeRow(
                code_hash=sha256_hex(code),
                person=person_id,
                # Stored with every mobile flow; were it missing, no verifier would match.
                code_challenge=flow.app_code_challenge or "",
                redirect_uri=app_redirect_uri,
                provider_sid=sid,
                acr=acr,
                expires_at=now + timedelta(seconds=HANDOFF_SECONDS),
            )
        )
        query = urlencode({"code": code, "state": flow.app_state or ""})
        separator = "&" if "?" in app_redirect_uri else "?"
        return MobileHandoff(redirect_to=f"{app_redirect_uri}{separator}{query}")
    token = secrets.token_urlsafe(32)
    await repository.insert_web_session(
        WebSessionRow(
            id=uuid.uuid4(),
            token_hash=sha256_hex(token),
            person=person_id,
            provider_sid=sid,
            acr=acr,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
        )
    )
    return WebSignIn(
        session_token=token,
        csrf_token=csrf_token_for(settings, token),
        redirect_to=flow.return_to or "/api/v1/me",
        max_age=SESSION_HOURS * 3600,
    )


def _app_redirect_uri(flow: LoginFlowRow) -> str:
    if flow.app_redirect_uri is None:  # begin_mobile_sign_in always stores one
        raise LoginStateInvalid()
    return flow.app_redirect_uri


def app_error_redirect(flow: LoginFlowRow, code: str) -> str:
    """The app's redirect URI carrying a failed sign-in (`access_denied` and our code)."""
    app_redirect_uri = _app_redirect_uri(flow)
    query = urlencode({"error": "access_denied", "error_code": code, "state": flow.app_state})
    separator = "&" if "?" in app_redirect_uri else "?"
    return f"{app_redirect_uri}{separator}{query}"


def _claim(settings: Settings, claims: dict[str, Any], name: str) -> Any:
    return claims.get(getattr(settings, f"oidc_claim_{name}"))


def _identity(settings: Settings, claims: dict[str, Any]) -> PersonIdentity:
    """The person's identity from the provider's claims (names configurable); values of the
    wrong shape are left unstated rather than stored."""
    personal_id = _claim(settings, claims, "personal_id")
    name = _claim(settings, claims, "name")
    birth = _claim(settings, claims, "birth_date")
    gender = _claim(settings, claims, "gender")
    address = _claim(settings, claims, "address")
    if isinstance(address, dict):
        address = ", ".join(str(v) for v in address.values() if v)
    return PersonIdentity(
        personal_id=personal_id
        if isinstance(personal_id, str) and re.fullmatch(r"\d{12}", personal_id)
        else UNSET,
        full_name=name.strip()[:200] if isinstance(name, str) and name.strip() else UNSET,
        birth_date=_parse_birth_date(birth) if isinstance(birth, str) else UNSET,
        gender=gender.strip()[:20] if isinstance(gender, str) and gender.strip() else UNSET,
        address=address.strip()[:500] if isinstance(address, str) and address.strip() else UNSET,
    )


def _parse_birth_date(value: str) -> date | None:
    for pattern in ("%Y%m%d", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


async def do_sign_in_person(settings: Settings, claims: dict[str, Any]) -> uuid.UUID:
    """The person for these claims, created or updated. A person provisioned by personal
    identification number (staff added before their first sign-in) is bound to the subject."""
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    identity = _identity(settings, claims)
    personal_id = identity.personal_id or None
    now = _now()
    # Two first sign-ins of one person at once (a double tap) must not both insert.
    await repository.lock_identities(
        f"subject:{issuer}|{subject}", *([f"personal_id:{personal_id}"] if personal_id else [])
    )
    person = await repository.person_by_subject(issuer, subject)
    if person is None and personal_id:
        # Provisioned staff, or the same citizen under another subject (a provider
        # migration): the identification number is authoritative, one person per number.
        person = await repository.person_by_personal_id(personal_id)
    if person is None:
        person_id = uuid.uuid4()
        await repository.insert_person(
            person_id, identity, now, issuer=issuer, subject=subject, last_sign_in_at=now
        )
        return person_id
    await repository.record_sign_in(person.id, identity, now, issuer=issuer, subject=subject)
    return uuid.UUID(str(person.id))


# --- tokens for the app --------------------------------------------------------------------------


async def do_issue_tokens(
    settings: Settings, person_id: uuid.UUID, *, sid: str | None = None, acr: str | None = None
) -> TokenPair:
    """A new refresh family for a person whose sign-in has been verified, and its first
    access and refresh tokens (the handoff redemption; test fixtures)."""
    now = _now()
    family_id = uuid.uuid4()
    await repository.insert_family(
        RefreshFamilyRow(
            id=family_id,
            person=person_id,
            provider_sid=sid,
            acr=acr,
            created_at=now,
            expires_at=now + timedelta(days=settings.refresh_token_days),
        )
    )
    return await _next_pair(settings, person_id, family_id, acr, now)


async def _next_pair(
    settings: Settings,
    person_id: uuid.UUID,
    family_id: uuid.UUID,
    acr: str | None,
    now: datetime,
) -> TokenPair:
    refresh = secrets.token_urlsafe(32)
    await repository.insert_refresh_token(
        RefreshTokenRow(
            token_hash=sha256_hex(refresh),
            family=family_id,
            issued_at=now,
            idle_expires_at=now + timedelta(days=settings.refresh_idle_days),
        )
    )
    access, lifetime = await keys.issue_access_token(
        settings, person_id=person_id, family_id=family_id, acr=acr
    )
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=lifetime)


async def do_redeem_handoff_code(
    settings: Settings, *, code: str | None, code_verifier: str | None, redirect_uri: str | None
) -> TokenPair:
    """The app's tokens for a handoff code and its PKCE verifier. Single use."""
    if not code or not code_verifier:
        raise HandoffCodeInvalid()
    row = await repository.consume_handoff_code(sha256_hex(code), _now())
    if row is None:
        security_events.emit("handoff_code_rejected", code=HandoffCodeInvalid.code)
        raise HandoffCodeInvalid()
    # The code is consumed above; a wrong redirect URI or verifier commits that (the error's
    # `commit`), so a failed redemption uses the code up (RFC 6749 §4.1.2: single use).
    if redirect_uri is not None and redirect_uri != row.redirect_uri:
        security_events.emit(
            "handoff_code_rejected", actor=str(row.person), code=HandoffRedirectMismatch.code
        )
        raise HandoffRedirectMismatch()
    if not _VERIFIER.match(code_verifier) or not hmac.compare_digest(
        pkce_s256(code_verifier), row.code_challenge
    ):
        security_events.emit("handoff_code_rejected", actor=str(row.person), code=PkceMismatch.code)
        raise PkceMismatch()
    return await do_issue_tokens(settings, row.person, sid=row.provider_sid, acr=row.acr)


async def do_refresh(settings: Settings, refresh_token: str | None) -> TokenPair:
    """Rotate a refresh token. Presenting one already used revokes its whole family
    (RFC 9700 §4.14.2): whoever holds the other copy loses it too."""
    if not refresh_token:
        raise RefreshTokenInvalid()
    now = _now()
    row = await repository.refresh_token_for_update(sha256_hex(refresh_token))
    if row is None:
        security_events.emit("refresh_token_rejected", code=RefreshTokenInvalid.code)
        raise RefreshTokenInvalid()
    actor = str(row.person)
    if row.used_at is not None:
        if row.revoked_at is None:
            await repository.revoke_families(now, "reuse", family_id=row.family)
            await do_record(
                "auth.refresh_reuse",
                actor_id=actor,
                object_type="refresh_family",
                object_id=str(row.family),
            )
        security_events.emit("refresh_token_reuse", actor=actor, family=str(row.family))
        raise RefreshTokenReused()
    if row.revoked_at is not None or row.expires_at <= now or row.idle_expires_at <= now:
        security_events.emit("refresh_token_rejected", actor=actor, code="expired_or_revoked")
        raise RefreshTokenInvalid()
    await repository.mark_refresh_token_used(row.token_hash, now)
    return await _next_pair(settings, row.person, row.family, row.acr, now)


async def do_sign_out(principal: Principal, refresh_token: str | None = None) -> None:
    """End what the caller signed in with, whichever logout route they call: the web
    session of a cookie, or the refresh family of a bearer access token (the access token
    stops at once). A refresh token of the caller's own names the family to revoke when
    given. Idempotent; audited."""
    now = _now()
    family_id = principal.family_id
    if refresh_token:
        row = await repository.refresh_token_for_update(sha256_hex(refresh_token))
        if row is not None and row.person == principal.id:
            family_id = row.family
    if principal.session_id is not None:
        await repository.revoke_web_sessions(now, session_id=principal.session_id)
    elif family_id is None:
        raise InvalidToken()  # nothing this credential could be revoked by: refuse it
    if family_id is not None:
        await repository.revoke_families(now, "logout", family_id=family_id)
    await _record_sign_out(principal, "web" if principal.via == "session" else "mobile")


async def _record_sign_out(principal: Principal, client: str) -> None:
    await do_record(
        "auth.sign_out",
        actor_id=str(principal.id),
        object_type="person",
        object_id=str(principal.id),
        details={"client": client},
    )


# --- web sessions --------------------------------------------------------------------------------


def csrf_token_for(settings: Settings, session_token: str) -> str:
    mac = hmac.new(
        settings.require_secret_key().encode(), b"csrf:" + session_token.encode(), hashlib.sha256
    )
    return b64url(mac.digest())


def check_csrf(settings: Settings, session_token: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(
        csrf_token_for(settings, session_token), presented or ""
    )


async def end_session_url(settings: Settings) -> str | None:
    """The provider's end-session URL (RP-Initiated Logout 1.0) coming back to our home."""
    try:
        metadata = await get_client(settings).metadata()
    except ProviderError:
        return None  # the provider is unreachable: our own session has ended anyway
    if not metadata.end_session_endpoint:
        return None
    query = urlencode(
        {"client_id": settings.oidc_client_id, "post_logout_redirect_uri": f"{settings.base_url}/"}
    )
    separator = "&" if "?" in metadata.end_session_endpoint else "?"
    return f"{metadata.end_session_endpoint}{separator}{query}"


# --- who is calling ------------------------------------------------------------------------------


def _principal(
    settings: Settings,
    row: PrincipalRow,
    *,
    acr: str | None,
    via: str,
    session_id: uuid.UUID | None = None,
    family_id: uuid.UUID | None = None,
) -> Principal:
    roles = {Role.CITIZEN.value, *row.roles}
    if settings.oidc_staff_acr:
        allowed = {a.strip() for a in settings.oidc_staff_acr.split(",")}
        if acr not in allowed:
            roles -= STAFF_ROLES  # a weak sign-in acts as a citizen only
    return Principal(
        id=row.id,
        roles=frozenset(roles),
        agencies=frozenset(row.agencies) if Role.CIVIL_SERVANT in roles else frozenset(),
        police_units=frozenset(row.police_units) if roles & _POLICE else frozenset(),
        communes=frozenset(row.communes),
        via="session" if via == "session" else "bearer",
        session_id=session_id,
        family_id=family_id,
    )


_POLICE = {Role.POLICE_OFFICER.value, Role.POLICE_SUPERVISOR.value}


async def authenticate_bearer(settings: Settings, token: str) -> Principal:
    """The caller of a bearer access token. Fails closed: the token's refresh family must
    exist, be the person's and be neither revoked nor expired."""
    claims = await keys.verify_access_token(settings, token)
    person_id = uuid.UUID(claims["sub"])
    family_id = uuid.UUID(claims["fam"])
    row = await repository.principal_row(person_id, family_id)
    if row is None or row.family_alive is not True:
        raise InvalidToken()
    return _principal(settings, row, acr=claims.get("acr"), via="bearer", family_id=family_id)


async def authenticate_session(settings: Settings, token: str) -> Principal:
    now = _now()
    session = await repository.web_session_by_token(sha256_hex(token))
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        raise InvalidToken()
    row = await repository.principal_row(session.person, None)
    if row is None:
        raise InvalidToken()
    principal = _principal(settings, row, acr=session.acr, via="session", session_id=session.id)
    idle = (
        settings.session_idle_minutes_staff
        if principal.is_staff
        else settings.session_idle_minutes_citizen
    )
    if now - session.last_seen_at > timedelta(minutes=idle):
        await repository.revoke_web_sessions(now, session_id=session.id)
        raise SessionExpired()
    if now - session.last_seen_at > TOUCH_EVERY:
        await repository.touch_web_session(session.id, now)
    return principal


# --- back-channel logout -------------------------------------------------------------------------


async def do_backchannel_logout(settings: Settings, claims: dict[str, Any]) -> int:
    """Revoke the sessions and refresh tokens the provider says have ended: those of the
    provider session `sid` when given, else every one of the person `sub`."""
    now = _now()
    sid = claims.get("sid") if isinstance(claims.get("sid"), str) else None
    person_id: uuid.UUID | None = None
    if isinstance(claims.get("sub"), str):
        person = await repository.person_by_subject(str(claims["iss"]), claims["sub"])
        if person is not None:
            person_id = person.id
    if sid is None and person_id is None:
        return 0
    revoked = await repository.revoke_families(
        now, "backchannel_logout", person_id=person_id, provider_sid=sid
    )
    revoked += await repository.revoke_web_sessions(now, person_id=person_id, provider_sid=sid)
    await do_record(
        "auth.backchannel_logout",
        actor_id=None,
        object_type="person" if person_id else "provider_session",
        object_id=str(person_id) if person_id else None,
        details={"revoked": revoked},
    )
    return revoked


# --- people, memberships and roles ---------------------------------------------------------------


async def get_me(principal: Principal, settings: Settings, session_token: str | None) -> Me:
    person = await repository.person_by_id(principal.id)
    if person is None:
        raise PersonNotFound()
    grants = [_role_info(g) for g in await repository.grants_of(principal.id)]
    grants = [g for g in grants if g.role in principal.roles]
    return Me(
        id=person.id,
        full_name=person.full_name,
        personal_id=person.personal_id,
        birth_date=person.birth_date,
        gender=person.gender,
        address=person.address,
        roles=sorted(principal.roles),
        grants=grants,
        agencies=_unique(g.agency for g in grants),
        police_units=_unique(g.police_unit for g in grants),
        last_sign_in_at=person.last_sign_in_at,
        csrf_token=csrf_token_for(settings, session_token) if session_token else None,
    )


def _unique(items: Iterable[Membership | None]) -> list[Membership]:
    seen: dict[str, Membership] = {}
    for item in items:
        if item is not None:
            seen.setdefault(item.code, item)
    return list(seen.values())


def _role_info(grant: GrantRow) -> RoleInfo:
    return RoleInfo(
        role=grant.role,
        agency=_membership(grant.agency, grant.agency_name),
        police_unit=_membership(grant.police_unit, grant.police_unit_name),
        communes=list(grant.communes or []),
        granted_at=grant.granted_at,
    )


def _membership(code: str | None, name: str | None) -> Membership | None:
    return Membership(code=code, name=name or "") if code else None


async def get_person_roles(person_id: uuid.UUID) -> list[RoleInfo]:
    if await repository.person_by_id(person_id) is None:
        raise PersonNotFound()
    return [_role_info(g) for g in await repository.grants_of(person_id)]


async def _summary(person: PersonRow) -> PersonSummary:
    grants = await repository.grants_of(person.id)
    return PersonSummary(
        id=person.id,
        full_name=person.full_name,
        personal_id=person.personal_id,
        roles=sorted({Role.CITIZEN.value, *(g.role for g in grants)}),
    )


async def access_people(
    actor: Principal, *, q: str | None, role: Role | None, after: uuid.UUID | None, limit: int
) -> list[PersonSummary]:
    """People matching a search (identification number exact, or name), for an
    administrator; the search itself is audited (it reveals identification numbers)."""
    rows = await repository.search_persons(q, role.value if role else None, after, limit)
    await do_record(
        "people.search",
        actor_id=str(actor.id),
        object_type="person",
        details={"role": role.value if role else None, "results": len(rows)},
    )
    return [await _summary(row) for row in rows]


async def do_provision_person(
    personal_id: str, full_name: str | None, *, actor: uuid.UUID | None = None
) -> PersonSummary:
    """A person known by identification number before their first sign-in (staff being
    given roles ahead of time). Idempotent: the existing person if there is one."""
    existing = await repository.person_by_personal_id(personal_id)
    if existing is not None:
        return await _summary(existing)
    person_id = uuid.uuid4()
    await repository.insert_person(
        person_id, PersonIdentity(personal_id=personal_id, full_name=full_name), _now()
    )
    await do_record(
        "person.provision",
        actor_id=str(actor) if actor else None,
        object_type="person",
        object_id=str(person_id),
    )
    return PersonSummary(
        id=person_id, full_name=full_name, personal_id=personal_id, roles=[Role.CITIZEN.value]
    )


async def do_grant_role(
    person_id: uuid.UUID,
    role: Role,
    *,
    granted_by: uuid.UUID | None,
    reason: str,
    agency: str | None = None,
    police_unit: str | None = None,
    communes: list[str] | None = None,
) -> RoleInfo:
    """Grant (or re-scope) a role, audited. Civil servants need an agency, police roles a
    police unit; welfare officers may be limited to communes."""
    if role == Role.CITIZEN:
        raise MembershipRequired(
            detail_vi="Mọi người dùng đều là công dân; không cần cấp vai trò này.",
            detail_en="Everyone is a citizen; this role is not granted.",
        )
    if await repository.person_by_id(person_id) is None:
        raise PersonNotFound()
    if role == Role.CIVIL_SERVANT and not agency:
        raise MembershipRequired()
    if role in (Role.POLICE_OFFICER, Role.POLICE_SUPERVISOR) and not police_unit:
        raise MembershipRequired()
    if role != Role.CIVIL_SERVANT:
        agency = None
    if role not in (Role.POLICE_OFFICER, Role.POLICE_SUPERVISOR):
        police_unit = None
    if agency and not await repository.agency_exists(agency):
        raise AgencyNotFound()
    if police_unit and not await repository.police_unit_exists(police_unit):
        raise PoliceUnitNotFound()
    scoped = sorted(set(communes or [])) if role == Role.WELFARE_OFFICER else []
    await repository.upsert_grant(
        person_id, role.value, agency, police_unit, scoped, granted_by, _now()
    )
    await do_record(
        "role.grant",
        actor_id=str(granted_by) if granted_by else None,
        object_type="person",
        object_id=str(person_id),
        reason=reason,
        details={
            "role": role.value,
            "agency": agency,
            "police_unit": police_unit,
            "communes": scoped,
        },
    )
    return next(i for i in await get_person_roles(person_id) if i.role == role.value)


async def do_revoke_role(
    person_id: uuid.UUID, role: Role, *, revoked_by: uuid.UUID | None, reason: str
) -> None:
    """Revoke a role, audited. It stops working at the person's next request."""
    if role == Role.SYSTEM_ADMIN and revoked_by == person_id:
        raise CannotRevokeOwnAdmin()
    if await repository.person_by_id(person_id) is None:
        raise PersonNotFound()
    if not await repository.delete_grant(person_id, role.value):
        raise RoleNotGranted()
    await do_record(
        "role.revoke",
        actor_id=str(revoked_by) if revoked_by else None,
        object_type="person",
        object_id=str(person_id),
        reason=reason,
        details={"role": role.value},
    )


async def do_upsert_agency(agency: Agency, *, actor: uuid.UUID | None = None) -> None:
    await repository.upsert_agency(agency.code, agency.name, agency.commune_code)
    await do_record(
        "agency.upsert",
        actor_id=str(actor) if actor else None,
        object_type="agency",
        object_id=agency.code,
    )


async def do_upsert_police_unit(unit: PoliceUnit, *, actor: uuid.UUID | None = None) -> None:
    await repository.upsert_police_unit(unit.code, unit.name, sorted(set(unit.communes)))
    await do_record(
        "police_unit.upsert",
        actor_id=str(actor) if actor else None,
        object_type="police_unit",
        object_id=unit.code,
    )


async def list_agencies() -> list[Agency]:
    rows = await repository.list_agencies()
    return [msgspec.convert(r, Agency, from_attributes=True) for r in rows]


async def list_police_units() -> list[PoliceUnit]:
    rows = await repository.list_police_units()
    return [msgspec.convert(r, PoliceUnit, from_attributes=True) for r in rows]


async def do_purge_expired(settings: Settings) -> dict[str, int]:
    """Delete sign-in state that can no longer be used, and retired keys past their tokens."""
    counts = await repository.delete_expired(_now())
    counts["signing_keys"] = await keys.do_purge_retired_keys(settings)
    return counts
