"""What may be uploaded for which purpose, how large, and by whom."""

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


@dataclass(frozen=True)
class UploadPolicy:
    max_bytes: int
    kinds: frozenset[Kind]
    roles: frozenset[str]
    """Staff roles that may upload for this purpose through `POST /api/v1/media` (other
    domains call the service directly for their own users, e.g. citizens' report photos)."""


_POLICE = frozenset({Role.POLICE_OFFICER, Role.POLICE_SUPERVISOR, Role.SYSTEM_ADMIN})
_COMMS = frozenset({Role.COMMS_OFFICER, Role.COMMS_APPROVER, Role.SYSTEM_ADMIN})
_COURSES = frozenset({Role.COURSE_ADMIN, Role.SYSTEM_ADMIN})

POLICIES: dict[Purpose, UploadPolicy] = {
    Purpose.REPORT_PHOTO: UploadPolicy(20 * MB, frozenset({Kind.IMAGE}), _POLICE),
    Purpose.REPORT_VIDEO: UploadPolicy(300 * MB, frozenset({Kind.VIDEO}), _POLICE),
    Purpose.REPORT_AUDIO: UploadPolicy(50 * MB, frozenset({Kind.AUDIO}), _POLICE),
    Purpose.COURSE_VIDEO: UploadPolicy(4096 * MB, frozenset({Kind.VIDEO}), _COURSES),
    Purpose.COURSE_IMAGE: UploadPolicy(10 * MB, frozenset({Kind.IMAGE}), _COURSES),
    Purpose.ARTICLE_IMAGE: UploadPolicy(10 * MB, frozenset({Kind.IMAGE}), _COMMS),
    Purpose.CAMPAIGN_IMAGE: UploadPolicy(10 * MB, frozenset({Kind.IMAGE}), _COMMS),
}

UPLOAD_ROLES = frozenset().union(*(p.roles for p in POLICIES.values()))
MAX_UPLOAD_BYTES = max(p.max_bytes for p in POLICIES.values())
