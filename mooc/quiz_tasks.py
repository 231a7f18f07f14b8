"""Background jobs of quizzes: an attempt graded at its deadline (deferred when it starts), and
a sweep every minute for open attempts past their deadline that no job graded (a job lost, a
worker down at the time). Both grade through `mooc.quiz`, once per attempt whatever runs first
(a submission, a read, the job or the sweep)."""

from __future__ import annotations

import logging
import uuid

from backend.jobs import DEFAULT_RETRY, job_app, transactional
from backend.logs import log_fields
from mooc import quiz

log = logging.getLogger(__name__)


@job_app.task(
    name="mooc.grade_attempt_at_deadline",
    queue="mooc",
    retry=DEFAULT_RETRY,
    pass_context=False,
)
@transactional
async def grade_attempt_at_deadline(attempt_id: str) -> None:
    """Grade the attempt as timed out if it is still open (nothing otherwise)."""
    graded = await quiz.do_grade_overdue_attempt(uuid.UUID(attempt_id))
    if graded:
        log_fields(log, logging.INFO, "quiz attempt timed out", attempt_id=attempt_id)


@job_app.periodic(cron="* * * * *")
@job_app.task(
    name="mooc.sweep_overdue_attempts",
    queue="maintenance",
    queueing_lock="sweep_overdue_quiz_attempts",
    pass_context=False,
)
@transactional
async def sweep_overdue_attempts(timestamp: int) -> None:
    """Open attempts past their deadline, graded as timed out (a batch per run)."""
    count = await quiz.do_sweep_overdue_attempts()
    if count:
        log_fields(log, logging.INFO, "overdue quiz attempts graded", count=count)
