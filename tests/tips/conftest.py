"""Fixtures of the crime-report tests: an app whose proof of work is cheap (the default
difficulty costs a phone a second and Python several), clients on it, and helpers that file
reports over HTTP as the app does."""

from __future__ import annotations

import io
import secrets
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from backend.tips.challenge import solve

TEST_DIFFICULTY = 8
THAI_NGUYEN_CITY = {"latitude": 21.5928, "longitude": 105.8442}
COMMUNE = "05443"
"""A commune of the province, the one the test police unit answers for."""


@pytest.fixture(scope="session")
def tips_settings(settings: Any) -> Any:
    return msgspec.structs.replace(settings, tips_pow_difficulty=TEST_DIFFICULTY)


@pytest.fixture(scope="session")
def tips_app(tips_settings: Any) -> Any:
    from backend.app import create_app

    return create_app(tips_settings)


@pytest.fixture
async def tips_client(tips_app: Any, db: None) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app, inside the test's rolled-back transaction, calling from a fixed
    client address and user agent (which must never be stored)."""
    transport = httpx.ASGITransport(app=tips_app, client=(client_address(), 54321))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers={"User-Agent": "CThaiNguyen/3.1 (Android 14; SM-A546E) test-agent-7f3a"},
    ) as http:
        yield http


@pytest.fixture
async def committed_tips_client(tips_app: Any, committed: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=tips_app, client=(client_address(), 54321))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def client_address() -> str:
    """A fresh documentation address per client: the address limits are real counters,
    committed across tests."""
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"


def report(**overrides: Any) -> dict[str, Any]:
    """A valid report body (anonymous unless said otherwise)."""
    body: dict[str, Any] = {
        "anonymous": True,
        "offences": ["drugs", "gambling"],
        "description": "Có người bán ma túy ở quán nước đầu ngõ, tối nào cũng có.",
        "incident_time": {
            "kind": "approximate",
            "start": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
            "end": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        },
        "place": {**THAI_NGUYEN_CITY, "commune_code": COMMUNE, "address": "Ngõ 5, tổ 3"},
        "people": [{"name": "Nguyễn Văn Bán", "description": "Cao, gầy, đi xe máy đỏ"}],
        "victims": [],
    }
    body.update(overrides)
    return body


async def proof(client: httpx.AsyncClient) -> dict[str, str]:
    answer = await client.get("/api/v1/tips/challenge")
    assert answer.status_code == 200, answer.text
    issued = answer.json()
    return {
        "challenge": issued["challenge"],
        "nonce": solve(issued["challenge"], issued["difficulty"]),
    }


async def submit_anonymous(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None, **overrides: Any
) -> dict[str, Any]:
    body = report(**overrides)
    body["proof"] = await proof(client)
    answer = await client.post("/api/v1/tips", json=body, headers=headers or {})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def submit_confidential(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    answer = await client.post(
        "/api/v1/tips", json=report(anonymous=False, **overrides), headers=headers
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


# --- files with metadata ------------------------------------------------------------------------

SECRET_MAKER = "SecretCam-9000"
SECRET_AUTHOR = "Trần Thị Bí Mật"


def photo_with_gps() -> bytes:
    """A JPEG whose EXIF names the camera, the owner and where it was taken."""
    from PIL import Image

    image = Image.new("RGB", (320, 240), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = SECRET_MAKER  # Make
    exif[0x013B] = SECRET_AUTHOR  # Artist
    exif[0x8825] = {1: "N", 2: (21.0, 35.0, 34.0), 3: "E", 4: (105.0, 50.0, 39.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=SECRET_AUTHOR.encode())
    return out.getvalue()


def pdf_with_metadata() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": SECRET_AUTHOR, "/Creator": SECRET_MAKER})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def media_with_metadata(tmp: Path, kind: str) -> bytes:
    """A short video (MP4) or audio (M4A) with a title, an artist and a place in its tags."""
    from backend.settings import get_settings
    from content.service import ffmpeg_binary

    ffmpeg = ffmpeg_binary(get_settings())
    target = tmp / ("clip.mp4" if kind == "video" else "clip.m4a")
    sources = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"]
    if kind == "video":
        sources = ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1", *sources]
    codecs = ["-c:a", "aac"] + (
        ["-c:v", "libx264", "-pix_fmt", "yuv420p"] if kind == "video" else []
    )
    subprocess.run(
        [
            ffmpeg,
            "-y",
            "-loglevel",
            "error",
            *sources,
            *codecs,
            "-metadata",
            f"artist={SECRET_AUTHOR}",
            "-metadata",
            f"comment={SECRET_MAKER}",
            "-metadata",
            "location=+21.5928+105.8442/",
            "-metadata",
            "creation_time=2026-01-02T03:04:05Z",
            "-shortest",
            str(target),
        ],
        check=True,
    )
    return target.read_bytes()
