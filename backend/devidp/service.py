"""A real OpenID Connect provider for development and tests, standing in for the national one.

It signs RS256 ID tokens (with `kid`) carrying claims shaped like the national provider's
(`SoDinhDanh`, `HoVaTen`, `NgayThangNamSinh`, …, names taken from the settings), implements
the authorization-code flow with PKCE and client authentication, userinfo, key rotation and
back-channel logout. It knows only the demo people; our relying-party code reaches it through
discovery like any other provider. Mounted only with CTN_DEV_IDP=1.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from backend.devidp import repository
from backend.devidp.errors import DevIdpError
from backend.devidp.people import BY_PERSONAL_ID, DemoPerson
from backend.devidp.repository import AccessTokenRow, CodeRow, KeyRow
from backend.hashing import pkce_s256, sha256_hex
from backend.settings import Settings

CODE_SECONDS = 120
TOKEN_SECONDS = 300
ACR = "LoA2"


def issuer(settings: Settings) -> str:
    return f"{settings.base_url}/dev-idp"


def registered_redirect_uri(settings: Settings) -> str:
    return f"{settings.base_url}/auth/callback"


def subject_of(personal_id: str) -> str:
    """A stable opaque subject per person (not the identification number itself)."""
    return hashlib.sha256(f"dev-idp-subject:{personal_id}".encode()).hexdigest()[:32]


def metadata(settings: Settings) -> dict[str, Any]:
    base = issuer(settings)
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "jwks_uri": f"{base}/jwks",
        "end_session_endpoint": f"{base}/end-session",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "scopes_supported": ["openid", "profile"],
        "acr_values_supported": ["LoA1", "LoA2"],
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "claims_supported": [
            "sub",
            "sid",
            settings.oidc_claim_personal_id,
            settings.oidc_claim_name,
            settings.oidc_claim_birth_date,
            settings.oidc_claim_gender,
            settings.oidc_claim_address,
        ],
    }


# --- keys --------------------------------------------------------------------------------------


async def do_rotate_key() -> str:
    """A new signing key; older ones stay published (as a real provider does for a while)."""
    key = RSAKey.generate_key(2048, private=True)
    kid = f"dev-{secrets.token_hex(6)}"
    await repository.insert_key(
        KeyRow(
            kid=kid,
            private_key=key.as_pem(private=True),
            public_jwk={**key.as_dict(private=False), "kid": kid, "alg": "RS256", "use": "sig"},
            created_at=datetime.now(UTC),
        )
    )
    return kid


async def do_ensure_key() -> None:
    await repository.lock_keys()
    if not await repository.keys():
        await do_rotate_key()


async def jwks() -> dict[str, Any]:
    return {"keys": [row.public_jwk for row in await repository.keys()]}


async def sign(claims: dict[str, Any], *, typ: str = "JWT") -> str:
    """Claims signed by the provider's current key (RS256, with kid)."""
    rows = await repository.keys()
    if not rows:
        raise DevIdpError("server_error", "no signing key")
    row = rows[0]
    key = RSAKey.import_key(row.private_key)
    return jwt.encode({"alg": "RS256", "kid": row.kid, "typ": typ}, claims, key)


# --- the authorization-code flow ---------------------------------------------------------------


class AuthorizeRequest(msgspec.Struct, kw_only=True):
    client_id: str
    redirect_uri: str
    response_type: str
    scope: str
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    login_hint: str | None = None
    acr_values: str | None = None


def check_authorize(settings: Settings, request: AuthorizeRequest) -> None:
    """Errors that must not redirect (RFC 6749 §4.1.2.1): unknown client or redirect URI."""
    if request.client_id != settings.oidc_client_id:
        raise DevIdpError("invalid_client", "unknown client_id", status=400)
    if request.redirect_uri != registered_redirect_uri(settings):
        raise DevIdpError("invalid_request", "redirect_uri is not registered", status=400)


def redirect_error(request: AuthorizeRequest) -> str | None:
    """An error to send back to the client by redirect, or None."""
    if request.response_type != "code":
        return "unsupported_response_type"
    if "openid" not in request.scope.split():
        return "invalid_scope"
    if request.code_challenge and request.code_challenge_method != "S256":
        return "invalid_request"
    return None


async def do_issue_code(request: AuthorizeRequest, person: DemoPerson) -> str:
    await repository.delete_expired(datetime.now(UTC))  # the provider's own housekeeping
    code = secrets.token_urlsafe(32)
    await repository.insert_code(
        CodeRow(
            code_hash=sha256_hex(code),
            personal_id=person.personal_id,
            client_id=request.client_id,
            redirect_uri=request.redirect_uri,
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            sid=secrets.token_hex(16),
            scope=request.scope,
            expires_at=datetime.now(UTC) + timedelta(seconds=CODE_SECONDS),
        )
    )
    return code


def identity_claims(settings: Settings, person: DemoPerson) -> dict[str, Any]:
    return {
        "sub": subject_of(person.personal_id),
        settings.oidc_claim_personal_id: person.personal_id,
        settings.oidc_claim_name: person.full_name,
        settings.oidc_claim_birth_date: person.birth_date.strftime("%Y%m%d"),
        settings.oidc_claim_gender: person.gender,
        settings.oidc_claim_address: person.address,
        "loginIdp": "VNEID",
    }


