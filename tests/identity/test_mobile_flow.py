"""The mobile sign-in over real HTTP against the development provider: authorize → provider
→ callback → handoff → token, then refresh rotation, reuse detection and logout."""

from __future__ import annotations

import asyncio

import httpx

from backend.db import engine, unit_of_work
from backend.devidp.people import BY_PERSONAL_ID
from backend.identity.service import do_purge_expired
from backend.security_events import read_events
from backend.settings import load_settings
from tests.identity.conftest import (
    APP_REDIRECT,
    CITIZEN,
    OTHER_CITIZEN,
    LiveServer,
    bearer,
    mobile_handoff,
    mobile_tokens,
    pkce_pair,
    redeem,
    sql,
    start_mobile,
)


async def test_the_app_signs_in_and_gets_its_tokens_and_profile(http: httpx.AsyncClient) -> None:
    sign_in = await mobile_handoff(http)
    response = await redeem(http, sign_in)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 600
    assert len(tokens["refresh_token"]) >= 40
    me = await http.get("/api/v1/me", headers=bearer(tokens))
    assert me.status_code == 200
    person = BY_PERSONAL_ID[CITIZEN]
    body = me.json()
    assert body["personal_id"] == CITIZEN
    assert body["full_name"] == person.full_name
    assert body["birth_date"] == person.birth_date.isoformat()
    assert body["gender"] == person.gender
    assert body["roles"] == ["citizen"]
    assert body["csrf_token"] is None


async def test_the_app_state_comes_back_unchanged(http: httpx.AsyncClient) -> None:
    sign_in = await mobile_handoff(http)
    assert sign_in.redirect.startswith(f"{APP_REDIRECT}?code=")
    assert sign_in.app_state  # the query helper read it from the redirect


async def test_a_person_is_the_same_at_every_sign_in(http: httpx.AsyncClient) -> None:
    first = await http.get("/api/v1/me", headers=bearer(await mobile_tokens(http)))
    second = await http.get("/api/v1/me", headers=bearer(await mobile_tokens(http)))
    assert first.json()["id"] == second.json()["id"]


async def test_a_handoff_code_works_once(http: httpx.AsyncClient) -> None:
    sign_in = await mobile_handoff(http)
    assert (await redeem(http, sign_in)).status_code == 200
    again = await redeem(http, sign_in)
    assert again.status_code == 400
    assert again.json()["code"] == "handoff_code_invalid"
    assert again.json()["error"] == "invalid_grant"


async def test_a_handoff_code_needs_the_apps_own_verifier(http: httpx.AsyncClient) -> None:
    sign_in = await mobile_handoff(http)
    sign_in.verifier = pkce_pair()[0]  # an intercepting app does not have the verifier
    response = await redeem(http, sign_in)
    assert response.status_code == 400
    assert response.json()["code"] == "pkce_mismatch"


