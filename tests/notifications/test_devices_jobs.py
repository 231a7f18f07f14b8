"""Devices' jobs through the real queue: deferred after the request commits, run by a worker
with the logging gateway (the embedded default): registration, a settings change, a move and a
sign-out keep what FCM would hold right; the full re-sync runs as parallel chains of batches;
pruning is a daily periodic task."""

from __future__ import annotations

from typing import Any

import httpx

from backend.db import engine
from backend.jobs import job_app
from backend.settings import get_settings
from notifications import push
from notifications.devices import jobs
from tests.notifications.test_devices import (
    COMMUNE,
    DEVICES,
    FID,
    put_settings,
    register,
    signed_in_person,
    stored,
)

SYNC = "notifications.devices.jobs.sync_device_topics"
UNSUBSCRIBE = "notifications.devices.jobs.unsubscribe_device_topics"
RESYNC = "notifications.devices.jobs.resync_topics"


async def jobs_of(task_name: str, status: str | None = None) -> list[dict[str, Any]]:
    connection = await engine().get_new_connection()
    try:
        rows = await connection.fetch(
            "SELECT status, args, lock FROM procrastinate_jobs WHERE task_name = $1"
            " AND ($2::text IS NULL OR status::text = $2) ORDER BY id",
            task_name,
            status,
        )
    finally:
        await connection.close()
    return [dict(row) for row in rows]


async def run_worker() -> None:
    await job_app.run_worker_async(
        queues=[jobs.QUEUE], wait=False, install_signal_handlers=False, listen_notify=False
    )


def held_by(installation_id: str) -> set[str]:
    gateway = push.gateway(get_settings())
    subscriptions: dict[str, set[str]] = gateway.subscriptions  # type: ignore[attr-defined]  # the logging gateway
    return {t for t, ids in subscriptions.items() if installation_id in ids}


async def test_registration_settings_move_and_sign_out_reach_fcm_through_the_worker(
    committed_client: httpx.AsyncClient,
) -> None:
    await push.close_gateway()
    client = committed_client
    _, first = await signed_in_person()
    _, second = await signed_in_person()
    await put_settings(client, second, commune=COMMUNE, language="en")
    assert (await register(client, first)).status_code == 201
    [job] = await jobs_of(SYNC)
    assert (job["status"], job["lock"]) == ("todo", f"device-topics:{FID}")
    await register(client, first)  # the app starting again: nothing new to do
    assert len(await jobs_of(SYNC)) == 1
    await run_worker()
    assert held_by(FID) == {"citizens", "lang-vi"}
    await put_settings(client, first, muted=["events"])
    await run_worker()
    assert held_by(FID) == {"citizens", "lang-vi", "muted-events"}
    await register(client, second)  # moves
    await run_worker()
    assert held_by(FID) == {"citizens", "lang-en", f"commune-{COMMUNE}"}
    assert (await client.delete(f"{DEVICES}/{FID}", headers=second)).status_code == 204
    [unsubscribe] = await jobs_of(UNSUBSCRIBE)
    assert unsubscribe["lock"] == f"device-topics:{FID}"
    await run_worker()
    assert held_by(FID) == set()
    assert await stored(FID) is None
    await push.close_gateway()


async def test_a_sign_out_and_a_new_sign_in_on_the_same_phone_end_in_step(
    committed_client: httpx.AsyncClient,
) -> None:
    """Jobs of one installation run in the order they were deferred: the sign-out's
    unsubscription before the next person's subscription."""
    await push.close_gateway()
    client = committed_client
    _, first = await signed_in_person()
    _, second = await signed_in_person()
    await put_settings(client, first, commune=COMMUNE)
    await register(client, first)
    await run_worker()
    await client.delete(f"{DEVICES}/{FID}", headers=first)
    await register(client, second)
    await run_worker()
    assert held_by(FID) == {"citizens", "lang-vi"}
    row = await stored(FID)
    assert row is not None
    assert sorted(row["topics"]) == ["citizens", "lang-vi"]  # type: ignore[call-overload]  # a list
    assert row["topics_synced_at"] is not None
    await push.close_gateway()


async def test_the_full_resync_runs_as_parallel_chains_of_batches(
    committed_client: httpx.AsyncClient,
) -> None:
    await push.close_gateway()
    client = committed_client
    _, headers = await signed_in_person()
    await put_settings(client, headers, commune=COMMUNE)
    ids = [f"device-{n:02d}" for n in range(11)]
    for installation_id in ids:
        await register(client, headers, installation_id)
    await run_worker()
    await push.close_gateway()  # FCM forgot everything
    assert all(held_by(i) == set() for i in ids)
    assert await jobs.launch_resync(parts=3, batch=2) == 3
    chains = await jobs_of(RESYNC, "todo")
    assert len(chains) == 3
    await run_worker()
    for installation_id in ids:
        assert held_by(installation_id) == {"citizens", "lang-vi", f"commune-{COMMUNE}"}
    batches = await jobs_of(RESYNC, "succeeded")
    assert len(batches) >= 6  # 11 devices over 3 ranges, 2 at a time
    await push.close_gateway()


def test_pruning_is_a_daily_periodic_task() -> None:
    names = {p.task.name: p for p in job_app.periodic_registry.periodic_tasks.values()}
    assert "notifications.devices.jobs.prune_stale_devices" in names
    assert names["notifications.devices.jobs.prune_stale_devices"].cron == jobs.PRUNE_CRON
