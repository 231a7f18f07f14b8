"""The review step of articles over HTTP: a writer submits a draft, an approver publishes it or
returns it with a comment; an edit in review goes back to draft; the approved text is kept."""

from __future__ import annotations

import httpx

from backend.access import Role
from tests.content.test_articles import AGENCY_A, ARTICLES, Newsroom, article_trail, slugs
from tests.content.test_articles import newsroom as newsroom  # fixture
from tests.support.auth import auth_headers


async def test_a_submitted_draft_is_in_review_for_staff_only(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    slug = (await newsroom.draft(title="Chờ duyệt"))["slug"]
    submitted = await newsroom.submit(slug)
    assert submitted["status"] == "in_review"
    assert submitted["editorial"]["submitted_at"] is not None
    assert submitted["editorial"]["submitted_by"] == submitted["editorial"]["author_id"]
    in_review = {"status": "in_review"}
    assert slug in slugs(await client.get(ARTICLES, params=in_review, headers=newsroom.approver))
    assert slug not in slugs(
        await client.get(ARTICLES, params={"status": "draft"}, headers=newsroom.approver)
    )
    assert slugs(await client.get(ARTICLES, params=in_review)) == set()
    assert (await client.get(f"{ARTICLES}/{slug}")).status_code == 404

    again = await client.post(f"{ARTICLES}/{slug}/submit", headers=newsroom.officer)
    assert again.status_code == 409
    assert again.json()["code"] == "article_not_draft"
    for headers in (await auth_headers(), await auth_headers(Role.CIVIL_SERVANT)):
        assert (await client.post(f"{ARTICLES}/{slug}/submit", headers=headers)).status_code == 403


async def test_an_approver_returns_an_article_with_a_comment_the_writer_sees(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    slug = (await newsroom.draft(title="Cần sửa"))["slug"]
    not_yet = await client.post(
        f"{ARTICLES}/{slug}/return", json={"comment": "Sớm quá"}, headers=newsroom.approver
    )
    assert not_yet.status_code == 409
    assert not_yet.json()["code"] == "article_not_returnable"
    await newsroom.submit(slug)

    empty = await client.post(
        f"{ARTICLES}/{slug}/return", json={"comment": ""}, headers=newsroom.approver
    )
    assert empty.status_code == 400 or empty.status_code == 422
    by_officer = await client.post(
        f"{ARTICLES}/{slug}/return", json={"comment": "Sửa đi"}, headers=newsroom.officer
    )
    assert by_officer.status_code == 403

    returned = await client.post(
        f"{ARTICLES}/{slug}/return",
        json={"comment": "Bổ sung số điện thoại đường dây nóng."},
        headers=newsroom.approver,
    )
    assert returned.status_code == 200, returned.text
    article = returned.json()
    assert article["status"] == "draft"
    assert article["editorial"]["review_comment"] == "Bổ sung số điện thoại đường dây nóng."
    assert article["editorial"]["returned_at"] is not None
    seen = await client.get(f"{ARTICLES}/{slug}", headers=newsroom.officer)
    assert seen.json()["editorial"]["review_comment"] == "Bổ sung số điện thoại đường dây nóng."

    resubmitted = await newsroom.submit(slug)
    assert resubmitted["editorial"]["review_comment"] is None
    trail = await article_trail(article["id"])
    assert [e.action for e in trail] == [
        "article.create",
        "article.submit",
        "article.return",
        "article.submit",
    ]
    assert trail[2].details["comment"] == "Bổ sung số điện thoại đường dây nóng."


async def test_editing_an_article_in_review_brings_it_back_to_draft(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    slug = (await newsroom.draft(body="Một."))["slug"]
    await newsroom.submit(slug)
    edited = await client.patch(
        f"{ARTICLES}/{slug}", json={"body": "Hai."}, headers=newsroom.officer
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "draft"
    refused = await client.post(f"{ARTICLES}/{slug}/publish", headers=newsroom.approver)
    assert refused.status_code == 409
    assert refused.json()["code"] == "article_not_in_review"
    trail = await article_trail(edited.json()["id"])
    assert trail[-1].details["back_to_draft"] is True

    # An edit that changes nothing leaves it in review.
    await newsroom.submit(slug)
    same = await client.patch(f"{ARTICLES}/{slug}", json={"body": "Hai."}, headers=newsroom.officer)
    assert same.json()["status"] == "in_review"


async def test_publishing_keeps_the_approved_text(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    draft = await newsroom.draft(title="Tiêu đề", summary="Tóm tắt", body="Thân bài.")
    assert draft["editorial"]["approved"] is None
    published = await newsroom.publish(draft["slug"])
    assert published["editorial"]["approved"] == {
        "title": "Tiêu đề",
        "summary": "Tóm tắt",
        "body_markdown": "Thân bài.",
    }
    # Readers never see the editorial part.
    assert (await client.get(f"{ARTICLES}/{draft['slug']}")).json()["editorial"] is None


async def test_the_list_filters_by_audience(client: httpx.AsyncClient, newsroom: Newsroom) -> None:
    public = (await newsroom.published(title="Công khai"))["slug"]
    internal = (await newsroom.published(title="Nội bộ", audience="internal"))["slug"]
    agencies = (await newsroom.published(title="Sở A", audience="agencies", agencies=[AGENCY_A]))[
        "slug"
    ]
    staff = newsroom.officer
    assert slugs(await client.get(ARTICLES, params={"audience": "internal"}, headers=staff)) == {
        internal
    }
    assert slugs(await client.get(ARTICLES, params={"audience": "public"}, headers=staff)) == {
        public
    }
    assert agencies in slugs(
        await client.get(ARTICLES, params={"audience": "agencies"}, headers=staff)
    )
    # A citizen asking for internal articles gets none.
    assert slugs(await client.get(ARTICLES, params={"audience": "internal"})) == set()
    bad = await client.get(ARTICLES, params={"audience": "everyone"})
    assert bad.status_code == 422


async def test_a_published_article_is_revised_reviewed_against_the_live_text_and_replaced(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    live = await newsroom.published(title="Lịch tiếp dân", body="Tiếp dân vào thứ Hai.")
    slug = live["slug"]
    started = await client.post(f"{ARTICLES}/{slug}/revise", headers=newsroom.officer)
    assert started.status_code == 201, started.text
    revision = started.json()
    assert revision["status"] == "draft" and revision["slug"] != slug
    assert revision["editorial"]["revises_id"] == live["id"]
    assert revision["editorial"]["approved"]["body_markdown"] == "Tiếp dân vào thứ Hai."
    again = await client.post(f"{ARTICLES}/{slug}/revise", headers=newsroom.officer)
    assert again.status_code == 200 and again.json()["id"] == revision["id"]  # one open revision

    edited = await client.patch(
        f"{ARTICLES}/{revision['slug']}",
        json={"body": "Tiếp dân vào thứ Hai và thứ Năm."},
        headers=newsroom.officer,
    )
    assert edited.status_code == 200, edited.text
    # Readers still see the published text; the revision is nobody's to read but staff's.
    assert "thứ Năm" not in (await client.get(f"{ARTICLES}/{slug}")).json()["body_html"]
    assert (await client.get(f"{ARTICLES}/{revision['slug']}")).status_code == 404

    await newsroom.submit(revision["slug"])
    other_approver = await auth_headers(Role.COMMS_APPROVER)
    published = await client.post(f"{ARTICLES}/{revision['slug']}/publish", headers=other_approver)
    assert published.status_code == 200, published.text
    assert published.json()["slug"] == slug
    read = (await client.get(f"{ARTICLES}/{slug}")).json()
    assert "thứ Năm" in read["body_html"]
    assert read["published_at"] == live["published_at"]  # first publication time kept
    assert (
        await client.get(f"{ARTICLES}/{revision['slug']}", headers=newsroom.officer)
    ).status_code == 404  # the revision is gone, its text lives on the article
    trail = [e.action for e in await article_trail(live["id"])]
    assert trail[-2:] == ["article.revise", "article.publish"]


async def test_only_a_published_article_is_revised(
    client: httpx.AsyncClient, newsroom: Newsroom
) -> None:
    draft = await newsroom.draft(title="Chưa đăng")
    refused = await client.post(f"{ARTICLES}/{draft['slug']}/revise", headers=newsroom.officer)
    assert refused.status_code == 409
    assert refused.json()["code"] == "article_not_revisable"
    live = await newsroom.published(title="Đã đăng")
    for headers in (await auth_headers(), await auth_headers(Role.CIVIL_SERVANT)):
        response = await client.post(f"{ARTICLES}/{live['slug']}/revise", headers=headers)
        assert response.status_code == 403
