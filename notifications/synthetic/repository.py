"""Queries that make synthetic notification settings and devices for benchmark people."""

from __future__ import annotations

from collections.abc import Sequence

from notifications.tables import Device, NotificationProfile

# One person in 50 reads English, one in 40 Tày, one in 60 H'Mông: a few languages besides
# Vietnamese, so broadcasts go out as one message per language.
_LANGUAGE = (
    "CASE WHEN n % 50 = 0 THEN 'en' WHEN n % 40 = 0 THEN 'tay'"
    " WHEN n % 60 = 0 THEN 'hmn' ELSE 'vi' END"
)


async def insert_profiles(prefix: str, first: int, last: int, communes: Sequence[str]) -> int:
    rows = await NotificationProfile.raw(
        "WITH made AS (INSERT INTO notification_profiles"
        " (person_id, commune_code, language, muted_categories, updated_at)"
        f" SELECT p.id, ({{}}::varchar[])[1 + (n % {{}})], {_LANGUAGE}, ARRAY[]::varchar[], now()"
        " FROM generate_series({}::bigint, {}::bigint) AS n"
        " JOIN persons p ON p.personal_id = {} || lpad(n::text, 11, '0')"
        " ON CONFLICT (person_id) DO NOTHING RETURNING 1) SELECT count(*) AS n FROM made",
        list(communes),
        len(communes),
        first,
        last,
        prefix,
    )
    return int(rows[0]["n"])


async def insert_devices(prefix: str, first: int, last: int) -> int:
    """Devices `syn<19 digits>` (22 characters, the length of a Firebase Installation ID) of
    synthetic people `first`..`last`, subscribed (as if synced) to their topics."""
    rows = await Device.raw(
        "WITH made AS (INSERT INTO devices (installation_id, person_id, platform, app_version,"
        " locale, topics, topics_synced_at, created_at, refreshed_at)"
        " SELECT 'syn' || lpad(n::text, 19, '0'), p.id,"
        " CASE WHEN n % 3 = 0 THEN 'ios' ELSE 'android' END, '2.1.0', f.language,"
        " ARRAY['citizens', 'lang-' || f.language]::varchar[]"
        " || CASE WHEN f.commune_code IS NULL THEN ARRAY[]::varchar[]"
        "         ELSE ARRAY['commune-' || f.commune_code]::varchar[] END,"
        " now(), now(), now()"
        " FROM generate_series({}::bigint, {}::bigint) AS n"
        " JOIN persons p ON p.personal_id = {} || lpad(n::text, 11, '0')"
        " JOIN notification_profiles f ON f.person_id = p.id"
        " ON CONFLICT (installation_id) DO NOTHING RETURNING 1) SELECT count(*) AS n FROM made",
        first,
        last,
        prefix,
    )
    return int(rows[0]["n"])
