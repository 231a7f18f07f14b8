"""The OpenID Connect relying party: discovery, the code exchange, and ID-token and
logout-token validation (OIDC Core 3.1.3.7, Back-Channel Logout 1.0 §2.6) with joserfc.

Configured only by the issuer: everything else comes from
`<issuer>/.well-known/openid-configuration`. The provider's JWKS is cached as its HTTP
headers allow (Cache-Control max-age, within bounds); a token naming an unknown key makes one
refetch, at most once per `refetch_interval` seconds, so a provider key rotation is picked up
at once while a flood of forged key ids cannot turn us into a fetching amplifier.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import httpx
import msgspec
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

from backend import security_events
from backend.identity.errors import (
    IdTokenAlgorithmRefused,
    IdTokenBadSignature,
    IdTokenError,
    IdTokenExpired,
    IdTokenIssuedInFuture,
    IdTokenNonceMismatch,
    IdTokenUnknownKey,
    IdTokenWrongAudience,
    IdTokenWrongIssuer,
    LogoutTokenInvalid,
    ProviderError,
    SignInRefused,
)
from backend.settings import Settings

# Asymmetric algorithms only: never "none", never HS* (whose key would be our client secret).
ALLOWED_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
LEEWAY_SECONDS = 60
METADATA_TTL = 3600.0
JWKS_TTL_DEFAULT = 600.0
JWKS_TTL_BOUNDS = (60.0, 86400.0)
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class ProviderMetadata(msgspec.Struct, kw_only=True):
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    end_session_endpoint: str | None = None
    id_token_signing_alg_values_supported: list[str] = []
    token_endpoint_auth_methods_supported: list[str] = msgspec.field(
        default_factory=lambda: ["client_secret_basic"]
    )
    code_challenge_methods_supported: list[str] = []
    authorization_response_iss_parameter_supported: bool = False


class TokenResponse(msgspec.Struct, kw_only=True):
    id_token: str
    access_token: str | None = None
    token_type: str | None = None


@dataclass
class _Cached:
    value: Any = None
    expires: float = 0.0


@dataclass
class OidcClient:
    """One provider, as seen by this process (shared by all requests)."""

    settings: Settings
    http: httpx.AsyncClient
    refetch_interval: float = 10.0
    _metadata: _Cached = field(default_factory=_Cached)
    _jwks: _Cached = field(default_factory=_Cached)
    _last_forced: float = -1e9
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    jwks_fetches: int = 0

    @property
    def issuer(self) -> str:
        issuer = self.settings.issuer
        if not issuer:
            raise ProviderError(detail_en="No identity provider is configured (CTN_OIDC_ISSUER).")
        return issuer

    async def _get_json(self, url: str) -> tuple[Any, httpx.Response]:
        try:
            response = await self.http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise ProviderError() from exc
        if response.status_code != 200:
            raise ProviderError()
        try:
            return response.json(), response
        except ValueError as exc:
            raise ProviderError() from exc

    async def metadata(self) -> ProviderMetadata:
        if self._metadata.value is not None and time.monotonic() < self._metadata.expires:
            return self._metadata.value  # type: ignore[no-any-return]  # set below, typed
        data, _ = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
        try:
            metadata = msgspec.convert(data, ProviderMetadata)
        except msgspec.ValidationError as exc:
            raise ProviderError() from exc
        # OIDC Discovery 4.3: the issuer in the document must be exactly the one configured.
        if metadata.issuer != self.issuer:
            raise ProviderError(detail_en="The provider's discovery document names another issuer.")
        self._metadata = _Cached(metadata, time.monotonic() + METADATA_TTL)
        return metadata

    async def _fetch_jwks(self) -> KeySet:
        metadata = await self.metadata()
        data, response = await self._get_json(metadata.jwks_uri)
        self.jwks_fetches += 1
        try:
            keys = KeySet.import_key_set(
                {"keys": [k for k in data.get("keys", []) if k.get("use", "sig") == "sig"]}
            )
        except (JoseError, ValueError, AttributeError) as exc:
            raise ProviderError() from exc
        self._jwks = _Cached(keys, time.monotonic() + _max_age(response))
        return keys

    async def jwks(self, *, unknown_kid: bool = False) -> KeySet:
        async with self._lock:
            now = time.monotonic()
            if unknown_kid:
                if now - self._last_forced < self.refetch_interval:
                    return self._jwks.value or await self._fetch_jwks()
                self._last_forced = now
                return await self._fetch_jwks()
            if self._jwks.value is not None and now < self._jwks.expires:
                return self._jwks.value  # type: ignore[no-any-return]  # a KeySet, set above
            return await self._fetch_jwks()

    async def exchange_code(
        self, code: str, code_verifier: str, redirect_uri: str
    ) -> TokenResponse:
        """The authorization code for tokens, authenticating as a confidential client."""
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        auth: httpx.BasicAuth | None = None
        method = client_auth_method(self.settings, metadata)
        if method == "private_key_jwt":
            form.update(
                client_id=self.settings.oidc_client_id,
                client_assertion_type=JWT_BEARER,
                client_assertion=client_assertion(self.settings, metadata.token_endpoint),
            )
        elif method == "client_secret_basic":
            auth = httpx.BasicAuth(self.settings.oidc_client_id, self.settings.client_secret or "")
        else:
            form.update(
                client_id=self.settings.oidc_client_id,
                client_secret=self.settings.client_secret or "",
            )
        try:
            response = await self.http.post(
                metadata.token_endpoint, data=form, auth=auth or httpx.USE_CLIENT_DEFAULT
            )
        except httpx.HTTPError as exc:
            raise ProviderError() from exc
        if response.status_code in (400, 401):
            # A code the provider does not know (forged, replayed, another client's) or our
            # own authentication refused: worth a SOC's attention either way.
            security_events.emit(
                "provider_code_rejected",
                status=response.status_code,
                code=_oauth_error(response),
            )
            raise SignInRefused()
        if response.status_code != 200:
            raise ProviderError()
        try:
            return msgspec.json.decode(response.content, type=TokenResponse)
        except msgspec.DecodeError as exc:
            raise ProviderError() from exc

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        metadata = await self.metadata()
        if not metadata.userinfo_endpoint:
            return {}
        try:
            response = await self.http.get(
                metadata.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"}
            )
        except httpx.HTTPError as exc:
            raise ProviderError() from exc
        if response.status_code != 200:
            raise ProviderError()
        data = response.json()
        return data if isinstance(data, dict) else {}

    async def _verified_claims(self, token: str, error: type[IdTokenError]) -> dict[str, Any]:
        """Signature checks common to ID and logout tokens; the claims once the signature
        holds. `error` is the generic class for a malformed token."""
        try:
            header = jws.extract_compact(token.encode()).headers()
        except (JoseError, ValueError) as exc:
            raise error() from exc
        alg = header.get("alg")
        metadata = await self.metadata()
        advertised = set(metadata.id_token_signing_alg_values_supported or ["RS256"])
        if alg not in ALLOWED_ALGORITHMS or alg not in advertised:
            raise IdTokenAlgorithmRefused()
        kid = header.get("kid")
        key = _pick(await self.jwks(), kid)
        if key is None:
            key = _pick(await self.jwks(unknown_kid=True), kid)
        if key is None:
            raise IdTokenUnknownKey()
        try:
            return jwt.decode(token, key, algorithms=[str(alg)]).claims
        except BadSignatureError as exc:
            raise IdTokenBadSignature() from exc
        except (JoseError, ValueError) as exc:
            raise error() from exc

    def _check_common(self, claims: dict[str, Any], now: int, *, exp_required: bool) -> None:
        if claims.get("iss") != self.issuer:
            raise IdTokenWrongIssuer()
        client_id = self.settings.oidc_client_id
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if client_id not in audiences:
            raise IdTokenWrongAudience()
        azp = claims.get("azp")
        if (len(audiences) > 1 or azp is not None) and azp != client_id:
            raise IdTokenWrongAudience()
        exp = claims.get("exp")
        if exp is not None or exp_required:
            if not _numeric(exp):
                raise IdTokenError()
            if exp <= now - LEEWAY_SECONDS:
                raise IdTokenExpired()
        iat = claims.get("iat")
        if not _numeric(iat):
            raise IdTokenError()
        if iat > now + LEEWAY_SECONDS:
            raise IdTokenIssuedInFuture()

    async def validate_id_token(self, token: str, *, nonce: str) -> dict[str, Any]:
        """The claims of an ID token that passes every check of OIDC Core 3.1.3.7; otherwise
        a distinct `IdTokenError` and a security event."""
        try:
            claims = await self._verified_claims(token, IdTokenError)
            self._check_common(claims, int(time.time()), exp_required=True)
            if claims.get("nonce") != nonce:
                raise IdTokenNonceMismatch()
            if not isinstance(claims.get("sub"), str) or not claims["sub"]:
                raise IdTokenError()
        except IdTokenError as exc:
            security_events.emit("id_token_rejected", code=exc.code)
            raise
        return claims

    async def validate_logout_token(self, token: str) -> dict[str, Any]:
        """The claims of a valid Back-Channel Logout token (§2.6); otherwise
        `LogoutTokenInvalid` (or a more precise `IdTokenError`) and a security event."""
        try:
            claims = await self._verified_claims(token, LogoutTokenInvalid)
            self._check_common(claims, int(time.time()), exp_required=False)
            events = claims.get("events")
            if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
                raise LogoutTokenInvalid(detail_en="The events claim is missing or wrong.")
            if "nonce" in claims:
                raise LogoutTokenInvalid(detail_en="A logout token must not carry a nonce.")
            if not claims.get("sid") and not claims.get("sub"):
                raise LogoutTokenInvalid(detail_en="The logout token names no sid or sub.")
        except IdTokenError as exc:
            security_events.emit("logout_token_rejected", code=exc.code)
            raise
        return claims


JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def client_auth_method(settings: Settings, metadata: ProviderMetadata) -> str:
    """How we authenticate at the token endpoint (RFC 7523 / OIDC Core 9)."""
    if settings.oidc_client_auth != "auto":
        return settings.oidc_client_auth
    if settings.oidc_client_key_file:
        return "private_key_jwt"
    supported = metadata.token_endpoint_auth_methods_supported
    return "client_secret_basic" if "client_secret_basic" in supported else "client_secret_post"


_client_keys: dict[str, tuple[str, str, Any]] = {}


def client_key(settings: Settings) -> tuple[str, str, Any] | None:
    """(kid, alg, key) of our private_key_jwt key, read once from CTN_OIDC_CLIENT_KEY_FILE."""
    path = settings.oidc_client_key_file
    if not path:
        return None
    if path not in _client_keys:
        pem = Path(path).read_bytes()
        key: Any
        try:
            key, alg = RSAKey.import_key(pem), "RS256"
        except (JoseError, ValueError, TypeError):
            key, alg = ECKey.import_key(pem), "ES256"
        _client_keys[path] = (key.thumbprint(), alg, key)
    return _client_keys[path]


def client_jwks(settings: Settings) -> dict[str, Any]:
    """The public half of our client key, for the provider's registration (jwks_uri)."""
    found = client_key(settings)
    if found is None:
        return {"keys": []}
    kid, alg, key = found
    return {"keys": [{**key.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"}]}


def client_assertion(settings: Settings, audience: str) -> str:
    """A signed client assertion (RFC 7523 §2.2): iss = sub = client id, aud = the token
    endpoint, short-lived and unique."""
    found = client_key(settings)
    if found is None:
        raise ProviderError(detail_en="private_key_jwt needs CTN_OIDC_CLIENT_KEY_FILE.")
    kid, alg, key = found
    now = int(time.time())
    claims = {
        "iss": settings.oidc_client_id,
        "sub": settings.oidc_client_id,
        "aud": audience,
        "jti": secrets.token_urlsafe(16),
        "iat": now,
        "exp": now + 60,
    }
    return jwt.encode({"alg": alg, "kid": kid}, claims, key, algorithms=[alg])


_OAUTH_ERROR = re.compile(r"^[a-z_]{1,40}$")


def _oauth_error(response: httpx.Response) -> str:
    """The provider's OAuth `error` code, when it is one (never free text into our logs)."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return "unreadable"
    return error if isinstance(error, str) and _OAUTH_ERROR.match(error) else "unknown"


def _numeric(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _pick(keys: KeySet | None, kid: Any) -> Any:
    if keys is None:
        return None
    if isinstance(kid, str):
        for key in keys:
            if key.kid == kid:
                return key
        return None
    # No kid: acceptable only when the provider publishes a single signing key.
    candidates = list(keys)
    return candidates[0] if len(candidates) == 1 else None


_MAX_AGE = re.compile(r"max-age=(\d+)")


def _max_age(response: httpx.Response) -> float:
    match = _MAX_AGE.search(response.headers.get("cache-control", ""))
    if not match:
        return JWKS_TTL_DEFAULT
    low, high = JWKS_TTL_BOUNDS
    return min(max(float(match.group(1)), low), high)


_clients: dict[str, OidcClient] = {}


def get_client(settings: Settings) -> OidcClient:
    """The process's client for the configured provider (created on first use)."""
    key = settings.issuer or ""
    client = _clients.get(key)
    if client is None:
        client = OidcClient(settings, httpx.AsyncClient(timeout=10.0, follow_redirects=False))
        _clients[key] = client
    return client


async def close_clients() -> None:
    for client in _clients.values():
        await client.http.aclose()
    _clients.clear()
