"""`ctn`: the command line of the C-ThaiNguyen backend.

Modules that read the settings at import (the Piccolo engine, the job queue) are imported
inside the commands, after the environment is final: `ctn demo` sets DATABASE_URL to the
embedded PostgreSQL it has just started.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import socket
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from backend.settings import Settings, SettingsError, describe, load_settings, use_settings

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def _settings() -> Settings:
    """Read and validate the settings, and make them the process's (`get_settings`)."""
    try:
        return use_settings(load_settings())
    except SettingsError as exc:
        _fail(str(exc), code=2)


def _fail(message: str, *, code: int = 1) -> NoReturn:
    """One line on stderr, then exit: what an operator reads instead of a traceback."""
    click.echo(f"ctn: {message}", err=True)
    sys.exit(code)


def _run(coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(coro())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="c-thainguyen", prog_name="ctn")
def main() -> None:
    """C-ThaiNguyen backend."""


# --- the database of a command ------------------------------------------------------------


def data_dir_option(command: F) -> F:
    """`--data-dir`: use the database and the secret of a `ctn demo` data directory."""
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Use the private PostgreSQL and the secret of this `ctn demo` data directory"
        " (joins a running demo, else starts the database for the command).",
    )(command)


@contextlib.contextmanager
def _database(data_dir: Path | None) -> Iterator[Settings]:
    """The settings of a command that needs the database: DATABASE_URL, or with `data_dir`
    the demo's own PostgreSQL (joined when the demo runs, else started and stopped again),
    its secret (unless CTN_SECRET_KEY is set) and its data directory."""
    if data_dir is None:
        settings = _settings()
        if not settings.database_url:
            _fail_no_database()
        yield settings
        return
    from backend.embedded import EmbeddedPostgres

    data_dir = data_dir.resolve()
    postgres = EmbeddedPostgres(data_dir)
    if not (postgres.pgdata / "PG_VERSION").exists():
        _fail(f"{data_dir} holds no demo database (`ctn demo --data-dir {data_dir}` makes one)")
    _settings()  # a bad setting is reported before anything starts
    try:
        os.environ["DATABASE_URL"] = postgres.start()
        os.environ["CTN_DATA_DIR"] = str(data_dir)
        secret = data_dir / "secret.key"
        if secret.exists():
            os.environ.setdefault("CTN_SECRET_KEY", secret.read_text().strip())
        yield _settings()
    finally:
        postgres.stop()


async def _secret_problem(settings: Settings) -> str | None:
    """One line when CTN_SECRET_KEY cannot open the keys stored in the database (the current
    signing key, the audit chain's current key), else None. A database without them (not
    migrated, or nothing signed yet) has nothing to open."""
    import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

    from backend.audit.service import check_secret_derives_current_key
    from backend.db import unit_of_work
    from backend.identity.keys import check_secret_opens_signing_key

    secret = settings.require_secret_key()
    try:
        async with unit_of_work():
            signing = await check_secret_opens_signing_key(secret)
            audit_key = await check_secret_derives_current_key(secret)
    except asyncpg.UndefinedTableError:
        return None
    closed = [
        *([f"signing key {signing}"] if signing else []),
        *([f"audit key {audit_key}"] if audit_key else []),
    ]
    if not closed:
        return None
    return (
        f"CTN_SECRET_KEY does not open the stored keys ({', '.join(closed)}): it is not the"
        " secret they were made with"
    )


def _require_secret_opens_keys(settings: Settings) -> None:
    """Exit 1 with one line unless CTN_SECRET_KEY opens the stored keys."""
    if not settings.secret_key:
        _fail_no_secret()
    problem = _run(lambda: _secret_problem(settings))
    if problem:
        _fail(problem)


