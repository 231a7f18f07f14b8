"""The merge as properties against the real SQL (a modest number of examples: each makes a
course and learners in the database): the same beats in any order, with duplicates, give
the same watched time and completion as the plain union; a seek to the end does not
complete; 90 % of real watching does."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.access import Role
from mooc import progress
from mooc.intervals import length, required_ms
from mooc.progress_schemas import BeatIn
from tests.mooc.factories import LessonSpec, enrol, make_course
from tests.support.auth import create_person

DURATION = 200_000
NOW = datetime.now(UTC)
SQL_EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def a_beat(draw: st.DrawFn) -> tuple[list[tuple[int, int]], int, int]:
    """(intervals, position, client second)."""
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, DURATION - 1))
        parts.append((start, draw(st.integers(start + 1, min(DURATION, start + 40_000)))))
    return parts, draw(st.integers(0, DURATION)), draw(st.integers(0, 3600))


def beat_in(parts: list[tuple[int, int]], position: int, second: int) -> BeatIn:
    return BeatIn(
        intervals=[list(p) for p in parts],
        position_ms=position,
        client_at=NOW - timedelta(hours=2) + timedelta(seconds=second),
    )


async def _send(
    person: uuid.UUID, lesson: uuid.UUID, beats: list[tuple[list[tuple[int, int]], int, int]]
) -> tuple[int, bool, int]:
    answer = None
    for parts, position, second in beats:
        answer = await progress.do_beat(person, lesson, beat_in(parts, position, second))
    assert answer is not None
    return answer.watched_ms, answer.completed, answer.position_ms


@given(
    st.lists(a_beat(), min_size=1, max_size=12),
    st.randoms(use_true_random=False),
    st.integers(0, 4),
)
@SQL_EXAMPLES
async def test_any_order_or_duplication_of_beats_gives_the_same_progress_in_sql(
    db: None, sent: list[tuple[list[tuple[int, int]], int, int]], rnd: random.Random, copies: int
) -> None:
    course = await make_course(LessonSpec(duration_ms=DURATION))
    lesson = course.lesson_ids[0]
    first, second = await create_person(Role.CIVIL_SERVANT), await create_person(Role.CIVIL_SERVANT)
    await enrol(first, course)
    await enrol(second, course)
    shuffled = sent + [rnd.choice(sent) for _ in range(copies)]
    rnd.shuffle(shuffled)

    in_order = await _send(first, lesson, sent)
    reordered = await _send(second, lesson, shuffled)
    expected_ms = length(i for parts, _, _ in sent for i in parts)
    assert in_order[0] == reordered[0] == expected_ms
    assert in_order[1] == reordered[1] == (expected_ms >= required_ms(DURATION, 0.9))
    # The resume position: the newest beat's by the client's clock (ties: the first to arrive).
    newest = max(second for _, _, second in sent)
    assert reordered[2] in {position for _, position, s in sent if s == newest}


@given(st.integers(0, 80), st.integers(1, 10))
@SQL_EXAMPLES
async def test_a_seek_to_the_end_does_not_complete_in_sql(
    db: None, watched_percent: int, tail_seconds: int
) -> None:
    course = await make_course(LessonSpec(duration_ms=DURATION))
    lesson = course.lesson_ids[0]
    person = await create_person(Role.CIVIL_SERVANT)
    await enrol(person, course)
    head = DURATION * watched_percent // 100
    beats = [
        ([(s, min(s + 30_000, head))], min(s + 30_000, head), s // 1000)
        for s in range(0, head, 30_000)
    ]
    beats.append(([(DURATION - tail_seconds * 1000, DURATION)], DURATION, 3000))
    watched, completed, position = await _send(person, lesson, beats)
    assert position == DURATION and not completed
    assert watched == head + tail_seconds * 1000


@given(st.integers(90, 100), st.sampled_from([10_000, 15_000, 30_000]))
@SQL_EXAMPLES
async def test_ninety_percent_of_real_watching_completes_in_sql(
    db: None, watched_percent: int, step: int
) -> None:
    course = await make_course(LessonSpec(duration_ms=DURATION))
    lesson = course.lesson_ids[0]
    person = await create_person(Role.CIVIL_SERVANT)
    await enrol(person, course)
    end = max(required_ms(DURATION, 0.9), DURATION * watched_percent // 100)
    beats = [
        ([(s, min(s + step, end))], min(s + step, end), s // 1000) for s in range(0, end, step)
    ]
    watched, completed, _ = await _send(person, lesson, beats)
    assert watched == end and completed
