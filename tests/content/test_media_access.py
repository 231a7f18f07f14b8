"""Who reads a media asset, over real HTTP against a served app: its uploader; whoever may
read what it is attached to (an article's cover follows the article); while attached to
nothing, the purpose's readers (police media: officers of the uploader's unit only). And
what may be linked into public content (never evidence)."""

from __future__ import annotations

from typing import Any

import httpx

from backend.access import Role
from tests.content.test_uploads import jpeg_with_gps
from tests.support.auth import auth_headers

MEDIA = "/api/v1/media"
ARTICLES = "/api/v1/articles"
UNIT_A = "CA-PHUONG-A"
UNIT_B = "CA-PHUONG-B"


async def upload(http: httpx.AsyncClient, headers: dict[str, str], purpose: str) -> dict[str, Any]:
    response = await http.post(
        MEDIA,
        params={"purpose": purpose},
        files={"file": ("anh.jpg", jpeg_with_gps(), "image/jpeg")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def status_of(http: httpx.AsyncClient, asset_id: str, headers: dict[str, str]) -> int:
    return (await http.get(f"{MEDIA}/{asset_id}", headers=headers)).status_code


async def test_report_media_is_not_readable_across_police_units(live: httpx.AsyncClient) -> None:
    uploader = await auth_headers(Role.POLICE_OFFICER, police_unit=UNIT_A)
    photo = await upload(live, uploader, "report_photo")
    assert await status_of(live, photo["id"], uploader) == 200
    same_unit = await auth_headers(Role.POLICE_OFFICER, police_unit=UNIT_A)
    assert await status_of(live, photo["id"], same_unit) == 200
    for role in (Role.POLICE_OFFICER, Role.POLICE_SUPERVISOR):
        other_unit = await auth_headers(role, police_unit=UNIT_B)
        response = await live.get(f"{MEDIA}/{photo['id']}", headers=other_unit)
        assert response.status_code == 404, role
        assert response.json()["code"] == "media_not_found"
    for outsider in (Role.SYSTEM_ADMIN, Role.COMMS_OFFICER, Role.CITIZEN):
        assert await status_of(live, photo["id"], await auth_headers(outsider)) == 404, outsider


async def test_evidence_the_linker_cannot_read_cannot_become_a_cover(
    live: httpx.AsyncClient,
) -> None:
    photo = await upload(
        live, await auth_headers(Role.POLICE_OFFICER, police_unit=UNIT_A), "report_photo"
    )
    officer = await auth_headers(Role.COMMS_OFFICER)
    assert await status_of(live, photo["id"], officer) == 404
    created = await live.post(
        ARTICLES,
        json={"title": "Ảnh bìa lạ", "body": "x", "cover_asset_id": photo["id"]},
        headers=officer,
    )
    assert created.status_code == 422, created.text
    assert created.json()["code"] == "article_cover_invalid"
    draft = await live.post(ARTICLES, json={"title": "Bài khác", "body": "x"}, headers=officer)
    patched = await live.patch(
        f"{ARTICLES}/{draft.json()['slug']}", json={"cover_asset_id": photo["id"]}, headers=officer
    )
    assert patched.status_code == 422
    assert patched.json()["code"] == "article_cover_invalid"


async def test_evidence_its_reader_can_see_still_never_becomes_public(
    live: httpx.AsyncClient,
) -> None:
    both = await auth_headers(Role.POLICE_OFFICER, Role.COMMS_OFFICER, police_unit=UNIT_A)
    photo = await upload(live, both, "report_photo")
    assert await status_of(live, photo["id"], both) == 200  # they may read it ...
    created = await live.post(
        ARTICLES,
        json={"title": "Chứng cứ", "body": "x", "cover_asset_id": photo["id"]},
        headers={**both, "Accept-Language": "en"},
    )
    assert created.status_code == 422  # ... but evidence is never public content
    assert created.json()["code"] == "article_cover_not_public"
    assert created.json()["detail"].startswith("This image may not be a cover")


async def test_a_cover_is_read_by_whoever_may_read_its_article(live: httpx.AsyncClient) -> None:
    officer = await auth_headers(Role.COMMS_OFFICER)
    image = await upload(live, officer, "article_image")
    citizen = await auth_headers()
    civil_servant = await auth_headers(Role.CIVIL_SERVANT)
    assert await status_of(live, image["id"], citizen) == 404  # in the library: staff only
    draft = await live.post(
        ARTICLES,
        json={
            "title": "Nội bộ",
            "body": "x",
            "audience": "internal",
            "cover_asset_id": image["id"],
        },
        headers=officer,
    )
    assert draft.status_code == 201, draft.text
    slug = draft.json()["slug"]
    assert await status_of(live, image["id"], civil_servant) == 404  # a draft: not yet
    submit = await live.post(f"{ARTICLES}/{slug}/submit", headers=officer)
    assert submit.status_code == 200, submit.text
    publish = await live.post(
        f"{ARTICLES}/{slug}/publish", headers=await auth_headers(Role.COMMS_APPROVER)
    )
    assert publish.status_code == 200, publish.text
    assert await status_of(live, image["id"], civil_servant) == 200
    assert await status_of(live, image["id"], citizen) == 404  # internal article
    assert await status_of(live, image["id"], officer) == 200  # the uploader