def _check_port_free(host: str, port: int) -> None:
    """Exit 1 naming the port when it cannot be listened on (before anything starts)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        _fail(f"cannot listen on {host}: the host is not an address of this machine")
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            reason = "is already in use" if exc.errno == 98 else f"cannot be used ({exc.strerror})"
            _fail(f"port {port} on {host} {reason}; choose another with --port")


# --- migrate / seed ----------------------------------------------------------------------


async def _migrate(settings: Settings, *, verbose: bool = False) -> None:
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager

    from backend.db import unit_of_work
    from backend.geo.service import do_sync_units
    from backend.health.service import migrations_ran
    from backend.piccolo_apps import adopt_renamed_apps

    click.echo("→ applying migrations")
    await adopt_renamed_apps()
    names = BaseMigrationManager().get_sorted_app_names()
    applied = 0
    for name in names:
        manager = ForwardsMigrationManager(app_name=name)
        await manager.create_migration_table()
        before = await migrations_ran(name)
        # Piccolo prints several lines per app and per migration: kept for -v and failures.
        chatter = io.StringIO()
        with contextlib.redirect_stdout(chatter):
            result = await manager.run()
        if verbose or not result.success:
            click.echo(chatter.getvalue().rstrip(), err=not result.success)
        if not result.success:
            raise click.ClickException(f"migrations of {name} failed: {result.message}")
        count = await migrations_ran(name) - before
        if count:
            click.echo(f"  {name}: {count} migration{'s' if count != 1 else ''} applied")
        applied += count
    if not applied:
        click.echo(f"  {len(names)} apps up to date")
    click.echo("→ loading administrative units from vietnam-provinces")
    async with unit_of_work():
        report = await do_sync_units(settings.province_code)
    click.echo(
        f"  {report.units} units of province {report.province_code} "
        f"({report.inserted} new, {report.removed} removed)"
    )


verbose_option = click.option("-v", "--verbose", is_flag=True, help="Print every migration step.")


@main.command()
@data_dir_option
@verbose_option
def migrate(data_dir: Path | None, verbose: bool) -> None:
    """Apply all pending migrations and load reference data (idempotent; audited, so
    CTN_SECRET_KEY is needed)."""
    with _database(data_dir) as settings:
        _require_secret_opens_keys(settings)
        _run(lambda: _migrate(settings, verbose=verbose))
    click.echo("✔ database up to date")


async def _seed(settings: Settings, *, only_first_time: bool) -> None:
    from backend.jobs import job_app
    from seed.demo import load_demo_data

    # Demo data defers jobs once it commits (a device's topic sync, a campaign's send): the
    # queue must be open to take them; a worker runs them later.
    async with job_app.open_async():
        await load_demo_data(settings, only_first_time=only_first_time, echo=click.echo)


async def _seed_load(
    settings: Settings,
    *,
    citizens: int,
    civil_servants: int,
    agencies: int,
    devices: int,
    mooc_learners: int = 0,
) -> None:
    from backend.identity.service import do_load_synthetic_people
    from notifications.synthetic.service import do_load_synthetic_devices

    click.echo(f"→ synthetic load data: {citizens:,} people")
    await do_load_synthetic_people(
        citizens, civil_servants=civil_servants, agencies=agencies, echo=click.echo
    )
    await do_load_synthetic_devices(settings, citizens, devices, echo=click.echo)
    if mooc_learners:
        from backend.identity.synthetic import synthetic_agencies
        from seed.mooc_load import do_load_mooc_learners

        await do_load_mooc_learners(
            mooc_learners, agencies=synthetic_agencies(agencies), echo=click.echo
        )


@main.command()
@data_dir_option
@click.option(
    "--citizens",
    type=click.IntRange(min=0),
    default=0,
    help="Also make this many synthetic people (benchmarks; personal ids 9…).",
)
@click.option(
    "--civil-servants",
    type=click.IntRange(min=0),
    default=0,
    help="Of the synthetic people, this many are civil servants of synthetic agencies.",
)
@click.option(
    "--agencies",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Synthetic agencies the civil servants are spread over.",
)
@click.option(
    "--devices",
    type=click.IntRange(min=0),
    default=0,
    help="Of the synthetic people, this many have a registered device (topics synced).",
)
@click.option(
    "--mooc-learners",
    type=click.IntRange(min=0),
    default=0,
    help="MOOC benchmark data: 20 published courses (BENCH-01…) and this many synthetic civil"
    " servants learning in them (3 enrolments each, one mandatory; progress, quiz attempts,"
    " certificates), written with COPY (bench/mooc.py). Raises --citizens and"
    " --civil-servants to this number when they are lower.",
)
@click.option("--no-demo", is_flag=True, help="Only the synthetic data, not the demo data.")
def seed(
    data_dir: Path | None,
    citizens: int,
    civil_servants: int,
    agencies: int,
    devices: int,
    mooc_learners: int,
    no_demo: bool,
) -> None:
    """Load the demo data (idempotent: running it again changes nothing). Its role grants
    are audited, so CTN_SECRET_KEY is needed. With --citizens (and --civil-servants,
    --devices, --mooc-learners), large synthetic data for benchmarks, also idempotent."""
    citizens = max(citizens, mooc_learners)
    civil_servants = max(civil_servants, mooc_learners)
    with _database(data_dir) as settings:
        _require_secret_opens_keys(settings)
        if not no_demo:
            _run(lambda: _seed(settings, only_first_time=False))
            click.echo("✔ demo data loaded")
        if citizens:
            _run(
                lambda: _seed_load(
                    settings,
                    citizens=citizens,
                    civil_servants=civil_servants,
                    agencies=agencies,
                    devices=devices,
                    mooc_learners=mooc_learners,
                )
            )
            click.echo("✔ synthetic data loaded")


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
@data_dir_option
def serve(
    host: str | None, port: int | None, workers: int, allow_dev_idp: bool, data_dir: Path | None
) -> None:
    """Serve the API in production: settings from the environment, no embedded database.
    SIGTERM or Ctrl-C stops accepting connections, lets requests in flight finish, exits 0."""
    import uvicorn

    from backend.logs import configure_logging
    from backend.server import uvicorn_options

    settings = _settings()
    if data_dir is None and not settings.database_url:
        _fail_no_database()
    if not settings.secret_key and not (data_dir and (data_dir / "secret.key").exists()):
        _fail_no_secret()
    if settings.dev_idp and not allow_dev_idp:
        _fail(
            "CTN_DEV_IDP=1 mounts the development identity provider, which signs anyone"
            " in; refusing to serve it without --allow-dev-idp",
            code=2,
        )
    if not settings.issuer:
        _fail(
            "CTN_OIDC_ISSUER is not set, so nobody could sign in: set it to the identity"
            " provider's issuer (for development: CTN_DEV_IDP=1 with --allow-dev-idp)",
            code=2,
        )
    host, port = host or settings.host, port or settings.port
    _check_port_free(host, port)
    # uvicorn re-raises the signal that stopped it once it has drained; remembered here, so
    # a requested stop ends with exit 0 (and one during the checks skips serving).
    stopping = _remember_stop_signals()
    with _database(data_dir) as settings:
        _require_secret_opens_keys(settings)
        configure_logging(settings.log_level)
        if not stopping:
            uvicorn.run(
                "backend.app:create_served_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                **uvicorn_options(settings),
            )


def _remember_stop_signals() -> list[int]:
    stopping: list[int] = []

    def remember(signum: int, frame: Any) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, remember)
    signal.signal(signal.SIGINT, remember)
    return stopping


@main.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 100),
    default=None,
    help="Jobs run at once (default CTN_WORKER_CONCURRENCY).",
)
@click.option("--queue", "queues", multiple=True, help="Only these queues (repeatable).")
@data_dir_option
def worker(concurrency: int | None, queues: tuple[str, ...], data_dir: Path | None) -> None:
    """Run background jobs until SIGINT/SIGTERM."""
    with _database(data_dir) as settings:
        if settings.secret_key:
            _require_secret_opens_keys(settings)
        _worker(settings, concurrency, queues)


def _worker(settings: Settings, concurrency: int | None, queues: tuple[str, ...]) -> None:
    from backend.logs import configure_logging

    configure_logging(settings.log_level)

    async def run() -> None:
        from backend import db
        from backend.jobs import WORKER_OPTIONS, job_app

        await db.open_pool(settings)
        try:
            async with job_app.open_async():
                options: dict[str, Any] = {
                    **WORKER_OPTIONS,
                    "concurrency": concurrency or settings.worker_concurrency,
                    "name": "ctn-worker",
                }
                if queues:
                    options["queues"] = list(queues)
                await job_app.run_worker_async(**options)
        finally:
            from notifications.push import close_gateway

            await close_gateway()
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
@verbose_option
def demo(host: str, port: int, data_dir: Path | None, reset: bool, verbose: bool) -> None:
    """Run everything on this machine: a private PostgreSQL, migrations, demo data, the
    background worker and the API on http://HOST:PORT (OpenAPI at /schema, staff console at
    /console/)."""
    from backend.embedded import EmbeddedPostgres

    settings = _settings()
    _check_port_free(host, port)
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
        if not os.environ.get("CTN_SECRET_KEY"):  # else secret.key would not be the secret
            os.environ["CTN_SECRET_KEY"] = _demo_secret(data_dir)
        os.environ["CTN_DEV_IDP"] = "1"
        os.environ["CTN_HOST"] = host
        os.environ["CTN_PORT"] = str(port)
        if host in ("0.0.0.0", "::"):  # noqa: S104 - naming the wildcard, not binding it
            os.environ.setdefault("CTN_PUBLIC_URL", f"http://127.0.0.1:{port}")
        settings = _settings()
        problem = _run(lambda: _secret_problem(settings))
        if problem:
            click.echo(f"ctn: {problem}", err=True)
            sys.exit(1)  # PostgreSQL is stopped on the way out
        if not stopping:
            _run(lambda: _demo(settings, host, port, stopping, data_dir, url, verbose))
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


async def _demo(
    settings: Settings,
    host: str,
    port: int,
    stopping: list[int],
    data_dir: Path,
    database_url: str,
    verbose: bool,
) -> None:
    import uvicorn

    from backend.app import create_app
    from backend.logs import configure_logging
    from backend.server import uvicorn_options

    await _migrate(settings, verbose=verbose)
    await _seed(settings, only_first_time=True)
    if stopping:
        return
    configure_logging(settings.log_level)
    click.echo(
        f"✔ C-ThaiNguyen is running on http://{host}:{port} (OpenAPI: /schema); Ctrl-C stops\n"
        f"  staff console: {settings.base_url}/console/\n"
        f"  sign in: {settings.base_url}/auth/login"
        f" (demo people: {settings.base_url}/dev-idp/users;"
        f" a token: ctn dev token --as police_officer)\n"
        f"  database: psql '{database_url}'\n"
        f"  other commands on this demo: ctn check --data-dir {data_dir}"
    )
    config = uvicorn.Config(
        create_app(settings, run_worker=True),
        host=host,
        port=port,
        lifespan="on",
        **uvicorn_options(settings),
    )
    await uvicorn.Server(config).serve()


# --- push -------------------------------------------------------------------------------------


@main.group()
def push() -> None:
    """Push notifications: device topic subscriptions."""


@push.command("resync-topics")
@data_dir_option
@click.option(
    "--parts",
    type=click.IntRange(min=1, max=64),
    default=4,
    show_default=True,
    help="Ranges of devices re-synced side by side (one chain of jobs each; as many workers "
    "as parts share the work).",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1, max=10_000),
    default=500,
    show_default=True,
    help="Devices per job.",
)
def push_resync_topics(data_dir: Path | None, parts: int, batch: int) -> None:
    """Re-assert every device's FCM topic subscriptions (after a restore, or a change of
    topic naming) as background jobs; `ctn worker` processes do the work. The normal path is
    the incremental sync on registration, move, sign-out and settings changes."""

    async def launch() -> int:
        from backend import db
        from backend.jobs import job_app
        from notifications.devices.jobs import launch_resync

        await db.open_pool(settings)
        try:
            async with job_app.open_async():
                return await launch_resync(parts, batch)
        finally:
            await db.close_pool()

    with _database(data_dir) as settings:
        chains = _run(launch)
    click.echo(f"✔ topic re-sync queued as {chains} chain{'s' if chains != 1 else ''} of jobs")


# --- keys ---------------------------------------------------------------------------------


@main.group()
def keys() -> None:
    """Our access-token signing keys."""


@keys.command("rotate")
@data_dir_option
def keys_rotate(data_dir: Path | None) -> None:
    """Start signing with a new key; the old one keeps verifying until its tokens expire.
    Refused (exit 1) unless CTN_SECRET_KEY opens the stored keys: a key sealed under another
    secret would leave the running servers nothing to sign with."""
    with _database(data_dir) as settings:
        _require_secret_opens_keys(settings)

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


def _fail_no_secret() -> NoReturn:
    _fail("CTN_SECRET_KEY is not set (at least 32 random characters)", code=2)


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
@data_dir_option
def audit_verify(expected_head: str | None, data_dir: Path | None) -> None:
    """Check every entry's hash and MAC (keys derived from CTN_SECRET_KEY); exit 1 naming the
    first entry changed, removed, inserted or appended without the key."""
    with _database(data_dir) as settings:
        _audit_verify(settings, expected_head)


def _audit_verify(settings: Settings, expected_head: str | None) -> None:
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
@data_dir_option
def audit_rotate_key(data_dir: Path | None) -> None:
    """MAC new entries under a new audit key; entries under the old keys keep verifying."""
    with _database(data_dir) as settings:
        _require_secret_opens_keys(settings)
        _audit_rotate_key(settings)


def _audit_rotate_key(settings: Settings) -> None:
    async def run() -> str | None:
        from backend.audit.errors import AuditKeyMismatch
        from backend.audit.service import do_rotate_key
        from backend.db import unit_of_work

        try:
            async with unit_of_work():
                return await do_rotate_key()
        except AuditKeyMismatch as exc:
            _fail(exc.detail_en)

    key_id = _run(run)
    if key_id is None:
        sys.exit(1)
    click.echo(f"✔ new audit key {key_id}; entries under the previous keys keep verifying")


# --- crime reports ------------------------------------------------------------------------


@main.group()
def tips() -> None:
    """Crime reports."""


@tips.command("rotate-key")
@data_dir_option
@click.option("--batch-size", default=200, show_default=True, help="Reports per transaction.")
def tips_rotate_key(data_dir: Path | None, batch_size: int) -> None:
    """Re-wrap every report's data key under the current master key (the first of
    CTN_TIPS_MASTER_KEYS) while the service runs, in batches; reports stay readable
    throughout. Exit 1 if a report's key opens under no configured master key."""
    with _database(data_dir) as settings:

        async def run() -> Any:
            from backend import db
            from backend.tips.cli import do_rotate_keys

            await db.open_pool(settings)
            try:
                return await do_rotate_keys(settings, batch_size=batch_size)
            finally:
                await db.close_pool()

        rotation = _run(run)
    left = ", ".join(f"{key}: {count}" for key, count in sorted(rotation.left.items())) or "none"
    click.echo(
        f"✔ {rotation.rewrapped} data keys re-wrapped under {rotation.key_id}"
        f" (reports by master key: {left})"
    )
    if rotation.failed:
        _fail(
            f"{len(rotation.failed)} reports have a key no configured master key opens"
            f" (first: {rotation.failed[0]}); keep their master key in CTN_TIPS_MASTER_KEYS"
        )


