"""Devices (app installations addressed by their Firebase Installation ID) and people's
notification settings, and keeping each device's FCM topics in step with those settings.

Registration (`do_register_device`) is an upsert: one person has many devices, and an
installation registered by someone else moves to the caller (the previous person no longer
reaches it). A person's settings (`do_update_settings`) decide the topics their devices follow
(`notifications.topics.device_topics`). Whenever a device's wanted topics may differ from what
FCM has (`Device.topics`) — registration, move, settings change — a `sync_device_topics` job
is deferred after commit; it subscribes and unsubscribes through the push gateway and stores
what FCM then has. Jobs of one installation run one at a time, in order (a procrastinate lock
per installation), so a sign-out's unsubscription and a later registration's subscription
never cross. A device the gateway reports gone (UNREGISTERED, invalid) is deleted at once.

Writes here are a person's own settings and devices, made at the rate of app starts: they are
not audited (the audit chain serialises appends; it is kept for staff actions and sensitive
reads).

The jobs' steps (`plan_*`, `apply_topic_plans`, `do_record_topic_results`) are split so that
no transaction is held while FCM answers; `notifications.devices.jobs` runs them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from backend.geo.errors import AdministrativeUnitNotFound
from backend.geo.service import get_unit
from backend.settings import Settings
from notifications.categories import BY_CODE, CATEGORIES, LANGUAGES, is_mutable
from notifications.devices import repository
from notifications.devices.errors import (
    NotificationCategoryMandatory,
    NotificationCategoryUnknown,
    NotificationCommuneUnknown,
)
from notifications.devices.repository import DeviceRow, ProfileRow
from notifications.devices.schemas import (
    Device,
    DeviceList,
    DeviceRegistration,
    DeviceTarget,
    NotificationCategory,
    NotificationCategoryList,
    NotificationLanguage,
    NotificationSettings,
    NotificationSettingsUpdate,
)
from notifications.push import DEVICE_GONE, TOPIC_DEVICE_GONE, PushGateway, TopicError
from notifications.topics import device_topics

DEFAULT_LANGUAGE = "vi"


def _now() -> datetime:
    return datetime.now(UTC)


# --- devices ----------------------------------------------------------------------------------


def language_of_locale(locale: str) -> str:
    """The notification language a device's locale names (`vi-VN` → `vi`), else Vietnamese."""
    primary = locale.replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def wanted_topics(profile: ProfileRow | None) -> set[str]:
    """The topics a device of a person with these settings (None: the defaults) follows."""
    if profile is None:
        return device_topics(language=DEFAULT_LANGUAGE, commune_code=None, muted_categories=())
    return device_topics(
        language=profile.language,
        commune_code=profile.commune_code,
        muted_categories=profile.muted_categories,
    )


def _in_step(device: DeviceRow, profile: ProfileRow | None) -> bool:
    return device.topics_synced_at is not None and set(device.topics) == wanted_topics(profile)


async def do_register_device(
    person_id: uuid.UUID, installation_id: str, registration: DeviceRegistration
) -> tuple[Device, bool]:
    """Register or refresh the caller's device; True when it is new to them (first
    registration, or moved from another person, who loses it). A person without settings gets
    them, their language taken from the device's locale. The device's topics are re-synced
    (after commit) when they may not match the person's settings."""
    now = _now()
    before = await repository.lock_device(installation_id)
    row = await repository.upsert_device(
        installation_id,
        person_id,
        platform=registration.platform.value,
        app_version=registration.app_version,
        locale=registration.locale,
        now=now,
    )
    await repository.ensure_profile(person_id, language_of_locale(registration.locale), now)
    profile = await repository.get_profile(person_id)
    moved = before is not None and before.person_id != person_id
    if before is None or moved or not _in_step(row, profile):
        await defer_topic_sync([installation_id])
    return _device(row), before is None or moved


async def do_unregister_device(person_id: uuid.UUID, installation_id: str) -> None:
    """Forget the caller's device (sign-out) and unsubscribe it from its topics (a job, after
    commit). Idempotent; a device that is not the caller's (unknown, or another person's since)
    is left alone — the answer is the same, so it tells nothing about other people's devices."""
    row = await repository.delete_device_of(installation_id, person_id)
    if row is not None and row.topics:
        from notifications.devices import jobs

        await jobs.defer_unsubscribe(installation_id, row.topics)


async def list_devices(person_id: uuid.UUID) -> DeviceList:
    return DeviceList(items=[_device(row) for row in await repository.devices_of_person(person_id)])


async def devices_of(person_ids: Sequence[uuid.UUID]) -> list[DeviceTarget]:
    """(installation_id, person_id, locale) of every device of these people."""
    return [DeviceTarget(*row) for row in await repository.device_targets(person_ids)]


