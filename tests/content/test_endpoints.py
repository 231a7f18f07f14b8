"""The media API over HTTP: `POST /api/v1/media` (multipart or raw body) and
`GET /api/v1/media/{id}`, with real sign-in tokens, and the signed URLs it hands out."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from backend.access import Role
from tests.content.conftest import stored_keys
from tests.content.test_uploads import jpeg_with_gps, png_bytes
from tests.support.auth import auth_headers

MEDIA = "/api/v1/media"


async def upload_multipart(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    data: bytes,
    *,
    filename: str = "anh-bia.jpg",
    purpose: str = "article_image",
    content_type: str = "image/jpeg",
) -> httpx.Response:
    return await client.post(
        MEDIA,
        params={"purpose": purpose},
        files={"file": (filename, data, content_type)},
        headers=headers,
    )


async def test_a_comms_officer_uploads_an_image_by_multipart_and_gets_a_ready_asset(
    client: httpx.AsyncClient, settings: Any
) -> None:
    headers = await auth_headers(Role.COMMS_OFFICER)
    response = await upload_multipart(client, headers, jpeg_with_gps())
    assert response.status_code == 201, response.text
    asset = response.json()
    assert asset["status"] == "ready"
    assert asset["kind"] == "image"
    assert asset["purpose"] == "article_image"
    assert asset["original_filename"] == "anh-bia.jpg"
    assert {r["name"] for r in asset["renditions"]} == {"display", "thumbnail"}
    assert uuid.UUID(asset["id"])


async def test_a_raw_body_upload_takes_its_name_from_content_disposition(
    client: httpx.AsyncClient,
) -> None:
    headers = await auth_headers(Role.COMMS_APPROVER)
    response = await client.post(
        MEDIA,
        params={"purpose": "campaign_image"},
        content=png_bytes(),
        headers={
            **headers,
            "Content-Type": "image/png",
            "Content-Disposition": "attachment; filename*=UTF-8''%E1%BA%A3nh%20b%C3%ACa.png",
        },
    )
    assert response.status_code == 201, response.text
    asset = response.json()
    assert asset["original_filename"] == "ảnh bìa.png"
    assert asset["mime"] == "image/png"
    assert asset["status"] == "ready"


async def test_a_video_upload_is_accepted_for_processing(
    client: httpx.AsyncClient, video_bytes: bytes
) -> None:
    headers = await auth_headers(Role.COURSE_ADMIN)
    response = await client.post(
        MEDIA,
        params={"purpose": "course_video"},
        content=video_bytes,
        headers={**headers, "Content-Disposition": 'attachment; filename="bai-1.mp4"'},
    )
    assert response.status_code == 201, response.text
    asset = response.json()
    assert asset["status"] == "uploaded"
    assert asset["kind"] == "video"
    assert asset["renditions"] == []
    assert asset["original_url"]  # the uploader sees the untouched original


@pytest.fixture
def video_bytes(tmp_path: Any) -> bytes:
    from tests.content.conftest import make_video

    return make_video(tmp_path / "v.mp4", seconds=1, size="160x120").read_bytes()


async def test_a_citizen_may_not_upload_through_the_media_api(client: httpx.AsyncClient) -> None:
    response = await upload_multipart(client, await auth_headers(), jpeg_with_gps())
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "permission_denied"


async def test_an_anonymous_upload_is_unauthenticated(client: httpx.AsyncClient) -> None:
    response = await upload_multipart(client, {}, jpeg_with_gps())
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


async def test_staff_may_upload_only_for_the_purposes_of_their_role(
    client: httpx.AsyncClient,
) -> None:
    headers = await auth_headers(Role.COMMS_OFFICER)
    response = await upload_multipart(client, headers, jpeg_with_gps(), purpose="report_photo")
    assert response.status_code == 403
    assert response.json()["code"] == "upload_purpose_forbidden"


async def test_a_body_over_the_purpose_limit_is_413_and_leaves_nothing_in_storage(
    client: httpx.AsyncClient, settings: Any
) -> None:
    headers = await auth_headers(Role.COMMS_OFFICER)
    before = set(stored_keys(settings))
    big = jpeg_with_gps() + b"\x00" * (11 * 1024 * 1024)  # article images: 10 MB at most

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: the stream is cut
        for start in range(0, len(big), 256 * 1024):
            yield big[start : start + 256 * 1024]

    response = await client.post(
        MEDIA,
        params={"purpose": "article_image"},
        content=streamed(),
        headers={**headers, "Content-Disposition": 'attachment; filename="to.jpg"'},
    )
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "upload_too_large"
    assert set(stored_keys(settings)) == before


async def test_an_announced_length_over_the_limit_is_413_before_anything_is_stored(
    client: httpx.AsyncClient, settings: Any
) -> None:
    headers = await auth_headers(Role.COMMS_OFFICER)
    before = set(stored_keys(settings))
    big = jpeg_with_gps() + b"\x00" * (11 * 1024 * 1024)
    response = await upload_multipart(client, headers, big, filename="to.jpg")
    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"
    assert set(stored_keys(settings)) == before


async def test_a_file_whose_bytes_disagree_with_its_name_is_415(
    client: httpx.AsyncClient, settings: Any
) -> None:
    headers = await auth_headers(Role.COMMS_OFFICER)
    before = set(stored_keys(settings))
    response = await upload_multipart(
        client, headers, png_bytes(), filename="anh.jpg", content_type="image/jpeg"
    )
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "file_type_mismatch"
    english = await upload_multipart(
        client,
        {**headers, "Accept-Language": "en"},
        b"<html><script>alert(1)</script></html>",
        filename="anh.jpg",
    )
    assert english.status_code == 415
    assert english.json()["code"] == "file_type_unsupported"
    assert "not recognised" in english.json()["detail"]
    assert set(stored_keys(settings)) == before


async def test_a_multipart_body_without_a_file_is_a_bad_request(
    client: httpx.AsyncClient,
) -> None:
    headers = await auth_headers(Role.COMMS_OFFICER)
    response = await client.post(
        MEDIA,
        params={"purpose": "article_image"},
        files={"note": (None, b"x")},  # multipart, but no file part
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "upload_malformed"


async def test_the_asset_gives_status_renditions_and_signed_urls_that_serve_the_bytes(
    client: httpx.AsyncClient,
) -> None:
    headers = await auth_headers(Role.COMMS_OFFICER)
    created = (await upload_multipart(client, headers, jpeg_with_gps())).json()
    response = await client.get(f"{MEDIA}/{created['id']}", headers=headers)
    assert response.status_code == 200, response.text
    asset = response.json()
    assert asset["status"] == "ready"
    assert asset["progress"] == 100
    display = next(r for r in asset["renditions"] if r["name"] == "display")
    whole = await client.get(display["url"])
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "image/jpeg"
    assert whole.content.startswith(b"\xff\xd8\xff")
    assert int(whole.headers["content-length"]) == display["size"] == len(whole.content)
    part = await client.get(display["url"], headers={"Range": "bytes=10-109"})
    assert part.status_code == 206
    assert part.content == whole.content[10:110]
    assert part.headers["content-range"] == f"bytes 10-109/{len(whole.content)}"
    tampered = display["url"].replace("/display", "/thumbnail")
    assert (await client.get(tampered)).status_code == 403


async def test_an_asset_is_hidden_from_those_who_may_not_see_it(
    client: httpx.AsyncClient,
) -> None:
    created = (
        await upload_multipart(client, await auth_headers(Role.COMMS_OFFICER), jpeg_with_gps())
    ).json()
    url = f"{MEDIA}/{created['id']}"
    colleague = await client.get(url, headers=await auth_headers(Role.COMMS_APPROVER))
    assert colleague.status_code == 200
    citizen = await client.get(url, headers=await auth_headers())
    assert citizen.status_code == 404
    assert citizen.json()["code"] == "media_not_found"
    police = await client.get(url, headers=await auth_headers(Role.POLICE_OFFICER))
    assert police.status_code == 404
    assert (await client.get(url)).status_code == 401
    unknown = await client.get(f"{MEDIA}/{uuid.uuid4()}", headers=await auth_headers())
    assert unknown.status_code == 404


async def test_a_retried_upload_with_the_same_key_returns_the_first_asset(
    client: httpx.AsyncClient, settings: Any
) -> None:
    headers = {**await auth_headers(Role.COMMS_OFFICER), "Idempotency-Key": str(uuid.uuid4())}
    before = set(stored_keys(settings))
    png = {"filename": "a.png", "content_type": "image/png"}
    first = await upload_multipart(client, headers, png_bytes(), **png)
    after_first = set(stored_keys(settings))
    retry = await upload_multipart(client, headers, png_bytes(), **png)
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    # The bytes sent again were dropped: storage holds the first upload only.
    assert set(stored_keys(settings)) == after_first != before
    other = await upload_multipart(client, headers, jpeg_with_gps(), filename="b.jpg")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert set(stored_keys(settings)) == after_first
    # Another person's key with the same value is another namespace.
    someone = {
        **await auth_headers(Role.COMMS_OFFICER),
        "Idempotency-Key": headers["Idempotency-Key"],
    }
    fresh = await upload_multipart(client, someone, png_bytes(), **png)
    assert fresh.status_code == 201
    assert fresh.json()["id"] != first.json()["id"]


async def test_an_upload_is_audited_with_its_uploader_purpose_and_digest(
    client: httpx.AsyncClient,
) -> None:
    from backend.audit.repository import search
    from backend.db import unit_of_work
    from tests.support.auth import bearer_for, create_person

    person = await create_person(Role.COMMS_OFFICER)
    response = await upload_multipart(client, await bearer_for(person), jpeg_with_gps())
    assert response.status_code == 201, response.text
    asset = response.json()
    async with unit_of_work():
        trail = await search(
            actor_id=None,
            action="media.upload",
            object_type="media_asset",
            object_id=asset["id"],
            since=None,
            until=None,
            before_id=None,
            limit=5,
        )
    assert len(trail) == 1
    assert trail[0].actor_id == str(person)
    assert trail[0].details["purpose"] == "article_image"
    assert trail[0].details["sha256"] == asset["sha256"]
