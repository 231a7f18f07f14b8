"""Liveness and readiness, against a real `ctn serve` process over real HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.support.proxy import PostgresProxy


async def test_live_and_ready_in_process(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True
    assert {c["name"] for c in ready.json()["checks"]} == {"database", "media", "job_queue"}


async def wait_for_status(url: str, status: int, timeout: float = 45) -> httpx.Response:
    deadline = time.monotonic() + timeout
    last: httpx.Response | None = None
    async with httpx.AsyncClient(timeout=10) as http:
        while time.monotonic() < deadline:
            try:
                last = await http.get(url)
                if last.status_code == status:
                    return last
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.3)
    raise AssertionError(f"{url} never answered {status}; last: {last and last.text}")


@pytest.fixture
async def proxied_server(
    server_url: str, database_name: str, subprocess_env: dict[str, str], tmp_path: Path
) -> AsyncIterator[tuple[str, PostgresProxy]]:
    proxy = PostgresProxy(server_url, free_port())
    await proxy.start()
    port = free_port()
    env = {
        **subprocess_env,
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{proxy.port}/{database_name}",
        "CTN_DB_TIMEOUT_SECONDS": "2",
        "CTN_DB_POOL_MIN": "0",
        "CTN_OIDC_ISSUER": "http://127.0.0.1:9/no-provider",  # not called by these tests
    }
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "backend", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}", proxy
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            # Waited for in a thread: the proxy runs on this event loop and must keep
            # forwarding while the server closes its connections.
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        finally:
            await proxy.stop()
        log.close()


async def test_readiness_turns_503_when_the_database_is_unreachable_and_back(
    proxied_server: tuple[str, PostgresProxy],
) -> None:
    base, proxy = proxied_server
    await wait_for_status(f"{base}/health/ready", 200)

    await proxy.stop()
    down = await wait_for_status(f"{base}/health/ready", 503)
    body = down.json()
    assert down.headers["content-type"].startswith("application/problem+json")
    assert body["code"] == "not_ready"
    assert "database" in body["failed"]
    assert "media" not in body["failed"]
    live = await wait_for_status(f"{base}/health/live", 200, timeout=5)
    assert live.json() == {"status": "ok"}

    await proxy.start()
    up = await wait_for_status(f"{base}/health/ready", 200)
    assert up.json()["ready"] is True


async def test_readiness_names_an_unwritable_media_directory(
    client: httpx.AsyncClient, settings: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.health.service import check_readiness
    from backend.settings import load_settings

    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the media directory should be")
    readiness = await check_readiness(load_settings({**os.environ, "CTN_MEDIA_DIR": str(blocked)}))
    assert not readiness.ready
    assert [c.name for c in readiness.checks if not c.ok] == ["media"]
