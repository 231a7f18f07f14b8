"""Values of progress that cross HTTP (msgspec Structs): a heartbeat, the offline batch and
what the learner is answered."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from mooc.intervals import MAX_INTERVALS, MAX_MS

Millis = Annotated[int, msgspec.Meta(ge=0, le=MAX_MS)]
IntervalIn = Annotated[list[Millis], msgspec.Meta(min_length=2, max_length=2)]
Intervals = Annotated[list[IntervalIn], msgspec.Meta(max_length=MAX_INTERVALS)]
BATCH_MAX = 500
ClientTime = Annotated[datetime, msgspec.Meta(tz=True)]


class BeatIn(msgspec.Struct, frozen=True, kw_only=True):
    """A heartbeat: the intervals watched (video: media time; reading: time open since the
    page was opened) since the previous beat, as [start_ms, end_ms], and where the player
    is. Beats are idempotent and commutative: send again whatever may not have arrived."""

    intervals: Intervals = []
    position_ms: Millis = 0
    client_at: ClientTime
    """The client's clock when the beat was made (the resume position is the newest's)."""
    beat_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    """The client's id of the beat (for its own bookkeeping; the merge needs none)."""


class BatchBeatIn(msgspec.Struct, frozen=True, kw_only=True):
    lesson_id: uuid.UUID
    intervals: Intervals = []
    position_ms: Millis = 0
    client_at: ClientTime
    beat_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class BatchIn(msgspec.Struct, frozen=True, kw_only=True):
    """Beats queued while offline, in any order, duplicates allowed."""

    beats: Annotated[list[BatchBeatIn], msgspec.Meta(max_length=BATCH_MAX)]


class LessonProgressOut(msgspec.Struct, frozen=True, kw_only=True):
    lesson_id: uuid.UUID
    watched_ms: int
    """Video: length of the union of watched intervals; reading: time open."""
    percent: int
    """Of what completes the lesson (100 once complete)."""
    position_ms: int
    completed: bool
    completed_at: datetime | None
    course_progress_percent: int
    course_completed: bool
    certificate_code: str | None = None
    """The certificate's verification code when this beat completed the course."""


class BatchItemOut(msgspec.Struct, frozen=True, kw_only=True):
    index: int
    """The beat's place in the batch."""
    lesson_id: uuid.UUID
    beat_id: str | None = None
    applied: bool
    error: str | None = None
    """The problem's code when the beat was not applied (e.g. mooc_not_enrolled)."""


class BatchOut(msgspec.Struct, frozen=True, kw_only=True):
    items: list[BatchItemOut]
    """One per beat sent, in the order sent."""
    lessons: list[LessonProgressOut]
    """Each lesson's progress after the merge."""
