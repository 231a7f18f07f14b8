"""`ctn`: the command line of the C-ThaiNguyen backend.

Modules that read the settings at import (the Piccolo engine, the job queue) are imported
inside the commands, after the environment is final: `ctn demo` sets DATABASE_URL to the
embedded PostgreSQL it has just started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from backend.settings import Settings, SettingsError, describe, load_settings

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        click.echo(f"ctn: {exc}", err=True)
        sys.exit(2)


def _run(coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(coro())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """C-ThaiNguyen backend."""


# --- migrate / seed ----------------------------------------------------------------------


async def _migrate(settings: Settings) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from backend.db import unit_of_work
    from backend.geo.service import do_sync_units

    click.echo("→ applying migrations")
    result = await run_forwards(app_name="all")
    if not result.success:
        raise click.ClickException(f"migrations failed: {result.message}")
    click.echo("→ loading administrative units from vietnam-provinces")
    async with unit_of_work():
        report = await do_sync_units(settings.province_code)
    click.echo(
        f"  {report.units} units of province {report.province_code} "
        f"({report.inserted} new, {report.removed} removed)"
    )


@main.command()
def migrate() -> None:
    """Apply all pending migrations and load reference data (idempotent)."""
    settings = _settings()
    if not settings.database_url:
        _fail_no_database()
    _run(lambda: _migrate(settings))
    click.echo("✔ database up to date")


async def _seed(settings: Settings, *, only_first_time: bool) -> None:
    from seed.demo import load_demo_data

    await load_demo_data(settings, only_first_time=only_first_time, echo=click.echo)


@main.command()
def seed() -> None:
    """Load the demo data (idempotent: running it again changes nothing)."""
    settings = _settings()
    if not settings.database_url:
        _fail_no_database()
    _run(lambda: _seed(settings, only_first_time=False))
    click.echo("✔ demo data loaded")


# --- serve / worker ----------------------------------------------------------------------


@main.command()
@click.option("--host", default=None, help="Interface to bind (default CTN_HOST).")
@click.option("--port", type=int, default=None, help="Port (default CTN_PORT).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="HTTP worker processes.",
)
@click.option(
    "--allow-dev-idp",
    is_flag=True,
    help="Allow CTN_DEV_IDP=1 (a development identity provider that signs anyone in).",
)
def serve(host: str | None, port: int | None, workers: int, allow_dev_idp: bool) -> None:
    """Serve the API in production: settings from the environment, no embedded database."""
    import uvicorn

    from backend.logs import configure_logging
    from backend.server import uvicorn_options

    settings = _settings()
    if not settings.database_url:
        _fail_no_database()
    if not settings.secret_key:
        _fail_no_secret()
    if settings.dev_idp and not allow_dev_idp:
        click.echo(
            "ctn: CTN_DEV_IDP=1 mounts the development identity provider, which signs anyone"
            " in; refusing to serve it without --allow-dev-idp",
            err=True,
        )
        sys.exit(2)
    configure_logging(settings.log_level)
    uvicorn.run(
        "backend.app:create_served_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        **uvicorn_options(settings),
    )


@main.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 100),
    default=None,
    help="Jobs run at once (default CTN_WORKER_CONCURRENCY).",
)
@click.option("--queue", "queues", multiple=True, help="Only these queues (repeatable).")
def worker(concurrency: int | None, queues: tuple[str, ...]) -> None:
    """Run background jobs until SIGINT/SIGTERM."""
    from backend.logs import configure_logging

    settings = _settings()
    if not settings.database_url:
        _fail_no_database()
    configure_logging(settings.log_level)

    async def run() -> None:
        from backend import db
        from backend.jobs import job_app

        await db.open_pool(settings)
        try:
            async with job_app.open_async():
                options: dict[str, Any] = {
                    "concurrency": concurrency or settings.worker_concurrency,
                    "name": "ctn-worker",
                }
                if queues:
                    options["queues"] = list(queues)
                await job_app.run_worker_async(**options)
        finally:
            await db.close_pool()

    _run(run)


# --- demo ---------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the database and media live (default CTN_DATA_DIR or ./var).",
)
@click.option("--reset", is_flag=True, help="Start from empty data.")
def demo(host: str, port: int, data_dir: Path | None, reset: bool) -> None:
    """Run everything on this machine: a private PostgreSQL, migrations, demo data, the
    background worker and the API on http://HOST:PORT (OpenAPI at /schema)."""
    from backend.embedded import EmbeddedPostgres

    settings = _settings()
    data_dir = (data_dir or Path(settings.data_dir)).resolve()
    if reset:
        click.echo(f"→ removing the data in {data_dir}")
        EmbeddedPostgres.wipe(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)

    # Signals that arrive while starting up or shutting down must not skip the clean-up
    # below; uvicorn takes them over while it serves and re-raises them when it stops.
    stopping: list[int] = []

    def remember(signum: int, frame: Any) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, remember)
    signal.signal(signal.SIGINT, remember)

    postgres = EmbeddedPostgres(data_dir)
    click.echo(f"→ starting PostgreSQL in {postgres.pgdata}")
    try:
        url = postgres.start()
        os.environ["DATABASE_URL"] = url
        os.environ["CTN_DATA_DIR"] = str(data_dir)
        os.environ.setdefault("CTN_SECRET_KEY", _demo_secret(data_dir))
        os.environ["CTN_DEV_IDP"] = "1"
        os.environ["CTN_HOST"] = host
        os.environ["CTN_PORT"] = str(port)
        if host in ("0.0.0.0", "::"):  # noqa: S104 - naming the wildcard, not binding it
            os.environ.setdefault("CTN_PUBLIC_URL", f"http://127.0.0.1:{port}")
        settings = _settings()
        if not stopping:
            _run(lambda: _demo(settings, host, port, stopping))
    finally:
        click.echo("→ stopping PostgreSQL")
        postgres.stop()
    click.echo("✔ stopped")


