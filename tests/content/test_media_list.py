"""`GET /api/v1/media`: staff find their media. Everyone lists their own uploads; system
administrators also what others uploaded that they may read (never police media of another
unit), course administrators the course library; filters, a keyset cursor, and who uploaded
each asset."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from backend.access import Role
from tests.content.test_uploads import jpeg_with_gps
from tests.support.auth import auth_headers, bearer_for, create_person

MEDIA = "/api/v1/media"


async def staff(*roles: Role, police_unit: str = "TEST-POLICE") -> tuple[uuid.UUID, dict[str, str]]:
    person = await create_person(*roles, police_unit=police_unit)
    return person, await bearer_for(person)


async def upload_image(
    client: httpx.AsyncClient, headers: dict[str, str], purpose: str = "article_image"
) -> dict[str, Any]:
    response = await client.post(
        MEDIA,
        params={"purpose": purpose},
        files={"file": ("anh.jpg", jpeg_with_gps(), "image/jpeg")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(MEDIA, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


@pytest.fixture
def video_bytes(tmp_path: Any) -> bytes:
    from tests.content.conftest import make_video

    return make_video(tmp_path / "v.mp4", seconds=1, size="160x120").read_bytes()


async def test_staff_list_only_their_own_uploads_with_the_uploader_named(
    client: httpx.AsyncClient,
) -> None:
    oanh, oanh_headers = await staff(Role.COMMS_OFFICER)
    phuc, phuc_headers = await staff(Role.COMMS_APPROVER)
    first = await upload_image(client, oanh_headers)
    second = await upload_image(client, oanh_headers, "campaign_image")
    theirs = await upload_image(client, phuc_headers)
    assert first["uploaded_by"] == str(oanh)  # the upload's answer names the uploader too

    mine = await listed(client, oanh_headers)
    assert ids(mine) == [second["id"], first["id"]]  # newest first
    assert {item["uploaded_by"] for item in mine} == {str(oanh)}
    assert all(item["renditions"] for item in mine)  # with signed URLs, as one asset
    assert ids(await listed(client, phuc_headers)) == [theirs["id"]]
    assert (await listed(client, phuc_headers))[0]["uploaded_by"] == str(phuc)


async def test_a_system_admin_lists_what_they_may_read_but_not_another_units_evidence(
    client: httpx.AsyncClient,
) -> None:
    officer, officer_headers = await staff(Role.COMMS_OFFICER)
    _, police_headers = await staff(Role.POLICE_OFFICER, police_unit="CA-A")
    image = await upload_image(client, officer_headers)
    evidence = await upload_image(client, police_headers, "report_photo")
    admin, admin_headers = await staff(Role.SYSTEM_ADMIN)
    own = await upload_image(client, admin_headers, "course_image")

    seen = await listed(client, admin_headers)
    assert ids(seen) == [own["id"], image["id"]]
    assert evidence["id"] not in ids(seen)  # police media stays within its unit
    assert {item["id"]: item["uploaded_by"] for item in seen} == {
        own["id"]: str(admin),
        image["id"]: str(officer),
    }
    _, same_unit_admin = await staff(Role.SYSTEM_ADMIN, Role.POLICE_OFFICER, police_unit="CA-A")
    assert evidence["id"] in ids(await listed(client, same_unit_admin))


async def test_course_administrators_share_the_course_library(client: httpx.AsyncClient) -> None:
    son, son_headers = await staff(Role.COURSE_ADMIN)
    _, colleague_headers = await staff(Role.COURSE_ADMIN)
    _, comms_headers = await staff(Role.COMMS_OFFICER)
    course_image = await upload_image(client, son_headers, "course_image")
    article_image = await upload_image(client, comms_headers)

    seen = await listed(client, colleague_headers)
    assert ids(seen) == [course_image["id"]]
    assert seen[0]["uploaded_by"] == str(son)
    assert article_image["id"] not in ids(seen)
    assert course_image["id"] not in ids(await listed(client, comms_headers))


async def test_the_list_filters_by_purpose_kind_and_status(
    client: httpx.AsyncClient, video_bytes: bytes
) -> None:
    _, headers = await staff(Role.COURSE_ADMIN)
    image = await upload_image(client, headers, "course_image")
    response = await client.post(
        MEDIA,
        params={"purpose": "course_video"},
        content=video_bytes,
        headers={
            **headers,
            "Content-Type": "video/mp4",
            "Content-Disposition": 'attachment; filename="bai-1.mp4"',
        },
    )
    assert response.status_code == 201, response.text
    video = response.json()

    assert ids(await listed(client, headers)) == [video["id"], image["id"]]
    assert ids(await listed(client, headers, kind="video")) == [video["id"]]
    assert ids(await listed(client, headers, purpose="course_image")) == [image["id"]]
    assert ids(await listed(client, headers, status="ready")) == [image["id"]]
    assert ids(await listed(client, headers, status="uploaded", kind="video")) == [video["id"]]
    assert await listed(client, headers, status="failed") == []
    refused = await client.get(MEDIA, params={"kind": "document"}, headers=headers)
    assert refused.status_code == 422


async def test_the_cursor_walks_every_asset_once(client: httpx.AsyncClient) -> None:
    _, headers = await staff(Role.COMMS_OFFICER)
    made = [(await upload_image(client, headers))["id"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(MEDIA, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += ids(page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))
    assert pages == 3
    bad = await client.get(MEDIA, params={"cursor": "bm90LW91cnM"}, headers=headers)
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_cursor"


async def test_the_list_is_for_staff_who_upload(client: httpx.AsyncClient) -> None:
    anonymous = await client.get(MEDIA)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    for role in (Role.CITIZEN, Role.CIVIL_SERVANT, Role.AUDITOR):
        refused = await client.get(MEDIA, headers=await auth_headers(role))
        assert refused.status_code == 403, role
        assert refused.json()["code"] == "permission_denied"


async def test_the_uploader_is_shown_to_staff_and_not_to_a_citizen(
    client: httpx.AsyncClient,
) -> None:
    officer, headers = await staff(Role.COMMS_OFFICER)
    image = await upload_image(client, headers)
    own = (await client.get(f"{MEDIA}/{image['id']}", headers=headers)).json()
    assert own["uploaded_by"] == str(officer)
    admin = await client.get(
        f"{MEDIA}/{image['id']}", headers=await auth_headers(Role.SYSTEM_ADMIN)
    )
    assert admin.json()["uploaded_by"] == str(officer)
