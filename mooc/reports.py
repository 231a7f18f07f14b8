"""The completion reports of mandatory (and voluntary) training, for managers and course
admins: per course and agency — enrolled, started, completed, overdue, completion rate,
average best score — the per-learner drill-down, and its CSV and xlsx exports.

Who sees what: a course admin every agency; a manager (a civil servant whose grant carries
the manager flag) only the agencies they manage; anyone else nothing (`ReportNotFound`).
Every figure is one grouped query over `mooc_enrolments`; names come from identity in one
batch call per page or export. Reads that name people (drill-down, exports) are audited.
"""

from __future__ import annotations

import asyncio
import csv
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import xlsxwriter  # type: ignore[import-untyped]  # XlsxWriter ships no type information

from backend.access import Principal, Role
from backend.audit.service import do_record
from backend.http.pagination import PageRequest, decode_cursor, encode_cursor
from backend.identity import service as identity
from mooc import assignment_repository, report_repository
from mooc.assignment_errors import ReportNotFound
from mooc.errors import CourseNotFound
from mooc.report_repository import FiguresRow, LearnerRow
from mooc.report_schemas import (
    AgencyFigures,
    CourseReport,
    CourseSummaries,
    CourseSummary,
    Figures,
    Learner,
    LearnerPage,
    LearnerStatus,
)

ExportFormat = Literal["csv", "xlsx"]
CURSOR = "mooc_report_learners"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
STATUS_NAMES: dict[str, tuple[str, str]] = {
    "not_started": ("Chưa bắt đầu", "Not started"),
    "in_progress": ("Đang học", "In progress"),
    "completed": ("Đã hoàn thành", "Completed"),
    "overdue": ("Quá hạn", "Overdue"),
}


def _now() -> datetime:
    return datetime.now(UTC)


def report_scope(principal: Principal) -> frozenset[str] | None:
    """The agencies whose learners the caller sees: None for every agency (course admin),
    the managed ones for a manager, none for anyone else."""
    if Role.COURSE_ADMIN.value in principal.roles:
        return None
    return principal.managed_agencies


def sees_reports(principal: Principal) -> bool:
    """Whether the caller sees any report (a course admin, or a manager of some agency)."""
    scope = report_scope(principal)
    return scope is None or bool(scope)


def _checked_scope(principal: Principal, agency: str | None = None) -> frozenset[str] | None:
    scope = report_scope(principal)
    if scope is not None and not scope:
        raise ReportNotFound()
    if agency is not None and scope is not None and agency not in scope:
        raise ReportNotFound()
    return scope


def _figures(row: FiguresRow | None) -> Figures:
    if row is None:
        return Figures(
            enrolled=0, started=0, completed=0, overdue=0, completion_rate=0.0, average_score=None
        )
    return Figures(
        enrolled=row.enrolled,
        started=row.started,
        completed=row.completed,
        overdue=row.overdue,
        completion_rate=round(100 * row.completed / row.enrolled, 1) if row.enrolled else 0.0,
        average_score=row.average_score,
    )


async def _agency_names() -> dict[str, str]:
    return {a.code: a.name for a in await identity.list_agencies()}


async def list_course_reports(
    principal: Principal, *, now: datetime | None = None
) -> CourseSummaries:
    """Every course with learners in the caller's agencies and its figures (one grouped
    query); empty for someone who manages nothing."""
    scope = report_scope(principal)
    if scope is not None and not scope:
        return CourseSummaries(items=[], agencies=[])
    rows = await report_repository.figures_by_course(scope, now or _now())
    return CourseSummaries(
        items=[
            CourseSummary(
                course_id=r.course_id,
                course_code=r.course_code,
                course_title=r.course_title,
                course_status=r.course_status,
                figures=_figures(r),
            )
            for r in rows
        ],
        agencies=sorted(scope) if scope is not None else None,
    )


async def get_course_report(
    principal: Principal, course_id: uuid.UUID, *, now: datetime | None = None
) -> CourseReport:
    """One course's figures per agency the caller sees, and their total (one grouped
    query). `CourseNotFound` for no such course, `ReportNotFound` for a caller who
    manages nothing."""
    scope = _checked_scope(principal)
    course = await assignment_repository.course(course_id)
    if course is None:
        raise CourseNotFound()
    now = now or _now()
    rows, total = await report_repository.figures_by_agency(course_id, scope, now)
    names = await _agency_names()
    return CourseReport(
        course_id=course.id,
        course_code=course.code,
        course_title=course.title,
        generated_at=now,
        total=_figures(total),
        agencies=[
            AgencyFigures(
                agency_code=r.agency_code,
                agency_name=names.get(r.agency_code) if r.agency_code else None,
                figures=_figures(r),
            )
            for r in rows
        ],
    )


def _learner(row: LearnerRow, names: dict[uuid.UUID, str | None]) -> Learner:
    return Learner(
        enrolment_id=row.enrolment_id,
        person_id=row.person_id,
        full_name=names.get(row.person_id),
        agency_code=row.agency_code,
        department=row.department,
        status=row.status,  # type: ignore[arg-type]  # the query's CASE gives only these four
        progress_percent=row.progress_percent,
        best_score=row.best_score,
        enrolled_at=row.enrolled_at,
        due_at=row.due_at,
        completed_at=row.completed_at,
        last_activity_at=row.last_activity_at,
        mandatory=row.mandatory,
    )


