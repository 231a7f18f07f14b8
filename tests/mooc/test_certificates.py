"""Certificates: issued on completion with the learner's name, the PDF whose text shows the
name with its diacritics, the owner-only download, the public verification page (only name,
course, date and validity) and revocation by a course admin, audited."""

from __future__ import annotations

import io
import re
import secrets
import uuid
from datetime import UTC, datetime

import httpx
import pypdf

from backend.access import Role
from backend.db import unit_of_work
from backend.identity.service import do_grant_role, do_provision_person
from mooc import certificates, completion, sql
from tests.mooc.factories import LessonSpec, enrol, make_course
from tests.support.auth import TEST_AGENCY, auth_headers, bearer_for, create_person

NAME = "Nguyễn Thị Hằng Nguyệt"
TITLE = "Kỹ năng số cho cán bộ, công chức cấp xã"
ISSUED = datetime(2026, 11, 20, 3, 30, tzinfo=UTC)


async def named_learner(name: str = NAME) -> tuple[uuid.UUID, str]:
    personal_id = f"0{secrets.randbelow(10**11):011d}"
    await create_person(Role.CIVIL_SERVANT)  # makes sure the test agency exists
    async with unit_of_work():
        person = await do_provision_person(personal_id, name)
        await do_grant_role(
            person.id, Role.CIVIL_SERVANT, granted_by=None, reason="test", agency=TEST_AGENCY
        )
    return person.id, personal_id


async def completed_course(person: uuid.UUID) -> str:
    course = await make_course(LessonSpec(kind="reading"), title=TITLE)
    enrolment = await enrol(person, course, agency_code=TEST_AGENCY)
    await completion.do_complete_lesson(enrolment, course.lesson_ids[0], person, ISSUED)
    code = await sql.fetchval(
        "SELECT code FROM mooc_certificates WHERE enrolment_id = $1", enrolment
    )
    assert isinstance(code, str)
    return code


