"""`notify`: other domains' one way to reach a person — templates in two languages, recipients
by id or by role in a unit, inbox items written in the caller's transaction, pushes deferred
after its commit and sent once per item and device (muted categories skipped, gone devices
removed, pushes left in doubt by a killed worker sent once more under the same collapse key)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from backend.access import Role
from backend.db import engine, unit_of_work
from backend.jobs import job_app
from backend.settings import get_settings
from notifications import push
from notifications.inbox import jobs
from notifications.inbox import service as inbox
from notifications.push import Outcome
from notifications.service import RoleInUnit, TemplateDataMissing, TemplateUnknown, notify
from notifications.tables import Device, InboxItem, PushDelivery
from tests.notifications.test_devices import FakeGateway, register
from tests.support.auth import bearer_for, create_person

INBOX = "/api/v1/inbox"
PAYMENT = {"program": "Trợ cấp người cao tuổi", "amount": "540.000", "date": "05/12/2026"}


async def person_with(
    client: httpx.AsyncClient, *devices: str, language: str = "vi", muted: tuple[str, ...] = ()
) -> tuple[uuid.UUID, dict[str, str]]:
    person = await create_person()
    headers = await bearer_for(person)
    for installation_id in devices:
        assert (await register(client, headers, installation_id)).status_code == 201
    response = await client.put(
        "/api/v1/notification-settings",
        json={"commune_code": None, "language": language, "muted_categories": list(muted)},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return person, headers


async def inbox_titles(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await client.get(INBOX, headers=headers)
    assert response.status_code == 200, response.text
    return [entry["title"] for entry in response.json()["items"]]


async def deliveries(item_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await PushDelivery.select()
        .where(PushDelivery.item_id.is_in(item_ids))
        .order_by(PushDelivery.installation_id)
    )
    return rows


# --- what lands in the inbox ------------------------------------------------------------------


async def test_a_notification_lands_in_the_inbox_in_the_persons_language(
    client: httpx.AsyncClient,
) -> None:
    vietnamese, vi_headers = await person_with(client)
    english, en_headers = await person_with(client, language="en")
    items = await notify([vietnamese, english], "welfare.payment_made", PAYMENT, category="welfare")
    assert len(items) == 2
    assert await inbox_titles(client, vi_headers) == ["Đã chi trả Trợ cấp người cao tuổi"]
    assert await inbox_titles(client, en_headers) == ["Trợ cấp người cao tuổi: payment made"]
    entry = (await client.get(f"{INBOX}/{items[1]}", headers=en_headers)).json()
    assert (
        entry["body"]
        == "The payment of 540.000 VND from Trợ cấp người cao tuổi was made on 05/12/2026."
    )
    assert (entry["kind"], entry["category"], entry["language"]) == ("item", "welfare", "en")


async def test_a_deep_link_and_the_data_are_kept(client: httpx.AsyncClient) -> None:
    person, headers = await person_with(client)
    [item] = await notify(
        person,
        "tips.status_changed",
        {"reference": "TB-2026-0042"},
        deep_link="ctn://tips/TB-2026-0042",
        category="tips",
    )
    entry = (await client.get(f"{INBOX}/{item}", headers=headers)).json()
    assert entry["deep_link"] == "ctn://tips/TB-2026-0042"
    assert entry["title"] == "Tin báo TB-2026-0042 có cập nhật"
    [row] = await InboxItem.select(InboxItem.data).where(InboxItem.id == item)
    data = row["data"]
    assert "TB-2026-0042" in (data if isinstance(data, str) else str(data))


async def test_recipients_by_role_in_a_unit(client: httpx.AsyncClient) -> None:
    ours = [await create_person(Role.POLICE_OFFICER, police_unit="CA-PHUONG-A") for _ in range(2)]
    theirs = await create_person(Role.POLICE_OFFICER, police_unit="CA-PHUONG-B")
    citizen = await create_person()
    items = await notify(
        RoleInUnit(Role.POLICE_OFFICER, police_unit="CA-PHUONG-A"),
        "tips.new_report",
        {"reference": "TB-1"},
        category="tips",
    )
    rows = await InboxItem.select(InboxItem.person_id).where(InboxItem.id.is_in(items))
    assert sorted(r["person_id"] for r in rows) == sorted(ours)
    for outsider in (theirs, citizen):
        assert await inbox_titles(client, await bearer_for(outsider)) == []


async def test_a_list_of_recipients_reaches_each_person_once(client: httpx.AsyncClient) -> None:
    person, _ = await person_with(client)
    items = await notify(
        [person, person],
        "courses.assigned",
        {"course": "Chuyển đổi số", "deadline": "31/12"},
        category="courses",
    )
    assert len(items) == 1
    course = {"course": "Chuyển đổi số", "deadline": "31/12"}
    assert await notify([], "courses.assigned", course, category="courses") == []
    # The template and data are checked even when nobody is addressed: a caller's mistake
    # shows in its first test, not on the day the list is not empty.
    with pytest.raises(TemplateDataMissing):
        await notify([], "courses.assigned", {}, category="courses")


async def test_a_template_nobody_registered_or_missing_data_is_a_clear_error(
    client: httpx.AsyncClient,
) -> None:
    person, _ = await person_with(client)
    with pytest.raises(TemplateUnknown, match=r"tips\.no_such_thing"):
        await notify(person, "tips.no_such_thing", {}, category="tips")
    with pytest.raises(TemplateDataMissing, match="'deadline'"):
        await notify(
            person, "courses.deadline_soon", {"course": "An toàn thông tin"}, category="courses"
        )
    with pytest.raises(ValueError, match="category"):
        await notify(person, "tips.new_message", {"reference": "x"}, category="gossip")
    assert await InboxItem.count().where(InboxItem.person_id == person) == 0


async def notify_then_fail(person: uuid.UUID, reference: str) -> None:
    """A caller whose transaction fails after notifying."""
    async with unit_of_work():
        await notify(person, "tips.new_message", {"reference": reference}, category="tips")
        raise RuntimeError("the caller's request failed")


async def test_a_rolled_back_caller_leaves_no_notification(client: httpx.AsyncClient) -> None:
    person, headers = await person_with(client)
    with pytest.raises(RuntimeError):
        await notify_then_fail(person, "TB-3")
    assert await inbox_titles(client, headers) == []


# --- pushes -----------------------------------------------------------------------------------


async def test_each_device_gets_the_push_once_and_muted_people_none(
    client: httpx.AsyncClient,
) -> None:
    gateway = FakeGateway()
    person, _ = await person_with(client, "phone-a", "tablet-a", language="en")
    muted, _ = await person_with(client, "phone-b", muted=("welfare",))
    items = await notify([person, muted], "welfare.payment_made", PAYMENT, category="welfare")
    counts = await jobs.run_item_push(gateway, items)
    assert counts == {"accepted": 2}
    assert sorted(s.installation_id for s in gateway.sent) == ["phone-a", "tablet-a"]
    message = gateway.sent[0].message
    assert message.title == "Trợ cấp người cao tuổi: payment made"
    assert message.collapse_key == str(items[0])
    assert message.data == {"kind": "item", "id": str(items[0]), "category": "welfare"}
    assert [d["status"] for d in await deliveries(items)] == ["accepted", "accepted"]
    # The job again (a retry): nothing is sent twice.
    assert await jobs.run_item_push(gateway, items) == {}
    assert len(gateway.sent) == 2


async def test_mandatory_categories_are_pushed_whatever_was_muted(
    client: httpx.AsyncClient,
) -> None:
    gateway = FakeGateway()
    person, _ = await person_with(client, "phone-c", muted=("welfare", "courses"))
    items = await notify(person, "tips.new_message", {"reference": "TB-5"}, category="tips")
    assert await jobs.run_item_push(gateway, items) == {"accepted": 1}


async def test_a_device_fcm_reports_gone_is_removed(client: httpx.AsyncClient) -> None:
    gateway = FakeGateway()
    gateway.outcomes["old-phone"] = Outcome.UNREGISTERED
    gateway.outcomes["odd-phone"] = Outcome.INTERNAL
    person, headers = await person_with(client, "old-phone", "new-phone", "odd-phone")
    items = await notify(person, "tips.new_message", {"reference": "TB-6"}, category="tips")
    assert await jobs.run_item_push(gateway, items) == {
        "accepted": 1,
        "unregistered": 1,
        "internal": 1,
    }
    rows = {d["installation_id"]: d for d in await deliveries(items)}
    assert (rows["old-phone"]["status"], rows["old-phone"]["error"]) == ("failed", "unregistered")
    assert rows["odd-phone"]["error"] == "internal"
    left = (await client.get("/api/v1/devices", headers=headers)).json()["items"]
    assert sorted(d["installation_id"] for d in left) == ["new-phone", "odd-phone"]


async def test_a_push_left_in_doubt_is_sent_once_more_with_the_same_collapse_key(
    client: httpx.AsyncClient,
) -> None:
    gateway = FakeGateway()
    person, _ = await person_with(client, "phone-d")
    items = await notify(person, "tips.new_message", {"reference": "TB-8"}, category="tips")
    # A worker claimed the push and was killed before recording what FCM answered.
    async with unit_of_work():
        claimed = await inbox.do_claim_item_pushes(items)
    assert len(claimed.deliveries) == 1
    assert await jobs.run_item_push(gateway, items) == {"accepted": 1}
    [row] = await deliveries(items)
    assert (row["status"], row["attempts"]) == ("accepted", 2)
    assert [s.message.collapse_key for s in gateway.sent] == [str(items[0])]


async def test_a_push_in_doubt_twice_is_not_sent_a_third_time(client: httpx.AsyncClient) -> None:
    gateway = FakeGateway()
    person, _ = await person_with(client, "phone-e")
    items = await notify(person, "tips.new_message", {"reference": "TB-9"}, category="tips")
    for _ in range(2):
        async with unit_of_work():
            await inbox.do_claim_item_pushes(items)
    assert await jobs.run_item_push(gateway, items) == {}
    assert gateway.sent == []
    [row] = await deliveries(items)
    assert (row["status"], row["error"]) == ("failed", "in_doubt")


# --- through the job queue --------------------------------------------------------------------


async def job_count(task_name: str) -> int:
    connection = await engine().get_new_connection()
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = $1", task_name
            )
        )
    finally:
        await connection.close()


PUSH_TASK = "notifications.inbox.jobs.push_inbox_items"


async def test_the_push_job_is_deferred_after_commit_and_sent_by_the_worker(
    committed_client: httpx.AsyncClient,
) -> None:
    await push.close_gateway()
    person, _ = await person_with(committed_client, "phone-f")
    with pytest.raises(RuntimeError):
        await notify_then_fail(person, "TB-0")
    assert await job_count(PUSH_TASK) == 0
    async with unit_of_work():
        [item] = await notify(person, "tips.new_message", {"reference": "TB-10"}, category="tips")
        assert await job_count(PUSH_TASK) == 0  # not before the commit
    assert await job_count(PUSH_TASK) == 1
    await job_app.run_worker_async(
        queues=[jobs.QUEUE], wait=False, install_signal_handlers=False, listen_notify=False
    )
    logged = push.gateway(get_settings()).to_device("phone-f")  # type: ignore[attr-defined]  # the logging gateway
    assert [p.message.title for p in logged] == ["Tin nhắn mới về tin báo TB-10"]
    async with unit_of_work():
        [row] = await deliveries([item])
    assert row["status"] == "accepted"
    await push.close_gateway()


async def test_a_device_row_is_never_needed_to_reach_the_inbox(client: httpx.AsyncClient) -> None:
    person, headers = await person_with(client)
    assert await Device.count().where(Device.person_id == person) == 0
    await notify(person, "courses.certificate_issued", {"course": "Kỹ năng số"}, category="courses")
    assert await inbox_titles(client, headers) == ["Bạn đã được cấp chứng chỉ"]
