"""What crosses HTTP for the managers' completion reports (`/api/v1/reports/courses…`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import msgspec

LearnerStatus = Literal["not_started", "in_progress", "completed", "overdue"]
"""completed: the course is complete; overdue: due date passed (an active assignment's),
not completed; in_progress: started; not_started: enrolled, nothing done yet."""


class Figures(msgspec.Struct, frozen=True, kw_only=True):
    """Learners of a course in one agency (or in total). Learners who left are not counted."""

    enrolled: int
    started: int
    """Began at least one lesson (or completed)."""
    completed: int
    overdue: int
    """Due date passed, not completed."""
    completion_rate: float
    """completed / enrolled, in percent (one decimal); 0 when nobody is enrolled."""
    average_score: float | None
    """Mean of the learners' best quiz scores (percent), among those who have one."""


class AgencyFigures(msgspec.Struct, frozen=True, kw_only=True):
    agency_code: str | None
    """None: learners who belong to no agency (citizens in a public course)."""
    agency_name: str | None
    figures: Figures


class CourseReport(msgspec.Struct, frozen=True, kw_only=True):
    """One course's completion per agency, in the agencies the caller may see (all of them for
    a course admin, the managed ones for a manager)."""

    course_id: uuid.UUID
    course_code: str
    course_title: str
    generated_at: datetime
    total: Figures
    agencies: list[AgencyFigures]


class CourseSummary(msgspec.Struct, frozen=True, kw_only=True):
    course_id: uuid.UUID
    course_code: str
    course_title: str
    course_status: str
    figures: Figures


class CourseSummaries(msgspec.Struct, frozen=True, kw_only=True):
    """Every course with learners in the caller's agencies, by title."""

    items: list[CourseSummary]
    agencies: list[str] | None
    """The agencies the figures cover (None: every agency, for a course admin)."""


class Learner(msgspec.Struct, frozen=True, kw_only=True):
    enrolment_id: uuid.UUID
    person_id: uuid.UUID
    full_name: str | None
    agency_code: str | None
    department: str | None
    status: LearnerStatus
    progress_percent: int
    best_score: float | None
    enrolled_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    last_activity_at: datetime | None
    mandatory: bool


class LearnerPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Learner]
    next_cursor: str | None
