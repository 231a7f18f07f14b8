"""`ctn demo` end to end: its own PostgreSQL, ready, clean stop, data kept across restarts."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import free_port
from tests.test_health import wait_for_status


def postgres_processes(pgdata: Path) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "postgres" in cmdline and str(pgdata) in cmdline:
            found.append(cmdline)
    return found


def start_demo(
    data_dir: Path, port: int, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "backend", "demo", "--port", str(port), "--data-dir", str(data_dir)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def ctn(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def stop(process: subprocess.Popen[bytes], sig: int) -> int:
    process.send_signal(sig)
    return process.wait(timeout=60)


async def test_demo_starts_serves_stops_cleanly_and_keeps_its_data(
    tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    data_dir = tmp_path / "demo-data"
    log = tmp_path / "demo.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    # As a newcomer starts it: no CTN_SECRET_KEY, the demo keeps its own in the data directory.
    env = {k: v for k, v in subprocess_env.items() if k != "CTN_SECRET_KEY"}
    process = start_demo(data_dir, port, env, log)
    try:
        ready = await wait_for_status(f"{base}/health/ready", 200, timeout=120)
        assert ready.json()["ready"] is True
        async with httpx.AsyncClient() as http:
            units = await http.get(f"{base}/api/v1/admin-units", params={"q": "song cong"})
            assert [u["name"] for u in units.json()["items"]] == ["Phường Sông Công"]
            schema = await http.get(f"{base}/schema/openapi.json")
            assert schema.status_code == 200
            assert "/api/v1/admin-units" in schema.json()["paths"]
        # The demo people sign in through the development provider with their roles.
        async with httpx.AsyncClient(base_url=base, follow_redirects=True) as browser:
            people = (await browser.get("/dev-idp/users")).json()
            officer = next(p for p in people if "police_officer" in p["roles"])
            me = await browser.get("/auth/login", params={"login_hint": officer["personal_id"]})
            assert me.status_code == 200, me.text
            assert me.json()["roles"] == ["citizen", "police_officer"]
            assert me.json()["police_units"][0]["code"] == officer["police_unit"]
        assert postgres_processes(data_dir / "postgres"), "demo should run its own PostgreSQL"

        # A token without a browser: the real mobile flow through the development provider.
        token = ctn("dev", "token", "--as", "police_officer", "--url", base, env=env)
        assert token.returncode == 0, token.stderr
        async with httpx.AsyncClient() as http:
            me = await http.get(
                f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token.stdout.strip()}"}
            )
        assert me.status_code == 200, me.text
        assert "police_officer" in me.json()["roles"]

        # Other commands reach the running demo's database and secret with --data-dir.
        checked = ctn("check", "--data-dir", str(data_dir), env=env)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "✔ secret_key" in checked.stdout
        verified = ctn("audit", "verify", "--data-dir", str(data_dir), env=env)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "audit chain intact" in verified.stdout
        assert postgres_processes(data_dir / "postgres"), "the demo's PostgreSQL keeps running"
    finally:
        code = stop(process, signal.SIGTERM)
    assert code == 0, log.read_text()
    assert postgres_processes(data_dir / "postgres") == []
    first_start = log.read_text()
    assert "demo data already loaded" not in first_start
    # One line per migrated app, not Piccolo's chatter; how to reach the database.
    assert "  identity: " in first_start and " migrations applied" in first_start
    for chatter in ("🚀", "👍", "ok! ✔️", "Running"):
        assert chatter not in first_start
    assert "database: psql 'postgresql://" in first_start

    process = start_demo(data_dir, port, env, log)
    try:
        await wait_for_status(f"{base}/health/ready", 200, timeout=120)
    finally:
        code = stop(process, signal.SIGINT)
    assert code == 0, log.read_text()
    assert postgres_processes(data_dir / "postgres") == []
    text = log.read_text()
    assert "demo data already loaded" in text  # the second start reused the data
    assert text.count("apps up to date") == 1
    assert "Traceback" not in text
