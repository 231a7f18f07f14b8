"""The provider's authorization response at our callback: a code the provider's token
endpoint refuses is reported, and the response must name our provider (RFC 9207 `iss`) when
the provider's discovery says it always does — over real HTTP against the development
provider, which advertises and sends `iss`."""

from __future__ import annotations

import httpx

from backend.security_events import read_events
from tests.identity.conftest import APP_REDIRECT, LiveServer, query_of, start_mobile


async def provider_response(http: httpx.AsyncClient, *, web: bool = False) -> dict[str, str]:
    """The query the provider sends the browser back to our callback with."""
    if web:
        start = await http.get("/auth/login", params={"login_hint": "019090001234"})
    else:
        start = await start_mobile(http)
    at_provider = await http.get(start.headers["location"])
    assert at_provider.status_code == 302
    return query_of(at_provider.headers["location"])


def events_since(live: LiveServer, seen: int, name: str) -> list[dict[str, object]]:
    return [e for e in read_events(live.security_log)[seen:] if e["event"] == name]


async def test_the_provider_advertises_and_sends_iss(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    discovery = (await http.get("/dev-idp/.well-known/openid-configuration")).json()
    assert discovery["authorization_response_iss_parameter_supported"] is True
    assert (await provider_response(http))["iss"] == live.issuer


async def test_a_forged_provider_code_is_refused_and_reported(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    seen = len(read_events(live.security_log))
    response = await provider_response(http)
    back = await http.get(
        "/auth/callback",
        params={"state": response["state"], "code": "forged-code", "iss": live.issuer},
    )
    assert back.status_code == 302
    location = back.headers["location"]
    assert location.startswith(APP_REDIRECT + "?")
    assert query_of(location)["error_code"] == "sign_in_refused"
    [event] = events_since(live, seen, "provider_code_rejected")
    assert event["code"] == "invalid_grant"
    assert event["status"] == 400
    assert event["client"] is not None


async def test_a_response_naming_another_issuer_is_refused(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    seen = len(read_events(live.security_log))
    response = await provider_response(http)
    back = await http.get(
        "/auth/callback", params={**response, "iss": "https://attacker.example/idp"}
    )
    assert back.status_code == 302
    assert query_of(back.headers["location"])["error_code"] == (
        "authorization_response_iss_mismatch"
    )
    [event] = events_since(live, seen, "authorization_response_rejected")
    assert event["iss"] == "mismatch"
    assert not events_since(live, seen, "provider_code_rejected")  # the code was never sent


async def test_a_response_without_iss_is_refused_when_the_provider_always_sends_it(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    seen = len(read_events(live.security_log))
    response = await provider_response(http, web=True)
    del response["iss"]
    back = await http.get("/auth/callback", params=response)
    assert back.status_code == 400
    assert back.headers["content-type"].startswith("application/problem+json")
    body = back.json()
    assert body["code"] == "authorization_response_iss_mismatch"
    assert body["title"].startswith("Phản hồi đăng nhập")
    [event] = events_since(live, seen, "authorization_response_rejected")
    assert event["iss"] == "missing"


async def test_a_response_with_the_right_iss_signs_in(http: httpx.AsyncClient) -> None:
    response = await provider_response(http)
    back = await http.get("/auth/callback", params=response)
    assert back.status_code == 302
    assert "code" in query_of(back.headers["location"])
