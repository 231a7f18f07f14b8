"""Who is calling, and ending what they signed in with.

A bearer access token counts only while its refresh family lives; a web session (HttpOnly
cookie, CSRF token an HMAC of it) only until its idle timeout. Sign-out and the provider's
back-channel logout revoke families and sessions. Roles are read on every request, so a
revoked role or family stops at once.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from backend.access import STAFF_ROLES, Principal, Role
from backend.audit.service import do_record
from backend.hashing import b64url, sha256_hex
from backend.identity import keys, repository
from backend.identity.errors import InvalidToken, ProviderError, SessionExpired
from backend.identity.oidc import get_client
from backend.identity.repository import PrincipalRow
from backend.settings import Settings

SESSION_HOURS = 12
SESSION_COOKIE = "ctn_session"
CSRF_COOKIE = "ctn_csrf"
LOGIN_COOKIE = "ctn_login"
TOUCH_EVERY = timedelta(seconds=30)


# --- web sessions --------------------------------------------------------------------------------


def cookie_is_secure(settings: Settings) -> bool:
    """Secure cookies everywhere but on a local development address."""
    host = urlsplit(settings.base_url).hostname or ""
    return host not in ("localhost", "127.0.0.1", "::1")


def csrf_token_for(settings: Settings, session_token: str) -> str:
    """The session's CSRF token: an HMAC of the cookie, so nothing more is stored."""
    mac = hmac.new(
        settings.require_secret_key().encode(), b"csrf:" + session_token.encode(), hashlib.sha256
    )
    return b64url(mac.digest())


def check_csrf(settings: Settings, session_token: str, presented: str | None) -> bool:
    """Whether `presented` is the session's CSRF token (compared in constant time)."""
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
    profile: Any = None,
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
        managed_agencies=(
            frozenset(row.managed_agencies) if Role.CIVIL_SERVANT in roles else frozenset()
        ),
        via="session" if via == "session" else "bearer",
        session_id=session_id,
        family_id=family_id,
        profile=profile,
    )


_POLICE = {Role.POLICE_OFFICER.value, Role.POLICE_SUPERVISOR.value}


async def _principal_row(
    person_id: uuid.UUID, family_id: uuid.UUID | None, *, profile: bool
) -> tuple[repository.PrincipalRow | None, Any]:
    if not profile:
        return await repository.principal_row(person_id, family_id), None
    found = await repository.principal_with_profile(person_id, family_id)
    if found is None:
        return None, None
    row, person, grants = found
    return row, (person, grants)


async def authenticate_bearer(
    settings: Settings, token: str, *, profile: bool = False
) -> Principal:
    """The caller of a bearer access token. Fails closed: the token's refresh family must
    exist, be the person's and be neither revoked nor expired. `profile`: read the person's
    row and grants in the same query (`Principal.profile`)."""
    claims = await keys.verify_access_token(settings, token)
    person_id = uuid.UUID(claims["sub"])
    family_id = uuid.UUID(claims["fam"])
    row, found = await _principal_row(person_id, family_id, profile=profile)
    if row is None or row.family_alive is not True:
        raise InvalidToken()
    return _principal(
        settings, row, acr=claims.get("acr"), via="bearer", family_id=family_id, profile=found
    )


async def authenticate_session(
    settings: Settings, token: str, *, profile: bool = False
) -> Principal:
    """The caller of a web session cookie. Fails closed on a session unknown, revoked or
    expired; one idle longer than its person's limit (staff or citizen) is revoked for good.
    `last_seen_at` is written at most every `TOUCH_EVERY`."""
    now = datetime.now(UTC)
    session = await repository.web_session_by_token(sha256_hex(token))
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        raise InvalidToken()
    row, found = await _principal_row(session.person, None, profile=profile)
    if row is None:
        raise InvalidToken()
    principal = _principal(
        settings, row, acr=session.acr, via="session", session_id=session.id, profile=found
    )
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


# --- signing out ---------------------------------------------------------------------------------


async def do_sign_out(principal: Principal, refresh_token: str | None = None) -> None:
    """End what the caller signed in with, whichever logout route they call: the web
    session of a cookie, or the refresh family of a bearer access token (the access token
    stops at once). A refresh token of the caller's own names the family to revoke when
    given. Idempotent; audited."""
    now = datetime.now(UTC)
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


async def do_sign_out_everywhere(principal: Principal) -> int:
    """End every web session and every app sign-in (refresh family) of the caller, on all
    their devices; their access tokens stop at once. Returns how many were ended; audited."""
    now = datetime.now(UTC)
    ended = await repository.revoke_web_sessions(now, person_id=principal.id)
    ended += await repository.revoke_families(now, "logout_everywhere", person_id=principal.id)
    await do_record(
        "auth.sign_out_everywhere",
        actor_id=str(principal.id),
        object_type="person",
        object_id=str(principal.id),
        details={"ended": ended},
    )
    return ended


async def _record_sign_out(principal: Principal, client: str) -> None:
    await do_record(
        "auth.sign_out",
        actor_id=str(principal.id),
        object_type="person",
        object_id=str(principal.id),
        details={"client": client},
    )


async def do_backchannel_logout(settings: Settings, claims: dict[str, Any]) -> int:
    """Revoke the sessions and refresh tokens the provider says have ended: those of the
    provider session `sid` when given, else every one of the person `sub`."""
    now = datetime.now(UTC)
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
