from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table


class Person(Table, tablename="persons"):
    """Someone who signs in. Keyed by the provider's (issuer, subject); a staff member may be
    provisioned by personal identification number before the first sign-in binds the subject.
    The identity claims are refreshed at every sign-in."""

    id = UUID(primary_key=True)
    issuer = Varchar(length=255, null=True, default=None)
    subject = Varchar(length=255, null=True, default=None)
    personal_id = Varchar(length=12, null=True, default=None, unique=True)
    full_name = Varchar(length=200, null=True, default=None)
    birth_date = Date(null=True, default=None)
    gender = Varchar(length=20, null=True, default=None)
    address = Text(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    last_sign_in_at = Timestamptz(null=True, default=None)


class Agency(Table, tablename="agencies"):
    """A state agency (sở, ban, ngành, UBND xã) whose staff are civil servants."""

    code = Varchar(length=40, primary_key=True)
    name = Varchar(length=200)
    commune_code = Varchar(length=5, null=True, default=None)


class PoliceUnit(Table, tablename="police_units"):
    """A police unit and the communes it answers for."""

    code = Varchar(length=40, primary_key=True)
    name = Varchar(length=200)
    communes = Array(base_column=Varchar(length=5))


class RoleGrant(Table, tablename="role_grants"):
    """One role of one person (unique per person and role), with its membership: the agency
    of a civil servant, the police unit of an officer, the communes of a welfare officer.
    A civil servant's grant may also name their `department` in the agency and carry the
    `manager` flag (they see their agency's training reports); other grants never do."""

    id = Serial(primary_key=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=40)
    agency = ForeignKey(references=Agency, null=True, default=None)
    police_unit = ForeignKey(references=PoliceUnit, null=True, default=None)
    communes = Array(base_column=Varchar(length=5))
    granted_by = UUID(null=True, default=None)
    granted_at = Timestamptz()
    department = Varchar(length=120, null=True, default=None)
    manager = Boolean(default=False)


class SigningKey(Table, tablename="signing_keys"):
    """Our access-token signing keys. The newest unretired key signs; a retired key keeps
    verifying until the tokens it signed have expired. The private key is encrypted with a
    key derived from CTN_SECRET_KEY."""

    kid = Varchar(length=64, primary_key=True)
    alg = Varchar(length=10)
    private_key = Bytea()
    public_jwk = JSONB()
    created_at = Timestamptz()
    retired_at = Timestamptz(null=True, default=None)


class LoginFlow(Table, tablename="login_flows"):
    """A code flow in progress with the provider (state, nonce, PKCE), single use."""

    state_hash = Varchar(length=64, primary_key=True)
    kind = Varchar(length=10)
    nonce = Varchar(length=64)
    code_verifier = Varchar(length=128)
    app_redirect_uri = Text(null=True, default=None)
    app_state = Text(null=True, default=None)
    app_code_challenge = Varchar(length=128, null=True, default=None)
    return_to = Text(null=True, default=None)
    browser_hash = Varchar(length=64, null=True, default=None)
    """Hash of the value of a cookie set on the browser that started a web sign-in: the
    callback must come back to that browser (no login CSRF)."""
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True)
    consumed_at = Timestamptz(null=True, default=None)


class HandoffCode(Table, tablename="handoff_codes"):
    """The one-time code handed to the mobile app after sign-in (60 s, single use)."""

    code_hash = Varchar(length=64, primary_key=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade)
    code_challenge = Varchar(length=128)
    redirect_uri = Text()
    provider_sid = Varchar(length=255, null=True, default=None)
    acr = Varchar(length=64, null=True, default=None)
    expires_at = Timestamptz(index=True)
    used_at = Timestamptz(null=True, default=None)


class RefreshFamily(Table, tablename="refresh_families"):
    """All refresh tokens descending from one sign-in. Reuse of a spent token revokes it."""

    id = UUID(primary_key=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, index=True)
    provider_sid = Varchar(length=255, null=True, default=None, index=True)
    acr = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    revoked_reason = Varchar(length=40, null=True, default=None)


class RefreshToken(Table, tablename="refresh_tokens"):
    token_hash = Varchar(length=64, primary_key=True)
    family = ForeignKey(references=RefreshFamily, on_delete=OnDelete.cascade, index=True)
    issued_at = Timestamptz()
    idle_expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class WebSession(Table, tablename="web_sessions"):
    """A browser session of the web console (HttpOnly cookie). Its CSRF token is derived from
    the cookie (HMAC), so nothing else is stored."""

    id = UUID(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, index=True)
    provider_sid = Varchar(length=255, null=True, default=None, index=True)
    acr = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class ThrottleCounter(Table, tablename="throttle_counters"):
    """Sign-in attempts counted per limit, subject and one-minute window, shared by every
    process. UNLOGGED (set by its migration): counters are worth no WAL and may be lost in a
    crash. `key` is `<limit>:<hashed subject>:<window>`; rows die with their window."""

    key = Varchar(length=120, primary_key=True)
    hits = Integer(default=0)
    expires_at = Timestamptz(index=True)