async def test_the_learner_lists_and_downloads_their_certificate_whose_pdf_shows_their_name(
    client: httpx.AsyncClient,
) -> None:
    person, _ = await named_learner()
    code = await completed_course(person)
    assert re.fullmatch(r"[A-Z2-7]{24}", code)
    headers = await bearer_for(person)

    listed = await client.get("/api/v1/me/certificates", headers=headers)
    assert listed.status_code == 200
    [item] = listed.json()
    assert item["code"] == code and item["learner_name"] == NAME
    assert item["course_title"] == TITLE and item["revoked"] is False
    assert item["verification_url"].endswith(f"/certificates/{code}")

    pdf = await client.get(item["pdf_url"], headers=headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert NAME in text
    assert TITLE in text
    assert "ngày 20 tháng 11 năm 2026" in text
    assert "ỦY BAN NHÂN DÂN TỈNH THÁI NGUYÊN" in text
    assert code in text and item["verification_url"] in text

    # Anyone else: as if it did not exist.
    other = await auth_headers(Role.CIVIL_SERVANT)
    refused = await client.get(item["pdf_url"], headers=other)
    assert refused.status_code == 404 and refused.json()["code"] == "mooc_certificate_not_found"
    assert (await client.get("/api/v1/me/certificates", headers=other)).json() == []
    assert (await client.get(item["pdf_url"])).status_code == 401


async def test_the_public_page_shows_only_name_course_date_and_validity(
    client: httpx.AsyncClient,
) -> None:
    person, personal_id = await named_learner()
    code = await completed_course(person)

    page = await client.get(f"/certificates/{code}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert NAME in html and TITLE in html and "20/11/2026" in html
    assert "Chứng chỉ hợp lệ" in html
    assert 'name="robots" content="noindex' in html
    assert page.headers["x-robots-tag"].startswith("noindex")
    for secret in (str(person), personal_id, TEST_AGENCY):
        assert secret not in html

    # Lower case works too (codes are read aloud and typed).
    assert (await client.get(f"/certificates/{code.lower()}")).json()["code"] == code

    as_json = await client.get(f"/certificates/{code}", headers={"Accept": "*/*"})
    assert as_json.status_code == 200
    body = as_json.json()
    assert set(body) == {"code", "learner_name", "course_title", "issued_at", "valid", "revoked_at"}
    assert body["learner_name"] == NAME and body["valid"] is True
    assert "accept" in as_json.headers["vary"].lower()
    assert as_json.headers["cache-control"] == "public, max-age=60"
    signed = await client.get(
        f"/certificates/{code}", headers={"Accept": "text/html", **await bearer_for(person)}
    )
    assert signed.status_code == 200 and signed.headers["cache-control"].startswith("private")


async def test_an_unknown_code_is_a_404_page_or_problem(client: httpx.AsyncClient) -> None:
    page = await client.get(
        "/certificates/AAAAAAAAAAAAAAAAAAAAAAAA", headers={"Accept": "text/html"}
    )
    assert page.status_code == 404
    assert "Không tìm thấy chứng chỉ" in page.text
    problem = await client.get("/certificates/not-a-code!", headers={"Accept": "application/json"})
    assert problem.status_code == 404 and problem.json()["code"] == "mooc_certificate_not_found"


async def test_a_course_admin_revokes_with_a_reason_and_the_page_says_so(
    client: httpx.AsyncClient,
) -> None:
    person, _ = await named_learner()
    code = await completed_course(person)
    url = f"/api/v1/admin/certificates/{code}/revocation"
    admin_id = await create_person(Role.COURSE_ADMIN)
    admin = await bearer_for(admin_id)

    learner = await client.post(url, json={"reason": "x"}, headers=await bearer_for(person))
    assert learner.status_code == 403
    blank = await client.post(url, json={"reason": "   "}, headers=admin)
    assert blank.status_code == 422 and blank.json()["code"] == "mooc_revocation_reason_required"
    unknown = await client.post(
        "/api/v1/admin/certificates/BBBBBBBBBBBBBBBBBBBBBBBB/revocation",
        json={"reason": "Gian lận"},
        headers=admin,
    )
    assert unknown.status_code == 404

    revoked = await client.post(url, json={"reason": "Gian lận trong bài kiểm tra"}, headers=admin)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["code"] == code

    page = await client.get(f"/certificates/{code}", headers={"Accept": "text/html"})
    assert "Chứng chỉ đã bị thu hồi" in page.text and "Gian lận" not in page.text
    body = (
        await client.get(f"/certificates/{code}", headers={"Accept": "application/json"})
    ).json()
    assert body["valid"] is False and body["revoked_at"] is not None

    again = await client.post(url, json={"reason": "Lần nữa"}, headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "mooc_certificate_already_revoked"

    entry = await sql.fetchrow(
        "SELECT actor_id, object_id, reason FROM audit_entries"
        " WHERE action = 'mooc.certificate_revoked' ORDER BY id DESC LIMIT 1"
    )
    assert entry["actor_id"] == str(admin_id)
    assert entry["reason"] == "Gian lận trong bài kiểm tra"
    listed = (await client.get("/api/v1/me/certificates", headers=await bearer_for(person))).json()
    assert listed[0]["revoked"] is True


async def test_a_certificate_is_issued_once_per_enrolment(db: None) -> None:
    person, _ = await named_learner()
    course = await make_course(LessonSpec(kind="reading"))
    enrolment = await enrol(person, course)
    first = await certificates.do_issue_certificate(enrolment, ISSUED)
    second = await certificates.do_issue_certificate(enrolment, ISSUED)
    assert first is not None and second is None
    assert first.learner_name == NAME
    codes = {certificates.new_code() for _ in range(1000)}
    assert len(codes) == 1000


def test_the_qr_code_drawn_is_segnos_matrix_of_the_verification_url() -> None:
    """Every dark module of segno's QR code of the URL, and nothing else, is painted."""
    import segno
    from fpdf import FPDF

    from mooc.certificate_pdf import _qr

    url = "https://ctn.example/certificates/ABCDEFGHIJKLMNOPQRSTUVWX"
    painted: set[tuple[int, int]] = set()
    pdf = FPDF()
    pdf.add_page()
    module = 1.0
    size = module * len(list(segno.make(url, error="m").matrix_iter(border=2)))
    calls: list[tuple[float, float, float, float]] = []
    original = pdf.rect

    def record(x: float, y: float, w: float, h: float, style: str | None = None) -> None:
        calls.append((x, y, w, h))
        original(x, y, w, h, style=style)

    pdf.rect = record  # type: ignore[method-assign,assignment]  # a spy on the drawing
    _qr(pdf, url, 0, 0, size)
    for x, y, w, _ in calls[1:]:  # the first is the white background
        for column in range(round(x), round(x + w)):
            painted.add((round(y), column))
    expected = {
        (r, c)
        for r, row in enumerate(segno.make(url, error="m").matrix_iter(border=2))
        for c, dark in enumerate(row)
        if dark
    }
    assert painted == expected
