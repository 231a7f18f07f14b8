"""`ctn tips rotate-key`, the real command against the test database."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest

from backend.db import engine
from tests.conftest import TEST_SECRET_KEY
from tests.support.auth import auth_headers
from tests.tips.conftest import client_address, submit_confidential

KEY = base64.b64encode(os.urandom(32)).decode()


def _ctn(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend", "tips", "rotate-key", "--batch-size", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _key_ids() -> dict[str, int]:
    connection = await engine().get_new_connection()
    try:
        rows = await connection.fetch("SELECT key_id, count(*) AS n FROM tips GROUP BY key_id")
    finally:
        await connection.close()
    return {r["key_id"]: r["n"] for r in rows}


@pytest.mark.usefixtures("committed")
async def test_ctn_tips_rotate_key_rewraps_every_report(
    tips_app: Any, subprocess_env: dict[str, str]
) -> None:
    transport = httpx.ASGITransport(app=tips_app, client=(client_address(), 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        me = await auth_headers()
        for _ in range(5):
            await submit_confidential(client, me)
    assert await _key_ids() == {"derived-1": 5}
    env = {
        **subprocess_env,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "CTN_SECRET_KEY": TEST_SECRET_KEY,
        "CTN_TIPS_MASTER_KEYS": f"k2:{KEY}",
    }
    result = _ctn(env)
    assert result.returncode == 0, result.stderr
    assert "5 data keys re-wrapped under k2" in result.stdout
    assert KEY not in result.stdout + result.stderr
    assert await _key_ids() == {"k2": 5}

    # A report whose master key is no longer configured is named, and the command fails.
    connection = await engine().get_new_connection()
    try:
        await connection.execute(
            "UPDATE tips SET key_id = 'k1' WHERE id = (SELECT min(id::text)::uuid FROM tips)"
        )
    finally:
        await connection.close()
    failed = _ctn(env)
    assert failed.returncode == 1
    assert "1 reports have a key no configured master key opens" in failed.stderr
    assert KEY not in failed.stdout + failed.stderr
