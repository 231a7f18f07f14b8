"""Every route of the MOOC, gathered from its parts: courses (catalogue, authoring,
enrolment, lessons), progress, quizzes, certificates, mandatory training and reports."""

from __future__ import annotations

from typing import Any

from mooc import (
    assignment_endpoints,
    certificate_endpoints,
    course_endpoints,
    progress_endpoints,
    quiz_endpoints,
)

ROUTE_HANDLERS: list[Any] = [
    *course_endpoints.ROUTE_HANDLERS,
    *progress_endpoints.ROUTE_HANDLERS,
    *quiz_endpoints.ROUTE_HANDLERS,
    *certificate_endpoints.ROUTE_HANDLERS,
    *assignment_endpoints.ROUTE_HANDLERS,
]
