"""Roles are granted and revoked by system administrators through the API, each change in
the audit log, which auditors read with filters; a revoked role stops working at once."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from backend.access import Role
from backend.app import create_app
from backend.security_events import read_events
from backend.settings import load_settings
from tests.support.auth import TEST_AGENCY, auth_headers, bearer_for, create_person


async def test_an_admin_grants_a_role_with_its_agency_and_it_is_audited(
    client: httpx.AsyncClient,
) -> None:
    admin = await auth_headers(Role.SYSTEM_ADMIN)
    await create_person(Role.CIVIL_SERVANT)  # makes the test agency exist
    person = await create_person()
    granted = await client.post(
        f"/api/v1/people/{person}/roles",
        headers=admin,
        json={"role": "civil_servant", "agency": TEST_AGENCY, "reason": "Tuyển dụng mới"},
    )
    assert granted.status_code == 201, granted.text
    assert granted.json()["agency"]["code"] == TEST_AGENCY
    me = (await client.get("/api/v1/me", headers=await bearer_for(person))).json()
    assert me["roles"] == ["citizen", "civil_servant"]
    assert me["agencies"][0]["code"] == TEST_AGENCY
    auditor = await auth_headers(Role.AUDITOR)
    log = await client.get(
        "/api/v1/audit", headers=auditor, params={"action": "role.*", "object_id": str(person)}
    )
    assert log.status_code == 200
    [entry] = log.json()["items"]
    assert entry["action"] == "role.grant"
    assert entry["reason"] == "Tuyển dụng mới"
    assert entry["details"]["role"] == "civil_servant"
    assert entry["actor_id"] != str(person)


async def test_memberships_are_checked(client: httpx.AsyncClient) -> None:
    admin = await auth_headers(Role.SYSTEM_ADMIN)
    person = await create_person()
    cases = [
        ({"role": "civil_servant", "reason": "r r r"}, 422, "membership_required"),
        ({"role": "police_officer", "reason": "r r r"}, 422, "membership_required"),
        (
            {"role": "civil_servant", "agency": "NO-SUCH", "reason": "r r r"},
            422,
            "agency_not_found",
        ),
        ({"role": "emperor", "reason": "r r r"}, 422, "validation_failed"),
        ({"role": "auditor"}, 422, "validation_failed"),
    ]
    for body, status, code in cases:
        response = await client.post(f"/api/v1/people/{person}/roles", headers=admin, json=body)
        assert (response.status_code, response.json()["code"]) == (status, code), body
    missing = await client.post(
        f"/api/v1/people/{uuid.uuid4()}/roles",
        headers=admin,
        json={"role": "auditor", "reason": "r r r"},
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "person_not_found"


async def test_a_revoked_role_stops_working_at_once(client: httpx.AsyncClient) -> None:
    admin = await auth_headers(Role.SYSTEM_ADMIN)
    auditor = await create_person(Role.AUDITOR)
    token = await bearer_for(auditor)
    assert (await client.get("/api/v1/audit", headers=token)).status_code == 200
    revoked = await client.delete(
        f"/api/v1/people/{auditor}/roles/auditor", headers=admin, params={"reason": "Nghỉ việc"}
    )
    assert revoked.status_code == 204
    assert (await client.get("/api/v1/audit", headers=token)).status_code == 403
    again = await client.delete(
        f"/api/v1/people/{auditor}/roles/auditor", headers=admin, params={"reason": "Nghỉ việc"}
    )
    assert again.json()["code"] == "role_not_granted"


async def test_an_admin_cannot_revoke_their_own_admin_role(client: httpx.AsyncClient) -> None:
    admin_id = await create_person(Role.SYSTEM_ADMIN)
    response = await client.delete(
        f"/api/v1/people/{admin_id}/roles/system_admin",
        headers=await bearer_for(admin_id),
        params={"reason": "oops"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "cannot_revoke_own_admin"


async def test_auditors_filter_by_actor_and_time_and_their_reads_are_recorded(
    client: httpx.AsyncClient,
) -> None:
    admin_id = await create_person(Role.SYSTEM_ADMIN)
    admin = await bearer_for(admin_id)
    for _ in range(3):
        person = await create_person()
        await client.post(
            f"/api/v1/people/{person}/roles",
            headers=admin,
            json={"role": "course_admin", "reason": "Phân công"},
        )
    auditor_id = await create_person(Role.AUDITOR)
    auditor = await bearer_for(auditor_id)
    now = datetime.now(UTC)
    page = await client.get(
        "/api/v1/audit",
        headers=auditor,
        params={
            "actor": str(admin_id),
            "from": (now - timedelta(minutes=5)).isoformat(),
            "to": (now + timedelta(minutes=5)).isoformat(),
            "limit": 2,
        },
    )
    body = page.json()
    assert [e["action"] for e in body["items"]] == ["role.grant", "role.grant"]
    rest = await client.get(
        "/api/v1/audit",
        headers=auditor,
        params={"actor": str(admin_id), "cursor": body["next_cursor"], "limit": 2},
    )
    assert len(rest.json()["items"]) == 1
    assert rest.json()["next_cursor"] is None
    future = await client.get(
        "/api/v1/audit",
        headers=auditor,
        params={"actor": str(admin_id), "from": (now + timedelta(hours=1)).isoformat()},
    )
    assert future.json()["items"] == []
    reads = await client.get(
        "/api/v1/audit", headers=auditor, params={"actor": str(auditor_id), "action": "audit.read"}
    )
    assert len(reads.json()["items"]) == 3


async def test_a_denied_request_is_a_security_event_without_personal_data(
    client: httpx.AsyncClient,
) -> None:
    citizen = await create_person()
    response = await client.get("/api/v1/audit", headers=await bearer_for(citizen))
    assert response.status_code == 403
    event = read_events(load_settings().security_log_path)[-1]
    assert event["event"] == "access_denied"
    assert event["actor"] == str(citizen)
    assert event["route"] == "/api/v1/audit"
    assert set(event) <= {"time", "event", "request_id", "actor", "client", "route", "method"}


async def test_staff_roles_need_the_required_assurance_level(db: None) -> None:
    app = create_app(load_settings({**os.environ, "CTN_OIDC_STAFF_ACR": "LoA3"}))
    auditor = await create_person(Role.AUDITOR)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        headers = await bearer_for(auditor)  # signed in at LoA2
        me = await http.get("/api/v1/me", headers=headers)
        assert me.json()["roles"] == ["citizen"]
        assert (await http.get("/api/v1/audit", headers=headers)).status_code == 403


async def test_idempotency_keys_belong_to_the_person(client: httpx.AsyncClient) -> None:
    key = str(uuid.uuid4())
    first = await client.post(
        "/test/counters/shared",
        json={"by": 1},
        headers={**await auth_headers(), "Idempotency-Key": key},
    )
    second = await client.post(
        "/test/counters/shared",
        json={"by": 1},
        headers={**await auth_headers(), "Idempotency-Key": key},
    )
    assert first.json()["value"] == 1
    assert second.json()["value"] == 2  # another person's request, not a replay
    assert "idempotent-replayed" not in second.headers


async def test_me_shows_every_grant_with_its_units_names_and_communes(
    client: httpx.AsyncClient,
) -> None:
    person = await create_person(Role.POLICE_OFFICER, Role.WELFARE_OFFICER, communes=("05443",))
    me = (await client.get("/api/v1/me", headers=await bearer_for(person))).json()
    by_role = {grant["role"]: grant for grant in me["grants"]}
    assert sorted(by_role) == ["police_officer", "welfare_officer"]
    police = by_role["police_officer"]
    assert police["police_unit"] == {"code": "TEST-POLICE", "name": "Đơn vị TEST-POLICE"}
    assert police["granted_at"]
    assert by_role["welfare_officer"]["communes"] == ["05443"]
    assert me["police_units"] == [{"code": "TEST-POLICE", "name": "Đơn vị TEST-POLICE"}]
