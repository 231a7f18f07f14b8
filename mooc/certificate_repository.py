"""Queries of certificates (raw SQL on the unit of work's connection, like the rest of the
MOOC). A certificate is unique per enrolment: issuing twice inserts nothing the second time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from mooc import sql


@dataclass(frozen=True, slots=True)
class CertificateRow:
    id: uuid.UUID
    code: str
    enrolment_id: uuid.UUID
    person_id: uuid.UUID
    course_id: uuid.UUID
    learner_name: str
    course_title: str
    issued_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None


_COLUMNS = (
    "id, code, enrolment_id, person_id, course_id, learner_name, course_title, issued_at,"
    " revoked_at, revoked_reason"
)


def _row(row: object) -> CertificateRow:
    return CertificateRow(**{k: row[k] for k in CertificateRow.__slots__})  # type: ignore[index]  # asyncpg Record


async def course_title_of(enrolment_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID, str] | None:
    """(person, course, title of the enrolment's version) of an enrolment."""
    row = await sql.fetchrow(
        "SELECT e.person_id, e.course_id, v.title FROM mooc_enrolments e"
        " JOIN mooc_course_versions v ON v.id = e.version_id WHERE e.id = $1",
        enrolment_id,
    )
    return None if row is None else (row["person_id"], row["course_id"], row["title"])


async def insert(
    *,
    code: str,
    enrolment_id: uuid.UUID,
    person_id: uuid.UUID,
    course_id: uuid.UUID,
    learner_name: str,
    course_title: str,
    issued_at: datetime,
) -> CertificateRow | None:
    """The new certificate, or None when the enrolment already has one."""
    row = await sql.fetchrow(
        "INSERT INTO mooc_certificates (id, code, enrolment_id, person_id, course_id,"
        " learner_name, course_title, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        f" ON CONFLICT (enrolment_id) DO NOTHING RETURNING {_COLUMNS}",
        uuid.uuid4(),
        code,
        enrolment_id,
        person_id,
        course_id,
        learner_name[:200],
        course_title[:200],
        issued_at,
    )
    return None if row is None else _row(row)


async def by_enrolment(enrolment_id: uuid.UUID) -> CertificateRow | None:
    row = await sql.fetchrow(
        f"SELECT {_COLUMNS} FROM mooc_certificates WHERE enrolment_id = $1", enrolment_id
    )
    return None if row is None else _row(row)


async def by_code(code: str) -> CertificateRow | None:
    row = await sql.fetchrow(f"SELECT {_COLUMNS} FROM mooc_certificates WHERE code = $1", code)
    return None if row is None else _row(row)


async def by_id_of_person(certificate_id: uuid.UUID, person_id: uuid.UUID) -> CertificateRow | None:
    row = await sql.fetchrow(
        f"SELECT {_COLUMNS} FROM mooc_certificates WHERE id = $1 AND person_id = $2",
        certificate_id,
        person_id,
    )
    return None if row is None else _row(row)


async def of_person(person_id: uuid.UUID) -> list[CertificateRow]:
    rows = await sql.fetch(
        f"SELECT {_COLUMNS} FROM mooc_certificates WHERE person_id = $1"
        " ORDER BY issued_at DESC, id",
        person_id,
    )
    return [_row(row) for row in rows]


async def revoke(
    code: str, *, at: datetime, reason: str, by: uuid.UUID
) -> tuple[CertificateRow | None, bool]:
    """Revoke the certificate (once: a revoked one keeps its first date and reason).
    (row, whether this call revoked it); (None, False) for an unknown code."""
    row = await sql.fetchrow(
        "UPDATE mooc_certificates SET revoked_at = $2, revoked_reason = $3, revoked_by = $4"
        f" WHERE code = $1 AND revoked_at IS NULL RETURNING {_COLUMNS}",
        code,
        at,
        reason,
        by,
    )
    if row is not None:
        return _row(row), True
    return await by_code(code), False
