"""The type of a file, decided from its first bytes (magic numbers) only.

Names and declared Content-Types are the client's word; they are checked against what the
bytes say (a PNG named `.mp4` is refused), never trusted instead of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from content.errors import FileTypeMismatch, FileTypeUnsupported
from content.policy import Kind

HEAD_BYTES = 4096
"""How much of the start of a file `sniff` needs."""


@dataclass(frozen=True)
class FileType:
    mime: str
    kind: Kind
    extension: str
    """Extension of stored originals (with the dot)."""
    extensions: frozenset[str]
    """Extensions a client may use for this type."""
    aliases: frozenset[str] = frozenset()
    """Other Content-Types a client may declare for it."""


def _t(mime: str, kind: Kind, ext: str, *more: str, aliases: tuple[str, ...] = ()) -> FileType:
    return FileType(mime, kind, ext, frozenset({ext, *more}), frozenset(aliases))


JPEG = _t("image/jpeg", Kind.IMAGE, ".jpg", ".jpeg", ".jfif", aliases=("image/pjpeg",))
PNG = _t("image/png", Kind.IMAGE, ".png")
GIF = _t("image/gif", Kind.IMAGE, ".gif")
WEBP = _t("image/webp", Kind.IMAGE, ".webp")
MP4 = _t("video/mp4", Kind.VIDEO, ".mp4", ".m4v", aliases=("video/x-m4v",))
MOV = _t("video/quicktime", Kind.VIDEO, ".mov", ".qt", ".mp4")
THREE_GP = _t("video/3gpp", Kind.VIDEO, ".3gp", ".3g2", ".mp4", aliases=("video/3gpp2",))
WEBM = _t("video/webm", Kind.VIDEO, ".webm", ".mkv", aliases=("video/x-matroska",))
AVI = _t("video/x-msvideo", Kind.VIDEO, ".avi", aliases=("video/avi",))
M4A = _t("audio/mp4", Kind.AUDIO, ".m4a", ".mp4", ".aac", aliases=("audio/x-m4a", "audio/m4a"))
MP3 = _t("audio/mpeg", Kind.AUDIO, ".mp3", aliases=("audio/mp3",))
AAC = _t("audio/aac", Kind.AUDIO, ".aac", aliases=("audio/x-aac",))
WAV = _t("audio/wav", Kind.AUDIO, ".wav", aliases=("audio/x-wav", "audio/wave"))
OGG = _t("audio/ogg", Kind.AUDIO, ".ogg", ".oga", ".opus", aliases=("audio/opus",))
FLAC = _t("audio/flac", Kind.AUDIO, ".flac", aliases=("audio/x-flac",))
AMR = _t("audio/amr", Kind.AUDIO, ".amr")

_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P "}
_GENERIC = {"application/octet-stream", "binary/octet-stream", ""}


def sniff(head: bytes) -> FileType | None:
    """The type the first bytes of a file show, or None when they match nothing we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"WEBP": WEBP, b"WAVE": WAV, b"AVI ": AVI}.get(head[8:12])
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AUDIO_BRANDS:
            return M4A
        if brand == b"qt  ":
            return MOV
        if brand.startswith(b"3g"):
            return THREE_GP
        return MP4
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"#!AMR"):
        return AMR
    if head.startswith(b"ID3"):
        return MP3
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:  # ADTS sync word, layer 00
            return AAC
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0:  # MPEG audio frame sync, layer set
            return MP3
    return None


def check_file_type(head: bytes, filename: str | None, declared: str | None) -> FileType:
    """The sniffed type; 415 if the bytes are of no accepted type, or if the filename's
    extension or the declared Content-Type says something else."""
    found = sniff(head)
    if found is None:
        raise FileTypeUnsupported()
    if filename:
        extension = os.path.splitext(filename)[1].lower()
        if extension and extension not in found.extensions:
            raise FileTypeMismatch(detected=found.mime)
    if declared:
        media_type = declared.split(";")[0].strip().lower()
        if media_type not in _GENERIC and media_type not in {found.mime, *found.aliases}:
            raise FileTypeMismatch(detected=found.mime)
    return found
