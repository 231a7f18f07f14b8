"""Readiness: each component the process needs, checked with a timeout."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from backend import db, jobs
from backend.health import repository
from backend.health.schemas import Check, Readiness
from backend.settings import Settings


async def _check_database(settings: Settings) -> None:
    await db.ping(settings.db_timeout_seconds)


async def _check_media(settings: Settings) -> None:
    def probe(directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".ready-", dir=directory)
        os.close(fd)
        os.unlink(name)

    await asyncio.to_thread(probe, settings.media_path)


async def _check_queue(settings: Settings) -> None:
    async with asyncio.timeout(settings.db_timeout_seconds):
        await jobs.queue_reachable()


CHECKS = {"database": _check_database, "media": _check_media, "job_queue": _check_queue}


async def check_readiness(settings: Settings) -> Readiness:
    """Run every check concurrently; never raises."""

    async def run(name: str) -> Check:
        try:
            await CHECKS[name](settings)
        except Exception as exc:
            return Check(name=name, ok=False, error=type(exc).__name__)
        return Check(name=name, ok=True)

    results = await asyncio.gather(*(run(name) for name in CHECKS))
    return Readiness(ready=all(r.ok for r in results), checks=list(results))


# --- `ctn check`: the same components, diagnosed in words, changing nothing ---------------


def _where(url: str) -> tuple[str, str, str]:
    """(host:port or socket directory, database, user) of a postgresql:// URL."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = parts.hostname or query.get("host", [""])[0] or "localhost"
    where = host if host.startswith("/") else f"{host}:{parts.port or 5432}"
    database = parts.path.lstrip("/") or (parts.username or "postgres")
    return where, database, parts.username or "postgres"


def explain_connection_error(exc: BaseException, url: str, timeout: float) -> str:
    """Why a connection to `url` failed, in words an operator acts on."""
    import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

    where, database, user = _where(url)
    if isinstance(exc, TimeoutError):
        return f"no answer from {where} within {timeout:g} s (CTN_DB_TIMEOUT_SECONDS)"
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f'database "{database}" does not exist on {where}'
    if isinstance(exc, asyncpg.InvalidPasswordError):
        return f'password authentication failed for user "{user}" at {where}'
    if isinstance(exc, asyncpg.PostgresError):
        return f"{where} refused: {str(exc).splitlines()[0]}"
    if isinstance(exc, socket.gaierror):
        return f"host {where.rsplit(':', 1)[0]} not found"
    if isinstance(exc, ConnectionRefusedError) or (
        isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED
    ):
        return f"connection refused at {where}"
    if isinstance(exc, FileNotFoundError) or (
        isinstance(exc, OSError) and exc.errno == errno.ENOENT
    ):
        return f"no server listens at {where}"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"cannot connect to {where}: {text}"


def _pending_migrations(ran: set[tuple[str, str]]) -> int:
    from piccolo.apps.migrations.commands.base import BaseMigrationManager

    manager = BaseMigrationManager()
    pending = 0
    for name in manager.get_sorted_app_names():
        config = manager.get_app_config(name)
        modules = manager.get_migration_modules(config.resolved_migrations_folder_path)
        pending += sum(1 for i in manager.get_migration_ids(modules) if (name, i) not in ran)
    return pending


async def migrations_ran(app_name: str) -> int:
    """How many migrations of the app the database has run."""
    return sum(1 for app, _ in await repository.migrations_ran() if app == app_name)


def _media_writable(directory: Path) -> str | None:
    """Why local media could not be written under `directory`, else None; creates nothing
    (a missing directory is fine when its nearest existing parent is writable)."""
    existing = directory
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable by this user"
    return None


