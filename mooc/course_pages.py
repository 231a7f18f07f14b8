"""Console pages of the courses part (see backend.console.shell):

- learning (`/console/learn`, civil servants): "my learning" with progress bars, due dates
  (overdue in red) and where to continue, and the catalogue searched without diacritics; a
  course's page (`/console/learn/courses/{id}`): its outline with the state of each lesson,
  enrol / leave, continue → the next lesson (video and reading lessons open at
  `/console/learn/lessons/{id}`, quizzes at `/console/learn/quizzes/{id}`);
- authoring (`/console/courses`, course admins): the courses and a form to create one; a
  course's editor (`/console/courses/{id}`): its details, sections and lessons of each kind —
  a video uploaded through the media API (`POST /api/v1/media?purpose=course_video`, by
  `mooc-course.js` with a progress bar) whose processing status updates itself, WebVTT
  captions, a reading's rich text, a quiz's settings with a link to its question bank
  (`/console/courses/lessons/{id}/questions`) — publishing with the list of what stops it,
  archiving and the version history.

Pages call `mooc.courses` as the API does. Every editing form carries the course's revision:
a form sent after someone else changed the course is refused (412) instead of overwriting.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from backend.access import Principal, Role, roles, signed_in
from backend.console.forms import form_text
from backend.console.shell import MenuEntry, access, redirect, render
from backend.errors import ValidationFailed
from backend.http.pagination import PageRequest
from backend.settings import Settings
from content.service import access_asset, list_assets
from mooc import courses
from mooc.course_schemas import (
    CourseCreate,
    CourseUpdate,
    LessonIn,
    LessonUpdate,
    QuizSettings,
    SectionIn,
    SectionUpdate,
)

AnyRequest = Request[Any, Any, Any]
LEARNERS = roles(Role.CIVIL_SERVANT)
AUTHORS = roles(Role.COURSE_ADMIN)
LEARN = "/console/learn"
AUTHOR = "/console/courses"
POLL_SECONDS = 2

LESSON_KINDS: dict[str, tuple[str, str]] = {
    "video": ("Video", "Video"),
    "reading": ("Bài đọc", "Reading"),
    "quiz": ("Bài kiểm tra", "Quiz"),
}
COURSE_STATUS: dict[str, tuple[str, str, str]] = {
    "draft": ("Bản nháp", "Draft", "muted"),
    "published": ("Đã xuất bản", "Published", "ok"),
    "archived": ("Đã lưu trữ", "Archived", "warn"),
}
ENROLMENT_STATUS: dict[str, tuple[str, str, str]] = {
    "active": ("Đang học", "In progress", "info"),
    "completed": ("Đã hoàn thành", "Completed", "ok"),
    "unenrolled": ("Đã rời khoá học", "Left", "muted"),
}
LESSON_STATE: dict[str, tuple[str, str, str]] = {
    "not_started": ("Chưa học", "Not started", "muted"),
    "in_progress": ("Đang học", "In progress", "info"),
    "completed": ("Đã hoàn thành", "Completed", "ok"),
}
VIDEO_STATUS: dict[str, tuple[str, str, str]] = {
    "uploaded": ("Đã tải lên, chờ xử lý", "Uploaded, waiting", "muted"),
    "processing": ("Đang xử lý", "Processing", "info"),
    "ready": ("Sẵn sàng", "Ready", "ok"),
    "failed": ("Xử lý thất bại", "Failed", "bad"),
}
AUDIENCES: dict[str, tuple[str, str]] = {
    "civil_servants": ("Cán bộ, công chức", "Civil servants"),
    "public": ("Mọi người dân", "Everyone"),
}
SHOW_ANSWERS: dict[str, tuple[str, str]] = {
    "never": ("Không bao giờ", "Never"),
    "after_submit": ("Sau khi nộp bài", "After submitting"),
    "after_pass": ("Sau khi đạt", "After passing"),
}

MENU = [
    MenuEntry("/learn", "Học tập", "Learning", LEARNERS, "Đào tạo", "Training"),
    MenuEntry("/courses", "Khoá học", "Courses", AUTHORS, "Đào tạo", "Training"),
]


def lesson_href(kind: str, lesson_id: uuid.UUID | str) -> str:
    """Where a learner opens a lesson: the quiz page for a quiz, else the lesson page."""
    if kind == "quiz":
        return f"{LEARN}/quizzes/{lesson_id}"
    return f"{LEARN}/lessons/{lesson_id}"


def _labels() -> dict[str, Any]:
    return {
        "lesson_kinds": LESSON_KINDS,
        "course_status": COURSE_STATUS,
        "enrolment_status": ENROLMENT_STATUS,
        "lesson_state": LESSON_STATE,
        "video_status": VIDEO_STATUS,
        "audiences": AUDIENCES,
        "show_answers": SHOW_ANSWERS,
        "lesson_href": lesson_href,
    }


def _convert(data: dict[str, Any], kind: type[Any]) -> Any:
    """A form's values as the API's structure; a value out of bounds is a 422 naming it."""
    try:
        return msgspec.convert(data, kind, strict=False)
    except msgspec.ValidationError as error:
        raise ValidationFailed(
            f"Giá trị không hợp lệ: {error}.", f"A value is not valid: {error}."
        ) from None


def _optional_uuid(form: FormMultiDict, name: str) -> str | None:
    value = form_text(form, name)
    return value or None


def _revision(form: FormMultiDict) -> str | None:
    return form_text(form, "revision") or None


# --- learning ------------------------------------------------------------------------------------


class LearningPages(Controller):
    path = "/learn"

    @get("/", opt=access(LEARNERS))
    async def home(
        self,
        request: AnyRequest,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=512)] = None,
    ) -> Template:
        """My learning and the catalogue."""
        principal = signed_in(request)
        mine = await courses.list_my_courses(principal.id)
        catalogue = await courses.list_catalogue(
            principal.roles, PageRequest(cursor=cursor, limit=24), q
        )
        enrolled = {item.course_id: item for item in mine.items}
        return render(
            request,
            "mooc/learn_home.html",
            mine=mine.items,
            catalogue=catalogue,
            enrolled=enrolled,
            q=q or "",
            cursor=cursor,
            **_labels(),
        )

    @get("/courses/{course_id:uuid}", opt=access(LEARNERS))
    async def course(self, request: AnyRequest, course_id: FromPath[uuid.UUID]) -> Template:
        """A course's outline with my progress, enrol / leave, continue."""
        outline = await courses.get_outline(signed_in(request), course_id)
        next_lesson = None
        for section in outline.sections:
            for lesson in section.lessons:
                if lesson.id == outline.next_lesson_id:
                    next_lesson = lesson
        return render(
            request,
            "mooc/learn_course.html",
            outline=outline,
            next_lesson=next_lesson,
            **_labels(),
        )

    @post("/courses/{course_id:uuid}/enrolment", status_code=200, opt=access(LEARNERS))
    async def enrol(self, request: AnyRequest, course_id: FromPath[uuid.UUID]) -> Response[Any]:
        principal = signed_in(request)
        await courses.do_enrol(principal.id, course_id, roles=principal.roles)
        return redirect(request, f"{LEARN}/courses/{course_id}")

    @post("/courses/{course_id:uuid}/leave", status_code=200, opt=access(LEARNERS))
    async def leave(self, request: AnyRequest, course_id: FromPath[uuid.UUID]) -> Response[Any]:
        await courses.do_unenrol(signed_in(request).id, course_id)
        return redirect(request, f"{LEARN}/courses/{course_id}")


