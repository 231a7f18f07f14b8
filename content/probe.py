"""Probe a media file in a separate process: `python -m content.probe FILE` prints JSON.

Hostile files are parsed by FFmpeg's libraries (through PyAV); doing it in a child process
with a time limit means a file that hangs or crashes the demuxer takes down only the child.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def probe_file(path: str) -> dict[str, Any]:
    import av

    with av.open(path, metadata_errors="ignore") as container:
        result: dict[str, Any] = {
            "format": container.format.name,
            "duration": container.duration / 1_000_000 if container.duration else None,
            "video": None,
            "audio": None,
        }
        for stream in container.streams.video:
            if stream.disposition & av.stream.Disposition.attached_pic:
                continue
            ctx = stream.codec_context
            duration = (
                float(stream.duration * stream.time_base)
                if stream.duration and stream.time_base
                else None
            )
            result["video"] = {
                "codec": ctx.name,
                "width": ctx.width,
                "height": ctx.height,
                "fps": float(stream.average_rate) if stream.average_rate else None,
                "duration": duration,
                "profile": ctx.profile,
            }
            break
        for audio in container.streams.audio:
            actx = audio.codec_context
            result["audio"] = {
                "codec": actx.name,
                "sample_rate": actx.sample_rate,
                "channels": actx.channels,
            }
            break
        return result


def main() -> None:
    try:
        result = probe_file(sys.argv[1])
    except Exception as exc:  # any failure to parse is an answer, not a crash
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"[:500]}))
        sys.exit(2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
