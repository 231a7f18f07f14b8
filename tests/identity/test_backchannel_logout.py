"""OpenID Connect Back-Channel Logout: the provider ends a session, and every session and
refresh token of it here stops working."""

from __future__ import annotations

import time

import httpx

from backend.db import unit_of_work
from backend.devidp import service as provider
from backend.settings import load_settings
from tests.identity.conftest import (
    CITIZEN,
    OTHER_CITIZEN,
    LiveServer,
    bearer,
    mobile_tokens,
    web_sign_in,
)


def live_settings(live: LiveServer):  # type: ignore[no-untyped-def]
    return load_settings(
        {
            "CTN_PUBLIC_URL": live.url,
            "CTN_DEV_IDP": "1",
            "CTN_SECRET_KEY": load_settings().require_secret_key(),
        }
    )


async def test_the_provider_logging_a_person_out_revokes_their_tokens_and_sessions(
    http: httpx.AsyncClient,
) -> None:
    tokens = await mobile_tokens(http, CITIZEN)
    other = await mobile_tokens(http, OTHER_CITIZEN)
    await web_sign_in(http, CITIZEN)
    assert (await http.get("/api/v1/me")).status_code == 200
    result = await http.post("/dev-idp/logout", params={"personal_id": CITIZEN})
    assert result.json() == {"backchannel_status": 200}
    assert (await http.get("/api/v1/me", headers=bearer(tokens))).status_code == 401
    refresh = await http.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refresh.json()["code"] == "refresh_token_invalid"
    assert (await http.get("/api/v1/me")).status_code == 401  # the web session too
    assert (await http.get("/api/v1/me", headers=bearer(other))).status_code == 200


async def logout_token(live: LiveServer, **overrides: object) -> str:
    settings = live_settings(live)
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": f"{live.url}/dev-idp",
        "aud": settings.oidc_client_id,
        "iat": now,
        "exp": now + 60,
        "jti": "j1",
        "sub": provider.subject_of(CITIZEN),
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    }
    claims.update(overrides)
    async with unit_of_work():
        return await provider.sign({k: v for k, v in claims.items() if v is not None})


async def test_invalid_logout_tokens_are_refused_and_revoke_nothing(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    tokens = await mobile_tokens(http, CITIZEN)
    bad = {
        "nonce": await logout_token(live, nonce="n"),
        "no events": await logout_token(live, events=None),
        "wrong audience": await logout_token(live, aud="someone-else"),
        "wrong issuer": await logout_token(live, iss="https://evil.example"),
        "neither sid nor sub": await logout_token(live, sub=None),
    }
    codes = {}
    for name, token in bad.items():
        response = await http.post("/auth/backchannel-logout", data={"logout_token": token})
        assert response.status_code in (400, 401), name
        codes[name] = response.json()["code"]
    assert codes["wrong audience"] == "id_token_wrong_audience"
    assert codes["wrong issuer"] == "id_token_wrong_issuer"
    assert codes["nonce"] == "logout_token_invalid"
    assert (await http.get("/api/v1/me", headers=bearer(tokens))).status_code == 200
    good = await http.post(
        "/auth/backchannel-logout", data={"logout_token": await logout_token(live)}
    )
    assert good.status_code == 200
    assert good.headers["cache-control"] == "no-store"
    assert (await http.get("/api/v1/me", headers=bearer(tokens))).status_code == 401
