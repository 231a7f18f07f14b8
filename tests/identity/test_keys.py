"""Our signing keys: `ctn keys rotate` starts a new key; tokens signed by the old one keep
working until they expire, in this process and in a running server."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
import pytest
from joserfc import jws, jwt

from backend.audit.repository import search
from backend.db import unit_of_work
from backend.identity import keys
from backend.identity.errors import InvalidToken
from backend.identity.service import do_issue_tokens
from backend.settings import Settings, load_settings
from tests.conftest import TEST_SECRET_KEY
from tests.identity.conftest import LiveServer, sql
from tests.support.auth import bearer_for, create_person


def live_settings(live: LiveServer) -> Settings:
    return load_settings({"CTN_PUBLIC_URL": live.url, "CTN_SECRET_KEY": TEST_SECRET_KEY})


async def live_bearer(live: LiveServer, person: uuid.UUID) -> dict[str, str]:
    """A token as the live server issues it (its issuer URL, a refresh family of its own),
    signed in this process."""
    async with unit_of_work():
        pair = await do_issue_tokens(live_settings(live), person)
    return {"Authorization": f"Bearer {pair.access_token}"}


async def forged(live: LiveServer, person: uuid.UUID, **changes: Any) -> dict[str, str]:
    """A token signed with the server's real key whose claims are changed (None drops one)."""
    headers = await live_bearer(live, person)
    claims = await keys.verify_access_token(
        live_settings(live), headers["Authorization"].split()[1]
    )
    signing = keys._ring.signing
    assert signing is not None
    kid, key = signing
    claims = {k: v for k, v in {**claims, **changes}.items() if v is not None}
    token = jwt.encode({"alg": "ES256", "kid": kid, "typ": "at+jwt"}, claims, key)
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
    with pytest.raises(InvalidToken):
        await keys.verify_access_token(live_settings(live), before["Authorization"].split()[1])
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


async def test_a_token_whose_family_is_unknown_or_absent_is_refused(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    person = await create_person()
    good = await live_bearer(live, person)
    assert (await http.get("/api/v1/me", headers=good)).status_code == 200
    for headers in (
        await forged(live, person, fam=str(uuid.uuid4())),  # a family that never existed
        await forged(live, person, fam=None),  # no family at all
        await forged(live, person, fam="not-a-uuid"),
        await forged(live, await create_person(), fam=_family_of(good)),  # someone else's
    ):
        response = await http.get("/api/v1/me", headers=headers)
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "token_invalid"


async def test_not_before_and_the_maximum_lifetime_are_enforced(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    person = await create_person()
    now = int(time.time())
    early = await http.get(
        "/api/v1/me", headers=await forged(live, person, nbf=now + 3600, exp=now + 3600)
    )
    assert early.status_code == 401
    assert early.json()["code"] == "token_not_yet_valid"
    long_lived = await http.get(
        "/api/v1/me", headers=await forged(live, person, iat=now, exp=now + 30 * 24 * 3600)
    )
    assert long_lived.status_code == 401
    assert long_lived.json()["code"] == "token_invalid"
    just_right = await http.get(
        "/api/v1/me", headers=await forged(live, person, iat=now, exp=now + 600)
    )
    assert just_right.status_code == 200


def _family_of(headers: dict[str, str]) -> str:
    token = headers["Authorization"].split()[1]
    return str(jwt.decode(token, keys._ring.verifying[kid_of(headers)]).claims["fam"])


async def test_a_token_verified_before_is_still_checked_for_expiry_and_its_key(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process remembers which signatures it has checked; the rest is checked each time."""
    settings = load_settings()
    person = await create_person()
    async with unit_of_work():
        pair = await do_issue_tokens(settings, person)
    claims = await keys.verify_access_token(settings, pair.access_token)
    assert pair.access_token in keys._verified  # the signature check is remembered
    later = time.time() + settings.access_token_minutes * 60 + 120
    monkeypatch.setattr(keys.time, "time", lambda: later)
    with pytest.raises(InvalidToken):  # TokenExpired is an InvalidToken
        await keys.verify_access_token(settings, pair.access_token)
    monkeypatch.undo()
    # A key that is no longer ours no longer verifies a remembered token.
    kid = jws.extract_compact(pair.access_token.encode()).headers()["kid"]
    removed = keys._ring.verifying.pop(kid)
    try:
        monkeypatch.setattr(keys, "_ensure_loaded", _no_reload)
        with pytest.raises(InvalidToken):
            await keys.verify_access_token(settings, pair.access_token)
    finally:
        keys._ring.verifying[kid] = removed
    assert claims["sub"] == str(person)


async def _no_reload(settings: Settings, force: bool = False) -> None:
    return None
