"""A real `ctn serve` with the development identity provider, over real HTTP, on this
worker's test database; and the sign-in flows a mobile app and a browser go through."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import TEST_SECRET_KEY, free_port

APP_REDIRECT = "vn.test.ctn:/oauth2redirect"
CITIZEN = "019090001234"  # Nguyễn Văn An, a demo citizen
OTHER_CITIZEN = "019185004321"


@dataclass
class LiveServer:
    url: str
    security_log: Path
    log: Path
    pid: int = 0

    @property
    def issuer(self) -> str:
        return f"{self.url}/dev-idp"


@contextlib.contextmanager
def running_server(
    tmp: Path,
    database_url: str,
    extra_env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> Iterator[LiveServer]:
    """`ctn serve --allow-dev-idp` on a free port of this machine, until the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CTN_", "PYTEST_"))}
    env.update(
        DATABASE_URL=database_url,
        CTN_DATA_DIR=str(tmp / "data"),
        CTN_SECRET_KEY=TEST_SECRET_KEY,
        CTN_DEV_IDP="1",
        CTN_PUBLIC_URL=url,
        CTN_MOBILE_REDIRECT_URIS=f"{APP_REDIRECT},vn.test.ctn:/other",
        CTN_SECURITY_LOG=str(tmp / "security.jsonl"),
        CTN_DB_POOL_MIN="0",
    )
    env.update(extra_env or {})  # the caller's settings win over these defaults
    log_path = tmp / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "backend",
                "serve",
                "--port",
                str(port),
                "--allow-dev-idp",
                *args,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ctn serve did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield LiveServer(
            url=url, security_log=tmp / "security.jsonl", log=log_path, pid=process.pid
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def live(
    server_url: str, database_name: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The live server shared by this worker's identity tests."""
    with running_server(
        tmp_path_factory.mktemp("live"), server_url.format(db=database_name)
    ) as server:
        yield server


@pytest.fixture
async def http(live: LiveServer, committed: None) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the live server (no redirects followed: the tests look at each hop).
    The database is really written; `committed` empties it afterwards."""
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as client:
        yield client


def challenge_of(verifier: str) -> str:
    """S256, computed here independently of the code under test (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, challenge_of(verifier)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class MobileSignIn:
    handoff_code: str
    app_state: str
    verifier: str
    redirect: str


async def sql(statement: str) -> None:
    """Run SQL on the test database outside any test transaction (to age rows, say)."""
    from backend.db import engine

    connection = await engine().get_new_connection()
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def start_mobile(
    http: httpx.AsyncClient,
    *,
    state: str = "app-state",
    challenge: str | None = None,
    login_hint: str | None = CITIZEN,
) -> httpx.Response:
    """The app opening `/auth/mobile/authorize` in the system browser."""
    params = {
        "redirect_uri": APP_REDIRECT,
        "state": state,
        "code_challenge": challenge or pkce_pair()[1],
        "code_challenge_method": "S256",
    }
    if login_hint:
        params["login_hint"] = login_hint
    return await http.get("/auth/mobile/authorize", params=params)


async def mobile_handoff(
    http: httpx.AsyncClient, personal_id: str = CITIZEN, *, verifier: str | None = None
) -> MobileSignIn:
    """What the app sees: the system browser goes through the backend and the provider and
    lands on the app's redirect URI with a one-time code and the app's state."""
    verifier = verifier or pkce_pair()[0]
    app_state = secrets.token_urlsafe(16)
    start = await start_mobile(
        http,
        state=app_state,
        challenge=challenge_of(verifier),
        login_hint=personal_id,
    )
    assert start.status_code == 302, start.text
    at_provider = await http.get(start.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    back = await http.get(at_provider.headers["location"])
    assert back.status_code == 302, back.text
    location = back.headers["location"]
    assert location.startswith(APP_REDIRECT + "?")
    query = query_of(location)
    return MobileSignIn(query["code"], query["state"], verifier, location)


async def redeem(http: httpx.AsyncClient, sign_in: MobileSignIn) -> httpx.Response:
    return await http.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "authorization_code",
            "code": sign_in.handoff_code,
            "code_verifier": sign_in.verifier,
        },
    )


async def mobile_tokens(http: httpx.AsyncClient, personal_id: str = CITIZEN) -> dict[str, Any]:
    response = await redeem(http, await mobile_handoff(http, personal_id))
    assert response.status_code == 200, response.text
    return dict(response.json())


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def web_sign_in(
    http: httpx.AsyncClient, personal_id: str = CITIZEN, return_to: str = "/api/v1/me"
) -> httpx.Response:
    """A browser: /auth/login → provider → callback; returns the callback's response (the
    client's cookie jar now holds the session)."""
    start = await http.get(
        "/auth/login", params={"login_hint": personal_id, "return_to": return_to}
    )
    assert start.status_code == 302, start.text
    at_provider = await http.get(start.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    return await http.get(at_provider.headers["location"])


async def wait_until(predicate: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.1)