async def access_learners(
    principal: Principal,
    course_id: uuid.UUID,
    page: PageRequest,
    *,
    agency: str | None = None,
    department: str | None = None,
    status: LearnerStatus | None = None,
    now: datetime | None = None,
) -> LearnerPage:
    """The course's learners in the caller's agencies (one query per page, names in one
    batch), least progressed first within each agency and department; audited (it names
    people). An agency the caller does not manage: `ReportNotFound`."""
    scope = _checked_scope(principal, agency)
    if await assignment_repository.course(course_id) is None:
        raise CourseNotFound()
    after = decode_cursor(page.cursor, CURSOR, (str, str, int, uuid.UUID)) if page.cursor else None
    rows = await report_repository.learners(
        course_id,
        scope,
        now or _now(),
        agency=agency,
        department=department,
        status=status,
        after=(after[0], after[1], after[2], after[3]) if after else None,
        limit=page.limit + 1,
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    names = await identity.names_of([r.person_id for r in rows])
    await do_record(
        "mooc.report.learners",
        actor_id=str(principal.id),
        object_type="mooc_course",
        object_id=str(course_id),
        details={"agency": agency, "status": status, "rows": len(rows)},
    )
    last = rows[-1] if rows else None
    return LearnerPage(
        items=[_learner(r, names) for r in rows],
        next_cursor=(
            encode_cursor(
                CURSOR,
                (
                    last.agency_code or "",
                    last.department or "",
                    last.progress_percent,
                    str(last.enrolment_id),
                ),
            )
            if more and last
            else None
        ),
    )


async def count_overdue(principal: Principal, *, now: datetime | None = None) -> int:
    """How many learners in the caller's agencies are overdue on mandatory training (0 for
    someone who sees no report)."""
    scope = report_scope(principal)
    if scope is not None and not scope:
        return 0
    return await report_repository.count_overdue(scope, now or _now())


async def report_departments(principal: Principal, course_id: uuid.UUID) -> list[tuple[str, str]]:
    """(agency, department) pairs among the course's learners the caller sees."""
    return await report_repository.departments(course_id, _checked_scope(principal))


# --- exports ---------------------------------------------------------------------------------

EXPORT_COLUMNS = [
    "Mã cơ quan",
    "Cơ quan",
    "Phòng, ban",
    "Họ và tên",
    "Trạng thái",
    "Tiến độ (%)",
    "Điểm tốt nhất (%)",
    "Bắt buộc",
    "Ghi danh",
    "Hạn hoàn thành",
    "Hoàn thành lúc",
    "Hoạt động gần nhất",
]
SUMMARY_COLUMNS = [
    "Mã cơ quan",
    "Cơ quan",
    "Ghi danh",
    "Đã bắt đầu",
    "Hoàn thành",
    "Quá hạn",
    "Tỷ lệ hoàn thành (%)",
    "Điểm trung bình (%)",
]


def _local(moment: datetime | None) -> str:
    return moment.astimezone(ZONE).strftime("%d/%m/%Y %H:%M") if moment else ""


async def export_learners(
    principal: Principal,
    course_id: uuid.UUID,
    fmt: ExportFormat,
    path: Path,
    *,
    agency: str | None = None,
    department: str | None = None,
    status: LearnerStatus | None = None,
    now: datetime | None = None,
) -> Path:
    """Every learner the filters select in the caller's agencies, as CSV (UTF-8 with BOM, for
    Excel) or xlsx (written in constant memory, with a per-agency summary sheet) at `path`;
    one query for the rows and one batch for the names; audited with the count."""
    scope = _checked_scope(principal, agency)
    course = await assignment_repository.course(course_id)
    if course is None:
        raise CourseNotFound()
    now = now or _now()
    rows = await report_repository.learners(
        course_id, scope, now, agency=agency, department=department, status=status
    )
    names = await identity.names_of([r.person_id for r in rows])
    agencies = await _agency_names()
    lines = [
        [
            r.agency_code or "",
            agencies.get(r.agency_code, "") if r.agency_code else "",
            r.department or "",
            names.get(r.person_id) or "",
            STATUS_NAMES[r.status][0],
            r.progress_percent,
            r.best_score if r.best_score is not None else "",
            "Có" if r.mandatory else "Không",
            _local(r.enrolled_at),
            _local(r.due_at),
            _local(r.completed_at),
            _local(r.last_activity_at),
        ]
        for r in rows
    ]
    summary: list[list[Any]] = []
    if fmt == "xlsx":
        for a in (await report_repository.figures_by_agency(course_id, scope, now))[0]:
            f = _figures(a)
            summary.append(
                [
                    a.agency_code or "",
                    agencies.get(a.agency_code, "") if a.agency_code else "",
                    f.enrolled,
                    f.started,
                    f.completed,
                    f.overdue,
                    f.completion_rate,
                    f.average_score if f.average_score is not None else "",
                ]
            )
    await asyncio.to_thread(_write, path, fmt, lines, summary, course.title)
    await do_record(
        "mooc.report.export",
        actor_id=str(principal.id),
        object_type="mooc_course",
        object_id=str(course_id),
        details={"format": fmt, "rows": len(lines), "agency": agency, "status": status},
    )
    return path


def _write(
    path: Path, fmt: ExportFormat, lines: list[list[Any]], summary: list[list[Any]], title: str
) -> None:
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(EXPORT_COLUMNS)
            writer.writerows(lines)
        return
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    bold = workbook.add_format({"bold": True})
    sheet = workbook.add_worksheet("Học viên")
    sheet.write_row(0, 0, EXPORT_COLUMNS, bold)
    for number, line in enumerate(lines, start=1):
        sheet.write_row(number, 0, line)
    totals = workbook.add_worksheet("Tổng hợp")
    totals.write_row(0, 0, [title], bold)
    totals.write_row(1, 0, SUMMARY_COLUMNS, bold)
    for number, line in enumerate(summary, start=2):
        totals.write_row(number, 0, line)
    workbook.close()
