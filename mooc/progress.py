"""Honest progress: heartbeats, the offline batch and "done" for reading lessons.

A beat carries the intervals watched since the previous one; they are checked
(`mooc.intervals.check_beat`: inside the lesson, at most two minutes of new time per beat)
and merged into the lesson's union of watched intervals by one statement. Because the merge
is a union, beats are idempotent, commutative and monotonic: late, duplicate or reordered
beats, and an offline batch in any order, all give the same progress, and none lowers it.
A video completes when the union reaches the version's threshold (90 %) of its duration —
seeking to the end adds nothing to the union, so it earns nothing. A reading lesson completes
when it has been open `reading_min_seconds` (its beats are intervals of open time, merged the
same way) or on "done". The resume position is the newest beat's by the client's clock.

The hot path is the heartbeat: the lesson's frozen facts come from a per-process cache, and
the enrolment check, the touch of the enrolment and the merge are one SQL statement. Only a
beat that completes the lesson pays for the enrolment's refresh (`mooc.completion`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.errors import AppError
from mooc import progress_repository as repository
from mooc.completion import (
    EnrolmentState,
    do_complete_lesson_with_state,
    do_touch,
    refresh_enrolment,
)
from mooc.context import learner_lesson
from mooc.errors import LessonNotFound
from mooc.intervals import (
    MAX_MS,
    MAX_OPEN_MS,
    SLACK_MS,
    BeatRejected,
    Interval,
    check_beat,
    required_ms,
    union,
)
from mooc.progress_errors import ProgressInvalid, ProgressNotTracked, VideoNotReady
from mooc.progress_repository import BeatResult, LessonFacts
from mooc.progress_schemas import (
    BatchBeatIn,
    BatchItemOut,
    BatchOut,
    BeatIn,
    LessonProgressOut,
)

__all__ = [
    "ResumeState",
    "do_batch",
    "do_beat",
    "do_mark_done",
    "forget_cached_lessons",
    "resume_state",
]

_CACHE_LIMIT = 50_000
_facts_cache: dict[uuid.UUID, LessonFacts] = {}


def forget_cached_lessons() -> None:
    """Empty the per-process cache of lesson facts (tests that rewrite lessons)."""
    _facts_cache.clear()


async def _facts(lesson_id: uuid.UUID) -> LessonFacts:
    """The lesson's facts; those of a published version never change, so they are kept."""
    facts = _facts_cache.get(lesson_id)
    if facts is not None:
        return facts
    facts = await repository.lesson_facts(lesson_id)
    if facts is None:
        raise LessonNotFound()
    if facts.published and (facts.kind != "video" or facts.duration_ms):
        if len(_facts_cache) >= _CACHE_LIMIT:
            _facts_cache.clear()
        _facts_cache[lesson_id] = facts
    return facts


@dataclass(frozen=True, slots=True)
class _Target:
    limit_ms: int
    """The furthest an interval may end."""
    clip_ms: int | None
    complete_ms: int | None
    """Watched (or open) time that completes the lesson; None: beats never complete it."""
    position_max: int


def _target(facts: LessonFacts) -> _Target:
    if facts.kind == "video":
        if not facts.duration_ms:
            raise VideoNotReady()
        duration = facts.duration_ms
        return _Target(
            limit_ms=duration + SLACK_MS,
            clip_ms=duration,
            complete_ms=required_ms(duration, facts.video_threshold),
            position_max=duration,
        )
    if facts.kind == "reading":
        minimum = facts.reading_min_seconds * 1000
        return _Target(
            limit_ms=MAX_OPEN_MS,
            clip_ms=None,
            complete_ms=minimum if minimum > 0 else None,
            position_max=MAX_MS,
        )
    raise ProgressNotTracked()


def _checked(target: _Target, intervals: Sequence[Sequence[int]]) -> list[Interval]:
    try:
        return check_beat(intervals, limit_ms=target.limit_ms, clip_ms=target.clip_ms)
    except BeatRejected as exc:
        raise ProgressInvalid(detail_en=f"The progress data is invalid: {exc.reason}.") from exc


