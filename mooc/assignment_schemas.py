"""What crosses HTTP for mandatory training (`/api/v1/admin/assignments`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

TargetKind = Literal["agency", "department", "role"]
AgencyCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
DepartmentName = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
DueAt = Annotated[datetime, msgspec.Meta(tz=True)]
RemindDays = Annotated[
    list[Annotated[int, msgspec.Meta(ge=1, le=60)]],
    msgspec.Meta(max_length=5, description="days before the due date (1–60, at most 5)"),
]
OverdueEvery = Annotated[
    int, msgspec.Meta(ge=0, le=90, description="days between overdue reminders (0: once)")
]
DEFAULT_REMIND_DAYS = [7, 3, 1]


class AssignmentTarget(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Who must take the course: every civil servant of an `agency`; of a `department` of an
    agency (`agency` + `department`); or everyone holding a staff `role`."""

    kind: TargetKind
    agency: AgencyCode | None = None
    department: DepartmentName | None = None
    role: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class AssignmentCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    course_id: uuid.UUID
    target: AssignmentTarget
    due_at: DueAt
    remind_days_before: RemindDays = msgspec.field(
        default_factory=lambda: list(DEFAULT_REMIND_DAYS)
    )
    overdue_every_days: OverdueEvery = 7


class AssignmentUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Fields left out stay as they are; the learners' due dates follow `due_at`."""

    due_at: DueAt | UnsetType = UNSET
    remind_days_before: RemindDays | UnsetType = UNSET
    overdue_every_days: OverdueEvery | UnsetType = UNSET


class AssignmentCounts(msgspec.Struct, frozen=True, kw_only=True):
    """The learners this assignment enrolled (a learner whose enrolment another assignment of
    the same course with an earlier due date holds is counted there)."""

    enrolled: int
    started: int
    completed: int
    overdue: int


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    course_id: uuid.UUID
    course_code: str
    course_title: str
    target: AssignmentTarget
    due_at: datetime
    remind_days_before: list[int]
    overdue_every_days: int
    active: bool
    """False once withdrawn: no new enrolments, no reminders (enrolments stay)."""
    created_at: datetime
    created_by: uuid.UUID | None
    last_synced_at: datetime | None
    counts: AssignmentCounts
    newly_enrolled: int | None = None
    """On creation: how many learners this call enrolled or assigned."""


class AssignmentPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Assignment]
    next_cursor: str | None
