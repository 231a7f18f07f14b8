"""Every query of the identity domain, and the typed rows they take and return.

Rows are msgspec Structs checked on the way out (`msgspec.convert`), so a renamed column
fails here, and mypy checks every field a service reads.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import msgspec
from msgspec import UNSET, UnsetType
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

_Row = TypeVar("_Row", bound=msgspec.Struct)


def _typed(row: dict[str, Any] | None, kind: type[_Row]) -> _Row | None:
    return None if row is None else msgspec.convert(row, kind)


def _columns(row: msgspec.Struct) -> dict[str, Any]:
    """A row's fields as a table's constructor takes them."""
    return msgspec.structs.asdict(row)


# --- persons ----------------------------------------------------------------------------------


class PersonRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    issuer: str | None
    subject: str | None
    personal_id: str | None
    full_name: str | None
    birth_date: date | None
    gender: str | None
    address: str | None
    created_at: datetime
    updated_at: datetime
    last_sign_in_at: datetime | None


class PersonIdentity(msgspec.Struct, frozen=True, kw_only=True):
    """A person's identity as a sign-in's claims (or an administrator) state it. UNSET: not
    stated, so a stored value is kept; `birth_date` None: stated but unreadable (stored)."""

    personal_id: str | UnsetType = UNSET
    full_name: str | UnsetType | None = UNSET
    birth_date: date | UnsetType | None = UNSET
    gender: str | UnsetType = UNSET
    address: str | UnsetType = UNSET


def _stated(identity: PersonIdentity) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(identity).items() if v is not UNSET}


async def lock_identities(*keys: str) -> None:
    """Serialise sign-ins that could create the same person (same subject or same
    identification number) until the transaction ends; always in one order (no deadlock)."""
    for key in sorted(set(keys)):
        await Person.raw("SELECT pg_advisory_xact_lock(hashtextextended({}, 19))", key)


async def person_by_subject(issuer: str, subject: str) -> PersonRow | None:
    row = (
        await Person.select()
        .where((Person.issuer == issuer) & (Person.subject == subject))
        .first()
        .lock_rows("NO KEY UPDATE")
    )
    return _typed(row, PersonRow)


async def person_by_personal_id(personal_id: str) -> PersonRow | None:
    row = (
        await Person.select()
        .where(Person.personal_id == personal_id)
        .first()
        .lock_rows("NO KEY UPDATE")
    )
    return _typed(row, PersonRow)


async def person_by_id(person_id: uuid.UUID) -> PersonRow | None:
    rows = await Person.raw("SELECT * FROM persons WHERE id = {}", person_id)
    return _typed(rows[0] if rows else None, PersonRow)


async def insert_person(
    person_id: uuid.UUID,
    identity: PersonIdentity,
    now: datetime,
    *,
    issuer: str | None = None,
    subject: str | None = None,
    last_sign_in_at: datetime | None = None,
) -> None:
    """A new person; what `identity` does not state is left empty."""
    await Person.insert(
        Person(
            id=person_id,
            issuer=issuer,
            subject=subject,
            created_at=now,
            updated_at=now,
            last_sign_in_at=last_sign_in_at,
            **_stated(identity),
        )
    )


async def record_sign_in(
    person_id: uuid.UUID, identity: PersonIdentity, now: datetime, *, issuer: str, subject: str
) -> None:
    """Bind the person to (issuer, subject) and refresh what `identity` states."""
    values: dict[Any, Any] = {
        Person.issuer: issuer,
        Person.subject: subject,
        Person.updated_at: now,
        Person.last_sign_in_at: now,
    }
    for name, value in _stated(identity).items():
        values[getattr(Person, name)] = value
    await Person.update(values).where(Person.id == person_id)


async def search_persons(
    q: str | None, role: str | None, after: uuid.UUID | None, limit: int
) -> list[PersonRow]:
    query = Person.select()
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
    return [msgspec.convert(row, PersonRow) for row in await query.order_by(Person.id).limit(limit)]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- agencies, police units, roles -------------------------------------------------------------


class AgencyRow(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    commune_code: str | None


class PoliceUnitRow(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    communes: list[str]


class GrantRow(msgspec.Struct, frozen=True, kw_only=True):
    """A role of a person, with the names of its agency and police unit."""

    role: str
    agency: str | None
    agency_name: str | None
    police_unit: str | None
    police_unit_name: str | None
    communes: list[str] | None
    granted_at: datetime
    department: str | None = None
    """A civil servant's department in their agency."""
    manager: bool = False
    """A civil servant who manages their agency (sees its training reports)."""


class PrincipalRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    roles: list[str]
    agencies: list[str]
    police_units: list[str]
    communes: list[str]
    family_alive: bool | None
    managed_agencies: list[str] = []
    """Agencies whose civil_servant grant carries the manager flag."""
    """False for a family that is unknown, another person's, revoked or expired; None when
    no family was asked about."""


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


async def list_agencies() -> list[AgencyRow]:
    return [msgspec.convert(row, AgencyRow) for row in await Agency.select().order_by(Agency.code)]


async def list_police_units() -> list[PoliceUnitRow]:
    rows = await PoliceUnit.select().order_by(PoliceUnit.code)
    return [msgspec.convert(row, PoliceUnitRow) for row in rows]


async def agency_exists(code: str) -> bool:
    return bool(await Agency.exists().where(Agency.code == code))


async def police_unit_exists(code: str) -> bool:
    return bool(await PoliceUnit.exists().where(PoliceUnit.code == code))


async def grants_of(person_id: uuid.UUID) -> list[GrantRow]:
    # Fixed SQL: building this join through Piccolo's foreign keys was a third of the CPU
    # time of GET /api/v1/me.
    rows = await RoleGrant.raw(
        "SELECT g.role, g.agency, a.name AS agency_name, g.police_unit,"
        " u.name AS police_unit_name, g.communes, g.granted_at, g.department, g.manager"
        " FROM role_grants g"
        " LEFT JOIN agencies a ON a.code = g.agency"
        " LEFT JOIN police_units u ON u.code = g.police_unit"
        " WHERE g.person = {} ORDER BY g.role",
        person_id,
    )
    return [msgspec.convert(row, GrantRow) for row in rows]


async def count_people_with_roles(roles: Sequence[str]) -> int:
    """How many people hold at least one of `roles`."""
    rows = await RoleGrant.raw(
        "SELECT count(DISTINCT person) AS n FROM role_grants WHERE role = ANY({})", list(roles)
    )
    return int(rows[0]["n"])


async def person_with_grants(person_id: uuid.UUID) -> tuple[PersonRow, list[GrantRow]] | None:
    """A person and their grants (with unit names), in one round trip (GET /api/v1/me)."""
    rows = await Person.raw(
        "SELECT p.*, COALESCE((SELECT json_agg(json_build_object("
        " 'role', g.role, 'agency', g.agency, 'agency_name', a.name,"
        " 'police_unit', g.police_unit, 'police_unit_name', u.name,"
        " 'communes', g.communes, 'granted_at', g.granted_at,"
        " 'department', g.department, 'manager', g.manager) ORDER BY g.role)"
        " FROM role_grants g"
        " LEFT JOIN agencies a ON a.code = g.agency"
        " LEFT JOIN police_units u ON u.code = g.police_unit"
        " WHERE g.person = p.id), '[]'::json) AS grants"
        " FROM persons p WHERE p.id = {}",
        person_id,
    )
    if not rows:
        return None
    row = dict(rows[0])
    grants = msgspec.json.decode(row.pop("grants"), type=list[GrantRow])
    return msgspec.convert(row, PersonRow), grants


async def upsert_grant(
    person_id: uuid.UUID,
    role: str,
    agency: str | None,
    police_unit: str | None,
    communes: list[str],
    granted_by: uuid.UUID | None,
    now: datetime,
    *,
    department: str | None = None,
    manager: bool = False,
) -> None:
    await RoleGrant.raw(
        "INSERT INTO role_grants (person, role, agency, police_unit, communes, granted_by,"
        " granted_at, department, manager) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})"
        " ON CONFLICT (person, role) DO UPDATE SET agency = EXCLUDED.agency,"
        " police_unit = EXCLUDED.police_unit, communes = EXCLUDED.communes,"
        " granted_by = EXCLUDED.granted_by, granted_at = EXCLUDED.granted_at,"
        " department = EXCLUDED.department, manager = EXCLUDED.manager",
        person_id,
        role,
        agency,
        police_unit,
        communes,
        granted_by,
        now,
        department,
        manager,
    )


async def delete_grant(person_id: uuid.UUID, role: str) -> bool:
    rows = (
        await RoleGrant.delete()
        .where((RoleGrant.person == person_id) & (RoleGrant.role == role))
        .returning(RoleGrant.id)
    )
    return bool(rows)