def _percent(watched_ms: int, completed: bool, target: _Target) -> int:
    if completed:
        return 100
    if not target.complete_ms:
        return 0
    return min(99, watched_ms * 100 // target.complete_ms)


async def _apply(
    person_id: uuid.UUID,
    facts: LessonFacts,
    target: _Target,
    intervals: list[Interval],
    position_ms: int,
    client_at: datetime,
    now: datetime,
) -> LessonProgressOut:
    result = await repository.apply_beat(
        person_id=person_id,
        facts=facts,
        watched=intervals,
        at=now,
        # A clock ahead of the server's must not pin the resume position for ever.
        position_at=min(client_at, now),
        position_ms=min(position_ms, target.position_max),
        complete_ms=target.complete_ms,
    )
    if result is None:
        # Not enrolled in this lesson's version, left, or the course is closed: say which.
        await learner_lesson(person_id, facts.lesson_id, writing=True)
        raise LessonNotFound()
    state = await refresh_enrolment(result.enrolment_id, now) if result.completed_now else None
    return _answer(facts.lesson_id, target, result, state)


def _answer(
    lesson_id: uuid.UUID, target: _Target, result: BeatResult, state: EnrolmentState | None
) -> LessonProgressOut:
    completed = result.completed_at is not None
    return LessonProgressOut(
        lesson_id=lesson_id,
        watched_ms=result.watched_ms,
        percent=_percent(result.watched_ms, completed, target),
        position_ms=result.position_ms,
        completed=completed,
        completed_at=result.completed_at,
        course_progress_percent=(
            state.progress_percent if state is not None else result.course_progress_percent
        ),
        course_completed=(
            state.completed_at is not None
            if state is not None
            else result.course_completed_at is not None
        ),
        certificate_code=state.certificate_code if state is not None else None,
    )


async def do_beat(
    person_id: uuid.UUID, lesson_id: uuid.UUID, beat: BeatIn, *, now: datetime | None = None
) -> LessonProgressOut:
    """Merge one heartbeat into the learner's progress (idempotent, commutative, monotonic);
    complete the lesson, and then maybe the course, when it reaches its target.
    `ProgressInvalid` for a beat that cannot be true (see `mooc.intervals`), nothing applied;
    `LessonNotFound`, `NotEnrolled`, `CourseClosed` as `learner_lesson`."""
    now = now or datetime.now(UTC)
    facts = await _facts(lesson_id)
    target = _target(facts)
    intervals = _checked(target, beat.intervals)
    return await _apply(person_id, facts, target, intervals, beat.position_ms, beat.client_at, now)


async def do_batch(
    person_id: uuid.UUID, beats: Sequence[BatchBeatIn], *, now: datetime | None = None
) -> BatchOut:
    """Apply beats queued offline: each is checked on its own, the good ones are merged per
    lesson (union; the position of the newest by the client's clock) and applied lesson by
    lesson. A beat that cannot be applied (invalid, a lesson one is not enrolled in, a closed
    course) is reported in its item with the error's code; the others are applied all the
    same, so nothing is lost. The order of the beats does not matter."""
    now = now or datetime.now(UTC)
    errors: dict[int, str] = {}
    by_lesson: dict[uuid.UUID, list[int]] = defaultdict(list)
    for index, beat in enumerate(beats):
        by_lesson[beat.lesson_id].append(index)
    lessons: list[LessonProgressOut] = []
    for lesson_id, indexes in by_lesson.items():
        try:
            facts = await _facts(lesson_id)
            target = _target(facts)
        except AppError as exc:
            errors.update((i, exc.code) for i in indexes)
            continue
        merged: list[Interval] = []
        good: list[int] = []
        for index in indexes:
            try:
                merged.extend(_checked(target, beats[index].intervals))
            except AppError as exc:
                errors[index] = exc.code
                continue
            good.append(index)
        if not good:
            continue
        # The newest beat by the client's clock gives the position (ties: the furthest).
        newest = max(good, key=lambda i: (beats[i].client_at, beats[i].position_ms))
        try:
            lessons.append(
                await _apply(
                    person_id,
                    facts,
                    target,
                    union(merged),
                    beats[newest].position_ms,
                    beats[newest].client_at,
                    now,
                )
            )
        except AppError as exc:
            errors.update((i, exc.code) for i in good)
    items = [
        BatchItemOut(
            index=index,
            lesson_id=beat.lesson_id,
            beat_id=beat.beat_id,
            applied=index not in errors,
            error=errors.get(index),
        )
        for index, beat in enumerate(beats)
    ]
    return BatchOut(items=items, lessons=lessons)


async def do_mark_done(
    person_id: uuid.UUID, lesson_id: uuid.UUID, *, now: datetime | None = None
) -> LessonProgressOut:
    """The learner says they have read a reading lesson: it completes (once), and the course
    may with it. `ProgressNotTracked` for other kinds (videos complete by watching, quizzes
    by passing)."""
    now = now or datetime.now(UTC)
    context = await learner_lesson(person_id, lesson_id, writing=True)
    if context.kind != "reading":
        raise ProgressNotTracked()
    _, state = await do_complete_lesson_with_state(context.enrolment_id, lesson_id, person_id, now)
    await do_touch(context.enrolment_id, lesson_id, now)
    row = await repository.lesson_progress(context.enrolment_id, lesson_id)
    summary = await repository.enrolment_summary(context.enrolment_id)
    return LessonProgressOut(
        lesson_id=lesson_id,
        watched_ms=row.watched_ms if row else 0,
        percent=100,
        position_ms=row.position_ms if row else 0,
        completed=True,
        completed_at=row.completed_at if row else now,
        course_progress_percent=summary[0],
        course_completed=summary[1] is not None,
        certificate_code=state.certificate_code if state is not None else None,
    )


@dataclass(frozen=True, slots=True)
class ResumeState:
    """Where a learner is in a lesson (what the player and the reading page start from)."""

    watched_ms: int
    position_ms: int
    completed: bool
    percent: int
    watched: list[Interval]


async def resume_state(enrolment_id: uuid.UUID, lesson_id: uuid.UUID) -> ResumeState:
    """The learner's progress in the lesson (zero when never opened)."""
    facts = await _facts(lesson_id)
    row = await repository.lesson_progress(enrolment_id, lesson_id)
    if row is None:
        return ResumeState(watched_ms=0, position_ms=0, completed=False, percent=0, watched=[])
    try:
        target = _target(facts)
        percent = _percent(row.watched_ms, row.completed_at is not None, target)
    except AppError:
        percent = 100 if row.completed_at is not None else 0
    return ResumeState(
        watched_ms=row.watched_ms,
        position_ms=row.position_ms,
        completed=row.completed_at is not None,
        percent=percent,
        watched=row.watched,
    )
