"""What crosses HTTP in the identity domain."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from backend.access import Role

CommuneCode = Annotated[str, msgspec.Meta(pattern=r"^\d{5}$")]
UnitCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]


class TokenRequest(msgspec.Struct, kw_only=True):
    """`POST /api/v1/auth/token` (JSON or application/x-www-form-urlencoded)."""

    grant_type: Literal["authorization_code", "refresh_token"]
    code: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    code_verifier: Annotated[str, msgspec.Meta(min_length=43, max_length=128)] | None = None
    redirect_uri: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    refresh_token: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class TokenPair(msgspec.Struct, kw_only=True):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class LogoutResult(msgspec.Struct, kw_only=True):
    end_session_url: str | None
    """Where to send the browser to end the provider's session too (None: it has no such
    endpoint)."""


class RevokeRequest(msgspec.Struct, kw_only=True):
    refresh_token: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class Membership(msgspec.Struct, kw_only=True):
    code: str
    name: str


class RoleInfo(msgspec.Struct, kw_only=True):
    role: str
    agency: Membership | None = None
    police_unit: Membership | None = None
    communes: list[str] = []
    granted_at: datetime | None = None
    department: str | None = None
    """A civil servant's department in their agency."""
    manager: bool = False
    """A civil servant who manages their agency (sees its training reports)."""


class Me(msgspec.Struct, kw_only=True):
    """The signed-in person: profile, roles and memberships."""

    id: uuid.UUID
    full_name: str | None
    personal_id: str | None
    birth_date: date | None
    gender: str | None
    address: str | None
    roles: list[str]
    grants: list[RoleInfo]
    agencies: list[Membership]
    police_units: list[Membership]
    last_sign_in_at: datetime | None
    csrf_token: str | None = None
    """With a web session: the value to send as `X-CSRF-Token` on unsafe requests."""


class PersonSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    full_name: str | None
    personal_id: str | None
    roles: list[str]


class PersonPage(msgspec.Struct, kw_only=True):
    items: list[PersonSummary]
    next_cursor: str | None


class GrantRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    role: Role
    agency: UnitCode | None = None
    police_unit: UnitCode | None = None
    communes: list[CommuneCode] = []
    department: Annotated[str, msgspec.Meta(min_length=1, max_length=120)] | None = None
    """Civil servants: their department in the agency (ignored for other roles)."""
    manager: bool = False
    """Civil servants: they manage their agency (see its training reports)."""
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]


class ProvisionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A staff member known by personal identification number before their first sign-in."""

    personal_id: Annotated[str, msgspec.Meta(pattern=r"^\d{12}$")]
    full_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None


class Agency(msgspec.Struct, kw_only=True):
    code: UnitCode
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    commune_code: CommuneCode | None = None


class PoliceUnit(msgspec.Struct, kw_only=True):
    code: UnitCode
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    communes: list[CommuneCode] = []


class Jwks(msgspec.Struct):
    keys: list[dict[str, str]]


class Department(msgspec.Struct, kw_only=True):
    """A department of an agency, as civil servants' grants name it."""

    agency_code: str
    department: str
    members: int