# --- check --------------------------------------------------------------------------------


@main.command()
@data_dir_option
def check(data_dir: Path | None) -> None:
    """Print each setting and where it comes from, then test every component, one line each;
    exit 1 on any failure. Changes nothing (creates no directory, no table)."""
    from backend.health.schemas import Check

    try:
        settings = use_settings(load_settings())
    except SettingsError as exc:
        click.echo(f"✘ settings: {exc}")
        sys.exit(1)
    if data_dir is None and not settings.database_url:
        _print_settings(settings)
        click.echo("✘ database: DATABASE_URL is not set (expected postgresql://…; or --data-dir)")
        sys.exit(1)
    if data_dir is not None and not (data_dir.resolve() / "postgres" / "PG_VERSION").exists():
        click.echo(f"✘ database: {data_dir.resolve()} holds no demo database")
        sys.exit(1)
    if data_dir is not None:
        os.environ.setdefault("CTN_DEV_IDP", "1")  # checking a demo: it runs the dev provider
    with _database(data_dir) as settings:
        _print_settings(settings)

        async def run() -> list[Check]:
            from backend.health.service import diagnose

            return await diagnose(settings)

        checks = _run(run)
    for item in checks:
        mark = "✔" if item.ok else "✘"
        click.echo(f"{mark} {item.name}" + (f": {item.error}" if item.error else ""))
    sys.exit(0 if all(item.ok for item in checks) else 1)