async def do_remove_gone_devices(installation_ids: Iterable[str]) -> int:
    """Delete devices FCM reported gone (UNREGISTERED, or an invalid id); how many existed.
    FCM has dropped their subscriptions itself."""
    return len(await repository.delete_devices(sorted(set(installation_ids))))


async def do_prune_stale_devices(settings: Settings, *, limit: int = 5000) -> int:
    """Delete up to `limit` devices not refreshed for `device_stale_days` (FCM itself treats
    installations inactive that long as gone, subscriptions included); how many."""
    before = _now() - timedelta(days=settings.device_stale_days)
    return await repository.delete_stale(before, limit)


def _device(row: DeviceRow) -> Device:
    return Device(
        installation_id=row.installation_id,
        platform=row.platform,
        app_version=row.app_version,
        locale=row.locale,
        topics=sorted(row.topics),
        topics_synced_at=row.topics_synced_at,
        created_at=row.created_at,
        refreshed_at=row.refreshed_at,
    )


async def defer_topic_sync(installation_ids: Iterable[str]) -> None:
    """Sync these devices' topics once the current transaction commits."""
    from notifications.devices import jobs

    for installation_id in installation_ids:
        await jobs.defer_sync(installation_id)


# --- notification settings ------------------------------------------------------------------


def _settings(profile: ProfileRow | None) -> NotificationSettings:
    if profile is None:
        return NotificationSettings(
            commune_code=None, language=DEFAULT_LANGUAGE, muted_categories=[], updated_at=None
        )
    return NotificationSettings(
        commune_code=profile.commune_code,
        language=profile.language,
        muted_categories=sorted(profile.muted_categories),
        updated_at=profile.updated_at,
    )


async def get_notification_settings(person_id: uuid.UUID) -> NotificationSettings:
    return _settings(await repository.get_profile(person_id))


async def profiles_of(person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ProfileRow]:
    """These people's stored settings (people with none use the defaults)."""
    return await repository.profiles_of(sorted(set(person_ids)))


async def check_commune(settings: Settings, code: str) -> None:
    """`NotificationCommuneUnknown` unless `code` is a commune of the province."""
    try:
        unit = await get_unit(code)
    except AdministrativeUnitNotFound:
        raise NotificationCommuneUnknown(field="commune_code") from None
    if int(unit.province_code) != int(settings.province_code):
        raise NotificationCommuneUnknown(field="commune_code")


def check_muted_categories(codes: Iterable[str]) -> list[str]:
    """The categories, each known and mutable (else a 422 naming the first that is not)."""
    found = sorted(set(codes))
    for code in found:
        if code not in BY_CODE:
            raise NotificationCategoryUnknown(category=code)
        if not is_mutable(code):
            raise NotificationCategoryMandatory(category=code)
    return found


async def do_update_settings(
    settings: Settings, person_id: uuid.UUID, update: NotificationSettingsUpdate
) -> NotificationSettings:
    """Replace the person's notification settings. Only mutable categories may be muted. The
    person's devices whose topics no longer match are re-synced (after commit)."""
    if update.commune_code is not None:
        await check_commune(settings, update.commune_code)
    muted = check_muted_categories(update.muted_categories)
    profile = await repository.put_profile(
        person_id,
        commune_code=update.commune_code,
        language=update.language,
        muted_categories=muted,
        now=_now(),
    )
    devices = await repository.devices_of_person(person_id)
    await defer_topic_sync(d.installation_id for d in devices if not _in_step(d, profile))
    return _settings(profile)


def list_categories() -> NotificationCategoryList:
    return NotificationCategoryList(
        items=[
            NotificationCategory(
                code=c.code, name_vi=c.name_vi, name_en=c.name_en, mutable=c.mutable
            )
            for c in CATEGORIES
        ],
        languages=[
            NotificationLanguage(code=code, name_vi=vi, name_en=en)
            for code, (vi, en) in LANGUAGES.items()
        ],
    )


# --- topic sync (the jobs' steps) -----------------------------------------------------------


@dataclass(frozen=True)
class TopicPlan:
    """What to change for one device: FCM has `current`; `wanted` follows the settings."""

    installation_id: str
    current: frozenset[str]
    wanted: frozenset[str]
    subscribe: frozenset[str]
    unsubscribe: frozenset[str]


@dataclass
class TopicResult:
    installation_id: str
    subscribed: set[str] = field(default_factory=set)
    unsubscribed: set[str] = field(default_factory=set)
    gone: bool = False
    failures: list[str] = field(default_factory=list)
    """Reasons of failures other than the device being gone (the job retries)."""


