"""Routes of the courses part: the catalogue, a course's outline, enrolment, "my learning" and
the lesson as a learner opens it (any signed-in person; citizens see public courses only), and
authoring under /api/v1/admin/courses (course admins). Thin: the rules are in `mooc.courses`.

Authoring writes answer the whole course as its authors see it, with its new `revision`;
sending the revision one saw back as `If-Match` makes a write fail with 412 when someone else
edited the course meanwhile."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.access import SIGNED_IN, Role, access, roles, signed_in
from backend.http.pagination import PageRequest, page_request
from backend.settings import Settings
from mooc import courses
from mooc.course_errors import (
    CaptionsInvalid,
    CaptionsTooLarge,
    CourseArchived,
    CourseCodeTaken,
    CourseEditedConcurrently,
    CoverInvalid,
    EnrolmentMandatory,
    EnrolmentNotFound,
    LessonAttachmentInvalid,
    LessonInvalid,
    LessonVideoInvalid,
    NothingToPublish,
    PrerequisiteInvalid,
    PrerequisiteMissing,
    PublishBlocked,
    SectionNotEmpty,
    SectionNotFound,
)
from mooc.course_schemas import (
    Captions,
    CourseAdmin,
    CourseAdminPage,
    CourseCreate,
    CourseOutline,
    CoursePage,
    CourseStatus,
    CourseUpdate,
    Enrolment,
    LessonIn,
    LessonOut,
    LessonUpdate,
    MyCourses,
    SectionIn,
    SectionUpdate,
)
from mooc.errors import CourseClosed, CourseNotFound, LessonNotFound, NotEnrolled

AnyRequest = Request[Any, Any, Any]
AUTHORS = roles(Role.COURSE_ADMIN)
VARY = [ResponseHeader(name="Vary", value="Authorization, Cookie")]
IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        description="the course's `revision` the edit is based on (412 if it changed)",
        max_length=64,
        required=False,
    ),
]
EDIT_PROBLEMS = (CourseNotFound, CourseEditedConcurrently, CourseArchived)


class CaptionsIn(msgspec.Struct, frozen=True, kw_only=True):
    vtt: Annotated[str, msgspec.Meta(min_length=1, max_length=courses.CAPTIONS_MAX_BYTES)]
    """The WebVTT file's text."""


async def catalogue_version(scope: Any) -> str:
    return await courses.catalogue_version()


