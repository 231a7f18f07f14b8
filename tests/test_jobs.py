"""Background jobs through procrastinate: deferred in a request, run by a worker, retried."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import procrastinate
from procrastinate.jobs import Job

from backend.access import Role
from backend.db import engine, unit_of_work
from backend.geo import repository
from backend.jobs import DEFAULT_RETRY, defer, job_app
from tests.support.auth import auth_headers

attempts: list[int] = []


@job_app.task(name="tests.flaky", queue="tests", retry=procrastinate.RetryStrategy(max_attempts=3))
async def flaky(label: str) -> None:
    attempts.append(1)
    if len(attempts) < 3:
        raise RuntimeError(f"attempt {len(attempts)} of {label} fails")


async def run_worker(*queues: str) -> None:
    """Process every job that is due, then return."""
    await job_app.run_worker_async(
        queues=list(queues), wait=False, install_signal_handlers=False, listen_notify=False
    )


async def job_statuses(task_name: str) -> list[str]:
    connection = await engine().get_new_connection()
    try:
        rows = await connection.fetch(
            "SELECT status FROM procrastinate_jobs WHERE task_name = $1 ORDER BY id", task_name
        )
    finally:
        await connection.close()
    return [row["status"] for row in rows]


async def test_a_job_deferred_in_a_request_runs_in_the_worker(
    committed_client: httpx.AsyncClient,
) -> None:
    async with unit_of_work():
        await repository.delete_codes({"05443"})
    response = await committed_client.post(
        "/api/v1/admin-units/sync", headers=await auth_headers(Role.SYSTEM_ADMIN)
    )
    assert response.status_code == 202
    assert await job_statuses("backend.geo.tasks.sync_admin_units") == ["todo"]
    await run_worker("maintenance")
    assert await job_statuses("backend.geo.tasks.sync_admin_units") == ["succeeded"]
    restored = await committed_client.get("/api/v1/admin-units/05443")
    assert restored.status_code == 200


async def test_a_job_deferred_in_a_rolled_back_transaction_is_never_enqueued(
    committed: None,
) -> None:
    try:
        async with unit_of_work():
            await defer(flaky, label="never")
            raise RuntimeError("the request failed")
    except RuntimeError:
        pass
    assert await job_statuses("tests.flaky") == []


async def test_a_failing_job_is_retried_until_it_succeeds(committed: None) -> None:
    attempts.clear()
    async with unit_of_work():
        await defer(flaky, label="retry")
        assert await job_statuses("tests.flaky") == []  # not before commit
    assert await job_statuses("tests.flaky") == ["todo"]
    for _ in range(3):
        await run_worker("tests")
    assert len(attempts) == 3
    assert await job_statuses("tests.flaky") == ["succeeded"]


def test_default_retry_backs_off_exponentially() -> None:
    def wait_after(attempts: int) -> float | None:
        job = Job(id=1, queue="q", lock=None, queueing_lock=None, task_name="t", attempts=attempts)
        decision = DEFAULT_RETRY.get_retry_decision(exception=RuntimeError(), job=job)
        if decision is None:
            return None
        assert decision.retry_at is not None
        return (decision.retry_at - datetime.now(UTC)).total_seconds()

    waits = [wait_after(n) for n in range(4)]
    assert [round(w or 0) for w in waits] == [2, 4, 8, 16]
    assert wait_after(5) is None  # gives up after five attempts
