"""Watched intervals as properties: the union does not depend on order or duplication,
never shrinks, and a beat's checks keep only what can be true."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mooc.intervals import (
    MAX_BEAT_MS,
    MAX_INTERVALS,
    BeatRejected,
    check_beat,
    completes,
    length,
    required_ms,
    union,
)

DURATION = 600_000


@st.composite
def intervals(draw: st.DrawFn, top: int = DURATION) -> tuple[int, int]:
    start = draw(st.integers(0, top - 1))
    end = draw(st.integers(start + 1, min(top, start + 40_000)))
    return (start, end)


beats = st.lists(st.lists(intervals(), min_size=1, max_size=3), min_size=1, max_size=30)


def covered(parts: list[tuple[int, int]]) -> set[int]:
    """Every millisecond covered, by brute force (small ranges only)."""
    return {ms for start, end in parts for ms in range(start, end)}


@given(st.lists(intervals(top=2_000), max_size=12))
@settings(max_examples=500)
def test_union_covers_exactly_the_milliseconds_of_its_parts(parts: list[tuple[int, int]]) -> None:
    merged = union(parts)
    assert covered(merged) == covered(parts)
    assert length(parts) == len(covered(parts))
    # Sorted, disjoint and not even touching (as a PostgreSQL multirange keeps them).
    assert all(a[1] < b[0] for a, b in itertools.pairwise(merged))


@given(beats, st.randoms(use_true_random=False), st.integers(0, 5))
@settings(max_examples=500)
def test_any_order_or_duplication_of_the_same_beats_gives_the_same_union(
    sent: list[list[tuple[int, int]]], rnd: random.Random, copies: int
) -> None:
    reordered = sent + [rnd.choice(sent) for _ in range(copies)]
    rnd.shuffle(reordered)
    flat = [i for beat in sent for i in beat]
    assert union(i for beat in reordered for i in beat) == union(flat)


@given(beats)
@settings(max_examples=300)
def test_progress_never_goes_down(sent: list[list[tuple[int, int]]]) -> None:
    watched: list[tuple[int, int]] = []
    for beat in sent:
        before = length(watched)
        watched = union(watched + beat)
        assert length(watched) >= before


@given(st.integers(1_000, 3_600_000), st.integers(0, 100))
@settings(max_examples=300)
def test_seeking_to_the_end_does_not_complete(duration: int, watched_percent: int) -> None:
    """Watching the first part and then the last seconds after a seek completes only if
    what was really watched reaches 90 %; the position plays no part."""
    head = duration * watched_percent // 100
    tail = min(2_000, duration)
    parts = [(0, head), (duration - tail, duration)] if head else [(duration - tail, duration)]
    done = completes(length(parts), duration, 0.9)
    assert done == (length(parts) >= required_ms(duration, 0.9))
    if head + tail < duration * 0.9:
        assert not done


@given(st.integers(10_000, 3_600_000))
def test_ninety_percent_of_real_watching_completes(duration: int) -> None:
    need = required_ms(duration, 0.9)
    assert completes(need, duration, 0.9)
    assert not completes(need - 1, duration, 0.9)
    assert need >= duration * 0.9


def test_a_beat_is_clipped_within_the_slack_and_refused_beyond() -> None:
    assert check_beat([[59_000, 61_000]], limit_ms=62_000, clip_ms=60_000) == [(59_000, 60_000)]
    with pytest.raises(BeatRejected):
        check_beat([[59_000, 63_000]], limit_ms=62_000, clip_ms=60_000)
    with pytest.raises(BeatRejected):
        check_beat([[5, 4]], limit_ms=62_000, clip_ms=60_000)
    with pytest.raises(BeatRejected):
        check_beat([[-1, 4]], limit_ms=62_000, clip_ms=60_000)
    assert check_beat([[5, 5]], limit_ms=62_000, clip_ms=60_000) == []


@given(st.lists(intervals(), min_size=1, max_size=MAX_INTERVALS))
@settings(max_examples=300)
def test_a_beat_carries_at_most_its_bound_of_new_time(parts: list[tuple[int, int]]) -> None:
    raw = [list(p) for p in parts]
    if length(parts) > MAX_BEAT_MS:
        with pytest.raises(BeatRejected):
            check_beat(raw, limit_ms=DURATION, clip_ms=DURATION)
    else:
        assert check_beat(raw, limit_ms=DURATION, clip_ms=DURATION) == union(parts)


def test_too_many_intervals_are_refused() -> None:
    with pytest.raises(BeatRejected):
        check_beat([[i, i + 1] for i in range(MAX_INTERVALS + 1)], limit_ms=DURATION, clip_ms=None)
