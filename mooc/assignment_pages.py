"""Console pages of mandatory training and its reports (see backend.console.shell):

- `/console/training/assignments` (course admins): the assignments with their counts, and the
  form to assign a published course to an agency, a department or a role with a due date
  (the end of that day in Asia/Ho_Chi_Minh) and reminders;
  `/console/training/assignments/{id}`: one assignment, its due date and reminders changed,
  withdrawn;
- `/console/training/reports` (managers and course admins): the courses with their learners
  in the caller's agencies and a completion chart;
  `/console/training/reports/{course_id}`: the figures per agency (table and chart), the
  learners behind them (filters, pages) and the CSV/xlsx exports (the API's, audited).

They call `mooc.assignments` and `mooc.reports` as the API does: a manager sees only the
agencies they manage, another civil servant sees that there is nothing for them.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from backend.access import Principal, Role, Rule, roles, signed_in
from backend.console.charts import Bar, bar_chart
from backend.console.shell import Attention, MenuEntry, access, language_of, redirect, render
from backend.console.shell import url as console_url
from backend.errors import AppError
from backend.http.pagination import PageRequest, page_request
from backend.identity import service as identity
from backend.web import read_form
from mooc import assignments, reports
from mooc.assignment_schemas import (
    AssignmentCreate,
    AssignmentUpdate,
)
from mooc.report_schemas import Figures

AnyRequest = Request[Any, Any, Any]
ADMIN = roles(Role.COURSE_ADMIN)
REPORTS = roles(Role.CIVIL_SERVANT, Role.COURSE_ADMIN)
Message = tuple[str, str]
Query = Annotated[str | None, QueryParameter(max_length=120)]

TARGETS: dict[str, Message] = {
    "agency": ("Cả cơ quan", "A whole agency"),
    "department": ("Một phòng, ban của cơ quan", "A department of an agency"),
    "role": ("Những người có vai trò", "Holders of a role"),
}
ROLE_NAMES: dict[str, Message] = {
    "civil_servant": ("Công chức", "Civil servants"),
    "police_officer": ("Cán bộ công an", "Police officers"),
    "police_supervisor": ("Chỉ huy công an", "Police supervisors"),
    "comms_officer": ("Cán bộ truyền thông", "Communications officers"),
    "comms_approver": ("Người duyệt tin bài", "Communications approvers"),
    "welfare_officer": ("Cán bộ an sinh xã hội", "Welfare officers"),
    "course_admin": ("Quản trị khóa học", "Course administrators"),
    "auditor": ("Kiểm toán viên", "Auditors"),
    "system_admin": ("Quản trị hệ thống", "System administrators"),
}
STATUSES: dict[str, Message] = {k: v for k, v in reports.STATUS_NAMES.items()}
STATUS_TONES = {"not_started": "muted", "in_progress": "info", "completed": "ok", "overdue": "bad"}
REQUIRED: Message = ("Trường này là bắt buộc.", "This field is required.")
BAD_DAYS: Message = (
    "Nhập các số ngày từ 1 đến 60, cách nhau bởi dấu phẩy (tối đa 5).",
    "Enter days from 1 to 60 separated by commas (at most 5).",
)
BAD_EVERY: Message = ("Nhập số ngày từ 0 đến 90.", "Enter a number of days from 0 to 90.")
BAD_DATE: Message = ("Chọn một ngày hợp lệ.", "Choose a valid date.")


class _ReportReaders(Rule, frozen=True):
    """The menu's rule for the reports: course admins, and civil servants who manage an
    agency (the manager flag is read with the roles, `Principal.managed_agencies`)."""

    def admits(self, principal: Principal | None) -> bool:
        return principal is not None and reports.sees_reports(principal)


MENU: list[MenuEntry] = [
    MenuEntry(
        "/training/assignments",
        "Đào tạo bắt buộc",
        "Mandatory training",
        ADMIN,
        "Đào tạo",
        "Training",
    ),
    MenuEntry(
        "/training/reports",
        "Báo cáo đào tạo",
        "Training reports",
        _ReportReaders(roles=REPORTS.roles),
        "Đào tạo",
        "Training",
    ),
]


def _error(exc: AppError) -> Message:
    return (exc.detail_vi, exc.detail_en)


def _end_of_day(value: str) -> datetime | None:
    """A date typed in the form, as the end of that day in Asia/Ho_Chi_Minh."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return datetime.combine(day, time(23, 59, 59), assignments.ZONE)


