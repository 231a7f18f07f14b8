"""Background jobs: the procrastinate application, and deferring after commit.

Tasks live in each domain's `tasks.py` (registered in `backend.domains`) and are registered
on `job_app`. A task that touches
the database runs inside one unit of work (`@transactional`). A job deferred while a request's
transaction is open is enqueued only after that transaction commits (`defer`), so a worker
never sees a job for rows it cannot read yet, and a rolled-back request enqueues nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import procrastinate

from backend.db import after_commit, unit_of_work
from backend.domains import task_modules
from backend.settings import get_settings

P = ParamSpec("P")
R = TypeVar("R")

TASK_MODULES = task_modules()

# Jobs are retried with exponential backoff: 2, 4, 8, 16… seconds between attempts.
DEFAULT_RETRY = procrastinate.RetryStrategy(max_attempts=5, exponential_wait=2)


def _conninfo() -> str:
    settings = get_settings()
    return settings.database_url or "postgresql:///ctn"


job_app = procrastinate.App(
    # The connection string is read when a connection is made, not at import: a module
    # imported before the settings are final (a test run's conftest) does not fix it.
    connector=procrastinate.PsycopgConnector(
        conninfo=_conninfo, min_size=1, max_size=4, kwargs={"application_name": "ctn-jobs"}
    ),
    import_paths=TASK_MODULES,
)


def transactional(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Run the task body in one unit of work: committed when it returns, rolled back when it
    raises (and procrastinate then retries it by its retry strategy)."""

    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        async with unit_of_work():
            return await func(*args, **kwargs)

    return wrapper


async def defer(task: Any, **kwargs: Any) -> None:
    """Enqueue `task` once the current transaction commits (now, outside a transaction)."""

    async def enqueue() -> None:
        await task.defer_async(**kwargs)

    await after_commit(enqueue)


WORKER_OPTIONS: dict[str, Any] = {"fetch_job_polling_interval": 1.0}
"""A job deferred while another job of its lock still runs (the next step of a campaign's
range, of a device's topic sync) is not fetched on the notification of its deferral; workers
look for it again at this interval (procrastinate's default, 5 s, left a campaign's chain idle
most of the time)."""


async def queue_reachable() -> None:
    """Raise unless the job queue's tables answer."""
    await job_app.connector.execute_query_one_async(
        "SELECT count(*) AS n FROM procrastinate_jobs WHERE false"
    )
