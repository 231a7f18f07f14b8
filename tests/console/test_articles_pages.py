"""The articles pages of the console over real HTTP: the list and its filters, the editor and
its preview, submitting, the approver's review with its diff, publishing by a second approver
(never the author), and what readers of the API then see."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from backend.access import Role
from content.articles.markdown import render
from tests.console.test_shell import grant
from tests.identity.conftest import CITIZEN, LiveServer, web_sign_in

OFFICER = "019189031111"  # Lê Thị Oanh, the demo communications officer
APPROVER = "019076032222"  # Trịnh Văn Phúc, the demo approver
SECOND_APPROVER = "019083071111"  # the demo system administrator, made an approver here
WELFARE_OFFICER = "019184041111"  # staff, but not communications staff
PAGES = "/console/articles"


async def signed_in(client: httpx.AsyncClient, personal_id: str, *granted: Role) -> None:
    await web_sign_in(client, personal_id, return_to="/console/")
    for role in granted:
        await grant(personal_id, role)


@pytest.fixture
async def officer(http: httpx.AsyncClient) -> httpx.AsyncClient:
    await signed_in(http, OFFICER, Role.COMMS_OFFICER)
    return http


@pytest.fixture
async def browser(live: LiveServer) -> AsyncIterator[Any]:
    """More browsers, each with its own session."""
    clients: list[httpx.AsyncClient] = []

    async def make(personal_id: str | None = None, *granted: Role) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=live.url, timeout=20)
        clients.append(client)
        if personal_id:
            await signed_in(client, personal_id, *granted)
        return client

    yield make
    for client in clients:
        await client.aclose()


def form_headers(client: httpx.AsyncClient) -> dict[str, str]:
    """What console.js sends with a form."""
    return {"X-CSRF-Token": client.cookies["ctn_csrf"], "HX-Request": "true"}


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, Any] | list[tuple[str, str]]
) -> httpx.Response:
    return await client.post(path, data=data, headers=form_headers(client))  # type: ignore[arg-type]  # httpx takes pairs too


async def write(client: httpx.AsyncClient, then: str = "save", **fields: Any) -> str:
    """The editor's form, sent; the slug of the saved article."""
    data = {"title": "Tin thử", "summary": "", "body": "Nội dung.", "audience": "public"}
    data |= fields
    saved = await post_form(client, f"{PAGES}/new", {**data, "then": then})
    assert saved.status_code == 204, saved.text
    location = saved.headers["HX-Redirect"]
    assert location.startswith(f"{PAGES}/")
    return location.removeprefix(f"{PAGES}/")


def titles(page: httpx.Response) -> list[str]:
    assert page.status_code == 200, page.text
    return re.findall(r'<th scope="row"><a href="/console/articles/[^"]+">([^<]+)</a>', page.text)


async def test_the_list_filters_by_status_audience_and_words(officer: httpx.AsyncClient) -> None:
    await write(officer, title="An ninh trật tự tháng 11", audience="public")
    await write(officer, title="Họp giao ban nội bộ", audience="internal")
    await write(officer, title="Lịch tiêm chủng", body="Tiêm **vắc xin**.", then="submit")

    drafts = await officer.get(PAGES)  # a writer starts on the drafts
    assert set(titles(drafts)) == {"An ninh trật tự tháng 11", "Họp giao ban nội bộ"}
    assert 'href="/console/articles/new"' in drafts.text
    assert '<option value="draft" selected>' in drafts.text

    internal = await officer.get(PAGES, params={"status": "draft", "audience": "internal"})
    assert titles(internal) == ["Họp giao ban nội bộ"]
    assert '<option value="internal" selected>' in internal.text
    found = await officer.get(PAGES, params={"status": "draft", "q": "AN NINH trat tu"})
    assert titles(found) == ["An ninh trật tự tháng 11"]
    assert 'value="AN NINH trat tu"' in found.text
    in_review = await officer.get(PAGES, params={"status": "in_review", "audience": ""})
    assert titles(in_review) == ["Lịch tiêm chủng"]
    assert "Chờ duyệt" in in_review.text