def _client_authenticated(settings: Settings, client_id: str | None, secret: str | None) -> bool:
    expected = settings.client_secret or ""
    return (
        client_id == settings.oidc_client_id
        and bool(expected)
        and hmac.compare_digest(expected, secret or "")
    )


JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


async def _client_by_assertion(settings: Settings, assertion: str) -> str:
    """private_key_jwt (RFC 7523): the assertion verifies with the key registered for the
    client (its jwks_uri, `<backend>/auth/client-jwks`), names the client and this endpoint."""
    refused = DevIdpError("invalid_client", "client assertion refused", status=401)
    try:
        async with httpx.AsyncClient(timeout=10.0) as http:
            published = (await http.get(f"{settings.base_url}/auth/client-jwks")).json()
        keys = KeySet.import_key_set(published)
        claims = jwt.decode(assertion, keys, algorithms=["RS256", "ES256"]).claims
    except (JoseError, ValueError, httpx.HTTPError):
        raise refused from None
    now = int(time.time())
    aud = claims.get("aud")
    audiences: list[Any] = aud if isinstance(aud, list) else [aud]
    if (
        claims.get("iss") != settings.oidc_client_id
        or claims.get("sub") != settings.oidc_client_id
        or not {f"{issuer(settings)}/token", issuer(settings)} & set(audiences)
        or not isinstance(claims.get("exp"), int)
        or claims["exp"] <= now
    ):
        raise refused
    return settings.oidc_client_id


async def do_token(
    settings: Settings,
    form: dict[str, str],
    basic: tuple[str, str] | None,
) -> dict[str, Any]:
    """The token endpoint: client authentication, code (single use), PKCE, ID token."""
    client_id: str | None
    if form.get("client_assertion_type") == JWT_BEARER:
        client_id = await _client_by_assertion(settings, form.get("client_assertion", ""))
    else:
        client_id, secret = basic if basic else (form.get("client_id"), form.get("client_secret"))
        if not _client_authenticated(settings, client_id, secret):
            raise DevIdpError("invalid_client", "client authentication failed", status=401)
    if form.get("grant_type") != "authorization_code":
        raise DevIdpError("unsupported_grant_type", "only authorization_code")
    now = datetime.now(UTC)
    row = await repository.consume_code(sha256_hex(form.get("code", "")), now)
    if row is None or row.client_id != client_id:
        raise DevIdpError("invalid_grant", "unknown, used or expired code")
    if row.redirect_uri != form.get("redirect_uri"):
        raise DevIdpError("invalid_grant", "redirect_uri differs from the authorization request")
    if row.code_challenge:
        verifier = form.get("code_verifier") or ""
        if not hmac.compare_digest(pkce_s256(verifier), row.code_challenge):
            raise DevIdpError("invalid_grant", "PKCE verification failed")
    person = BY_PERSONAL_ID.get(row.personal_id)
    if person is None:
        raise DevIdpError("invalid_grant", "the person no longer exists")
    issued = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer(settings),
        "aud": client_id,
        "iat": issued,
        "exp": issued + TOKEN_SECONDS,
        "auth_time": issued,
        "sid": row.sid,
        "acr": ACR,
        **identity_claims(settings, person),
    }
    if row.nonce:
        claims["nonce"] = row.nonce
    access_token = secrets.token_urlsafe(32)
    await repository.insert_access_token(
        AccessTokenRow(
            token_hash=sha256_hex(access_token),
            personal_id=person.personal_id,
            expires_at=now + timedelta(seconds=TOKEN_SECONDS),
        )
    )
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": TOKEN_SECONDS,
        "id_token": await sign(claims),
        "scope": row.scope,
    }


async def userinfo(settings: Settings, access_token: str) -> dict[str, Any]:
    row = await repository.access_token(sha256_hex(access_token), datetime.now(UTC))
    person = BY_PERSONAL_ID.get(row.personal_id) if row else None
    if person is None:
        raise DevIdpError("invalid_token", "unknown or expired access token", status=401)
    return identity_claims(settings, person)


async def logout_token(settings: Settings, *, sid: str | None, personal_id: str | None) -> str:
    """A Back-Channel Logout token for a provider session and/or a person."""
    issued = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer(settings),
        "aud": settings.oidc_client_id,
        "iat": issued,
        "exp": issued + 120,
        "jti": secrets.token_urlsafe(12),
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    }
    if sid:
        claims["sid"] = sid
    if personal_id:
        claims["sub"] = subject_of(personal_id)
    return await sign(claims, typ="logout+jwt")


async def send_backchannel_logout(settings: Settings, token: str) -> int:
    """POST the logout token to the relying party's back-channel endpoint; its status."""
    async with httpx.AsyncClient(timeout=10.0) as http:
        response = await http.post(
            f"{settings.base_url}/auth/backchannel-logout", data={"logout_token": token}
        )
    return response.status_code
