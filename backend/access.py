"""Who is calling, and the one way a route says whom it admits.

Every route handler carries `opt={"access": <rule>}`: `PUBLIC` (no sign-in), `SIGNED_IN`
(any person; everyone is a citizen) or `roles(...)` (any of the named roles). The guard in
`backend.identity.guard` enforces it for every route, and a test fails when a route has none.
The authenticated caller is `request.user` (`scope["user"]`): a `Principal`, or None.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any, Literal

import msgspec


class Role(enum.StrEnum):
    CITIZEN = "citizen"
    CIVIL_SERVANT = "civil_servant"
    POLICE_OFFICER = "police_officer"
    POLICE_SUPERVISOR = "police_supervisor"
    COMMS_OFFICER = "comms_officer"
    COMMS_APPROVER = "comms_approver"
    WELFARE_OFFICER = "welfare_officer"
    COURSE_ADMIN = "course_admin"
    AUDITOR = "auditor"
    SYSTEM_ADMIN = "system_admin"


STAFF_ROLES = frozenset(Role) - {Role.CITIZEN}


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """The signed-in person as the request sees it (roles read from the database per request,
    so a revoked role stops working at once)."""

    id: uuid.UUID
    roles: frozenset[str]
    agencies: frozenset[str] = frozenset()
    """Codes of the agencies the person serves in (civil servants)."""
    police_units: frozenset[str] = frozenset()
    """Codes of the police units the person belongs to (officers, supervisors)."""
    communes: frozenset[str] = frozenset()
    """Commune codes a welfare officer is limited to; empty means the whole province."""
    managed_agencies: frozenset[str] = frozenset()
    """Codes of the agencies a civil servant manages (their grant's manager flag): they see
    those agencies' training reports."""
    via: Literal["bearer", "session"] = "bearer"
    session_id: uuid.UUID | None = None
    """The web session, when signed in by cookie."""
    family_id: uuid.UUID | None = None
    """The refresh-token family the access token belongs to (revoked → token refused)."""
    profile: Any = None
    """The caller's own person row and grants, read with the principal in one query when the
    route asks for them (`opt` `profile: True`, GET /api/v1/me); None otherwise."""

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)


class Rule(msgspec.Struct, frozen=True):
    """An access rule: `public` admits anyone, `roles` empty admits any signed-in person."""

    public: bool = False
    roles: frozenset[str] = frozenset()

    def admits(self, principal: Principal | None) -> bool:
        if self.public:
            return True
        if principal is None:
            return False
        return not self.roles or bool(self.roles & principal.roles)

    def describe(self) -> str:
        if self.public:
            return "public"
        return "signed in" if not self.roles else " | ".join(sorted(self.roles))


PUBLIC = Rule(public=True)
SIGNED_IN = Rule()


def roles(*names: Role | str) -> Rule:
    """A rule admitting any of these roles (system_admin is not implied: say it when meant)."""
    unknown = {str(n) for n in names} - {r.value for r in Role}
    if unknown or not names:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    return Rule(roles=frozenset(str(n) for n in names))


def caller(connection: Any) -> Principal | None:
    """The signed-in person of a request (`scope["user"]`, set by the authentication
    middleware), or None."""
    user = connection.scope.get("user")
    return user if isinstance(user, Principal) else None


def signed_in(connection: Any) -> Principal:
    """The caller of a route whose rule admits signed-in people only."""
    user = caller(connection)
    if user is None:  # the guard already refused anonymous callers: a misdeclared route
        raise RuntimeError("a route that needs a signed-in caller declares a public rule")
    return user


def access(rule: Rule, **other: Any) -> dict[str, Any]:
    """Route options with an access rule: `@get("/x", opt=access(PUBLIC, etag=True))`."""
    return {"access": rule, **other}