async def test_the_list_pages_with_the_api_cursor_and_keeps_the_filters(
    officer: httpx.AsyncClient,
) -> None:
    for n in range(22):
        created = await officer.post(
            "/api/v1/articles",
            json={"title": f"Bản tin số {n}", "audience": "internal"},
            headers={"X-CSRF-Token": officer.cookies["ctn_csrf"]},
        )
        assert created.status_code == 201, created.text
    first = await officer.get(PAGES, params={"status": "draft", "audience": "internal"})
    assert len(titles(first)) == 20
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first.text)
    assert next_link is not None
    href = next_link.group(1).replace("&amp;", "&")
    assert "audience=internal" in href and "cursor=" in href
    second = await officer.get(href)
    assert len(titles(second)) == 2
    assert not set(titles(first)) & set(titles(second))
    assert 'rel="next"' not in second.text


async def test_an_article_is_written_in_the_form_and_shown(officer: httpx.AsyncClient) -> None:
    editor = await officer.get(f"{PAGES}/new")
    assert editor.status_code == 200, editor.text
    for name in ("title", "summary", "body", "audience", "cover_asset_id", "topic", "byline"):
        assert f'<label for="f-{name}">' in editor.text, name
    assert 'data-preview="/console/articles/preview"' in editor.text
    assert "Lưu nháp" in editor.text and "Lưu và gửi duyệt" in editor.text

    slug = await write(
        officer,
        title="Hướng dẫn đăng ký tạm trú",
        summary="Các bước trên ứng dụng.",
        body="## Bước 1\n\nMở *ứng dụng*.",
        topic="hanh-chinh",
    )
    page = await officer.get(f"{PAGES}/{slug}")
    assert page.status_code == 200
    assert "<h1>Hướng dẫn đăng ký tạm trú</h1>" in page.text
    assert "<h2>Bước 1</h2>" in page.text and "<em>ứng dụng</em>" in page.text
    assert "Gửi duyệt" in page.text
    api = await officer.get(f"/api/v1/articles/{slug}")
    assert api.json()["status"] == "draft"
    assert api.json()["topic"] == "hanh-chinh"

    edit = await officer.get(f"{PAGES}/{slug}/edit")
    assert "Mở *ứng dụng*." in edit.text
    changed = await post_form(
        officer,
        f"{PAGES}/{slug}/edit",
        {"title": "Đăng ký tạm trú trực tuyến", "body": "Mới.", "audience": "public"},
    )
    assert changed.status_code == 204, changed.text
    api = await officer.get(f"/api/v1/articles/{slug}")
    assert api.json()["title"] == "Đăng ký tạm trú trực tuyến"
    assert api.json()["summary"] == ""
    assert api.json()["topic"] is None


async def test_an_invalid_form_comes_back_with_the_error_and_the_text_typed(
    officer: httpx.AsyncClient,
) -> None:
    typed = "Một đoạn văn dài mà cán bộ đã gõ <em>cẩn thận</em>."
    empty_title = await post_form(
        officer, f"{PAGES}/new", {"title": "", "body": typed, "audience": "public"}
    )
    assert empty_title.status_code == 422
    assert "Nhập tiêu đề" in empty_title.text
    assert 'aria-invalid="true"' in empty_title.text
    assert "Một đoạn văn dài mà cán bộ đã gõ &lt;em&gt;cẩn thận&lt;/em&gt;." in empty_title.text
    assert '<form id="article-form"' in empty_title.text  # the form alone, for console.js
    assert "<html" not in empty_title.text

    bad_topic = await post_form(
        officer,
        f"{PAGES}/new",
        {"title": "Giữ lại tiêu đề", "body": typed, "topic": "An Ninh!", "audience": "public"},
    )
    assert bad_topic.status_code == 422
    assert "Chủ đề chỉ gồm chữ thường" in bad_topic.text
    assert 'value="Giữ lại tiêu đề"' in bad_topic.text
    assert 'value="An Ninh!"' in bad_topic.text

    no_agency = await post_form(
        officer, f"{PAGES}/new", {"title": "Cho Sở", "body": typed, "audience": "agencies"}
    )
    assert no_agency.status_code == 422
    assert "Đối tượng xem bài viết không hợp lệ" in no_agency.text

    # Without console.js (a plain form post), the whole page comes back.
    plain = await officer.post(
        f"{PAGES}/new",
        data={"title": "", "body": typed},
        headers={"X-CSRF-Token": officer.cookies["ctn_csrf"]},
    )
    assert plain.status_code == 422
    assert "<html" in plain.text and "Nhập tiêu đề" in plain.text
    listed = await officer.get(PAGES, params={"status": "draft"})
    assert titles(listed) == []  # nothing was saved


