"""The police pages of the console over real HTTP (`ctn serve`, the demo police signed in
through the web flow), with reports filed through the citizen API: who sees which report
(another unit's is the same 404 as the API's, as a page), the queue and its counts, the
report page (content, the photo streamed and audited, the map, only the allowed actions),
the workflow from its forms with the version (a stale one is a clear 409), the reply the
anonymous reporter reads with the receipt, the transfer, the duty roster, statistics and the
audited CSV export."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.db import unit_of_work
from backend.identity import service as identity
from seed.identity import seed_people
from tests.console.test_articles_pages import post_form
from tests.identity.conftest import LiveServer, bearer, mobile_tokens, web_sign_in
from tests.identity.conftest import live as live  # fixture
from tests.tips.conftest import (
    SECRET_MAKER,
    media_with_metadata,
    pdf_with_metadata,
    photo_with_gps,
    proof,
    report,
)
from tests.tips.police_fixtures import audit_trail

PAGES = "/console/tips"
KHANG = "019086021111"  # officer, Công an phường Phan Đình Phùng (CA-PDP: 05443, 05455, 05467)
LONG = "019079022222"  # supervisor, CA-PDP
MAI = "019193023333"  # officer, Công an xã Định Hóa (CA-DH: 05569, 05581, 05587)
NAM = "019081024444"  # supervisor, CA-DH
CITIZEN = "019090001234"
AUDITOR = "019180061111"
RECEIPT = "X-Tip-Receipt"
LINK = re.compile(r'<a href="/console/tips/([0-9a-f-]{36})">(TN-\d{4}-\d+)</a>')


@pytest.fixture
async def police(live: LiveServer, committed: None) -> AsyncIterator[Any]:
    """The demo people with their roles (seeded, really committed); `police(personal_id)` is
    a browser signed in as one of them."""
    async with unit_of_work():
        await seed_people()
    clients: list[httpx.AsyncClient] = []

    async def browser(personal_id: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=live.url, timeout=30)
        clients.append(client)
        await web_sign_in(client, personal_id, return_to="/console/")
        return client

    yield browser
    for client in clients:
        await client.aclose()


@pytest.fixture
async def api(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """The phone: no cookies, calls the citizen API."""
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as client:
        yield client


async def file_anonymous(
    api: httpx.AsyncClient, commune: str = "05443", *, photo: bool = True, **overrides: Any
) -> tuple[str, str]:
    """An anonymous report (with a photo carrying GPS and camera EXIF) through the citizen
    API: (reference, receipt)."""
    body = report(**overrides)
    body["place"]["commune_code"] = commune
    body["proof"] = await proof(api)
    answer = await api.post("/api/v1/tips", json=body)
    assert answer.status_code == 201, answer.text
    receipt = str(answer.json()["receipt"])
    if photo:
        uploaded = await api.post(
            "/api/v1/tips/anonymous/attachments",
            headers={RECEIPT: receipt},
            files={"file": ("IMG_2041.jpg", photo_with_gps(), "image/jpeg")},
        )
        assert uploaded.status_code == 201, uploaded.text
    return str(answer.json()["reference"]), receipt


async def file_confidential(
    api: httpx.AsyncClient,
    personal_id: str,
    commune: str,
    files: Sequence[tuple[str, bytes, str]] = (),
) -> str:
    """A confidential report (with files: (name, bytes, type)), the reporter signed in on
    the phone through the real flow."""
    async with httpx.AsyncClient(base_url=str(api.base_url), timeout=30) as phone:
        tokens = await mobile_tokens(phone, personal_id)
    body = report(anonymous=False)
    body["place"]["commune_code"] = commune
    answer = await api.post("/api/v1/tips", json=body, headers=bearer(tokens))
    assert answer.status_code == 201, answer.text
    reference = str(answer.json()["reference"])
    for name, data, media_type in files:
        uploaded = await api.post(
            f"/api/v1/tips/mine/{reference}/attachments",
            headers=bearer(tokens),
            files={"file": (name, data, media_type)},
        )
        assert uploaded.status_code == 201, uploaded.text
    return reference


def listed(page: httpx.Response) -> dict[str, str]:
    """reference → id of the reports in a queue page."""
    assert page.status_code == 200, page.text
    return {reference: tip_id for tip_id, reference in LINK.findall(page.text)}


def version_of(page: httpx.Response) -> str:
    found = re.search(r'name="version" value="(\d+)"', page.text)
    assert found is not None, "no workflow form on the page"
    return found.group(1)


async def person_id(personal_id: str) -> uuid.UUID:
    """The demo person's id (provisioned by the seed: this returns it, changing nothing)."""
    async with unit_of_work():
        found = await identity.do_provision_person(personal_id, "")
    return found.id