def _plan(device: DeviceRow, profile: ProfileRow | None, *, full: bool) -> TopicPlan:
    current = frozenset(device.topics)
    wanted = frozenset(wanted_topics(profile))
    return TopicPlan(
        installation_id=device.installation_id,
        current=current,
        wanted=wanted,
        # A full re-sync asserts every wanted subscription again (FCM may have lost some);
        # otherwise only the difference is sent.
        subscribe=wanted if full else wanted - current,
        unsubscribe=current - wanted,
    )


async def plan_topic_sync(installation_id: str) -> TopicPlan | None:
    """What one device's topics need (None: the device is gone)."""
    device = await repository.get_device(installation_id)
    if device is None:
        return None
    return _plan(device, await repository.get_profile(device.person_id), full=False)


async def plan_topic_resync(
    after: str, until: str | None, batch: int
) -> tuple[list[TopicPlan], str | None]:
    """Full re-sync plans for the next `batch` devices after `after` (up to `until`), and the
    id to continue after (None when the range is done)."""
    rows = await repository.devices_after(after, until, batch)
    plans = [_plan(device, profile, full=True) for device, profile in rows]
    last = rows[-1][0].installation_id if len(rows) == batch else None
    return plans, last


async def range_starts(parts: int) -> list[str]:
    return await repository.range_starts(parts)


def is_gone(error: TopicError) -> bool:
    """Whether a topic error says the device no longer exists for FCM (UNREGISTERED, or an
    id FCM does not take: INVALID_ARGUMENT — our topic names are always valid)."""
    return error.reason in TOPIC_DEVICE_GONE or error.reason.lower() in DEVICE_GONE


async def apply_topic_plans(gateway: PushGateway, plans: Sequence[TopicPlan]) -> list[TopicResult]:
    """Send the plans to FCM, one request per topic for all devices needing it (no
    transaction is held meanwhile)."""
    results = {plan.installation_id: TopicResult(plan.installation_id) for plan in plans}
    for change in ("unsubscribe", "subscribe"):
        by_topic: dict[str, list[str]] = {}
        for plan in plans:
            for topic in getattr(plan, change):
                by_topic.setdefault(topic, []).append(plan.installation_id)
        for topic in sorted(by_topic):
            ids = [i for i in by_topic[topic] if not results[i].gone]
            if not ids:
                continue
            call = gateway.subscribe if change == "subscribe" else gateway.unsubscribe
            errors = {e.installation_id: e for e in await call(topic, ids)}
            for installation_id in ids:
                result = results[installation_id]
                error = errors.get(installation_id)
                if error is None:
                    (result.subscribed if change == "subscribe" else result.unsubscribed).add(topic)
                elif is_gone(error):
                    result.gone = True
                else:
                    result.failures.append(f"{change} {topic}: {error.reason}")
    return list(results.values())


async def do_record_topic_results(
    plans: Sequence[TopicPlan], results: Sequence[TopicResult]
) -> list[str]:
    """Apply to each device what FCM changed, mark it synced when it now has exactly its
    wanted topics, delete the devices FCM reported gone; the failures left (the caller retries).

    A device deleted while its sync ran (sign-out) gets an unsubscription job for what the sync
    just added (the sign-out's own job removes what it had before); one re-registered
    meanwhile keeps the changes added to its row, and its own queued sync finishes the work."""
    by_id = {plan.installation_id: plan for plan in plans}
    now = _now()
    await do_remove_gone_devices(r.installation_id for r in results if r.gone)
    failures = []
    orphaned: list[tuple[str, list[str]]] = []
    for result in results:
        if result.gone:
            continue
        plan = by_id[result.installation_id]
        has = await repository.change_topics(
            plan.installation_id, sorted(result.subscribed), sorted(result.unsubscribed)
        )
        if has is None:
            if result.subscribed:
                orphaned.append((plan.installation_id, sorted(result.subscribed)))
            continue
        in_step = not result.failures and set(has) == set(plan.wanted)
        await repository.set_topics_synced(plan.installation_id, now if in_step else None)
        failures += [f"{result.installation_id}: {f}" for f in result.failures]
    if orphaned:
        from notifications.devices import jobs

        for installation_id, topics in orphaned:
            await jobs.defer_unsubscribe(installation_id, topics)
    return failures


async def do_record_unsubscribed(result: TopicResult) -> list[str]:
    """After a signed-out device's unsubscription: a device registered again meanwhile loses
    those topics from its row and is re-synced; a gone one is deleted. The failures left."""
    if result.gone:
        await do_remove_gone_devices([result.installation_id])
        return []
    has = await repository.change_topics(result.installation_id, [], sorted(result.unsubscribed))
    if has is not None:
        await repository.set_topics_synced(result.installation_id, None)
        await defer_topic_sync([result.installation_id])
    return [f"{result.installation_id}: {f}" for f in result.failures]
