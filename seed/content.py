"""Demo data of the content domain: one short generated video, processed."""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from backend.db import unit_of_work
from backend.settings import Settings
from content import service
from content.policy import Purpose
from content.tasks import run_processing
from content.video import ffmpeg_binary

DEMO_FILENAME = "gioi-thieu-c-thainguyen.mp4"


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            yield chunk


async def seed_content(settings: Settings) -> None:
    """A 3-second 640×360 test video, uploaded and transcoded through the service (HLS and
    MP4), once: a second run finds it by name and does nothing. Articles are not built yet."""
    if await service.find_asset_by_filename(DEMO_FILENAME) is not None:
        return
    with tempfile.TemporaryDirectory(prefix="ctn-seed-") as work:
        path = Path(work) / DEMO_FILENAME
        await asyncio.to_thread(
            subprocess.run,
            [
                ffmpeg_binary(settings),
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc=duration=3:size=640x360:rate=25",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=3",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-shortest",
                str(path),
            ],
            check=True,
        )
        received = await service.receive_upload(
            settings, purpose=Purpose.COURSE_VIDEO, chunks=_chunks(path), filename=path.name
        )
    async with unit_of_work():
        row = await service.do_create_asset(received, created_by=None, enqueue=False)
    await run_processing(uuid.UUID(str(row["id"])))
