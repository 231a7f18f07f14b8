"""When campaigns go out: the time asked for, quiet hours (21:00–07:00 in Thái Nguyên) for public
non-urgent campaigns, the urgent override, internal campaigns at any hour, and a campaign
found due inside quiet hours (its worker was down) put off to their end. The clock is passed
in; nothing waits."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from backend.db import unit_of_work
from notifications.campaigns import service as campaigns
from notifications.campaigns.jobs import run_send_step, run_until_done
from notifications.campaigns.schedule import QuietHours, plan_send
from notifications.campaigns.schemas import Campaign
from notifications.push.logging import LoggingGateway
from tests.notifications.test_campaigns import Newsroom, campaign_trail
from tests.notifications.test_campaigns import newsroom as newsroom  # fixture

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
QUIET = QuietHours.parse("21:00-07:00")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2099, 12, day, hour, minute, tzinfo=VIETNAM)


@pytest.mark.parametrize(
    ("asked", "public", "urgent", "expected", "moved"),
    [
        (local(1, 9), True, False, local(1, 9), False),
        (local(1, 20, 59), True, False, local(1, 20, 59), False),
        (local(1, 21), True, False, local(2, 7), True),
        (local(1, 23, 30), True, False, local(2, 7), True),
        (local(2, 3), True, False, local(2, 7), True),
        (local(2, 7), True, False, local(2, 7), False),
        (local(1, 23, 30), True, True, local(1, 23, 30), False),
        (local(1, 23, 30), False, False, local(1, 23, 30), False),
    ],
)
def test_quiet_hours_move_only_public_non_urgent_sends(
    asked: datetime, public: bool, urgent: bool, expected: datetime, moved: bool
) -> None:
    plan = plan_send(now=asked, scheduled_for=None, public=public, urgent=urgent, quiet_hours=QUIET)
    assert (plan.send_at, plan.quiet_hours) == (expected, moved)


def test_a_time_asked_for_in_the_past_means_now_and_quiet_hours_may_be_changed() -> None:
    now = local(1, 10)
    plan = plan_send(
        now=now, scheduled_for=local(1, 8), public=True, urgent=False, quiet_hours=QUIET
    )
    assert plan.send_at == now
    daytime = QuietHours.parse("12:00-13:30")
    assert daytime.contains(local(1, 12, 45)) and not daytime.contains(local(1, 13, 30))
    assert daytime.end_after(local(1, 12, 45)) == local(1, 13, 30)
    assert not QuietHours.parse("00:00-00:00").contains(local(1, 3))
    with pytest.raises(ValueError, match="HH:MM"):
        QuietHours.parse("tối")


async def _submitted(newsroom: Newsroom, **fields: Any) -> uuid.UUID:
    draft = await newsroom.draft(**fields)
    await newsroom.submit(draft["id"])
    return uuid.UUID(draft["id"])


async def _approve(
    newsroom: Newsroom, settings: Any, campaign_id: uuid.UUID, now: datetime
) -> Campaign:
    async with unit_of_work():
        return await campaigns.do_approve_campaign(
            settings,
            newsroom.approver_principal,
            campaign_id,
            now=now,
        )


async def test_a_public_announcement_approved_at_night_waits_for_seven_in_the_morning(
    client: httpx.AsyncClient, newsroom: Newsroom, settings: Any
) -> None:
    campaign_id = await _submitted(
        newsroom, category="announcement", audience_kind="citizens", title="Lịch tiếp dân"
    )
    async with unit_of_work():
        shown = await campaigns.access_campaign(
            settings,
            newsroom.officer_principal,
            campaign_id,
            now=local(1, 22, 30),
        )
    assert shown.plan is not None
    assert (shown.plan.send_at, shown.plan.quiet_hours) == (local(2, 7), True)

    approved = await _approve(newsroom, settings, campaign_id, local(1, 22, 30))
    assert approved.status == "scheduled"
    assert approved.send_after == local(2, 7)
    assert approved.quiet_hours_delayed is True
    trail = await campaign_trail(str(campaign_id))
    assert trail[-1].details["quiet_hours"] is True

    gateway = LoggingGateway()
    early = await run_send_step(
        settings,
        campaign_id,
        gateway=gateway,
        now=lambda: local(2, 6, 59),
    )
    assert early.state == "not_due"
    assert list(gateway.sent) == []
    done = await run_until_done(
        settings,
        campaign_id,
        gateway=gateway,
        now=lambda: local(2, 7),
    )
    assert done.state == "finished"
    assert len(gateway.sent) == 6  # everyone, in each language
    assert {p.message.title for p in gateway.sent} == {"Lịch tiếp dân"}


async def test_an_urgent_public_alert_goes_out_at_night(newsroom: Newsroom, settings: Any) -> None:
    campaign_id = await _submitted(
        newsroom, category="emergency", audience_kind="citizens", urgent=True, title="Lũ quét"
    )
    approved = await _approve(newsroom, settings, campaign_id, local(1, 23, 15))
    assert (approved.status, approved.send_after) == ("approved", local(1, 23, 15))
    assert approved.quiet_hours_delayed is False
    gateway = LoggingGateway()
    done = await run_until_done(
        settings,
        campaign_id,
        gateway=gateway,
        now=lambda: local(1, 23, 15),
    )
    assert done.state == "finished"
    assert all(p.message.urgent for p in gateway.sent)


async def test_an_internal_circular_goes_out_at_night(newsroom: Newsroom, settings: Any) -> None:
    campaign_id = await _submitted(newsroom, audience_kind="civil_servants")
    approved = await _approve(newsroom, settings, campaign_id, local(1, 23, 15))
    assert (approved.status, approved.send_after) == ("approved", local(1, 23, 15))


async def test_a_scheduled_time_is_kept_unless_it_falls_in_quiet_hours(
    newsroom: Newsroom, settings: Any
) -> None:
    evening = await _submitted(
        newsroom,
        category="events",
        audience_kind="citizens",
        scheduled_for=local(28, 20).isoformat(),
    )
    approved = await _approve(newsroom, settings, evening, local(27, 9))
    assert (approved.status, approved.send_after) == ("scheduled", local(28, 20))
    assert approved.quiet_hours_delayed is False

    late = await _submitted(
        newsroom,
        category="events",
        audience_kind="citizens",
        scheduled_for=local(28, 21, 30).isoformat(),
    )
    approved = await _approve(newsroom, settings, late, local(27, 9))
    assert (approved.status, approved.send_after) == ("scheduled", local(29, 7))
    assert approved.quiet_hours_delayed is True


async def test_a_public_campaign_found_due_at_night_is_put_off_to_the_morning(
    newsroom: Newsroom, settings: Any
) -> None:
    campaign_id = await _submitted(
        newsroom,
        category="announcement",
        audience_kind="citizens",
        scheduled_for=local(28, 15).isoformat(),
    )
    await _approve(newsroom, settings, campaign_id, local(27, 9))
    # No worker ran between 15:00 and 23:00; the one that starts at 23:00 must not push.
    gateway = LoggingGateway()
    step = await run_send_step(
        settings,
        campaign_id,
        gateway=gateway,
        now=lambda: local(28, 23),
    )
    assert step.state == "not_due"
    assert list(gateway.sent) == []
    async with unit_of_work():
        campaign = await campaigns.access_campaign(
            settings,
            newsroom.officer_principal,
            campaign_id,
            now=local(28, 23),
        )
    assert (campaign.status, campaign.send_after) == ("scheduled", local(29, 7))
    trail = await campaign_trail(str(campaign_id))
    assert trail[-1].action == "campaign.send_postponed"
    assert trail[-1].actor_id is None
    later = local(29, 7) + timedelta(minutes=1)
    done = await run_until_done(
        settings,
        campaign_id,
        gateway=gateway,
        now=lambda: later,
    )
    assert done.state == "finished"
