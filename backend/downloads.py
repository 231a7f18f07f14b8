"""Files staff download (welfare's per-row import reports and exports, the MOOC's training
reports), the same way from the API and the console: written to a temporary file by the
service (which audits it), then streamed and removed once sent."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from litestar.response import Stream

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


async def file_answer(write: Callable[[Path], Awaitable[Path]], fmt: str, filename: str) -> Stream:
    """The file `write` produces, as `filename.fmt`, streamed and removed once sent."""
    handle, name = tempfile.mkstemp(suffix=f".{fmt}", prefix="ctn-download-")
    os.close(handle)
    path = Path(name)
    try:
        await write(path)
    except BaseException:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise

    async def chunks() -> AsyncIterator[bytes]:
        source = await asyncio.to_thread(path.open, "rb")
        try:
            while block := await asyncio.to_thread(source.read, 256 * 1024):
                yield block
        finally:
            source.close()
            await asyncio.to_thread(path.unlink, missing_ok=True)

    return Stream(
        chunks(),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}.{fmt}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