def _demo_secret(data_dir: Path) -> str:
    """The demo's master secret, made once and kept beside its data (owner-only)."""
    import secrets

    path = data_dir / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


async def _demo(settings: Settings, host: str, port: int, stopping: list[int]) -> None:
    import uvicorn

    from backend.app import create_app
    from backend.logs import configure_logging
    from backend.server import uvicorn_options

    await _migrate(settings)
    await _seed(settings, only_first_time=True)
    if stopping:
        return
    configure_logging(settings.log_level)
    click.echo(
        f"✔ C-ThaiNguyen is running on http://{host}:{port} (OpenAPI: /schema); Ctrl-C stops\n"
        f"  sign in: {settings.base_url}/auth/login"
        f" (demo people: {settings.base_url}/dev-idp/users)"
    )
    config = uvicorn.Config(
        create_app(settings, run_worker=True),
        host=host,
        port=port,
        lifespan="on",
        **uvicorn_options(settings),
    )
    await uvicorn.Server(config).serve()


# --- keys ---------------------------------------------------------------------------------


@main.group()
def keys() -> None:
    """Our access-token signing keys."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Start signing with a new key; the old one keeps verifying until its tokens expire."""
    settings = _settings()
    if not settings.database_url:
        _fail_no_database()
    if not settings.secret_key:
        _fail_no_secret()

    async def run() -> str:
        from backend import db
        from backend.identity.keys import do_create_signing_key

        await db.open_pool(settings)
        try:
            async with db.unit_of_work():
                kid = await do_create_signing_key(settings)
        finally:
            await db.close_pool()
        return kid

    kid = _run(run)
    click.echo(f"✔ new signing key {kid}; the previous key verifies until its tokens expire")


def _fail_no_secret() -> None:
    click.echo("ctn: CTN_SECRET_KEY is not set (at least 32 random characters)", err=True)
    sys.exit(2)


