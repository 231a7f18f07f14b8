"""`notify`'s pushes through firebase-admin against the local FCM stand-in: what each phone
receives, a device FCM reports gone, and a push in doubt received twice under one collapse key
(the phone shows one notification)."""

from __future__ import annotations

import httpx

from backend.db import unit_of_work
from notifications import push
from notifications.inbox import jobs
from notifications.inbox import service as inbox
from notifications.push import PushGateway
from notifications.service import notify
from tests.notifications.fcm import Fcm
from tests.notifications.test_notify import PAYMENT, deliveries, person_with


async def gateway_of(fcm: Fcm) -> PushGateway:
    await push.close_gateway()
    return push.gateway(fcm.settings)


async def test_each_phone_receives_the_notification_in_its_persons_language(
    client: httpx.AsyncClient, fcm: Fcm
) -> None:
    gateway = await gateway_of(fcm)
    person, _ = await person_with(client, "fcm-phone", "fcm-tablet", language="en")
    [item] = await notify(
        person, "welfare.payment_made", PAYMENT, deep_link="ctn://welfare", category="welfare"
    )
    assert await jobs.run_item_push(gateway, [item]) == {"accepted": 2}
    for device in ("fcm-phone", "fcm-tablet"):
        [received] = fcm.standin.messages(device=device)
        assert received.notification["title"] == "Trợ cấp người cao tuổi: payment made"
        assert received.data == {
            "kind": "item",
            "id": str(item),
            "category": "welfare",
            "deep_link": "ctn://welfare",
        }
        assert received.collapse_key == str(item)
    rows = await deliveries([item])
    assert {r["status"] for r in rows} == {"accepted"}
    assert all(r["message_id"] for r in rows)


async def test_a_device_fcm_reports_unregistered_is_removed(
    client: httpx.AsyncClient, fcm: Fcm
) -> None:
    gateway = await gateway_of(fcm)
    fcm.standin.fail_device("fcm-gone", "UNREGISTERED")
    person, headers = await person_with(client, "fcm-gone", "fcm-kept")
    items = await notify(person, "tips.new_message", {"reference": "TB-11"}, category="tips")
    assert await jobs.run_item_push(gateway, items) == {"accepted": 1, "unregistered": 1}
    left = (await client.get("/api/v1/devices", headers=headers)).json()["items"]
    assert [d["installation_id"] for d in left] == ["fcm-kept"]


async def test_a_push_in_doubt_reaches_the_phone_under_one_collapse_key(
    client: httpx.AsyncClient, fcm: Fcm
) -> None:
    gateway = await gateway_of(fcm)
    person, _ = await person_with(client, "fcm-doubt")
    items = await notify(person, "tips.new_message", {"reference": "TB-12"}, category="tips")
    # The first run sent the push and died before recording FCM's answer.
    async with unit_of_work():
        pushes = await inbox.do_claim_item_pushes(items)
    await gateway.send_to_devices(inbox.device_sends(pushes))
    assert await jobs.run_item_push(gateway, items) == {"accepted": 1}
    received = fcm.standin.messages(device="fcm-doubt")
    assert len(received) == 2
    assert {r.collapse_key for r in received} == {str(items[0])}
    [row] = await deliveries(items)
    assert (row["status"], row["attempts"]) == ("accepted", 2)
    assert await jobs.run_item_push(gateway, items) == {}
    assert len(fcm.standin.messages(device="fcm-doubt")) == 2