async def test_the_preview_is_the_api_rendering_without_scripts(
    officer: httpx.AsyncClient,
) -> None:
    body = (
        "**Đậm** và [liên kết](https://thainguyen.gov.vn)\n\n"
        "<script>alert('x')</script><img src=x onerror=alert(1)>\n\n"
        '<a href="javascript:alert(1)">xấu</a>'
    )
    preview = await post_form(officer, f"{PAGES}/preview", {"body": body, "title": "X"})
    assert preview.status_code == 200
    assert preview.headers["content-type"].startswith("text/html")
    assert "<strong>Đậm</strong>" in preview.text
    assert "<script" not in preview.text and "alert('x')" not in preview.text
    assert "onerror=" not in preview.text and 'href="javascript:' not in preview.text
    assert '<img src="x">' in preview.text
    assert preview.text == render(body)
    refused = await officer.post(f"{PAGES}/preview", data={"body": body})  # no CSRF token
    assert refused.status_code == 403


async def test_a_writer_submits_and_an_approver_returns_it_with_a_comment(
    officer: httpx.AsyncClient, browser: Any
) -> None:
    slug = await write(officer, title="Thông báo lịch tiếp dân", body="Thứ Hai hằng tuần.")
    submitted = await post_form(officer, f"{PAGES}/{slug}/submit", {})
    assert submitted.status_code == 204
    assert (await officer.get(f"/api/v1/articles/{slug}")).json()["status"] == "in_review"
    assert (await officer.get(f"{PAGES}/{slug}/review")).status_code == 403  # not an approver

    approver = await browser(APPROVER, Role.COMMS_APPROVER)
    home = await approver.get("/console/")
    assert "Bài viết chờ duyệt" in home.text
    assert 'href="/console/articles?status=in_review"' in home.text
    assert "Bài viết" in home.text  # the menu entry
    review = await approver.get(f"{PAGES}/{slug}/review")
    assert review.status_code == 200, review.text
    assert "Bài chưa từng được duyệt" in review.text
    assert re.search(r"<ins><span class=\"visually-hidden\">\[thêm\] </span>Thứ Hai", review.text)
    assert "Trả lại" in review.text and "Xuất bản" in review.text

    no_comment = await post_form(approver, f"{PAGES}/{slug}/return", {"comment": "  "})
    assert no_comment.status_code == 422
    assert "Nhập nhận xét cho người viết" in no_comment.text
    assert 'id="review-actions"' in no_comment.text
    returned = await post_form(
        approver, f"{PAGES}/{slug}/return", {"comment": "Ghi rõ giờ tiếp dân."}
    )
    assert returned.status_code == 204, returned.text

    officer_home = await officer.get("/console/")
    assert "Bài viết bị trả lại" in officer_home.text
    page = await officer.get(f"{PAGES}/{slug}")
    assert "Ghi rõ giờ tiếp dân." in page.text
    assert "Nháp" in page.text
    resubmitted = await post_form(
        officer,
        f"{PAGES}/{slug}/edit",
        {
            "title": "Thông báo lịch tiếp dân",
            "body": "Thứ Hai hằng tuần, từ 7 giờ 30.",
            "audience": "public",
            "then": "submit",
        },
    )
    assert resubmitted.status_code == 204, resubmitted.text
    article = (await officer.get(f"/api/v1/articles/{slug}")).json()
    assert article["status"] == "in_review"
    assert article["editorial"]["review_comment"] is None
    assert "Bài viết bị trả lại" not in (await officer.get("/console/")).text


