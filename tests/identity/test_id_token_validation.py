"""ID-token validation (OIDC Core 3.1.3.7) by our relying party against the development
provider's real discovery and JWKS over HTTP; each failure has its own code and leaves a
security event. Tokens are crafted with the provider's own key (wrong claims) or with a
second key set (forged signatures)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from backend.db import unit_of_work
from backend.devidp import service as provider
from backend.identity import errors
from backend.identity.oidc import OidcClient
from backend.logs import ACCESS_FLUSH_SECONDS
from backend.security_events import read_events
from backend.settings import Settings, load_settings
from tests.identity.conftest import CITIZEN, LiveServer, mobile_tokens

NONCE = "expected-nonce"


@pytest.fixture
async def rp(live: LiveServer, committed: None) -> AsyncIterator[OidcClient]:
    settings = load_settings(
        {
            "CTN_PUBLIC_URL": live.url,
            "CTN_DEV_IDP": "1",
            "CTN_SECRET_KEY": load_settings().require_secret_key(),
        }
    )
    async with httpx.AsyncClient(timeout=10) as http:
        yield OidcClient(settings, http, refetch_interval=0)


def claims(settings: Settings, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": provider.issuer(settings),
        "aud": settings.oidc_client_id,
        "sub": provider.subject_of(CITIZEN),
        "iat": now,
        "exp": now + 300,
        "nonce": NONCE,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


async def provider_signed(settings: Settings, **overrides: Any) -> str:
    async with unit_of_work():
        return await provider.sign(claims(settings, **overrides))


async def current_kid() -> str:
    async with unit_of_work():
        return str((await provider.jwks())["keys"][-1]["kid"])


def b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def test_a_valid_id_token_passes(rp: OidcClient) -> None:
    token = await provider_signed(rp.settings)
    result = await rp.validate_id_token(token, nonce=NONCE)
    assert result["sub"] == provider.subject_of(CITIZEN)


async def expect(rp: OidcClient, token: str, error: type[errors.IdTokenError]) -> None:
    with pytest.raises(error) as caught:
        await rp.validate_id_token(token, nonce=NONCE)
    assert type(caught.value) is error
    events = read_events(load_settings().security_log_path)
    assert events[-1]["event"] == "id_token_rejected"
    assert events[-1]["code"] == error.code


async def test_each_failure_has_its_own_code(rp: OidcClient) -> None:
    settings = rp.settings
    now = int(time.time())
    await expect(
        rp, await provider_signed(settings, exp=now - 3600, iat=now - 4000), errors.IdTokenExpired
    )
    await expect(
        rp, await provider_signed(settings, iss="https://other.example"), errors.IdTokenWrongIssuer
    )
    await expect(
        rp, await provider_signed(settings, aud="another-client"), errors.IdTokenWrongAudience
    )
    await expect(
        rp,
        await provider_signed(settings, aud=[settings.oidc_client_id, "x"]),
        errors.IdTokenWrongAudience,
    )  # several audiences and no azp
    await expect(
        rp, await provider_signed(settings, nonce="someone-elses"), errors.IdTokenNonceMismatch
    )
    await expect(
        rp,
        await provider_signed(settings, iat=now + 3600, exp=now + 4000),
        errors.IdTokenIssuedInFuture,
    )


async def test_a_token_forged_with_another_key_is_refused(rp: OidcClient) -> None:
    attacker = RSAKey.generate_key(2048, private=True)
    same_kid = jwt.encode(
        {"alg": "RS256", "kid": await current_kid()}, claims(rp.settings), attacker
    )
    await expect(rp, same_kid, errors.IdTokenBadSignature)
    own_kid = jwt.encode({"alg": "RS256", "kid": "attacker-key"}, claims(rp.settings), attacker)
    await expect(rp, own_kid, errors.IdTokenUnknownKey)


async def test_unsigned_and_symmetric_tokens_are_refused(rp: OidcClient) -> None:
    payload = b64(claims(rp.settings))
    unsigned = f"{b64({'alg': 'none', 'kid': await current_kid()})}.{payload}."
    await expect(rp, unsigned, errors.IdTokenAlgorithmRefused)
    hs = f"{b64({'alg': 'HS256', 'kid': await current_kid()})}.{payload}.{b64(b'x' * 32)}"
    await expect(rp, hs, errors.IdTokenAlgorithmRefused)


async def test_an_unknown_key_makes_one_jwks_refetch(rp: OidcClient) -> None:
    await rp.validate_id_token(await provider_signed(rp.settings), nonce=NONCE)
    assert rp.jwks_fetches == 1
    attacker = RSAKey.generate_key(2048, private=True)
    forged = jwt.encode({"alg": "RS256", "kid": "nope"}, claims(rp.settings), attacker)
    with pytest.raises(errors.IdTokenUnknownKey):
        await rp.validate_id_token(forged, nonce=NONCE)
    assert rp.jwks_fetches == 2
    rp.refetch_interval = 3600  # a flood of unknown kids does not make a flood of fetches
    for _ in range(5):
        with pytest.raises(errors.IdTokenUnknownKey):
            await rp.validate_id_token(forged, nonce=NONCE)
    assert rp.jwks_fetches == 2


async def test_the_provider_rotating_its_key_costs_one_refetch(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    """End to end on the live server: after the provider switches keys, the next sign-in
    succeeds after exactly one fetch of the provider's JWKS."""
    await mobile_tokens(http)

    async def jwks_fetches() -> int:
        await asyncio.sleep(3 * ACCESS_FLUSH_SECONDS)  # access lines are written in batches
        return sum('"route":"/dev-idp/jwks"' in line for line in live.log.read_text().splitlines())

    before = await jwks_fetches()
    rotated = await http.post("/dev-idp/rotate-key")
    assert rotated.status_code == 200
    await mobile_tokens(http)
    await mobile_tokens(http)
    assert await jwks_fetches() == before + 1
