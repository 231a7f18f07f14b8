"""Topic sync through firebase-admin against the local FCM stand-in: what FCM ends up holding
for each device after registration, a settings change, a move, a sign-out and a full re-sync,
and a device FCM no longer knows."""

from __future__ import annotations

import httpx

from notifications import push
from notifications.devices import jobs
from notifications.push import PushGateway
from tests.notifications.fcm import Fcm
from tests.notifications.test_devices import (
    COMMUNE,
    DEVICES,
    FID,
    OTHER_COMMUNE,
    put_settings,
    register,
    signed_in_person,
    stored,
)


async def gateway_of(fcm: Fcm) -> PushGateway:
    await push.close_gateway()  # one an earlier test left, made from other settings
    return push.gateway(fcm.settings)


def held_by(fcm: Fcm, installation_id: str) -> set[str]:
    return {t for t, ids in fcm.standin.subscriptions().items() if installation_id in ids}


async def test_fcm_holds_the_topics_of_the_persons_settings(
    client: httpx.AsyncClient, fcm: Fcm
) -> None:
    gateway = await gateway_of(fcm)
    _, headers = await signed_in_person()
    await put_settings(client, headers, commune=COMMUNE, muted=["health"])
    await register(client, headers)
    await jobs.run_topic_sync(gateway, FID)
    assert held_by(fcm, FID) == {"citizens", "lang-vi", f"commune-{COMMUNE}", "muted-health"}
    await put_settings(client, headers, commune=OTHER_COMMUNE, language="en")
    await jobs.run_topic_sync(gateway, FID)
    assert held_by(fcm, FID) == {"citizens", "lang-en", f"commune-{OTHER_COMMUNE}"}
    row = await stored(FID)
    assert row is not None and sorted(row["topics"]) == sorted(held_by(fcm, FID))  # type: ignore[call-overload]  # a list


async def test_a_moved_then_signed_out_device_is_left_with_no_topic(
    client: httpx.AsyncClient, fcm: Fcm
) -> None:
    gateway = await gateway_of(fcm)
    _, first = await signed_in_person()
    _, second = await signed_in_person()
    await put_settings(client, first, commune=COMMUNE)
    await register(client, first)
    await jobs.run_topic_sync(gateway, FID)
    await register(client, second)
    await jobs.run_topic_sync(gateway, FID)
    assert held_by(fcm, FID) == {"citizens", "lang-vi"}
    held = sorted(held_by(fcm, FID))
    assert (await client.delete(f"{DEVICES}/{FID}", headers=second)).status_code == 204
    await jobs.run_unsubscribe(gateway, FID, held)
    assert held_by(fcm, FID) == set()


async def test_a_device_fcm_does_not_know_is_deleted(client: httpx.AsyncClient, fcm: Fcm) -> None:
    gateway = await gateway_of(fcm)
    fcm.standin.fail_device(FID, "UNREGISTERED")
    _, headers = await signed_in_person()
    await register(client, headers)
    await jobs.run_topic_sync(gateway, FID)
    assert (await client.get(DEVICES, headers=headers)).json()["items"] == []


async def test_a_full_resync_repairs_what_fcm_lost(client: httpx.AsyncClient, fcm: Fcm) -> None:
    gateway = await gateway_of(fcm)
    _, headers = await signed_in_person()
    await put_settings(client, headers, commune=COMMUNE)
    for n in range(4):
        await register(client, headers, f"fcm-{n}")
        await jobs.run_topic_sync(gateway, f"fcm-{n}")
    # FCM lost one device's commune subscription (the row still says it has it).
    await gateway.unsubscribe(f"commune-{COMMUNE}", ["fcm-1"])
    after: str = ""
    while True:
        _, next_after = await jobs.run_resync_batch(gateway, after, 3, None)
        if next_after is None:
            break
        after = next_after
    for n in range(4):
        assert f"fcm-{n}" in fcm.standin.subscriptions()[f"commune-{COMMUNE}"]
        row = await stored(f"fcm-{n}")
        assert row is not None and row["topics_synced_at"] is not None
    assert sorted(held_by(fcm, "fcm-1")) == ["citizens", f"commune-{COMMUNE}", "lang-vi"]
