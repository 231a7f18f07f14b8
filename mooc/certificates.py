"""Certificates of completion: issued once per enrolment when the course completes, with an
unguessable verification code; the learner's own list and PDF; the public verification
(name, course, date, valid or revoked — nothing else about the person); revocation by a
course admin, audited."""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.audit.service import do_record
from backend.identity.service import names_of
from backend.settings import get_settings
from mooc import certificate_repository as repository
from mooc.certificate_repository import CertificateRow
from mooc.progress_errors import (
    CertificateAlreadyRevoked,
    CertificateNotFound,
    RevocationReasonRequired,
)
from notifications.service import notify

CODE_BYTES = 15
"""120 random bits: 24 characters of base32 (A–Z, 2–7: easy to read aloud or type)."""

__all__ = [
    "CertificateRow",
    "Verification",
    "access_my_certificate",
    "do_issue_certificate",
    "do_revoke_certificate",
    "list_my_certificates",
    "new_code",
    "verification_url",
    "verify_certificate",
]


def new_code() -> str:
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii")


def verification_url(code: str) -> str:
    """The public page the QR code points to."""
    return f"{get_settings().base_url}/certificates/{code}"


async def do_issue_certificate(enrolment_id: uuid.UUID, at: datetime) -> CertificateRow | None:
    """Issue the enrolment's certificate, once: the learner's full name and the title of the
    course version they completed, as on this day; the learner is notified
    (`courses.certificate_issued`: the inbox item in this transaction, the push after commit).
    None when the enrolment already has its certificate (nothing is sent again) or does not
    exist."""
    found = await repository.course_title_of(enrolment_id)
    if found is None:
        return None
    person_id, course_id, title = found
    name = (await names_of([person_id])).get(person_id) or "—"
    row = await repository.insert(
        code=new_code(),
        enrolment_id=enrolment_id,
        person_id=person_id,
        course_id=course_id,
        learner_name=name,
        course_title=title,
        issued_at=at,
    )
    if row is None:
        return None
    await notify(
        person_id,
        "courses.certificate_issued",
        {"course": title},
        deep_link=f"ctn://mooc/certificates/{row.id}",
        category="courses",
    )
    return row


async def list_my_certificates(person_id: uuid.UUID) -> list[CertificateRow]:
    return await repository.of_person(person_id)


async def access_my_certificate(person_id: uuid.UUID, certificate_id: uuid.UUID) -> CertificateRow:
    """The person's own certificate; anyone else's is `CertificateNotFound` (as if absent)."""
    row = await repository.by_id_of_person(certificate_id, person_id)
    if row is None:
        raise CertificateNotFound()
    return row


@dataclass(frozen=True, slots=True)
class Verification:
    """All the public page tells: whose (name as printed), which course, when, and whether
    it still stands."""

    code: str
    learner_name: str
    course_title: str
    issued_at: datetime
    valid: bool
    revoked_at: datetime | None


def _plausible(code: str) -> bool:
    return 8 <= len(code) <= 32 and code.isascii() and code.isalnum()


async def verify_certificate(code: str) -> Verification:
    """The public verification of a code (case-insensitive); `CertificateNotFound` for an
    unknown one."""
    code = code.strip().upper()
    row = await repository.by_code(code) if _plausible(code) else None
    if row is None:
        raise CertificateNotFound()
    return Verification(
        code=row.code,
        learner_name=row.learner_name,
        course_title=row.course_title,
        issued_at=row.issued_at,
        valid=row.revoked_at is None,
        revoked_at=row.revoked_at,
    )


async def do_revoke_certificate(
    admin_id: uuid.UUID, code: str, reason: str, *, at: datetime | None = None
) -> CertificateRow:
    """Revoke a certificate with a reason (audited: `mooc.certificate_revoked`, the reason in
    the entry, no name). Revoking a revoked one is `CertificateAlreadyRevoked`."""
    reason = reason.strip()
    if not reason:
        raise RevocationReasonRequired()
    code = code.strip().upper()
    if not _plausible(code):
        raise CertificateNotFound()
    row, revoked = await repository.revoke(
        code, at=at or datetime.now(UTC), reason=reason[:2000], by=admin_id
    )
    if row is None:
        raise CertificateNotFound()
    if not revoked:
        raise CertificateAlreadyRevoked()
    await do_record(
        "mooc.certificate_revoked",
        actor_id=str(admin_id),
        object_type="mooc_certificate",
        object_id=str(row.id),
        reason=reason[:2000],
        details={"course": str(row.course_id), "enrolment": str(row.enrolment_id)},
    )
    return row
