"""The campaign pages of the console over real HTTP (`ctn serve`, signed in through the web
flow): the list and its counts, the editor (translations, survey, audience picker with the
province's tile map, the live side panel with the estimate, quiet hours and the phone
preview), submitting, the approver's screen with what changed since the submission before,
approval by another approver (never the author), return with a comment, cancel, an uploaded
list, the analytics page and its CSV exports — and who may see which page."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from backend.access import Principal, Role
from backend.db import unit_of_work
from backend.identity import repository as identity_repository
from backend.settings import get_settings
from notifications.campaigns.jobs import run_until_done
from notifications.inbox import service as inbox
from notifications.inbox.schemas import SurveyAnswerCreate
from notifications.push.logging import LoggingGateway
from tests.console.test_articles_pages import (
    APPROVER,
    OFFICER,
    SECOND_APPROVER,
    WELFARE_OFFICER,
    form_headers,
    post_form,
    signed_in,
)
from tests.console.test_articles_pages import browser as browser  # fixture
from tests.identity.conftest import CITIZEN, OTHER_CITIZEN
from tests.notifications.test_campaigns import register_device
from tests.support.auth import create_person

PAGES = "/console/campaigns"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
AGENCY_A = "TEST-PAGES-A"
AGENCY_B = "TEST-PAGES-B"


@pytest.fixture
async def officer(http: httpx.AsyncClient) -> httpx.AsyncClient:
    await signed_in(http, OFFICER, Role.COMMS_OFFICER)
    return http


def campaign_form(**fields: Any) -> dict[str, Any]:
    """The editor's fields as the browser sends them (an internal campaign by default: it
    goes out at once whatever the hour)."""
    data: dict[str, Any] = {
        "title": "Họp giao ban tháng 12",
        "body": "Kính mời các đồng chí dự họp lúc 8 giờ.",
        "category": "announcement",
        "audience_kind": "civil_servants",
        "survey_kind": "",
        "scheduled_for": "",
    }
    data.update(fields)
    return data


async def write(client: httpx.AsyncClient, then: str = "save", **fields: Any) -> str:
    """The editor's form, sent; the id of the saved campaign."""
    saved = await post_form(client, f"{PAGES}/new", {**campaign_form(**fields), "then": then})
    assert saved.status_code == 204, saved.text
    location = saved.headers["HX-Redirect"]
    assert location.startswith(f"{PAGES}/")
    return location.removeprefix(f"{PAGES}/").split("?")[0]


async def status_of(client: httpx.AsyncClient, campaign_id: str) -> str:
    answer = await client.get(f"/api/v1/campaigns/{campaign_id}")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


def titles(page: httpx.Response) -> list[str]:
    assert page.status_code == 200, page.text
    return re.findall(r'<th scope="row"><a href="/console/campaigns/[^"]+">([^<]+)</a>', page.text)