async def diagnose(settings: Settings) -> list[Check]:
    """Every component `ctn serve` needs, one `Check` each with the problem in words. Answers
    within about CTN_DB_TIMEOUT_SECONDS, opens one connection, changes nothing; never raises."""
    import asyncpg

    checks: list[Check] = []
    timeout = settings.db_timeout_seconds
    url = settings.require_database_url()
    connection: Any = None
    try:
        async with asyncio.timeout(timeout):
            connection = await asyncpg.connect(url, timeout=timeout)
    except Exception as exc:  # every failure is reported, in words
        checks.append(Check("database", False, explain_connection_error(exc, url, timeout)))
    if connection is None:
        checks.append(Check("migrations", False, "not checked (no database)"))
        checks.append(Check("job_queue", False, "not checked (no database)"))
        unverified = "set; not checked against the stored keys (no database)"
        checks.append(
            Check("secret_key", True, unverified)
            if settings.secret_key
            else Check("secret_key", False, "CTN_SECRET_KEY is not set")
        )
    else:
        try:
            checks.extend(await _diagnose_database(connection, settings))
        finally:
            await connection.close()
    media = (
        "S3 (not checked here)"
        if settings.storage_backend == "s3"
        else _media_writable(settings.media_path)
    )
    if settings.storage_backend == "s3":
        checks.append(Check("media", True, media))
    else:
        checks.append(Check("media", media is None, media))
    checks.append(await _diagnose_identity_provider(settings))
    return checks


async def _diagnose_database(connection: Any, settings: Settings) -> list[Check]:
    import asyncpg

    checks = [Check("database", True)]
    timeout = settings.db_timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            rows = await connection.fetch("SELECT app_name, name FROM migration")
    except asyncpg.UndefinedTableError:
        rows = None
    pending = _pending_migrations({(r["app_name"], r["name"]) for r in rows or []})
    if rows is None or pending:
        what = "no migration applied" if rows is None else f"{pending} migrations pending"
        checks.append(Check("migrations", False, f"not migrated ({what}): run `ctn migrate`"))
    else:
        checks.append(Check("migrations", True))
    try:
        async with asyncio.timeout(timeout):
            await connection.fetchval("SELECT count(*) FROM procrastinate_jobs WHERE false")
    except asyncpg.UndefinedTableError:
        checks.append(Check("job_queue", False, "its tables are missing: run `ctn migrate`"))
    except (TimeoutError, asyncpg.PostgresError) as exc:
        checks.append(Check("job_queue", False, str(exc).splitlines()[0] or "no answer"))
    else:
        checks.append(Check("job_queue", True))
    checks.append(await _diagnose_secret(settings, migrated=rows is not None))
    return checks


async def _diagnose_secret(settings: Settings, *, migrated: bool) -> Check:
    from backend.audit.service import check_secret_derives_current_key
    from backend.identity.service import check_secret_opens_signing_key

    if not settings.secret_key:
        return Check("secret_key", False, "CTN_SECRET_KEY is not set")
    if not migrated:
        return Check("secret_key", True, "nothing stored to open yet")
    try:
        async with asyncio.timeout(settings.db_timeout_seconds), db.unit_of_work():
            signing = await check_secret_opens_signing_key(settings.secret_key)
            audit_key = await check_secret_derives_current_key(settings.secret_key)
    except Exception as exc:  # reported, not raised
        return Check("secret_key", False, f"could not read the stored keys: {exc}"[:200])
    closed = [
        *([f"signing key {signing}"] if signing else []),
        *([f"audit key {audit_key}"] if audit_key else []),
    ]
    if closed:
        return Check(
            "secret_key",
            False,
            f"CTN_SECRET_KEY does not open the stored keys ({', '.join(closed)})",
        )
    return Check("secret_key", True)


async def _diagnose_identity_provider(settings: Settings) -> Check:
    """Discovery and JWKS of the configured provider answer and name the right issuer."""
    if not settings.oidc_issuer:
        if settings.dev_idp:
            return Check("identity_provider", True, "the development provider (CTN_DEV_IDP=1)")
        return Check("identity_provider", False, "CTN_OIDC_ISSUER is not set: nobody could sign in")
    from backend.identity.service import check_provider_answers

    try:
        async with asyncio.timeout(settings.db_timeout_seconds):
            await check_provider_answers(settings)
    except TimeoutError:
        problem = f"no answer from {settings.oidc_issuer} within {settings.db_timeout_seconds:g} s"
        return Check("identity_provider", False, problem)
    except Exception as exc:  # reported, not raised
        cause = exc.__cause__ or exc
        detail = getattr(exc, "detail_en", None) or str(exc)
        problem = f"{settings.oidc_issuer}: {detail}" + (f" ({cause})" if cause is not exc else "")
        return Check("identity_provider", False, problem[:300])
    return Check("identity_provider", True)
