"""Readiness: each component the process needs, checked with a timeout."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from backend import db, jobs
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