def local_input(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M")


async def person_id(personal_id: str) -> uuid.UUID:
    async with unit_of_work():
        person = await identity_repository.person_by_personal_id(personal_id)
    assert person is not None
    return person.id


# --- who sees what ---------------------------------------------------------------------------------


async def test_comms_staff_get_the_pages_and_other_people_do_not(
    http: httpx.AsyncClient, browser: Any
) -> None:
    await signed_in(http, OFFICER, Role.COMMS_OFFICER)
    campaign_id = await write(http)
    for path in (
        "",
        "/new",
        f"/{campaign_id}",
        f"/{campaign_id}/edit",
        f"/{campaign_id}/analytics",
    ):
        page = await http.get(PAGES + path)
        assert page.status_code == 200, (path, page.text)
        assert page.headers["content-type"].startswith("text/html")
    assert (await http.get(f"{PAGES}/{campaign_id}/review")).status_code == 403  # not an approver
    home = await http.get("/console/")
    assert 'href="/console/campaigns"' in home.text and "Chiến dịch thông báo" in home.text

    approver = await browser(APPROVER, Role.COMMS_APPROVER)
    for path in ("", f"/{campaign_id}", f"/{campaign_id}/review", f"/{campaign_id}/analytics"):
        assert (await approver.get(PAGES + path)).status_code == 200, path
    assert (await approver.get(f"{PAGES}/new")).status_code == 403  # approvers do not write
    assert (await approver.get(f"{PAGES}/{campaign_id}/edit")).status_code == 403

    other_staff = await browser(WELFARE_OFFICER, Role.WELFARE_OFFICER)
    for path in ("", "/new", f"/{campaign_id}", f"/{campaign_id}/analytics"):
        refused = await other_staff.get(PAGES + path)
        assert refused.status_code == 403, path
        assert "permission_denied" in refused.text
    assert 'href="/console/campaigns"' not in (await other_staff.get("/console/")).text
    refused = await post_form(other_staff, f"{PAGES}/{campaign_id}/cancel", {})
    assert refused.status_code == 403
    assert await status_of(http, campaign_id) == "draft"

    citizen = await browser(CITIZEN)
    assert (await citizen.get(PAGES)).status_code == 403
    anonymous = await browser()
    landing = await anonymous.get(PAGES)
    assert landing.status_code == 303
    assert landing.headers["location"].startswith("/console/?next=")
    assert (await approver.get(f"{PAGES}/{uuid.uuid4()}")).status_code == 404


# --- the editor ------------------------------------------------------------------------------------


async def test_the_editor_offers_every_part_of_a_campaign(officer: httpx.AsyncClient) -> None:
    editor = await officer.get(f"{PAGES}/new")
    assert editor.status_code == 200, editor.text
    text = editor.text
    for name in ("title", "body", "category", "deep_link", "article_id", "image_asset_id"):
        assert f'<label for="f-{name}">' in text, name
    for code in ("en", "tay", "nung", "hmn", "dao"):  # translations side by side
        assert f'name="tr_{code}_title"' in text and f'name="tr_{code}_body"' in text, code
    assert "Tiếng H'Mông" in text or "Tiếng H&#39;Mông" in text
    assert 'name="urgent"' in text and 'name="requires_ack"' in text
    for kind in ("single", "multiple", "rating"):
        assert f'<option value="{kind}"' in text
    assert text.count('name="survey_option_') == 12  # six options, Vietnamese and English
    for kind in ("citizens", "communes", "civil_servants", "agencies", "list"):
        assert f'name="audience_kind" value="{kind}"' in text
    # The communes on a list with a search box and as tiles of the province's map.
    assert text.count('name="communes"') == 92
    assert text.count("data-tile=") == 92
    assert 'role="checkbox"' in text and 'id="commune-search"' in text
    assert "Phường Phan Đình Phùng" in text and "Xã Thượng Quan" in text
    assert "TP Thái Nguyên" in text and "Ba Bể" in text  # groups by former district
    assert "không phải bản đồ ranh giới" in text  # the small print says what the map is
    assert 'type="datetime-local"' in text
    assert "Giờ yên lặng" in text and "21:00–07:00" in text
    assert 'data-preview="/console/campaigns/preview"' in text
    assert 'src="/console/static/campaigns.js"' in text
    assert "Lưu nháp" in text and "Lưu và gửi duyệt" in text
    script = await officer.get("/console/static/campaigns.js")
    assert script.status_code == 200 and "data-tile" in script.text


async def test_a_campaign_written_in_the_form_is_shown_with_its_phone_preview(
    officer: httpx.AsyncClient,
) -> None:
    campaign_id = await write(
        officer,
        title="Tiêm chủng mở rộng",
        body="Mời phụ huynh đưa trẻ đi tiêm.\nMang theo sổ tiêm.",
        category="health",
        audience_kind="communes",
        communes=["05443", "05569"],
        tr_en_title="Vaccination day",
        tr_en_body="Bring your children for their shots.",
        survey_kind="single",
        survey_question="Bạn có đưa trẻ đi tiêm không?",
        survey_question_en="Will you bring your child?",
        survey_option_0="Có",
        survey_option_0_en="Yes",
        survey_option_1="Không",
        survey_option_1_en="No",
        deep_link="https://thainguyen.gov.vn/tiem-chung",
    )
    stored = (await officer.get(f"/api/v1/campaigns/{campaign_id}")).json()
    assert stored["status"] == "draft"
    assert stored["translations"] == {
        "en": {"title": "Vaccination day", "body": "Bring your children for their shots."}
    }
    assert stored["survey"]["options"] == [
        {"label": "Có", "label_en": "Yes"},
        {"label": "Không", "label_en": "No"},
    ]
    assert stored["audience_communes"] == ["05443", "05569"]

    page = await officer.get(f"{PAGES}/{campaign_id}")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Tiêm chủng mở rộng</h1>" in text
    assert "Phường Phan Đình Phùng" in text and "Xã Định Hóa" in text  # communes by name
    assert "Nháp" in text and "Gửi duyệt" in text and "Hủy chiến dịch" in text
    # The phone preview: the notification and the inbox entry, in Vietnamese and English.
    assert text.count('class="notif-card"') == 2 and text.count('class="inbox-entry"') == 2
    assert "Vaccination day" in text and "Will you bring your child?" in text
    assert "Màn hình khóa" in text and "Lock screen" in text

    edit = await officer.get(f"{PAGES}/{campaign_id}/edit")
    assert 'value="Vaccination day"' in edit.text
    assert 'value="05443" id="commune-05443" checked' in edit.text
    assert 'data-tile="05443" role="checkbox" aria-checked="true"' in edit.text
    assert '<option value="single" selected>' in edit.text


async def test_an_invalid_form_comes_back_with_the_errors_and_what_was_typed(
    officer: httpx.AsyncClient,
) -> None:
    typed = "Nội dung đã gõ <b>cẩn thận</b>."
    no_title = await post_form(officer, f"{PAGES}/new", campaign_form(title="", body=typed))
    assert no_title.status_code == 422
    assert "Nhập tiêu đề" in no_title.text and 'aria-invalid="true"' in no_title.text
    assert "Nội dung đã gõ &lt;b&gt;cẩn thận&lt;/b&gt;." in no_title.text
    assert '<form id="campaign-form"' in no_title.text and "<html" not in no_title.text

    half_translation = await post_form(
        officer, f"{PAGES}/new", campaign_form(tr_tay_title="Pây hỏi", tr_tay_body="")
    )
    assert half_translation.status_code == 422
    assert 'id="e-tr_tay"' in half_translation.text
    assert 'value="Pây hỏi"' in half_translation.text

    public_ack = await post_form(
        officer, f"{PAGES}/new", campaign_form(audience_kind="citizens", requires_ack="1")
    )
    assert public_ack.status_code == 422
    assert 'id="e-requires_ack"' in public_ack.text
    assert "Chỉ chiến dịch nội bộ" in public_ack.text

    no_commune = await post_form(officer, f"{PAGES}/new", campaign_form(audience_kind="communes"))
    assert no_commune.status_code == 422
    assert 'id="e-audience"' in no_commune.text

    bad_time = await post_form(officer, f"{PAGES}/new", campaign_form(scheduled_for="ngày mai"))
    assert bad_time.status_code == 422 and 'id="e-scheduled_for"' in bad_time.text
    past = local_input(datetime.now(UTC) - timedelta(hours=2))
    in_past = await post_form(officer, f"{PAGES}/new", campaign_form(scheduled_for=past))
    assert in_past.status_code == 422 and "Thời điểm hẹn gửi đã qua" in in_past.text

    one_option = await post_form(
        officer,
        f"{PAGES}/new",
        campaign_form(survey_kind="multiple", survey_question="Chọn?", survey_option_0="A"),
    )
    assert one_option.status_code == 422 and "2–6 lựa chọn" in one_option.text

    listed = await officer.get(PAGES)
    assert titles(listed) == []  # nothing was saved


async def test_the_side_panel_estimates_the_audience_and_tells_of_quiet_hours(
    officer: httpx.AsyncClient,
) -> None:
    for number, commune in enumerate(("05443", "05443", "05569")):
        person = await create_person()
        await register_device(person, f"fid-pages-{number}", commune=commune)
    # Tomorrow 22:30 and 10:00 in Viet Nam: inside and outside the default quiet hours.
    tomorrow = (datetime.now(VIETNAM) + timedelta(days=1)).date()
    night = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 22, 30, tzinfo=VIETNAM)
    morning = night.replace(hour=10, minute=0)

    panel = await post_form(
        officer,
        f"{PAGES}/preview",
        campaign_form(
            audience_kind="communes",
            communes=["05443"],
            scheduled_for=local_input(night),
            title="Cúp nước",
            tr_en_title="Water cut",
            tr_en_body="No water tomorrow.",
        ),
    )
    assert panel.status_code == 200, panel.text
    assert "<html" not in panel.text
    assert re.search(r'data-estimate="people">2<', panel.text)
    assert re.search(r'data-estimate="devices">2<', panel.text)
    assert "data-quiet-warning" in panel.text
    day_after = night + timedelta(days=1)
    assert f"{day_after:%d/%m/%Y} 07:00" in panel.text
    assert "Cúp nước" in panel.text and "Water cut" in panel.text  # both phones

    urgent = await post_form(
        officer,
        f"{PAGES}/preview",
        campaign_form(
            audience_kind="communes", communes=["05443"], scheduled_for=local_input(night),
            urgent="1",
        ),
    )  # fmt: skip
    assert "data-quiet-warning" not in urgent.text
    assert f"{night:%d/%m/%Y %H:%M}" in urgent.text
    daytime = await post_form(
        officer,
        f"{PAGES}/preview",
        campaign_form(audience_kind="citizens", scheduled_for=local_input(morning)),
    )
    assert "data-quiet-warning" not in daytime.text
    assert f"{morning:%d/%m/%Y %H:%M}" in daytime.text
    assert re.search(r'data-estimate="devices">3<', daytime.text)
    internal_night = await post_form(
        officer, f"{PAGES}/preview", campaign_form(scheduled_for=local_input(night))
    )
    assert "data-quiet-warning" not in internal_night.text  # internal campaigns do not wait
    none_chosen = await post_form(
        officer, f"{PAGES}/preview", campaign_form(audience_kind="communes")
    )
    assert none_chosen.status_code == 200
    assert "Chọn ít nhất một xã, phường" in none_chosen.text


