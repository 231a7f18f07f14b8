"""Campaigns over HTTP: what a writer may put in one (each refusal with its code), the
workflow draft → submitted → approved/scheduled with a second approver, returning with a
comment, edits sending it back to draft, cancelling, the list, uploaded lists and estimates.

The helpers here (`Newsroom`, `register_device`, `campaign_trail`) serve the other campaign
tests too."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import msgspec
import pytest

from backend.access import Principal, Role
from backend.audit.repository import EntryRow, search
from backend.db import unit_of_work
from backend.identity.schemas import Agency
from backend.identity.service import do_upsert_agency
from backend.settings import get_settings
from notifications.devices.schemas import DeviceRegistration, NotificationSettingsUpdate
from notifications.devices.service import do_register_device, do_update_settings
from tests.support.auth import auth_headers, bearer_for, create_person

CAMPAIGNS = "/api/v1/campaigns"
AGENCY_A = "TEST-CAMP-A"
AGENCY_B = "TEST-CAMP-B"


class Newsroom:
    """A communications officer who writes and an approver who approves (with their ids,
    for calling the service directly with a chosen clock)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        officer_id: uuid.UUID,
        officer: dict[str, str],
        approver_id: uuid.UUID,
        approver: dict[str, str],
    ) -> None:
        self.client = client
        self.officer_id = officer_id
        self.officer = officer
        self.approver_id = approver_id
        self.approver = approver

    @property
    def officer_principal(self) -> Principal:
        return Principal(id=self.officer_id, roles=frozenset({"citizen", "comms_officer"}))

    @property
    def approver_principal(self) -> Principal:
        return Principal(id=self.approver_id, roles=frozenset({"citizen", "comms_approver"}))

    async def draft(self, **fields: Any) -> dict[str, Any]:
        body = {
            "title": "Thông báo thử nghiệm",
            "body": "Nội dung thông báo.",
            "category": "circular",
            "audience_kind": "civil_servants",
            **fields,
        }
        response = await self.client.post(CAMPAIGNS, json=body, headers=self.officer)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def post(
        self, campaign_id: str, action: str, headers: dict[str, str], **body: Any
    ) -> httpx.Response:
        return await self.client.post(
            f"{CAMPAIGNS}/{campaign_id}/{action}", json=body or None, headers=headers
        )

    async def submit(self, campaign_id: str) -> dict[str, Any]:
        response = await self.post(campaign_id, "submit", self.officer)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def approve(self, campaign_id: str) -> dict[str, Any]:
        response = await self.post(campaign_id, "approve", self.approver)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def get(self, campaign_id: str) -> dict[str, Any]:
        response = await self.client.get(f"{CAMPAIGNS}/{campaign_id}", headers=self.officer)
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
async def newsroom(client: httpx.AsyncClient) -> Newsroom:
    for code in (AGENCY_A, AGENCY_B):
        await do_upsert_agency(Agency(code=code, name=f"Cơ quan {code}"))
    officer = await create_person(Role.COMMS_OFFICER)
    approver = await create_person(Role.COMMS_APPROVER)
    return Newsroom(
        client, officer, await bearer_for(officer), approver, await bearer_for(approver)
    )


async def register_device(
    person_id: uuid.UUID,
    installation_id: str | None = None,
    *,
    locale: str = "vi-VN",
    commune: str | None = None,
    language: str | None = None,
    muted: tuple[str, ...] = (),
) -> str:
    """A device of the person, through the devices service (and their settings, if given)."""
    installation_id = installation_id or f"fid-{uuid.uuid4().hex}"
    async with unit_of_work():
        await do_register_device(
            person_id,
            installation_id,
            msgspec.convert(
                {"platform": "android", "app_version": "1.0.0", "locale": locale},
                DeviceRegistration,
            ),
        )
        if commune is not None or language is not None or muted:
            await do_update_settings(
                get_settings(),
                person_id,
                NotificationSettingsUpdate(
                    commune_code=commune,
                    language=language or locale.split("-")[0],
                    muted_categories=list(muted),
                ),
            )
    return installation_id


async def campaign_trail(campaign_id: str) -> list[EntryRow]:
    """The campaign's audit entries, oldest first."""
    async with unit_of_work():
        trail = await search(
            actor_id=None,
            action="campaign.*",
            object_type="campaign",
            object_id=campaign_id,
            since=None,
            until=None,
            before_id=None,
            limit=100,
        )
    return list(reversed(trail))


