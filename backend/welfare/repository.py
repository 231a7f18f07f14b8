"""Every query of welfare status. Bulk work (an import's rows) goes through the unit of
work's own asyncpg connection (`executemany`, `copy_records_to_table`); the import's progress
is written on a pooled connection of its own, outside the import's transaction, so that
others see it move while the import itself stays all or nothing.

Only this domain's tables: what identity knows about people comes through identity.service."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from backend.db import engine


def _connection() -> Any:
    transaction = engine().current_transaction.get()
    if transaction is None:  # pragma: no cover - a misuse, caught in tests
        raise RuntimeError("welfare queries run inside a unit of work")
    return transaction.connection


async def _fetch(sql: str, *args: Any) -> list[Any]:
    return list(await _connection().fetch(sql, *args))


async def _fetchrow(sql: str, *args: Any) -> Any:
    rows = await _fetch(sql, *args)
    return rows[0] if rows else None


async def _execute(sql: str, *args: Any) -> str:
    return str(await _connection().execute(sql, *args))


# --- programmes -------------------------------------------------------------------------------


class CategoryRow(msgspec.Struct, frozen=True, kw_only=True):
    programme_code: str
    code: str
    name_vi: str
    name_en: str
    monthly_amount: int
    min_amount: int
    max_amount: int


class ProgrammeRow(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name_vi: str
    name_en: str
    active: bool


async def upsert_programme(row: ProgrammeRow, categories: Sequence[CategoryRow]) -> None:
    await _execute(
        "INSERT INTO welfare_programmes (code, name_vi, name_en, active, created_at)"
        " VALUES ($1, $2, $3, $4, now()) ON CONFLICT (code) DO UPDATE SET"
        " name_vi = EXCLUDED.name_vi, name_en = EXCLUDED.name_en, active = EXCLUDED.active",
        row.code,
        row.name_vi,
        row.name_en,
        row.active,
    )
    await _connection().executemany(
        "INSERT INTO welfare_categories (programme_code, code, name_vi, name_en,"
        " monthly_amount, min_amount, max_amount) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (programme_code, code) DO UPDATE SET name_vi = EXCLUDED.name_vi,"
        " name_en = EXCLUDED.name_en, monthly_amount = EXCLUDED.monthly_amount,"
        " min_amount = EXCLUDED.min_amount, max_amount = EXCLUDED.max_amount",
        [
            (
                c.programme_code,
                c.code,
                c.name_vi,
                c.name_en,
                c.monthly_amount,
                c.min_amount,
                c.max_amount,
            )
            for c in categories
        ],
    )


async def programmes() -> list[ProgrammeRow]:
    rows = await _fetch(
        "SELECT code, name_vi, name_en, active FROM welfare_programmes ORDER BY code"
    )
    return [ProgrammeRow(**dict(r)) for r in rows]


async def categories() -> list[CategoryRow]:
    rows = await _fetch(
        "SELECT programme_code, code, name_vi, name_en, monthly_amount, min_amount, max_amount"
        " FROM welfare_categories ORDER BY programme_code, monthly_amount, code"
    )
    return [CategoryRow(**dict(r)) for r in rows]


# --- imports ----------------------------------------------------------------------------------

IMPORT_COLUMNS = (
    "id, kind, period_id, filename, file_format, sha256, status, total_rows, processed_rows,"
    " accepted, updated, unchanged, rejected, flagged, error, created_by, created_at,"
    " started_at, finished_at"
)


class ImportRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    kind: str
    period_id: uuid.UUID | None
    filename: str
    file_format: str
    sha256: str
    status: str
    total_rows: int
    processed_rows: int
    accepted: int
    updated: int
    unchanged: int
    rejected: int
    flagged: int
    error: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ImportJob(msgspec.Struct, frozen=True, kw_only=True):
    record: ImportRecord
    storage_key: str | None
    mapping: dict[str, str]
    communes: list[str]


async def insert_import(
    import_id: uuid.UUID,
    *,
    kind: str,
    period_id: uuid.UUID | None,
    filename: str,
    file_format: str,
    sha256: str,
    storage_key: str,
    mapping: dict[str, str],
    communes: list[str],
    created_by: uuid.UUID,
) -> None:
    await _execute(
        "INSERT INTO welfare_imports (id, kind, period_id, filename, file_format, sha256,"
        " storage_key, mapping, communes, status, created_by, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, 'queued', $10, now())",
        import_id,
        kind,
        period_id,
        filename,
        file_format,
        sha256,
        storage_key,
        json.dumps(mapping),
        json.dumps(communes),
        created_by,
    )


async def same_file_import(
    sha256: str, kind: str, period_id: uuid.UUID | None, mapping: dict[str, str]
) -> ImportRecord | None:
    """An earlier import of the same bytes (same kind, period and mapping) that did not fail."""
    row = await _fetchrow(
        f"SELECT {IMPORT_COLUMNS} FROM welfare_imports WHERE sha256 = $1 AND kind = $2"
        " AND period_id IS NOT DISTINCT FROM $3 AND mapping = $4::jsonb AND status <> 'failed'"
        " ORDER BY created_at LIMIT 1",
        sha256,
        kind,
        period_id,
        json.dumps(mapping),
    )
    return ImportRecord(**dict(row)) if row else None


async def get_import(import_id: uuid.UUID) -> ImportRecord | None:
    row = await _fetchrow(f"SELECT {IMPORT_COLUMNS} FROM welfare_imports WHERE id = $1", import_id)
    return ImportRecord(**dict(row)) if row else None


async def get_import_job(import_id: uuid.UUID) -> ImportJob | None:
    row = await _fetchrow(
        f"SELECT {IMPORT_COLUMNS}, storage_key, mapping, communes FROM welfare_imports"
        " WHERE id = $1",
        import_id,
    )
    if row is None:
        return None
    record = dict(row)
    storage_key = record.pop("storage_key")
    mapping = json.loads(record.pop("mapping"))
    communes = json.loads(record.pop("communes"))
    return ImportJob(
        record=ImportRecord(**record), storage_key=storage_key, mapping=mapping, communes=communes
    )


async def list_imports(
    created_by: uuid.UUID | None, before: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[ImportRecord]:
    rows = await _fetch(
        f"SELECT {IMPORT_COLUMNS} FROM welfare_imports"
        " WHERE ($1::uuid IS NULL OR created_by = $1)"
        " AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))"
        " ORDER BY created_at DESC, id DESC LIMIT $4",
        created_by,
        before[0] if before else None,
        before[1] if before else None,
        limit,
    )
    return [ImportRecord(**dict(r)) for r in rows]


async def lock_imports() -> None:
    """Imports run one at a time (a later one sees what an earlier one wrote)."""
    await _execute("SELECT pg_advisory_xact_lock(hashtextextended('welfare_import', 14))")


async def set_progress(import_id: uuid.UUID, *, processed: int, total: int, started: bool) -> None:
    """Written on a connection of its own, committed at once (outside the import's work)."""
    pool = engine().pool
    if pool is None:  # pragma: no cover - commands without a pool
        return
    async with pool.acquire() as connection:
        await connection.execute(
            "UPDATE welfare_imports SET processed_rows = $2, total_rows = $3, status = 'running',"
            " started_at = CASE WHEN $4 THEN now() ELSE started_at END WHERE id = $1",
            import_id,
            processed,
            total,
            started,
        )


async def finish_import(
    import_id: uuid.UUID, *, status: str, counts: dict[str, int], error: str | None
) -> None:
    await _execute(
        "UPDATE welfare_imports SET status = $2, total_rows = $3, processed_rows = $4,"
        " accepted = $5, updated = $6, unchanged = $7, rejected = $8, flagged = $9, error = $10,"
        " started_at = coalesce(started_at, now()), finished_at = now(), storage_key = NULL"
        " WHERE id = $1",
        import_id,
        status,
        counts.get("total", 0),
        counts.get("processed", 0),
        counts.get("accepted", 0),
        counts.get("updated", 0),
        counts.get("unchanged", 0),
        counts.get("rejected", 0),
        counts.get("flagged", 0),
        error,
    )


ImportRowRecord = tuple[int, str, str | None, str | None, str | None, str | None, str | None]
"""(row number, outcome, reason, personal id, full name, commune, programme)."""


async def insert_import_rows(import_id: uuid.UUID, rows: Sequence[ImportRowRecord]) -> None:
    if not rows:
        return
    await _connection().copy_records_to_table(
        "welfare_import_rows",
        records=[(import_id, *row) for row in rows],
        columns=[
            "import_id",
            "row_number",
            "outcome",
            "reason",
            "personal_id",
            "full_name",
            "commune_code",
            "programme_code",
        ],
    )


async def import_rows(
    import_id: uuid.UUID, *, outcome: str | None, after: int, limit: int
) -> list[ImportRowRecord]:
    rows = await _fetch(
        "SELECT row_number, outcome, reason, personal_id, full_name, commune_code,"
        " programme_code FROM welfare_import_rows WHERE import_id = $1"
        " AND ($2::varchar IS NULL OR outcome = $2) AND row_number > $3"
        " ORDER BY row_number LIMIT $4",
        import_id,
        outcome,
        after,
        limit,
    )
    return [tuple(r) for r in rows]


# --- beneficiaries during an import -----------------------------------------------------------


class ExistingEnrolment(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    category_code: str
    monthly_amount: int
    channel: str
    account_ref: str | None


class ExistingBeneficiary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    personal_id: str
    list_full_name: str
    list_birth_date: date
    gender: str
    commune_code: str
    enrolments: dict[str, ExistingEnrolment]


async def beneficiaries_by_personal_id(
    personal_ids: Sequence[str],
) -> dict[str, ExistingBeneficiary]:
    rows = await _fetch(
        "SELECT b.id, b.personal_id, b.list_full_name, b.list_birth_date, b.gender,"
        " b.commune_code, e.id AS enrolment_id, e.programme_code, e.category_code,"
        " e.monthly_amount, e.channel, e.account_ref"
        " FROM welfare_beneficiaries b LEFT JOIN welfare_enrolments e ON e.beneficiary_id = b.id"
        " WHERE b.personal_id = ANY($1::varchar[])",
        list(personal_ids),
    )
    found: dict[str, ExistingBeneficiary] = {}
    for r in rows:
        b = found.get(r["personal_id"])
        if b is None:
            b = found[r["personal_id"]] = ExistingBeneficiary(
                id=r["id"],
                personal_id=r["personal_id"],
                list_full_name=r["list_full_name"],
                list_birth_date=r["list_birth_date"],
                gender=r["gender"],
                commune_code=r["commune_code"],
                enrolments={},
            )
        if r["enrolment_id"] is not None:
            b.enrolments[r["programme_code"]] = ExistingEnrolment(
                id=r["enrolment_id"],
                category_code=r["category_code"],
                monthly_amount=r["monthly_amount"],
                channel=r["channel"],
                account_ref=r["account_ref"],
            )
    return found


class FlagKey(msgspec.Struct, frozen=True):
    field: str
    list_value: str
    identity_value: str


async def flags_of(beneficiary_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[FlagKey, str]]:
    """Each beneficiary's flags: (field, list value, identity value) → resolution ('' open)."""
    rows = await _fetch(
        "SELECT beneficiary_id, field, list_value, identity_value, coalesce(resolution, '') AS r"
        " FROM welfare_flags WHERE beneficiary_id = ANY($1::uuid[])",
        list(beneficiary_ids),
    )
    found: dict[uuid.UUID, dict[FlagKey, str]] = {}
    for r in rows:
        key = FlagKey(r["field"], r["list_value"], r["identity_value"])
        found.setdefault(r["beneficiary_id"], {})[key] = r["r"]
    return found


BeneficiaryValues = tuple[Any, ...]
"""(id, personal_id, person_id, full_name, name_folded, birth_date, list_full_name,
list_birth_date, gender, commune_code, import_id)."""


async def insert_beneficiaries(rows: Sequence[BeneficiaryValues]) -> None:
    """New beneficiaries, by COPY (an import's bulk; executemany was most of its time)."""
    if rows:
        now = datetime.now(UTC)
        await _connection().copy_records_to_table(
            "welfare_beneficiaries",
            records=[(*r, "active", now, now) for r in rows],
            columns=[
                "id",
                "personal_id",
                "person_id",
                "full_name",
                "name_folded",
                "birth_date",
                "list_full_name",
                "list_birth_date",
                "gender",
                "commune_code",
                "last_import_id",
                "status",
                "created_at",
                "updated_at",
            ],
        )


async def update_beneficiaries(rows: Sequence[BeneficiaryValues]) -> None:
    if rows:
        await _connection().executemany(
            "UPDATE welfare_beneficiaries SET person_id = coalesce($3, person_id),"
            " full_name = $4, name_folded = $5, birth_date = $6, list_full_name = $7,"
            " list_birth_date = $8, gender = $9, commune_code = $10, last_import_id = $11,"
            " updated_at = now() WHERE id = $1 AND personal_id = $2",
            rows,
        )


EnrolmentValues = tuple[Any, ...]
"""(id, beneficiary_id, programme_code, category_code, monthly_amount, channel, account_ref)."""


async def insert_enrolments(rows: Sequence[EnrolmentValues]) -> None:
    """Enrolments that do not exist yet, by COPY."""
    if rows:
        now = datetime.now(UTC)
        await _connection().copy_records_to_table(
            "welfare_enrolments",
            records=[(*r, True, now, now) for r in rows],
            columns=[
                "id",
                "beneficiary_id",
                "programme_code",
                "category_code",
                "monthly_amount",
                "channel",
                "account_ref",
                "active",
                "created_at",
                "updated_at",
            ],
        )


async def upsert_enrolments(rows: Sequence[EnrolmentValues]) -> None:
    if rows:
        await _connection().executemany(
            "INSERT INTO welfare_enrolments (id, beneficiary_id, programme_code, category_code,"
            " monthly_amount, channel, account_ref, active, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, true, now(), now())"
            " ON CONFLICT (beneficiary_id, programme_code) DO UPDATE SET"
            " category_code = EXCLUDED.category_code, monthly_amount = EXCLUDED.monthly_amount,"
            " channel = EXCLUDED.channel, account_ref = EXCLUDED.account_ref, active = true,"
            " updated_at = now()",
            rows,
        )


FlagValues = tuple[Any, ...]
"""(beneficiary_id, field, list_value, identity_value, import_id)."""


async def insert_flags(rows: Sequence[FlagValues]) -> None:
    if rows:
        await _connection().executemany(
            "INSERT INTO welfare_flags (id, beneficiary_id, field, list_value, identity_value,"
            " status, import_id, created_at) VALUES (gen_random_uuid(), $1, $2, $3, $4, 'open',"
            " $5, now())",
            rows,
        )


async def refresh_status(beneficiary_ids: Iterable[uuid.UUID]) -> None:
    """rejected when a flag was resolved by rejecting, review while a flag is open, else
    active."""
    ids = list(beneficiary_ids)
    if not ids:
        return
    await _execute(
        "UPDATE welfare_beneficiaries b SET status = s.status FROM ("
        " SELECT x.id, CASE"
        "  WHEN EXISTS (SELECT 1 FROM welfare_flags f WHERE f.beneficiary_id = x.id"
        "   AND f.resolution = 'reject') THEN 'rejected'"
        "  WHEN EXISTS (SELECT 1 FROM welfare_flags f WHERE f.beneficiary_id = x.id"
        "   AND f.status = 'open') THEN 'review'"
        "  ELSE 'active' END AS status"
        " FROM unnest($1::uuid[]) AS x(id)) s"
        " WHERE b.id = s.id AND b.status IS DISTINCT FROM s.status",
        ids,
    )


# --- beneficiaries for officers ----------------------------------------------------------------


class BeneficiaryListRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    personal_id: str
    full_name: str
    name_folded: str
    birth_date: date
    gender: str
    commune_code: str
    status: str
    programmes: list[str]
    open_flags: int


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search_beneficiaries(
    *,
    communes: Sequence[str] | None,
    name_folded: str | None,
    personal_id_prefix: str | None,
    commune_code: str | None,
    programme_code: str | None,
    status: str | None,
    flagged: bool | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int | None,
) -> list[BeneficiaryListRow]:
    rows = await _fetch(
        "SELECT b.id, b.personal_id, b.full_name, b.name_folded, b.birth_date, b.gender,"
        " b.commune_code, b.status,"
        " coalesce((SELECT array_agg(e.programme_code ORDER BY e.programme_code)"
        "  FROM welfare_enrolments e WHERE e.beneficiary_id = b.id), ARRAY[]::varchar[])"
        "  AS programmes,"
        " (SELECT count(*) FROM welfare_flags f WHERE f.beneficiary_id = b.id"
        "  AND f.status = 'open')::int AS open_flags"
        " FROM welfare_beneficiaries b"
        " WHERE ($1::varchar[] IS NULL OR b.commune_code = ANY($1))"
        " AND ($2::text IS NULL OR b.name_folded LIKE '%' || $2 || '%')"
        " AND ($3::text IS NULL OR b.personal_id LIKE $3 || '%')"
        " AND ($4::varchar IS NULL OR b.commune_code = $4)"
        " AND ($5::varchar IS NULL OR EXISTS (SELECT 1 FROM welfare_enrolments e"
        "  WHERE e.beneficiary_id = b.id AND e.programme_code = $5))"
        " AND ($6::varchar IS NULL OR b.status = $6)"
        " AND ($7::boolean IS NULL OR $7 = EXISTS (SELECT 1 FROM welfare_flags f"
        "  WHERE f.beneficiary_id = b.id AND f.status = 'open'))"
        " AND ($8::text IS NULL OR (b.name_folded, b.id) > ($8, $9::uuid))"
        " ORDER BY b.name_folded, b.id LIMIT $10",
        list(communes) if communes else None,
        _like(name_folded) if name_folded else None,
        personal_id_prefix,
        commune_code,
        programme_code,
        status,
        flagged,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [BeneficiaryListRow(**dict(r)) for r in rows]


class BeneficiaryRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    personal_id: str
    person_id: uuid.UUID | None
    full_name: str
    birth_date: date
    list_full_name: str
    list_birth_date: date
    gender: str
    commune_code: str
    status: str
    created_at: datetime
    updated_at: datetime


BENEFICIARY_COLUMNS = (
    "id, personal_id, person_id, full_name, birth_date, list_full_name, list_birth_date,"
    " gender, commune_code, status, created_at, updated_at"
)


async def get_beneficiary(beneficiary_id: uuid.UUID) -> BeneficiaryRecord | None:
    row = await _fetchrow(
        f"SELECT {BENEFICIARY_COLUMNS} FROM welfare_beneficiaries WHERE id = $1", beneficiary_id
    )
    return BeneficiaryRecord(**dict(row)) if row else None


async def beneficiary_by_personal_id(personal_id: str) -> BeneficiaryRecord | None:
    row = await _fetchrow(
        f"SELECT {BENEFICIARY_COLUMNS} FROM welfare_beneficiaries WHERE personal_id = $1",
        personal_id,
    )
    return BeneficiaryRecord(**dict(row)) if row else None


class EnrolmentRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    programme_code: str
    programme_name_vi: str
    programme_name_en: str
    category_code: str
    category_name_vi: str
    category_name_en: str
    monthly_amount: int
    channel: str
    account_ref: str | None
    active: bool


async def enrolments_of(beneficiary_id: uuid.UUID) -> list[EnrolmentRecord]:
    rows = await _fetch(
        "SELECT e.id, e.programme_code, p.name_vi AS programme_name_vi,"
        " p.name_en AS programme_name_en, e.category_code, c.name_vi AS category_name_vi,"
        " c.name_en AS category_name_en, e.monthly_amount, e.channel, e.account_ref, e.active"
        " FROM welfare_enrolments e JOIN welfare_programmes p ON p.code = e.programme_code"
        " JOIN welfare_categories c ON c.programme_code = e.programme_code"
        "  AND c.code = e.category_code"
        " WHERE e.beneficiary_id = $1 ORDER BY e.programme_code",
        beneficiary_id,
    )
    return [EnrolmentRecord(**dict(r)) for r in rows]


class FlagRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    beneficiary_id: uuid.UUID
    field: str
    list_value: str
    identity_value: str
    status: str
    resolution: str | None
    reason: str | None
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: uuid.UUID | None


FLAG_COLUMNS = (
    "f.id, f.beneficiary_id, f.field, f.list_value, f.identity_value, f.status, f.resolution,"
    " f.reason, f.created_at, f.resolved_at, f.resolved_by"
)


async def flags_of_beneficiary(beneficiary_id: uuid.UUID) -> list[FlagRecord]:
    rows = await _fetch(
        f"SELECT {FLAG_COLUMNS} FROM welfare_flags f WHERE f.beneficiary_id = $1"
        " ORDER BY f.created_at, f.id",
        beneficiary_id,
    )
    return [FlagRecord(**dict(r)) for r in rows]


class FlagListRow(msgspec.Struct, frozen=True, kw_only=True):
    flag: FlagRecord
    personal_id: str
    full_name: str
    commune_code: str


async def list_flags(
    *,
    communes: Sequence[str] | None,
    status: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[FlagListRow]:
    rows = await _fetch(
        f"SELECT {FLAG_COLUMNS}, b.personal_id, b.full_name AS b_full_name, b.commune_code"
        " FROM welfare_flags f JOIN welfare_beneficiaries b ON b.id = f.beneficiary_id"
        " WHERE ($1::varchar[] IS NULL OR b.commune_code = ANY($1))"
        " AND ($2::varchar IS NULL OR f.status = $2)"
        " AND ($3::timestamptz IS NULL OR (f.created_at, f.id) > ($3, $4::uuid))"
        " ORDER BY f.created_at, f.id LIMIT $5",
        list(communes) if communes else None,
        status,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    result = []
    for r in rows:
        record = dict(r)
        personal_id = record.pop("personal_id")
        full_name = record.pop("b_full_name")
        commune = record.pop("commune_code")
        result.append(
            FlagListRow(
                flag=FlagRecord(**record),
                personal_id=personal_id,
                full_name=full_name,
                commune_code=commune,
            )
        )
    return result


async def lock_flag(flag_id: uuid.UUID) -> tuple[FlagRecord, str] | None:
    """The flag, locked, and its beneficiary's commune."""
    row = await _fetchrow(
        f"SELECT {FLAG_COLUMNS}, b.commune_code FROM welfare_flags f"
        " JOIN welfare_beneficiaries b ON b.id = f.beneficiary_id WHERE f.id = $1"
        " FOR UPDATE OF f",
        flag_id,
    )
    if row is None:
        return None
    record = dict(row)
    commune = record.pop("commune_code")
    return FlagRecord(**record), commune


async def resolve_flag(
    flag_id: uuid.UUID, resolution: str, reason: str | None, actor: uuid.UUID
) -> None:
    await _execute(
        "UPDATE welfare_flags SET status = 'resolved', resolution = $2, reason = $3,"
        " resolved_by = $4, resolved_at = now() WHERE id = $1",
        flag_id,
        resolution,
        reason,
        actor,
    )


async def set_value_in_force(beneficiary_id: uuid.UUID, field: str, value: Any) -> None:
    """The value in force of `full_name` (with its folded copy) or `birth_date`."""
    if field == "full_name":
        from backend.text import fold

        await _execute(
            "UPDATE welfare_beneficiaries SET full_name = $2, name_folded = $3,"
            " updated_at = now() WHERE id = $1",
            beneficiary_id,
            value,
            fold(value),
        )
    else:
        await _execute(
            "UPDATE welfare_beneficiaries SET birth_date = $2, updated_at = now() WHERE id = $1",
            beneficiary_id,
            value,
        )


# --- periods and payments ---------------------------------------------------------------------


class PeriodRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    month: date
    payout_date: date
    generated_at: datetime | None
    created_at: datetime


async def insert_period(
    period_id: uuid.UUID, month: date, payout_date: date, actor: uuid.UUID
) -> bool:
    status = await _execute(
        "INSERT INTO welfare_periods (id, month, payout_date, created_by, created_at)"
        " VALUES ($1, $2, $3, $4, now()) ON CONFLICT (month) DO NOTHING",
        period_id,
        month,
        payout_date,
        actor,
    )
    return status.endswith(" 1")


async def get_period(period_id: uuid.UUID, *, lock: bool = False) -> PeriodRecord | None:
    row = await _fetchrow(
        "SELECT id, month, payout_date, generated_at, created_at FROM welfare_periods"
        f" WHERE id = $1{' FOR UPDATE' if lock else ''}",
        period_id,
    )
    return PeriodRecord(**dict(row)) if row else None


async def periods() -> list[PeriodRecord]:
    rows = await _fetch(
        "SELECT id, month, payout_date, generated_at, created_at FROM welfare_periods"
        " ORDER BY month DESC"
    )
    return [PeriodRecord(**dict(r)) for r in rows]


async def generate_payments(period_id: uuid.UUID) -> int:
    """One pending payment per active enrolment of an active beneficiary, not yet there."""
    status = await _execute(
        "INSERT INTO welfare_payments (id, period_id, enrolment_id, beneficiary_id,"
        " programme_code, commune_code, amount, channel, account_ref, status, detail)"
        " SELECT gen_random_uuid(), $1, e.id, b.id, e.programme_code, b.commune_code,"
        " e.monthly_amount, e.channel, e.account_ref, 'pending', '{}'::jsonb"
        " FROM welfare_enrolments e JOIN welfare_beneficiaries b ON b.id = e.beneficiary_id"
        " JOIN welfare_programmes p ON p.code = e.programme_code"
        " WHERE e.active AND b.status = 'active' AND p.active"
        " ON CONFLICT (period_id, enrolment_id) DO NOTHING",
        period_id,
    )
    await _execute("UPDATE welfare_periods SET generated_at = now() WHERE id = $1", period_id)
    return int(status.rsplit(" ", 1)[-1])


class Totals(msgspec.Struct, frozen=True, kw_only=True):
    commune_code: str
    programme_code: str
    expected: int
    paid: int
    failed: int
    returned: int
    pending: int
    amount_expected: int
    amount_paid: int
    amount_failed: int
    amount_pending: int


_TOTALS = (
    " count(*)::int AS expected,"
    " count(*) FILTER (WHERE status = 'paid')::int AS paid,"
    " count(*) FILTER (WHERE status = 'failed')::int AS failed,"
    " count(*) FILTER (WHERE status = 'returned')::int AS returned,"
    " count(*) FILTER (WHERE status = 'pending')::int AS pending,"
    " coalesce(sum(amount), 0)::bigint AS amount_expected,"
    " coalesce(sum(amount) FILTER (WHERE status = 'paid'), 0)::bigint AS amount_paid,"
    " coalesce(sum(amount) FILTER (WHERE status IN ('failed', 'returned')), 0)::bigint"
    "  AS amount_failed,"
    " coalesce(sum(amount) FILTER (WHERE status = 'pending'), 0)::bigint AS amount_pending"
)


async def reconcile(period_id: uuid.UUID, communes: Sequence[str] | None) -> list[Totals]:
    rows = await _fetch(
        f"SELECT commune_code, programme_code,{_TOTALS} FROM welfare_payments"
        " WHERE period_id = $1 AND ($2::varchar[] IS NULL OR commune_code = ANY($2))"
        " GROUP BY commune_code, programme_code ORDER BY commune_code, programme_code",
        period_id,
        list(communes) if communes else None,
    )
    return [Totals(**dict(r)) for r in rows]


async def period_totals(period_id: uuid.UUID, communes: Sequence[str] | None) -> Totals:
    row = await _fetchrow(
        f"SELECT '*' AS commune_code, '*' AS programme_code,{_TOTALS} FROM welfare_payments"
        " WHERE period_id = $1 AND ($2::varchar[] IS NULL OR commune_code = ANY($2))",
        period_id,
        list(communes) if communes else None,
    )
    return Totals(**dict(row))


class PaymentRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    period_id: uuid.UUID
    month: date
    payout_date: date
    beneficiary_id: uuid.UUID
    personal_id: str
    full_name: str
    programme_code: str
    commune_code: str
    amount: int
    channel: str
    account_ref: str | None
    status: str
    paid_on: date | None
    transaction_ref: str | None
    failure_reason: str | None
    recorded_at: datetime | None


PAYMENT_SELECT = (
    "SELECT y.id, y.period_id, p.month, p.payout_date, y.beneficiary_id, b.personal_id,"
    " b.full_name, y.programme_code, y.commune_code, y.amount, y.channel, y.account_ref, y.status,"
    " y.paid_on, y.transaction_ref, y.failure_reason, y.recorded_at"
    " FROM welfare_payments y JOIN welfare_periods p ON p.id = y.period_id"
    " JOIN welfare_beneficiaries b ON b.id = y.beneficiary_id"
)


async def payments(
    *,
    period_id: uuid.UUID | None = None,
    beneficiary_id: uuid.UUID | None = None,
    communes: Sequence[str] | None = None,
    status: str | None = None,
    commune_code: str | None = None,
    programme_code: str | None = None,
    after: tuple[str, uuid.UUID] | None = None,
    limit: int | None = None,
) -> list[PaymentRecord]:
    rows = await _fetch(
        f"{PAYMENT_SELECT} WHERE ($1::uuid IS NULL OR y.period_id = $1)"
        " AND ($2::uuid IS NULL OR y.beneficiary_id = $2)"
        " AND ($3::varchar[] IS NULL OR y.commune_code = ANY($3))"
        " AND ($4::varchar IS NULL OR y.status = $4)"
        " AND ($5::varchar IS NULL OR y.commune_code = $5)"
        " AND ($6::varchar IS NULL OR y.programme_code = $6)"
        " AND ($7::text IS NULL OR (b.personal_id, y.id) > ($7, $8::uuid))"
        " ORDER BY "
        + ("p.month DESC, y.programme_code" if beneficiary_id else "b.personal_id, y.id")
        + " LIMIT $9",
        period_id,
        beneficiary_id,
        list(communes) if communes else None,
        status,
        commune_code,
        programme_code,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [PaymentRecord(**dict(r)) for r in rows]


async def get_payment(payment_id: uuid.UUID, *, lock: bool = False) -> PaymentRecord | None:
    row = await _fetchrow(
        f"{PAYMENT_SELECT} WHERE y.id = $1{' FOR UPDATE OF y' if lock else ''}", payment_id
    )
    return PaymentRecord(**dict(row)) if row else None


async def payments_by_key(
    period_id: uuid.UUID, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], PaymentRecord]:
    """The period's payments of these (personal id, programme) pairs, locked."""
    if not keys:
        return {}
    rows = await _fetch(
        f"{PAYMENT_SELECT} JOIN unnest($2::varchar[], $3::varchar[]) AS k(pid, prog)"
        " ON k.pid = b.personal_id AND k.prog = y.programme_code"
        " WHERE y.period_id = $1 FOR UPDATE OF y",
        period_id,
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    return {(r["personal_id"], r["programme_code"]): PaymentRecord(**dict(r)) for r in rows}


async def record_results(rows: Sequence[tuple[Any, ...]]) -> None:
    """(id, status, paid_on, transaction_ref, failure_reason, recorded_by, import_id)."""
    if rows:
        await _connection().executemany(
            "UPDATE welfare_payments SET status = $2, paid_on = $3, transaction_ref = $4,"
            " failure_reason = $5, recorded_by = $6, import_id = $7, recorded_at = now()"
            " WHERE id = $1",
            rows,
        )


async def next_payout(beneficiary_id: uuid.UUID, programme_code: str, today: date) -> date | None:
    row = await _fetchrow(
        "SELECT min(p.payout_date) AS d FROM welfare_payments y"
        " JOIN welfare_periods p ON p.id = y.period_id WHERE y.beneficiary_id = $1"
        " AND y.programme_code = $2 AND y.status = 'pending' AND p.payout_date >= $3",
        beneficiary_id,
        programme_code,
        today,
    )
    return row["d"] if row else None


async def statistics(communes: Sequence[str] | None) -> dict[str, Any]:
    scope = list(communes) if communes else None
    by_status = await _fetch(
        "SELECT status, count(*)::int AS n FROM welfare_beneficiaries"
        " WHERE ($1::varchar[] IS NULL OR commune_code = ANY($1)) GROUP BY status",
        scope,
    )
    by_programme = await _fetch(
        "SELECT e.programme_code, count(*)::int AS n FROM welfare_enrolments e"
        " JOIN welfare_beneficiaries b ON b.id = e.beneficiary_id"
        " WHERE e.active AND ($1::varchar[] IS NULL OR b.commune_code = ANY($1))"
        " GROUP BY e.programme_code",
        scope,
    )
    flags = await _fetchrow(
        "SELECT count(*)::int AS n FROM welfare_flags f JOIN welfare_beneficiaries b"
        " ON b.id = f.beneficiary_id WHERE f.status = 'open'"
        " AND ($1::varchar[] IS NULL OR b.commune_code = ANY($1))",
        scope,
    )
    running = await _fetchrow(
        "SELECT count(*)::int AS n FROM welfare_imports WHERE status IN ('queued', 'running')"
    )
    return {
        "by_status": {r["status"]: r["n"] for r in by_status},
        "by_programme": {r["programme_code"]: r["n"] for r in by_programme},
        "open_flags": flags["n"],
        "imports_running": running["n"],
    }