# --- the workflow ----------------------------------------------------------------------------------


async def test_submitted_returned_with_a_comment_changed_and_approved_by_an_approver(
    officer: httpx.AsyncClient, browser: Any
) -> None:
    campaign_id = await write(
        officer, then="submit", title="Lịch trực Tết", body="Trực từ mùng 1 đến mùng 3."
    )
    assert await status_of(officer, campaign_id) == "submitted"
    approver = await browser(APPROVER, Role.COMMS_APPROVER)
    home = await approver.get("/console/")
    assert "Chiến dịch chờ duyệt" in home.text
    assert 'href="/console/campaigns?status=submitted"' in home.text
    waiting = await approver.get(PAGES, params={"status": "submitted"})
    assert titles(waiting) == ["Lịch trực Tết"]
    assert re.search(r'aria-current="page">Chờ duyệt <span class="count">1</span>', waiting.text)

    review = await approver.get(f"{PAGES}/{campaign_id}/review")
    assert review.status_code == 200
    assert "Lần gửi duyệt đầu tiên" in review.text
    assert f'action="/console/campaigns/{campaign_id}/approve"' in review.text
    no_comment = await post_form(approver, f"{PAGES}/{campaign_id}/return", {"comment": " "})
    assert no_comment.status_code == 422
    assert "Nhập nhận xét" in no_comment.text and 'id="review-actions"' in no_comment.text
    returned = await post_form(
        approver, f"{PAGES}/{campaign_id}/return", {"comment": "Ghi rõ giờ trực."}
    )
    assert returned.status_code == 204, returned.text

    assert "Chiến dịch bị trả lại" in (await officer.get("/console/")).text
    page = await officer.get(f"{PAGES}/{campaign_id}")
    assert "Ghi rõ giờ trực." in page.text and "Nháp" in page.text
    resubmitted = await post_form(
        officer,
        f"{PAGES}/{campaign_id}/edit",
        {
            **campaign_form(
                title="Lịch trực Tết",
                body="Trực từ mùng 1 đến mùng 4, từ 7 giờ.",
                audience_kind="agencies",
                agencies=[AGENCY_A],
            ),
            "then": "submit",
        },
    )
    assert resubmitted.status_code == 422  # the agency is not registered yet
    await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A)
    resubmitted = await post_form(
        officer,
        f"{PAGES}/{campaign_id}/edit",
        {
            **campaign_form(
                title="Lịch trực Tết",
                body="Trực từ mùng 1 đến mùng 4, từ 7 giờ.",
                audience_kind="agencies",
                agencies=[AGENCY_A],
            ),
            "then": "submit",
        },
    )
    assert resubmitted.status_code == 204, resubmitted.text
    assert "Chiến dịch bị trả lại" not in (await officer.get("/console/")).text

    review = await approver.get(f"{PAGES}/{campaign_id}/review")
    assert "Thay đổi so với lần gửi duyệt trước" in review.text
    assert re.search(r"<del><span class=\"visually-hidden\">\[bỏ\] </span>3", review.text)
    assert re.search(r"<ins><span class=\"visually-hidden\">\[thêm\] </span>4,", review.text)
    assert "Cơ quan " + AGENCY_A in review.text  # the agency added, by its name
    approved = await post_form(approver, f"{PAGES}/{campaign_id}/approve", {})
    assert approved.status_code == 204, approved.text
    assert approved.headers["HX-Redirect"] == f"{PAGES}/{campaign_id}"
    assert await status_of(officer, campaign_id) == "approved"  # internal: out at once
    page = await approver.get(f"{PAGES}/{campaign_id}")
    assert "Đã duyệt, sắp gửi" in page.text

    cancelled = await post_form(approver, f"{PAGES}/{campaign_id}/cancel", {})
    assert cancelled.status_code == 204
    assert await status_of(officer, campaign_id) == "cancelled"
    page = await officer.get(f"{PAGES}/{campaign_id}")
    assert "Đã hủy" in page.text and "Hủy chiến dịch" not in page.text
    assert "Sửa chiến dịch" not in page.text
    not_editable = await officer.get(f"{PAGES}/{campaign_id}/edit")
    assert not_editable.status_code == 409 and "campaign_not_editable" in not_editable.text
    again = await post_form(officer, f"{PAGES}/{campaign_id}/cancel", {})
    assert again.status_code == 409 and "campaign_not_cancellable" in again.text