# --- audit --------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("verify")
@click.option(
    "--head",
    "expected_head",
    metavar="ID:MAC",
    help="The head an earlier run printed: exit 1 if the chain no longer reaches it unchanged.",
)
def audit_verify(expected_head: str | None) -> None:
    """Check every entry's hash and MAC (keys derived from CTN_SECRET_KEY); exit 1 naming the
    first entry changed, removed, inserted or appended without the key."""
    settings = _settings()
    if not settings.database_url:
        _fail_no_database()
    if not settings.secret_key:
        _fail_no_secret()
    head: tuple[int, str] | None = None
    if expected_head is not None:
        head_id, _, head_link = expected_head.partition(":")
        if not head_id.isdigit() or not head_link:
            raise click.BadParameter("expected ID:MAC", param_hint="--head")
        head = (int(head_id), head_link)

    async def run() -> bool:
        from backend.audit.errors import AuditKeyMismatch
        from backend.audit.service import verify_chain
        from backend.db import unit_of_work

        try:
            async with unit_of_work():
                report = await verify_chain(settings.secret_key, expected_head=head)
        except AuditKeyMismatch as exc:
            click.echo(f"✘ {exc.detail_en}")
            return False
        if report.broken is not None:
            click.echo(
                f"✘ audit chain broken at entry {report.broken.entry_id}: "
                f"{report.broken.problem} ({report.checked} entries before it are intact)"
            )
            return False
        click.echo(f"✔ audit chain intact ({report.checked} entries)")
        if report.unkeyed:
            begins = (
                f"the keyed chain begins at entry {report.keyed_from}"
                if report.keyed_from is not None
                else "the chain is not keyed yet (the next audited action keys it)"
            )
            click.echo(
                f"  {report.unkeyed} entries predate keying: only their SHA-256 is checked; "
                + begins
            )
        if report.key_ids:
            click.echo(f"  audit keys: {', '.join(report.key_ids)}")
        if report.head_id is not None:
            click.echo(f"  head: {report.head_id}:{report.head_link}")
        return True

    sys.exit(0 if _run(run) else 1)


@audit.command("rotate-key")
def audit_rotate_key() -> None:
    """MAC new entries under a new audit key; entries under the old keys keep verifying."""
    settings = _settings()
    if not settings.database_url:
        _fail_no_database()
    if not settings.secret_key:
        _fail_no_secret()

    async def run() -> str | None:
        from backend.audit.errors import AuditKeyMismatch
        from backend.audit.service import do_rotate_key
        from backend.db import unit_of_work

        try:
            async with unit_of_work():
                return await do_rotate_key()
        except AuditKeyMismatch as exc:
            click.echo(f"✘ {exc.detail_en}")
            return None

    key_id = _run(run)
    if key_id is None:
        sys.exit(1)
    click.echo(f"✔ new audit key {key_id}; entries under the previous keys keep verifying")


# --- check --------------------------------------------------------------------------------


@main.command()
def check() -> None:
    """Print each setting and where it comes from, then test every configured component."""
    settings = _settings()
    rows = describe(settings)
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        click.echo(f"{name:<{width}}  {value or '(unset)'}  [{source}]")
    if not settings.database_url:
        _fail_no_database()

    async def run() -> bool:
        from backend.health.schemas import Check, Readiness
        from backend.health.service import check_readiness
        from backend.jobs import job_app

        async with contextlib.AsyncExitStack() as stack:
            try:
                async with asyncio.timeout(settings.db_timeout_seconds):
                    await stack.enter_async_context(job_app.open_async())
            except Exception as exc:  # the queue's pool could not even open
                readiness = await check_readiness(settings)
                readiness = Readiness(
                    ready=False,
                    checks=[
                        c
                        if c.name != "job_queue"
                        else Check("job_queue", False, type(exc).__name__)
                        for c in readiness.checks
                    ],
                )
            else:
                readiness = await check_readiness(settings)
        checks = list(readiness.checks)
        checks.append(
            Check("secret_key", bool(settings.secret_key), None if settings.secret_key else "unset")
        )
        if settings.oidc_issuer:  # the development provider is checked by serving it
            checks.append(await _check_identity_provider(settings))
        for item in checks:
            mark = "✔" if item.ok else "✘"
            click.echo(f"{mark} {item.name}" + (f": {item.error}" if item.error else ""))
        return all(item.ok for item in checks)

    sys.exit(0 if _run(run) else 1)


async def _check_identity_provider(settings: Settings) -> Any:
    """Discovery and JWKS of the configured provider answer and name the right issuer."""
    from backend.health.schemas import Check
    from backend.identity.oidc import close_clients, get_client

    try:
        client = get_client(settings)
        await client.metadata()
        await client.jwks()
    except Exception as exc:
        return Check("identity_provider", False, f"{type(exc).__name__}: {exc}"[:200])
    finally:
        await close_clients()
    return Check("identity_provider", True)


def _fail_no_database() -> None:
    click.echo(
        "ctn: DATABASE_URL is not set (expected postgresql://…; `ctn demo` needs none)", err=True
    )
    sys.exit(2)
