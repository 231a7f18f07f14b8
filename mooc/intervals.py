"""Watched intervals as plain Python: half-open [start, end) millisecond intervals, their
union and its length. The database keeps the real union (an `int4multirange`); this is what
a beat is checked with before it goes there, and what the tests compare the SQL against.

The rules a beat must follow (`check_beat`), decided here once:

- at most `MAX_INTERVALS` intervals, each a pair of whole milliseconds with start < end
  (a reversed or negative interval is refused: it cannot be true; an empty one is dropped);
- within the lesson: for a video, [0, duration]; an end up to `SLACK_MS` past the end (players
  report the last frame's time a little late) is clipped to the duration, further is refused;
  a reading lesson's intervals are open time since the page was opened, up to `MAX_OPEN_MS`;
- a beat carries at most `MAX_BEAT_MS` of new time (the union of its intervals). A page beats
  every 15 s and the app every 30 s; 30 s of wall time watched at up to 2× is 60 s of video,
  and twice that leaves room for a late beat. A larger claim cannot be real watching and is
  refused whole, not clipped (clipping would still credit an invented part). Offline queues
  hold many beats, each within the bound: a batch is checked beat by beat.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

Interval = tuple[int, int]

MAX_INTERVALS = 50
SLACK_MS = 2_000
MAX_BEAT_MS = 120_000
MAX_OPEN_MS = 24 * 3600 * 1000
MAX_MS = 2**31 - 1
"""The multirange is of int4."""


class BeatRejected(ValueError):
    """A beat that cannot be true; `reason` says why (English, for the problem's detail)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """The union as sorted, disjoint, non-adjacent intervals (adjacent ones merge, as in a
    PostgreSQL multirange)."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def length(intervals: Iterable[Interval]) -> int:
    """Total length of the union."""
    return sum(end - start for start, end in union(intervals))


def completes(watched_ms: int, duration_ms: int, threshold: float) -> bool:
    return watched_ms >= required_ms(duration_ms, threshold)


def required_ms(duration_ms: int, threshold: float) -> int:
    """Watched milliseconds that complete a video of `duration_ms` (rounded up)."""
    return max(1, math.ceil(round(duration_ms * threshold, 3)))


def check_beat(
    raw: Sequence[Sequence[int]], *, limit_ms: int, clip_ms: int | None
) -> list[Interval]:
    """The beat's intervals made sure (see the module's rules): `limit_ms` the furthest an
    interval may end, `clip_ms` where it is clipped (a video's duration; None for open time).
    Raises `BeatRejected`."""
    if len(raw) > MAX_INTERVALS:
        raise BeatRejected(f"at most {MAX_INTERVALS} intervals per beat")
    checked: list[Interval] = []
    for pair in raw:
        if len(pair) != 2:
            raise BeatRejected("an interval is a pair [start_ms, end_ms]")
        start, end = int(pair[0]), int(pair[1])
        if start < 0 or end < start:
            raise BeatRejected("an interval starts at 0 or later and ends after it starts")
        if end > limit_ms:
            raise BeatRejected("an interval ends after the lesson")
        if clip_ms is not None:
            start, end = min(start, clip_ms), min(end, clip_ms)
        if start < end:
            checked.append((start, end))
    merged = union(checked)
    if length(merged) > MAX_BEAT_MS:
        raise BeatRejected(f"a beat carries at most {MAX_BEAT_MS} ms of new time")
    return merged
