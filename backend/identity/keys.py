"""Our access tokens: JWTs (RFC 9068 shape) signed ES256 by a key kept in the database.

The private keys are stored encrypted (AES-GCM under a key derived from CTN_SECRET_KEY), so a
copy of the database alone signs nothing. Every process caches the key ring for a minute and
reloads it at once when a token names a key it does not know (rate-limited), so after
`ctn keys rotate` new tokens are signed by the new key everywhere within a minute and tokens
signed by the old key keep verifying until they expire.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, DecodeError, JoseError
from joserfc.jwk import ECKey

from backend.audit.service import do_record
from backend.identity import repository
from backend.identity.errors import InvalidToken, TokenExpired, TokenNotYetValid
from backend.identity.repository import SigningKeyRow
from backend.settings import Settings

ALG = "ES256"
AUDIENCE = "ctn-api"
CACHE_SECONDS = 60.0
RELOAD_MIN_INTERVAL = 5.0
LEEWAY_SECONDS = 30


def _wrapping_key(secret_key: str) -> AESGCM:
    return AESGCM(hmac.new(secret_key.encode(), b"signing-key-wrap-v1", hashlib.sha256).digest())


def _seal(secret_key: str, kid: str, plaintext: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + _wrapping_key(secret_key).encrypt(nonce, plaintext, kid.encode())


def _open(secret_key: str, kid: str, sealed: bytes) -> bytes:
    return _wrapping_key(secret_key).decrypt(sealed[:12], sealed[12:], kid.encode())


@dataclass
class KeyRing:
    signing: tuple[str, ECKey] | None = None
    verifying: dict[str, ECKey] = field(default_factory=dict)
    loaded_at: float = 0.0
    reloaded_at: float = 0.0
    lock: asyncio.Lock | None = None


_ring = KeyRing()


def forget_cached_keys() -> None:
    """Drop this process's cache (tests; after a rotation done in this process)."""
    global _ring
    _ring = KeyRing()
    _verified.clear()


async def _load(settings: Settings) -> None:
    now = datetime.now(UTC)
    rows = await repository.signing_keys(now - timedelta(minutes=settings.access_token_minutes))
    secret = settings.require_secret_key()
    signing: tuple[str, ECKey] | None = None
    verifying: dict[str, ECKey] = {}
    for row in rows:
        verifying[row.kid] = ECKey.import_key(row.public_jwk)
        if signing is None and row.retired_at is None:
            try:
                private = _open(secret, row.kid, row.private_key)
            except InvalidTag:
                continue  # sealed under another CTN_SECRET_KEY: this process cannot sign with it
            signing = (row.kid, ECKey.import_key(private.decode()))
    _ring.signing, _ring.verifying = signing, verifying
    _ring.loaded_at = time.monotonic()


async def _ensure_loaded(settings: Settings, *, force: bool = False) -> None:
    if not force and time.monotonic() - _ring.loaded_at < CACHE_SECONDS and _ring.verifying:
        return
    if force and time.monotonic() - _ring.reloaded_at < RELOAD_MIN_INTERVAL:
        return
    _ring.reloaded_at = time.monotonic()
    await _load(settings)


async def do_create_signing_key(settings: Settings, *, action: str = "keys.rotate") -> str:
    """Add a new signing key and retire the current one (which keeps verifying until the
    tokens it signed have expired), audited as `action`. Returns the new key id."""
    key = ECKey.generate_key("P-256", private=True)
    kid = f"ctn-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"
    now = datetime.now(UTC)
    sealed = _seal(settings.require_secret_key(), kid, key.as_pem(private=True))
    public = {**key.as_dict(private=False), "kid": kid, "alg": ALG, "use": "sig"}
    await repository.lock_signing_keys()
    await repository.insert_signing_key(
        SigningKeyRow(kid=kid, alg=ALG, private_key=sealed, public_jwk=public, created_at=now)
    )
    await do_record(action, actor_id=None, object_type="signing_key", object_id=kid)
    forget_cached_keys()
    return kid


async def do_ensure_signing_key(settings: Settings) -> str | None:
    """Create a signing key when none can sign (first start, or a new CTN_SECRET_KEY).
    Returns the id of a key created, else None."""
    await repository.lock_signing_keys()
    await _load(settings)
    if _ring.signing is not None:
        return None
    return await do_create_signing_key(settings, action="keys.create")


