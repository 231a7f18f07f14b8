"""Test database set-up: a real PostgreSQL, migrated once into a template, cloned per worker.

The server is the one at 127.0.0.1:5432 when it answers (trust auth), otherwise a private one
started with `pgserver` exactly as `ctn demo` starts it. The template is built by `ctn migrate`
in a subprocess and named after a hash of the migrations, so a change of schema rebuilds it.
Each pytest-xdist worker gets its own clone; each test runs inside an outer transaction that
is rolled back (the `db` fixture), unless it is marked `committed`.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_SERVER = "postgresql://postgres@127.0.0.1:5432/{db}"
_STATE: dict[str, Any] = {}
TEST_SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnop"


def _system_server_answers() -> bool:
    try:
        with psycopg.connect(SYSTEM_SERVER.format(db="postgres"), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _schema_hash() -> str:
    digest = hashlib.sha256(version("vietnam-provinces").encode())
    for path in sorted(ROOT.glob("**/piccolo_migrations/*.py")):
        if ".venv" not in path.parts:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _server_url() -> str:
    """A URL template ({db}) for the server the tests use."""
    if os.environ.get("CTN_TEST_EMBEDDED") != "1" and _system_server_answers():
        return SYSTEM_SERVER
    from backend.embedded import EmbeddedPostgres

    data_dir = Path(tempfile.gettempdir()) / "ctn-test-embedded"
    server = EmbeddedPostgres(data_dir)
    admin = server.start("postgres")
    _STATE["embedded"] = server
    return admin.replace("/postgres?", "/{db}?", 1)


def _admin(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url.format(db="postgres"), autocommit=True)


def _database_exists(conn: psycopg.Connection[Any], name: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
    )


def pytest_configure(config: pytest.Config) -> None:
    url = _server_url()
    template = f"ctn_test_tpl_{_schema_hash()}"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    database = f"ctn_test_{worker}_{os.getpid()}"
    with FileLock(Path(tempfile.gettempdir()) / "ctn-test-template.lock"):
        with _admin(url) as conn:
            if not _database_exists(conn, template):
                building = f"{template}_building"
                conn.execute(f'DROP DATABASE IF EXISTS "{building}"')
                conn.execute(f'CREATE DATABASE "{building}"')
                # `ctn migrate` writes to the audit chain (the admin-unit sync), which is keyed.
                env = {
                    **os.environ,
                    "DATABASE_URL": url.format(db=building),
                    "CTN_SECRET_KEY": TEST_SECRET_KEY,
                }
                result = subprocess.run(
                    [sys.executable, "-m", "backend", "migrate"],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if result.returncode != 0:
                    raise pytest.UsageError(
                        f"migrating the template failed:\n{result.stdout}\n{result.stderr}"
                    )
                conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
            conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
            conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
    _STATE.update(url=url, database=database)
    os.environ["DATABASE_URL"] = url.format(db=database)
    data_dir = Path(tempfile.mkdtemp(prefix=f"ctn-test-data-{worker}-"))
    os.environ["CTN_DATA_DIR"] = str(data_dir)
    os.environ["CTN_SECRET_KEY"] = TEST_SECRET_KEY
    _STATE["data_dir"] = data_dir
    # A conftest below this one (given as a path: `pytest tests/welfare`) may have imported
    # modules that read the settings before this worker chose its database: read them again.
    if "backend.settings" in sys.modules:
        from backend.settings import load_settings, use_settings

        use_settings(load_settings())


def pytest_unconfigure(config: pytest.Config) -> None:
    if "database" in _STATE:
        with _admin(_STATE["url"]) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{_STATE["database"]}" WITH (FORCE)')
    if "embedded" in _STATE:
        _STATE["embedded"].stop()


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server_url() -> str:
    """URL template of the PostgreSQL server in use, with `{db}` for the database name."""
    return str(_STATE["url"])


@pytest.fixture(scope="session")
def database_name() -> str:
    return str(_STATE["database"])


@pytest.fixture(scope="session")
def settings() -> Any:
    from backend.settings import get_settings

    return get_settings()


@pytest.fixture(scope="session")
async def infrastructure(settings: Any) -> AsyncIterator[None]:
    """The connection pool and the job queue, open for the whole session."""
    from backend import db, security_events
    from backend.app import prepare_keys
    from backend.jobs import job_app

    security_events.configure(settings.security_log_path, settings.secret_key)
    await db.open_pool(settings)
    await prepare_keys(settings)
    async with job_app.open_async():
        yield
    await db.close_pool()


@pytest.fixture(scope="session")
def app(settings: Any) -> Any:
    from backend.app import create_app
    from tests.support.routes import TEST_ROUTES

    return create_app(settings, extra_route_handlers=TEST_ROUTES)


@pytest.fixture
async def db(infrastructure: None) -> AsyncIterator[None]:
    """An outer transaction around the test, rolled back at the end: every request and
    service call inside the test joins it (as a savepoint)."""
    from backend.db import UnitOfWork

    uow = await UnitOfWork(joinable_by_requests=True).begin()
    yield
    await uow.rollback()


@pytest.fixture
async def committed(infrastructure: None) -> AsyncIterator[None]:
    """No outer transaction: work is really committed (for concurrency and the job worker).
    Tables written by the tests are emptied afterwards and reference data restored."""
    yield
    from backend.db import engine, unit_of_work
    from backend.domains import test_tables
    from backend.geo.service import do_sync_units
    from backend.settings import load_settings

    connection = await engine().get_new_connection()
    try:
        await connection.execute(f"TRUNCATE {', '.join(test_tables())} CASCADE")
    finally:
        await connection.close()
    async with unit_of_work():
        await do_sync_units(load_settings().province_code)


@pytest.fixture
async def client(app: Any, db: None) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP client calling the app in this task, inside the test's transaction."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def committed_client(app: Any, committed: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def subprocess_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CTN_", "PYTEST_"))}
    env.pop("DATABASE_URL", None)
    env["CTN_DATA_DIR"] = str(tmp_path / "data")
    env["CTN_SECRET_KEY"] = TEST_SECRET_KEY
    yield env
