"""The inbox over HTTP: who sees which campaign (everyone, a commune, by name; muted
categories; cancelled campaigns), personal items, languages, pagination, reads,
acknowledgements, surveys, and an unread count that stays exact through all of it.

Campaigns are inserted directly by a small factory (the campaigns workflow is tested on its
own): what the inbox reads is the rows the campaigns sender writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.access import Role
from notifications.service import notify
from notifications.tables import Campaign, CampaignRead, SurveyAnswer, TopicSend
from tests.support.auth import bearer_for, create_person

INBOX = "/api/v1/inbox"
SETTINGS = "/api/v1/notification-settings"
COMMUNE = "05443"
OTHER_COMMUNE = "05710"
_clock = [datetime(2026, 11, 1, 8, 0, tzinfo=UTC)]


def _tick() -> datetime:
    """Distinct, increasing sending times (the inbox's order)."""
    _clock[0] += timedelta(minutes=1)
    return _clock[0]


async def create_campaign(**fields: Any) -> uuid.UUID:
    """A campaign row as the campaigns sender leaves it: sent to all citizens by default.
    `status` before `sending` leaves `sending_started_at` empty, as the workflow does."""
    now = _tick()
    status = fields.pop("status", "sent")
    started = status in ("sending", "sent") or fields.pop("started", False)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "title": "Thông báo lịch tiêm chủng",
        "body": "Lịch tiêm chủng mở rộng tháng 12.",
        "translations": {},
        "category": "announcement",
        "urgent": False,
        "requires_ack": False,
        "audience_kind": "citizens",
        "audience_communes": [],
        "audience_agencies": [],
        "status": status,
        "author_id": uuid.uuid4(),
        "updated_by": uuid.uuid4(),
        "sending_started_at": now if started else None,
        "sent_at": now if status == "sent" else None,
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    await Campaign.insert(Campaign(**values))
    return uuid.UUID(str(values["id"]))


async def address(campaign_id: uuid.UUID, *people: uuid.UUID, agency: str | None = None) -> None:
    """The campaigns sender's rows for a campaign addressed person by person."""
    for person in people:
        await CampaignRead.insert(
            CampaignRead(
                campaign_id=campaign_id,
                person_id=person,
                agency_code=agency,
                created_at=datetime.now(UTC),
            )
        )


async def topic_sent(
    campaign_id: uuid.UUID, *, commune: str | None, status: str = "accepted"
) -> None:
    place = f"commune-{commune}" if commune else "citizens"
    await TopicSend.insert(
        TopicSend(
            campaign_id=campaign_id,
            target=f"'{place}' in topics && 'lang-vi' in topics",
            commune_code=commune,
            language="vi",
            status=status,
            claimed_at=datetime.now(UTC),
        )
    )


async def cancel(campaign_id: uuid.UUID) -> None:
    await Campaign.update({Campaign.status: "cancelled"}).where(Campaign.id == campaign_id)


class Reader:
    """A signed-in person and what they see of their inbox."""

    def __init__(self, client: httpx.AsyncClient, person_id: uuid.UUID, headers: dict[str, str]):
        self.client = client
        self.id = person_id
        self.headers = headers

    async def settings(
        self, *, commune: str | None = None, language: str = "vi", muted: Sequence[str] = ()
    ) -> None:
        response = await self.client.put(
            SETTINGS,
            json={"commune_code": commune, "language": language, "muted_categories": list(muted)},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text

    async def inbox(self, **params: Any) -> dict[str, Any]:
        response = await self.client.get(INBOX, params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def ids(self) -> list[uuid.UUID]:
        return [uuid.UUID(e["id"]) for e in (await self.inbox(limit=100))["items"]]

    async def unread(self) -> int:
        response = await self.client.get(f"{INBOX}/unread-count", headers=self.headers)
        assert response.status_code == 200, response.text
        count = int(response.json()["unread_count"])
        # The list's count is the same number.
        assert (await self.inbox(limit=1))["unread_count"] == count
        return count

    async def post(self, entry: uuid.UUID, action: str, body: Any = None) -> httpx.Response:
        return await self.client.post(f"{INBOX}/{entry}/{action}", json=body, headers=self.headers)

    async def read(self, entry: uuid.UUID) -> dict[str, Any]:
        response = await self.post(entry, "read")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def entry(self, entry: uuid.UUID) -> httpx.Response:
        return await self.client.get(f"{INBOX}/{entry}", headers=self.headers)


@pytest.fixture
async def people(client: httpx.AsyncClient) -> Any:
    async def make(*roles: Role, agency: str = "TEST-AGENCY") -> Reader:
        person = await create_person(*roles, agency=agency)
        return Reader(client, person, await bearer_for(person))

    return make


async def reads_of(campaign_id: uuid.UUID) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await CampaignRead.select().where(
        CampaignRead.campaign_id == campaign_id
    )
    return rows


# --- who sees what ----------------------------------------------------------------------------


async def test_a_province_wide_campaign_reaches_everyone_without_a_row_per_person(
    people: Any,
) -> None:
    anh, binh = await people(), await people()
    campaign = await create_campaign()
    assert campaign in await anh.ids()
    assert campaign in await binh.ids()
    assert await reads_of(campaign) == []  # nothing written per person before a read
    await anh.settings(commune=COMMUNE)
    await anh.read(campaign)
    [row] = await reads_of(campaign)
    assert (row["person_id"], row["commune_code"]) == (anh.id, COMMUNE)
    assert await anh.unread() == 0
    assert await binh.unread() == 1


async def test_a_commune_campaign_is_for_the_people_of_that_commune(people: Any) -> None:
    here, there, nowhere = await people(), await people(), await people()
    await here.settings(commune=COMMUNE)
    await there.settings(commune=OTHER_COMMUNE)
    campaign = await create_campaign(audience_kind="communes", audience_communes=[COMMUNE])
    assert campaign in await here.ids()
    assert campaign not in await there.ids()
    assert campaign not in await nowhere.ids()
    # Moving changes what is addressed to the person...
    await there.settings(commune=COMMUNE)
    assert campaign in await there.ids()
    await here.settings(commune=OTHER_COMMUNE)
    assert campaign not in await here.ids()
    # ...but what they opened stays with them.
    await there.read(campaign)
    await there.settings(commune=OTHER_COMMUNE)
    assert campaign in await there.ids()


async def test_a_campaign_addressed_by_name_is_only_for_those_named(people: Any) -> None:
    named, other = await people(Role.CIVIL_SERVANT), await people(Role.CIVIL_SERVANT)
    campaign = await create_campaign(
        audience_kind="civil_servants", category="circular", requires_ack=True
    )
    await address(campaign, named.id, agency="TEST-AGENCY")
    assert campaign in await named.ids()
    assert campaign not in await other.ids()
    for action in ("read", "acknowledge"):
        assert (await other.post(campaign, action)).status_code == 404
    assert (await other.entry(campaign)).status_code == 404


@pytest.mark.parametrize("status", ["draft", "submitted", "approved", "scheduled"])
async def test_a_campaign_not_yet_sending_is_in_nobodys_inbox(people: Any, status: str) -> None:
    reader = await people()
    campaign = await create_campaign(status=status)
    assert campaign not in await reader.ids()
    assert await reader.unread() == 0
    response = await reader.post(campaign, "read")
    assert response.status_code == 404
    assert response.json()["code"] == "inbox_entry_not_found"


async def test_an_unknown_entry_is_a_404_for_every_action(people: Any) -> None:
    reader = await people()
    unknown = uuid.uuid4()
    assert (await reader.entry(unknown)).status_code == 404
    for action, body in (("read", None), ("acknowledge", None), ("survey", {"rating": 3})):
        response = await reader.post(unknown, action, body)
        assert response.status_code == 404, action
        assert response.json()["code"] == "inbox_entry_not_found"


async def test_a_campaign_cancelled_before_sending_is_in_nobodys_inbox(people: Any) -> None:
    reader = await people()
    campaign = await create_campaign(status="approved")
    await cancel(campaign)
    assert campaign not in await reader.ids()


async def test_a_campaign_cancelled_mid_send_stays_where_it_went_out(people: Any) -> None:
    here, there, named, opened = await people(), await people(), await people(), await people()
    await here.settings(commune=COMMUNE)
    await there.settings(commune=OTHER_COMMUNE)
    await opened.settings(commune=OTHER_COMMUNE)
    public = await create_campaign(
        status="sending", audience_kind="communes", audience_communes=[COMMUNE, OTHER_COMMUNE]
    )
    await topic_sent(public, commune=COMMUNE)
    await topic_sent(public, commune=OTHER_COMMUNE, status="failed")
    everyone = await create_campaign(status="sending")
    await topic_sent(everyone, commune=None, status="sending")  # in doubt: may have gone out
    nothing_sent = await create_campaign(status="sending")
    by_name = await create_campaign(status="sending", audience_kind="list")
    await address(by_name, named.id)
    await opened.read(public)
    for campaign in (public, everyone, nothing_sent, by_name):
        await cancel(campaign)
    assert set(await here.ids()) == {public, everyone}
    assert set(await there.ids()) == {everyone}
    assert set(await opened.ids()) == {public, everyone}  # they had opened it
    assert set(await named.ids()) == {everyone, by_name}


async def test_muting_a_category_hides_its_campaigns_but_not_mandatory_ones(
    people: Any,
) -> None:
    reader = await people()
    health = await create_campaign(category="health")
    emergency = await create_campaign(category="emergency", urgent=True)
    assert await reader.unread() == 2
    await reader.settings(muted=["health"])
    assert await reader.ids() == [emergency]
    assert await reader.unread() == 1
    assert (await reader.post(health, "read")).status_code == 404
    refused = await reader.client.put(
        SETTINGS,
        json={"commune_code": None, "language": "vi", "muted_categories": ["emergency"]},
        headers=reader.headers,
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "notification_category_mandatory"
    await reader.settings(muted=[])
    assert set(await reader.ids()) == {health, emergency}


async def test_muting_keeps_personal_items_in_the_inbox(people: Any) -> None:
    reader = await people()
    await reader.settings(muted=["welfare"])
    [item] = await notify(
        reader.id,
        "welfare.payment_made",
        {"program": "Trợ cấp xã hội", "amount": "500.000", "date": "01/12/2026"},
        category="welfare",
    )
    assert await reader.ids() == [item]
    assert await reader.unread() == 1


# --- what an entry shows ----------------------------------------------------------------------


async def test_an_entry_comes_in_the_persons_language_or_in_vietnamese(people: Any) -> None:
    reader = await people()
    campaign = await create_campaign(
        title="Thông báo mất điện",
        body="Mất điện từ 8h đến 11h.",
        translations={
            "en": {"title": "Power cut", "body": "No power from 8 to 11."},
            "tay": {"title": "", "body": ""},
        },
    )
    vietnamese = (await reader.inbox())["items"][0]
    assert (vietnamese["title"], vietnamese["language"]) == ("Thông báo mất điện", "vi")
    await reader.settings(language="en")
    english = (await reader.inbox())["items"][0]
    assert (english["title"], english["body"], english["language"]) == (
        "Power cut",
        "No power from 8 to 11.",
        "en",
    )
    await reader.settings(language="tay")  # an empty translation falls back to Vietnamese
    assert (await reader.inbox())["items"][0]["title"] == "Thông báo mất điện"
    await reader.settings(language="hmn")
    entry = (await reader.entry(campaign)).json()
    assert (entry["title"], entry["language"]) == ("Thông báo mất điện", "vi")


async def test_an_entry_shows_everything_the_app_needs(people: Any) -> None:
    reader = await people()
    article = uuid.uuid4()
    campaign = await create_campaign(
        category="health",
        urgent=True,
        deep_link="ctn://articles/lich-tiem",
        article_id=article,
        survey={"question": "Bạn có hài lòng?", "kind": "rating", "options": []},
    )
    entry = (await reader.entry(campaign)).json()
    assert entry == entry | {
        "id": str(campaign),
        "kind": "campaign",
        "category": "health",
        "urgent": True,
        "deep_link": "ctn://articles/lich-tiem",
        "article_id": str(article),
        "image": None,
        "requires_ack": False,
        "opened_at": None,
        "acknowledged_at": None,
    }
    assert entry["survey"] == {
        "kind": "rating",
        "question": "Bạn có hài lòng?",
        "options": [],
        "answer": None,
        "answered_at": None,
    }


async def test_the_inbox_is_paged_newest_first_without_gaps_or_repeats(people: Any) -> None:
    reader = await people()
    made = []
    for n in range(13):
        if n % 3 == 0:
            [item] = await notify(
                reader.id, "tips.new_message", {"reference": f"TB-{n}"}, category="tips"
            )
            made.append(item)
        else:
            made.append(await create_campaign(title=f"Chiến dịch {n}"))
    # Items are stamped with the real clock, campaigns with the factory's: compare as listed.
    seen: list[str] = []
    cursor = None
    while True:
        page = await reader.inbox(limit=4, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 4
        assert page["unread_count"] == 13
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(str(m) for m in made)
    assert len(seen) == len(set(seen)) == 13
    everything = (await reader.inbox(limit=100))["items"]
    assert [e["id"] for e in everything] == seen
    times = [e["created_at"] for e in everything]
    assert times == sorted(times, reverse=True)


async def test_a_cursor_of_another_list_is_refused(people: Any) -> None:
    reader = await people()
    response = await reader.client.get(
        INBOX, params={"cursor": "not-a-cursor"}, headers=reader.headers
    )
    assert response.status_code in (400, 422)
    assert response.json()["code"] == "invalid_cursor"


async def test_the_inbox_needs_a_signed_in_person(client: httpx.AsyncClient, db: None) -> None:
    assert (await client.get(INBOX)).status_code == 401
    assert (await client.get(f"{INBOX}/unread-count")).status_code == 401


# --- reading and acknowledging ----------------------------------------------------------------


async def test_the_first_read_is_recorded_once(people: Any) -> None:
    reader = await people(Role.CIVIL_SERVANT, agency="TEST-SO-Y-TE")
    campaign = await create_campaign()
    first = await reader.read(campaign)
    again = await reader.read(campaign)
    assert first["opened_at"] is not None
    assert again["opened_at"] == first["opened_at"]
    [row] = await reads_of(campaign)
    assert row["agency_code"] == "TEST-SO-Y-TE"


async def test_acknowledging_a_circular_opens_it_too(people: Any) -> None:
    servant = await people(Role.CIVIL_SERVANT)
    circular = await create_campaign(
        audience_kind="civil_servants", category="circular", requires_ack=True
    )
    await address(circular, servant.id)
    assert await servant.unread() == 1
    response = await servant.post(circular, "acknowledge")
    assert response.status_code == 200, response.text
    entry = response.json()
    assert entry["acknowledged_at"] is not None and entry["opened_at"] is not None
    assert await servant.unread() == 0
    again = (await servant.post(circular, "acknowledge")).json()
    assert again["acknowledged_at"] == entry["acknowledged_at"]
    [row] = await reads_of(circular)
    assert row["acknowledged_at"] is not None


async def test_acknowledging_what_does_not_ask_for_it_is_a_409(people: Any) -> None:
    reader = await people()
    campaign = await create_campaign()
    [item] = await notify(reader.id, "tips.new_message", {"reference": "TB-1"}, category="tips")
    for entry in (campaign, item):
        response = await reader.post(entry, "acknowledge")
        assert response.status_code == 409
        assert response.json()["code"] == "inbox_ack_not_required"
    assert await reader.unread() == 2  # nothing was marked


async def test_a_personal_item_is_read_once(people: Any) -> None:
    reader = await people()
    [item] = await notify(reader.id, "tips.new_message", {"reference": "TB-9"}, category="tips")
    first = await reader.read(item)
    assert first["kind"] == "item"
    assert (await reader.read(item))["opened_at"] == first["opened_at"]
    stranger = await people()
    assert (await stranger.post(item, "read")).status_code == 404


# --- surveys ----------------------------------------------------------------------------------

SINGLE = {"question": "Kênh nào?", "kind": "single", "options": ["Loa", "Ứng dụng", "Zalo"]}
MULTIPLE = {"question": "Chủ đề nào?", "kind": "multiple", "options": ["Y tế", "Giao thông"]}
RATING = {"question": "Mức hài lòng?", "kind": "rating", "options": []}


@pytest.mark.parametrize(
    ("survey", "answer", "stored"),
    [
        (SINGLE, {"choices": [1]}, [1]),
        (MULTIPLE, {"choices": [1, 0]}, [0, 1]),
        (MULTIPLE, {"choices": [1]}, [1]),
        (RATING, {"rating": 5}, [5]),
    ],
    ids=["single", "multiple", "multiple-one", "rating"],
)
async def test_a_survey_answer_is_recorded_and_opens_the_campaign(
    people: Any, survey: dict[str, Any], answer: dict[str, Any], stored: list[int]
) -> None:
    reader = await people()
    campaign = await create_campaign(survey=survey)
    response = await reader.post(campaign, "survey", answer)
    assert response.status_code == 200, response.text
    assert response.json()["survey"]["answer"] == stored
    assert response.json()["opened_at"] is not None
    assert await reader.unread() == 0
    [row] = await SurveyAnswer.select().where(SurveyAnswer.campaign_id == campaign)
    assert row["choices"] == stored


@pytest.mark.parametrize(
    ("survey", "answer"),
    [
        (SINGLE, {"choices": [0, 1]}),
        (SINGLE, {"choices": []}),
        (SINGLE, {"choices": [3]}),
        (SINGLE, {"choices": [-1]}),
        (SINGLE, {"rating": 3}),
        (MULTIPLE, {"choices": [0, 0]}),
        (MULTIPLE, {}),
        (RATING, {"rating": 0}),
        (RATING, {"rating": 6}),
        (RATING, {"choices": [2]}),
        (RATING, {"rating": 3, "choices": [1]}),
    ],
    ids=[
        "single-two",
        "single-none",
        "single-out-of-range",
        "single-negative",
        "single-rated",
        "multiple-duplicate",
        "multiple-empty",
        "rating-0",
        "rating-6",
        "rating-as-choice",
        "both",
    ],
)
async def test_an_answer_that_does_not_fit_the_survey_is_a_422(
    people: Any, survey: dict[str, Any], answer: dict[str, Any]
) -> None:
    reader = await people()
    campaign = await create_campaign(survey=survey)
    response = await reader.post(campaign, "survey", answer)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "inbox_survey_answer_invalid"
    assert await SurveyAnswer.count().where(SurveyAnswer.campaign_id == campaign) == 0
    assert await reader.unread() == 1


async def test_answering_again_replaces_the_earlier_answer(people: Any) -> None:
    reader = await people()
    campaign = await create_campaign(survey=SINGLE)
    await reader.post(campaign, "survey", {"choices": [0]})
    response = await reader.post(campaign, "survey", {"choices": [2]})
    assert response.json()["survey"]["answer"] == [2]
    rows = await SurveyAnswer.select().where(SurveyAnswer.campaign_id == campaign)
    assert [r["choices"] for r in rows] == [[2]]


async def test_answering_where_there_is_no_survey_is_a_409(people: Any) -> None:
    reader = await people()
    campaign = await create_campaign()
    [item] = await notify(reader.id, "tips.new_message", {"reference": "TB-2"}, category="tips")
    for entry in (campaign, item):
        response = await reader.post(entry, "survey", {"choices": [0]})
        assert response.status_code == 409
        assert response.json()["code"] == "inbox_survey_not_available"


async def test_a_survey_is_shown_in_the_persons_language(people: Any) -> None:
    reader = await people()
    await reader.settings(language="en")
    await create_campaign(
        survey={
            "question": "Bạn nghe tin qua kênh nào?",
            "question_en": "Where did you hear it?",
            "kind": "single",
            "options": [{"vi": "Loa phường", "en": "Loudspeaker"}, "Zalo"],
        }
    )
    survey = (await reader.inbox())["items"][0]["survey"]
    assert survey["question"] == "Where did you hear it?"
    assert survey["options"] == ["Loudspeaker", "Zalo"]


# --- the unread count -------------------------------------------------------------------------


async def test_the_unread_count_stays_exact_through_everything(people: Any) -> None:
    """One person's count after each event, against what the inbox lists unopened."""
    person = await people(Role.CIVIL_SERVANT)
    await person.settings(commune=COMMUNE)

    async def expect(n: int) -> None:
        assert await person.unread() == n
        unopened = [e for e in (await person.inbox(limit=100))["items"] if e["opened_at"] is None]
        assert len(unopened) == n

    await expect(0)
    everyone = await create_campaign()
    await expect(1)
    ours = await create_campaign(audience_kind="communes", audience_communes=[COMMUNE])
    await create_campaign(audience_kind="communes", audience_communes=[OTHER_COMMUNE])
    await expect(2)
    [item] = await notify(person.id, "tips.status_changed", {"reference": "TB-7"}, category="tips")
    await expect(3)
    await person.read(everyone)
    await expect(2)
    await person.read(everyone)  # again: no change
    await expect(2)
    circular = await create_campaign(
        audience_kind="agencies", category="circular", requires_ack=True
    )
    await address(circular, person.id)
    await expect(3)
    assert (await person.post(circular, "acknowledge")).status_code == 200
    await expect(2)
    health = await create_campaign(category="health")
    await expect(3)
    await person.settings(commune=COMMUNE, muted=["health"])
    await expect(2)
    await person.settings(commune=OTHER_COMMUNE, muted=["health"])  # `ours` leaves, another comes
    await expect(2)
    await person.settings(commune=None, muted=["health"])
    await expect(1)
    await person.settings(commune=COMMUNE)  # unmuted, back home
    await expect(3)
    await cancel(health)  # cancelled mid-send with no topic message out: gone
    await expect(2)
    await create_campaign(status="scheduled")
    await expect(2)
    await person.read(item)
    await person.read(ours)
    await expect(0)
    assert health not in await person.ids()


async def test_other_peoples_reads_do_not_change_a_count(people: Any) -> None:
    mine, other = await people(), await people()
    campaigns = [await create_campaign() for _ in range(3)]
    for campaign in campaigns:
        await other.read(campaign)
    assert await mine.unread() == 3
    assert await other.unread() == 0


# --- images -----------------------------------------------------------------------------------


async def test_an_entrys_image_redirects_to_a_signed_url_for_its_readers(
    people: Any, client: httpx.AsyncClient
) -> None:
    from tests.content.test_uploads import jpeg_with_gps

    officer = await people(Role.COMMS_OFFICER)
    uploaded = await client.post(
        "/api/v1/media",
        params={"purpose": "campaign_image"},
        files={"file": ("anh.jpg", jpeg_with_gps(), "image/jpeg")},
        headers=officer.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    asset = uuid.UUID(uploaded.json()["id"])
    reader = await people()
    campaign = await create_campaign(image_asset_id=asset)
    entry = (await reader.entry(campaign)).json()
    assert entry["image"] == {"asset_id": str(asset), "url": f"{INBOX}/{campaign}/image"}
    redirect = await client.get(entry["image"]["url"], headers=reader.headers)
    assert redirect.status_code == 302, redirect.text
    image = await client.get(redirect.headers["location"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    hidden = await create_campaign(status="draft", image_asset_id=asset)
    assert (await client.get(f"{INBOX}/{hidden}/image", headers=reader.headers)).status_code == 404
    plain = await create_campaign()
    missing = await client.get(f"{INBOX}/{plain}/image", headers=reader.headers)
    assert missing.json()["code"] == "inbox_image_not_found"
