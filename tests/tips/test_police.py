"""The police side over HTTP: routing into the right queue, who sees what (404 for other
units), reading a report (audited), the workflow's allowed and refused steps, concurrent
edits, transfers, messages and notifications."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from backend.access import Role
from backend.tips import police
from tests.tips.police_fixtures import (
    COMMUNE_A,
    COMMUNE_B,
    POLICE_API,
    UNIT_A,
    UNIT_B,
    Officer,
    audit_trail,
    file_anonymous,
    file_confidential,
    inbox_titles,
    police_person,
    queue,
    tip_id_of,
    two_units,
)


async def step(
    client: httpx.AsyncClient, who: Officer, tip_id: str, action: str, **body: Any
) -> httpx.Response:
    return await client.post(f"{POLICE_API}/{tip_id}/{action}", json=body, headers=who.headers)


async def detail(client: httpx.AsyncClient, who: Officer, tip_id: str) -> dict[str, Any]:
    answer = await client.get(f"{POLICE_API}/{tip_id}", headers=who.headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


# --- routing and who sees what -----------------------------------------------------------------


async def test_a_report_goes_to_the_unit_of_its_commune_or_to_the_provincial_queue(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    in_a, _ = await file_confidential(tips_client, COMMUNE_A)
    in_b = await file_anonymous(tips_client, COMMUNE_B)
    nowhere, _ = await file_confidential(tips_client, None)

    seen_by_a = [t["reference"] for t in await queue(tips_client, units.a_officer)]
    seen_by_b = [t["reference"] for t in await queue(tips_client, units.b_supervisor)]
    seen_by_province = await queue(tips_client, units.province_officer)
    assert seen_by_a == [in_a["reference"]]
    assert seen_by_b == [in_b["reference"]]
    assert [t["reference"] for t in seen_by_province] == [nowhere["reference"]]
    assert seen_by_province[0]["unit_code"] is None
    provincial = await queue(tips_client, units.province_supervisor, unit="provincial")
    assert [t["reference"] for t in provincial] == [nowhere["reference"]]
    a_item = (await queue(tips_client, units.a_supervisor))[0]
    assert (a_item["unit_code"], a_item["status"], a_item["urgency"]) == (
        UNIT_A,
        "received",
        None,
    )


async def test_an_officer_of_another_unit_gets_404_never_the_report(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    filed, _ = await file_confidential(tips_client, COMMUNE_A)
    tip_id = await tip_id_of(tips_client, units.a_officer, filed["reference"])
    for outsider in (units.b_officer, units.b_supervisor, units.province_supervisor):
        answer = await tips_client.get(f"{POLICE_API}/{tip_id}", headers=outsider.headers)
        assert answer.status_code == 404
        assert answer.json()["code"] == "tip_not_found"
        for action, body in (
            ("triage", {"urgency": "high", "version": 1}),
            ("close", {"outcome": "unfounded", "version": 1}),
            ("transfer", {"unit_code": UNIT_B, "reason": "mine now", "version": 1}),
            ("messages", {"body": "Xin chào"}),
        ):
            refused = await step(tips_client, outsider, tip_id, action, **body)
            assert refused.status_code == 404, (action, refused.text)
            assert refused.json()["code"] == "tip_not_found"
        assert await queue(tips_client, outsider, q=filed["reference"]) == []
    # Nothing about the report was read: no audit entry of a read by them.
    reads = await audit_trail("tip.read", tip_id)
    assert reads == []


async def test_people_without_a_police_role_are_refused(tips_client: httpx.AsyncClient) -> None:
    citizen = await police_person_headers()
    answer = await tips_client.get(POLICE_API, headers=citizen)
    assert answer.status_code == 403


async def police_person_headers() -> dict[str, str]:
    from tests.support.auth import auth_headers

    return await auth_headers(Role.COMMS_OFFICER)


# --- reading a report ----------------------------------------------------------------------------


async def test_reading_a_report_decrypts_it_names_a_confidential_reporter_and_is_audited(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    filed, _ = await file_confidential(tips_client, COMMUNE_A)
    tip_id = await tip_id_of(tips_client, units.a_officer, filed["reference"])
    report = await detail(tips_client, units.a_officer, tip_id)
    assert report["content"]["description"].startswith("Có người bán ma túy")
    assert "Nguyễn Văn Bán" in report["content"]["people"]
    assert report["kind"] == "confidential"
    assert report["reporter"]["full_name"] == "Người thử nghiệm"
    assert report["history"][0]["action"] == "received"
    assert report["allowed_actions"] == ["triage", "close", "message"]
    reads = await audit_trail("tip.read", tip_id)
    assert [(r.actor_id, r.details["reference"]) for r in reads] == [
        (str(units.a_officer.id), filed["reference"])
    ]
    assert "Nguyễn" not in str(reads[0].details)

    anonymous = await file_anonymous(tips_client, COMMUNE_A)
    anonymous_id = await tip_id_of(tips_client, units.a_officer, anonymous["reference"])
    report = await detail(tips_client, units.a_supervisor, anonymous_id)
    assert report["kind"] == "anonymous"
    assert report["reporter"] is None
    assert len(await audit_trail("tip.read", anonymous_id)) == 1


# --- the workflow ----------------------------------------------------------------------------------


async def test_the_workflow_from_received_to_closed_with_its_refusals(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    filed, reporter = await file_confidential(tips_client, COMMUNE_A)
    tip_id = await tip_id_of(tips_client, units.a_officer, filed["reference"])
    officer, supervisor = units.a_officer, units.a_supervisor

    refused = await step(
        tips_client, supervisor, tip_id, "assign", officer_id=str(officer.id), version=1
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "tip_transition_invalid")
    assert refused.json()["status"] == "received"

    triaged = await step(tips_client, officer, tip_id, "triage", urgency="high", version=1)
    assert triaged.status_code == 200, triaged.text
    assert (triaged.json()["status"], triaged.json()["urgency"], triaged.json()["version"]) == (
        "triaged",
        "high",
        2,
    )

    outsider = await police_person(Role.POLICE_OFFICER, UNIT_B)
    wrong = await step(
        tips_client, supervisor, tip_id, "assign", officer_id=str(outsider.id), version=2
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "tip_officer_invalid")

    assigned = await step(
        tips_client, supervisor, tip_id, "assign", officer_id=str(officer.id), version=2
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assigned_to"] == str(officer.id)
    assert await inbox_titles(tips_client, officer.headers) == [
        f"Bạn được giao xử lý tin báo {filed['reference']}"
    ]

    started = await step(tips_client, officer, tip_id, "start-investigation", version=3)
    assert started.json()["status"] == "investigating"

    no_outcome = await step(tips_client, officer, tip_id, "close", version=4)
    assert (no_outcome.status_code, no_outcome.json()["code"]) == (422, "tip_outcome_required")
    closed = await step(
        tips_client, officer, tip_id, "close", outcome="resolved", note="Đã bắt giữ", version=4
    )
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["outcome"]) == ("closed", "resolved")

    officer_reopens = await step(
        tips_client, officer, tip_id, "reopen", reason="Có tin mới", version=5
    )
    assert (officer_reopens.status_code, officer_reopens.json()["code"]) == (
        403,
        "tip_action_forbidden",
    )
    no_reason = await step(tips_client, supervisor, tip_id, "reopen", reason="  ", version=5)
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "tip_reason_required")
    reopened = await step(
        tips_client, supervisor, tip_id, "reopen", reason="Có chứng cứ mới", version=5
    )
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["outcome"]) == ("investigating", None)

    report = await detail(tips_client, supervisor, tip_id)
    assert [e["action"] for e in report["history"]] == [
        "received",
        "triage",
        "assign",
        "start_investigation",
        "close",
        "reopen",
    ]
    assert report["history"][4]["detail"] == {"outcome": "resolved", "note": "Đã bắt giữ"}
    assert report["history"][5]["detail"]["reason"] == "Có chứng cứ mới"
    assert report["triaged_at"] is not None and report["closed_at"] is None
    actions = [e.action for e in await audit_trail("tip.*", tip_id) if e.action != "tip.read"]
    assert actions == [
        "tip.triage",
        "tip.assign",
        "tip.start_investigation",
        "tip.close",
        "tip.reopen",
    ]
    # Reasons and notes are police text about the report: sealed, never in the audit log.
    trail = str([e.details for e in await audit_trail("tip.*", tip_id)])
    assert "chứng cứ" not in trail and "bắt giữ" not in trail
    # The confidential reporter heard of each status change.
    titles = await inbox_titles(tips_client, reporter)
    assert titles.count(f"Tin báo {filed['reference']} có cập nhật") == 5


async def test_a_stale_version_is_a_409_and_changes_nothing(tips_client: httpx.AsyncClient) -> None:
    units = await two_units()
    filed, _ = await file_confidential(tips_client, COMMUNE_A)
    tip_id = await tip_id_of(tips_client, units.a_officer, filed["reference"])
    first = await step(tips_client, units.a_officer, tip_id, "triage", urgency="low", version=1)
    assert first.status_code == 200
    second = await step(
        tips_client, units.a_supervisor, tip_id, "triage", urgency="emergency", version=1
    )
    assert second.status_code == 409
    problem = second.json()
    assert (problem["code"], problem["current_version"]) == ("tip_version_conflict", 2)
    assert second.headers["content-type"].startswith("application/problem+json")
    report = await detail(tips_client, units.a_supervisor, tip_id)
    assert (report["urgency"], report["version"]) == ("low", 2)


async def test_a_duplicate_names_a_report_the_caller_sees_by_reference(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    first, _ = await file_confidential(tips_client, COMMUNE_A)
    second, _ = await file_confidential(tips_client, COMMUNE_A)
    elsewhere, _ = await file_confidential(tips_client, COMMUNE_B)
    second_id = await tip_id_of(tips_client, units.a_officer, second["reference"])
    missing = await step(
        tips_client, units.a_officer, second_id, "close", outcome="duplicate", version=1
    )
    assert missing.json()["code"] == "tip_duplicate_invalid"
    other_unit = await step(
        tips_client,
        units.a_officer,
        second_id,
        "close",
        outcome="duplicate",
        duplicate_of=elsewhere["reference"],
        version=1,
    )
    assert (other_unit.status_code, other_unit.json()["code"]) == (422, "tip_duplicate_invalid")
    closed = await step(
        tips_client,
        units.a_officer,
        second_id,
        "close",
        outcome="duplicate",
        duplicate_of=first["reference"],
        version=1,
    )
    assert closed.status_code == 200, closed.text
    report = await detail(tips_client, units.a_officer, second_id)
    assert (report["outcome"], report["duplicate_of_reference"]) == (
        "duplicate",
        first["reference"],
    )


async def test_a_supervisor_transfers_a_report_to_another_unit(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    filed, _ = await file_confidential(tips_client, COMMUNE_A)
    tip_id = await tip_id_of(tips_client, units.a_officer, filed["reference"])
    await step(tips_client, units.a_officer, tip_id, "triage", urgency="normal", version=1)
    await step(
        tips_client,
        units.a_officer,
        tip_id,
        "assign",
        officer_id=str(units.a_officer.id),
        version=2,
    )

    officer_tries = await step(
        tips_client, units.a_officer, tip_id, "transfer", unit_code=UNIT_B, reason="x", version=3
    )
    assert officer_tries.json()["code"] == "tip_action_forbidden"
    unknown = await step(
        tips_client,
        units.a_supervisor,
        tip_id,
        "transfer",
        unit_code="CA-NOWHERE",
        reason="x",
        version=3,
    )
    assert unknown.json()["code"] == "tip_unit_invalid"
    moved = await step(
        tips_client,
        units.a_supervisor,
        tip_id,
        "transfer",
        unit_code=UNIT_B,
        reason="Địa bàn của đơn vị B",
        version=3,
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["unit_code"], moved.json()["status"], moved.json()["assigned_to"]) == (
        UNIT_B,
        "triaged",
        None,
    )
    assert moved.json()["allowed_actions"] == []
    gone = await tips_client.get(f"{POLICE_API}/{tip_id}", headers=units.a_officer.headers)
    assert gone.status_code == 404
    assert [t["id"] for t in await queue(tips_client, units.b_officer)] == [tip_id]
    assert await inbox_titles(tips_client, units.b_officer.headers) == [
        f"Tin báo mới {filed['reference']}"
    ]
    transfers = await audit_trail("tip.transfer", tip_id)
    assert transfers[0].details["from_unit"] == UNIT_A
    assert transfers[0].details["to_unit"] == UNIT_B
    history = (await detail(tips_client, units.b_supervisor, tip_id))["history"]
    assert history[-1]["action"] == "transfer"
    assert history[-1]["detail"]["reason"] == "Địa bàn của đơn vị B"


# --- messages ------------------------------------------------------------------------------------


async def test_a_police_message_reaches_the_reporter(tips_client: httpx.AsyncClient) -> None:
    units = await two_units()
    filed, reporter = await file_confidential(tips_client, COMMUNE_A)
    tip_id = await tip_id_of(tips_client, units.a_officer, filed["reference"])
    empty = await step(tips_client, units.a_officer, tip_id, "messages", body="")
    assert empty.status_code == 422
    sent = await step(
        tips_client, units.a_officer, tip_id, "messages", body="Xin cho biết thêm giờ."
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["author_name"] == "Nguyễn Văn An"
    assert await inbox_titles(tips_client, reporter) == [
        f"Tin nhắn mới về tin báo {filed['reference']}"
    ]
    mine = await tips_client.get(f"/api/v1/tips/mine/{filed['reference']}", headers=reporter)
    assert [m["body"] for m in mine.json()["messages"]] == ["Xin cho biết thêm giờ."]

    anonymous = await file_anonymous(tips_client, COMMUNE_A)
    anonymous_id = await tip_id_of(tips_client, units.a_officer, anonymous["reference"])
    sent = await step(tips_client, units.a_supervisor, anonymous_id, "messages", body="Cảm ơn bạn.")
    assert sent.status_code == 201
    followed = await tips_client.get(
        "/api/v1/tips/anonymous", headers={"X-Tip-Receipt": anonymous["receipt"]}
    )
    assert followed.status_code == 200, followed.text
    assert [m["body"] for m in followed.json()["messages"]] == ["Cảm ơn bạn."]
    assert [e.action for e in await audit_trail("tip.message", anonymous_id)] == ["tip.message"]


# --- notifications of a new report -------------------------------------------------------------------


async def test_a_new_report_tells_its_unit_and_danger_now_alerts_who_is_on_duty(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    second_officer = await police_person(Role.POLICE_OFFICER, UNIT_A)
    quiet, _ = await file_confidential(tips_client, COMMUNE_A)
    await police.on_new_report(
        uuid.UUID(await tip_id_of(tips_client, units.a_officer, quiet["reference"]))
    )
    for member in (units.a_officer, units.a_supervisor, second_officer):
        assert await inbox_titles(tips_client, member.headers) == [
            f"Tin báo mới {quiet['reference']}"
        ]
    assert await inbox_titles(tips_client, units.b_officer.headers) == []

    roster = await tips_client.put(
        f"{POLICE_API}/duty/{UNIT_A}",
        json={"officers": [str(second_officer.id)]},
        headers=units.a_supervisor.headers,
    )
    assert roster.status_code == 200, roster.text
    assert roster.json()["from_roster"] is True
    danger, _ = await file_confidential(tips_client, COMMUNE_A, ongoing_danger=True)
    danger_id = await tip_id_of(tips_client, units.a_officer, danger["reference"])
    await police.on_new_report(uuid.UUID(danger_id))
    assert (await inbox_titles(tips_client, second_officer.headers))[0] == (
        f"KHẨN CẤP: tin báo {danger['reference']}"
    )
    assert (await inbox_titles(tips_client, units.a_officer.headers))[0] == (
        f"Tin báo mới {danger['reference']}"
    )
    # Untriaged with danger now: first in the queue.
    assert (await queue(tips_client, units.a_officer))[0]["reference"] == danger["reference"]


async def test_without_a_roster_every_officer_is_on_duty_and_an_emergency_triage_alerts_them(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    filed, _ = await file_confidential(tips_client, COMMUNE_A)
    tip_id = await tip_id_of(tips_client, units.a_officer, filed["reference"])
    duty = await tips_client.get(f"{POLICE_API}/duty/{UNIT_A}", headers=units.a_officer.headers)
    assert duty.json()["from_roster"] is False
    assert [o["person_id"] for o in duty.json()["officers"]] == [str(units.a_officer.id)]
    officer_sets = await tips_client.put(
        f"{POLICE_API}/duty/{UNIT_A}", json={"officers": []}, headers=units.a_officer.headers
    )
    assert officer_sets.status_code == 403
    stranger = await tips_client.put(
        f"{POLICE_API}/duty/{UNIT_A}",
        json={"officers": [str(units.b_officer.id)]},
        headers=units.a_supervisor.headers,
    )
    assert (stranger.status_code, stranger.json()["code"]) == (422, "tip_duty_invalid")

    await step(tips_client, units.a_supervisor, tip_id, "triage", urgency="emergency", version=1)
    assert await inbox_titles(tips_client, units.a_officer.headers) == [
        f"KHẨN CẤP: tin báo {filed['reference']}"
    ]
    assert await inbox_titles(tips_client, units.a_supervisor.headers) == []


# --- for real: committed requests ------------------------------------------------------------


async def test_a_committed_report_is_announced_to_its_unit_after_commit(
    committed_tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    filed, _ = await file_confidential(committed_tips_client, COMMUNE_A)
    assert await inbox_titles(committed_tips_client, units.a_officer.headers) == [
        f"Tin báo mới {filed['reference']}"
    ]
    assert await inbox_titles(committed_tips_client, units.b_officer.headers) == []
    nowhere = await file_anonymous(committed_tips_client, None, ongoing_danger=True)
    # The provincial queue: its unit's officer is on duty (no roster) and alerted at once.
    assert await inbox_titles(committed_tips_client, units.province_officer.headers) == [
        f"KHẨN CẤP: tin báo {nowhere['reference']}"
    ]
    assert await inbox_titles(committed_tips_client, units.province_supervisor.headers) == [
        f"Tin báo mới {nowhere['reference']}"
    ]


async def test_two_officers_changing_a_report_at_once_one_wins_the_other_gets_409(
    committed_tips_client: httpx.AsyncClient,
) -> None:
    client = committed_tips_client
    units = await two_units()
    filed, _ = await file_confidential(client, COMMUNE_A)
    tip_id = await tip_id_of(client, units.a_officer, filed["reference"])
    answers = await asyncio.gather(
        step(client, units.a_officer, tip_id, "triage", urgency="low", version=1),
        step(client, units.a_supervisor, tip_id, "triage", urgency="emergency", version=1),
        step(client, units.a_supervisor, tip_id, "close", outcome="unfounded", version=1),
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409, 409], [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"tip_version_conflict"}
    report = await detail(client, units.a_supervisor, tip_id)
    assert report["version"] == 2
    assert len([e for e in report["history"] if e["action"] != "received"]) == 1


async def test_the_provincial_unit_sends_a_report_without_commune_to_the_right_unit(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    filed, _ = await file_confidential(tips_client, None)
    tip_id = await tip_id_of(tips_client, units.province_officer, filed["reference"])
    assert (await detail(tips_client, units.province_officer, tip_id))["allowed_actions"] == [
        "triage",
        "close",
        "message",
    ]
    moved = await step(
        tips_client,
        units.province_supervisor,
        tip_id,
        "transfer",
        unit_code=UNIT_A,
        reason="Theo lời kể: phường Phan Đình Phùng",
        version=1,
    )
    assert moved.status_code == 200, moved.text
    assert [t["id"] for t in await queue(tips_client, units.a_officer)] == [tip_id]
    assert await queue(tips_client, units.province_officer) == []
    back = await step(
        tips_client,
        units.a_supervisor,
        tip_id,
        "transfer",
        unit_code=None,
        reason="Không rõ",
        version=2,
    )
    assert (back.json()["unit_code"], back.json()["status"]) == (None, "received")