def _print_settings(settings: Settings) -> None:
    rows = describe(settings)
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        click.echo(f"{name:<{width}}  {value or '(unset)'}  [{source}]")


def _fail_no_database() -> NoReturn:
    _fail("DATABASE_URL is not set (expected postgresql://…; `ctn demo` needs none)", code=2)


# --- dev ----------------------------------------------------------------------------------


@main.group()
def dev() -> None:
    """Development helpers (against a server running the development identity provider)."""


@dev.command("token")
@click.option(
    "--as",
    "who",
    required=True,
    metavar="ROLE|PERSONAL_ID",
    help="A demo role (citizen, police_officer, system_admin, …) or a demo person's"
    " 12-digit personal id.",
)
@click.option(
    "--url",
    default=None,
    help="The running server (default CTN_PUBLIC_URL, else http://CTN_HOST:CTN_PORT).",
)
@click.option(
    "--redirect-uri",
    default=None,
    help="The app redirect URI to use (default the first of CTN_MOBILE_REDIRECT_URIS).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole token response.")
def dev_token(who: str, url: str | None, redirect_uri: str | None, as_json: bool) -> None:
    """Sign in as a demo person through the real mobile flow (authorize, the development
    provider, callback, PKCE token redemption) and print the access token."""
    settings = _settings()
    base = (url or settings.base_url).rstrip("/")
    redirect = redirect_uri or settings.mobile_redirect_uris.split(",")[0].strip()
    try:
        tokens = _sign_in_as(base, who, redirect)
    except _DevTokenError as exc:
        _fail(str(exc))
    if as_json:
        import json

        click.echo(json.dumps(tokens, ensure_ascii=False))
    else:
        click.echo(tokens["access_token"])


