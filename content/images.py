"""Images: decoded under a pixel limit, re-encoded without metadata, thumbnailed, in a
bounded pool of worker processes.

Re-encoding copies only pixels into a new image, so EXIF (GPS, device, time), XMP, IPTC and
comments never reach the derivative. Orientation from EXIF is applied to the pixels, so the
stripped image still shows the right way up.

Memory: a few kilobytes of PNG can decode to hundreds of megabytes, so decoding never happens
in the server process. `ImageDecoder` runs `process_image` in at most `image_workers`
processes (the rest wait their turn), each under an address-space limit and replaced after
every image, so what a large image took is returned to the system at once. JPEGs are decoded
at a reduced scale when that is all the display copy needs (draft mode); other formats are
reduced right after decoding, before any copy is made.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import resource
import threading
import warnings
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from content.errors import ImageTooLarge, ImageUnreadable

DISPLAY_MAX_SIDE = 4096
THUMBNAIL_SIDE = 480


@dataclass(frozen=True)
class ImageOutput:
    name: str
    path: Path
    mime: str
    width: int
    height: int


@dataclass(frozen=True)
class ImageResult:
    width: int
    height: int
    outputs: list[ImageOutput]


def process_image(source: Path, out_dir: Path, *, max_pixels: int) -> ImageResult:
    """A metadata-free display copy and a thumbnail of `source` in `out_dir`.

    Raises `ImageTooLarge` before decoding when the header declares more than `max_pixels`
    pixels (decompression bombs), and `ImageUnreadable` for a corrupt or truncated file.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as opened:
                width, height = opened.size
                if width * height > max_pixels or width <= 0 or height <= 0:
                    raise ImageTooLarge(width=width, height=height, max_pixels=max_pixels)
                opened.seek(0)
                # JPEG: decode at 1/2, 1/4 or 1/8 scale when the display copy is that small.
                opened.draft(None, (DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE))
                opened.load()
                # Reduce before any copy: the full-size pixels exist once, briefly. The
                # bounding box is square, so turning the pixels upright afterwards is the same.
                opened.thumbnail((DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE), Image.Resampling.LANCZOS)
                upright = ImageOps.exif_transpose(opened)
    except (ImageTooLarge, ImageUnreadable):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge(max_pixels=max_pixels) from None
    except MemoryError:
        raise ImageTooLarge(max_pixels=max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise ImageUnreadable() from None

    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    mode = "RGBA" if has_alpha else "RGB"
    pixels = upright.convert(mode)
    # A fresh image holds pixels only: no info dict, no EXIF, no XMP, no ICC, no comments.
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    del pixels, upright
    thumb = clean.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)

    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = []
    for name, image in (("display", clean), ("thumbnail", thumb)):
        if has_alpha:
            path, mime = out_dir / f"{name}.png", "image/png"
            image.save(path, "PNG", optimize=True)
        else:
            path, mime = out_dir / f"{name}.jpg", "image/jpeg"
            image.save(path, "JPEG", quality=85, optimize=True, progressive=True)
        outputs.append(ImageOutput(name, path, mime, image.width, image.height))
    return ImageResult(width=clean.width, height=clean.height, outputs=outputs)


# --- the bounded pool -----------------------------------------------------------------------


def _limit_memory(megabytes: int) -> None:
    """Worker initializer: cap the worker's address space."""
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _decode_in_worker(source: str, out_dir: str, max_pixels: int) -> tuple[str, Any]:
    """`process_image` in a worker; errors come back as values (they carry details the
    parent re-raises)."""
    try:
        return "ok", process_image(Path(source), Path(out_dir), max_pixels=max_pixels)
    except ImageTooLarge as exc:
        return "too_large", exc.extra
    except ImageUnreadable:
        return "unreadable", None
    except MemoryError:
        return "too_large", {"max_pixels": max_pixels}


class ImageDecoder:
    """Runs `process_image` in at most `workers` processes (0: in a thread of this process).
    Each worker is replaced after one image and limited to `memory_mb` of address space."""

    def __init__(self, workers: int, memory_mb: int) -> None:
        self.workers = workers
        self.memory_mb = memory_mb
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                # Workers fork from a small server process that has only Pillow and this
                # module loaded: cheap to start, and nothing of the app's state is inherited.
                context.set_forkserver_preload(["content.images"])
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=context,
                    initializer=_limit_memory,
                    initargs=(self.memory_mb,),
                    max_tasks_per_child=1,
                )
            return self._pool

    async def process(self, source: Path, out_dir: Path, *, max_pixels: int) -> ImageResult:
        if self.workers == 0:
            return await asyncio.to_thread(process_image, source, out_dir, max_pixels=max_pixels)
        pool = self._executor()
        try:
            outcome, value = await asyncio.wrap_future(
                pool.submit(_decode_in_worker, str(source), str(out_dir), max_pixels)
            )
        except BrokenProcessPool:
            # A worker died (killed for memory, say): start a fresh pool for the next image.
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=False)
            raise ImageUnreadable() from None
        if outcome == "too_large":
            raise ImageTooLarge(**(value or {}))
        if outcome == "unreadable":
            raise ImageUnreadable()
        assert isinstance(value, ImageResult)
        return value

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


_DECODERS: dict[tuple[int, int], ImageDecoder] = {}
_DECODERS_LOCK = threading.Lock()


def get_decoder(workers: int, memory_mb: int) -> ImageDecoder:
    """The process's decoder for these settings (one pool per process)."""
    with _DECODERS_LOCK:
        key = (workers, memory_mb)
        if key not in _DECODERS:
            _DECODERS[key] = ImageDecoder(workers, memory_mb)
        return _DECODERS[key]