async def test_an_approver_may_not_approve_a_campaign_they_wrote(
    http: httpx.AsyncClient, browser: Any
) -> None:
    author = http
    await signed_in(author, APPROVER, Role.COMMS_APPROVER, Role.COMMS_OFFICER)
    campaign_id = await write(author, then="submit", title="Thông báo nghỉ lễ")
    review = await author.get(f"{PAGES}/{campaign_id}/review")
    assert review.status_code == 200
    assert "Bạn là người soạn chiến dịch này nên không được tự duyệt" in review.text
    assert f'action="/console/campaigns/{campaign_id}/approve"' not in review.text
    refused = await post_form(author, f"{PAGES}/{campaign_id}/approve", {})
    assert refused.status_code == 403
    assert 'role="alert"' in refused.text and "campaign_self_approval" in refused.text
    assert await status_of(author, campaign_id) == "submitted"

    other = await browser(SECOND_APPROVER, Role.COMMS_APPROVER)
    review = await other.get(f"{PAGES}/{campaign_id}/review")
    assert f'action="/console/campaigns/{campaign_id}/approve"' in review.text
    assert (await post_form(other, f"{PAGES}/{campaign_id}/approve", {})).status_code == 204
    assert await status_of(author, campaign_id) == "approved"


async def test_a_list_campaign_is_saved_then_its_list_uploaded_then_submitted(
    officer: httpx.AsyncClient, browser: Any
) -> None:
    for personal_id in (CITIZEN, OTHER_CITIZEN):  # people known here: they signed in once
        await signed_in(await browser(), personal_id)
    saved = await post_form(
        officer, f"{PAGES}/new", {**campaign_form(audience_kind="list"), "then": "submit"}
    )
    assert saved.status_code == 204, saved.text
    location = saved.headers["HX-Redirect"]
    assert location.endswith("?upload=1#list-upload")  # not submitted without its list
    campaign_id = location.removeprefix(f"{PAGES}/").split("?")[0]
    assert await status_of(officer, campaign_id) == "draft"
    page = await officer.get(location.split("#")[0])
    assert "Hãy tải danh sách người nhận lên" in page.text
    assert 'enctype="multipart/form-data"' in page.text

    listing = f"so_dinh_danh\n{CITIZEN}\n{OTHER_CITIZEN}\n{CITIZEN}\n12345\n099999999999\n"
    uploaded = await officer.post(
        f"{PAGES}/{campaign_id}/list",
        files={"file": ("danh-sach.csv", listing.encode(), "text/csv")},
        headers=form_headers(officer),
    )
    assert uploaded.status_code == 200, uploaded.text
    assert '<section id="list-upload"' in uploaded.text and "<html" not in uploaded.text
    assert re.search(r"<strong>Đã tải danh sách lên:</strong> 2 người", uploaded.text)
    assert "Số không có người tương ứng: 1" in uploaded.text
    assert "Dòng không phải số định danh 12 chữ số: 1" in uploaded.text
    assert "Số bị trùng: 1" in uploaded.text
    assert CITIZEN not in uploaded.text  # counts only, never the numbers

    unreadable = await officer.post(
        f"{PAGES}/{campaign_id}/list",
        files={"file": ("anh.png", b"\x89PNG\x00\x00", "image/png")},
        headers=form_headers(officer),
    )
    assert unreadable.status_code == 400 and "Không đọc được danh sách" in unreadable.text
    submitted = await post_form(officer, f"{PAGES}/{campaign_id}/submit", {})
    assert submitted.status_code == 204
    assert await status_of(officer, campaign_id) == "submitted"


