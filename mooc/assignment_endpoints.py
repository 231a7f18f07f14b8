"""Routes of mandatory training (course admins, /api/v1/admin/assignments) and of the
completion reports (/api/v1/reports/courses: course admins see every agency, managers their
own; anyone else sees nothing). Thin: the rules are in `mooc.assignments` and `mooc.reports`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.access import Role, access, roles, signed_in
from backend.downloads import file_answer
from backend.http.pagination import PageRequest, page_request
from mooc import assignments, reports
from mooc.assignment_errors import (
    AssignmentCourseNotPublished,
    AssignmentDueInPast,
    AssignmentNotFound,
    AssignmentTargetInvalid,
    AssignmentWithdrawn,
    ReportNotFound,
)
from mooc.assignment_schemas import Assignment, AssignmentCreate, AssignmentPage, AssignmentUpdate
from mooc.errors import CourseNotFound
from mooc.report_schemas import CourseReport, CourseSummaries, LearnerPage, LearnerStatus
from mooc.reports import ExportFormat

AnyRequest = Request[Any, Any, Any]
ADMIN = roles(Role.COURSE_ADMIN)
REPORTS = roles(Role.CIVIL_SERVANT, Role.COURSE_ADMIN)
"""Course admins, and civil servants — of whom only managers see anything (their agencies)."""

AgencyFilter = Annotated[
    str | None, QueryParameter(max_length=40, description="one agency's learners")
]
DepartmentFilter = Annotated[
    str | None, QueryParameter(max_length=120, description="one department's learners")
]
StatusFilter = Annotated[
    LearnerStatus | None,
    QueryParameter(description="not_started, in_progress, completed or overdue"),
]


class AssignmentController(Controller):
    """Assign a published course to an agency, a department or a role, with a due date and
    reminders; change it; withdraw it."""

    path = "/api/v1/admin/assignments"
    tags = ["mandatory training"]
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get("/", opt=access(ADMIN))
    async def list_assignments(
        self,
        page: NamedDependency[PageRequest],
        course_id: Annotated[uuid.UUID | None, QueryParameter(description="one course's")] = None,
        active: Annotated[
            bool | None, QueryParameter(description="true: in force; false: withdrawn")
        ] = None,
    ) -> AssignmentPage:
        """Newest first, each with its learners' counts."""
        return await assignments.list_assignments(page, course_id=course_id, active=active)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        opt=access(
            ADMIN,
            problems=(
                CourseNotFound,
                AssignmentCourseNotPublished,
                AssignmentDueInPast,
                AssignmentTargetInvalid,
            ),
        ),
    )
    async def create_assignment(
        self, request: AnyRequest, data: JSONBody[AssignmentCreate]
    ) -> Assignment:
        """Every present member of the target is enrolled (or their enrolment assigned) and
        notified; members who join later are enrolled within minutes. Audited."""
        return await assignments.do_create_assignment(signed_in(request), data)

    @get("/{assignment_id:uuid}", opt=access(ADMIN, problems=(AssignmentNotFound,)))
    async def get_assignment(self, assignment_id: FromPath[uuid.UUID]) -> Assignment:
        return await assignments.get_assignment(assignment_id)

    @patch(
        "/{assignment_id:uuid}",
        opt=access(ADMIN, problems=(AssignmentNotFound, AssignmentWithdrawn, AssignmentDueInPast)),
    )
    async def update_assignment(
        self,
        request: AnyRequest,
        assignment_id: FromPath[uuid.UUID],
        data: JSONBody[AssignmentUpdate],
    ) -> Assignment:
        """A new due date (the learners' follow, and those still learning are told) or new
        reminders. Audited."""
        return await assignments.do_update_assignment(signed_in(request), assignment_id, data)

    @delete(
        "/{assignment_id:uuid}",
        status_code=HTTP_200_OK,
        opt=access(ADMIN, problems=(AssignmentNotFound,)),
    )
    async def withdraw_assignment(
        self, request: AnyRequest, assignment_id: FromPath[uuid.UUID]
    ) -> Assignment:
        """Withdraw: no new enrolments, no reminders; the enrolments stay. Idempotent."""
        return await assignments.do_withdraw_assignment(signed_in(request), assignment_id)


class ReportController(Controller):
    """Completion of courses per agency, the learners behind the figures, and exports."""

    path = "/api/v1/reports/courses"
    tags = ["mandatory training"]
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get("/", opt=access(REPORTS, transaction="read"))
    async def list_reports(self, request: AnyRequest) -> CourseSummaries:
        """Every course with learners in the caller's agencies, with its figures."""
        return await reports.list_course_reports(signed_in(request))

    @get(
        "/{course_id:uuid}",
        opt=access(REPORTS, transaction="read", problems=(CourseNotFound, ReportNotFound)),
    )
    async def get_report(self, request: AnyRequest, course_id: FromPath[uuid.UUID]) -> CourseReport:
        """Enrolled, started, completed, overdue, completion rate and average score per
        agency the caller sees, and in total."""
        return await reports.get_course_report(signed_in(request), course_id)

    @get(
        "/{course_id:uuid}/learners",
        opt=access(REPORTS, problems=(CourseNotFound, ReportNotFound)),
    )
    async def list_learners(
        self,
        request: AnyRequest,
        course_id: FromPath[uuid.UUID],
        page: NamedDependency[PageRequest],
        agency: AgencyFilter = None,
        department: DepartmentFilter = None,
        status: StatusFilter = None,
    ) -> LearnerPage:
        """The learners behind the figures (least progressed first in each agency and
        department); audited."""
        return await reports.access_learners(
            signed_in(request),
            course_id,
            page,
            agency=agency,
            department=department,
            status=status,
        )

    @get(
        "/{course_id:uuid}/export.csv",
        opt=access(REPORTS, problems=(CourseNotFound, ReportNotFound)),
    )
    async def export_csv(
        self,
        request: AnyRequest,
        course_id: FromPath[uuid.UUID],
        agency: AgencyFilter = None,
        department: DepartmentFilter = None,
        status: StatusFilter = None,
    ) -> Stream:
        """The learners the filters select, as CSV (UTF-8 with BOM); audited."""
        return await _export(request, course_id, "csv", agency, department, status)

    @get(
        "/{course_id:uuid}/export.xlsx",
        opt=access(REPORTS, problems=(CourseNotFound, ReportNotFound)),
    )
    async def export_xlsx(
        self,
        request: AnyRequest,
        course_id: FromPath[uuid.UUID],
        agency: AgencyFilter = None,
        department: DepartmentFilter = None,
        status: StatusFilter = None,
    ) -> Stream:
        """The learners the filters select, and the figures per agency, as xlsx; audited."""
        return await _export(request, course_id, "xlsx", agency, department, status)


async def _export(
    request: AnyRequest,
    course_id: uuid.UUID,
    fmt: ExportFormat,
    agency: str | None,
    department: str | None,
    status: LearnerStatus | None,
) -> Stream:
    actor = signed_in(request)
    return await file_answer(
        lambda path: reports.export_learners(
            actor, course_id, fmt, path, agency=agency, department=department, status=status
        ),
        fmt,
        f"bao-cao-dao-tao-{course_id.hex[:8]}",
    )


ROUTE_HANDLERS: list[Any] = [AssignmentController, ReportController]
