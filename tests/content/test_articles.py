"""Articles over HTTP: who reads what, sanitized bodies, Vietnamese search, pagination,
ETags, and the draft → in review → published → archived workflow with its errors."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from backend.access import Role
from backend.audit.repository import EntryRow, search
from backend.db import unit_of_work
from backend.identity.schemas import Agency
from backend.identity.service import do_upsert_agency
from tests.content.test_uploads import jpeg_with_gps
from tests.support.auth import auth_headers

ARTICLES = "/api/v1/articles"
AGENCY_A = "TEST-SO-A"
AGENCY_B = "TEST-SO-B"


class Newsroom:
    """A communications officer who writes and an approver who publishes."""

    def __init__(self, client: httpx.AsyncClient, officer: dict[str, str], approver: Any) -> None:
        self.client = client
        self.officer = officer
        self.approver = approver

    async def draft(self, **fields: Any) -> dict[str, Any]:
        body = {"title": "Tin thử nghiệm", "body": "Nội dung.", **fields}
        response = await self.client.post(ARTICLES, json=body, headers=self.officer)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def submit(self, slug: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            f"{ARTICLES}/{slug}/submit", headers=headers or self.officer
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def publish(self, slug: str) -> dict[str, Any]:
        """Submit the draft (as the officer), then publish it (as the approver)."""
        await self.submit(slug)
        response = await self.client.post(f"{ARTICLES}/{slug}/publish", headers=self.approver)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def published(self, **fields: Any) -> dict[str, Any]:
        return await self.publish((await self.draft(**fields))["slug"])


@pytest.fixture
async def newsroom(client: httpx.AsyncClient) -> Newsroom:
    for code in (AGENCY_A, AGENCY_B):
        await do_upsert_agency(Agency(code=code, name=f"Cơ quan {code}"))
    return Newsroom(
        client, await auth_headers(Role.COMMS_OFFICER), await auth_headers(Role.COMMS_APPROVER)
    )


def slugs(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["slug"] for item in response.json()["items"]}


# --- audience -------------------------------------------------------------------------------


async def test_each_reader_sees_the_articles_of_their_audience_and_no_other(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    public = (await newsroom.published(title="Lịch tiếp công dân", audience="public"))["slug"]
    internal = (await newsroom.published(title="Họp giao ban", audience="internal"))["slug"]
    for_a = (
        await newsroom.published(title="Thông báo Sở A", audience="agencies", agencies=[AGENCY_A])
    )["slug"]
    draft = (await newsroom.draft(title="Bản nháp"))["slug"]
    everything = {public, internal, for_a}

    readers = {
        "anonymous": {},
        "citizen": await auth_headers(),
        "civil servant of A": await auth_headers(Role.CIVIL_SERVANT, agency=AGENCY_A),
        "civil servant of B": await auth_headers(Role.CIVIL_SERVANT, agency=AGENCY_B),
        "police officer": await auth_headers(Role.POLICE_OFFICER),
        "comms officer": newsroom.officer,
    }
    expected = {
        "anonymous": {public},
        "citizen": {public},
        "civil servant of A": {public, internal, for_a},
        "civil servant of B": {public, internal},
        "police officer": {public},
        "comms officer": everything,
    }
    for reader, headers in readers.items():
        listed = slugs(await client.get(ARTICLES, headers=headers)) & (everything | {draft})
        assert listed == expected[reader], reader
        for slug in everything | {draft}:
            response = await client.get(f"{ARTICLES}/{slug}", headers=headers)
            visible = slug in expected[reader] or (reader == "comms officer")
            assert response.status_code == (200 if visible else 404), (reader, slug)
            if not visible:
                assert response.json()["code"] == "article_not_found"


async def test_an_unknown_slug_and_a_hidden_article_look_the_same(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    internal = (await newsroom.published(title="Nội bộ", audience="internal"))["slug"]
    hidden = await client.get(f"{ARTICLES}/{internal}")
    unknown = await client.get(f"{ARTICLES}/khong-co-bai-nay")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["code"] == unknown.json()["code"] == "article_not_found"
    assert hidden.json()["detail"] == unknown.json()["detail"]


async def test_drafts_and_archived_articles_are_listed_only_for_communications_staff(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    draft = (await newsroom.draft(title="Nháp chưa duyệt"))["slug"]
    archived = (await newsroom.published(title="Tin cũ"))["slug"]
    archive = await client.post(f"{ARTICLES}/{archived}/archive", headers=newsroom.approver)
    assert archive.status_code == 200, archive.text
    citizen = await auth_headers()
    for status, slug in (("draft", draft), ("archived", archived)):
        assert (
            slugs(await client.get(ARTICLES, params={"status": status}, headers=citizen)) == set()
        )
        assert slugs(await client.get(ARTICLES, params={"status": status})) == set()
        staff = await client.get(ARTICLES, params={"status": status}, headers=newsroom.officer)
        assert slug in slugs(staff)
    assert archived not in slugs(await client.get(ARTICLES, headers=citizen))
    assert (await client.get(f"{ARTICLES}/{archived}", headers=citizen)).status_code == 404


async def test_readers_do_not_see_the_editorial_details(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    slug = (await newsroom.published(title="Tin công khai", byline="Phòng Truyền thông"))["slug"]
    reader = (await client.get(f"{ARTICLES}/{slug}")).json()
    assert reader["editorial"] is None
    assert reader["byline"] == "Phòng Truyền thông"
    staff = (await client.get(f"{ARTICLES}/{slug}", headers=newsroom.officer)).json()
    assert staff["editorial"]["body_markdown"] == "Nội dung."
    assert staff["editorial"]["published_by"] is not None


# --- Markdown -------------------------------------------------------------------------------


async def test_the_body_is_rendered_from_markdown_without_scripts_handlers_or_js_links(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    body = "\n".join(
        [
            "## Hướng dẫn",
            "Làm theo **các bước** sau: [cổng dịch vụ](https://dichvucong.gov.vn).",
            "",
            "<script>alert('xss')</script>",
            '<img src="https://example.vn/a.png" onerror="alert(1)" alt="ảnh">',
            '<a href="javascript:alert(1)">bấm vào đây</a>',
            '<a href="JaVaScRiPt:alert(2)" onclick="steal()">hoặc đây</a>',
            "[liên kết](javascript:alert(3))",
            '<p style="position:fixed" onmouseover="x()">đoạn</p>',
            "<iframe src='https://evil.example'></iframe>",
        ]
    )
    slug = (await newsroom.published(title="Hướng dẫn an toàn", body=body))["slug"]
    html = (await client.get(f"{ARTICLES}/{slug}")).json()["body_html"]
    lowered = html.lower()
    assert "<h2>Hướng dẫn</h2>" in html
    assert "<strong>các bước</strong>" in html
    assert 'href="https://dichvucong.gov.vn"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "<script" not in lowered and "alert('xss')" not in html
    assert "onerror" not in lowered and "onclick" not in lowered and "onmouseover" not in lowered
    assert 'href="javascript' not in lowered
    assert "<iframe" not in lowered
    assert "position" not in lowered
    assert 'alt="ảnh"' in html  # the image itself stays, without its handler


# --- search ---------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["an ninh trat tu", "AN NINH", "An ninh trật tự", "TRẬT TỰ an"])
async def test_search_ignores_diacritics_and_case(
    client: httpx.AsyncClient, newsroom: Newsroom, query: str
) -> None:
    target = (await newsroom.published(title="An ninh trật tự tháng 11"))["slug"]
    other = (await newsroom.published(title="Lịch tiêm chủng mở rộng"))["slug"]
    found = slugs(await client.get(ARTICLES, params={"q": query}))
    assert target in found
    assert other not in found


async def test_a_query_with_diacritics_finds_a_title_typed_without_them(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    target = (await newsroom.published(title="Dang ky tam tru truc tuyen"))["slug"]
    assert target in slugs(await client.get(ARTICLES, params={"q": "Đăng ký tạm trú"}))
    assert target in slugs(await client.get(ARTICLES, params={"q": "TẠM TRÚ"}))


async def test_search_looks_in_summary_and_body_and_treats_wildcards_literally(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    target = (
        await newsroom.published(
            title="Thông báo", summary="Về việc cấp đổi", body="Căn cước công dân gắn chip."
        )
    )["slug"]
    assert target in slugs(await client.get(ARTICLES, params={"q": "can cuoc"}))
    assert target in slugs(await client.get(ARTICLES, params={"q": "cap doi"}))
    assert slugs(await client.get(ARTICLES, params={"q": "%"})) == set()
    assert slugs(await client.get(ARTICLES, params={"q": "_"})) == set()


async def test_the_list_filters_by_topic(client: httpx.AsyncClient, newsroom: Newsroom) -> None:
    security = (await newsroom.published(title="Phòng chống lừa đảo", topic="an-ninh"))["slug"]
    health = (await newsroom.published(title="Tiêm chủng", topic="y-te"))["slug"]
    found = slugs(await client.get(ARTICLES, params={"topic": "an-ninh"}))
    assert security in found and health not in found
    invalid = await client.get(ARTICLES, params={"topic": "Không hợp lệ"})
    assert invalid.status_code == 422
    assert invalid.json()["code"] == "validation_failed"


# --- pagination and ETags -------------------------------------------------------------------


async def test_walking_the_pages_gives_every_article_once_newest_first(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    made = [(await newsroom.published(title=f"Bản tin số {n}"))["slug"] for n in range(23)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 10, "q": "ban tin so"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(ARTICLES, params=params)).json()
        seen += [item["slug"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(made))
    bad = await client.get(ARTICLES, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_cursor"


async def test_an_unchanged_list_answers_304_and_varies_by_caller(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    await newsroom.published(title="Công khai")
    await newsroom.published(title="Chỉ cho Sở A", audience="agencies", agencies=[AGENCY_A])
    first = await client.get(ARTICLES)
    etag = first.headers["etag"]
    assert "Authorization" in first.headers["vary"] and "Cookie" in first.headers["vary"]
    again = await client.get(ARTICLES, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    civil_servant = await auth_headers(Role.CIVIL_SERVANT, agency=AGENCY_A)
    theirs = await client.get(ARTICLES, headers={**civil_servant, "If-None-Match": etag})
    assert theirs.status_code == 200  # another audience, another representation
    assert theirs.headers["etag"] != etag
    await newsroom.published(title="Tin mới hơn")
    changed = await client.get(ARTICLES, headers={"If-None-Match": etag})
    assert changed.status_code == 200


async def test_an_article_answers_304_while_unchanged(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    slug = (await newsroom.published(title="Không đổi"))["slug"]
    first = await client.get(f"{ARTICLES}/{slug}")
    again = await client.get(f"{ARTICLES}/{slug}", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


# --- writing and the workflow ---------------------------------------------------------------


async def test_the_slug_is_made_from_the_vietnamese_title_and_kept_unique(
    newsroom: Newsroom,
) -> None:
    first = await newsroom.draft(title="Đường dây nóng An ninh trật tự!")
    assert first["slug"] == "duong-day-nong-an-ninh-trat-tu"
    second = await newsroom.draft(title="Đường dây nóng an ninh trật tự")
    assert second["slug"].startswith("duong-day-nong-an-ninh-trat-tu-")
    assert second["slug"] != first["slug"]


async def test_a_chosen_slug_already_in_use_is_a_conflict(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    await newsroom.draft(title="Một", slug="tin-mot")
    response = await client.post(
        ARTICLES, json={"title": "Hai", "slug": "tin-mot"}, headers=newsroom.officer
    )
    assert response.status_code == 409
    assert response.json()["code"] == "article_slug_taken"


async def test_a_draft_is_edited_then_published_by_an_approver_then_archived(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    draft = await newsroom.draft(title="Bản nháp đầu", topic="chuyen-doi-so")
    assert draft["status"] == "draft"
    assert draft["published_at"] is None
    slug = draft["slug"]
    edited = await client.patch(
        f"{ARTICLES}/{slug}",
        json={"title": "Chuyển đổi số cấp xã", "body": "**Mới**", "topic": None},
        headers=newsroom.officer,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "Chuyển đổi số cấp xã"
    assert edited.json()["body_html"] == "<p><strong>Mới</strong></p>\n"
    assert edited.json()["topic"] is None
    assert edited.json()["slug"] == slug  # the title changed, the address did not

    published = await newsroom.publish(slug)
    assert published["status"] == "published"
    assert published["published_at"] is not None
    assert slug in slugs(await client.get(ARTICLES, params={"q": "chuyen doi so cap xa"}))

    archived = await client.post(f"{ARTICLES}/{slug}/archive", headers=newsroom.approver)
    assert archived.status_code == 200
    assert archived.json()["status"] == "archived"
    assert archived.json()["editorial"]["archived_at"] is not None
    assert (await client.get(f"{ARTICLES}/{slug}")).status_code == 404
    async with unit_of_work():
        trail = await search(
            actor_id=None,
            action="article.*",
            object_type="article",
            object_id=published["id"],
            since=None,
            until=None,
            before_id=None,
            limit=10,
        )
    assert [e.action for e in trail] == [
        "article.archive",
        "article.publish",
        "article.submit",
        "article.update",
        "article.create",
    ]


async def test_an_officer_writes_but_may_not_publish_or_archive(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    slug = (await newsroom.draft())["slug"]
    for action in ("publish", "archive"):
        response = await client.post(f"{ARTICLES}/{slug}/{action}", headers=newsroom.officer)
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


async def test_citizens_and_civil_servants_may_not_write(client: httpx.AsyncClient) -> None:
    for headers in (await auth_headers(), await auth_headers(Role.CIVIL_SERVANT)):
        response = await client.post(ARTICLES, json={"title": "X"}, headers=headers)
        assert response.status_code == 403
    assert (await client.post(ARTICLES, json={"title": "X"})).status_code == 401


async def test_an_approver_may_not_publish_what_they_wrote(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    approver = newsroom.approver
    created = await client.post(ARTICLES, json={"title": "Tự viết", "body": "x"}, headers=approver)
    assert created.status_code == 201
    slug = created.json()["slug"]
    await newsroom.submit(slug, approver)
    response = await client.post(f"{ARTICLES}/{slug}/publish", headers=approver)
    assert response.status_code == 403
    assert response.json()["code"] == "article_self_publish"
    other_approver = await auth_headers(Role.COMMS_APPROVER)
    assert (
        await client.post(f"{ARTICLES}/{slug}/publish", headers=other_approver)
    ).status_code == 200


async def article_trail(article_id: str) -> list[EntryRow]:
    """The article's audit entries, oldest first."""
    async with unit_of_work():
        trail = await search(
            actor_id=None,
            action="article.*",
            object_type="article",
            object_id=article_id,
            since=None,
            until=None,
            before_id=None,
            limit=50,
        )
    return list(reversed(trail))