# --- analytics -------------------------------------------------------------------------------------


async def test_analytics_show_what_was_sent_opened_and_acknowledged_and_export_csv(
    officer: httpx.AsyncClient, browser: Any
) -> None:
    readers = [await create_person(Role.CIVIL_SERVANT, agency=AGENCY_A) for _ in range(3)]
    readers.append(await create_person(Role.CIVIL_SERVANT, agency=AGENCY_B))
    for number, person in enumerate(readers):
        await register_device(person, f"fid-analytics-{number}")
    campaign_id = await write(
        officer,
        then="submit",
        title="Công văn số 12",
        category="circular",
        audience_kind="agencies",
        agencies=[AGENCY_A, AGENCY_B],
        requires_ack="1",
        survey_kind="rating",
        survey_question="Công văn có rõ ràng không?",
    )
    approver = await browser(APPROVER, Role.COMMS_APPROVER)
    assert (await post_form(approver, f"{PAGES}/{campaign_id}/approve", {})).status_code == 204
    waiting = await officer.get(f"{PAGES}/{campaign_id}/analytics")
    assert 'data-poll="3"' in waiting.text  # approved: the figures refresh themselves
    assert f'data-src="/console/campaigns/{campaign_id}/analytics/live"' in waiting.text

    step = await run_until_done(get_settings(), uuid.UUID(campaign_id), gateway=LoggingGateway())
    assert step.state == "finished"
    # Two of them confirm in their app, one rates the circular (the inbox's own service).
    for person in readers[:2]:
        reader = Principal(id=person, roles=frozenset({"citizen", "civil_servant"}))
        async with unit_of_work():
            await inbox.do_acknowledge(reader, uuid.UUID(campaign_id))
    async with unit_of_work():
        await inbox.do_answer_survey(
            Principal(id=readers[0], roles=frozenset({"citizen", "civil_servant"})),
            uuid.UUID(campaign_id),
            SurveyAnswerCreate(rating=4),
        )

    page = await officer.get(f"{PAGES}/{campaign_id}/analytics")
    assert page.status_code == 200, page.text
    text = page.text
    assert 'data-poll="3"' not in text  # sent: nothing left to refresh
    assert re.search(r'data-stat="audience">4<', text)
    assert re.search(r'data-stat="devices">4<', text)
    assert re.search(r'data-stat="accepted">4<', text)
    assert re.search(r'data-stat="acknowledged">2<', text)
    assert re.search(r'data-stat="unacknowledged">2<', text)
    assert '<svg class="chart"' in text and "Theo cơ quan" in text
    assert "Công văn có rõ ràng không?" in text and "1 người trả lời" in text
    assert re.search(r'data-stat="unack-total">2<', text)
    assert text.count('class="person-id"') == 2
    assert text.count("Người thử nghiệm<br>") == 2  # by name, as identity has it
    assert f"Cơ quan {AGENCY_A}" in text
    one_agency = await officer.get(f"{PAGES}/{campaign_id}/analytics", params={"agency": AGENCY_B})
    assert re.search(r'data-stat="unack-total">1<', one_agency.text)
    assert str(readers[3]) in one_agency.text

    live_part = await officer.get(f"{PAGES}/{campaign_id}/analytics/live")
    assert live_part.status_code == 200
    assert live_part.text.lstrip().startswith('<section id="analytics-live"')

    exported = await officer.get(f"{PAGES}/{campaign_id}/analytics.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["section", "key", "value"]
    assert ["summary", "acknowledged", "2"] in rows
    unacknowledged = await officer.get(f"{PAGES}/{campaign_id}/unacknowledged.csv")
    rows = list(csv.reader(io.StringIO(unacknowledged.content.decode("utf-8-sig"))))
    assert rows[0][0] == "person_id" and "agency_code" in rows[0]
    assert sorted(r[0] for r in rows[1:]) == sorted(str(p) for p in readers[2:])
    only_b = await officer.get(
        f"{PAGES}/{campaign_id}/unacknowledged.csv", params={"agency": AGENCY_B}
    )
    rows = list(csv.reader(io.StringIO(only_b.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [str(readers[3])]
    other_staff = await browser(WELFARE_OFFICER, Role.WELFARE_OFFICER)
    assert (await other_staff.get(f"{PAGES}/{campaign_id}/analytics.csv")).status_code == 403


async def test_a_public_campaign_for_a_time_in_quiet_hours_waits_for_their_end(
    officer: httpx.AsyncClient, browser: Any
) -> None:
    tomorrow = (datetime.now(VIETNAM) + timedelta(days=1)).date()
    night = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 22, 30, tzinfo=VIETNAM)
    end = (night + timedelta(days=1)).replace(hour=7, minute=0)
    campaign_id = await write(
        officer,
        then="submit",
        title="Lễ hội đèn lồng",
        audience_kind="citizens",
        category="events",
        scheduled_for=local_input(night),
    )
    approver = await browser(APPROVER, Role.COMMS_APPROVER)
    review = await approver.get(f"{PAGES}/{campaign_id}/review")
    assert "data-quiet-warning" in review.text  # said before the decision
    assert f"{end:%d/%m/%Y %H:%M}" in review.text
    assert (await post_form(approver, f"{PAGES}/{campaign_id}/approve", {})).status_code == 204
    assert await status_of(officer, campaign_id) == "scheduled"
    page = await officer.get(f"{PAGES}/{campaign_id}")
    assert "Đã hẹn giờ gửi" in page.text
    assert re.search(
        r"Sẽ gửi lúc</dt><dd><time[^>]*>" + re.escape(f"{end:%d/%m/%Y %H:%M}"), page.text
    )
    assert "chờ hết giờ yên lặng" in page.text
    listed = await officer.get(PAGES, params={"status": "scheduled"})
    assert titles(listed) == ["Lễ hội đèn lồng"]


async def test_the_pages_speak_english_when_asked(officer: httpx.AsyncClient) -> None:
    officer.cookies.set("ctn_lang", "en")
    campaign_id = await write(officer, tr_en_title="Monthly meeting", tr_en_body="At 8 a.m.")
    for path, words in (
        ("", ("Campaigns", "New campaign", "Waiting for approval")),
        ("/new", ("New campaign", "Quiet hours", "Choose communes", "A tile map")),
        (f"/{campaign_id}", ("Submit for approval", "Lock screen", "Every civil servant")),
        (f"/{campaign_id}/analytics", ("Results", "Figures", "Download figures (CSV)")),
    ):
        page = await officer.get(PAGES + path)
        assert page.status_code == 200, (path, page.text)
        assert '<html lang="en">' in page.text
        for word in words:
            assert word in page.text, (path, word)