class _DevTokenError(Exception):
    """Why no token could be had; `str()` is one line."""


def _sign_in_as(base: str, who: str, redirect_uri: str) -> dict[str, Any]:
    """The mobile app's sign-in against the server at `base`, as tests/identity do it."""
    import base64
    import hashlib
    import secrets
    from urllib.parse import parse_qs, urlsplit

    import httpx

    def refused(response: httpx.Response, step: str) -> _DevTokenError:
        try:
            detail = response.json().get("detail") or response.text
        except ValueError:
            detail = response.text
        return _DevTokenError(f"{step} answered {response.status_code}: {detail}"[:300])

    with httpx.Client(base_url=base, timeout=15, headers={"Accept-Language": "en"}) as http:
        try:
            users = http.get("/dev-idp/users")
        except httpx.TransportError as exc:
            raise _DevTokenError(f"no server answers at {base} ({exc}); start `ctn demo`") from exc
        if users.status_code == 404:
            raise _DevTokenError(
                f"the server at {base} does not run the development identity provider"
                " (CTN_DEV_IDP=1, as `ctn demo` does): no token without a real sign-in"
            )
        if users.status_code != 200:
            raise refused(users, "/dev-idp/users")
        people: list[dict[str, Any]] = users.json()
        person = _pick_person(people, who)

        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        state = secrets.token_urlsafe(16)
        response = http.get(
            "/auth/mobile/authorize",
            params={
                "redirect_uri": redirect_uri,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "login_hint": person["personal_id"],
            },
        )
        # authorize → the provider → our callback → the app's redirect URI with a code
        for step in ("/auth/mobile/authorize", "the development provider", "/auth/callback"):
            if response.status_code != 302:
                raise refused(response, step)
            location = response.headers["location"]
            if location.startswith(redirect_uri + "?"):
                break
            response = http.get(location)
        else:
            raise _DevTokenError(f"the sign-in never came back to {redirect_uri}")
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if query.get("state") != state or "code" not in query:
            raise _DevTokenError(f"the sign-in came back without a code: {location[:200]}")
        token = http.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"],
                "code_verifier": verifier,
            },
        )
        if token.status_code != 200:
            raise refused(token, "/api/v1/auth/token")
        return dict(token.json())


def _pick_person(people: list[dict[str, Any]], who: str) -> dict[str, Any]:
    """The demo person with that personal id, or the first holding that role (for
    `citizen`, one holding no other role)."""
    if who.isdigit():
        for person in people:
            if person["personal_id"] == who:
                return person
        raise _DevTokenError(f"no demo person has personal id {who} (see /dev-idp/users)")
    for person in people:
        roles = person["roles"]
        if who in roles and (who != "citizen" or roles == ["citizen"]):
            return person
    known = sorted({role for person in people for role in person["roles"]})
    raise _DevTokenError(f"no demo person holds role {who!r}; roles: {', '.join(known)}")