async def test_an_approver_who_rewrote_a_draft_may_not_publish_it(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    slug = (await newsroom.draft(title="Bản của cán bộ", body="Nội dung gốc."))["slug"]
    rewritten = await client.patch(
        f"{ARTICLES}/{slug}",
        json={"title": "Bản của người duyệt", "body": "Nội dung khác hẳn."},
        headers=newsroom.approver,
    )
    assert rewritten.status_code == 200, rewritten.text
    await newsroom.submit(slug)
    refused = await client.post(f"{ARTICLES}/{slug}/publish", headers=newsroom.approver)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "article_last_editor_publish"
    assert "không được tự xuất bản" in refused.json()["detail"]
    english = await client.post(
        f"{ARTICLES}/{slug}/publish", headers={**newsroom.approver, "Accept-Language": "en"}
    )
    assert english.json()["detail"].startswith("Whoever last changed an article's content")
    assert (await client.get(f"{ARTICLES}/{slug}")).status_code == 404  # still in review

    # Another approver, who did not write this text, may publish it.
    second = await client.post(
        f"{ARTICLES}/{slug}/publish", headers=await auth_headers(Role.COMMS_APPROVER)
    )
    assert second.status_code == 200, second.text
    assert second.json()["title"] == "Bản của người duyệt"


async def test_once_the_officer_edits_again_the_approver_may_publish(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    slug = (await newsroom.draft(body="Một."))["slug"]
    edit = await client.patch(
        f"{ARTICLES}/{slug}", json={"body": "Hai."}, headers=newsroom.approver
    )
    assert edit.status_code == 200
    editor = edit.json()["editorial"]["content_edited_by"]
    assert editor != edit.json()["editorial"]["author_id"]
    again = await client.patch(f"{ARTICLES}/{slug}", json={"body": "Ba."}, headers=newsroom.officer)
    assert again.json()["editorial"]["content_edited_by"] == again.json()["editorial"]["author_id"]
    assert (await newsroom.publish(slug))["status"] == "published"


async def test_an_edit_that_changes_nothing_does_not_make_an_editor(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    draft = await newsroom.draft(title="Giữ nguyên", body="Nội dung.")
    same = await client.patch(
        f"{ARTICLES}/{draft['slug']}",
        json={"title": "Giữ nguyên", "body": "Nội dung."},
        headers=newsroom.approver,
    )
    assert same.status_code == 200
    assert same.json()["editorial"]["content_edited_by"] == draft["editorial"]["author_id"]
    assert [e.action for e in await article_trail(draft["id"])] == ["article.create"]
    assert (await newsroom.publish(draft["slug"]))["status"] == "published"


async def test_creating_and_editing_are_audited_with_who_changed_which_fields(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    draft = await newsroom.draft(title="Tin gốc", body="Một.")
    author = draft["editorial"]["author_id"]
    edit = await client.patch(
        f"{ARTICLES}/{draft['slug']}",
        json={"title": "Tin sửa", "body": "Hai.", "summary": ""},  # summary unchanged
        headers=newsroom.approver,
    )
    assert edit.status_code == 200
    approver = edit.json()["editorial"]["content_edited_by"]
    trail = await article_trail(draft["id"])
    assert [(e.action, e.actor_id) for e in trail] == [
        ("article.create", author),
        ("article.update", approver),
    ]
    assert trail[0].details["slug"] == draft["slug"]
    assert trail[1].details["fields"] == ["body", "title"]


async def test_wrong_transitions_are_conflicts_with_stable_codes_in_both_languages(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    slug = (await newsroom.published())["slug"]
    again = await client.post(f"{ARTICLES}/{slug}/publish", headers=newsroom.approver)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["code"] == "article_not_in_review"
    assert again.json()["detail"] == "Chỉ xuất bản được bài viết đã gửi duyệt (đang chờ duyệt)."
    english = await client.post(
        f"{ARTICLES}/{slug}/publish", headers={**newsroom.approver, "Accept-Language": "en"}
    )
    assert english.json()["detail"] == "Only an article submitted for review can be published."

    edit = await client.patch(f"{ARTICLES}/{slug}", json={"title": "X"}, headers=newsroom.officer)
    assert edit.status_code == 409
    assert edit.json()["code"] == "article_not_editable"

    draft = (await newsroom.draft())["slug"]
    archive = await client.post(f"{ARTICLES}/{draft}/archive", headers=newsroom.approver)
    assert archive.status_code == 409
    assert archive.json()["code"] == "article_not_published"

    missing = await client.post(f"{ARTICLES}/khong-co/publish", headers=newsroom.approver)
    assert missing.status_code == 404


async def test_an_empty_draft_cannot_be_submitted_or_published(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    slug = (await newsroom.draft(body="   "))["slug"]
    response = await client.post(f"{ARTICLES}/{slug}/submit", headers=newsroom.officer)
    assert response.status_code == 422
    assert response.json()["code"] == "article_body_empty"
    response = await client.post(f"{ARTICLES}/{slug}/publish", headers=newsroom.approver)
    assert response.status_code == 409
    assert response.json()["code"] == "article_not_in_review"


@pytest.mark.parametrize(
    ("audience", "agencies"),
    [("agencies", []), ("agencies", ["KHONG-TON-TAI"]), ("public", [AGENCY_A])],
)
async def test_an_audience_that_does_not_add_up_is_refused(
    client: httpx.AsyncClient, newsroom: Newsroom, audience: str, agencies: list[str]
) -> None:
    response = await client.post(
        ARTICLES,
        json={"title": "X", "audience": audience, "agencies": agencies},
        headers=newsroom.officer,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "article_audience_invalid"


async def test_leaving_the_agencies_audience_drops_the_agency_list(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    slug = (await newsroom.draft(audience="agencies", agencies=[AGENCY_A, AGENCY_B]))["slug"]
    response = await client.patch(
        f"{ARTICLES}/{slug}", json={"audience": "internal"}, headers=newsroom.officer
    )
    assert response.status_code == 200, response.text
    assert response.json()["audience"] == "internal"
    assert response.json()["editorial"]["agencies"] == []


async def test_an_unknown_field_is_refused(client: httpx.AsyncClient, newsroom: Newsroom) -> None:
    response = await client.post(
        ARTICLES, json={"title": "X", "status": "published"}, headers=newsroom.officer
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


# --- covers ---------------------------------------------------------------------------------


async def upload_image(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.post(
        "/api/v1/media",
        params={"purpose": "article_image"},
        files={"file": ("bia.jpg", jpeg_with_gps(), "image/jpeg")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_the_cover_links_redirect_to_signed_image_urls_for_readers(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    cover = await upload_image(client, newsroom.officer)
    article = await newsroom.published(title="Có ảnh bìa", cover_asset_id=cover)
    assert article["cover"]["asset_id"] == cover
    listed = (await client.get(ARTICLES)).json()["items"]
    links = next(item["cover"] for item in listed if item["slug"] == article["slug"])
    for url in (links["url"], links["thumbnail_url"]):
        redirect = await client.get(url)
        assert redirect.status_code == 302, redirect.text
        image = await client.get(redirect.headers["location"])
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/jpeg"
    internal = await newsroom.published(
        title="Ảnh nội bộ", audience="internal", cover_asset_id=cover
    )
    assert (await client.get(internal["cover"]["url"])).status_code == 404


async def test_a_cover_must_be_a_ready_image(
    client: httpx.AsyncClient, newsroom: Newsroom, tmp_path: Any
) -> None:
    from tests.content.conftest import make_video

    video = await client.post(
        "/api/v1/media",
        params={"purpose": "course_video"},
        content=make_video(tmp_path / "v.mp4", seconds=1, size="160x120").read_bytes(),
        headers={
            **await auth_headers(Role.COURSE_ADMIN),
            "Content-Disposition": 'attachment; filename="v.mp4"',
        },
    )
    assert video.json()["status"] == "uploaded"  # a video, and not processed yet
    for cover in (str(uuid.uuid4()), video.json()["id"]):
        response = await client.post(
            ARTICLES, json={"title": "X", "cover_asset_id": cover}, headers=newsroom.officer
        )
        assert response.status_code == 422
        assert response.json()["code"] == "article_cover_invalid"
