"""Our signing keys: `ctn keys rotate` starts a new key; tokens signed by the old one keep
working until they expire, in this process and in a running server."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest
from joserfc import jws, jwt

from backend.audit.repository import search
from backend.db import unit_of_work
from backend.identity import keys
from backend.identity.errors import InvalidToken
from backend.settings import load_settings
from tests.conftest import TEST_SECRET_KEY
from tests.identity.conftest import LiveServer, sql
from tests.support.auth import bearer_for, create_person


async def live_bearer(live: LiveServer, person: object) -> dict[str, str]:
    """A token as the live server issues it (its issuer URL), signed in this process."""
    settings = load_settings({"CTN_PUBLIC_URL": live.url, "CTN_SECRET_KEY": TEST_SECRET_KEY})
    token, _ = await keys.issue_access_token(
        settings,
        person_id=person,
        family_id=None,
        acr=None,  # type: ignore[arg-type]
    )
    return {"Authorization": f"Bearer {token}"}


def kid_of(headers: dict[str, str]) -> str:
    token = headers["Authorization"].removeprefix("Bearer ")
    return str(jws.extract_compact(token.encode()).headers()["kid"])


async def test_rotation_keeps_old_tokens_valid_until_they_expire(
    http: httpx.AsyncClient, live: LiveServer, database_name: str, server_url: str
) -> None:
    person = await create_person()
    before = await live_bearer(live, person)
    result = subprocess.run(
        [sys.executable, "-m", "backend", "keys", "rotate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    keys.forget_cached_keys()
    after = await live_bearer(live, person)
    assert kid_of(after) != kid_of(before)
    assert kid_of(after) in result.stdout
    for headers in (before, after):  # this process, and a server that never heard of it
        response = await http.get("/api/v1/me", headers=headers)
        assert response.status_code == 200, response.text
    published = {key["kid"] for key in (await http.get("/auth/jwks")).json()["keys"]}
    assert {kid_of(before), kid_of(after)} <= published
    # Once the old key's tokens must all have expired, it verifies nothing.
    await sql(
        "UPDATE signing_keys SET retired_at = now() - interval '11 minutes'"
        f" WHERE kid = '{kid_of(before)}'"
    )
    keys.forget_cached_keys()
    live_settings = load_settings({"CTN_PUBLIC_URL": live.url, "CTN_SECRET_KEY": TEST_SECRET_KEY})
    with pytest.raises(InvalidToken):
        await keys.verify_access_token(live_settings, before["Authorization"].split()[1])
    await sql(f"UPDATE signing_keys SET retired_at = now() WHERE kid = '{kid_of(before)}'")
    async with unit_of_work():
        entries = await search(
            actor_id=None,
            action="keys.rotate",
            object_type=None,
            object_id=kid_of(after),
            since=None,
            until=None,
            before_id=None,
            limit=5,
        )
    assert len(entries) == 1


async def test_an_expired_access_token_says_so(client: httpx.AsyncClient) -> None:
    person = await create_person()
    headers = await bearer_for(person)
    token = headers["Authorization"].split()[1]
    claims = await keys.verify_access_token(load_settings(), token)
    assert claims["sub"] == str(person)
    assert claims["exp"] - claims["iat"] == 600
    signing = keys._ring.signing
    assert signing is not None
    kid, key = signing
    now = int(time.time())
    expired = jwt.encode(
        {"alg": "ES256", "kid": kid, "typ": "at+jwt"},
        {**claims, "iat": now - 7200, "exp": now - 3600},
        key,
    )
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
