"""A real `ctn worker` killed (SIGKILL) in the middle of a transcode: the job is recovered
from the dead worker's missing heartbeats, another worker runs it again from the start, and
the video ends ready with playable outputs."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.access import Role
from tests.conftest import TEST_SECRET_KEY
from tests.content.conftest import make_video
from tests.content.test_video import probe_streams
from tests.support.auth import auth_headers


@pytest.fixture
def worker_env(server_url: str, database_name: str) -> dict[str, str]:
    """The environment of a `ctn worker` on this test worker's database and media directory,
    with stalled-job recovery tuned to seconds (heartbeats are sent every 10 s)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CTN_", "PYTEST_"))}
    env.update(
        DATABASE_URL=server_url.format(db=database_name),
        CTN_SECRET_KEY=TEST_SECRET_KEY,
        CTN_DATA_DIR=os.environ["CTN_DATA_DIR"],
        CTN_DB_POOL_MIN="0",
        CTN_MEDIA_STALLED_SECONDS="12",
        CTN_MEDIA_RECOVERY_CRON="* * * * * */2",
    )
    if "CTN_MEDIA_DIR" in os.environ:
        env["CTN_MEDIA_DIR"] = os.environ["CTN_MEDIA_DIR"]
    return env


class Workers:
    """`python -m backend worker` processes started by the test, all stopped at the end."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, **extra_env: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "backend", "worker", "--concurrency", "1"],
                env={**self.env, **extra_env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.started.append(process)
        return process

    def output(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(worker_env: dict[str, str], tmp_path: Path) -> Iterator[Workers]:
    logs = tmp_path / "logs"
    logs.mkdir()
    started = Workers(worker_env, logs)
    try:
        yield started
    finally:
        started.stop_all()


async def wait_for(
    check: Callable[[], Awaitable[bool]], workers: Workers, what: str, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout} s\n{workers.output()}")
        await asyncio.sleep(0.1)


async def test_a_worker_killed_mid_transcode_is_replaced_and_the_video_ends_ready(
    committed_content: None,
    committed_client: httpx.AsyncClient,
    workers: Workers,
    tmp_path: Path,
) -> None:
    video = make_video(tmp_path / "bai-giang.mp4", seconds=12, size="1280x720")
    headers = await auth_headers(Role.COURSE_ADMIN)
    # The first worker encodes slowly (one thread, a slow preset) so that it is surely
    # caught in the middle of its transcode.
    first = workers.start("first", CTN_FFMPEG_THREADS="1", CTN_FFMPEG_PRESET="medium")
    created = await committed_client.post(
        "/api/v1/media",
        params={"purpose": "course_video"},
        content=video.read_bytes(),
        headers={**headers, "Content-Disposition": 'attachment; filename="bai-giang.mp4"'},
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/media/{created.json()['id']}"
    seen: dict[str, Any] = {}

    async def status() -> dict[str, Any]:
        response = await committed_client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        seen.update(response.json())
        return seen

    async def transcoding() -> bool:
        asset = await status()
        assert asset["status"] != "ready", "the first worker finished before it was killed"
        return bool(asset["status"] == "processing" and asset["progress"] >= 5)

    await wait_for(transcoding, workers, "a transcode in progress", timeout=120)
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = seen["progress"]
    assert seen["status"] == "processing"

    workers.start("second")

    async def settled() -> bool:
        return (await status())["status"] in ("ready", "failed")

    await wait_for(settled, workers, "the end of processing", timeout=180)
    asset = seen
    assert asset["status"] == "ready", asset
    assert asset["progress"] == 100
    assert killed_at < 100
    assert "stalled media jobs requeued" in (tmp_path / "logs" / "second.log").read_text()
    names = [r["name"] for r in asset["renditions"]]
    assert names == ["hls", "mp4_240p", "mp4_360p", "mp4_720p", "audio", "poster"]

    # The outputs play: the 720p MP4 decodes whole, and the HLS playlists and segments are
    # served through the signed URL.
    mp4 = next(r for r in asset["renditions"] if r["name"] == "mp4_720p")
    downloaded = tmp_path / "720p.mp4"
    downloaded.write_bytes((await committed_client.get(mp4["url"])).content)
    streams = probe_streams(downloaded)
    assert streams["video"] == ("h264", 1280, 720)
    assert streams["audio"] == "aac"
    assert streams["frames"] >= 12 * 25 - 2
    hls = next(r["url"] for r in asset["renditions"] if r["name"] == "hls")
    assert "RESOLUTION=1280x720" in (await committed_client.get(hls)).text
    base = hls.rsplit("/", 1)[0]
    variant = (await committed_client.get(f"{base}/720p/index.m3u8")).text
    segments = [line for line in variant.splitlines() if line and not line.startswith("#")]
    assert segments
    for segment in segments:
        assert (await committed_client.get(f"{base}/720p/{segment}")).status_code == 200

    # Only the winning run's outputs remain in storage: the killed run's were removed.
    media = Path(os.environ.get("CTN_MEDIA_DIR") or Path(os.environ["CTN_DATA_DIR"]) / "media")
    runs = [p.name for p in (media / "media" / asset["id"].replace("-", "")).glob("r*")]
    assert len(runs) == 1, runs
    assert f"/{runs[0]}/" in mp4["url"]
