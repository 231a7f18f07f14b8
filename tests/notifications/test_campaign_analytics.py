"""What a campaign achieved, as staff see it: reach, pushes, opens and acknowledgements counted
once per person, survey tallies (choices and ratings), per hour and by agency or commune, who
has not acknowledged (paged, by agency, exportable), and the CSV exports — each read of the
list and each export audited."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from backend.access import Role
from backend.db import unit_of_work
from notifications.campaigns import service as campaigns
from notifications.campaigns.jobs import run_until_done
from notifications.push.logging import LoggingGateway
from tests.notifications.test_campaigns import (
    AGENCY_A,
    AGENCY_B,
    CAMPAIGNS,
    Newsroom,
    campaign_trail,
    register_device,
)
from tests.notifications.test_campaigns import newsroom as newsroom  # fixture
from tests.support.auth import bearer_for, create_person

MORNING = datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
INBOX = "/api/v1/inbox"


async def sent(newsroom: Newsroom, settings: Any, **fields: Any) -> str:
    draft = await newsroom.draft(**fields)
    await newsroom.submit(draft["id"])
    campaign_id = uuid.UUID(draft["id"])
    async with unit_of_work():
        await campaigns.do_approve_campaign(
            settings, newsroom.approver_principal, campaign_id, now=MORNING
        )
    step = await run_until_done(
        settings, campaign_id, gateway=LoggingGateway(), now=lambda: MORNING
    )
    assert step.state == "finished"
    return draft["id"]


async def act(
    client: httpx.AsyncClient, person: uuid.UUID, campaign_id: str, action: str, **body: Any
) -> None:
    response = await client.post(
        f"{INBOX}/{campaign_id}/{action}", json=body or None, headers=await bearer_for(person)
    )
    assert response.status_code == 200, response.text


async def test_an_internal_circular_counts_each_person_once_and_lists_who_has_not_acknowledged(
    client: httpx.AsyncClient, newsroom: Newsroom, settings: Any
) -> None:
    a = [await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A) for _ in range(3)]
    b = [await create_person(Role.CIVIL_SERVANT, agency=AGENCY_B) for _ in range(2)]
    for person in (*a, *b):
        await register_device(person)
    campaign_id = await sent(
        newsroom,
        settings,
        title="Công văn triển khai Đề án 06",
        audience_kind="agencies",
        audience_agencies=[AGENCY_A, AGENCY_B],
        requires_ack=True,
        survey={
            "question": "Đơn vị đã phổ biến công văn chưa?",
            "kind": "single",
            "options": [{"label": "Đã phổ biến"}, {"label": "Đang"}, {"label": "Chưa"}],
        },
    )
    await act(client, a[0], campaign_id, "read")
    await act(client, a[0], campaign_id, "read")  # a re-open counts once
    await act(client, a[0], campaign_id, "acknowledge")
    await act(client, a[0], campaign_id, "survey", choices=[0])
    await act(client, a[0], campaign_id, "survey", choices=[1])  # replaces the first answer
    await act(client, a[1], campaign_id, "survey", choices=[2])
    await act(client, b[0], campaign_id, "acknowledge")
    await act(client, b[0], campaign_id, "survey", choices=[1])

    response = await client.get(f"{CAMPAIGNS}/{campaign_id}/analytics", headers=newsroom.approver)
    figures = response.json()
    assert (figures["audience_size"], figures["devices_targeted"]) == (5, 5)
    assert figures["push"] == {"accepted": 5, "failed": {}, "pending": 0}
    assert (figures["opened"], figures["acknowledged"], figures["unacknowledged"]) == (3, 2, 3)
    assert figures["survey"]["respondents"] == 3
    assert [(t["label"], t["count"]) for t in figures["survey"]["tallies"]] == [
        ("Đã phổ biến", 0),
        ("Đang", 2),
        ("Chưa", 1),
    ]
    assert figures["by_agency"] == [
        {"code": AGENCY_A, "recipients": 3, "opened": 2, "acknowledged": 1},
        {"code": AGENCY_B, "recipients": 2, "opened": 1, "acknowledged": 1},
    ]
    hourly = figures["hourly"]
    assert sum(h["accepted"] for h in hourly) == 5
    assert sum(h["opened"] for h in hourly) == 3
    assert sum(h["acknowledged"] for h in hourly) == 2

    # Who has not acknowledged, by agency, a page at a time.
    url = f"{CAMPAIGNS}/{campaign_id}/unacknowledged"
    first = (await client.get(url, params={"limit": 2}, headers=newsroom.officer)).json()
    assert first["total"] == 3
    second = (
        await client.get(
            url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=newsroom.officer
        )
    ).json()
    assert second["next_cursor"] is None
    listed = [(p["agency_code"], p["person_id"]) for p in first["items"] + second["items"]]
    assert listed == sorted([(AGENCY_A, str(a[1])), (AGENCY_A, str(a[2])), (AGENCY_B, str(b[1]))])
    assert {p["full_name"] for p in first["items"] + second["items"]} == {"Người thử nghiệm"}
    only_b = (await client.get(url, params={"agency": AGENCY_B}, headers=newsroom.officer)).json()
    assert [p["person_id"] for p in only_b["items"]] == [str(b[1])]
    assert only_b["total"] == 1

    exported = await client.get(f"{url}.csv", headers=newsroom.officer)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["person_id", "full_name", "agency_code", "commune_code", "opened_at"]
    assert {r[1] for r in rows[1:]} == {"Người thử nghiệm"}
    assert sorted(r[0] for r in rows[1:]) == sorted([str(a[1]), str(a[2]), str(b[1])])
    opened_a1 = next(r for r in rows[1:] if r[0] == str(a[1]))
    assert opened_a1[4].endswith("+07:00")  # opened (by answering) without acknowledging

    trail = await campaign_trail(campaign_id)
    reads = [e for e in trail if e.action == "campaign.unacknowledged_read"]
    assert [e.details for e in reads] == [
        {"agency": None, "results": 2},
        {"agency": None, "results": 1},
        {"agency": AGENCY_B, "results": 1},
    ]
    assert trail[-1].action == "campaign.unacknowledged_export"
    assert trail[-1].details == {"agency": None, "rows": 3}
    assert trail[-1].actor_id == str(newsroom.officer_id)


async def test_the_analytics_export_is_a_csv_of_every_figure_and_is_audited(
    client: httpx.AsyncClient, newsroom: Newsroom, settings: Any
) -> None:
    person = await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A)
    await register_device(person)
    campaign_id = await sent(
        newsroom, settings, audience_kind="agencies", audience_agencies=[AGENCY_A]
    )
    await act(client, person, campaign_id, "read")
    exported = await client.get(
        f"{CAMPAIGNS}/{campaign_id}/analytics.csv", headers=newsroom.approver
    )
    assert exported.status_code == 200, exported.text
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["section", "key", "value"]
    assert ["summary", "push_accepted", "1"] in rows
    assert ["summary", "opened", "1"] in rows
    assert ["agency_opened", AGENCY_A, "1"] in rows
    assert any(r[0] == "hourly_accepted" and r[1].endswith("+07:00") for r in rows)
    trail = await campaign_trail(campaign_id)
    assert trail[-1].action == "campaign.analytics_export"
    assert trail[-1].actor_id == str(newsroom.approver_id)
    refused = await client.get(
        f"{CAMPAIGNS}/{campaign_id}/analytics.csv", headers=await bearer_for(person)
    )
    assert refused.status_code == 403


async def test_a_public_rating_is_tallied_and_its_opens_counted_by_commune(
    client: httpx.AsyncClient, newsroom: Newsroom, settings: Any
) -> None:
    first = await create_person()
    await register_device(first, commune="05443")
    second = await create_person()
    await register_device(second, commune="05569")
    campaign_id = await sent(
        newsroom,
        settings,
        category="health",
        audience_kind="communes",
        audience_communes=["05443", "05569"],
        survey={"question": "Bạn đánh giá đợt tiêm chủng thế nào?", "kind": "rating"},
    )
    await act(client, first, campaign_id, "survey", rating=5)
    await act(client, second, campaign_id, "survey", rating=4)
    await act(client, second, campaign_id, "read")
    figures = (
        await client.get(f"{CAMPAIGNS}/{campaign_id}/analytics", headers=newsroom.officer)
    ).json()
    assert figures["topic_messages"]["accepted"] == 12
    assert figures["unacknowledged"] is None
    survey = figures["survey"]
    assert [t["count"] for t in survey["tallies"]] == [0, 0, 0, 1, 1]
    assert survey["average_rating"] == 4.5
    assert figures["opened"] == 2
    assert figures["by_commune"] == [
        {"code": "05443", "recipients": 1, "opened": 1, "acknowledged": 0},
        {"code": "05569", "recipients": 1, "opened": 1, "acknowledged": 0},
    ]
    empty = await client.get(f"{CAMPAIGNS}/{campaign_id}/unacknowledged", headers=newsroom.officer)
    assert empty.json() == {"items": [], "next_cursor": None, "total": 0}