async def test_the_author_may_not_publish_another_approver_does_and_readers_see_it(
    http: httpx.AsyncClient, browser: Any
) -> None:
    author = http
    await signed_in(author, APPROVER, Role.COMMS_APPROVER)
    slug = await write(
        author, title="Cảnh báo lừa đảo qua mạng", body="Không chuyển tiền cho người lạ."
    )
    await post_form(author, f"{PAGES}/{slug}/submit", {})
    review = await author.get(f"{PAGES}/{slug}/review")
    assert "Bạn là tác giả bài này" in review.text
    refused = await post_form(author, f"{PAGES}/{slug}/publish", {})
    assert refused.status_code == 403
    assert 'role="alert"' in refused.text
    assert "không được tự xuất bản" in refused.text
    assert "article_self_publish" in refused.text
    anonymous = await browser()
    assert (await anonymous.get(f"/api/v1/articles/{slug}")).status_code == 404

    other = await browser(SECOND_APPROVER, Role.COMMS_APPROVER)
    published = await post_form(other, f"{PAGES}/{slug}/publish", {})
    assert published.status_code == 204, published.text
    assert published.headers["HX-Redirect"] == f"{PAGES}/{slug}"
    page = await other.get(f"{PAGES}/{slug}")
    assert "Đã xuất bản" in page.text

    seen = await anonymous.get(f"/api/v1/articles/{slug}")
    assert seen.status_code == 200, seen.text
    assert seen.json()["title"] == "Cảnh báo lừa đảo qua mạng"
    assert seen.json()["body_html"] == "<p>Không chuyển tiền cho người lạ.</p>\n"

    # The published article is reviewed against its approved text, and may be archived.
    again = await other.get(f"{PAGES}/{slug}/review")
    assert "So với bản đã xuất bản lần trước." in again.text
    assert "<ins>" not in again.text.split('class="legend"')[1].split("</p>", 1)[1]
    archived = await post_form(other, f"{PAGES}/{slug}/archive", {})
    assert archived.status_code == 204
    assert (await anonymous.get(f"/api/v1/articles/{slug}")).status_code == 404


async def test_only_communications_staff_get_the_articles_pages(
    http: httpx.AsyncClient, browser: Any
) -> None:
    await signed_in(http, CITIZEN)
    assert (await http.get(PAGES)).status_code == 403
    other_staff = await browser(WELFARE_OFFICER, Role.WELFARE_OFFICER)
    assert (await other_staff.get(PAGES)).status_code == 403
    home = await other_staff.get("/console/")
    assert home.status_code == 200
    assert 'href="/console/articles"' not in home.text
    officer = await browser(OFFICER, Role.COMMS_OFFICER)
    home = await officer.get("/console/")
    assert 'href="/console/articles"' in home.text
    assert (await officer.get(f"{PAGES}/khong-co")).status_code == 404


async def test_a_published_article_is_revised_and_the_review_shows_the_change(
    officer: httpx.AsyncClient, browser: Any
) -> None:
    slug = await write(officer, then="submit", title="Giờ làm việc", body="Mở cửa thứ Hai.")
    approver = await browser(APPROVER, Role.COMMS_APPROVER)
    assert (await post_form(approver, f"{PAGES}/{slug}/publish", {})).status_code == 204
    page = await officer.get(f"{PAGES}/{slug}")
    assert "Sửa bài đã đăng" in page.text
    started = await post_form(officer, f"{PAGES}/{slug}/revise", {})
    assert started.status_code == 204, started.text
    revision = started.headers["HX-Redirect"].removeprefix(f"{PAGES}/").removesuffix("/edit")
    assert revision != slug
    saved = await post_form(
        officer,
        f"{PAGES}/{revision}/edit",
        {"title": "Giờ làm việc", "body": "Mở cửa thứ Ba.", "audience": "public", "then": "submit"},
    )
    assert saved.status_code == 204, saved.text
    review = await approver.get(f"{PAGES}/{revision}/review")
    assert review.status_code == 200
    assert re.search(r"<del>.*Hai", review.text) and re.search(r"<ins>.*Ba", review.text)
    assert (await post_form(approver, f"{PAGES}/{revision}/publish", {})).status_code == 204
    anonymous = await browser()
    assert "thứ Ba" in (await anonymous.get(f"/api/v1/articles/{slug}")).json()["body_html"]