# --- authoring -----------------------------------------------------------------------------------


def _quiz_from(form: FormMultiDict) -> QuizSettings:
    values = {
        name: form_text(form, f"quiz_{name}")
        for name in ("draw", "time_limit_seconds", "max_attempts", "pass_percent", "show_answers")
    }
    given = {k: v for k, v in values.items() if v}
    if "time_limit_seconds" in given:
        given["time_limit_seconds"] = str(round(float(given["time_limit_seconds"]) * 60))
    settings: QuizSettings = _convert(given, QuizSettings)
    return settings


async def _video_library(settings: Settings, principal: Principal) -> list[Any]:
    """Course videos the author may pick (the newest hundred of the library)."""
    page = await list_assets(settings, principal, PageRequest(limit=100))
    return [a for a in page.items if a.purpose == "course_video" and a.kind == "video"]


class AuthoringPages(Controller):
    path = "/courses"

    @get("/", opt=access(AUTHORS))
    async def list_courses(
        self,
        request: AnyRequest,
        status: Annotated[str | None, QueryParameter(max_length=10)] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=512)] = None,
    ) -> Template:
        """Every course, and a form to create one."""
        chosen = status if status in COURSE_STATUS else None
        page = await courses.list_courses_admin(chosen, PageRequest(cursor=cursor, limit=50))
        return render(
            request,
            "mooc/course_list.html",
            page=page,
            status_filter=chosen or "",
            cursor=cursor,
            **_labels(),
        )

    @post("/", status_code=200, opt=access(AUTHORS))
    async def create(
        self, request: AnyRequest, settings: NamedDependency[Settings]
    ) -> Response[Any]:
        form = await request.form()
        data = _convert(
            {
                "code": form_text(form, "code"),
                "title": form_text(form, "title"),
                "description": form_text(form, "description"),
                "estimated_hours": form_text(form, "estimated_hours") or "1",
                "audience": form_text(form, "audience") or "civil_servants",
            },
            CourseCreate,
        )
        course = await courses.do_create_course(settings, signed_in(request), data)
        return redirect(request, f"{AUTHOR}/{course.id}")

    @get("/{course_id:uuid}", opt=access(AUTHORS))
    async def edit(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
    ) -> Template:
        """The course's editor: the draft (or the published version, read-only, with a button
        to start editing), publish problems and the version history."""
        course = await courses.get_course_admin(settings, course_id)
        shown = course.draft or course.published
        library = await _video_library(settings, signed_in(request))
        return render(
            request,
            "mooc/course_edit.html",
            course=course,
            version=shown,
            library=library,
            poll_seconds=POLL_SECONDS,
            **_labels(),
        )

    @get("/{course_id:uuid}/videos/{asset_id:uuid}/status", opt=access(AUTHORS))
    async def video_status(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
        asset_id: FromPath[uuid.UUID],
    ) -> Template:
        """A lesson video's processing status (the editor polls it until it is final)."""
        asset = await access_asset(settings, signed_in(request), asset_id)
        return render(
            request,
            "mooc/course_video_status.html",
            course_id=course_id,
            asset_id=asset_id,
            state=asset.status,
            progress=asset.progress,
            failure=asset.failure_reason,
            poll_seconds=POLL_SECONDS,
            **_labels(),
        )

    @post("/{course_id:uuid}/details", status_code=200, opt=access(AUTHORS))
    async def update_details(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        form = await request.form()
        values: dict[str, Any] = {
            "title": form_text(form, "title"),
            "description": form_text(form, "description"),
            "estimated_hours": form_text(form, "estimated_hours") or "1",
            "audience": form_text(form, "audience") or "civil_servants",
            "language": form_text(form, "language") or "vi",
            "reading_min_seconds": form_text(form, "reading_min_seconds") or "30",
            "video_threshold": str(float(form_text(form, "video_threshold_percent") or "90") / 100),
        }
        data = _convert(values, CourseUpdate)
        await courses.do_update_course(
            settings, signed_in(request), course_id, data, expected=_revision(form)
        )
        return redirect(request, f"{AUTHOR}/{course_id}")

    @post("/{course_id:uuid}/draft", status_code=200, opt=access(AUTHORS))
    async def start_draft(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        form = await request.form()
        await courses.do_create_draft(settings, course_id, expected=_revision(form))
        return redirect(request, f"{AUTHOR}/{course_id}")

    @post("/{course_id:uuid}/sections", status_code=200, opt=access(AUTHORS))
    async def add_section(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        form = await request.form()
        data = _convert({"title": form_text(form, "title")}, SectionIn)
        await courses.do_add_section(settings, course_id, data, expected=_revision(form))
        return redirect(request, f"{AUTHOR}/{course_id}")

    @post("/{course_id:uuid}/sections/{section_id:uuid}", status_code=200, opt=access(AUTHORS))
    async def change_section(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
        section_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Rename (`action=save`), move up or down, or delete a section."""
        form = await request.form()
        action = form_text(form, "action") or "save"
        expected = _revision(form)
        if action == "delete":
            await courses.do_delete_section(settings, course_id, section_id, expected=expected)
        else:
            position = int(form_text(form, "position") or "1")
            values: dict[str, Any] = {"title": form_text(form, "title")}
            if action == "up":
                values = {"position": max(1, position - 1)}
            elif action == "down":
                values = {"position": position + 1}
            data = _convert(values, SectionUpdate)
            await courses.do_update_section(
                settings, course_id, section_id, data, expected=expected
            )
        return redirect(request, f"{AUTHOR}/{course_id}")

    @post("/{course_id:uuid}/lessons", status_code=200, opt=access(AUTHORS))
    async def add_lesson(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        form = await request.form()
        kind = form_text(form, "kind")
        values: dict[str, Any] = {
            "section_id": form_text(form, "section_id"),
            "kind": kind,
            "title": form_text(form, "title"),
            "required": form_text(form, "required") == "on",
        }
        if kind == "video":
            values["asset_id"] = _optional_uuid(form, "asset_id")
            values["captions_asset_id"] = _optional_uuid(form, "captions_asset_id")
        elif kind == "reading":
            values["body"] = form_text(form, "body")
            values["body_format"] = form_text(form, "body_format") or "markdown"
        elif kind == "quiz":
            values["quiz"] = msgspec.to_builtins(_quiz_from(form))
        data = _convert(values, LessonIn)
        await courses.do_add_lesson(
            settings, signed_in(request), course_id, data, expected=_revision(form)
        )
        return redirect(request, f"{AUTHOR}/{course_id}")

    @post("/{course_id:uuid}/lessons/{lesson_id:uuid}", status_code=200, opt=access(AUTHORS))
    async def change_lesson(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
        lesson_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Save a lesson's fields (`action=save`), move it up or down, or delete it."""
        form = await request.form()
        action = form_text(form, "action") or "save"
        expected = _revision(form)
        if action == "delete":
            await courses.do_delete_lesson(settings, course_id, lesson_id, expected=expected)
            return redirect(request, f"{AUTHOR}/{course_id}")
        position = int(form_text(form, "position") or "1")
        values: dict[str, Any]
        if action == "up":
            values = {"position": max(1, position - 1)}
        elif action == "down":
            values = {"position": position + 1}
        else:
            kind = form_text(form, "kind")
            values = {
                "title": form_text(form, "title"),
                "required": form_text(form, "required") == "on",
            }
            if kind == "video":
                values["asset_id"] = _optional_uuid(form, "asset_id")
                values["captions_asset_id"] = _optional_uuid(form, "captions_asset_id")
            elif kind == "reading":
                values["body"] = form_text(form, "body")
                values["body_format"] = form_text(form, "body_format") or "html"
            elif kind == "quiz":
                values["quiz"] = msgspec.to_builtins(_quiz_from(form))
        data = _convert(values, LessonUpdate)
        await courses.do_update_lesson(
            settings, signed_in(request), course_id, lesson_id, data, expected=expected
        )
        return redirect(request, f"{AUTHOR}/{course_id}")

    @post("/{course_id:uuid}/publication", status_code=200, opt=access(AUTHORS))
    async def publish(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        form = await request.form()
        await courses.do_publish(settings, signed_in(request), course_id, expected=_revision(form))
        return redirect(request, f"{AUTHOR}/{course_id}?published=1")

    @post("/{course_id:uuid}/archival", status_code=200, opt=access(AUTHORS))
    async def archive(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        form = await request.form()
        await courses.do_archive(settings, course_id, expected=_revision(form))
        return redirect(request, f"{AUTHOR}/{course_id}")


PAGES: list[Any] = [LearningPages, AuthoringPages]
