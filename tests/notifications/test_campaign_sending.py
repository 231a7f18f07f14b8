"""Sending campaigns through firebase-admin against the local FCM stand-in: internal audiences
device by device (resolved by agency, in each person's language, in batches), public ones as
condition messages per commune and language; a batch interrupted after its claim is resumed
without pushing a device twice; cancel stops the remaining batches; every FCM error class is
recorded and gone devices are deleted.

The sender's steps run in this process (`run_send_step`, what the job runs), with the clock
passed in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import msgspec
import pytest

from backend.access import Role
from backend.db import unit_of_work
from backend.identity.service import do_grant_role, do_provision_person
from notifications.campaigns import sending
from notifications.campaigns import service as campaigns
from notifications.campaigns.jobs import _ranges, run_range, run_send_step, run_until_done
from notifications.devices.service import list_devices
from notifications.push.fcm import Backoff, FcmGateway
from tests.notifications.fcm import Fcm
from tests.notifications.test_campaigns import (
    AGENCY_A,
    AGENCY_B,
    CAMPAIGNS,
    Newsroom,
    campaign_trail,
    register_device,
)
from tests.notifications.test_campaigns import newsroom as newsroom  # fixture
from tests.support.auth import create_person

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MORNING = datetime(2026, 12, 1, 9, 30, tzinfo=VIETNAM)
SHORT = Backoff(quota=0.01, transient=0.01, attempts=2, jitter=0)


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


@pytest.fixture
async def gateway(fcm: Fcm) -> AsyncIterator[FcmGateway]:
    made = FcmGateway(fcm.settings, backoff=SHORT)
    yield made
    await made.aclose()


async def approved(newsroom: Newsroom, fcm: Fcm, now: datetime = MORNING, **fields: Any) -> str:
    """A campaign written, submitted and approved at `now` (its id)."""
    draft = await newsroom.draft(**fields)
    await newsroom.submit(draft["id"])
    async with unit_of_work():
        campaign = await campaigns.do_approve_campaign(
            fcm.settings, newsroom.approver_principal, uuid.UUID(draft["id"]), now=now
        )
    return str(campaign.id)


async def analytics(client: httpx.AsyncClient, newsroom: Newsroom, campaign_id: str) -> Any:
    response = await client.get(f"{CAMPAIGNS}/{campaign_id}/analytics", headers=newsroom.officer)
    assert response.status_code == 200, response.text
    return response.json()


# --- internal audiences, device by device ---------------------------------------------------------


async def test_an_agency_circular_reaches_each_device_of_its_civil_servants_once_in_their_language(
    client: httpx.AsyncClient, newsroom: Newsroom, fcm: Fcm, gateway: FcmGateway
) -> None:
    reader_en = await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A)
    phone_en = await register_device(reader_en, locale="en-US")
    tablet_en = await register_device(reader_en, locale="en-US")
    reader_vi = await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A)
    phone_vi = await register_device(reader_vi)
    reader_tay = await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A)
    phone_tay = await register_device(reader_tay, language="tay")
    other_agency = await create_person(Role.CIVIL_SERVANT, agency=AGENCY_B)
    phone_other = await register_device(other_agency)
    citizen = await create_person()
    phone_citizen = await register_device(citizen)

    campaign_id = await approved(
        newsroom,
        fcm,
        title="Công văn về lịch trực Tết",
        body="Đề nghị các phòng gửi lịch trực trước ngày 20/12.",
        translations={"en": {"title": "Holiday duty roster", "body": "Send it by 20 December."}},
        audience_kind="agencies",
        audience_agencies=[AGENCY_A],
        deep_link="https://thainguyen.gov.vn/cong-van/123",
        requires_ack=True,
    )
    settings = msgspec.structs.replace(fcm.settings, push_batch_size=2)
    first = await run_send_step(settings, uuid.UUID(campaign_id), gateway=gateway, now=at(MORNING))
    assert (first.state, first.sent) == ("batch", 2)
    done = await run_until_done(settings, uuid.UUID(campaign_id), gateway=gateway, now=at(MORNING))
    assert done.state == "finished"

    for device in (phone_en, tablet_en):
        (message,) = fcm.standin.messages(device=device)
        assert message.notification["title"] == "Holiday duty roster"
    for device in (phone_vi, phone_tay):  # no Tày translation: Vietnamese
        (message,) = fcm.standin.messages(device=device)
        assert message.notification["title"] == "Công văn về lịch trực Tết"
        assert message.collapse_key == campaign_id
        assert message.data == {
            "kind": "campaign",
            "campaign_id": campaign_id,
            "category": "circular",
            "deep_link": "https://thainguyen.gov.vn/cong-van/123",
        }
    assert fcm.standin.messages(device=phone_other) == []
    assert fcm.standin.messages(device=phone_citizen) == []

    campaign = await newsroom.get(campaign_id)
    assert campaign["status"] == "sent"
    assert (campaign["audience_size"], campaign["devices_targeted"]) == (3, 4)
    assert campaign["sending_started_at"] is not None and campaign["sent_at"] is not None
    figures = await analytics(client, newsroom, campaign_id)
    assert figures["push"] == {"accepted": 4, "failed": {}, "pending": 0}
    assert figures["unacknowledged"] == 3
    assert figures["by_agency"] == [
        {"code": AGENCY_A, "recipients": 3, "opened": 0, "acknowledged": 0}
    ]
    trail = await campaign_trail(campaign_id)
    assert [e.action for e in trail][-2:] == ["campaign.send_start", "campaign.sent"]
    assert trail[-2].details == {"audience_size": 3, "devices_targeted": 4}
    assert trail[-1].details == {"accepted": 4, "failed": 0}


async def test_every_civil_servant_and_an_uploaded_list_are_resolved_with_their_agencies(
    client: httpx.AsyncClient, newsroom: Newsroom, fcm: Fcm, gateway: FcmGateway
) -> None:
    servant_a = await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A)
    servant_b = await create_person(Role.CIVIL_SERVANT, agency=AGENCY_B)
    citizen = await create_person()
    devices = {p: await register_device(p) for p in (servant_a, servant_b, citizen)}

    everyone = await approved(newsroom, fcm, audience_kind="civil_servants")
    await run_until_done(fcm.settings, uuid.UUID(everyone), gateway=gateway, now=at(MORNING))
    reached = {p for p, d in devices.items() if fcm.standin.messages(device=d)}
    assert reached == {servant_a, servant_b}
    by_agency = {
        a["code"]: a["recipients"]
        for a in (await analytics(client, newsroom, everyone))["by_agency"]
    }
    assert by_agency[AGENCY_A] >= 1 and by_agency[AGENCY_B] >= 1

    numbers = [f"0190{uuid.uuid4().int % 10**8:08d}" for _ in range(2)]
    async with unit_of_work():
        servant = await do_provision_person(numbers[0], "Công chức trong danh sách")
        await do_grant_role(
            servant.id, Role.CIVIL_SERVANT, granted_by=None, reason="test", agency=AGENCY_B
        )
        listed_citizen = await do_provision_person(numbers[1], "Công dân trong danh sách")
    for person in (servant.id, listed_citizen.id):
        await register_device(person)
    draft = await newsroom.draft(audience_kind="list", category="announcement")
    upload = await client.post(
        f"{CAMPAIGNS}/{draft['id']}/audience-list",
        content="\n".join(numbers).encode(),
        headers={**newsroom.officer, "Content-Type": "text/plain"},
    )
    assert upload.json()["found"] == 2
    await newsroom.submit(draft["id"])
    async with unit_of_work():
        await campaigns.do_approve_campaign(
            fcm.settings, newsroom.approver_principal, uuid.UUID(draft["id"]), now=MORNING
        )
    await run_until_done(fcm.settings, uuid.UUID(draft["id"]), gateway=gateway, now=at(MORNING))
    figures = await analytics(client, newsroom, draft["id"])
    assert figures["audience_size"] == 2
    assert figures["push"]["accepted"] == 2
    # The civil servant's agency comes from their grant; the citizen has none.
    assert {(a["code"], a["recipients"]) for a in figures["by_agency"]} == {
        (AGENCY_B, 1),
        (None, 1),
    }


# --- public audiences, as condition messages ------------------------------------------------------


async def test_a_commune_announcement_goes_out_as_one_condition_per_commune_and_language(
    client: httpx.AsyncClient, newsroom: Newsroom, fcm: Fcm, gateway: FcmGateway
) -> None:
    campaign_id = await approved(
        newsroom,
        fcm,
        title="Lịch cắt điện",
        body="Cắt điện từ 8 giờ đến 11 giờ ngày 3/12.",
        translations={"en": {"title": "Power cut", "body": "8 to 11 am on 3 December."}},
        category="announcement",
        audience_kind="communes",
        audience_communes=["05443", "05569"],
    )
    done = await run_until_done(
        fcm.settings, uuid.UUID(campaign_id), gateway=gateway, now=at(MORNING)
    )
    assert (done.state, done.sent) == ("finished", 12)
    english = (
        "'commune-05443' in topics && 'lang-en' in topics && !('muted-announcement' in topics)"
    )
    (message,) = fcm.standin.messages(condition=english)
    assert message.notification["title"] == "Power cut"
    assert message.collapse_key == campaign_id
    hmong = "'commune-05569' in topics && 'lang-hmn' in topics && !('muted-announcement' in topics)"
    (message,) = fcm.standin.messages(condition=hmong)
    assert message.notification["title"] == "Lịch cắt điện"
    figures = await analytics(client, newsroom, campaign_id)
    assert figures["topic_messages"] == {"accepted": 12, "failed": {}, "pending": 0}
    assert figures["push"]["accepted"] == 0
    assert (await newsroom.get(campaign_id))["status"] == "sent"


async def test_an_emergency_alert_to_every_citizen_ignores_mutes(
    newsroom: Newsroom, fcm: Fcm, gateway: FcmGateway
) -> None:
    campaign_id = await approved(
        newsroom, fcm, title="Cảnh báo lũ quét", category="emergency", audience_kind="citizens"
    )
    await run_until_done(fcm.settings, uuid.UUID(campaign_id), gateway=gateway, now=at(MORNING))
    conditions = {m.to for m in fcm.standin.messages() if m.target == "condition"}
    assert conditions == {
        f"'citizens' in topics && 'lang-{lang}' in topics"
        for lang in ("vi", "en", "tay", "nung", "hmn", "dao")
    }


# --- resuming, cancelling, errors ----------------------------------------------------------------


async def test_a_batch_left_claimed_by_a_dead_run_is_sent_once_more_and_never_twice_more(
    client: httpx.AsyncClient, newsroom: Newsroom, fcm: Fcm, gateway: FcmGateway
) -> None:
    people = [await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A) for _ in range(5)]
    devices = sorted([await register_device(p) for p in people])
    campaign_id = uuid.UUID(
        await approved(newsroom, fcm, audience_kind="agencies", audience_agencies=[AGENCY_A])
    )
    settings = msgspec.structs.replace(fcm.settings, push_batch_size=2)
    first = await run_send_step(settings, campaign_id, gateway=gateway, now=at(MORNING))
    assert first.state == "batch"

    # A run claims the next batch, commits, and dies before its requests leave.
    async with unit_of_work():
        lost = await sending.do_claim_devices(settings, campaign_id, after=first.after, now=MORNING)
    assert lost is not None
    assert [c.installation_id for c in lost.claims] == devices[2:4]
    figures = await analytics(client, newsroom, str(campaign_id))
    assert figures["push"]["pending"] == 2

    # The job's next run sends the in-doubt rows again, then goes on where it stopped.
    resumed = await run_send_step(
        settings, campaign_id, gateway=gateway, after=first.after, now=at(MORNING)
    )
    assert (resumed.state, resumed.after) == ("batch", first.after)
    await run_until_done(settings, campaign_id, gateway=gateway, now=at(MORNING))
    assert [len(fcm.standin.messages(device=d)) for d in devices] == [1, 1, 1, 1, 1]
    figures = await analytics(client, newsroom, str(campaign_id))
    assert figures["push"] == {"accepted": 5, "failed": {}, "pending": 0}


async def test_ranges_sent_side_by_side_reach_every_device_once_and_the_last_one_finishes(
    client: httpx.AsyncClient, newsroom: Newsroom, fcm: Fcm, gateway: FcmGateway
) -> None:
    people = [await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A) for _ in range(7)]
    devices = sorted([await register_device(p) for p in people])
    campaign_id = uuid.UUID(
        await approved(newsroom, fcm, audience_kind="agencies", audience_agencies=[AGENCY_A])
    )
    settings = msgspec.structs.replace(fcm.settings, push_batch_size=1, push_send_parts=3)
    async with unit_of_work():
        started = await sending.do_start(settings, campaign_id, MORNING)
    assert started.row is not None
    # Fixed when sending started: three ranges of the seven devices, by installation id,
    # each (after, until]: the first id of a range closes the one before.
    starts = started.row.send_ranges
    assert starts == [devices[0], devices[3], devices[5]]
    ranges = _ranges(starts)
    assert ranges == [(None, devices[3]), (devices[3], devices[5]), (devices[5], None)]

    # One range left in doubt by a run that died: only that range's next run sends it again.
    async with unit_of_work():
        lost = await sending.do_claim_devices(
            settings, campaign_id, after=ranges[1][0], until=ranges[1][1], now=MORNING
        )
    assert lost is not None and [c.installation_id for c in lost.claims] == [devices[4]]
    first = await run_range(
        settings, campaign_id, gateway=gateway, after=None, until=devices[3], now=at(MORNING)
    )
    assert first.state == "range_done"  # the others still have work: not sent yet
    assert [len(fcm.standin.messages(device=d)) for d in devices[:4]] == [1, 1, 1, 1]
    assert fcm.standin.messages(device=devices[4]) == []  # not its range: not resent here

    # The other two ranges, a batch of each in turn (as two workers would).
    positions: dict[int, str | None] = {1: ranges[1][0], 2: ranges[2][0]}
    states: dict[int, str] = {}
    while len(states) < 2:
        for index in (1, 2):
            if index in states:
                continue
            step = await run_send_step(
                settings,
                campaign_id,
                gateway=gateway,
                after=positions[index],
                until=ranges[index][1],
                now=at(MORNING),
            )
            if step.state == "batch":
                positions[index] = step.after
            else:
                states[index] = step.state
    steps = list(states.values())
    # The range that finds nothing left anywhere marks it sent; the other one had ended
    # before (its range done, the campaign not) or stops on finding it sent.
    assert steps.count("finished") == 1
    assert set(steps) - {"finished"} <= {"range_done", "stopped"}
    assert [len(fcm.standin.messages(device=d)) for d in devices] == [1] * 7
    figures = await analytics(client, newsroom, str(campaign_id))
    assert figures["push"] == {"accepted": 7, "failed": {}, "pending": 0}
    assert figures["status"] == "sent"
    assert [e.action for e in await campaign_trail(str(campaign_id))].count("campaign.sent") == 1


async def test_a_range_run_again_from_its_start_skips_what_was_sent_and_goes_on(
    client: httpx.AsyncClient, newsroom: Newsroom, fcm: Fcm, gateway: FcmGateway
) -> None:
    people = [await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A) for _ in range(5)]
    devices = sorted([await register_device(p) for p in people])
    campaign_id = uuid.UUID(
        await approved(newsroom, fcm, audience_kind="agencies", audience_agencies=[AGENCY_A])
    )
    settings = msgspec.structs.replace(fcm.settings, push_batch_size=2, push_send_parts=1)
    first = await run_send_step(settings, campaign_id, gateway=gateway, now=at(MORNING))
    assert (first.state, first.sent, first.after) == ("batch", 2, devices[1])

    # The chain's continuation was lost; the range starts over from its beginning.
    again = await run_send_step(settings, campaign_id, gateway=gateway, now=at(MORNING))
    assert (again.state, again.sent, again.after) == ("batch", 0, devices[1])
    done = await run_range(
        settings, campaign_id, gateway=gateway, after=None, until=None, now=at(MORNING)
    )
    assert done.state == "finished"
    assert [len(fcm.standin.messages(device=d)) for d in devices] == [1] * 5


async def test_a_batch_whose_resend_died_too_is_given_up_as_in_doubt(
    client: httpx.AsyncClient, newsroom: Newsroom, fcm: Fcm, gateway: FcmGateway
) -> None:
    people = [await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A) for _ in range(3)]
    devices = sorted([await register_device(p) for p in people])
    campaign_id = uuid.UUID(
        await approved(newsroom, fcm, audience_kind="agencies", audience_agencies=[AGENCY_A])
    )
    settings = msgspec.structs.replace(fcm.settings, push_batch_size=2)
    async with unit_of_work():
        await sending.do_start(settings, campaign_id, MORNING)
    for run in range(2):  # claimed, then claimed again by the resumed run: both runs die
        async with unit_of_work():
            batch = await sending.do_claim_devices(settings, campaign_id, after=None, now=MORNING)
        assert batch is not None
        assert (len(batch.claims), batch.resent) == (2, run == 1)
    await run_until_done(settings, campaign_id, gateway=gateway, now=at(MORNING))
    assert [len(fcm.standin.messages(device=d)) for d in devices] == [0, 0, 1]
    figures = await analytics(client, newsroom, str(campaign_id))
    assert figures["push"] == {"accepted": 1, "failed": {"in_doubt": 2}, "pending": 0}


async def test_a_resent_push_carries_the_same_collapse_key_as_the_first(
    newsroom: Newsroom, fcm: Fcm, gateway: FcmGateway
) -> None:
    person = await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A)
    device = await register_device(person)
    campaign_id = uuid.UUID(
        await approved(newsroom, fcm, audience_kind="agencies", audience_agencies=[AGENCY_A])
    )
    # This time the request left before the run died: the phone gets it twice, as one.
    async with unit_of_work():
        await sending.do_start(fcm.settings, campaign_id, MORNING)
        batch = await sending.do_claim_devices(fcm.settings, campaign_id, after=None, now=MORNING)
    assert batch is not None
    await gateway.send_to_devices(sending.device_sends(batch))
    await run_until_done(fcm.settings, campaign_id, gateway=gateway, now=at(MORNING))
    keys = [m.collapse_key for m in fcm.standin.messages(device=device)]
    assert keys == [str(campaign_id), str(campaign_id)]


async def test_cancelling_mid_send_stops_the_remaining_batches(
    client: httpx.AsyncClient, newsroom: Newsroom, fcm: Fcm, gateway: FcmGateway
) -> None:
    people = [await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A) for _ in range(6)]
    devices = [await register_device(p) for p in people]
    campaign_id = await approved(
        newsroom, fcm, audience_kind="agencies", audience_agencies=[AGENCY_A]
    )
    settings = msgspec.structs.replace(fcm.settings, push_batch_size=2)
    first = await run_send_step(settings, uuid.UUID(campaign_id), gateway=gateway, now=at(MORNING))
    assert first.state == "batch"
    assert (await newsroom.get(campaign_id))["status"] == "sending"
    cancelled = await client.post(f"{CAMPAIGNS}/{campaign_id}/cancel", headers=newsroom.approver)
    assert cancelled.json()["status"] == "cancelled"
    after = await run_send_step(
        settings, uuid.UUID(campaign_id), gateway=gateway, after=first.after, now=at(MORNING)
    )
    assert after.state == "stopped"
    assert sum(len(fcm.standin.messages(device=d)) for d in devices) == 2
    trail = await campaign_trail(campaign_id)
    assert trail[-1].action == "campaign.cancel"
    assert trail[-1].details == {"from_status": "sending"}
    assert "campaign.sent" not in [e.action for e in trail]
    refused = await client.post(f"{CAMPAIGNS}/{campaign_id}/cancel", headers=newsroom.approver)
    assert refused.json()["code"] == "campaign_not_cancellable"


ERROR_CLASSES = {
    "UNREGISTERED": "unregistered",
    "INVALID_ARGUMENT": "invalid_token",
    "INVALID_MESSAGE": "invalid_message",
    "QUOTA_EXCEEDED": "quota_exceeded",
    "UNAVAILABLE": "unavailable",
    "INTERNAL": "internal",
    "SENDER_ID_MISMATCH": "sender_id_mismatch",
    "THIRD_PARTY_AUTH_ERROR": "third_party_auth",
}


async def test_every_fcm_error_class_is_recorded_and_gone_devices_are_deleted(
    client: httpx.AsyncClient, newsroom: Newsroom, fcm: Fcm, gateway: FcmGateway
) -> None:
    failing: dict[str, tuple[uuid.UUID, str]] = {}
    for code in ERROR_CLASSES:
        person = await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A)
        device = await register_device(person)
        fcm.standin.fail_device(device, code, retry_after=0 if code == "QUOTA_EXCEEDED" else None)
        failing[code] = (person, device)
    healthy = await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A)
    healthy_device = await register_device(healthy)
    campaign_id = await approved(
        newsroom, fcm, audience_kind="agencies", audience_agencies=[AGENCY_A]
    )
    await run_until_done(fcm.settings, uuid.UUID(campaign_id), gateway=gateway, now=at(MORNING))

    figures = await analytics(client, newsroom, campaign_id)
    assert figures["push"]["accepted"] == 1
    assert figures["push"]["failed"] == {outcome: 1 for outcome in ERROR_CLASSES.values()}
    assert len(fcm.standin.messages(device=healthy_device)) == 1
    for code, (person, device) in failing.items():
        async with unit_of_work():
            left = [d.installation_id for d in (await list_devices(person)).items]
        gone = code in ("UNREGISTERED", "INVALID_ARGUMENT")
        assert left == ([] if gone else [device]), code


async def test_broadcast_messages_left_claimed_by_a_dead_run_are_sent_once_more(
    client: httpx.AsyncClient, newsroom: Newsroom, fcm: Fcm, gateway: FcmGateway
) -> None:
    campaign_id = uuid.UUID(
        await approved(
            newsroom,
            fcm,
            category="transport",
            audience_kind="communes",
            audience_communes=["05443"],
        )
    )
    async with unit_of_work():
        await sending.do_start(fcm.settings, campaign_id, MORNING)
        lost = await sending.do_claim_topics(campaign_id, size=4, now=MORNING)
    assert lost is not None and len(lost.targets) == 4
    figures = await analytics(client, newsroom, str(campaign_id))
    assert figures["topic_messages"]["pending"] == 4

    done = await run_until_done(fcm.settings, campaign_id, gateway=gateway, now=at(MORNING))
    assert (done.state, done.sent) == ("finished", 6)
    conditions = [m.to for m in fcm.standin.messages() if m.target == "condition"]
    assert len(conditions) == len(set(conditions)) == 6
    figures = await analytics(client, newsroom, str(campaign_id))
    assert figures["topic_messages"] == {"accepted": 6, "failed": {}, "pending": 0}
