"""Sign-in throttling: a district behind one address signs in, whoever hammers one flow, code
or refresh token is stopped (429 problem, Retry-After, a `throttled` security event naming the
limit), rotating X-Forwarded-For gains nothing, and every process counts in one place."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backend.db import unit_of_work
from backend.devidp.people import PEOPLE
from backend.identity import throttle
from backend.identity.service import do_purge_expired
from backend.security_events import read_events
from backend.settings import Settings, load_settings
from tests.identity.conftest import LiveServer, mobile_tokens, running_server, start_mobile


def settle_in_window(margin: float = 12.0) -> None:
    """Counters are one-minute windows: start a burst early enough in one to end in it."""
    into = time.time() % throttle.WINDOW_SECONDS
    if into > throttle.WINDOW_SECONDS - margin:
        time.sleep(throttle.WINDOW_SECONDS - into + 0.2)


def throttled_events(live: LiveServer, seen: int) -> list[dict[str, Any]]:
    return [e for e in read_events(live.security_log)[seen:] if e["event"] == "throttled"]


def assert_throttled(response: httpx.Response, limit: str) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    body = response.json()
    assert body["code"] == "sign_in_throttled"
    assert body["limit"] == limit
    assert body["title"].startswith("Có quá nhiều lượt đăng nhập")


async def test_the_default_ceiling_admits_a_thousand_sign_ins_from_one_address(
    db: None,
) -> None:
    """A thousand people behind one NAT sign in within a minute: authorize, callback (each
    their own flow) and token (each their own code), all counted, none refused."""
    settings = Settings()  # the defaults, whatever the environment says
    address = f"203.0.113.{secrets.randbelow(250)}"
    start = (time.time() // 60 + 10_000 + secrets.randbelow(10**6)) * 60  # a window of our own
    for person in range(1000):
        now = start + person * 0.05  # 50 s for the thousand
        for kind, fields in (
            ("authorize", {}),
            ("callback", {"state": f"state-{person}", "code": "provider-code"}),
            ("token", {"grant_type": "authorization_code", "code": f"code-{person}"}),
        ):
            limits = await throttle.limits_for(settings, kind, address, fields)
            assert await throttle.do_count(limits, now) is None, (person, kind)
    # The same address is stopped at its ceiling, all the same.
    small = Settings(auth_throttle_address_per_minute=3)
    limits = await throttle.limits_for(small, "authorize", "198.51.100.1", {})
    outcomes = [await throttle.do_count(limits, start) for _ in range(4)]
    assert outcomes[:3] == [None, None, None]
    assert outcomes[3] is not None and outcomes[3].limit == "address"


async def test_many_people_behind_one_address_sign_in_over_http(
    http: httpx.AsyncClient,
) -> None:
    """120 real sign-ins from one address (360 throttled requests; the old limit of 30 a
    minute per address stopped the eleventh), with the default settings."""
    settle_in_window(margin=30)
    slots = asyncio.Semaphore(8)

    async def sign_in(index: int) -> dict[str, Any]:
        async with slots:
            return await mobile_tokens(http, PEOPLE[index % len(PEOPLE)].personal_id)

    results = await asyncio.gather(*(sign_in(i) for i in range(120)))
    assert len({r["refresh_token"] for r in results}) == 120


async def test_hammering_one_handoff_code_is_stopped(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    settle_in_window()
    seen = len(read_events(live.security_log))
    form = {"grant_type": "authorization_code", "code": "bad-" + secrets.token_urlsafe(8)}
    form["code_verifier"] = "v" * 43
    responses = []
    for attempt in range(12):
        # A fresh X-Forwarded-For each time: the server does not believe it.
        headers = {"X-Forwarded-For": f"198.51.100.{attempt}"}
        responses.append(await http.post("/api/v1/auth/token", data=form, headers=headers))
    assert [r.status_code for r in responses[:10]] == [400] * 10
    assert all(r.json()["code"] == "handoff_code_invalid" for r in responses[:10])
    for response in responses[10:]:
        assert_throttled(response, "handoff_code")
    events = throttled_events(live, seen)
    assert [e["limit"] for e in events] == ["handoff_code", "handoff_code"]
    assert events[0]["route"] == "/api/v1/auth/token"
    assert events[0]["client"] and events[0]["client"] == events[1]["client"]
    # Someone else's sign-in from the same address goes on.
    assert (await mobile_tokens(http))["access_token"]


async def test_hammering_a_refresh_token_is_stopped_by_its_family(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    settle_in_window()
    seen = len(read_events(live.security_log))
    tokens = await mobile_tokens(http)
    stolen = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    statuses = []
    for _ in range(12):
        response = await http.post("/api/v1/auth/token", data=stolen)
        statuses.append(response.status_code)
    # One rotation, a reuse (which revokes the family), then refusals, then the limit.
    assert statuses[:10] == [200] + [400] * 9
    assert_throttled(response, "refresh_family")
    unknown = {"grant_type": "refresh_token", "refresh_token": secrets.token_urlsafe(32)}
    answers = [await http.post("/api/v1/auth/token", data=unknown) for _ in range(11)]
    assert answers[0].json()["code"] == "refresh_token_invalid"
    assert_throttled(answers[-1], "refresh_token")
    assert {e["limit"] for e in throttled_events(live, seen)} == {
        "refresh_family",
        "refresh_token",
    }


async def test_hammering_one_login_state_at_the_callback_is_stopped(
    http: httpx.AsyncClient,
) -> None:
    settle_in_window()
    start = await start_mobile(http)
    state = dict(httpx.URL(start.headers["location"]).params)["state"]
    answers = [
        await http.get("/auth/callback", params={"state": state, "code": "guess"})
        for _ in range(11)
    ]
    assert answers[1].json()["code"] == "login_state_invalid"  # the first one used it up
    assert_throttled(answers[-1], "login_flow")


@pytest.fixture(scope="module")
def two_servers(
    server_url: str, database_name: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two `ctn serve` processes on one database, with a per-address ceiling of 12."""
    env = {
        "CTN_AUTH_THROTTLE_ADDRESS_PER_MINUTE": "12",
        "CTN_AUTH_THROTTLE_CREDENTIAL_PER_MINUTE": "1000",
    }
    database_url = server_url.format(db=database_name)
    with contextlib.ExitStack() as stack:
        first = stack.enter_context(
            running_server(tmp_path_factory.mktemp("first"), database_url, env)
        )
        second = stack.enter_context(
            running_server(tmp_path_factory.mktemp("second"), database_url, env)
        )
        yield first, second


