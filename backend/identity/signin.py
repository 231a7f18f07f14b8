"""Signing in with the identity provider.

The backend is the provider's confidential client for the mobile app and the web console
(backend-for-frontend): it runs the code flow with the provider (state, nonce and PKCE; a
login flow is single use and its state stored only as a SHA-256), records the person the
claims name, then hands the app a one-time code redeemable with the app's own PKCE verifier
(`tokens`), or gives the browser a session cookie (`sessions`).
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import msgspec
from msgspec import UNSET

from backend import security_events
from backend.audit.service import do_record
from backend.hashing import pkce_s256, sha256_hex
from backend.identity import repository
from backend.identity.errors import (
    AuthorizationResponseIssuerMismatch,
    LoginStateInvalid,
    PkceRequired,
    RedirectUriNotAllowed,
    SignInRefused,
)
from backend.identity.oidc import get_client
from backend.identity.repository import HandoffCodeRow, LoginFlowRow, PersonIdentity, WebSessionRow
from backend.identity.sessions import SESSION_HOURS, csrf_token_for
from backend.settings import Settings

LOGIN_FLOW_MINUTES = 10
HANDOFF_SECONDS = 60
_CODE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43,128}$")


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
    now = datetime.now(UTC)
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
    flow = await repository.consume_login_flow(sha256_hex(state), datetime.now(UTC))
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
    now = datetime.now(UTC)
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
    now = datetime.now(UTC)
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