class LearnerController(Controller):
    path = "/api/v1"
    tags = ["courses (learners)"]
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get(
        "/courses",
        opt=access(SIGNED_IN, etag=catalogue_version, transaction="read"),
        response_headers=VARY,
    )
    async def list_courses(
        self,
        request: AnyRequest,
        page: NamedDependency[PageRequest],
        q: Annotated[
            str | None,
            QueryParameter(description="words of the title; diacritics optional", max_length=200),
        ] = None,
    ) -> CoursePage:
        """The catalogue: published courses the caller may enrol in (civil servants: all;
        other people: the courses open to the public), newest first."""
        return await courses.list_catalogue(signed_in(request).roles, page, q)

    @get(
        "/courses/{course_id:uuid}",
        opt=access(SIGNED_IN, transaction="read", problems=(CourseNotFound,)),
    )
    async def get_course(
        self, request: AnyRequest, course_id: FromPath[uuid.UUID]
    ) -> CourseOutline:
        """The outline; for an enrolled caller, of the version their enrolment pins, with the
        state of each lesson and where to continue."""
        return await courses.get_outline(signed_in(request), course_id)

    @get(
        "/courses/{course_id:uuid}/cover",
        opt=access(SIGNED_IN, transaction="read", problems=(CourseNotFound,)),
        response_headers=VARY,
    )
    async def get_cover(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
    ) -> Redirect:
        """A redirect to a freshly signed URL of the course's cover."""
        url = await courses.cover_url_for(settings, signed_in(request), course_id)
        max_age = min(600, settings.media_url_ttl_seconds // 2)
        return Redirect(
            url, status_code=302, headers={"Cache-Control": f"private, max-age={max_age}"}
        )

    @post(
        "/courses/{course_id:uuid}/enrolment",
        status_code=HTTP_200_OK,
        opt=access(SIGNED_IN, problems=(CourseNotFound, CourseClosed, PrerequisiteMissing)),
    )
    async def enrol(self, request: AnyRequest, course_id: FromPath[uuid.UUID]) -> Enrolment:
        """Enrol in the course's current version (idempotent; enrolling again after leaving
        reactivates the same enrolment with its progress)."""
        principal = signed_in(request)
        return await courses.do_enrol(principal.id, course_id, roles=principal.roles)

    @delete(
        "/courses/{course_id:uuid}/enrolment",
        status_code=HTTP_200_OK,
        opt=access(SIGNED_IN, problems=(EnrolmentNotFound, EnrolmentMandatory)),
    )
    async def unenrol(self, request: AnyRequest, course_id: FromPath[uuid.UUID]) -> Enrolment:
        """Leave the course (progress kept); mandatory training cannot be left."""
        return await courses.do_unenrol(signed_in(request).id, course_id)

    @get("/me/courses", opt=access(SIGNED_IN, transaction="read"))
    async def my_courses(self, request: AnyRequest) -> MyCourses:
        """My learning: progress, next lesson, due date (overdue), status, certificate."""
        return await courses.list_my_courses(signed_in(request).id)

    @get(
        "/lessons/{lesson_id:uuid}",
        opt=access(SIGNED_IN, transaction="read", problems=(LessonNotFound, NotEnrolled)),
    )
    async def get_lesson(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        lesson_id: FromPath[uuid.UUID],
    ) -> LessonOut:
        """A lesson of a course the caller is enrolled in: a video's signed HLS and MP4 URLs
        (lowest first), audio-only rendition, captions and resume position; a reading's body
        and attachments; a quiz's settings and the caller's attempts."""
        return await courses.open_lesson(settings, signed_in(request).id, lesson_id)


class AuthoringController(Controller):
    path = "/api/v1/admin"
    tags = ["courses (authoring)"]
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get("/courses", opt=access(AUTHORS, transaction="read"))
    async def list_courses(
        self,
        page: NamedDependency[PageRequest],
        status: Annotated[
            CourseStatus | None, QueryParameter(description="only courses in this status")
        ] = None,
    ) -> CourseAdminPage:
        """Every course, most recently edited first."""
        return await courses.list_courses_admin(status, page)

    @post(
        "/courses",
        status_code=HTTP_201_CREATED,
        opt=access(AUTHORS, problems=(CourseCodeTaken, CoverInvalid, PrerequisiteInvalid)),
    )
    async def create_course(
        self, request: AnyRequest, settings: NamedDependency[Settings], data: JSONBody[CourseCreate]
    ) -> CourseAdmin:
        """A new course (draft), its first version ready to edit."""
        return await courses.do_create_course(settings, signed_in(request), data)

    @get("/courses/{course_id:uuid}", opt=access(AUTHORS, problems=(CourseNotFound,)))
    async def get_course(
        self, settings: NamedDependency[Settings], course_id: FromPath[uuid.UUID]
    ) -> CourseAdmin:
        """The course with its draft, its published version and its version history."""
        return await courses.get_course_admin(settings, course_id)

    @patch(
        "/courses/{course_id:uuid}",
        opt=access(AUTHORS, problems=(*EDIT_PROBLEMS, CoverInvalid, PrerequisiteInvalid)),
    )
    async def update_course(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
        data: JSONBody[CourseUpdate],
        if_match: IfMatch = None,
    ) -> CourseAdmin:
        """Edit the course: its draft (a copy of the published version, made on the first
        edit); learners already enrolled keep their version."""
        return await courses.do_update_course(
            settings, signed_in(request), course_id, data, expected=if_match
        )

    @post(
        "/courses/{course_id:uuid}/draft",
        status_code=HTTP_200_OK,
        opt=access(AUTHORS, problems=EDIT_PROBLEMS),
    )
    async def create_draft(
        self,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
    ) -> CourseAdmin:
        """Make sure the course has a draft (a copy of its published version) to edit."""
        return await courses.do_create_draft(settings, course_id, expected=if_match)

    @post(
        "/courses/{course_id:uuid}/sections",
        status_code=HTTP_201_CREATED,
        opt=access(AUTHORS, problems=EDIT_PROBLEMS),
    )
    async def add_section(
        self,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
        data: JSONBody[SectionIn],
        if_match: IfMatch = None,
    ) -> CourseAdmin:
        """Add a section to the draft."""
        return await courses.do_add_section(settings, course_id, data, expected=if_match)

    @patch(
        "/courses/{course_id:uuid}/sections/{section_id:uuid}",
        opt=access(AUTHORS, problems=(*EDIT_PROBLEMS, SectionNotFound)),
    )
    async def update_section(
        self,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
        section_id: FromPath[uuid.UUID],
        data: JSONBody[SectionUpdate],
        if_match: IfMatch = None,
    ) -> CourseAdmin:
        """Rename or move a section of the draft."""
        return await courses.do_update_section(
            settings, course_id, section_id, data, expected=if_match
        )

    @delete(
        "/courses/{course_id:uuid}/sections/{section_id:uuid}",
        status_code=HTTP_200_OK,
        opt=access(AUTHORS, problems=(*EDIT_PROBLEMS, SectionNotFound, SectionNotEmpty)),
    )
    async def delete_section(
        self,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
        section_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
    ) -> CourseAdmin:
        """Delete an empty section of the draft."""
        return await courses.do_delete_section(settings, course_id, section_id, expected=if_match)

    @post(
        "/courses/{course_id:uuid}/lessons",
        status_code=HTTP_201_CREATED,
        opt=access(
            AUTHORS,
            problems=(
                *EDIT_PROBLEMS,
                SectionNotFound,
                LessonInvalid,
                LessonVideoInvalid,
                LessonAttachmentInvalid,
                CaptionsInvalid,
            ),
        ),
    )
    async def add_lesson(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
        data: JSONBody[LessonIn],
        if_match: IfMatch = None,
    ) -> CourseAdmin:
        """Add a video, reading or quiz lesson to a section of the draft."""
        return await courses.do_add_lesson(
            settings, signed_in(request), course_id, data, expected=if_match
        )

    @patch(
        "/courses/{course_id:uuid}/lessons/{lesson_id:uuid}",
        opt=access(
            AUTHORS,
            problems=(
                *EDIT_PROBLEMS,
                LessonNotFound,
                SectionNotFound,
                LessonInvalid,
                LessonVideoInvalid,
                LessonAttachmentInvalid,
                CaptionsInvalid,
            ),
        ),
    )
    async def update_lesson(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
        lesson_id: FromPath[uuid.UUID],
        data: JSONBody[LessonUpdate],
        if_match: IfMatch = None,
    ) -> CourseAdmin:
        """Edit or move a lesson of the draft (a published lesson's id names its draft copy)."""
        return await courses.do_update_lesson(
            settings, signed_in(request), course_id, lesson_id, data, expected=if_match
        )

    @delete(
        "/courses/{course_id:uuid}/lessons/{lesson_id:uuid}",
        status_code=HTTP_200_OK,
        opt=access(AUTHORS, problems=(*EDIT_PROBLEMS, LessonNotFound)),
    )
    async def delete_lesson(
        self,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
        lesson_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
    ) -> CourseAdmin:
        """Delete a lesson of the draft."""
        return await courses.do_delete_lesson(settings, course_id, lesson_id, expected=if_match)

    @post(
        "/courses/{course_id:uuid}/publication",
        status_code=HTTP_200_OK,
        opt=access(
            AUTHORS,
            problems=(CourseNotFound, CourseEditedConcurrently, NothingToPublish, PublishBlocked),
        ),
    )
    async def publish(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
    ) -> CourseAdmin:
        """Publish the draft as the version new learners get (409 `mooc_publish_blocked` with
        `problems` listing what to fix)."""
        return await courses.do_publish(settings, signed_in(request), course_id, expected=if_match)

    @post(
        "/courses/{course_id:uuid}/archival",
        status_code=HTTP_200_OK,
        opt=access(AUTHORS, problems=(CourseNotFound, CourseEditedConcurrently)),
    )
    async def archive(
        self,
        settings: NamedDependency[Settings],
        course_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
    ) -> CourseAdmin:
        """Close the course: out of the catalogue, no new enrolment or progress."""
        return await courses.do_archive(settings, course_id, expected=if_match)

    @post(
        "/captions",
        status_code=HTTP_201_CREATED,
        opt=access(AUTHORS, problems=(CaptionsInvalid, CaptionsTooLarge)),
    )
    async def store_captions(
        self, settings: NamedDependency[Settings], data: JSONBody[CaptionsIn]
    ) -> Captions:
        """Store a WebVTT file; its `id` is a video lesson's `captions_asset_id`."""
        return await courses.do_store_captions(settings, data.vtt.encode())


ROUTE_HANDLERS: list[Any] = [LearnerController, AuthoringController]