# --- who sees what ---------------------------------------------------------------------------


async def test_a_report_is_in_its_units_queue_and_another_unit_gets_404(
    police: Any, api: httpx.AsyncClient
) -> None:
    ward_report, _ = await file_anonymous(api, "05443")
    commune_report = await file_confidential(api, CITIZEN, "05569")

    khang = await police(KHANG)
    queue = await khang.get(PAGES)
    assert queue.headers["content-type"].startswith("text/html")
    found = listed(queue)
    assert ward_report in found and commune_report not in found
    assert "Tin báo tội phạm" in queue.text and 'data-poll="' in queue.text
    tip_id = found[ward_report]

    mai = await police(MAI)
    theirs = listed(await mai.get(PAGES))
    assert commune_report in theirs and ward_report not in theirs
    for path in (f"{PAGES}/{tip_id}", f"{PAGES}/{tip_id}/files/{uuid.uuid4()}"):
        refused = await mai.get(path)
        assert refused.status_code == 404, path
        assert refused.headers["content-type"].startswith("text/html")
        assert "tip_not_found" in refused.text
        assert "quán nước" not in refused.text
    refused = await post_form(mai, f"{PAGES}/{tip_id}/triage", {"urgency": "high", "version": "1"})
    assert refused.status_code == 404
    assert not await audit_trail("tip.read", tip_id)  # nothing was read

    for personal_id in (CITIZEN, AUDITOR):
        outsider = await police(personal_id)
        assert (await outsider.get(PAGES)).status_code == 403
        assert (await outsider.get(f"{PAGES}/{tip_id}")).status_code == 403
    home = await khang.get("/console/")
    assert 'href="/console/tips"' in home.text and "Tin báo chờ phân loại" in home.text