async def test_a_wrong_verifier_uses_the_handoff_code_up(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    verifier = pkce_pair()[0]
    sign_in = await mobile_handoff(http, verifier=verifier)
    sign_in.verifier = pkce_pair()[0]
    assert (await redeem(http, sign_in)).json()["code"] == "pkce_mismatch"
    sign_in.verifier = verifier  # the interceptor guessed wrong; now even the app cannot
    late = await redeem(http, sign_in)
    assert late.status_code == 400
    assert late.json()["code"] == "handoff_code_invalid"
    events = [e for e in read_events(live.security_log) if e["event"] == "handoff_code_rejected"]
    assert [e["code"] for e in events[-2:]] == ["pkce_mismatch", "handoff_code_invalid"]


async def test_a_wrong_redirect_uri_uses_the_handoff_code_up(http: httpx.AsyncClient) -> None:
    sign_in = await mobile_handoff(http)
    form = {
        "grant_type": "authorization_code",
        "code": sign_in.handoff_code,
        "code_verifier": sign_in.verifier,
    }
    wrong = await http.post(
        "/api/v1/auth/token", data={**form, "redirect_uri": "vn.test.ctn:/other"}
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "handoff_redirect_uri_mismatch"
    assert (await http.post("/api/v1/auth/token", data=form)).json()["code"] == (
        "handoff_code_invalid"
    )


async def test_an_unregistered_redirect_uri_is_refused_without_redirecting(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get(
        "/auth/mobile/authorize",
        params={
            "redirect_uri": "https://evil.example/cb",
            "state": "s",
            "code_challenge": pkce_pair()[1],
            "code_challenge_method": "S256",
        },
    )
    assert response.status_code == 400
    assert response.json()["code"] == "redirect_uri_not_allowed"
    assert "location" not in response.headers


async def test_pkce_is_required_of_the_app(http: httpx.AsyncClient) -> None:
    for params in (
        {},
        {"code_challenge": pkce_pair()[1], "code_challenge_method": "plain"},
        {"code_challenge": "short", "code_challenge_method": "S256"},
    ):
        response = await http.get(
            "/auth/mobile/authorize",
            params={"redirect_uri": APP_REDIRECT, "state": "s", **params},
        )
        assert response.status_code == 400
        assert response.json()["code"] == "pkce_required"


async def test_the_provider_is_asked_with_state_nonce_and_pkce(http: httpx.AsyncClient) -> None:
    response = await start_mobile(http)
    location = httpx.URL(response.headers["location"])
    assert location.path == "/dev-idp/authorize"
    params = dict(location.params)
    assert params["client_id"] == "c-thainguyen"
    assert params["redirect_uri"].endswith("/auth/callback")
    assert params["code_challenge_method"] == "S256"
    assert len(params["state"]) >= 40 and len(params["nonce"]) >= 40
    assert params["state"] != "app-state"  # our own state with the provider, not the app's
    assert params["login_hint"] == CITIZEN


async def test_a_replayed_callback_is_refused(http: httpx.AsyncClient) -> None:
    start = await start_mobile(http)
    callback = (await http.get(start.headers["location"])).headers["location"]
    assert (await http.get(callback)).status_code == 302
    replay = await http.get(callback)
    assert replay.status_code == 400
    assert replay.json()["code"] == "login_state_invalid"


async def test_refresh_rotates_and_the_old_refresh_token_is_spent(
    http: httpx.AsyncClient,
) -> None:
    tokens = await mobile_tokens(http)
    rotated = await http.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["access_token"] != tokens["access_token"]
    assert (await http.get("/api/v1/me", headers=bearer(new))).status_code == 200
    # JSON bodies are accepted too.
    again = await http.post(
        "/api/v1/auth/token",
        json={"grant_type": "refresh_token", "refresh_token": new["refresh_token"]},
    )
    assert again.status_code == 200


async def test_reusing_a_refresh_token_revokes_the_whole_family(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    stolen = await mobile_tokens(http)
    legit = (
        await http.post(
            "/api/v1/auth/token",
            data={"grant_type": "refresh_token", "refresh_token": stolen["refresh_token"]},
        )
    ).json()
    reuse = await http.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": stolen["refresh_token"]},
    )
    assert reuse.status_code == 400
    assert reuse.json()["code"] == "refresh_token_reused"
    # The legitimate holder's newer tokens die with the family, access token included.
    later = await http.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": legit["refresh_token"]},
    )
    assert later.status_code == 400
    assert later.json()["code"] == "refresh_token_invalid"
    me = await http.get("/api/v1/me", headers=bearer(legit))
    assert me.status_code == 401
    assert me.json()["code"] == "token_invalid"
    events = [e for e in read_events(live.security_log) if e["event"] == "refresh_token_reuse"]
    assert events and events[-1]["actor"] is not None


async def test_logout_revokes_the_refresh_and_access_tokens(http: httpx.AsyncClient) -> None:
    tokens = await mobile_tokens(http)
    out = await http.post(
        "/api/v1/auth/logout",
        headers=bearer(tokens),
        json={"refresh_token": tokens["refresh_token"]},
    )
    assert out.status_code == 204
    assert (await http.get("/api/v1/me", headers=bearer(tokens))).status_code == 401
    refresh = await http.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refresh.json()["code"] == "refresh_token_invalid"


async def test_bad_token_requests_get_clear_errors(http: httpx.AsyncClient) -> None:
    unsupported = await http.post("/api/v1/auth/token", data={"grant_type": "password"})
    assert unsupported.status_code == 400
    assert unsupported.json()["code"] == "unsupported_grant_type"
    assert unsupported.json()["error"] == "unsupported_grant_type"
    unknown = await http.post(
        "/api/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": "nope"}
    )
    assert unknown.json()["code"] == "refresh_token_invalid"
    wrong_type = await http.post(
        "/api/v1/auth/token", content=b"grant_type=x", headers={"content-type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    short = await http.post(
        "/api/v1/auth/token",
        data={"grant_type": "authorization_code", "code": "c", "code_verifier": "short"},
    )
    assert short.status_code == 422
    [error] = short.json()["errors"]
    assert error["field"] == "code_verifier"
    assert error["message_vi"] == "Chuỗi phải dài ít nhất 43 ký tự"
    garbage = await http.get("/api/v1/me", headers={"Authorization": "Bearer not-a-jwt"})
    assert garbage.status_code == 401
    assert garbage.json()["code"] == "token_invalid"
    assert "invalid_token" in garbage.headers["www-authenticate"]
    anonymous = await http.get("/api/v1/me")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"


async def test_an_idle_refresh_token_expires(http: httpx.AsyncClient) -> None:
    tokens = await mobile_tokens(http)
    await sql("UPDATE refresh_tokens SET idle_expires_at = now() - interval '1 second'")
    response = await http.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert response.json()["code"] == "refresh_token_invalid"


async def test_expired_sign_in_state_is_purged(http: httpx.AsyncClient) -> None:
    await mobile_tokens(http)
    await mobile_handoff(http)  # an unredeemed handoff code
    connection = await engine().get_new_connection()
    try:
        await connection.execute(
            "UPDATE refresh_families SET expires_at = now() - interval '1 second';"
            "UPDATE handoff_codes SET expires_at = now() - interval '1 second';"
            "UPDATE login_flows SET expires_at = now() - interval '1 second'"
        )
        async with unit_of_work():
            counts = await do_purge_expired(load_settings())
        assert counts["refresh_families"] == 1
        assert counts["handoff_codes"] == 2
        assert counts["login_flows"] == 2
        left = await connection.fetchval(
            "SELECT (SELECT count(*) FROM refresh_tokens) + (SELECT count(*) FROM handoff_codes)"
        )
        assert left == 0
    finally:
        await connection.close()


async def test_a_refused_sign_in_goes_back_to_the_app_with_the_reason(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    start = await start_mobile(http, login_hint=None)
    state = dict(httpx.URL(start.headers["location"]).params)["state"]
    # The person cancels at the provider, which sends the browser back with an error.
    back = await http.get(
        "/auth/callback", params={"state": state, "error": "access_denied", "iss": live.issuer}
    )
    assert back.status_code == 302
    location = back.headers["location"]
    assert location.startswith(f"{APP_REDIRECT}?")
    assert dict(httpx.URL(location.replace(APP_REDIRECT, "https://app/", 1)).params) == {
        "error": "access_denied",
        "error_code": "sign_in_refused",
        "state": "app-state",
    }


async def test_two_first_sign_ins_at_once_make_one_person(http: httpx.AsyncClient) -> None:
    results = await asyncio.gather(*(mobile_tokens(http, OTHER_CITIZEN) for _ in range(3)))
    ids = {
        (await http.get("/api/v1/me", headers=bearer(tokens))).json()["id"] for tokens in results
    }
    assert len(ids) == 1


async def test_the_web_logout_route_with_a_bearer_token_revokes_its_family(
    http: httpx.AsyncClient,
) -> None:
    tokens = await mobile_tokens(http)
    out = await http.post("/auth/logout", headers=bearer(tokens))
    assert out.status_code == 200
    me = await http.get("/api/v1/me", headers=bearer(tokens))
    assert me.status_code == 401
    assert me.json()["code"] == "token_invalid"
    refresh = await http.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refresh.json()["code"] == "refresh_token_invalid"


async def test_logout_without_a_body_revokes_the_access_tokens_family(
    http: httpx.AsyncClient,
) -> None:
    tokens = await mobile_tokens(http)
    assert (await http.post("/api/v1/auth/logout", headers=bearer(tokens))).status_code == 204
    assert (await http.get("/api/v1/me", headers=bearer(tokens))).status_code == 401


async def test_guessing_events_name_the_client_by_a_hash(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    """Refresh tokens, handoff codes and login states that are guessed say from where (as a
    keyed hash, the same for every attempt from one address), so a SOC can follow them."""
    seen = len(read_events(live.security_log))
    await http.post(
        "/api/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": "guess-1"}
    )
    await http.post(
        "/api/v1/auth/token",
        data={"grant_type": "authorization_code", "code": "guess-2", "code_verifier": "v" * 43},
    )
    await http.get("/auth/callback", params={"state": "guess-3", "code": "x"})
    events = read_events(live.security_log)[seen:]
    kinds = {e["event"]: e for e in events}
    assert {"refresh_token_rejected", "handoff_code_rejected", "login_state_rejected"} <= set(kinds)
    clients = {e["client"] for e in events}
    assert len(clients) == 1
    [client] = clients
    assert isinstance(client, str) and len(client) == 16 and "127.0.0.1" not in client


async def test_an_idempotency_key_never_replays_a_handoff_code_or_a_refresh_token(
    http: httpx.AsyncClient,
) -> None:
    key = {"Idempotency-Key": "retry-of-a-grant"}
    sign_in = await mobile_handoff(http)
    form = {
        "grant_type": "authorization_code",
        "code": sign_in.handoff_code,
        "code_verifier": sign_in.verifier,
    }
    first = await http.post("/api/v1/auth/token", data=form, headers=key)
    assert first.status_code == 200
    again = await http.post("/api/v1/auth/token", data=form, headers=key)
    assert again.status_code == 400
    assert again.json()["code"] == "handoff_code_invalid"
    tokens = first.json()
    # A signed-in caller's key is not honoured on the token endpoint either.
    signed_in = {**key, **bearer(tokens)}
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    rotated = await http.post("/api/v1/auth/token", data=refresh, headers=signed_in)
    assert rotated.status_code == 200
    reuse = await http.post("/api/v1/auth/token", data=refresh, headers=signed_in)
    assert reuse.status_code == 400
    assert reuse.json()["code"] == "refresh_token_reused"
    assert "idempotent-replayed" not in reuse.headers
    # Nothing about these requests was kept: no key, no tokens.
    connection = await engine().get_new_connection()
    try:
        assert await connection.fetchval("SELECT count(*) FROM idempotency_keys") == 0
    finally:
        await connection.close()


async def test_logout_is_never_replayed(http: httpx.AsyncClient) -> None:
    tokens = await mobile_tokens(http)
    headers = {**bearer(tokens), "Idempotency-Key": "logout-1"}
    assert (await http.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    again = await http.post("/api/v1/auth/logout", headers=headers)
    assert again.status_code == 401  # the token is revoked, not a replayed 204
