"""Values of the courses part that cross HTTP and reach the console (msgspec Structs):
authoring (course, draft version, sections, lessons, publish problems), the catalogue and
outline, enrolments and "my learning", and the lesson as a learner opens it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

Audience = Literal["civil_servants", "public"]
CourseStatus = Literal["draft", "published", "archived"]
LessonKind = Literal["video", "reading", "quiz"]
ShowAnswers = Literal["never", "after_submit", "after_pass"]
LessonState = Literal["not_started", "in_progress", "completed"]
EnrolmentStatus = Literal["active", "unenrolled", "completed"]
BodyFormat = Literal["html", "markdown"]

CourseCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$")]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Description = Annotated[str, msgspec.Meta(max_length=20_000)]
Language = Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2}$")]
Hours = Annotated[float, msgspec.Meta(ge=0, le=1000)]
MinSeconds = Annotated[int, msgspec.Meta(ge=0, le=3600)]
Threshold = Annotated[float, msgspec.Meta(ge=0.5, le=1.0)]
Prerequisites = Annotated[list[uuid.UUID], msgspec.Meta(max_length=20)]
Attachments = Annotated[list[uuid.UUID], msgspec.Meta(max_length=20)]
Body = Annotated[str, msgspec.Meta(max_length=200_000)]
Position = Annotated[int, msgspec.Meta(ge=1, le=10_000)]


class QuizSettings(msgspec.Struct, frozen=True, kw_only=True):
    """A quiz lesson's settings (`mooc_lessons.quiz`)."""

    draw: Annotated[int, msgspec.Meta(ge=0, le=100)] = 10
    """Questions drawn at random from the bank for each attempt (0: the whole bank)."""
    time_limit_seconds: Annotated[int, msgspec.Meta(ge=0, le=4 * 3600)] = 0
    """0: no time limit."""
    max_attempts: Annotated[int, msgspec.Meta(ge=0, le=50)] = 3
    """0: no limit."""
    pass_percent: Annotated[int, msgspec.Meta(ge=1, le=100)] = 70
    show_answers: ShowAnswers = "after_submit"


# --- authoring: input --------------------------------------------------------------------------


class CourseCreate(msgspec.Struct, frozen=True, kw_only=True):
    code: CourseCode
    title: Title
    description: Description = ""
    language: Language = "vi"
    estimated_hours: Hours = 1.0
    audience: Audience = "civil_servants"
    cover_asset_id: uuid.UUID | None = None
    prerequisites: Prerequisites = []
    reading_min_seconds: MinSeconds = 30
    video_threshold: Threshold = 0.9


class CourseUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """Fields left out keep their value. The audience is the course's; the rest is the draft
    version's (created by copying the published one on the first edit)."""

    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    estimated_hours: Hours | UnsetType = UNSET
    audience: Audience | UnsetType = UNSET
    cover_asset_id: uuid.UUID | UnsetType | None = UNSET
    prerequisites: Prerequisites | UnsetType = UNSET
    reading_min_seconds: MinSeconds | UnsetType = UNSET
    video_threshold: Threshold | UnsetType = UNSET


class SectionIn(msgspec.Struct, frozen=True, kw_only=True):
    title: Title
    position: Position | None = None
    """Where to insert it (1 = first); at the end when left out."""


class SectionUpdate(msgspec.Struct, frozen=True, kw_only=True):
    title: Title | UnsetType = UNSET
    position: Position | UnsetType = UNSET


class LessonIn(msgspec.Struct, frozen=True, kw_only=True):
    section_id: uuid.UUID
    kind: LessonKind
    title: Title
    required: bool = True
    position: Position | None = None
    """Where to insert it in the section (1 = first); at the end when left out."""
    asset_id: uuid.UUID | None = None
    """video: a `course_video` media asset."""
    captions_asset_id: uuid.UUID | None = None
    """video: captions uploaded through `PUT /api/v1/admin/captions`."""
    body: Body = ""
    """reading: rich text (HTML, or Markdown with `body_format`), sanitized when saved."""
    body_format: BodyFormat = "html"
    attachments: Attachments = []
    """reading: media assets offered for download."""
    quiz: QuizSettings | None = None


class LessonUpdate(msgspec.Struct, frozen=True, kw_only=True):
    title: Title | UnsetType = UNSET
    required: bool | UnsetType = UNSET
    section_id: uuid.UUID | UnsetType = UNSET
    """Move it into another section of the same version."""
    position: Position | UnsetType = UNSET
    asset_id: uuid.UUID | UnsetType | None = UNSET
    captions_asset_id: uuid.UUID | UnsetType | None = UNSET
    body: Body | UnsetType = UNSET
    body_format: BodyFormat = "html"
    attachments: Attachments | UnsetType = UNSET
    quiz: QuizSettings | UnsetType = UNSET


class Captions(msgspec.Struct, frozen=True, kw_only=True):
    """Captions stored for lessons: refer to them by `id` as a lesson's `captions_asset_id`."""

    id: uuid.UUID
    url: str
    size: int


# --- authoring: output -------------------------------------------------------------------------


