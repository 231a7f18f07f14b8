"""Devices over HTTP: registration (one person, many devices; a device moving to another
person), sign-out, the caller's list; notification settings and categories; and keeping each
device's FCM topics in step with its person's settings (sync per device, the full re-sync in
batches, pruning stale devices), through a gateway double that records what it is asked."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from backend.db import unit_of_work
from backend.settings import get_settings
from notifications.devices import jobs
from notifications.devices.errors import TopicSyncIncomplete
from notifications.push import DeviceSend, Outcome, PushMessage, SendResult, TopicError
from notifications.tables import Device
from tests.support.auth import bearer_for, create_person

DEVICES = "/api/v1/devices"
SETTINGS = "/api/v1/notification-settings"
FID = "cZx5-7sTQ9mXfJ2aBcD_e1"  # 22 characters of base64url, as Firebase issues them
COMMUNE = "05443"
OTHER_COMMUNE = "05710"


class FakeGateway:
    """A push gateway for tests: remembers subscriptions and sends, answers as told."""

    def __init__(self) -> None:
        self.subscriptions: dict[str, set[str]] = {}
        self.calls: list[tuple[str, str, tuple[str, ...]]] = []
        self.sent: list[DeviceSend] = []
        self.gone: set[str] = set()
        """Devices FCM no longer knows (UNREGISTERED)."""
        self.failing: set[str] = set()
        """Devices whose topic requests fail for another reason (INTERNAL)."""
        self.outcomes: dict[str, Outcome] = {}
        """Outcome of sends per device (default: accepted)."""

    def _errors(self, ids: Sequence[str]) -> list[TopicError]:
        errors = []
        for installation_id in ids:
            if installation_id in self.gone:
                errors.append(TopicError(installation_id, "UNREGISTERED"))
            elif installation_id in self.failing:
                errors.append(TopicError(installation_id, "INTERNAL"))
        return errors

    async def subscribe(self, topic: str, installation_ids: Sequence[str]) -> list[TopicError]:
        self.calls.append(("subscribe", topic, tuple(installation_ids)))
        errors = self._errors(installation_ids)
        failed = {e.installation_id for e in errors}
        self.subscriptions.setdefault(topic, set()).update(set(installation_ids) - failed)
        return errors

    async def unsubscribe(self, topic: str, installation_ids: Sequence[str]) -> list[TopicError]:
        self.calls.append(("unsubscribe", topic, tuple(installation_ids)))
        errors = self._errors(installation_ids)
        failed = {e.installation_id for e in errors}
        self.subscriptions.setdefault(topic, set()).difference_update(
            set(installation_ids) - failed
        )
        return errors

    async def send_to_devices(self, sends: Sequence[DeviceSend]) -> list[SendResult]:
        self.sent.extend(sends)
        return [
            SendResult(
                self.outcomes.get(s.installation_id, Outcome.ACCEPTED),
                message_id=f"fake/{len(self.sent)}-{i}",
            )
            for i, s in enumerate(sends)
        ]

    async def send_to_condition(self, condition: str, message: PushMessage) -> SendResult:
        return SendResult(Outcome.ACCEPTED, message_id="fake/condition")

    async def aclose(self) -> None:
        return None

    def topics_of(self, installation_id: str) -> set[str]:
        return {t for t, ids in self.subscriptions.items() if installation_id in ids}


def registration(**overrides: str) -> dict[str, str]:
    return {"platform": "android", "app_version": "3.2.1", "locale": "vi", **overrides}


async def register(
    client: httpx.AsyncClient, headers: dict[str, str], installation_id: str = FID, **body: str
) -> httpx.Response:
    return await client.put(
        f"{DEVICES}/{installation_id}", json=registration(**body), headers=headers
    )


async def signed_in_person() -> tuple[uuid.UUID, dict[str, str]]:
    person = await create_person()
    return person, await bearer_for(person)


async def stored(installation_id: str) -> dict[str, object] | None:
    row: dict[str, object] | None = (
        await Device.select().where(Device.installation_id == installation_id).first()
    )
    return row


# --- registration -----------------------------------------------------------------------------


async def test_a_device_is_registered_then_refreshed(client: httpx.AsyncClient) -> None:
    _, headers = await signed_in_person()
    first = await register(client, headers)
    assert first.status_code == 201, first.text
    assert first.json()["installation_id"] == FID
    assert first.json()["topics"] == []
    again = await register(client, headers, app_version="3.3.0", platform="android")
    assert again.status_code == 200, again.text
    assert again.json()["app_version"] == "3.3.0"
    assert again.json()["refreshed_at"] > first.json()["refreshed_at"]
    assert again.json()["created_at"] == first.json()["created_at"]
    listed = await client.get(DEVICES, headers=headers)
    assert [d["installation_id"] for d in listed.json()["items"]] == [FID]


async def test_one_person_has_many_devices_and_sees_only_their_own(
    client: httpx.AsyncClient,
) -> None:
    _, headers = await signed_in_person()
    _, other = await signed_in_person()
    for fid, platform in (("phone-1", "android"), ("tablet-1", "ios"), ("browser-1", "web")):
        assert (await register(client, headers, fid, platform=platform)).status_code == 201
    assert (await register(client, other, "other-phone")).status_code == 201
    mine = (await client.get(DEVICES, headers=headers)).json()["items"]
    assert sorted(d["installation_id"] for d in mine) == ["browser-1", "phone-1", "tablet-1"]
    assert {d["platform"] for d in mine} == {"android", "ios", "web"}


async def test_a_device_registered_by_another_person_moves_to_the_caller(
    client: httpx.AsyncClient,
) -> None:
    _, first_owner = await signed_in_person()
    _, second_owner = await signed_in_person()
    assert (await register(client, first_owner)).status_code == 201
    moved = await register(client, second_owner)
    assert moved.status_code == 201  # new to the caller
    assert (await client.get(DEVICES, headers=first_owner)).json()["items"] == []
    assert [
        d["installation_id"]
        for d in (await client.get(DEVICES, headers=second_owner)).json()["items"]
    ] == [FID]
    # The first owner's sign-out no longer touches it.
    assert (await client.delete(f"{DEVICES}/{FID}", headers=first_owner)).status_code == 204
    assert len((await client.get(DEVICES, headers=second_owner)).json()["items"]) == 1


@pytest.mark.parametrize(
    "installation_id",
    ["x", FID, "f" * 255, "dGVzdA.with~tilde_and-dash"],
    ids=["one-char", "fid", "255-chars", "url-safe"],
)
async def test_installation_ids_of_1_to_255_url_safe_characters_are_accepted(
    client: httpx.AsyncClient, installation_id: str
) -> None:
    _, headers = await signed_in_person()
    response = await register(client, headers, installation_id)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "installation_id",
    ["f" * 256, "has%20space", "semi;colon", "a%2Fb", "plus+sign"],
    ids=["256-chars", "space", "semicolon", "slash", "plus"],
)
async def test_other_installation_ids_are_refused(
    client: httpx.AsyncClient, installation_id: str
) -> None:
    _, headers = await signed_in_person()
    response = await register(client, headers, installation_id)
    assert response.status_code in (404, 422), response.text
    assert (await client.get(DEVICES, headers=headers)).json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"platform": "symbian", "app_version": "1", "locale": "vi"},
        {"platform": "ios", "app_version": "with space", "locale": "vi"},
        {"platform": "ios", "app_version": "1", "locale": "not a locale"},
        {"platform": "ios", "app_version": "1"},
        {"platform": "ios", "app_version": "1", "locale": "vi", "token": "x"},
    ],
    ids=["platform", "version", "locale", "missing", "unknown-field"],
)
async def test_a_bad_registration_is_a_422(client: httpx.AsyncClient, body: dict[str, str]) -> None:
    _, headers = await signed_in_person()
    response = await client.put(f"{DEVICES}/{FID}", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"


async def test_the_first_registration_sets_the_notification_language_from_the_locale(
    client: httpx.AsyncClient,
) -> None:
    _, english = await signed_in_person()
    await register(client, english, "en-phone", locale="en-GB")
    assert (await client.get(SETTINGS, headers=english)).json()["language"] == "en"
    # A second device in another language does not change what the person has.
    await register(client, english, "vi-tablet", locale="vi-VN")
    assert (await client.get(SETTINGS, headers=english)).json()["language"] == "en"
    _, unknown = await signed_in_person()
    await register(client, unknown, "fr-phone", locale="fr")
    assert (await client.get(SETTINGS, headers=unknown)).json()["language"] == "vi"


async def test_sign_out_forgets_the_device_and_is_idempotent(client: httpx.AsyncClient) -> None:
    _, headers = await signed_in_person()
    await register(client, headers)
    assert (await client.delete(f"{DEVICES}/{FID}", headers=headers)).status_code == 204
    assert (await client.get(DEVICES, headers=headers)).json()["items"] == []
    assert (await client.delete(f"{DEVICES}/{FID}", headers=headers)).status_code == 204
    assert (await client.delete(f"{DEVICES}/never-seen", headers=headers)).status_code == 204


async def test_only_the_owner_removes_a_device(client: httpx.AsyncClient) -> None:
    _, owner = await signed_in_person()
    _, stranger = await signed_in_person()
    await register(client, owner)
    # Same answer as for an unknown device: nothing is told about other people's devices.
    assert (await client.delete(f"{DEVICES}/{FID}", headers=stranger)).status_code == 204
    assert len((await client.get(DEVICES, headers=owner)).json()["items"]) == 1


async def test_devices_need_a_signed_in_person(client: httpx.AsyncClient, db: None) -> None:
    assert (await client.get(DEVICES)).status_code == 401
    assert (await client.put(f"{DEVICES}/{FID}", json=registration())).status_code == 401
    assert (await client.delete(f"{DEVICES}/{FID}")).status_code == 401


# --- notification settings ------------------------------------------------------------------


async def test_settings_start_at_the_defaults_and_are_replaced(client: httpx.AsyncClient) -> None:
    _, headers = await signed_in_person()
    initial = (await client.get(SETTINGS, headers=headers)).json()
    assert initial == {
        "commune_code": None,
        "language": "vi",
        "muted_categories": [],
        "updated_at": None,
    }
    body = {"commune_code": COMMUNE, "language": "tay", "muted_categories": ["health", "events"]}
    changed = await client.put(SETTINGS, json=body, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["muted_categories"] == ["events", "health"]
    assert (await client.get(SETTINGS, headers=headers)).json() == changed.json()
    cleared = await client.put(
        SETTINGS,
        json={"commune_code": None, "language": "vi", "muted_categories": []},
        headers=headers,
    )
    assert cleared.json()["commune_code"] is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"commune_code": "00070"}, "notification_commune_unknown"),  # Hà Nội's, not ours
        ({"commune_code": "99999"}, "notification_commune_unknown"),
        ({"muted_categories": ["emergency"]}, "notification_category_mandatory"),
        ({"muted_categories": ["health", "circular"]}, "notification_category_mandatory"),
        ({"muted_categories": ["tips"]}, "notification_category_mandatory"),
        ({"muted_categories": ["gossip"]}, "notification_category_unknown"),
        ({"language": "fr"}, "validation_failed"),
        ({"commune_code": "5443"}, "validation_failed"),
    ],
)
async def test_bad_settings_are_a_422_with_a_stable_code(
    client: httpx.AsyncClient, body: dict[str, object], code: str
) -> None:
    _, headers = await signed_in_person()
    full = {"commune_code": None, "language": "vi", "muted_categories": [], **body}
    response = await client.put(SETTINGS, json=full, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert (await client.get(SETTINGS, headers=headers)).json()["updated_at"] is None


async def test_the_categories_are_public_with_both_names_and_whether_they_can_be_muted(
    client: httpx.AsyncClient, db: None
) -> None:
    response = await client.get("/api/v1/notification-categories")
    assert response.status_code == 200
    categories = {c["code"]: c for c in response.json()["items"]}
    assert categories["emergency"] == {
        "code": "emergency",
        "name_vi": "Cảnh báo khẩn cấp",
        "name_en": "Emergency alerts",
        "mutable": False,
    }
    assert not categories["circular"]["mutable"]
    assert categories["health"]["mutable"]
    assert {lang["code"] for lang in response.json()["languages"]} == {
        "vi",
        "en",
        "tay",
        "nung",
        "hmn",
        "dao",
    }
    assert response.headers.get("etag")


# --- topic sync -------------------------------------------------------------------------------


async def put_settings(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    commune: str | None = None,
    language: str = "vi",
    muted: Sequence[str] = (),
) -> None:
    response = await client.put(
        SETTINGS,
        json={"commune_code": commune, "language": language, "muted_categories": list(muted)},
        headers=headers,
    )
    assert response.status_code == 200, response.text


async def device_topics(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, object]:
    [device] = (await client.get(DEVICES, headers=headers)).json()["items"]
    return dict(device)


async def test_a_registered_device_follows_its_persons_settings(
    client: httpx.AsyncClient,
) -> None:
    gateway = FakeGateway()
    _, headers = await signed_in_person()
    await put_settings(client, headers, commune=COMMUNE, muted=["health"])
    await register(client, headers)
    assert await jobs.run_topic_sync(gateway, FID) == [
        "+citizens",
        f"+commune-{COMMUNE}",
        "+lang-vi",
        "+muted-health",
    ]
    device = await device_topics(client, headers)
    assert device["topics"] == ["citizens", f"commune-{COMMUNE}", "lang-vi", "muted-health"]
    assert device["topics_synced_at"] is not None
    assert gateway.topics_of(FID) == set(device["topics"])
    # In step: a second run asks FCM nothing.
    calls = len(gateway.calls)
    assert await jobs.run_topic_sync(gateway, FID) == []
    assert len(gateway.calls) == calls


async def test_a_settings_change_moves_the_devices_topics(client: httpx.AsyncClient) -> None:
    gateway = FakeGateway()
    _, headers = await signed_in_person()
    await put_settings(client, headers, commune=COMMUNE, muted=["health"])
    await register(client, headers)
    await jobs.run_topic_sync(gateway, FID)
    await put_settings(client, headers, commune=OTHER_COMMUNE, language="en", muted=["events"])
    device = await device_topics(client, headers)
    assert device["topics_synced_at"] is not None  # FCM has not changed yet
    changes = await jobs.run_topic_sync(gateway, FID)
    assert changes == [
        f"+commune-{OTHER_COMMUNE}",
        "+lang-en",
        "+muted-events",
        f"-commune-{COMMUNE}",
        "-lang-vi",
        "-muted-health",
    ]
    assert gateway.topics_of(FID) == {
        "citizens",
        f"commune-{OTHER_COMMUNE}",
        "lang-en",
        "muted-events",
    }
    assert (await device_topics(client, headers))["topics"] == sorted(gateway.topics_of(FID))


async def test_a_moved_device_follows_its_new_persons_settings(client: httpx.AsyncClient) -> None:
    gateway = FakeGateway()
    _, first = await signed_in_person()
    _, second = await signed_in_person()
    await put_settings(client, first, commune=COMMUNE, muted=["health"])
    await put_settings(client, second, commune=OTHER_COMMUNE, language="en")
    await register(client, first)
    await jobs.run_topic_sync(gateway, FID)
    await register(client, second)
    await jobs.run_topic_sync(gateway, FID)
    assert gateway.topics_of(FID) == {"citizens", f"commune-{OTHER_COMMUNE}", "lang-en"}


async def test_a_device_fcm_reports_gone_is_deleted(client: httpx.AsyncClient) -> None:
    gateway = FakeGateway()
    gateway.gone.add(FID)
    _, headers = await signed_in_person()
    await register(client, headers)
    await jobs.run_topic_sync(gateway, FID)
    assert (await client.get(DEVICES, headers=headers)).json()["items"] == []


async def test_a_failed_subscription_leaves_the_device_out_of_step_and_the_job_retries(
    client: httpx.AsyncClient,
) -> None:
    gateway = FakeGateway()
    gateway.failing.add(FID)
    _, headers = await signed_in_person()
    await register(client, headers)
    with pytest.raises(TopicSyncIncomplete):
        await jobs.run_topic_sync(gateway, FID)
    device = await device_topics(client, headers)
    assert device["topics"] == []
    assert device["topics_synced_at"] is None
    gateway.failing.clear()
    await jobs.run_topic_sync(gateway, FID)  # the retry
    assert (await device_topics(client, headers))["topics"] == ["citizens", "lang-vi"]


async def test_unsubscribing_a_signed_out_device_removes_its_topics(
    client: httpx.AsyncClient,
) -> None:
    gateway = FakeGateway()
    _, headers = await signed_in_person()
    await register(client, headers)
    await jobs.run_topic_sync(gateway, FID)
    topics = sorted(gateway.topics_of(FID))
    await client.delete(f"{DEVICES}/{FID}", headers=headers)
    await jobs.run_unsubscribe(gateway, FID, topics)
    assert gateway.topics_of(FID) == set()


async def test_a_full_resync_in_batches_asserts_every_devices_topics(
    client: httpx.AsyncClient,
) -> None:
    gateway = FakeGateway()
    people = [await signed_in_person() for _ in range(3)]
    await put_settings(client, people[0][1], commune=COMMUNE)
    await put_settings(client, people[1][1], language="en", muted=["health"])
    ids = []
    for n in range(7):
        installation_id = f"resync-{n}"
        await register(client, people[n % 3][1], installation_id)
        ids.append(installation_id)
    # A subscription FCM lost, and one it should no longer have.
    async with unit_of_work():
        await Device.update({Device.topics: ["stale-topic"]}).where(
            Device.installation_id == "resync-0"
        )
    after, batches, seen = "", 0, 0
    while True:
        count, next_after = await jobs.run_resync_batch(gateway, after, 3, None)
        seen += count
        batches += 1
        if next_after is None:
            break
        after = next_after
    assert (seen, batches) == (7, 3)
    assert gateway.topics_of("resync-0") == {"citizens", "lang-vi", f"commune-{COMMUNE}"}
    assert ("unsubscribe", "stale-topic", ("resync-0",)) in gateway.calls
    assert gateway.topics_of("resync-1") == {"citizens", "lang-en", "muted-health"}
    assert gateway.topics_of("resync-2") == {"citizens", "lang-vi"}
    # One request per topic for all the devices of a batch that need it.
    subscribe_calls = [c for c in gateway.calls if c[0] == "subscribe" and c[1] == "citizens"]
    assert len(subscribe_calls) == batches
    for installation_id in ids:
        row = await stored(installation_id)
        assert row is not None and row["topics_synced_at"] is not None


async def test_pruning_removes_devices_not_refreshed_for_the_stale_period(
    client: httpx.AsyncClient,
) -> None:
    _, headers = await signed_in_person()
    await register(client, headers, "old-phone")
    await register(client, headers, "new-phone")
    stale = datetime.now(UTC) - timedelta(days=get_settings().device_stale_days + 1)
    async with unit_of_work():
        await Device.update({Device.refreshed_at: stale}).where(
            Device.installation_id == "old-phone"
        )
    assert await jobs.run_prune(batch=1) >= 1
    listed = (await client.get(DEVICES, headers=headers)).json()["items"]
    assert [d["installation_id"] for d in listed] == ["new-phone"]
