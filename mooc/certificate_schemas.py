"""Values of certificates that cross HTTP (msgspec Structs)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec


class CertificateOut(msgspec.Struct, frozen=True, kw_only=True):
    """A learner's own certificate."""

    id: uuid.UUID
    code: str
    course_id: uuid.UUID
    course_title: str
    learner_name: str
    issued_at: datetime
    revoked: bool
    revoked_at: datetime | None
    verification_url: str
    pdf_url: str


class CertificateVerification(msgspec.Struct, frozen=True, kw_only=True):
    """All anyone learns from a verification code."""

    code: str
    learner_name: str
    course_title: str
    issued_at: datetime
    valid: bool
    revoked_at: datetime | None


class RevocationIn(msgspec.Struct, frozen=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class RevocationOut(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    revoked_at: datetime
    reason: str
