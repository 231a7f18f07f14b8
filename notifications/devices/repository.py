"""Every query on devices and notification settings. Rows come back typed (`DeviceRow`,
`ProfileRow`).

Piccolo's `raw` numbers each `{}` as a parameter: literal braces never appear in this SQL
(`ARRAY[]::varchar[]`, not an empty array literal)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from notifications.tables import Device, NotificationProfile


class DeviceRow(msgspec.Struct, frozen=True, kw_only=True):
    installation_id: str
    person_id: uuid.UUID
    platform: str
    app_version: str
    locale: str
    topics: list[str]
    topics_synced_at: datetime | None
    created_at: datetime
    refreshed_at: datetime


class ProfileRow(msgspec.Struct, frozen=True, kw_only=True):
    person_id: uuid.UUID
    commune_code: str | None
    language: str
    muted_categories: list[str]
    updated_at: datetime


_DEVICE_COLUMNS = (
    "installation_id, person_id, platform, app_version, locale, topics, topics_synced_at,"
    " created_at, refreshed_at"
)


def _device(raw: dict[str, Any]) -> DeviceRow:
    raw["topics"] = raw.get("topics") or []
    return msgspec.convert(raw, DeviceRow)


def _profile(raw: dict[str, Any]) -> ProfileRow:
    raw["muted_categories"] = raw.get("muted_categories") or []
    return msgspec.convert(raw, ProfileRow)


# --- devices ----------------------------------------------------------------------------------


async def lock_device(installation_id: str) -> DeviceRow | None:
    """The device, its row locked until the transaction ends (registration and moves of one
    installation are serialised)."""
    rows = await Device.raw(
        f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE installation_id = {{}} FOR UPDATE",
        installation_id,
    )
    return _device(rows[0]) if rows else None


async def get_device(installation_id: str) -> DeviceRow | None:
    rows = await Device.raw(
        f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE installation_id = {{}}", installation_id
    )
    return _device(rows[0]) if rows else None


async def upsert_device(
    installation_id: str,
    person_id: uuid.UUID,
    *,
    platform: str,
    app_version: str,
    locale: str,
    now: datetime,
) -> DeviceRow:
    """Insert the device, or give it to `person_id` and refresh it. Its topics stay what FCM
    has (the sync job moves them to the new owner's settings); `created_at` is when this
    person registered it."""
    rows = await Device.raw(
        "INSERT INTO devices (installation_id, person_id, platform, app_version, locale,"
        " topics, topics_synced_at, created_at, refreshed_at)"
        " VALUES ({}, {}, {}, {}, {}, ARRAY[]::varchar[], NULL, {}, {})"
        " ON CONFLICT (installation_id) DO UPDATE SET"
        " person_id = EXCLUDED.person_id, platform = EXCLUDED.platform,"
        " app_version = EXCLUDED.app_version, locale = EXCLUDED.locale,"
        " refreshed_at = EXCLUDED.refreshed_at,"
        " created_at = CASE WHEN devices.person_id = EXCLUDED.person_id"
        " THEN devices.created_at ELSE EXCLUDED.created_at END"
        f" RETURNING {_DEVICE_COLUMNS}",
        installation_id,
        person_id,
        platform,
        app_version,
        locale,
        now,
        now,
    )
    return _device(rows[0])


async def delete_device_of(installation_id: str, person_id: uuid.UUID) -> DeviceRow | None:
    """Delete the device if it is this person's; the deleted row, or None."""
    rows = await Device.raw(
        f"DELETE FROM devices WHERE installation_id = {{}} AND person_id = {{}}"
        f" RETURNING {_DEVICE_COLUMNS}",
        installation_id,
        person_id,
    )
    return _device(rows[0]) if rows else None


async def delete_devices(installation_ids: Sequence[str]) -> list[str]:
    """Delete these devices; the ids that existed."""
    if not installation_ids:
        return []
    rows = await Device.raw(
        "DELETE FROM devices WHERE installation_id = ANY({}::varchar[]) RETURNING installation_id",
        list(installation_ids),
    )
    return [row["installation_id"] for row in rows]


async def devices_of_person(person_id: uuid.UUID) -> list[DeviceRow]:
    rows = await Device.raw(
        f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE person_id = {{}}"
        " ORDER BY refreshed_at DESC, installation_id",
        person_id,
    )
    return [_device(row) for row in rows]


async def device_targets(person_ids: Sequence[uuid.UUID]) -> list[tuple[str, uuid.UUID, str]]:
    """(installation_id, person_id, locale) of these people's devices, by installation id."""
    if not person_ids:
        return []
    rows = await Device.raw(
        "SELECT installation_id, person_id, locale FROM devices"
        " WHERE person_id = ANY({}::uuid[]) ORDER BY installation_id",
        list(person_ids),
    )
    return [(row["installation_id"], row["person_id"], row["locale"]) for row in rows]


async def change_topics(
    installation_id: str, added: Sequence[str], removed: Sequence[str]
) -> list[str] | None:
    """Apply what FCM changed to the device's topics (never overwrite them: an HTTP request
    or another job may have changed the row meanwhile, and FCM's changes add up); the topics
    now, or None when the device is gone."""
    rows = await Device.raw(
        "UPDATE devices SET topics = ARRAY("
        " SELECT DISTINCT t FROM unnest(array_cat(topics, {}::varchar[])) AS t"
        " WHERE t = ANY({}::varchar[]) OR t <> ALL({}::varchar[]) ORDER BY t)"
        " WHERE installation_id = {} RETURNING topics",
        list(added),
        list(added),
        list(removed),
        installation_id,
    )
    return list(rows[0]["topics"] or []) if rows else None


async def set_topics_synced(installation_id: str, synced_at: datetime | None) -> None:
    await Device.raw(
        "UPDATE devices SET topics_synced_at = {} WHERE installation_id = {}",
        synced_at,
        installation_id,
    )


async def devices_after(
    after: str, until: str | None, limit: int
) -> list[tuple[DeviceRow, ProfileRow | None]]:
    """Up to `limit` devices with `after` < installation_id (<= `until`), in id order, each
    with its person's settings."""
    conditions = ["d.installation_id > {}"]
    args: list[object] = [after]
    if until is not None:
        conditions.append("d.installation_id <= {}")
        args.append(until)
    columns = ", ".join(f"d.{c.strip()}" for c in _DEVICE_COLUMNS.split(","))
    rows = await Device.raw(
        f"SELECT {columns}, p.commune_code AS p_commune_code, p.language AS p_language,"
        " p.muted_categories AS p_muted_categories, p.updated_at AS p_updated_at"
        " FROM devices d LEFT JOIN notification_profiles p ON p.person_id = d.person_id"
        f" WHERE {' AND '.join(conditions)} ORDER BY d.installation_id LIMIT {{}}",
        *args,
        limit,
    )
    found = []
    for row in rows:
        profile = None
        if row["p_language"] is not None:
            profile = _profile(
                {
                    "person_id": row["person_id"],
                    "commune_code": row["p_commune_code"],
                    "language": row["p_language"],
                    "muted_categories": row["p_muted_categories"],
                    "updated_at": row["p_updated_at"],
                }
            )
        device = _device({k: v for k, v in row.items() if not k.startswith("p_")})
        found.append((device, profile))
    return found


async def range_starts(parts: int) -> list[str]:
    """The first installation id of each of `parts` ranges of about equal size, in order."""
    rows = await Device.raw(
        "SELECT min(installation_id) AS first FROM ("
        " SELECT installation_id, ntile({}) OVER (ORDER BY installation_id) AS part"
        " FROM devices) AS parts GROUP BY part ORDER BY part",
        parts,
    )
    return [row["first"] for row in rows]


async def delete_stale(before: datetime, limit: int) -> int:
    """Delete up to `limit` devices not refreshed since `before`; how many."""
    rows = await Device.raw(
        "DELETE FROM devices WHERE installation_id IN ("
        " SELECT installation_id FROM devices WHERE refreshed_at < {}"
        " ORDER BY refreshed_at LIMIT {} FOR UPDATE SKIP LOCKED) RETURNING installation_id",
        before,
        limit,
    )
    return len(rows)


# --- notification settings ------------------------------------------------------------------


async def get_profile(person_id: uuid.UUID) -> ProfileRow | None:
    raw: dict[str, Any] | None = (
        await NotificationProfile.select().where(NotificationProfile.person_id == person_id).first()
    )
    return None if raw is None else _profile(raw)


async def profiles_of(person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ProfileRow]:
    if not person_ids:
        return {}
    rows = await NotificationProfile.raw(
        "SELECT person_id, commune_code, language, muted_categories, updated_at"
        " FROM notification_profiles WHERE person_id = ANY({}::uuid[])",
        list(person_ids),
    )
    return {row["person_id"]: _profile(row) for row in rows}


async def ensure_profile(person_id: uuid.UUID, language: str, now: datetime) -> None:
    """Create the person's settings with `language` unless they have some."""
    await NotificationProfile.raw(
        "INSERT INTO notification_profiles (person_id, commune_code, language,"
        " muted_categories, updated_at) VALUES ({}, NULL, {}, ARRAY[]::varchar[], {})"
        " ON CONFLICT (person_id) DO NOTHING",
        person_id,
        language,
        now,
    )


async def put_profile(
    person_id: uuid.UUID,
    *,
    commune_code: str | None,
    language: str,
    muted_categories: Sequence[str],
    now: datetime,
) -> ProfileRow:
    rows = await NotificationProfile.raw(
        "INSERT INTO notification_profiles (person_id, commune_code, language,"
        " muted_categories, updated_at) VALUES ({}, {}, {}, {}::varchar[], {})"
        " ON CONFLICT (person_id) DO UPDATE SET commune_code = EXCLUDED.commune_code,"
        " language = EXCLUDED.language, muted_categories = EXCLUDED.muted_categories,"
        " updated_at = EXCLUDED.updated_at"
        " RETURNING person_id, commune_code, language, muted_categories, updated_at",
        person_id,
        commune_code,
        language,
        list(muted_categories),
        now,
    )
    return _profile(rows[0])
