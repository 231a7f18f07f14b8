"""The identity domain's service: everything its endpoints, its guard and other domains call.

The logic lives in modules by what it does; this module is their table of contents:

- `identity.signin` — the code flow with the provider, the person its claims name, then the
  app's one-time handoff code or the browser's session;
- `identity.tokens` — the app's refresh families and tokens (rotation, reuse detection);
- `identity.sessions` — who is calling (bearer token or web session), CSRF, sign-out and the
  provider's back-channel logout;
- `identity.people` — the signed-in person, people, roles, agencies and police units;
- `identity.directory` — who holds a role where (audiences of other domains; the members,
  departments and managers of mandatory training);
- `identity.purge` — sign-in state nobody can use any more.

Our access-token signing keys are `identity.keys`; the provider is `identity.oidc`.
"""

from __future__ import annotations

from backend.identity.directory import (
    CivilServant,
    IdentityRecord,
    Member,
    civil_servant_members,
    civil_servant_of,
    count_members_by_agency,
    count_persons,
    identities_by_personal_id,
    list_departments,
    managed_agencies,
    members_with_role,
    names_of,
    person_ids_by_personal_id,
    personal_id_of,
)
from backend.identity.keys import check_secret_opens_signing_key
from backend.identity.oidc import close_clients, get_client
from backend.identity.people import (
    access_people,
    access_person,
    count_staff_people,
    do_grant_role,
    do_provision_person,
    do_revoke_role,
    do_upsert_agency,
    do_upsert_police_unit,
    get_me,
    get_person_roles,
    list_agencies,
    list_police_units,
)
from backend.identity.purge import do_purge_expired
from backend.identity.sessions import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    authenticate_bearer,
    authenticate_session,
    check_csrf,
    cookie_is_secure,
    do_backchannel_logout,
    do_sign_out,
    do_sign_out_everywhere,
    end_session_url,
)
from backend.identity.signin import (
    LOGIN_FLOW_MINUTES,
    MobileHandoff,
    app_error_redirect,
    begin_mobile_sign_in,
    begin_web_sign_in,
    consume_login_flow,
    do_finish_sign_in,
    validate_callback,
)
from backend.identity.synthetic import SYNTHETIC_PREFIX, do_load_synthetic_people
from backend.identity.tokens import do_issue_tokens, do_redeem_handoff_code, do_refresh
from backend.settings import Settings

__all__ = [
    "CSRF_COOKIE",
    "LOGIN_FLOW_MINUTES",
    "SESSION_COOKIE",
    "SYNTHETIC_PREFIX",
    "CivilServant",
    "IdentityRecord",
    "Member",
    "MobileHandoff",
    "access_people",
    "access_person",
    "app_error_redirect",
    "authenticate_bearer",
    "authenticate_session",
    "begin_mobile_sign_in",
    "begin_web_sign_in",
    "check_csrf",
    "check_provider_answers",
    "check_secret_opens_signing_key",
    "civil_servant_members",
    "civil_servant_of",
    "consume_login_flow",
    "cookie_is_secure",
    "count_members_by_agency",
    "count_persons",
    "count_staff_people",
    "do_backchannel_logout",
    "do_finish_sign_in",
    "do_grant_role",
    "do_issue_tokens",
    "do_load_synthetic_people",
    "do_provision_person",
    "do_purge_expired",
    "do_redeem_handoff_code",
    "do_refresh",
    "do_revoke_role",
    "do_sign_out",
    "do_sign_out_everywhere",
    "do_upsert_agency",
    "do_upsert_police_unit",
    "end_session_url",
    "get_me",
    "get_person_roles",
    "identities_by_personal_id",
    "list_agencies",
    "list_departments",
    "list_police_units",
    "managed_agencies",
    "members_with_role",
    "names_of",
    "person_ids_by_personal_id",
    "personal_id_of",
    "validate_callback",
]


async def check_provider_answers(settings: Settings) -> None:
    """Raise unless the configured provider's discovery document and key set can be read
    (and name the configured issuer). For operators' checks: its HTTP clients are closed."""
    try:
        client = get_client(settings)
        await client.metadata()
        await client.jwks()
    finally:
        await close_clients()