def _days(text: str) -> list[int] | None:
    parts = [p for p in re.split(r"[\s,;]+", text) if p]
    if not all(p.isdigit() for p in parts):
        return None
    days = sorted({int(p) for p in parts}, reverse=True)
    if len(days) > 5 or any(not 1 <= d <= 60 for d in days):
        return None
    return days


def _every(text: str) -> int | None:
    text = text.strip() or "0"
    return int(text) if text.isdigit() and int(text) <= 90 else None


def _local_day(moment: datetime) -> str:
    return moment.astimezone(assignments.ZONE).date().isoformat()


# --- assignments ------------------------------------------------------------------------------


class AssignmentPages(Controller):
    path = "/training/assignments"
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get("/", opt=access(ADMIN))
    async def assignments_page(
        self, request: AnyRequest, page: NamedDependency[PageRequest], show: Query = None
    ) -> Template:
        """The assignments (in force, withdrawn or all) with their counts; the form."""
        return await _assignments_page(request, page, show=show)

    @post("/", opt=access(ADMIN))
    async def create(self, request: AnyRequest) -> Template | Response[Any]:
        """Assign through `do_create_assignment` (audited, as the API's)."""
        fields = await read_form(request)
        values = {
            k: fields.get(k, "").strip()
            for k in (
                "course_id",
                "kind",
                "agency",
                "department",
                "role",
                "due_date",
                "remind_days",
                "overdue_every",
            )
        }
        errors: dict[str, Message] = {}
        for key in ("course_id", "kind", "due_date"):
            if not values[key]:
                errors[key] = REQUIRED
        due_at = _end_of_day(values["due_date"]) if values["due_date"] else None
        if values["due_date"] and due_at is None:
            errors["due_date"] = BAD_DATE
        days = _days(values["remind_days"])
        if days is None:
            errors["remind_days"] = BAD_DAYS
        every = _every(values["overdue_every"])
        if every is None:
            errors["overdue_every"] = BAD_EVERY
        data: AssignmentCreate | None = None
        if not errors:
            try:
                data = msgspec.convert(
                    {
                        "course_id": values["course_id"],
                        "target": {
                            "kind": values["kind"],
                            "agency": values["agency"] or None,
                            "department": values["department"] or None,
                            "role": values["role"] or None,
                        },
                        "due_at": due_at,
                        "remind_days_before": days,
                        "overdue_every_days": every,
                    },
                    AssignmentCreate,
                )
            except msgspec.ValidationError:
                errors["form"] = (
                    "Đối tượng giao không hợp lệ.",
                    "The target is not valid.",
                )
        status = 422
        if data is not None:
            try:
                made = await assignments.do_create_assignment(signed_in(request), data)
            except AppError as exc:
                field = "due_date" if exc.code == "mooc_assignment_due_past" else "form"
                errors, status = {field: _error(exc)}, exc.status
            else:
                return redirect(
                    request,
                    console_url(
                        f"/training/assignments/{made.id}",
                        done="created",
                        enrolled=made.newly_enrolled,
                    ),
                )
        return await _assignments_page(
            request,
            PageRequest(),
            form={"values": values, "errors": errors},
            status=status,
        )

    @get("/{assignment_id:uuid}", opt=access(ADMIN))
    async def assignment_page(
        self,
        request: AnyRequest,
        assignment_id: FromPath[uuid.UUID],
        done: Query = None,
        enrolled: Annotated[int | None, QueryParameter(ge=0)] = None,
    ) -> Template:
        return await _assignment_page(request, assignment_id, done=done, enrolled=enrolled)

    @post("/{assignment_id:uuid}", opt=access(ADMIN))
    async def change(
        self, request: AnyRequest, assignment_id: FromPath[uuid.UUID]
    ) -> Template | Response[Any]:
        """New due date and reminders, through `do_update_assignment` (audited)."""
        fields = await read_form(request)
        values = {
            k: fields.get(k, "").strip() for k in ("due_date", "remind_days", "overdue_every")
        }
        errors: dict[str, Message] = {}
        due_at = _end_of_day(values["due_date"])
        if due_at is None:
            errors["due_date"] = BAD_DATE if values["due_date"] else REQUIRED
        days = _days(values["remind_days"])
        if days is None:
            errors["remind_days"] = BAD_DAYS
        every = _every(values["overdue_every"])
        if every is None:
            errors["overdue_every"] = BAD_EVERY
        status = 422
        if not errors and due_at is not None and days is not None and every is not None:
            try:
                await assignments.do_update_assignment(
                    signed_in(request),
                    assignment_id,
                    AssignmentUpdate(
                        due_at=due_at, remind_days_before=days, overdue_every_days=every
                    ),
                )
            except AppError as exc:
                if exc.status == 404:
                    raise
                field = "due_date" if exc.code == "mooc_assignment_due_past" else "form"
                errors, status = {field: _error(exc)}, exc.status
            else:
                return redirect(
                    request, console_url(f"/training/assignments/{assignment_id}", done="changed")
                )
        return await _assignment_page(
            request, assignment_id, form={"values": values, "errors": errors}, status=status
        )

    @post("/{assignment_id:uuid}/withdrawal", opt=access(ADMIN))
    async def withdraw(
        self, request: AnyRequest, assignment_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """Withdraw through `do_withdraw_assignment` (audited)."""
        await assignments.do_withdraw_assignment(signed_in(request), assignment_id)
        return redirect(
            request, console_url(f"/training/assignments/{assignment_id}", done="withdrawn")
        )


async def _choices() -> dict[str, Any]:
    return {
        "courses": await assignments.assignable_courses(),
        "agencies": await identity.list_agencies(),
        "departments": await identity.list_departments(),
        "targets": TARGETS,
        "role_names": ROLE_NAMES,
    }


async def _assignments_page(
    request: AnyRequest,
    page: PageRequest,
    *,
    show: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Template:
    active = {"active": True, "withdrawn": False}.get(show or "active")
    listed = await assignments.list_assignments(page, active=active)
    return render(
        request,
        "mooc/training_assignments.html",
        status=status,
        listed=listed,
        params={"show": show, "cursor": page.cursor},
        show=show or "active",
        form=form
        or {
            "values": {"remind_days": "7, 3, 1", "overdue_every": "7", "due_date": ""},
            "errors": {},
        },
        **await _choices(),
    )


async def _assignment_page(
    request: AnyRequest,
    assignment_id: uuid.UUID,
    *,
    done: str | None = None,
    enrolled: int | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Template:
    found = await assignments.get_assignment(assignment_id)
    agencies = {a.code: a.name for a in await identity.list_agencies()}
    return render(
        request,
        "mooc/training_assignment.html",
        status=status,
        a=found,
        agency_name=agencies.get(found.target.agency or "", found.target.agency or ""),
        done=done if done in ("created", "changed", "withdrawn") else None,
        enrolled=enrolled,
        form=form
        or {
            "values": {
                "due_date": _local_day(found.due_at),
                "remind_days": ", ".join(str(d) for d in found.remind_days_before),
                "overdue_every": str(found.overdue_every_days),
            },
            "errors": {},
        },
        targets=TARGETS,
        role_names=ROLE_NAMES,
    )


# --- reports ---------------------------------------------------------------------------------


def _tone(figures: Figures) -> str:
    rate = figures.completion_rate
    return "ok" if rate >= 80 else "warn" if rate >= 50 else "bad"


class ReportPages(Controller):
    path = "/training/reports"
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get("/", opt=access(REPORTS))
    async def reports_page(self, request: AnyRequest) -> Template:
        """Courses with learners in the caller's agencies, their completion (table, chart)."""
        principal = signed_in(request)
        summaries = await reports.list_course_reports(principal)
        lang = language_of(request)
        chart = (
            bar_chart(
                "Tỷ lệ hoàn thành theo khoá học" if lang == "vi" else "Completion by course",
                [
                    Bar(s.course_title, s.figures.completion_rate, _tone(s.figures))
                    for s in summaries.items
                ],
                unit="%",
            )
            if summaries.items
            else None
        )
        agencies = {a.code: a.name for a in await identity.list_agencies()}
        return render(
            request,
            "mooc/training_reports.html",
            summaries=summaries,
            chart=chart,
            sees=reports.sees_reports(principal),
            agency_names=agencies,
        )

    @get("/{course_id:uuid}", opt=access(REPORTS))
    async def report_page(
        self,
        request: AnyRequest,
        course_id: FromPath[uuid.UUID],
        page: NamedDependency[PageRequest],
        agency: Annotated[str | None, QueryParameter(max_length=40)] = None,
        department: Query = None,
        status: Query = None,
    ) -> Template:
        """A course's figures per agency (table, chart), the learners (filters, pages),
        exports. Another agency than the caller's: the same 404 as the API's."""
        principal = signed_in(request)
        report = await reports.get_course_report(principal, course_id)
        chosen = status if status in STATUSES else None
        learners = await reports.access_learners(
            principal,
            course_id,
            page,
            agency=agency or None,
            department=department or None,
            status=chosen,  # type: ignore[arg-type]  # checked against STATUSES just above
        )
        lang = language_of(request)
        chart = bar_chart(
            "Tỷ lệ hoàn thành theo cơ quan" if lang == "vi" else "Completion by agency",
            [
                Bar(
                    a.agency_name
                    or a.agency_code
                    or ("Không thuộc cơ quan" if lang == "vi" else "No agency"),
                    a.figures.completion_rate,
                    _tone(a.figures),
                )
                for a in report.agencies
            ],
            unit="%",
        )
        pairs = await reports.report_departments(principal, course_id)
        params = {
            "agency": agency or None,
            "department": department or None,
            "status": chosen,
            "cursor": page.cursor,
        }
        exports = {k: v for k, v in params.items() if v and k != "cursor"}
        return render(
            request,
            "mooc/training_report.html",
            report=report,
            learners=learners,
            chart=chart,
            params=params,
            filtered=bool(exports),
            export_query=exports,
            agency_options=[
                (a.agency_code, a.agency_name or a.agency_code)
                for a in report.agencies
                if a.agency_code
            ],
            department_options=sorted({(d, d) for _, d in pairs}),
            statuses=STATUSES,
            status_tones=STATUS_TONES,
        )


PAGES: list[Any] = [AssignmentPages, ReportPages]


async def attention(principal: Principal) -> list[Attention]:
    """For managers and course admins: learners overdue on mandatory training in their
    agencies (one count on the partial index of due dates)."""
    if not reports.sees_reports(principal):
        return []
    overdue = await reports.count_overdue(principal)
    if not overdue:
        return []
    return [
        Attention(
            title_vi="Học viên quá hạn đào tạo bắt buộc",
            title_en="Learners overdue on mandatory training",
            href=console_url("/training/reports"),
            count=overdue,
            detail_vi="Chưa hoàn thành khoá học bắt buộc đúng hạn",
            detail_en="Mandatory courses not completed by their due date",
            tone="warn",
        )
    ]
