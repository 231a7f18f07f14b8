"""The app's tokens: a refresh family per sign-in, rotation at every use, reuse revoking
the family (RFC 9700 §4.14.2); access tokens are signed by `keys`. Refresh tokens are
random 256-bit values stored only as SHA-256 hashes."""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from backend import security_events
from backend.audit.service import do_record
from backend.hashing import pkce_s256, sha256_hex
from backend.identity import keys, repository
from backend.identity.errors import (
    HandoffCodeInvalid,
    HandoffRedirectMismatch,
    PkceMismatch,
    RefreshTokenInvalid,
    RefreshTokenReused,
)
from backend.identity.repository import RefreshFamilyRow, RefreshTokenRow
from backend.identity.schemas import TokenPair
from backend.settings import Settings

_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


# --- tokens for the app --------------------------------------------------------------------------


async def do_issue_tokens(
    settings: Settings, person_id: uuid.UUID, *, sid: str | None = None, acr: str | None = None
) -> TokenPair:
    """A new refresh family for a person whose sign-in has been verified, and its first
    access and refresh tokens (the handoff redemption; test fixtures)."""
    now = datetime.now(UTC)
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
    row = await repository.consume_handoff_code(sha256_hex(code), datetime.now(UTC))
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
    now = datetime.now(UTC)
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