def code_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    return str(response.json()["code"])


# --- what a campaign may hold -------------------------------------------------------------------


async def test_a_draft_keeps_its_text_translations_survey_and_audience(
    newsroom: Newsroom,
) -> None:
    draft = await newsroom.draft(
        title="Lịch tiêm chủng tháng 12",
        body="Trạm y tế phường tiêm vắc-xin sởi cho trẻ từ 9 tháng tuổi.",
        translations={"en": {"title": "December vaccinations", "body": "Measles vaccine."}},
        category="health",
        audience_kind="communes",
        audience_communes=["05569", "05443", "05443"],
        deep_link="https://thainguyen.gov.vn/tiem-chung",
        survey={
            "question": "Thông tin có hữu ích không?",
            "question_en": "Was this useful?",
            "kind": "single",
            "options": [{"label": "Có", "label_en": "Yes"}, {"label": "Không"}],
        },
    )
    assert draft["status"] == "draft"
    assert draft["audience_communes"] == ["05443", "05569"]
    assert draft["translations"]["en"]["title"] == "December vaccinations"
    assert draft["survey"]["options"][1] == {"label": "Không", "label_en": None}
    assert draft["author_id"] == str(newsroom.officer_id)
    assert draft["changes"] is None
    assert draft["plan"] is not None
    again = await newsroom.get(draft["id"])
    assert again["title"] == "Lịch tiêm chủng tháng 12"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"category": "gossip"}, "campaign_category_invalid"),
        ({"translations": {"fr": {"title": "x", "body": "y"}}}, "campaign_translation_invalid"),
        ({"translations": {"vi": {"title": "x", "body": "y"}}}, "campaign_translation_invalid"),
        ({"audience_kind": "citizens", "requires_ack": True}, "campaign_ack_internal_only"),
        ({"audience_kind": "communes"}, "campaign_audience_invalid"),
        (
            {"audience_kind": "communes", "audience_communes": ["99999"]},
            "campaign_audience_invalid",
        ),
        (
            {"audience_kind": "agencies", "audience_agencies": ["NO-SUCH-AGENCY"]},
            "campaign_audience_invalid",
        ),
        ({"audience_communes": ["05443"]}, "campaign_audience_invalid"),
        ({"deep_link": "http://example.com/x"}, "campaign_deep_link_invalid"),
        ({"deep_link": "javascript:alert(1)"}, "campaign_deep_link_invalid"),
        (
            {"survey": {"question": "?", "kind": "single", "options": [{"label": "Một"}]}},
            "campaign_survey_invalid",
        ),
        (
            {"survey": {"question": "?", "kind": "rating", "options": [{"label": "Một"}]}},
            "campaign_survey_invalid",
        ),
        ({"article_id": str(uuid.uuid4())}, "campaign_article_invalid"),
        ({"image_asset_id": str(uuid.uuid4())}, "campaign_image_invalid"),
        ({"scheduled_for": "2020-01-01T08:00:00+07:00"}, "campaign_schedule_in_past"),
        ({"scheduled_for": "2099-01-01T08:00:00"}, "validation_failed"),
    ],
)
async def test_a_campaign_with_invalid_content_is_refused_with_its_code(
    client: httpx.AsyncClient, newsroom: Newsroom, fields: dict[str, Any], code: str
) -> None:
    body = {
        "title": "Tiêu đề",
        "body": "Nội dung.",
        "category": "circular",
        "audience_kind": "civil_servants",
        **fields,
    }
    response = await client.post(CAMPAIGNS, json=body, headers=newsroom.officer)
    assert code_of(response, 422) == code


async def test_an_app_link_and_an_internal_survey_rating_are_accepted(newsroom: Newsroom) -> None:
    draft = await newsroom.draft(
        deep_link="vn.gov.thainguyen.cthainguyen:/thu-tuc/cap-doi-cccd",
        survey={"question": "Bạn đánh giá thông báo này thế nào?", "kind": "rating"},
    )
    assert draft["deep_link"].startswith("vn.gov.thainguyen.cthainguyen:")
    assert draft["survey"]["kind"] == "rating"


