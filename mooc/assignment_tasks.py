"""Background jobs of mandatory training: the members who joined an assignment's target since
it was made are enrolled every five minutes, and deadline reminders are sent every quarter of
an hour (the service sends only in working hours, Asia/Ho_Chi_Minh). Each runs once at a time
(queueing lock) in one unit of work; a retry sends no reminder twice (the slots are recorded
in the statement that picks them)."""

from __future__ import annotations

import logging

from backend.jobs import DEFAULT_RETRY, job_app, transactional
from backend.logs import log_fields
from mooc import assignments

log = logging.getLogger(__name__)


@job_app.periodic(cron=f"*/{assignments.SYNC_MINUTES} * * * *")
@job_app.task(
    name="mooc.sync_assignments",
    queue="maintenance",
    queueing_lock="mooc_sync_assignments",
    retry=DEFAULT_RETRY,
    pass_context=False,
)
@transactional
async def sync_assignments(timestamp: int) -> None:
    """Enrol the new members of every active assignment."""
    enrolled = await assignments.do_sync_assignments()
    if enrolled:
        log_fields(log, logging.INFO, "mandatory training synchronised", enrolled=enrolled)


@job_app.periodic(cron="*/15 * * * *")
@job_app.task(
    name="mooc.send_reminders",
    queue="maintenance",
    queueing_lock="mooc_send_reminders",
    retry=DEFAULT_RETRY,
    pass_context=False,
)
@transactional
async def send_reminders(timestamp: int) -> None:
    """Remind learners of due and overdue mandatory courses (working hours only)."""
    sent = await assignments.do_send_reminders()
    if sent:
        log_fields(log, logging.INFO, "training reminders sent", reminded=sent)
