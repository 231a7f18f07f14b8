"""`ctn` tells the truth: one line naming what is wrong, exit 1 on failure, nothing started or
changed by a command that refuses. Each test runs the real `python -m backend …`."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import TEST_SECRET_KEY, _schema_hash, free_port

WRONG_SECRET = "not-the-secret-the-keys-were-made-with-0123456789"


def ctn(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stdout + result.stderr
    return lines[0]


@pytest.fixture
def scratch_url(server_url: str) -> Iterator[str]:
    """A database of its own, cloned from the migrated template (its audit chain is keyed
    under the tests' secret)."""
    name = f"ctn_cli_{os.getpid()}_{secrets.token_hex(3)}"
    admin = server_url.format(db="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "ctn_test_tpl_{_schema_hash()}"')
    yield server_url.format(db=name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_version(subprocess_env: dict[str, str]) -> None:
    result = ctn("--version", env=subprocess_env)
    assert result.returncode == 0
    assert result.stdout.startswith("ctn, version ")


# --- a secret that cannot open the stored keys ---------------------------------------------


@pytest.fixture
def keyed_url(scratch_url: str, subprocess_env: dict[str, str]) -> str:
    """A scratch database holding a signing key sealed under the tests' secret."""
    rotated = ctn("keys", "rotate", env={**subprocess_env, "DATABASE_URL": scratch_url})
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    return scratch_url


def signing_keys(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT kid FROM signing_keys ORDER BY kid")]


@pytest.mark.parametrize(
    "command",
    [("keys", "rotate"), ("audit", "rotate-key"), ("seed",), ("migrate",), ("serve",)],
    ids=lambda c: " ".join(c),
)
def test_a_wrong_secret_is_refused_in_one_line_and_changes_nothing(
    command: tuple[str, ...], keyed_url: str, subprocess_env: dict[str, str]
) -> None:
    before = signing_keys(keyed_url)
    env = {
        **subprocess_env,
        "DATABASE_URL": keyed_url,
        "CTN_SECRET_KEY": WRONG_SECRET,
        "CTN_OIDC_ISSUER": "http://127.0.0.1:9/idp",
        "CTN_PORT": str(free_port()),
    }
    result = ctn(*command, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    line = one_line(result)
    assert "CTN_SECRET_KEY does not open the stored keys" in line
    assert f"signing key {before[-1]}" in line
    assert "audit key" in line
    assert "✔" not in result.stdout
    assert signing_keys(keyed_url) == before


def test_check_reports_a_secret_that_cannot_open_the_stored_keys(
    keyed_url: str, subprocess_env: dict[str, str]
) -> None:
    env = {
        **subprocess_env,
        "DATABASE_URL": keyed_url,
        "CTN_SECRET_KEY": WRONG_SECRET,
        "CTN_DEV_IDP": "1",
    }
    result = ctn("check", env=env)
    assert result.returncode == 1
    assert "✘ secret_key: CTN_SECRET_KEY does not open the stored keys" in result.stdout
    assert "✔ database" in result.stdout


def test_seed_without_a_secret_says_so_in_one_line(
    scratch_url: str, subprocess_env: dict[str, str]
) -> None:
    env = {k: v for k, v in subprocess_env.items() if k != "CTN_SECRET_KEY"}
    result = ctn("seed", env={**env, "DATABASE_URL": scratch_url})
    assert result.returncode == 2
    assert "CTN_SECRET_KEY is not set" in one_line(result)


# --- ctn check ------------------------------------------------------------------------------


def closed_port() -> int:
    return free_port()


@pytest.mark.parametrize(
    ("database", "expected"),
    [
        ("postgresql://postgres@127.0.0.1:{port}/x", "connection refused at 127.0.0.1:{port}"),
        # On the server the tests use (the system one or the embedded one).
        ("{server}", 'database "ctn_no_such_database" does not exist'),
    ],
    ids=["refused", "no-such-database"],
)
def test_check_explains_a_bad_database_in_words_quickly_and_creates_nothing(
    database: str, expected: str, subprocess_env: dict[str, str], server_url: str
) -> None:
    port = closed_port()
    url = database.format(port=port, server=server_url.format(db="ctn_no_such_database"))
    env = {
        **subprocess_env,
        "DATABASE_URL": url,
        "CTN_DB_TIMEOUT_SECONDS": "2",
        "CTN_DEV_IDP": "1",
    }
    started = time.monotonic()
    result = ctn("check", env=env, timeout=20)
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert f"✘ database: {expected.format(port=port)}" in result.stdout
    assert "✘ migrations: not checked (no database)" in result.stdout
    output = result.stdout + result.stderr
    for noise in ("Error", "Exception", "\x1b[", "Traceback", "error connecting"):
        assert noise not in output, output
    assert result.stderr == ""
    assert elapsed < 2 + 3, f"took {elapsed:.1f} s"
    assert not Path(subprocess_env["CTN_DATA_DIR"]).exists(), "check created the data directory"


def test_check_without_database_url_fails_with_exit_1(subprocess_env: dict[str, str]) -> None:
    result = ctn("check", env=subprocess_env)
    assert result.returncode == 1
    assert "✘ database: DATABASE_URL is not set" in result.stdout


def test_check_tells_an_unmigrated_database_to_run_migrate(
    server_url: str, subprocess_env: dict[str, str]
) -> None:
    name = f"ctn_cli_empty_{os.getpid()}_{secrets.token_hex(3)}"
    admin = server_url.format(db="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {**subprocess_env, "DATABASE_URL": server_url.format(db=name), "CTN_DEV_IDP": "1"}
        result = ctn("check", env=env)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert result.returncode == 1
    assert "✔ database" in result.stdout
    assert "✘ migrations: not migrated (no migration applied): run `ctn migrate`" in result.stdout
    assert "✘ job_queue: its tables are missing: run `ctn migrate`" in result.stdout


# --- serve and demo refuse before starting anything ---------------------------------------


def test_serve_refuses_to_start_without_an_identity_provider(
    subprocess_env: dict[str, str],
) -> None:
    env = {**subprocess_env, "DATABASE_URL": "postgresql://postgres@127.0.0.1:9/none"}
    result = ctn("serve", env=env)
    assert result.returncode == 2
    assert "CTN_OIDC_ISSUER is not set" in one_line(result)


def test_demo_on_a_busy_port_names_it_and_starts_nothing(
    tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        data_dir = tmp_path / "demo"
        result = ctn("demo", "--port", str(port), "--data-dir", str(data_dir), env=subprocess_env)
    assert result.returncode == 1
    line = one_line(result)
    assert f"port {port}" in line
    assert "--port" in line
    assert result.stdout == ""
    assert not data_dir.exists()


# --- a served app ---------------------------------------------------------------------------


def test_served_app_answers_an_unreachable_provider_with_502_and_drains_on_sigterm(
    tmp_path: Path, scratch_url: str, subprocess_env: dict[str, str]
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **subprocess_env,
        "DATABASE_URL": scratch_url,
        "CTN_OIDC_ISSUER": f"http://127.0.0.1:{closed_port()}/idp",
        "CTN_DB_POOL_MIN": "0",
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "backend", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)

        # The provider is down: a 502 problem, and one warning line in the log.
        login = httpx.get(f"{base}/auth/login", headers={"Accept-Language": "en"})
        assert login.status_code == 502
        assert login.headers["content-type"].startswith("application/problem+json")
        assert login.json()["code"] == "identity_provider_error"

        # No development provider: no token without a real sign-in.
        refused = ctn("dev", "token", "--as", "citizen", "--url", base, env=subprocess_env)
        assert refused.returncode == 1
        assert "development identity provider" in one_line(refused)

        # A request in flight when SIGTERM arrives is answered, then the server exits 0.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            body = b"grant_type=authorization_code&code=x&code_verifier=y"
            conn.sendall(
                b"POST /api/v1/auth/token HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body) + body[:10]
            )
            time.sleep(0.3)
            process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            conn.sendall(body[10:])
            answer = conn.recv(65536)
        assert answer.startswith(b"HTTP/1.1 4"), answer[:200]
        code = process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log_text = log_path.read_text()
    assert code == 0, log_text
    assert "Traceback" not in log_text
    assert "unhandled error" not in log_text
    warnings = [line for line in log_text.splitlines() if "identity_provider_error" in line]
    assert warnings, log_text
    assert TEST_SECRET_KEY not in log_text


def test_seed_load_and_topic_resync_are_queued_for_workers(
    scratch_url: str, subprocess_env: dict[str, str]
) -> None:
    env = {**subprocess_env, "DATABASE_URL": scratch_url}
    seeded = ctn(
        "seed",
        "--no-demo",
        "--citizens",
        "90",
        "--civil-servants",
        "30",
        "--devices",
        "60",
        env=env,
    )
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    assert "people 1–90: 90 new" in seeded.stdout
    assert "devices 1–60: 60 new" in seeded.stdout

    queued = ctn("push", "resync-topics", "--parts", "3", "--batch", "10", env=env)
    assert queued.returncode == 0, queued.stdout + queued.stderr
    assert "queued as 3 chains" in queued.stdout
    with psycopg.connect(scratch_url) as conn:
        chains = conn.execute(
            "SELECT args->>'after_installation_id', args->>'until_installation_id'"
            " FROM procrastinate_jobs WHERE task_name LIKE '%resync_topics' ORDER BY id"
        ).fetchall()
    # The ranges follow each other and cover every device: "" … s1, s1 … s2, s2 … end.
    assert len(chains) == 3
    assert chains[0][0] == ""
    assert chains[-1][1] is None
    assert [until for _, until in chains[:-1]] == [after for after, _ in chains[1:]]