async def principal_row(person_id: uuid.UUID, family_id: uuid.UUID | None) -> PrincipalRow | None:
    """What every authenticated request needs, in one round trip: the person exists, the
    token's family is alive, and the person's grants."""
    rows = await Person.raw(
        """
        SELECT p.id,
               COALESCE(array_agg(g.role) FILTER (WHERE g.role IS NOT NULL),
                   ARRAY[]::varchar[]) AS roles,
               COALESCE(array_agg(g.agency) FILTER (WHERE g.agency IS NOT NULL), ARRAY[]::varchar[])
                   AS agencies,
               COALESCE(array_agg(g.police_unit) FILTER (WHERE g.police_unit IS NOT NULL),
                   ARRAY[]::varchar[]) AS police_units,
               COALESCE(array_agg(g.agency) FILTER (WHERE g.manager AND g.agency IS NOT NULL),
                   ARRAY[]::varchar[]) AS managed_agencies,
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
    return _typed(rows[0] if rows else None, PrincipalRow)


async def principal_with_profile(
    person_id: uuid.UUID, family_id: uuid.UUID | None
) -> tuple[PrincipalRow, PersonRow, list[GrantRow]] | None:
    """`principal_row` and `person_with_grants` in one round trip, for routes that show the
    caller their own profile (GET /api/v1/me): the principal is derived from the grants."""
    rows = await Person.raw(
        "SELECT p.*, COALESCE((SELECT json_agg(json_build_object("
        " 'role', g.role, 'agency', g.agency, 'agency_name', a.name,"
        " 'police_unit', g.police_unit, 'police_unit_name', u.name,"
        " 'communes', g.communes, 'granted_at', g.granted_at,"
        " 'department', g.department, 'manager', g.manager) ORDER BY g.role)"
        " FROM role_grants g"
        " LEFT JOIN agencies a ON a.code = g.agency"
        " LEFT JOIN police_units u ON u.code = g.police_unit"
        " WHERE g.person = p.id), '[]'::json) AS grants,"
        " CASE WHEN {}::uuid IS NULL THEN NULL ELSE EXISTS ("
        "   SELECT 1 FROM refresh_families f"
        "    WHERE f.id = {} AND f.person = p.id"
        "      AND f.revoked_at IS NULL AND f.expires_at > now())"
        " END AS family_alive"
        " FROM persons p WHERE p.id = {}",
        family_id,
        family_id,
        person_id,
    )
    if not rows:
        return None
    row = dict(rows[0])
    grants = msgspec.json.decode(row.pop("grants"), type=list[GrantRow])
    family_alive = row.pop("family_alive")
    principal = PrincipalRow(
        id=row["id"],
        roles=[g.role for g in grants],
        agencies=[g.agency for g in grants if g.agency is not None],
        police_units=[g.police_unit for g in grants if g.police_unit is not None],
        communes=sorted(
            {c for g in grants if g.role == "welfare_officer" for c in g.communes or []}
        ),
        family_alive=family_alive,
        managed_agencies=[g.agency for g in grants if g.manager and g.agency is not None],
    )
    return principal, msgspec.convert(row, PersonRow), grants


# --- our signing keys --------------------------------------------------------------------------


class SigningKeyRow(msgspec.Struct, frozen=True, kw_only=True):
    kid: str
    alg: str
    private_key: bytes
    """Sealed under CTN_SECRET_KEY (see keys.py)."""
    public_jwk: dict[str, str | list[str]]
    created_at: datetime
    retired_at: datetime | None = None


async def signing_keys(verifying_after: datetime) -> list[SigningKeyRow]:
    """Keys still signing or verifying (retired after `verifying_after`), newest first."""
    rows = (
        await SigningKey.select()
        .where(SigningKey.retired_at.is_null() | (SigningKey.retired_at > verifying_after))
        .order_by(SigningKey.created_at, ascending=False)
        .output(load_json=True)
    )
    return [msgspec.convert(row, SigningKeyRow) for row in rows]


async def insert_signing_key(key: SigningKeyRow) -> None:
    """The new signing key; every unretired key is retired at its creation."""
    await SigningKey.update({SigningKey.retired_at: key.created_at}).where(
        SigningKey.retired_at.is_null()
    )
    await SigningKey.insert(SigningKey(**_columns(key)))


async def lock_signing_keys() -> None:
    await SigningKey.raw("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")


async def delete_signing_keys_retired_before(moment: datetime) -> int:
    rows = await SigningKey.delete().where(SigningKey.retired_at < moment).returning(SigningKey.kid)
    return len(rows)


# --- login flows and handoff codes --------------------------------------------------------------


class LoginFlowRow(msgspec.Struct, frozen=True, kw_only=True):
    state_hash: str
    kind: str
    """`mobile` (the app_* fields are set) or `web` (return_to, browser_hash)."""
    nonce: str
    code_verifier: str
    app_redirect_uri: str | None = None
    app_state: str | None = None
    app_code_challenge: str | None = None
    return_to: str | None = None
    browser_hash: str | None = None
    created_at: datetime
    expires_at: datetime
    consumed_at: datetime | None = None


class HandoffCodeRow(msgspec.Struct, frozen=True, kw_only=True):
    code_hash: str
    person: uuid.UUID
    code_challenge: str
    redirect_uri: str
    provider_sid: str | None
    acr: str | None
    expires_at: datetime
    used_at: datetime | None = None


async def insert_login_flow(flow: LoginFlowRow) -> None:
    await LoginFlow.insert(LoginFlow(**_columns(flow)))


async def consume_login_flow(state_hash: str, now: datetime) -> LoginFlowRow | None:
    rows = (
        await LoginFlow.update({LoginFlow.consumed_at: now})
        .where(
            (LoginFlow.state_hash == state_hash)
            & LoginFlow.consumed_at.is_null()
            & (LoginFlow.expires_at > now)
        )
        .returning(*LoginFlow.all_columns())
    )
    return _typed(rows[0] if rows else None, LoginFlowRow)


async def insert_handoff_code(code: HandoffCodeRow) -> None:
    await HandoffCode.insert(HandoffCode(**_columns(code)))


async def consume_handoff_code(code_hash: str, now: datetime) -> HandoffCodeRow | None:
    rows = (
        await HandoffCode.update({HandoffCode.used_at: now})
        .where(
            (HandoffCode.code_hash == code_hash)
            & HandoffCode.used_at.is_null()
            & (HandoffCode.expires_at > now)
        )
        .returning(*HandoffCode.all_columns())
    )
    return _typed(rows[0] if rows else None, HandoffCodeRow)


# --- refresh tokens ------------------------------------------------------------------------------


class RefreshFamilyRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    person: uuid.UUID
    provider_sid: str | None
    acr: str | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None


class RefreshTokenRow(msgspec.Struct, frozen=True, kw_only=True):
    token_hash: str
    family: uuid.UUID
    issued_at: datetime
    idle_expires_at: datetime
    used_at: datetime | None = None


class RefreshTokenUse(msgspec.Struct, frozen=True, kw_only=True):
    """A refresh token presented, with what its family says about it."""

    token_hash: str
    family: uuid.UUID
    idle_expires_at: datetime
    used_at: datetime | None
    person: uuid.UUID
    provider_sid: str | None
    acr: str | None
    expires_at: datetime
    """The family's absolute expiry."""
    revoked_at: datetime | None
    """When the family was revoked."""


async def insert_family(family: RefreshFamilyRow) -> None:
    await RefreshFamily.insert(RefreshFamily(**_columns(family)))


async def insert_refresh_token(token: RefreshTokenRow) -> None:
    await RefreshToken.insert(RefreshToken(**_columns(token)))


async def refresh_token_for_update(token_hash: str) -> RefreshTokenUse | None:
    """The token with its family, locked: two concurrent uses of one token are serialised,
    so exactly one of them wins and the other is seen as reuse."""
    rows = await RefreshToken.raw(
        """
        SELECT t.token_hash, t.family, t.idle_expires_at, t.used_at,
               f.person, f.provider_sid, f.acr, f.expires_at, f.revoked_at
          FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family
         WHERE t.token_hash = {}
           FOR UPDATE OF t, f
        """,
        token_hash,
    )
    return _typed(rows[0] if rows else None, RefreshTokenUse)


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
    rows = await RefreshToken.raw(
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


class WebSessionRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    token_hash: str
    person: uuid.UUID
    provider_sid: str | None
    acr: str | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


async def insert_web_session(session: WebSessionRow) -> None:
    await WebSession.insert(WebSession(**_columns(session)))


async def web_session_by_token(token_hash: str) -> WebSessionRow | None:
    row = await WebSession.select().where(WebSession.token_hash == token_hash).first()
    return _typed(row, WebSessionRow)


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


# --- directory: who holds a role where (audiences of communications) ---------------------------


class MemberRow(msgspec.Struct, frozen=True, kw_only=True):
    person_id: uuid.UUID
    agency: str | None
    police_unit: str | None
    communes: list[str]


async def members_with_role(
    role: str,
    *,
    agencies: Sequence[str] | None = None,
    police_units: Sequence[str] | None = None,
    communes: Sequence[str] | None = None,
) -> list[MemberRow]:
    """The holders of `role`, limited to those agencies, police units or communes (a grant's
    communes overlapping them) when given; ordered by person id."""
    rows = await RoleGrant.raw(
        "SELECT person AS person_id, agency, police_unit, communes FROM role_grants"
        " WHERE role = {}"
        " AND ({}::text[] IS NULL OR agency = ANY({}::text[]))"
        " AND ({}::text[] IS NULL OR police_unit = ANY({}::text[]))"
        " AND ({}::text[] IS NULL OR communes && {}::varchar[])"
        " ORDER BY person",
        role,
        *([list(agencies)] * 2 if agencies is not None else [None, None]),
        *([list(police_units)] * 2 if police_units is not None else [None, None]),
        *([list(communes)] * 2 if communes is not None else [None, None]),
    )
    return [msgspec.convert(row, MemberRow) for row in rows]


async def count_members_by_agency(role: str, agencies: Sequence[str] | None) -> dict[str, int]:
    """How many hold `role` in each agency (all agencies when `agencies` is None)."""
    rows = await RoleGrant.raw(
        "SELECT agency, count(*) AS n FROM role_grants WHERE role = {} AND agency IS NOT NULL"
        " AND ({}::text[] IS NULL OR agency = ANY({}::text[])) GROUP BY agency",
        role,
        *([list(agencies)] * 2 if agencies is not None else [None, None]),
    )
    return {row["agency"]: int(row["n"]) for row in rows}


async def person_ids_by_personal_id(personal_ids: Sequence[str]) -> dict[str, uuid.UUID]:
    """The people known by these personal identification numbers (absent ones left out)."""
    if not personal_ids:
        return {}
    rows = await Person.raw(
        "SELECT personal_id, id FROM persons WHERE personal_id = ANY({}::varchar[])",
        list(personal_ids),
    )
    return {row["personal_id"]: row["id"] for row in rows}


async def count_persons() -> int:
    rows = await Person.raw("SELECT count(*) AS n FROM persons")
    return int(rows[0]["n"])


# --- synthetic people (benchmark data, `ctn seed --citizens`) ------------------------------------

SYNTHETIC_PREFIX = "9"
"""Personal ids of synthetic people start with 9 followed by 11 digits of a counter: no real
citizen's number (whose first three digits are a province code, 001–096) looks like that."""


async def insert_synthetic_people(first: int, last: int) -> int:
    """People `first`..`last` of the synthetic series (generated in the server, skipping
    those that exist); returns how many were new."""
    rows = await Person.raw(
        "WITH made AS (INSERT INTO persons (id, personal_id, created_at, updated_at)"
        " SELECT gen_random_uuid(), {} || lpad(n::text, 11, '0'), now(), now()"
        " FROM generate_series({}::bigint, {}::bigint) AS n"
        " ON CONFLICT (personal_id) DO NOTHING RETURNING 1) SELECT count(*) AS n FROM made",
        SYNTHETIC_PREFIX,
        first,
        last,
    )
    return int(rows[0]["n"])


async def grant_synthetic_civil_servants(count: int, agencies: Sequence[str]) -> int:
    """Make the first `count` synthetic people civil servants, spread over `agencies`."""
    rows = await RoleGrant.raw(
        "WITH made AS (INSERT INTO role_grants (person, role, agency, communes, granted_at)"
        " SELECT p.id, 'civil_servant', ({}::varchar[])[1 + (n % cardinality({}::varchar[]))],"
        " ARRAY[]::varchar[], now()"
        " FROM generate_series(1::bigint, {}::bigint) AS n"
        " JOIN persons p ON p.personal_id = {} || lpad(n::text, 11, '0')"
        " WHERE NOT EXISTS (SELECT 1 FROM role_grants g"
        "                    WHERE g.person = p.id AND g.role = 'civil_servant')"
        " RETURNING 1) SELECT count(*) AS n FROM made",
        list(agencies),
        list(agencies),
        count,
        SYNTHETIC_PREFIX,
    )
    return int(rows[0]["n"])


async def names_of(person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    if not person_ids:
        return {}
    rows = await Person.raw(
        "SELECT id, full_name FROM persons WHERE id = ANY({}::uuid[])", list(person_ids)
    )
    return {row["id"]: row["full_name"] for row in rows}


class IdentityRow(msgspec.Struct, frozen=True, kw_only=True):
    person_id: uuid.UUID
    full_name: str | None
    birth_date: date | None


async def identities_by_personal_id(personal_ids: Sequence[str]) -> dict[str, IdentityRow]:
    if not personal_ids:
        return {}
    rows = await Person.raw(
        "SELECT personal_id, id, full_name, birth_date FROM persons"
        " WHERE personal_id = ANY({}::varchar[])",
        list(personal_ids),
    )
    return {
        row["personal_id"]: IdentityRow(
            person_id=row["id"], full_name=row["full_name"], birth_date=row["birth_date"]
        )
        for row in rows
    }


# --- civil servants: departments, managers, members of mandatory training ----------------------


class CivilServantRow(msgspec.Struct, frozen=True, kw_only=True):
    person_id: uuid.UUID
    agency_code: str | None
    department: str | None


async def civil_servant_members(
    *,
    agency: str | None,
    department: str | None,
    role: str | None,
    granted_since: datetime | None = None,
) -> list[CivilServantRow]:
    """One query: the holders of `role` (civil_servant when None) — limited to `agency` and
    `department` when given, and to grants made or changed since `granted_since` — with the
    agency and department of their civil_servant grant (None for a holder of another role who
    is no civil servant); ordered by person id."""
    if role in (None, "civil_servant"):
        sql = (
            "SELECT person AS person_id, agency AS agency_code, department FROM role_grants"
            " WHERE role = 'civil_servant'"
            " AND ({}::text IS NULL OR agency = {}::text)"
            " AND ({}::text IS NULL OR department = {}::text)"
            " AND ({}::timestamptz IS NULL OR granted_at >= {}::timestamptz)"
            " ORDER BY person"
        )
        args: list[Any] = [agency, agency, department, department, granted_since, granted_since]
    else:
        sql = (
            "SELECT r.person AS person_id, cs.agency AS agency_code, cs.department"
            " FROM role_grants r"
            " LEFT JOIN role_grants cs ON cs.person = r.person AND cs.role = 'civil_servant'"
            " WHERE r.role = {}"
            " AND ({}::text IS NULL OR cs.agency = {}::text)"
            " AND ({}::text IS NULL OR cs.department = {}::text)"
            " AND ({}::timestamptz IS NULL OR r.granted_at >= {}::timestamptz"
            "      OR cs.granted_at >= {}::timestamptz)"
            " ORDER BY r.person"
        )
        args = [role, agency, agency, department, department, *[granted_since] * 3]
    rows = await RoleGrant.raw(sql, *args)
    return msgspec.convert(rows, list[CivilServantRow])


async def civil_servant_of(person_id: uuid.UUID) -> CivilServantRow | None:
    rows = await RoleGrant.raw(
        "SELECT person AS person_id, agency AS agency_code, department FROM role_grants"
        " WHERE person = {} AND role = 'civil_servant'",
        person_id,
    )
    return _typed(rows[0] if rows else None, CivilServantRow)


class DepartmentRow(msgspec.Struct, frozen=True, kw_only=True):
    agency_code: str
    department: str
    members: int


async def departments(agencies: Sequence[str] | None) -> list[DepartmentRow]:
    """The departments civil servants' grants name, per agency, with their member counts."""
    rows = await RoleGrant.raw(
        "SELECT agency AS agency_code, department, count(*) AS members FROM role_grants"
        " WHERE role = 'civil_servant' AND agency IS NOT NULL AND department IS NOT NULL"
        " AND ({}::text[] IS NULL OR agency = ANY({}::text[]))"
        " GROUP BY agency, department ORDER BY agency, department",
        *([list(agencies)] * 2 if agencies is not None else [None, None]),
    )
    return [msgspec.convert(row, DepartmentRow) for row in rows]


async def managed_agencies(person_id: uuid.UUID) -> list[str]:
    rows = await RoleGrant.raw(
        "SELECT agency FROM role_grants WHERE person = {} AND role = 'civil_servant'"
        " AND manager AND agency IS NOT NULL",
        person_id,
    )
    return [row["agency"] for row in rows]
