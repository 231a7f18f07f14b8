"""Background jobs of quizzes: the sweep that grades, every `quiz.SWEEP_SECONDS`, the open
attempts past their deadline (and its grace) that no read, answer or submission has graded
yet. It grades through `mooc.quiz`, once per attempt whatever runs first."""

from __future__ import annotations

import logging

from backend.jobs import job_app, transactional
from backend.logs import log_fields
from mooc import quiz

log = logging.getLogger(__name__)


@job_app.periodic(cron=f"* * * * * */{quiz.SWEEP_SECONDS}")  # the sixth field: seconds
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
