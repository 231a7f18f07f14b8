"""Every query of the identity domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from piccolo.custom_types import Combinable

from backend.db import engine
from backend.identity.tables import (
    Agency,
    HandoffCode,
    LoginFlow,
    Person,
    PoliceUnit,
    RefreshFamily,
    RefreshToken,
    RoleGrant,
    SigningKey,
    ThrottleCounter,
    WebSession,
)

# --- persons ----------------------------------------------------------------------------------


async def lock_identities(*keys: str) -> None:
    """Serialise sign-ins that could create the same person (same subject or same
    identification number) until the transaction ends; always in one order (no deadlock)."""
    for key in sorted(set(keys)):
        await Person.raw("SELECT pg_advisory_xact_lock(hashtextextended({}, 19))", key)


async def person_by_subject(issuer: str, subject: str) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await Person.select()
        .where((Person.issuer == issuer) & (Person.subject == subject))
        .first()
        .lock_rows("NO KEY UPDATE")
    )
    return row


async def person_by_personal_id(personal_id: str) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await Person.select()
        .where(Person.personal_id == personal_id)
        .first()
        .lock_rows("NO KEY UPDATE")
    )
    return row


async def person_by_id(person_id: uuid.UUID) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await Person.select().where(Person.id == person_id).first()
    return row


async def insert_person(values: dict[str, Any]) -> uuid.UUID:
    rows = await Person.insert(Person(**values)).returning(Person.id)
    return uuid.UUID(str(rows[0]["id"]))


async def update_person(person_id: uuid.UUID, values: dict[str, Any]) -> None:
    await Person.update({getattr(Person, k): v for k, v in values.items()}).where(
        Person.id == person_id
    )


async def search_persons(
    q: str | None, role: str | None, after: uuid.UUID | None, limit: int
) -> list[dict[str, Any]]:
    query = Person.select(Person.id, Person.full_name, Person.personal_id, Person.last_sign_in_at)
    if q:
        query = query.where(
            (Person.personal_id == q) | (Person.full_name.ilike(f"%{_escape_like(q)}%"))
        )
    if role:
        query = query.where(
            Person.id.is_in(RoleGrant.select(RoleGrant.person).where(RoleGrant.role == role))
        )
    if after is not None:
        query = query.where(Person.id > after)
    rows: list[dict[str, Any]] = await query.order_by(Person.id).limit(limit)
    return rows


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- agencies, police units, roles -------------------------------------------------------------


async def upsert_agency(code: str, name: str, commune_code: str | None) -> None:
    await Agency.raw(
        "INSERT INTO agencies (code, name, commune_code) VALUES ({}, {}, {})"
        " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,"
        " commune_code = EXCLUDED.commune_code",
        code,
        name,
        commune_code,
    )


async def upsert_police_unit(code: str, name: str, communes: list[str]) -> None:
    await PoliceUnit.raw(
        "INSERT INTO police_units (code, name, communes) VALUES ({}, {}, {})"
        " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, communes = EXCLUDED.communes",
        code,
        name,
        communes,
    )


async def list_agencies() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await Agency.select().order_by(Agency.code)
    return rows


async def list_police_units() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await PoliceUnit.select().order_by(PoliceUnit.code)
    return rows


async def agency_exists(code: str) -> bool:
    return bool(await Agency.exists().where(Agency.code == code))


async def police_unit_exists(code: str) -> bool:
    return bool(await PoliceUnit.exists().where(PoliceUnit.code == code))


async def grants_of(person_id: uuid.UUID) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await RoleGrant.select(
            RoleGrant.role,
            RoleGrant.agency,
            RoleGrant.agency.name.as_alias("agency_name"),
            RoleGrant.police_unit,
            RoleGrant.police_unit.name.as_alias("police_unit_name"),
            RoleGrant.communes,
            RoleGrant.granted_at,
        )
        .where(RoleGrant.person == person_id)
        .order_by(RoleGrant.role)
    )
    return rows


async def upsert_grant(
    person_id: uuid.UUID,
    role: str,
    agency: str | None,
    police_unit: str | None,
    communes: list[str],
    granted_by: uuid.UUID | None,
    now: datetime,
) -> None:
    await RoleGrant.raw(
        "INSERT INTO role_grants (person, role, agency, police_unit, communes, granted_by,"
        " granted_at) VALUES ({}, {}, {}, {}, {}, {}, {})"
        " ON CONFLICT (person, role) DO UPDATE SET agency = EXCLUDED.agency,"
        " police_unit = EXCLUDED.police_unit, communes = EXCLUDED.communes,"
        " granted_by = EXCLUDED.granted_by, granted_at = EXCLUDED.granted_at",
        person_id,
        role,
        agency,
        police_unit,
        communes,
        granted_by,
        now,
    )


async def delete_grant(person_id: uuid.UUID, role: str) -> bool:
    rows = (
        await RoleGrant.delete()
        .where((RoleGrant.person == person_id) & (RoleGrant.role == role))
        .returning(RoleGrant.id)
    )
    return bool(rows)


async def principal_row(person_id: uuid.UUID, family_id: uuid.UUID | None) -> dict[str, Any] | None:
    """What every authenticated request needs, in one round trip: the person exists, the
    token's family is alive (`family_alive` is false for a family that is unknown, another
    person's, revoked or expired; null when no family is asked about), and the person's
    grants."""
    rows: list[dict[str, Any]] = await Person.raw(
        """
        SELECT p.id,
               COALESCE(array_agg(g.role) FILTER (WHERE g.role IS NOT NULL),
                   ARRAY[]::varchar[]) AS roles,
               COALESCE(array_agg(g.agency) FILTER (WHERE g.agency IS NOT NULL), ARRAY[]::varchar[])
                   AS agencies,
               COALESCE(array_agg(g.police_unit) FILTER (WHERE g.police_unit IS NOT NULL),
                   ARRAY[]::varchar[]) AS police_units,
               COALESCE((SELECT array_agg(DISTINCT c) FROM role_grants w, unnest(w.communes) c
                         WHERE w.person = p.id AND w.role = 'welfare_officer'), ARRAY[]::varchar[])
                   AS communes,
               CASE WHEN {}::uuid IS NULL THEN NULL ELSE EXISTS (
                   SELECT 1 FROM refresh_families f
                    WHERE f.id = {} AND f.person = p.id
                      AND f.revoked_at IS NULL AND f.expires_at > now())
               END AS family_alive
          FROM persons p LEFT JOIN role_grants g ON g.person = p.id
         WHERE p.id = {}
         GROUP BY p.id
        """,
        family_id,
        family_id,
        person_id,
    )
    return rows[0] if rows else None


# --- our signing keys --------------------------------------------------------------------------


async def signing_keys(verifying_after: datetime) -> list[dict[str, Any]]:
    """Keys still signing or verifying (retired after `verifying_after`), newest first."""
    rows: list[dict[str, Any]] = (
        await SigningKey.select()
        .where(SigningKey.retired_at.is_null() | (SigningKey.retired_at > verifying_after))
        .order_by(SigningKey.created_at, ascending=False)
        .output(load_json=True)
    )
    return rows


async def insert_signing_key(values: dict[str, Any], now: datetime) -> None:
    await SigningKey.update({SigningKey.retired_at: now}).where(SigningKey.retired_at.is_null())
    await SigningKey.insert(SigningKey(**values))


async def lock_signing_keys() -> None:
    await SigningKey.raw("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")


async def delete_signing_keys_retired_before(moment: datetime) -> int:
    rows = await SigningKey.delete().where(SigningKey.retired_at < moment).returning(SigningKey.kid)
    return len(rows)


# --- login flows and handoff codes --------------------------------------------------------------


async def insert_login_flow(values: dict[str, Any]) -> None:
    await LoginFlow.insert(LoginFlow(**values))


async def consume_login_flow(state_hash: str, now: datetime) -> dict[str, Any] | None:
    rows: list[dict[str, Any]] = (
        await LoginFlow.update({LoginFlow.consumed_at: now})
        .where(
            (LoginFlow.state_hash == state_hash)
            & LoginFlow.consumed_at.is_null()
            & (LoginFlow.expires_at > now)
        )
        .returning(*LoginFlow.all_columns())
    )
    return rows[0] if rows else None


async def insert_handoff_code(values: dict[str, Any]) -> None:
    await HandoffCode.insert(HandoffCode(**values))


async def consume_handoff_code(code_hash: str, now: datetime) -> dict[str, Any] | None:
    rows: list[dict[str, Any]] = (
        await HandoffCode.update({HandoffCode.used_at: now})
        .where(
            (HandoffCode.code_hash == code_hash)
            & HandoffCode.used_at.is_null()
            & (HandoffCode.expires_at > now)
        )
        .returning(*HandoffCode.all_columns())
    )
    return rows[0] if rows else None


# --- refresh tokens ------------------------------------------------------------------------------


async def insert_family(values: dict[str, Any]) -> None:
    await RefreshFamily.insert(RefreshFamily(**values))


async def insert_refresh_token(values: dict[str, Any]) -> None:
    await RefreshToken.insert(RefreshToken(**values))


async def refresh_token_for_update(token_hash: str) -> dict[str, Any] | None:
    """The token with its family, locked: two concurrent uses of one token are serialised,
    so exactly one of them wins and the other is seen as reuse."""
    rows: list[dict[str, Any]] = await RefreshToken.raw(
        """
        SELECT t.token_hash, t.family, t.idle_expires_at, t.used_at,
               f.person, f.provider_sid, f.acr, f.expires_at, f.revoked_at
          FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family
         WHERE t.token_hash = {}
           FOR UPDATE OF t, f
        """,
        token_hash,
    )
    return rows[0] if rows else None


async def mark_refresh_token_used(token_hash: str, now: datetime) -> None:
    await RefreshToken.update({RefreshToken.used_at: now}).where(
        RefreshToken.token_hash == token_hash
    )


async def revoke_families(
    now: datetime,
    reason: str,
    *,
    family_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    provider_sid: str | None = None,
) -> int:
    condition: Combinable = RefreshFamily.revoked_at.is_null()
    if family_id is not None:
        condition &= RefreshFamily.id == family_id
    if person_id is not None:
        condition &= RefreshFamily.person == person_id
    if provider_sid is not None:
        condition &= RefreshFamily.provider_sid == provider_sid
    rows = (
        await RefreshFamily.update(
            {RefreshFamily.revoked_at: now, RefreshFamily.revoked_reason: reason}
        )
        .where(condition)
        .returning(RefreshFamily.id)
    )
    return len(rows)


async def family_of_refresh_token(token_hash: str) -> uuid.UUID | None:
    rows: list[dict[str, Any]] = await RefreshToken.raw(
        "SELECT family FROM refresh_tokens WHERE token_hash = {}", token_hash
    )
    return uuid.UUID(str(rows[0]["family"])) if rows else None


# --- sign-in throttling -----------------------------------------------------------------------

_COUNT_HITS = """
INSERT INTO throttle_counters AS c (key, hits, expires_at)
SELECT k, 1, $2 FROM unnest($1::varchar[]) AS k
ON CONFLICT (key) DO UPDATE SET hits = c.hits + 1
RETURNING key, hits
"""


async def count_hits(keys: Sequence[str], expires_at: datetime) -> dict[str, int]:
    """Add one hit to each counter (created at 1) in one atomic statement, and return the
    counts. Runs on a connection of its own and commits at once, never inside the caller's
    transaction: a request that fails and rolls back has still been counted."""
    ordered = sorted(set(keys))  # one order for every caller: concurrent upserts cannot deadlock
    db = engine()
    if db.pool is not None:
        async with db.pool.acquire() as connection:
            rows = await connection.fetch(_COUNT_HITS, ordered, expires_at)
    else:
        connection = await db.get_new_connection()
        try:
            rows = await connection.fetch(_COUNT_HITS, ordered, expires_at)
        finally:
            await connection.close()
    return {str(row["key"]): int(row["hits"]) for row in rows}


# --- web sessions ---------------------------------------------------------------------------------


async def insert_web_session(values: dict[str, Any]) -> None:
    await WebSession.insert(WebSession(**values))


async def web_session_by_token(token_hash: str) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await WebSession.select().where(WebSession.token_hash == token_hash).first()
    )
    return row


async def touch_web_session(session_id: uuid.UUID, now: datetime) -> None:
    await WebSession.update({WebSession.last_seen_at: now}).where(WebSession.id == session_id)


async def revoke_web_sessions(
    now: datetime,
    *,
    session_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    provider_sid: str | None = None,
) -> int:
    condition: Combinable = WebSession.revoked_at.is_null()
    if session_id is not None:
        condition &= WebSession.id == session_id
    if person_id is not None:
        condition &= WebSession.person == person_id
    if provider_sid is not None:
        condition &= WebSession.provider_sid == provider_sid
    rows = (
        await WebSession.update({WebSession.revoked_at: now})
        .where(condition)
        .returning(WebSession.id)
    )
    return len(rows)


# --- housekeeping ---------------------------------------------------------------------------------


async def delete_expired(now: datetime) -> dict[str, int]:
    """Remove what can no longer be used (flows, codes, expired families and sessions)."""
    counts = {}
    counts["login_flows"] = len(
        await LoginFlow.delete().where(LoginFlow.expires_at <= now).returning(LoginFlow.state_hash)
    )
    counts["handoff_codes"] = len(
        await HandoffCode.delete()
        .where(HandoffCode.expires_at <= now)
        .returning(HandoffCode.code_hash)
    )
    counts["refresh_families"] = len(
        await RefreshFamily.delete()
        .where(RefreshFamily.expires_at <= now)
        .returning(RefreshFamily.id)
    )
    counts["web_sessions"] = len(
        await WebSession.delete().where(WebSession.expires_at <= now).returning(WebSession.id)
    )
    counts["throttle_counters"] = len(
        await ThrottleCounter.delete()
        .where(ThrottleCounter.expires_at <= now)
        .returning(ThrottleCounter.key)
    )
    return counts
