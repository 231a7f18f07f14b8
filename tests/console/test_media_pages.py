"""The media library pages over real HTTP against the served app: the library lists what the
API lists (filters and cursor in the URL, thumbnails through signed URLs), uploads go to the
media API's route with the session cookie and the CSRF header, an asset's page polls its
status while it is processed and shows the preview once ready (a real `ctn worker` runs the
pipeline beside `ctn serve`), and people without an upload role get no media pages."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from backend.access import Role
from tests.console.test_shell import grant
from tests.content.conftest import committed_content, make_video  # noqa: F401  # fixture
from tests.identity.conftest import LiveServer, web_sign_in

COURSE_ADMIN = "019092051111"
COMMS_OFFICER = "019189031111"
AUDITOR = "019180061111"
MEDIA = "/api/v1/media"


@pytest.fixture
async def media_http(
    http: httpx.AsyncClient,
    committed_content: None,  # noqa: F811  # the fixture imported above
) -> httpx.AsyncClient:
    """The served app's client; the media tables are emptied afterwards too."""
    return http


async def sign_in(http: httpx.AsyncClient, personal_id: str, role: Role) -> None:
    await web_sign_in(http, personal_id, return_to="/console/")
    await grant(personal_id, role)


def png(width: int = 64, height: int = 48, colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


async def upload(
    http: httpx.AsyncClient,
    purpose: str,
    name: str,
    data: bytes,
    mime: str,
    *,
    csrf: bool = True,
) -> httpx.Response:
    """What the upload page's script sends: multipart to the API's route, with the session
    cookie (the client's jar) and the CSRF token from the `ctn_csrf` cookie."""
    headers = {"X-CSRF-Token": http.cookies["ctn_csrf"]} if csrf else {}
    return await http.post(
        MEDIA, params={"purpose": purpose}, files={"file": (name, data, mime)}, headers=headers
    )


async def uploaded(http: httpx.AsyncClient, purpose: str, name: str, data: bytes, mime: str) -> str:
    response = await upload(http, purpose, name, data, mime)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def rows(page: str) -> list[str]:
    """The file names listed in the library's table, in order."""
    return re.findall(r'<th scope="row"><a href="/console/media/[0-9a-f-]+">([^<]+)</a>', page)


@pytest.fixture
def video_bytes(tmp_path: Path) -> bytes:
    return make_video(tmp_path / "clip.mp4", seconds=1, size="160x120").read_bytes()


async def test_the_library_lists_uploads_with_filters_and_pages(
    media_http: httpx.AsyncClient, video_bytes: bytes
) -> None:
    http = media_http
    await sign_in(http, COURSE_ADMIN, Role.COURSE_ADMIN)
    await uploaded(http, "course_image", "bia-khoa-hoc.png", png(), "image/png")
    await uploaded(http, "course_video", "bai-giang-1.mp4", video_bytes, "video/mp4")

    page = await http.get("/console/media")
    assert page.status_code == 200, page.text
    assert rows(page.text) == ["bai-giang-1.mp4", "bia-khoa-hoc.png"]  # newest first
    assert 'href="/console/media" aria-current="page"' in page.text
    # Status badges in Vietnamese; the video waits for the worker (none runs beside this
    # server), the image is ready at once.
    assert "Sẵn sàng" in page.text and "Đã tải lên, chờ xử lý" in page.text
    # The image's thumbnail comes through a signed URL of this app.
    thumbs = re.findall(r'<img class="media-thumb" src="([^"]+)"', page.text)
    assert len(thumbs) == 1 and thumbs[0].startswith("/api/v1/media/objects/")
    thumb = await http.get(thumbs[0].replace("&amp;", "&"))
    assert thumb.status_code == 200 and thumb.headers["content-type"].startswith("image/")

    # Filters are in the URL, and answer as the API does.
    ready = await http.get("/console/media", params={"status": "ready"})
    assert rows(ready.text) == ["bia-khoa-hoc.png"]
    assert '<option value="ready" selected>' in ready.text
    api = await http.get(MEDIA, params={"status": "ready"})
    assert [i["original_filename"] for i in api.json()["items"]] == rows(ready.text)
    videos = await http.get("/console/media", params={"purpose": "course_video", "status": ""})
    assert rows(videos.text) == ["bai-giang-1.mp4"]
    assert (await http.get("/console/media", params={"kind": "image"})).text.count(
        'scope="row"'
    ) == 1
    bad = await http.get("/console/media", params={"status": "lost"})
    assert bad.status_code == 400 and "text/html" in bad.headers["content-type"]

    # One a page: the cursor moves on and keeps the filters.
    first = await http.get("/console/media", params={"limit": 1, "kind": ""})
    assert rows(first.text) == ["bai-giang-1.mp4"]
    link = re.search(r'<a rel="next" href="([^"]+)"', first.text)
    assert link is not None
    second = await http.get(link.group(1).replace("&amp;", "&"))
    assert rows(second.text) == ["bia-khoa-hoc.png"]
    assert 'rel="next"' not in second.text


async def test_an_upload_needs_the_session_and_its_csrf_header(
    media_http: httpx.AsyncClient,
) -> None:
    http = media_http
    await sign_in(http, COMMS_OFFICER, Role.COMMS_OFFICER)
    refused = await upload(http, "article_image", "a.png", png(), "image/png", csrf=False)
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    done = await upload(http, "article_image", "a.png", png(), "image/png")
    assert done.status_code == 201, done.text
    # A purpose of another role is the API's refusal, shown by the page's script.
    other = await upload(http, "course_image", "b.png", png(), "image/png")
    assert other.status_code == 403
    assert other.json()["detail"] == "Bạn không có quyền tải tệp lên cho mục đích này."


async def test_the_upload_page_offers_the_purposes_of_the_persons_roles(
    media_http: httpx.AsyncClient,
) -> None:
    http = media_http
    await sign_in(http, COURSE_ADMIN, Role.COURSE_ADMIN)
    page = await http.get("/console/media/upload", params={"purpose": "course_image"})
    assert page.status_code == 200, page.text
    html = page.text
    assert re.findall(r'<option value="(\w+)"', html) == ["course_video", "course_image"]
    assert '<option value="course_image" selected>' in html
    assert 'action="/api/v1/media"' in html and "data-native" in html
    assert '<label for="media-file"' in html and 'id="media-file" name="file" type="file"' in html
    assert '<progress id="media-progress-bar"' in html
    assert '<script src="/console/static/media.js" defer></script>' in html
    script = await http.get("/console/static/media.js")
    assert script.status_code == 200
    assert "upload.onprogress" in script.text and "X-CSRF-Token" in script.text


async def test_an_image_page_shows_its_facts_and_preview(media_http: httpx.AsyncClient) -> None:
    http = media_http
    await sign_in(http, COMMS_OFFICER, Role.COMMS_OFFICER)
    asset_id = await uploaded(http, "article_image", "le-hoi.png", png(640, 480), "image/png")
    page = await http.get(f"/console/media/{asset_id}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "<h1>le-hoi.png</h1>" in html
    assert "Ảnh bài viết" in html and "640 × 480 px" in html and "<dd>Bạn</dd>" in html
    assert '<p id="media-status" data-status="ready">' in html
    assert "data-poll" not in html  # final: nothing to poll
    preview = re.search(r'<img id="media-preview" class="media-preview" src="([^"]+)"', html)
    assert preview is not None and preview.group(1).startswith("/api/v1/media/objects/")
    image = await http.get(preview.group(1).replace("&amp;", "&"))
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/")
    # The console's CSP admits media from this app only: the signed URLs are this app's.
    assert "img-src 'self'" in page.headers["content-security-policy"]
    # Someone who may not read it gets the API's 404, as a page.
    missing = await http.get("/console/media/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]


@pytest.fixture
def worker(live: LiveServer, server_url: str, database_name: str) -> Iterator[None]:
    """A `ctn worker` beside the served app (`ctn serve` runs no jobs): same database, same
    data directory, the media queue only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CTN_", "PYTEST_"))}
    env.update(
        DATABASE_URL=server_url.format(db=database_name),
        CTN_DATA_DIR=str(live.log.parent / "data"),
        CTN_DB_POOL_MIN="0",
    )
    from tests.conftest import TEST_SECRET_KEY

    env["CTN_SECRET_KEY"] = TEST_SECRET_KEY
    log = live.log.parent / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "backend", "worker", "--queue", "media", "--concurrency", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def poll_until_final(http: httpx.AsyncClient, src: str, timeout: float = 90) -> str:
    """What console.js does: fetch the polled part until it stops polling."""
    deadline = time.monotonic() + timeout
    while True:
        part = await http.get(src, headers={"HX-Request": "true"})
        assert part.status_code == 200, part.text
        if "data-poll" not in part.text:
            return part.text
        assert time.monotonic() < deadline, part.text
        await _sleep(0.5)


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_a_video_page_polls_while_processing_then_plays_the_mp4(
    media_http: httpx.AsyncClient, video_bytes: bytes, request: Any
) -> None:
    http = media_http
    await sign_in(http, COURSE_ADMIN, Role.COURSE_ADMIN)
    asset_id = await uploaded(http, "course_video", "bai-giang.mp4", video_bytes, "video/mp4")

    page = await http.get(f"/console/media/{asset_id}")
    assert page.status_code == 200, page.text
    src = f"/console/media/{asset_id}/status"
    assert f'data-poll="2" data-src="{src}"' in page.text
    assert '<p id="media-status" data-status="uploaded">' in page.text
    assert '<progress id="media-processing" max="100" value="0">' in page.text
    assert "media-preview" not in page.text.split('id="media-state"', 1)[1].split("</section>")[0]
    # The home page counts it as still processing.
    home = await http.get("/console/")
    assert "Tệp đang xử lý" in home.text

    request.getfixturevalue("worker")  # now the pipeline runs
    part = await poll_until_final(http, src)
    assert '<p id="media-status" data-status="ready">' in part, part
    assert "Sẵn sàng" in part

    page = await http.get(f"/console/media/{asset_id}")
    video = re.search(r'<video id="media-preview"[^>]*>', page.text)
    assert video is not None, page.text
    tag = video.group(0)
    mp4 = re.search(r'src="([^"]+)"', tag)
    poster = re.search(r'poster="([^"]+)"', tag)
    assert mp4 is not None and poster is not None and "controls" in tag
    played = await http.get(mp4.group(1).replace("&amp;", "&"), headers={"Range": "bytes=0-99"})
    assert played.status_code == 206 and played.headers["content-type"] == "video/mp4"
    assert (await http.get(poster.group(1).replace("&amp;", "&"))).status_code == 200
    assert 'data-rendition="hls"' in page.text  # the HLS playlist, listed as a link
    assert "Thời lượng" in page.text
    assert "Tệp đang xử lý" not in (await http.get("/console/")).text


async def test_people_without_an_upload_role_get_no_media_pages(
    media_http: httpx.AsyncClient,
) -> None:
    http = media_http
    await sign_in(http, AUDITOR, Role.AUDITOR)
    home = await http.get("/console/")
    assert home.status_code == 200
    assert "/console/media" not in home.text  # no menu entry
    for path in (
        "/console/media",
        "/console/media/upload",
        "/console/media/00000000-0000-4000-8000-000000000000",
        "/console/media/00000000-0000-4000-8000-000000000000/status",
    ):
        page = await http.get(path)
        assert page.status_code == 403, path
        assert "text/html" in page.headers["content-type"]
    assert (await http.get(MEDIA)).status_code == 403  # as the API answers


async def test_uploaders_have_the_menu_entry(media_http: httpx.AsyncClient) -> None:
    http = media_http
    await sign_in(http, COMMS_OFFICER, Role.COMMS_OFFICER)
    home = await http.get("/console/")
    assert '<a href="/console/media"' in home.text and "Thư viện media" in home.text