async def test_the_report_page_shows_content_photo_map_and_only_allowed_actions_audited(
    police: Any, api: httpx.AsyncClient
) -> None:
    reference, _ = await file_anonymous(api, "05443")
    khang = await police(KHANG)
    tip_id = listed(await khang.get(PAGES))[reference]

    page = await khang.get(f"{PAGES}/{tip_id}")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Có người bán ma túy ở quán nước đầu ngõ" in text
    assert "Nguyễn Văn Bán" in text  # the people involved
    assert "Ẩn danh" in text and "Phường Phan Đình Phùng" in text
    # The place drawn here: the province's outline with the point, the commune's tile.
    assert '<polygon class="province"' in text and 'class="spot"' in text
    assert 'class="tile here' in text
    # Only what an officer may do on a new report: triage, close, message.
    for action in ("triage", "close", "messages"):
        assert f'action="/console/tips/{tip_id}/{action}"' in text, action
    for action in ("assign", "transfer", "reopen", "start-investigation"):
        assert f'action="/console/tips/{tip_id}/{action}"' not in text, action

    photo = re.search(rf'<img src="(/console/tips/{tip_id}/files/[0-9a-f-]+)"', text)
    assert photo is not None
    image = await khang.get(photo.group(1))
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.headers["cache-control"] == "private, no-store"
    assert image.content[:2] == b"\xff\xd8"
    assert b"SecretCam" not in image.content and b"Exif" not in image.content
    part = await khang.get(photo.group(1), headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and len(part.content) == 10

    khang_id = str(await person_id(KHANG))
    reads = await audit_trail("tip.read", tip_id)
    assert [e.actor_id for e in reads] == [khang_id]  # this one page
    files = await audit_trail("tip.attachment_read", tip_id)
    assert len(files) == 2 and {e.actor_id for e in files} == {khang_id}

    # Triaged, an officer may take it for themselves (and no one else).
    triaged = await post_form(
        khang, f"{PAGES}/{tip_id}/triage", {"urgency": "normal", "version": version_of(page)}
    )
    assert triaged.status_code == 204, triaged.text
    page = await khang.get(f"{PAGES}/{tip_id}")
    assert f'action="/console/tips/{tip_id}/assign"' in page.text
    assert "Nhận xử lý tin báo này" in page.text and 'name="officer_id" value="' in page.text

    # The supervisor also gets the transfer and assigns anyone of the unit.
    long = await police(LONG)
    supervisor_page = await long.get(f"{PAGES}/{tip_id}")
    assert f'action="/console/tips/{tip_id}/transfer"' in supervisor_page.text
    assert "Ngô Đình Khang" in supervisor_page.text  # in the list of officers to assign
    assert "Công an xã Định Hóa" in supervisor_page.text  # a unit to transfer to

    # The same pages in English.
    long.cookies.set("ctn_lang", "en")
    english = await long.get(f"{PAGES}/{tip_id}")
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert "Place on the map" in english.text and "Transfer to another unit" in english.text
    for path in ("", "/statistics", "/duty"):
        assert (await long.get(PAGES + path)).status_code == 200, path


async def test_a_confidential_reports_files_play_and_its_originals_are_evidence(
    police: Any, api: httpx.AsyncClient, tmp_path: Path
) -> None:
    files = [
        ("hien-truong.jpg", photo_with_gps(), "image/jpeg"),
        ("clip.mp4", media_with_metadata(tmp_path, "video"), "video/mp4"),
        ("ghi-am.m4a", media_with_metadata(tmp_path, "audio"), "audio/mp4"),
        ("don-trinh-bao.pdf", pdf_with_metadata(), "application/pdf"),
    ]
    reference = await file_confidential(api, CITIZEN, "05443", files)
    long = await police(LONG)
    tip_id = listed(await long.get(PAGES))[reference]
    page = await long.get(f"{PAGES}/{tip_id}")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Nguyễn Văn An" in text and "chỉ đơn vị thụ lý được biết" in text  # the reporter
    assert text.count('<img src="/console/tips/') == 1
    assert '<video controls preload="metadata" src="/console/tips/' in text
    assert '<audio controls preload="metadata" src="/console/tips/' in text
    assert "don-trinh-bao.pdf" in text  # a confidential report keeps the cleaned names
    assert text.count("Tải bản gốc làm chứng cứ") == 4 and text.count("SHA-256") == 4

    video = re.search(r'<video controls preload="metadata" src="([^"]+)"', text)
    assert video is not None
    played = await long.get(video.group(1), headers={"Range": "bytes=0-99"})
    assert played.status_code == 206 and played.headers["content-type"] == "video/mp4"
    assert played.headers["content-disposition"] == "inline"
    pdf = re.search(r'<a href="(/console/tips/[^"]+)">[^<]*tài liệu', text)
    assert pdf is not None
    document = await long.get(pdf.group(1))
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    assert document.headers["content-disposition"] == "attachment"  # never opened here
    original = re.search(r'<a href="(/console/tips/[^"]+\?original=true)">', text)
    assert original is not None
    evidence = await long.get(original.group(1).replace("&amp;", "&"))
    assert evidence.status_code == 200
    assert evidence.headers["content-disposition"] == "attachment"
    assert evidence.content == files[0][1]  # untouched, metadata and all
    assert SECRET_MAKER.encode() in evidence.content
    reads = await audit_trail("tip.attachment_read", tip_id)
    assert [e.details.get("original") for e in reads] == [False, False, True]


# --- the workflow ------------------------------------------------------------------------------


async def test_triage_assign_reply_and_the_reporter_reads_the_reply_with_the_receipt(
    police: Any, api: httpx.AsyncClient
) -> None:
    reference, receipt = await file_anonymous(api, "05455", photo=False)
    long = await police(LONG)
    tip_id = listed(await long.get(PAGES))[reference]
    page = await long.get(f"{PAGES}/{tip_id}")
    seen = version_of(page)

    triaged = await post_form(
        long, f"{PAGES}/{tip_id}/triage", {"urgency": "high", "version": seen}
    )
    assert triaged.status_code == 204, triaged.text
    assert triaged.headers["HX-Redirect"] == f"{PAGES}/{tip_id}"

    # The same form again, with the version the page showed: refused, said clearly.
    stale = await post_form(long, f"{PAGES}/{tip_id}/triage", {"urgency": "low", "version": seen})
    assert stale.status_code == 409
    assert stale.headers["HX-Retarget"] == "#flash"
    assert "vừa được người khác thay đổi" in stale.text
    assert f'href="{PAGES}/{tip_id}"' in stale.text and "tip_version_conflict" in stale.text

    page = await long.get(f"{PAGES}/{tip_id}")
    assert 'urgency-high">Cao</span>' in page.text
    khang_id = await person_id(KHANG)
    assigned = await post_form(
        long,
        f"{PAGES}/{tip_id}/assign",
        {"officer_id": str(khang_id), "version": version_of(page)},
    )
    assert assigned.status_code == 204, assigned.text

    khang = await police(KHANG)
    mine = listed(await khang.get(PAGES, params={"assigned": "me"}))
    assert reference in mine
    page = await khang.get(f"{PAGES}/{tip_id}")
    started = await post_form(
        khang, f"{PAGES}/{tip_id}/start-investigation", {"version": version_of(page)}
    )
    assert started.status_code == 204, started.text
    reply = "Cảm ơn bạn. Bạn nhớ biển số xe máy của người bán không?"
    sent = await post_form(khang, f"{PAGES}/{tip_id}/messages", {"body": reply})
    assert sent.status_code == 204, sent.text
    assert uuid.UUID(sent.headers["X-Message-Id"])
    page = await khang.get(f"{PAGES}/{tip_id}")
    assert reply in page.text and "Đang xác minh" in page.text
    assert "Giao cán bộ xử lý" in page.text and "Ngô Đình Khang" in page.text  # history

    # The reporter, on the phone, with the receipt only.
    seen_by_reporter = await api.get("/api/v1/tips/anonymous", headers={RECEIPT: receipt})
    assert seen_by_reporter.status_code == 200, seen_by_reporter.text
    body = seen_by_reporter.json()
    assert body["status"] == "investigating"
    assert [m["body"] for m in body["messages"] if m["sender"] == "police"] == [reply]

    actions = [e.action for e in await audit_trail("tip.*", tip_id)]
    for action in ("tip.triage", "tip.assign", "tip.start_investigation", "tip.message"):
        assert action in actions


async def test_a_supervisor_transfers_a_report_out_of_the_unit(
    police: Any, api: httpx.AsyncClient
) -> None:
    reference, _ = await file_anonymous(api, "05443", photo=False)
    long = await police(LONG)
    tip_id = listed(await long.get(PAGES))[reference]
    page = await long.get(f"{PAGES}/{tip_id}")
    missing_reason = await post_form(
        long,
        f"{PAGES}/{tip_id}/transfer",
        {"unit_code": "CA-DH", "reason": "", "version": version_of(page)},
    )
    assert missing_reason.status_code == 422
    assert "Cần ghi rõ lý do" in missing_reason.text
    moved = await post_form(
        long,
        f"{PAGES}/{tip_id}/transfer",
        {
            "unit_code": "CA-DH",
            "reason": "Vụ việc ở địa bàn xã Định Hóa.",
            "version": version_of(page),
        },
    )
    assert moved.status_code == 204, moved.text
    assert moved.headers["HX-Redirect"] == f"{PAGES}?transferred={reference}"
    assert "sang đơn vị khác" in (await long.get(moved.headers["HX-Redirect"])).text
    assert (await long.get(f"{PAGES}/{tip_id}")).status_code == 404

    nam = await police(NAM)
    assert reference in listed(await nam.get(PAGES))
    page = await nam.get(f"{PAGES}/{tip_id}")
    assert "Vụ việc ở địa bàn xã Định Hóa." in page.text  # the reason, unsealed for the unit
    assert "Chuyển đơn vị" in page.text


# --- counts, duty, statistics ---------------------------------------------------------------------


async def test_counts_refresh_and_say_when_new_reports_arrived(
    police: Any, api: httpx.AsyncClient
) -> None:
    khang = await police(KHANG)
    counts = await khang.get(f"{PAGES}/counts", params={"seen": 0})
    assert counts.status_code == 200
    assert 'id="tip-counts"' in counts.text and "data-poll" in counts.text
    assert "đã thay đổi" not in counts.text
    await file_anonymous(api, "05443", photo=False, ongoing_danger=True)
    counts = await khang.get(f"{PAGES}/counts", params={"seen": 0, "back": "status=received"})
    assert "đã thay đổi" in counts.text and 'href="/console/tips?status=received"' in counts.text
    assert 'data-count="danger">1<' in counts.text
    assert 'data-count="status-received">1<' in counts.text


async def test_a_supervisor_sets_the_duty_roster_and_an_officer_cannot(police: Any) -> None:
    long = await police(LONG)
    page = await long.get(f"{PAGES}/duty")
    assert page.status_code == 200
    assert "Công an phường Phan Đình Phùng" in page.text and 'name="officers"' in page.text
    khang_id = await person_id(KHANG)
    saved = await post_form(long, f"{PAGES}/duty/CA-PDP", {"officers": str(khang_id)})
    assert saved.status_code == 204, saved.text
    page = await long.get(f"{PAGES}/duty")
    assert "Theo lịch trực do lãnh đạo đơn vị đặt" in page.text

    khang = await police(KHANG)
    page = await khang.get(f"{PAGES}/duty")
    assert page.status_code == 200 and 'name="officers"' not in page.text
    refused = await post_form(khang, f"{PAGES}/duty/CA-PDP", {"officers": str(khang_id)})
    assert refused.status_code == 403 and "tip_action_forbidden" in refused.text
    other = await post_form(khang, f"{PAGES}/duty/CA-DH", {"officers": str(khang_id)})
    assert other.status_code == 404


async def test_statistics_with_charts_and_the_audited_csv(
    police: Any, api: httpx.AsyncClient
) -> None:
    reference, _ = await file_anonymous(api, "05443", photo=False)
    long = await police(LONG)
    page = await long.get(f"{PAGES}/statistics")
    assert page.status_code == 200, page.text
    assert '<svg class="chart"' in page.text and "Ma túy" in page.text
    assert 'data-stat="total">1<' in page.text
    bad = await long.get(f"{PAGES}/statistics", params={"from": "hôm qua"})
    assert bad.status_code == 400

    exported = await long.get(f"{PAGES}/export.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["cache-control"] == "private, no-store"
    text = exported.content.decode("utf-8-sig")
    assert text.startswith("reference,kind,") and reference in text
    assert "quán nước" not in text  # no content
    entries = await audit_trail("tip.export")
    assert [e.actor_id for e in entries] == [str(await person_id(LONG))]
