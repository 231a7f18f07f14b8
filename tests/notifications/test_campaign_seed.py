"""The communications demo data: the demo people's phones and campaigns in every state, sent
ones read, acknowledged and answered; loaded once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from backend.devidp.people import BY_PERSONAL_ID
from backend.identity.service import do_provision_person
from seed.identity import seed_people
from seed.notifications import APPROVER, CAMPAIGNS, seed_notifications
from tests.support.auth import bearer_for

CAMPAIGNS_URL = "/api/v1/campaigns"


async def test_the_demo_campaigns_cover_every_state_and_are_loaded_once(
    client: httpx.AsyncClient, settings: Any
) -> None:
    await seed_people(settings)
    await seed_notifications(settings)
    await seed_notifications(settings)  # a second run changes nothing

    approver = await do_provision_person(APPROVER, BY_PERSONAL_ID[APPROVER].full_name)
    headers = await bearer_for(approver.id)
    page = (await client.get(CAMPAIGNS_URL, params={"limit": 100}, headers=headers)).json()
    titles = {c["title"]: c for c in page["items"]}
    assert set(titles) >= {spec["title"] for spec in CAMPAIGNS}
    states = Counter(titles[spec["title"]]["status"] for spec in CAMPAIGNS)
    assert states == {
        "sent": 4,
        "scheduled": 1,
        "submitted": 1,
        "draft": 2,
        "cancelled": 1,
    }

    launch = titles["Ra mắt ứng dụng C-ThaiNguyen"]
    figures = (
        await client.get(f"{CAMPAIGNS_URL}/{launch['id']}/analytics", headers=headers)
    ).json()
    assert figures["topic_messages"]["accepted"] == 6
    assert figures["opened"] == 3
    assert figures["survey"]["respondents"] == 2
    assert figures["survey"]["average_rating"] == 4.5

    circular = titles["Triển khai thu thập, làm sạch dữ liệu dân cư cấp xã"]
    figures = (
        await client.get(f"{CAMPAIGNS_URL}/{circular['id']}/analytics", headers=headers)
    ).json()
    assert (figures["audience_size"], figures["acknowledged"], figures["unacknowledged"]) == (
        2,
        1,
        1,
    )
    assert figures["push"]["accepted"] == 3  # Huy's two phones, Hà's one

    returned = (
        await client.get(
            f"{CAMPAIGNS_URL}/{titles['Cảnh báo nắng nóng kéo dài']['id']}", headers=headers
        )
    ).json()
    assert returned["review_comment"].startswith("Bổ sung số điện thoại")
    listed = (
        await client.get(
            f"{CAMPAIGNS_URL}/{titles['Mời họp trực tuyến về ứng dụng chữ ký số']['id']}",
            headers=headers,
        )
    ).json()
    assert listed["audience_list_size"] == 2
    scheduled = titles["Ngày hội chuyển đổi số tỉnh Thái Nguyên"]
    assert scheduled["send_after"] is not None
