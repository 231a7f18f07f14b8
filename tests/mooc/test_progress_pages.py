"""The lesson and certificate pages of the console over real HTTP (`ctn serve`, demo people
signed in through the web flow): a civil servant reads a reading lesson, sends open-time
beats as the page does (session cookie and CSRF header), marks it done, and finds the
certificate on their certificates page with a PDF showing their name; someone else's PDF
is a 404 page; citizens have no learning pages."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pypdf
import pytest

from backend.db import unit_of_work
from backend.identity.service import person_ids_by_personal_id
from seed.identity import seed_people
from tests.console.test_articles_pages import form_headers, post_form
from tests.identity.conftest import CITIZEN, LiveServer, web_sign_in
from tests.identity.conftest import live as live  # the served app, a fixture
from tests.mooc.factories import LessonSpec, MadeCourse, enrol, make_course

LEARNER = "019088011111"  # Phạm Minh Đức, civil servant of Sở Nội vụ
OTHER = "019191012222"  # Đỗ Thu Hà, civil servant of a commune


@pytest.fixture
async def browser(live: LiveServer, committed: None) -> AsyncIterator[object]:
    clients: list[httpx.AsyncClient] = []

    async def make(personal_id: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=live.url, timeout=30)
        clients.append(client)
        await web_sign_in(client, personal_id, return_to="/console/")
        async with unit_of_work():
            await seed_people()
        return client

    yield make
    for client in clients:
        await client.aclose()


async def enrolled(personal_id: str, *lessons: LessonSpec, **course: object) -> MadeCourse:
    async with unit_of_work():
        made = await make_course(*lessons, **course)  # type: ignore[arg-type]
        person = (await person_ids_by_personal_id([personal_id]))[personal_id]
        await enrol(person, made)
    return made


async def test_a_reading_lesson_done_gives_a_certificate_with_the_learners_name(
    browser: object,
) -> None:
    learner = await browser(LEARNER)  # type: ignore[operator]
    course = await enrolled(
        LEARNER,
        LessonSpec(kind="reading", title="Văn bản điện tử", body_html="<p>Nội dung bài đọc.</p>"),
        title="Chuyển đổi số trong cơ quan nhà nước",
        reading_min_seconds=60,
    )
    lesson = course.lesson_ids[0]
    page = await learner.get(f"/console/learn/lessons/{lesson}")
    assert page.status_code == 200, page.text
    assert "Nội dung bài đọc." in page.text
    assert f'data-lesson-id="{lesson}"' in page.text and 'data-kind="reading"' in page.text
    assert 'data-open-ms="0"' in page.text and "/console/static/mooc-player.js" in page.text
    assert "Tôi đã đọc xong" in page.text

    # The page's beat: open time, with the session's CSRF token.
    beat = {
        "intervals": [[0, 15_000]],
        "position_ms": 0,
        "client_at": datetime.now(UTC).isoformat(),
    }
    sent = await learner.put(
        f"/api/v1/lessons/{lesson}/progress", json=beat, headers=form_headers(learner)
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["percent"] == 25
    without_csrf = await learner.put(f"/api/v1/lessons/{lesson}/progress", json=beat)
    assert without_csrf.status_code == 403
    again = await learner.get(f"/console/learn/lessons/{lesson}")
    assert 'data-open-ms="15000"' in again.text and "25%" in again.text

    done = await post_form(learner, f"/console/learn/lessons/{lesson}/done", {})
    assert done.status_code == 204 and done.headers["HX-Redirect"].endswith(str(lesson))
    after = await learner.get(f"/console/learn/lessons/{lesson}")
    assert "Bạn đã hoàn thành bài học này." in after.text
    assert "Tôi đã đọc xong" not in after.text

    certificates = await learner.get("/console/learn/certificates")
    assert certificates.status_code == 200
    assert "Chuyển đổi số trong cơ quan nhà nước" in certificates.text
    assert "Phạm Minh Đức" in certificates.text
    pdf_link = re.search(r'href="(/console/learn/certificates/[0-9a-f-]+/pdf)"', certificates.text)
    assert pdf_link
    code = re.search(r"<code>([A-Z2-7]{24})</code>", certificates.text)
    assert code
    assert f"/certificates/{code.group(1)}" in certificates.text

    pdf = await learner.get(pdf_link.group(1))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Phạm Minh Đức" in text and "Chuyển đổi số trong cơ quan nhà nước" in text

    other = await browser(OTHER)  # type: ignore[operator]
    refused = await other.get(pdf_link.group(1))
    assert refused.status_code == 404 and refused.headers["content-type"].startswith("text/html")
    assert "Bạn chưa có chứng chỉ nào" in (await other.get("/console/learn/certificates")).text
    # Another learner's lesson does not exist for them.
    assert (await other.get(f"/console/learn/lessons/{lesson}")).status_code == 404

    public = await httpx.AsyncClient(base_url=str(learner.base_url)).get(
        f"/certificates/{code.group(1)}", headers={"Accept": "text/html"}
    )
    assert public.status_code == 200 and "Phạm Minh Đức" in public.text
    assert "Chứng chỉ hợp lệ" in public.text


async def test_a_video_lesson_page_has_the_player_with_resume_and_captions(
    browser: object,
) -> None:
    learner = await browser(LEARNER)  # type: ignore[operator]
    course = await enrolled(LEARNER, LessonSpec(duration_ms=90_000, title="Giới thiệu"))
    lesson = course.lesson_ids[0]
    beat = {
        "intervals": [[0, 30_000]],
        "position_ms": 30_000,
        "client_at": datetime.now(UTC).isoformat(),
    }
    sent = await learner.put(
        f"/api/v1/lessons/{lesson}/progress", json=beat, headers=form_headers(learner)
    )
    assert sent.status_code == 200, sent.text
    page = await learner.get(f"/console/learn/lessons/{lesson}")
    assert page.status_code == 200
    assert 'data-kind="video"' in page.text and 'data-position-ms="30000"' in page.text
    assert 'data-duration-ms="90000"' in page.text and 'data-threshold="90"' in page.text
    # No asset behind this factory's lesson: the page says it is being processed.
    assert "Video đang được xử lý" in page.text


async def test_citizens_have_no_learning_pages_and_quizzes_go_to_their_page(
    browser: object,
) -> None:
    citizen = await browser(CITIZEN)  # type: ignore[operator]
    assert (await citizen.get("/console/learn/certificates")).status_code == 403
    learner = await browser(LEARNER)  # type: ignore[operator]
    course = await enrolled(LEARNER, LessonSpec(kind="quiz"))
    quiz = await learner.get(f"/console/learn/lessons/{course.lesson_ids[0]}")
    assert quiz.status_code == 303
    assert quiz.headers["location"] == f"/console/learn/quizzes/{course.lesson_ids[0]}"
    missing = await learner.get(f"/console/learn/lessons/{uuid.uuid4()}")
    assert missing.status_code == 404
