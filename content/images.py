"""Images: decoded under a pixel limit, re-encoded without metadata, thumbnailed.

Re-encoding copies only pixels into a new image, so EXIF (GPS, device, time), XMP, IPTC and
comments never reach the derivative. Orientation from EXIF is applied to the pixels first, so
the stripped image still shows the right way up.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

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
                opened.load()
                upright = ImageOps.exif_transpose(opened)
    except (ImageTooLarge, ImageUnreadable):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
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
    clean.thumbnail((DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE), Image.Resampling.LANCZOS)
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