class PublishProblem(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    """no_lessons, video_missing, video_not_ready, video_failed, quiz_too_few_questions,
    section_empty."""
    message_vi: str
    message_en: str
    lesson_id: uuid.UUID | None = None
    section_id: uuid.UUID | None = None


class LessonAdmin(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    key: uuid.UUID
    section_id: uuid.UUID
    position: int
    kind: LessonKind
    title: str
    required: bool
    asset_id: uuid.UUID | None
    captions_asset_id: uuid.UUID | None
    duration_ms: int | None
    body_html: str
    attachments: list[uuid.UUID]
    quiz: QuizSettings | None
    question_count: int
    video_status: str | None
    """The video asset's processing status (uploaded, processing, ready, failed)."""
    video_progress: int | None


class SectionAdmin(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    position: int
    title: str
    lessons: list[LessonAdmin]


class VersionAdmin(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    number: int
    title: str
    description: str
    language: str
    cover_asset_id: uuid.UUID | None
    estimated_minutes: int
    prerequisites: list[uuid.UUID]
    reading_min_seconds: int
    video_threshold: float
    created_at: datetime
    published_at: datetime | None
    editable: bool
    sections: list[SectionAdmin]


class VersionSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    number: int
    title: str
    created_at: datetime
    published_at: datetime | None
    published_by: uuid.UUID | None
    current: bool
    learners: int
    """Enrolments pinned to this version."""


class CourseAdmin(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    code: str
    status: CourseStatus
    audience: Audience
    current_version_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    revision: str
    """Send it back as `If-Match` to edit only what you saw (412 otherwise)."""
    draft: VersionAdmin | None
    published: VersionAdmin | None
    versions: list[VersionSummary]
    problems: list[PublishProblem]
    """What would stop the draft from being published now."""


class CourseAdminItem(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    code: str
    status: CourseStatus
    audience: Audience
    title: str
    version_number: int | None
    """The published version's number."""
    has_draft: bool
    updated_at: datetime
    learners: int


class CourseAdminPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[CourseAdminItem]
    next_cursor: str | None


# --- learners ----------------------------------------------------------------------------------


class CourseRef(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    title: str
    completed: bool = False
    """The caller has completed it (prerequisites)."""


class CourseSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    code: str
    title: str
    description: str
    language: str
    estimated_minutes: int
    audience: Audience
    cover_url: str | None
    """A link that redirects to the cover's signed URL."""
    lesson_count: int
    version_number: int
    published_at: datetime | None


class CoursePage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[CourseSummary]
    next_cursor: str | None


class LessonOutline(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    kind: LessonKind
    title: str
    required: bool
    position: int
    duration_ms: int | None
    state: LessonState | None = None
    """The enrolled caller's state (none for a visitor)."""
    percent: int | None = None
    """Video: share of the duration watched; reading: 100 when done."""
    best_percent: float | None = None
    """Quiz: the caller's best graded attempt."""


class SectionOutline(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    position: int
    title: str
    lessons: list[LessonOutline]


class Enrolment(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    course_id: uuid.UUID
    version_id: uuid.UUID
    status: EnrolmentStatus
    enrolled_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    progress_percent: int
    required_done: int
    required_total: int
    due_at: datetime | None
    mandatory: bool


class CourseOutline(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    code: str
    status: CourseStatus
    title: str
    description: str
    language: str
    estimated_minutes: int
    audience: Audience
    cover_url: str | None
    version_id: uuid.UUID
    version_number: int
    prerequisites: list[CourseRef]
    sections: list[SectionOutline]
    enrolment: Enrolment | None
    """The caller's, with the state of each lesson above (of the version it pins)."""
    next_lesson_id: uuid.UUID | None
    """Where "continue" goes: the first required lesson not completed, in outline order."""
    newer_version: bool
    """A newer version exists than the one the caller's enrolment pins."""


class NextLesson(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    kind: LessonKind
    title: str


class MyCourse(msgspec.Struct, frozen=True, kw_only=True):
    course_id: uuid.UUID
    code: str
    title: str
    course_status: CourseStatus
    enrolment_id: uuid.UUID
    status: EnrolmentStatus
    progress_percent: int
    required_done: int
    required_total: int
    next_lesson: NextLesson | None
    due_at: datetime | None
    overdue: bool
    mandatory: bool
    enrolled_at: datetime
    last_activity_at: datetime | None
    completed_at: datetime | None
    certificate_code: str | None


class MyCourses(msgspec.Struct, frozen=True, kw_only=True):
    items: list[MyCourse]


# --- a lesson as the learner opens it -------------------------------------------------------------


class VideoRendition(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    mime: str
    url: str
    width: int | None
    height: int | None
    bitrate: int | None


class VideoLesson(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    """The video's processing status (ready when it plays)."""
    hls_url: str | None
    """The master playlist (lowest rung first, and an audio-only variant)."""
    mp4: list[VideoRendition]
    """MP4 renditions, lowest first (Chromium plays them natively)."""
    audio_url: str | None
    """The audio-only rendition (AAC in MP4), for 2G-class links."""
    audio_hls_url: str | None
    poster_url: str | None
    captions_url: str | None
    duration_ms: int
    position_ms: int
    """Where to resume."""
    watched_ms: int
    watched_percent: int
    threshold_percent: int
    """Share of the duration to watch to complete it."""


class ReadingAttachment(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str
    mime: str
    size: int | None
    url: str


class ReadingLesson(msgspec.Struct, frozen=True, kw_only=True):
    body_html: str
    attachments: list[ReadingAttachment]
    min_seconds: int
    """Open this long to complete it (0: only "done" completes it)."""
    open_ms: int


class QuizLesson(msgspec.Struct, frozen=True, kw_only=True):
    settings: QuizSettings
    attempts_used: int
    attempts_left: int | None
    """None: no limit."""
    best_percent: float | None
    passed: bool
    open_attempt_id: uuid.UUID | None


class LessonOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    course_id: uuid.UUID
    enrolment_id: uuid.UUID
    section_id: uuid.UUID
    kind: LessonKind
    title: str
    required: bool
    completed: bool
    completed_at: datetime | None
    course_closed: bool
    """The course is archived: the lesson can be read, progress is no longer recorded."""
    previous_lesson_id: uuid.UUID | None
    next_lesson_id: uuid.UUID | None
    video: VideoLesson | None = None
    reading: ReadingLesson | None = None
    quiz: QuizLesson | None = None
