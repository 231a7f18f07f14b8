"""Completion of lessons and courses, recorded exactly once.

A lesson completes when its `completed_at` is set, only where it was null. A course completes
when every required lesson of the learner's version is complete (a required quiz completes
when an attempt passes: the quiz part calls `do_complete_lesson`). The course's completion is
recorded once, with its time, however many requests complete its last lessons at the same
moment: every refresh first locks the enrolment row, so refreshes of one enrolment run one
after the other and each counts what the ones before it committed; the one that finds every
required lesson complete while `completed_at` is still null records it, issues the certificate
(unique per enrolment) and notifies the learner. Lock order is always enrolment, then lesson
progress (the heartbeat's statement locks the enrolment first too), so these never deadlock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from mooc import progress_repository as repository
from mooc.certificates import do_issue_certificate

__all__ = [
    "EnrolmentState",
    "do_complete_lesson",
    "do_complete_lesson_with_state",
    "do_touch",
    "refresh_enrolment",
]


@dataclass(frozen=True, slots=True)
class EnrolmentState:
    """The enrolment after a refresh."""

    progress_percent: int
    required_done: int
    required_total: int
    completed_at: datetime | None
    completed_now: bool
    """This refresh recorded the course's completion."""
    certificate_code: str | None
    """The certificate issued by this refresh."""


async def do_complete_lesson(
    enrolment_id: uuid.UUID, lesson_id: uuid.UUID, person_id: uuid.UUID, at: datetime
) -> bool:
    """Set the lesson's `completed_at` once (inserting the progress row if missing), then
    refresh the enrolment (which may complete the course). True if this call completed the
    lesson; False if it was already complete (nothing changes) or the enrolment is gone."""
    completed, _ = await do_complete_lesson_with_state(enrolment_id, lesson_id, person_id, at)
    return completed


async def do_complete_lesson_with_state(
    enrolment_id: uuid.UUID, lesson_id: uuid.UUID, person_id: uuid.UUID, at: datetime
) -> tuple[bool, EnrolmentState | None]:
    """`do_complete_lesson`, also answering the enrolment's state after it (None when this
    call completed nothing)."""
    locked = await repository.lock_enrolment(enrolment_id)
    if locked is None:
        return False, None
    if not await repository.complete_lesson(enrolment_id, lesson_id, person_id, at):
        return False, None
    return True, await _refresh_locked(locked, at)


async def refresh_enrolment(enrolment_id: uuid.UUID, at: datetime) -> EnrolmentState | None:
    """Recompute `required_done`, `progress_percent`, `best_score` (mean of the best percent
    of each required quiz attempted) and `last_activity_at`; when every required lesson is
    complete, record the course's completion exactly once (`completed_at` = `at`, status
    completed), issue the certificate and notify the learner. Callers may ignore the answer
    (None: no such enrolment)."""
    locked = await repository.lock_enrolment(enrolment_id)
    if locked is None:
        return None
    return await _refresh_locked(locked, at)


async def _refresh_locked(locked: repository.EnrolmentLock, at: datetime) -> EnrolmentState | None:
    """`refresh_enrolment` of an enrolment this transaction has already locked."""
    enrolment_id = locked.id
    totals = await repository.refresh_totals(enrolment_id, locked.version_id, at)
    if totals is None:  # pragma: no cover - the row is locked by this transaction
        return None
    completed_now = locked.completed_at is None and totals.completed_at is not None
    code = None
    if completed_now:
        certificate = await do_issue_certificate(enrolment_id, at)
        code = certificate.code if certificate is not None else None
    return EnrolmentState(
        progress_percent=totals.progress_percent,
        required_done=totals.required_done,
        required_total=totals.required_total,
        completed_at=totals.completed_at,
        completed_now=completed_now,
        certificate_code=code,
    )


async def do_touch(enrolment_id: uuid.UUID, lesson_id: uuid.UUID, at: datetime) -> None:
    """Note activity in the lesson: `started_at` (first activity), `last_lesson_id`,
    `last_activity_at` (never moved back)."""
    await repository.touch(enrolment_id, lesson_id, at)