async def test_only_communications_officers_write_and_both_roles_read(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    body = {"title": "T", "body": "B", "category": "circular", "audience_kind": "civil_servants"}
    by_approver = await client.post(CAMPAIGNS, json=body, headers=newsroom.approver)
    assert code_of(by_approver, 403) == "permission_denied"
    draft = await newsroom.draft()
    seen = await client.get(f"{CAMPAIGNS}/{draft['id']}", headers=newsroom.approver)
    assert seen.status_code == 200
    for headers in (await auth_headers(Role.CIVIL_SERVANT), await auth_headers(Role.SYSTEM_ADMIN)):
        refused = await client.get(f"{CAMPAIGNS}/{draft['id']}", headers=headers)
        assert code_of(refused, 403) == "permission_denied"
    missing = await client.get(f"{CAMPAIGNS}/{uuid.uuid4()}", headers=newsroom.officer)
    assert code_of(missing, 404) == "campaign_not_found"


# --- the workflow ---------------------------------------------------------------------------------


async def test_a_submitted_campaign_is_approved_by_another_approver_and_goes_out_now(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    draft = await newsroom.draft(title="Họp giao ban tuần", requires_ack=True)
    submitted = await newsroom.submit(draft["id"])
    assert submitted["status"] == "submitted"
    assert submitted["submitted_by"] == str(newsroom.officer_id)
    assert submitted["changes"] is None  # first submission: nothing to compare with
    again = await newsroom.post(draft["id"], "submit", newsroom.officer)
    assert code_of(again, 409) == "campaign_not_draft"
    by_officer = await newsroom.post(draft["id"], "approve", newsroom.officer)
    assert code_of(by_officer, 403) == "permission_denied"

    approved = await newsroom.approve(draft["id"])
    # An internal campaign goes out at once, whatever the hour (quiet hours are for the public).
    assert approved["status"] == "approved"
    assert approved["approved_by"] == str(newsroom.approver_id)
    assert approved["send_after"] is not None
    assert approved["quiet_hours_delayed"] is False
    assert approved["plan"] is None
    twice = await newsroom.post(draft["id"], "approve", newsroom.approver)
    assert code_of(twice, 409) == "campaign_not_submitted"

    trail = await campaign_trail(draft["id"])
    assert [e.action for e in trail] == ["campaign.create", "campaign.submit", "campaign.approve"]
    assert trail[2].actor_id == str(newsroom.approver_id)
    assert trail[2].details["author"] == str(newsroom.officer_id)


async def test_an_approver_may_not_approve_what_they_wrote_or_last_changed(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    both_id = await create_person(Role.COMMS_OFFICER, Role.COMMS_APPROVER)
    both = await bearer_for(both_id)
    own = await client.post(
        CAMPAIGNS,
        json={"title": "T", "body": "B", "category": "circular", "audience_kind": "civil_servants"},
        headers=both,
    )
    own_id = own.json()["id"]
    await newsroom.post(own_id, "submit", both)
    refused = await newsroom.post(own_id, "approve", both)
    assert code_of(refused, 403) == "campaign_self_approval"

    theirs = await newsroom.draft()
    edited = await client.patch(
        f"{CAMPAIGNS}/{theirs['id']}", json={"body": "Sửa câu chữ."}, headers=both
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["updated_by"] == str(both_id)
    await newsroom.submit(theirs["id"])
    refused = await newsroom.post(theirs["id"], "approve", both)
    assert code_of(refused, 403) == "campaign_last_editor_approval"
    # Another approver may.
    assert (await newsroom.approve(theirs["id"]))["status"] == "approved"


async def test_an_approver_returns_a_campaign_with_a_comment_and_sees_what_changed_since(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    draft = await newsroom.draft(title="Lịch trực Tết", body="Trực từ 28 Tết.")
    await newsroom.submit(draft["id"])
    empty = await newsroom.post(draft["id"], "return", newsroom.approver, comment="")
    assert empty.status_code == 422
    returned = await newsroom.post(
        draft["id"], "return", newsroom.approver, comment="Ghi rõ số điện thoại trực."
    )
    assert returned.status_code == 200, returned.text
    campaign = returned.json()
    assert campaign["status"] == "draft"
    assert campaign["review_comment"] == "Ghi rõ số điện thoại trực."
    assert campaign["returned_by"] == str(newsroom.approver_id)

    edited = await client.patch(
        f"{CAMPAIGNS}/{draft['id']}",
        json={"body": "Trực từ 28 Tết, điện thoại 0208 3855 000.", "urgent": True},
        headers=newsroom.officer,
    )
    changes = edited.json()["changes"]
    assert [c["field"] for c in changes] == ["body", "urgent"]
    assert changes[0]["before"] == "Trực từ 28 Tết."
    assert changes[0]["after"] == "Trực từ 28 Tết, điện thoại 0208 3855 000."

    resubmitted = await newsroom.submit(draft["id"])
    assert resubmitted["review_comment"] is None
    # What the approver looks at again: the fields changed since the first submission.
    assert [c["field"] for c in resubmitted["changes"]] == ["body", "urgent"]
    seen = await client.get(f"{CAMPAIGNS}/{draft['id']}", headers=newsroom.approver)
    assert [c["field"] for c in seen.json()["changes"]] == ["body", "urgent"]
    trail = await campaign_trail(draft["id"])
    assert [e.action for e in trail] == [
        "campaign.create",
        "campaign.submit",
        "campaign.return",
        "campaign.update",
        "campaign.submit",
    ]
    assert trail[2].details["comment"] == "Ghi rõ số điện thoại trực."
    assert trail[3].details["fields"] == ["body", "urgent"]
    assert trail[4].details["changed"] == ["body", "urgent"]


async def test_editing_a_submitted_or_approved_campaign_brings_it_back_to_draft(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    draft = await newsroom.draft(scheduled_for="2099-01-01T08:00:00+07:00")
    await newsroom.submit(draft["id"])
    scheduled = await newsroom.approve(draft["id"])
    assert scheduled["status"] == "scheduled"
    assert scheduled["send_after"].startswith("2099-01-01T01:00:00")

    same = await client.patch(
        f"{CAMPAIGNS}/{draft['id']}", json={"title": draft["title"]}, headers=newsroom.officer
    )
    assert same.json()["status"] == "scheduled"  # nothing changed, nothing written

    edited = await client.patch(
        f"{CAMPAIGNS}/{draft['id']}", json={"title": "Tiêu đề mới"}, headers=newsroom.officer
    )
    back = edited.json()
    assert back["status"] == "draft"
    assert back["approved_by"] is None and back["send_after"] is None
    assert (await campaign_trail(draft["id"]))[-1].details == {
        "fields": ["title"],
        "back_to_draft": True,
        "from_status": "scheduled",
    }
    refused = await newsroom.post(draft["id"], "approve", newsroom.approver)
    assert code_of(refused, 409) == "campaign_not_submitted"


async def test_the_author_or_an_approver_cancels_before_it_is_sent(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    first = await newsroom.draft()
    other_officer = await auth_headers(Role.COMMS_OFFICER)
    refused = await newsroom.post(first["id"], "cancel", other_officer)
    assert code_of(refused, 403) == "campaign_cancel_not_allowed"
    cancelled = await newsroom.post(first["id"], "cancel", newsroom.officer)
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled_by"] == str(newsroom.officer_id)
    again = await newsroom.post(first["id"], "cancel", newsroom.approver)
    assert code_of(again, 409) == "campaign_not_cancellable"
    edit = await client.patch(
        f"{CAMPAIGNS}/{first['id']}", json={"title": "Muộn"}, headers=newsroom.officer
    )
    assert code_of(edit, 409) == "campaign_not_editable"

    second = await newsroom.draft()
    await newsroom.submit(second["id"])
    await newsroom.approve(second["id"])
    by_approver = await newsroom.post(second["id"], "cancel", newsroom.approver)
    assert by_approver.json()["status"] == "cancelled"
    trail = await campaign_trail(second["id"])
    assert trail[-1].action == "campaign.cancel"
    assert trail[-1].details == {"from_status": "approved"}


async def test_the_list_filters_by_status_and_pages_with_a_cursor(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    made = [(await newsroom.draft(title=f"Bản tin số {i}"))["id"] for i in range(5)]
    await newsroom.submit(made[0])
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"status": "draft", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(CAMPAIGNS, params=params, headers=newsroom.approver)).json()
        seen += [item["id"] for item in page["items"]]
        assert all(item["status"] == "draft" for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [i for i in seen if i in made] == list(reversed(made[1:]))
    submitted = await client.get(
        CAMPAIGNS, params={"status": "submitted"}, headers=newsroom.officer
    )
    assert [i["id"] for i in submitted.json()["items"]] == [made[0]]
    bad = await client.get(CAMPAIGNS, params={"cursor": "nonsense"}, headers=newsroom.officer)
    assert code_of(bad, 400) == "invalid_cursor"


# --- audiences -----------------------------------------------------------------------------------


async def test_an_uploaded_list_answers_counts_only_and_becomes_the_audience(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    from backend.identity.service import do_provision_person

    async with unit_of_work():
        known = [
            await do_provision_person(f"0190{n:08d}", "Người trong danh sách")
            for n in (11111111, 22222222, 33333333)
        ]
    for person in known[:2]:
        await register_device(person.id)
    draft = await newsroom.draft(audience_kind="list", category="announcement")
    empty_submit = await newsroom.post(draft["id"], "submit", newsroom.officer)
    assert code_of(empty_submit, 422) == "campaign_audience_empty"

    lines = [
        "so_dinh_danh,ho_ten",
        f"{known[0].personal_id},Nguyễn Văn A",
        f"{known[1].personal_id},Trần Thị B",
        f'"{known[2].personal_id}",Lê Văn C',
        f"{known[0].personal_id},Nguyễn Văn A",
        "019999999999,Không có",
        "12345,Sai",
        "",
    ]
    url = f"{CAMPAIGNS}/{draft['id']}/audience-list"
    uploaded = await client.post(
        url,
        content="\n".join(lines).encode(),
        headers={**newsroom.officer, "Content-Type": "text/csv"},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json() == {"found": 3, "unknown": 1, "invalid": 1, "duplicates": 1}
    for person in known:
        assert person.personal_id not in uploaded.text
    campaign = await newsroom.get(draft["id"])
    assert campaign["audience_list_size"] == 3
    estimate = await client.get(f"{CAMPAIGNS}/{draft['id']}/estimate", headers=newsroom.officer)
    assert estimate.json() == {"people": 3, "devices": 2, "muted_excluded": 0}
    trail = await campaign_trail(draft["id"])
    assert trail[-1].action == "campaign.audience_list"
    assert trail[-1].details == {"found": 3, "unknown": 1, "invalid": 1, "duplicates": 1}
    assert not any(p.personal_id in str(e.details) for e in trail for p in known)

    # A second upload replaces the first; plain text works too.
    again = await client.post(
        url,
        content=f"{known[2].personal_id}\n".encode(),
        headers={**newsroom.officer, "Content-Type": "text/plain"},
    )
    assert again.json()["found"] == 1
    assert (await newsroom.get(draft["id"]))["audience_list_size"] == 1
    unreadable = await client.post(
        url, content=b"\xff\xfe\x00", headers={**newsroom.officer, "Content-Type": "text/plain"}
    )
    assert code_of(unreadable, 400) == "campaign_audience_list_unreadable"

    other = await newsroom.draft()
    wrong_kind = await client.post(
        f"{CAMPAIGNS}/{other['id']}/audience-list",
        content=b"019011111111\n",
        headers={**newsroom.officer, "Content-Type": "text/plain"},
    )
    assert code_of(wrong_kind, 409) == "campaign_not_list_audience"

    # Leaving the list audience drops the list.
    moved = await client.patch(
        f"{CAMPAIGNS}/{draft['id']}",
        json={"audience_kind": "civil_servants"},
        headers=newsroom.officer,
    )
    assert moved.json()["audience_list_size"] == 0


async def test_the_estimate_counts_people_and_devices_of_communes_and_agencies_without_mutes(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    # Citizens following two communes; one muted health news, one follows another commune.
    follower = await create_person()
    await register_device(follower, commune="05443")
    await register_device(follower, commune="05443")
    muted = await create_person()
    await register_device(muted, commune="05569", muted=("health",))
    elsewhere = await create_person()
    await register_device(elsewhere, commune="05455")
    query = {"audience_kind": "communes", "audience_communes": ["05443", "05569"]}
    health = await client.post(
        f"{CAMPAIGNS}/estimate", json={**query, "category": "health"}, headers=newsroom.officer
    )
    assert health.json() == {"people": 1, "devices": 2, "muted_excluded": 1}
    emergency = await client.post(
        f"{CAMPAIGNS}/estimate", json={**query, "category": "emergency"}, headers=newsroom.officer
    )
    assert emergency.json() == {"people": 2, "devices": 3, "muted_excluded": 0}

    # Civil servants of one agency, with and without devices.
    a1 = await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A)
    a2 = await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A)
    b1 = await create_person(Role.CIVIL_SERVANT, agency=AGENCY_B)
    await register_device(a1)
    await register_device(b1)
    draft = await newsroom.draft(audience_kind="agencies", audience_agencies=[AGENCY_A])
    estimate = await client.get(f"{CAMPAIGNS}/{draft['id']}/estimate", headers=newsroom.officer)
    assert estimate.json() == {"people": 2, "devices": 1, "muted_excluded": 0}
    assert a2  # counted although without a device
