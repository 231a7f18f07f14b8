"""The courses pages of the console over real HTTP (`ctn serve`, demo people signed in through
the web flow): a course admin creates a course, adds a section and a reading, sees what stops
publishing and publishes; a civil servant finds it in the catalogue without diacritics,
enrols, sees the outline with where to continue and "my learning" with the progress bar; a
stale form is refused; citizens have no learning pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from backend.db import unit_of_work
from seed.identity import seed_people
from tests.console.test_articles_pages import form_headers, post_form
from tests.identity.conftest import CITIZEN, LiveServer, web_sign_in
from tests.identity.conftest import live as live  # the served app, a fixture

COURSE_ADMIN = "019092051111"  # Nông Văn Sơn, course admin of Sở Nội vụ
LEARNER = "019088011111"  # Phạm Minh Đức, civil servant of Sở Nội vụ


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


def redirected(response: httpx.Response) -> str:
    assert response.status_code == 204, response.text
    return response.headers["HX-Redirect"]


def revision_of(page: httpx.Response) -> str:
    found = re.search(r'name="revision" value="(\d+)"', page.text)
    assert found, page.text
    return found.group(1)


async def test_an_author_publishes_a_course_a_civil_servant_enrols_and_continues(
    browser: object,
) -> None:
    author = await browser(COURSE_ADMIN)  # type: ignore[operator]
    listing = await author.get("/console/courses/")
    assert listing.status_code == 200 and "Tạo khoá học mới" in listing.text
    editor_url = redirected(
        await post_form(
            author,
            "/console/courses/",
            {"code": "KY-NANG-SO", "title": "Kỹ năng số cơ bản", "estimated_hours": "2"},
        )
    )
    editor = await author.get(editor_url)
    assert editor.status_code == 200
    assert "Khoá học chưa có bài học nào." in editor.text
    course_id = editor_url.rsplit("/", 1)[1]

    redirected(
        await post_form(
            author,
            f"{editor_url}/sections",
            {"title": "Nhập môn", "revision": revision_of(editor)},
        )
    )
    editor = await author.get(editor_url)
    section_id = re.search(r'id="section-([0-9a-f-]{36})"', editor.text).group(1)  # type: ignore[union-attr]
    stale = revision_of(editor)
    redirected(
        await post_form(
            author,
            f"{editor_url}/lessons",
            {
                "revision": stale,
                "kind": "reading",
                "section_id": section_id,
                "title": "Đọc: bảo mật tài khoản",
                "required": "on",
                "body": "**Không** chia sẻ mật khẩu.",
                "body_format": "markdown",
            },
        )
    )
    # A form sent from the page as it was before that change is refused, not applied.
    refused = await post_form(
        author, f"{editor_url}/details", {"revision": stale, "title": "Ghi đè"}
    )
    assert refused.status_code == 412
    assert "vừa được người khác sửa" in refused.text
    editor = await author.get(editor_url)
    assert "Đọc: bảo mật tài khoản" in editor.text and "Ghi đè" not in editor.text
    assert 'id="publish-problems"' not in editor.text
    published = redirected(
        await post_form(author, f"{editor_url}/publication", {"revision": revision_of(editor)})
    )
    page = await author.get(published)
    assert "Đã xuất bản phiên bản mới." in page.text
    assert "Sửa khoá học (tạo bản nháp)" in page.text

    learner = await browser(LEARNER)  # type: ignore[operator]
    home = await learner.get("/console/learn/", params={"q": "ky nang so"})
    assert home.status_code == 200
    assert f'href="/console/learn/courses/{course_id}">Kỹ năng số cơ bản</a>' in home.text
    assert "Bạn chưa ghi danh khoá học nào" in home.text
    course_page = f"/console/learn/courses/{course_id}"
    assert redirected(await post_form(learner, f"{course_page}/enrolment", {})) == course_page
    page = await learner.get(course_page)
    lesson = re.search(r'href="/console/learn/lessons/([0-9a-f-]{36})">Học tiếp', page.text)
    assert lesson, page.text
    assert "Chưa học" in page.text and "Rời khoá học" in page.text
    home = await learner.get("/console/learn/")
    assert 'max="100" value="0"' in home.text and "Học tiếp" in home.text
    assert (await learner.get(f"/console/courses/{course_id}")).status_code == 403


async def test_citizens_have_no_learning_pages(browser: object) -> None:
    citizen = await browser(CITIZEN)  # type: ignore[operator]
    assert (await citizen.get("/console/learn/")).status_code == 403
    response = await citizen.post(
        "/console/courses/", data={"code": "X1", "title": "x"}, headers=form_headers(citizen)
    )
    assert response.status_code == 403