async def check_secret_opens_signing_key(secret_key: str) -> str | None:
    """The id of the current signing key when `secret_key` cannot open it, else None (also
    when there is none yet). A key sealed under another secret cannot sign, so a process
    running with that secret would answer every sign-in with an error."""
    rows = await repository.signing_keys(datetime.now(UTC))
    current = next((row for row in rows if row.retired_at is None), None)
    if current is None:
        return None
    try:
        _open(secret_key, current.kid, current.private_key)
    except InvalidTag:
        return current.kid
    return None


async def do_purge_retired_keys(settings: Settings) -> int:
    """Delete retired keys that no unexpired token can name any more."""
    horizon = datetime.now(UTC) - timedelta(minutes=settings.access_token_minutes + 5)
    return await repository.delete_signing_keys_retired_before(horizon)


async def public_jwks(settings: Settings) -> dict[str, Any]:
    await _ensure_loaded(settings)
    return {
        "keys": [{**k.as_dict(private=False), "kid": kid} for kid, k in _ring.verifying.items()]
    }


async def issue_access_token(
    settings: Settings,
    *,
    person_id: uuid.UUID,
    family_id: uuid.UUID,
    acr: str | None,
) -> tuple[str, int]:
    """A signed access token for the person, bound to a refresh family (revoking the family
    stops the token at once), and its lifetime in seconds."""
    await _ensure_loaded(settings)
    if _ring.signing is None:
        await _ensure_loaded(settings, force=True)
    if _ring.signing is None:
        raise RuntimeError("no signing key: run `ctn migrate` or start the app once")
    kid, key = _ring.signing
    now = int(time.time())
    lifetime = settings.access_token_minutes * 60
    claims: dict[str, Any] = {
        "iss": settings.base_url,
        "aud": AUDIENCE,
        "sub": str(person_id),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": secrets.token_urlsafe(12),
        "fam": str(family_id),
    }
    if acr:
        claims["acr"] = acr
    token = jwt.encode({"alg": ALG, "kid": kid, "typ": "at+jwt"}, claims, key, algorithms=[ALG])
    return token, lifetime


async def verify_access_token(settings: Settings, token: str) -> dict[str, Any]:
    """The claims of a valid access token of ours; `TokenExpired` or `InvalidToken` else."""
    try:
        header = jws.extract_compact(token.encode()).headers()
    except (JoseError, ValueError) as exc:
        raise InvalidToken() from exc
    kid = header.get("kid")
    if header.get("alg") != ALG or header.get("typ") != "at+jwt" or not isinstance(kid, str):
        raise InvalidToken()
    await _ensure_loaded(settings)
    if kid not in _ring.verifying:
        await _ensure_loaded(settings, force=True)
    key = _ring.verifying.get(kid)
    if key is None:
        raise InvalidToken()
    claims = _verified.get(token)
    if claims is None:
        try:
            claims = jwt.decode(token, key, algorithms=[ALG]).claims
        except (BadSignatureError, DecodeError, JoseError, ValueError) as exc:
            raise InvalidToken() from exc
        _remember_verified(token, claims)
    now = int(time.time())
    if claims.get("iss") != settings.base_url or claims.get("aud") != AUDIENCE:
        raise InvalidToken()
    exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf", 0)
    if not (_integer(exp) and _integer(iat) and _integer(nbf)):
        raise InvalidToken()
    if exp <= now - LEEWAY_SECONDS:
        raise TokenExpired()
    if iat > now + LEEWAY_SECONDS or nbf > now + LEEWAY_SECONDS:
        raise TokenNotYetValid()
    # A token living longer than we ever issue them was not made by this configuration
    # (a leaked key, or a setting lowered since): refuse it rather than trust its `exp`.
    if exp - iat > settings.access_token_minutes * 60 + LEEWAY_SECONDS:
        raise InvalidToken(detail_en="The access token's lifetime is longer than allowed.")
    # Every token belongs to a refresh family; without one nothing could revoke it.
    try:
        uuid.UUID(str(claims.get("sub")))
        uuid.UUID(str(claims.get("fam")))
    except ValueError as exc:
        raise InvalidToken() from exc
    return claims


VERIFIED_CACHE_SIZE = 4096
_verified: dict[str, dict[str, Any]] = {}
"""Claims of tokens whose signature this process has checked, by token. A signature check is
a tenth of a signed-in request's CPU and a token is used every few seconds for ten minutes;
everything else (the key still being ours, lifetime, expiry, the family) is checked again on
every use, so a hit skips only the arithmetic that would give the same answer."""


def _remember_verified(token: str, claims: dict[str, Any]) -> None:
    if len(_verified) >= VERIFIED_CACHE_SIZE:
        del _verified[next(iter(_verified))]  # the oldest
    _verified[token] = claims


def _integer(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