async def test_two_processes_share_one_address_ceiling(
    two_servers: tuple[LiveServer, LiveServer], committed: None
) -> None:
    """Requests alternate between two servers, each with its own X-Forwarded-For and its own
    bad code (no per-code limit is reached): the ceiling of 12 holds across both."""
    first, second = two_servers
    settle_in_window()
    responses = []
    # From an address of our own (all of 127/8 is this machine): the other tests' requests
    # from 127.0.0.1 count against another address.
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(timeout=20, transport=transport) as http:
        for attempt in range(20):
            server = (first, second)[attempt % 2]
            responses.append(
                await http.post(
                    f"{server.url}/api/v1/auth/token",
                    data={
                        "grant_type": "authorization_code",
                        "code": secrets.token_urlsafe(16),
                        "code_verifier": "v" * 43,
                    },
                    headers={"X-Forwarded-For": f"192.0.2.{attempt}"},
                )
            )
    statuses = [r.status_code for r in responses]
    assert statuses == [400] * 12 + [429] * 8, statuses
    assert_throttled(responses[-1], "address")
    assert_throttled(responses[-2], "address")
    for server in two_servers:
        assert {e["limit"] for e in throttled_events(server, 0)} == {"address"}


async def test_old_counters_are_purged(db: None) -> None:
    limits = [throttle.Limit("address", "purge-test", 100)]
    assert await throttle.do_count(limits, time.time() - 3600) is None
    async with unit_of_work():
        counts = await do_purge_expired(load_settings())
    assert counts["throttle_counters"] >= 1
