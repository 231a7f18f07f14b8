"""What may be uploaded for which purpose, how large, by whom; who reads it, and whether it
may appear in public content."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from backend.access import Role

MB = 1024 * 1024


class Kind(enum.StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"


class Purpose(enum.StrEnum):
    REPORT_PHOTO = "report_photo"
    REPORT_VIDEO = "report_video"
    REPORT_AUDIO = "report_audio"
    COURSE_VIDEO = "course_video"
    COURSE_IMAGE = "course_image"
    ARTICLE_IMAGE = "article_image"
    CAMPAIGN_IMAGE = "campaign_image"


class Readers(enum.StrEnum):
    """Who may read an asset that is attached to nothing (besides its uploader). Once attached,
    the owner's rule decides (content.service's owner registry)."""

    PURPOSE_STAFF = "purpose_staff"
    """Anyone holding one of the purpose's roles (e.g. communications staff, for images of
    articles they may pick as covers)."""
    POLICE_UNIT = "police_unit"
    """Police holding one of the purpose's roles *and* a police unit the uploader belonged to
    when uploading (evidence does not cross units)."""


@dataclass(frozen=True)
class UploadPolicy:
    max_bytes: int
    kinds: frozenset[Kind]
    roles: frozenset[str]
    """Staff roles that may upload for this purpose through `POST /api/v1/media` (other
    domains call the service directly for their own users, e.g. citizens' report photos)."""
    public_use: bool = False
    """May be used in public content (an article cover readable by anyone). Never for
    evidence or report media."""
    readers: Readers = Readers.PURPOSE_STAFF
    librarians: frozenset[str] = frozenset({Role.SYSTEM_ADMIN})
    """Roles that list the purpose's assets whoever uploaded them (`GET /api/v1/media`, still
    only those they may read); everyone else lists their own uploads of it."""
    max_pixels: int = 0
    """Images with more pixels are refused before decoding (0: not an image purpose). Lower
    where the picture is only ever shown small (covers) than for evidence."""


_POLICE = frozenset({Role.POLICE_OFFICER, Role.POLICE_SUPERVISOR, Role.SYSTEM_ADMIN})
_COMMS = frozenset({Role.COMMS_OFFICER, Role.COMMS_APPROVER, Role.SYSTEM_ADMIN})
_COURSES = frozenset({Role.COURSE_ADMIN, Role.SYSTEM_ADMIN})
_IMAGE = frozenset({Kind.IMAGE})
EVIDENCE_PIXELS = 50_000_000
"""A 50-megapixel phone photo (8160 × 6120) still fits."""
DISPLAY_PIXELS = 25_000_000
"""A 24-megapixel camera photo (6000 × 4000) still fits; it is shown at 4096 px at most."""

POLICIES: dict[Purpose, UploadPolicy] = {
    Purpose.REPORT_PHOTO: UploadPolicy(
        20 * MB, _IMAGE, _POLICE, readers=Readers.POLICE_UNIT, max_pixels=EVIDENCE_PIXELS
    ),
    Purpose.REPORT_VIDEO: UploadPolicy(
        300 * MB, frozenset({Kind.VIDEO}), _POLICE, readers=Readers.POLICE_UNIT
    ),
    Purpose.REPORT_AUDIO: UploadPolicy(
        50 * MB, frozenset({Kind.AUDIO}), _POLICE, readers=Readers.POLICE_UNIT
    ),
    # Course administrators keep one library together (a lesson uses a video another of them
    # uploaded); they may read each of these assets anyway (Readers.PURPOSE_STAFF).
    Purpose.COURSE_VIDEO: UploadPolicy(
        4096 * MB, frozenset({Kind.VIDEO}), _COURSES, librarians=_COURSES
    ),
    Purpose.COURSE_IMAGE: UploadPolicy(
        10 * MB,
        _IMAGE,
        _COURSES,
        public_use=True,
        max_pixels=DISPLAY_PIXELS,
        librarians=_COURSES,
    ),
    Purpose.ARTICLE_IMAGE: UploadPolicy(
        10 * MB, _IMAGE, _COMMS, public_use=True, max_pixels=DISPLAY_PIXELS
    ),
    Purpose.CAMPAIGN_IMAGE: UploadPolicy(
        10 * MB, _IMAGE, _COMMS, public_use=True, max_pixels=DISPLAY_PIXELS
    ),
}

UPLOAD_ROLES = frozenset().union(*(p.roles for p in POLICIES.values()))
MAX_UPLOAD_BYTES = max(p.max_bytes for p in POLICIES.values())
