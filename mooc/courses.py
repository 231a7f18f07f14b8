"""Courses: authoring with frozen published versions, the catalogue, enrolment, "my learning"
and the lesson as a learner opens it.

Versions. A course's content lives in versions. A draft version is edited in place; a
published one never changes again. The first edit after publishing copies the current
version into a new draft (new ids for sections, lessons and quiz questions, the lessons' `key`s
kept), and publishing that draft makes it the version new learners get; learners already
enrolled keep the version their enrolment pins, with their progress. Authoring writes of one
course take its row lock, so two editors never make two drafts, and each write gives the
course a new `revision`: an editor who sends the revision they saw (`If-Match`) is refused with
412 if someone else edited meanwhile, instead of silently overwriting.

Who sees what. Civil servants (and course admins) see every published course; anyone else
signed in sees the `public` ones only. An enrolled learner sees the version their enrolment
pins, even once the course is archived (then read-only: progress is refused by
`mooc.context.learner_lesson(..., writing=True)`).

Hot reads (catalogue, my courses, outline, lesson open) are one or two queries: a published
version's outline is frozen, so it is kept in process; a ready video's signed URLs are reused
for a few minutes (they name no person).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import nh3
from markdown_it import MarkdownIt

from backend.access import Principal, Role
from backend.http.etag import VersionCache
from backend.http.pagination import PageRequest, decode_cursor, encode_cursor
from backend.identity.service import get_person_roles
from backend.settings import Settings
from backend.text import fold
from content.errors import MediaNotFound
from content.schemas import MediaAsset
from content.service import access_asset, do_attach, get_asset, get_storage, register_owner_kind
from mooc import course_repository as repo
from mooc.context import learner_lesson
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
    CourseAdminItem,
    CourseAdminPage,
    CourseCreate,
    CourseOutline,
    CoursePage,
    CourseRef,
    CourseSummary,
    CourseUpdate,
    Enrolment,
    LessonAdmin,
    LessonIn,
    LessonOut,
    LessonOutline,
    LessonUpdate,
    MyCourse,
    MyCourses,
    NextLesson,
    PublishProblem,
    QuizLesson,
    QuizSettings,
    ReadingAttachment,
    ReadingLesson,
    SectionAdmin,
    SectionIn,
    SectionOutline,
    SectionUpdate,
    VersionAdmin,
    VersionSummary,
    VideoLesson,
    VideoRendition,
)
from mooc.errors import CourseClosed, CourseNotFound, LessonNotFound

log = logging.getLogger(__name__)

AUTHOR_ROLES = frozenset({Role.COURSE_ADMIN, Role.SYSTEM_ADMIN})
"""Who authors courses (and reads any course's media)."""
STAFF_AUDIENCE_ROLES = frozenset({Role.CIVIL_SERVANT, Role.COURSE_ADMIN})
MEDIA_OWNER = "mooc_course"
"""Media assets a course uses (videos, attachments, cover) are attached to it under this kind."""
CAPTIONS_MAX_BYTES = 1024 * 1024
MY_COURSES_LIMIT = 500


def _now() -> datetime:
    return datetime.now(UTC)


def audiences_for(roles: Collection[str]) -> list[str]:
    """The course audiences people with these roles may see and enrol in."""
    if set(roles) & STAFF_AUDIENCE_ROLES:
        return ["civil_servants", "public"]
    return ["public"]


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def revision_of(updated_at: datetime) -> str:
    """The course's revision as the editor sees it: its `updated_at` in microseconds."""
    return str((updated_at - _EPOCH) // timedelta(microseconds=1))


def _quiz_settings(raw: Any) -> QuizSettings:
    if isinstance(raw, str):
        raw = msgspec.json.decode(raw or "{}")
    try:
        return msgspec.convert(raw or {}, QuizSettings)
    except msgspec.ValidationError:
        return QuizSettings()


# --- rich text -----------------------------------------------------------------------------------

_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_TAGS = {
    *("p", "br", "hr", "h2", "h3", "h4", "h5", "h6"),
    *("strong", "em", "b", "i", "u", "s", "del", "sub", "sup", "mark", "small"),
    *("blockquote", "code", "pre", "ul", "ol", "li", "a", "img", "figure", "figcaption"),
    *("table", "thead", "tbody", "tr", "th", "td", "caption"),
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}


def sanitize_body(body: str, body_format: str = "html") -> str:
    """A reading's body as stored and shown: Markdown rendered when asked, then nh3 keeps an
    allow-list of tags and attributes (no scripts, styles, event handlers or `javascript:`)."""
    html = _MARKDOWN.render(body) if body_format == "markdown" else body
    return nh3.clean(
        html,
        tags=set(_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


# --- folded search -------------------------------------------------------------------------------

_VIETNAMESE = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
FOLD_FROM = _VIETNAMESE
FOLD_TO = "".join(fold(ch) for ch in _VIETNAMESE)
"""`translate(lower(text), FOLD_FROM, FOLD_TO)` in SQL is `backend.text.fold` for Vietnamese."""
MAX_TERMS = 6


# --- caches of frozen data -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Outline:
    """A version's outline as every learner sees it (states are added per learner)."""

    sections: list[SectionOutline]
    order: list[uuid.UUID]
    """Lesson ids in outline order."""
    required: list[uuid.UUID]


_OUTLINES: dict[uuid.UUID, _Outline] = {}
_OUTLINES_MAX = 2048
_ASSET_VIEWS: dict[uuid.UUID, tuple[float, MediaAsset]] = {}
_ASSET_VIEWS_MAX = 4096


async def _version_outline(version_id: uuid.UUID) -> _Outline:
    """The outline of a version; a published one is read once per process (it never
    changes), a draft every time."""
    cached = _OUTLINES.get(version_id)
    if cached is not None:
        return cached
    version = await repo.get_version(version_id)
    sections = await repo.sections_of(version_id)
    lessons = await repo.lessons_of(version_id)
    by_section: dict[uuid.UUID, list[LessonOutline]] = {s["id"]: [] for s in sections}
    for row in lessons:
        by_section[row["section_id"]].append(
            LessonOutline(
                id=row["id"],
                kind=row["kind"],
                title=row["title"],
                required=row["required"],
                position=row["position"],
                duration_ms=row["duration_ms"],
            )
        )
    outline = _Outline(
        sections=[
            SectionOutline(
                id=s["id"], position=s["position"], title=s["title"], lessons=by_section[s["id"]]
            )
            for s in sections
        ],
        order=[row["id"] for row in lessons],
        required=[row["id"] for row in lessons if row["required"]],
    )
    if version is not None and version["published_at"] is not None:
        if len(_OUTLINES) >= _OUTLINES_MAX:
            _OUTLINES.clear()
        _OUTLINES[version_id] = outline
    return outline


def _asset_cache_seconds(settings: Settings) -> float:
    return min(300.0, settings.media_url_ttl_seconds / 4)


async def _asset_view(settings: Settings, asset_id: uuid.UUID) -> MediaAsset | None:
    """A lesson's media asset with signed URLs; a ready one is reused for a few minutes (its
    URLs name no person and stay valid far longer)."""
    now = time.monotonic()
    cached = _ASSET_VIEWS.get(asset_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    try:
        asset = await get_asset(settings, asset_id, include_original=True)
    except MediaNotFound:
        return None
    if asset.status == "ready":
        if len(_ASSET_VIEWS) >= _ASSET_VIEWS_MAX:
            _ASSET_VIEWS.clear()
        _ASSET_VIEWS[asset_id] = (now + _asset_cache_seconds(settings), asset)
    return asset


def forget_caches() -> None:
    """Drop the in-process caches (tests, demo reset)."""
    _OUTLINES.clear()
    _ASSET_VIEWS.clear()


_catalogue_version = VersionCache(seconds=1)


async def catalogue_version() -> str:
    """A validator of the catalogue (changes when any course is created, edited, published
    or archived); the caller's view is added by whoever derives a tag from it."""
    return await _catalogue_version.get(repo.catalogue_version)


# --- media of courses ----------------------------------------------------------------------------


async def _course_media_readable(principal: Principal | None, course_id: str) -> bool:
    """Content's rule for assets attached to a course: authors; learners enrolled in it; and
    whoever may see it in the catalogue."""
    if principal is None:
        return False
    if principal.roles & AUTHOR_ROLES:
        return True
    try:
        course = uuid.UUID(course_id)
    except ValueError:
        return False
    return await repo.person_may_see_course(principal.id, course, audiences_for(principal.roles))


register_owner_kind(MEDIA_OWNER, _course_media_readable)


def captions_key(captions_id: uuid.UUID) -> str:
    return f"mooc/captions/{captions_id.hex}.vtt"


async def do_store_captions(settings: Settings, body: bytes) -> Captions:
    """Store a WebVTT file for lessons (at most 1 MB, UTF-8, starting with "WEBVTT");
    immutable once stored: a new file gets a new id."""
    if len(body) > CAPTIONS_MAX_BYTES:
        raise CaptionsTooLarge()
    text = body.removeprefix(b"\xef\xbb\xbf")
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise CaptionsInvalid() from None
    first = decoded.split("\n", 1)[0].rstrip("\r")
    if not (first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))):
        raise CaptionsInvalid()
    captions_id = uuid.uuid4()
    key = captions_key(captions_id)
    store = get_storage(settings)

    async def chunks() -> AsyncIterable[bytes]:
        yield text

    stored = await store.write(key, chunks())
    return Captions(
        id=captions_id,
        url=store.url(key, expires_in=settings.media_url_ttl_seconds),
        size=stored.size,
    )


async def _check_captions(settings: Settings, captions_id: uuid.UUID) -> None:
    if await get_storage(settings).stat(captions_key(captions_id)) is None:
        raise CaptionsInvalid()


def captions_url(settings: Settings, captions_id: uuid.UUID | None) -> str | None:
    if captions_id is None:
        return None
    return get_storage(settings).url(
        captions_key(captions_id), expires_in=settings.media_url_ttl_seconds
    )


async def _check_video(settings: Settings, asset_id: uuid.UUID) -> None:
    try:
        asset = await get_asset(settings, asset_id)
    except MediaNotFound:
        raise LessonVideoInvalid() from None
    if asset.purpose != "course_video" or asset.kind != "video":
        raise LessonVideoInvalid()


async def _check_cover(settings: Settings, principal: Principal, asset_id: uuid.UUID) -> None:
    try:
        asset = await access_asset(settings, principal, asset_id)
    except MediaNotFound:
        raise CoverInvalid() from None
    if asset.purpose != "course_image" or asset.kind != "image":
        raise CoverInvalid()


async def _check_attachments(
    settings: Settings, principal: Principal, asset_ids: Collection[uuid.UUID]
) -> None:
    for asset_id in asset_ids:
        try:
            asset = await access_asset(settings, principal, asset_id)
        except MediaNotFound:
            raise LessonAttachmentInvalid() from None
        if not asset.purpose.startswith("course_"):
            raise LessonAttachmentInvalid()


async def _attach(course_id: uuid.UUID, *asset_ids: uuid.UUID | None) -> None:
    for asset_id in asset_ids:
        if asset_id is not None:
            await do_attach(asset_id, owner_kind=MEDIA_OWNER, owner_id=str(course_id))


# --- authoring -----------------------------------------------------------------------------------


def _minutes(hours: float) -> int:
    return max(0, round(hours * 60))


async def _check_prerequisites(course_id: uuid.UUID, ids: Collection[uuid.UUID]) -> list[uuid.UUID]:
    unique = list(dict.fromkeys(ids))
    if course_id in unique or len(await repo.courses_exist(unique)) != len(unique):
        raise PrerequisiteInvalid()
    return unique


async def do_create_course(settings: Settings, actor: Principal, data: CourseCreate) -> CourseAdmin:
    """A new course (status draft) with its first version, a draft."""
    at = _now()
    course_id = uuid.uuid4()
    if data.cover_asset_id is not None:
        await _check_cover(settings, actor, data.cover_asset_id)
    if not await repo.insert_course(course_id, data.code, data.audience, actor.id, at):
        raise CourseCodeTaken()
    prerequisites = await _check_prerequisites(course_id, data.prerequisites)
    await repo.insert_version(
        uuid.uuid4(),
        course_id,
        number=1,
        title=data.title.strip(),
        description=data.description.strip(),
        language=data.language,
        cover_asset_id=data.cover_asset_id,
        estimated_minutes=_minutes(data.estimated_hours),
        prerequisites=prerequisites,
        reading_min_seconds=data.reading_min_seconds,
        video_threshold=data.video_threshold,
        at=at,
    )
    await _attach(course_id, data.cover_asset_id)
    await _catalogue_version.changed()
    return await get_course_admin(settings, course_id)


@dataclass(frozen=True)
class _Draft:
    course_id: uuid.UUID
    version_id: uuid.UUID
    sections: dict[uuid.UUID, uuid.UUID]
    """Sections of the version just copied → their copies (empty when the draft existed)."""
    lessons: dict[uuid.UUID, uuid.UUID]


async def _begin_edit(course_id: uuid.UUID, expected: str | None) -> Any:
    course = await repo.lock_course(course_id)
    if course is None:
        raise CourseNotFound()
    if expected is not None and expected.strip('"') != revision_of(course["updated_at"]):
        raise CourseEditedConcurrently(revision=revision_of(course["updated_at"]))
    if course["status"] == "archived":
        raise CourseArchived()
    return course


async def _ensure_draft(course: Any, at: datetime) -> _Draft:
    """The course's draft version, made by copying its current version when there is none."""
    draft = await repo.draft_of(course["id"])
    if draft is not None:
        return _Draft(course["id"], draft["id"], {}, {})
    if course["current_version_id"] is None:  # pragma: no cover - a course always has one
        raise CourseNotFound()
    version_id = uuid.uuid4()
    number = await repo.next_version_number(course["id"])
    sections, lessons = await repo.copy_version(
        course["current_version_id"], version_id, number, at
    )
    return _Draft(course["id"], version_id, sections, lessons)


async def _edit(course_id: uuid.UUID, expected: str | None) -> tuple[_Draft, datetime]:
    at = _now()
    course = await _begin_edit(course_id, expected)
    draft = await _ensure_draft(course, at)
    await repo.touch_course(course_id, at)
    await _catalogue_version.changed()
    return draft, at


async def _draft_section(draft: _Draft, section_id: uuid.UUID) -> uuid.UUID:
    """The draft's section this id names: itself, or its copy when the edit just made the
    draft from the version it belongs to."""
    row = await repo.get_section(section_id)
    if row is None or row["course_id"] != draft.course_id:
        raise SectionNotFound()
    if row["version_id"] == draft.version_id:
        return section_id
    if section_id in draft.sections:
        return draft.sections[section_id]
    raise SectionNotFound()


async def _draft_lesson(draft: _Draft, lesson_id: uuid.UUID) -> Any:
    """The draft's lesson this id names: itself, or the draft's lesson of the same key."""
    row = await repo.get_lesson(lesson_id)
    if row is None or row["course_id"] != draft.course_id:
        raise LessonNotFound()
    if row["version_id"] != draft.version_id:
        mapped = await repo.lesson_in_version(draft.version_id, row["key"])
        if mapped is None:
            raise LessonNotFound()
        row = await repo.get_lesson(mapped)
    return row


async def do_update_course(
    settings: Settings,
    actor: Principal,
    course_id: uuid.UUID,
    data: CourseUpdate,
    *,
    expected: str | None = None,
) -> CourseAdmin:
    """Change the course's audience and its draft's texts and settings (the draft is made by
    copying the published version on the first edit)."""
    draft, _ = await _edit(course_id, expected)
    if data.audience is not msgspec.UNSET:
        await repo.set_course_fields(course_id, audience=data.audience)
    fields: dict[str, Any] = {}
    for name in ("title", "description"):
        value = getattr(data, name)
        if value is not msgspec.UNSET:
            fields[name] = value.strip()
    for name in ("language", "reading_min_seconds", "video_threshold"):
        value = getattr(data, name)
        if value is not msgspec.UNSET:
            fields[name] = value
    if data.estimated_hours is not msgspec.UNSET:
        fields["estimated_minutes"] = _minutes(data.estimated_hours)
    if data.cover_asset_id is not msgspec.UNSET:
        if data.cover_asset_id is not None:
            await _check_cover(settings, actor, data.cover_asset_id)
            await _attach(course_id, data.cover_asset_id)
        fields["cover_asset_id"] = data.cover_asset_id
    if data.prerequisites is not msgspec.UNSET:
        fields["prerequisites"] = await _check_prerequisites(course_id, data.prerequisites)
    if fields:
        await repo.set_version_fields(draft.version_id, **fields)
    return await get_course_admin(settings, course_id)


def _moved(ids: list[uuid.UUID], item: uuid.UUID, position: int | None) -> list[uuid.UUID]:
    """`ids` with `item` placed at 1-based `position` (at the end when None or beyond)."""
    rest = [i for i in ids if i != item]
    index = len(rest) if position is None else min(max(position - 1, 0), len(rest))
    return [*rest[:index], item, *rest[index:]]


async def do_add_section(
    settings: Settings, course_id: uuid.UUID, data: SectionIn, *, expected: str | None = None
) -> CourseAdmin:
    draft, _ = await _edit(course_id, expected)
    section_id = uuid.uuid4()
    ids = [s["id"] for s in await repo.sections_of(draft.version_id)]
    await repo.insert_section(section_id, draft.version_id, len(ids) + 1, data.title.strip())
    await repo.renumber_sections(_moved(ids, section_id, data.position))
    return await get_course_admin(settings, course_id)


async def do_update_section(
    settings: Settings,
    course_id: uuid.UUID,
    section_id: uuid.UUID,
    data: SectionUpdate,
    *,
    expected: str | None = None,
) -> CourseAdmin:
    """Rename or move a section of the draft."""
    draft, _ = await _edit(course_id, expected)
    section = await _draft_section(draft, section_id)
    if data.title is not msgspec.UNSET:
        await repo.set_section_title(section, data.title.strip())
    if data.position is not msgspec.UNSET:
        ids = [s["id"] for s in await repo.sections_of(draft.version_id)]
        await repo.renumber_sections(_moved(ids, section, data.position))
    return await get_course_admin(settings, course_id)


async def do_delete_section(
    settings: Settings, course_id: uuid.UUID, section_id: uuid.UUID, *, expected: str | None = None
) -> CourseAdmin:
    """Delete an empty section of the draft (one with lessons: `SectionNotEmpty`)."""
    draft, _ = await _edit(course_id, expected)
    section = await _draft_section(draft, section_id)
    if await repo.count_lessons_in_section(section):
        raise SectionNotEmpty()
    await repo.delete_section(section)
    await repo.renumber_sections([s["id"] for s in await repo.sections_of(draft.version_id)])
    return await get_course_admin(settings, course_id)


async def _lesson_content(
    settings: Settings,
    actor: Principal,
    course_id: uuid.UUID,
    kind: str,
    *,
    asset_id: uuid.UUID | None,
    captions_asset_id: uuid.UUID | None,
    attachments: list[uuid.UUID],
    quiz: QuizSettings | None,
) -> None:
    """Check what a lesson of `kind` refers to, and attach its media to the course."""
    if kind != "video" and (asset_id is not None or captions_asset_id is not None):
        raise LessonInvalid(
            "Chỉ bài học video mới có video và phụ đề.", "Only video lessons have a video."
        )
    if kind != "reading" and attachments:
        raise LessonInvalid(
            "Chỉ bài đọc mới có tệp đính kèm.", "Only reading lessons have attachments."
        )
    if kind != "quiz" and quiz is not None:
        raise LessonInvalid(
            "Chỉ bài kiểm tra mới có cài đặt bài kiểm tra.", "Only quiz lessons have quiz settings."
        )
    if asset_id is not None:
        await _check_video(settings, asset_id)
    if captions_asset_id is not None:
        await _check_captions(settings, captions_asset_id)
    await _check_attachments(settings, actor, attachments)
    await _attach(course_id, asset_id, *attachments)


async def do_add_lesson(
    settings: Settings,
    actor: Principal,
    course_id: uuid.UUID,
    data: LessonIn,
    *,
    expected: str | None = None,
) -> CourseAdmin:
    """Add a lesson to a section of the draft (video: a course video asset, optional WebVTT
    captions; reading: sanitized rich text and attachments; quiz: its settings, its questions
    added through the question bank)."""
    draft, _ = await _edit(course_id, expected)
    section = await _draft_section(draft, data.section_id)
    attachments = list(dict.fromkeys(data.attachments))
    await _lesson_content(
        settings,
        actor,
        course_id,
        data.kind,
        asset_id=data.asset_id,
        captions_asset_id=data.captions_asset_id,
        attachments=attachments,
        quiz=data.quiz,
    )
    lesson_id = uuid.uuid4()
    ids = await repo.lesson_ids_in_section(section)
    quiz = (data.quiz or QuizSettings()) if data.kind == "quiz" else None
    await repo.insert_lesson(
        lesson_id=lesson_id,
        version_id=draft.version_id,
        section_id=section,
        key=uuid.uuid4(),
        position=len(ids) + 1,
        kind=data.kind,
        title=data.title.strip(),
        required=data.required,
        asset_id=data.asset_id,
        captions_asset_id=data.captions_asset_id,
        body_html=sanitize_body(data.body, data.body_format) if data.kind == "reading" else "",
        attachments=attachments,
        quiz=msgspec.to_builtins(quiz) if quiz is not None else {},
    )
    await repo.renumber_lessons(section, _moved(ids, lesson_id, data.position))
    return await get_course_admin(settings, course_id)


async def do_update_lesson(
    settings: Settings,
    actor: Principal,
    course_id: uuid.UUID,
    lesson_id: uuid.UUID,
    data: LessonUpdate,
    *,
    expected: str | None = None,
) -> CourseAdmin:
    """Change a lesson of the draft (an id of the published version names the draft's
    lesson of the same key), or move it within or across sections."""
    draft, _ = await _edit(course_id, expected)
    lesson = await _draft_lesson(draft, lesson_id)
    kind = lesson["kind"]

    def given(name: str) -> Any:
        value = getattr(data, name)
        return lesson[name] if value is msgspec.UNSET else value

    attachments = list(dict.fromkeys(given("attachments") or []))
    quiz = data.quiz if data.quiz is not msgspec.UNSET else None
    await _lesson_content(
        settings,
        actor,
        course_id,
        kind,
        asset_id=given("asset_id"),
        captions_asset_id=given("captions_asset_id"),
        attachments=attachments if data.attachments is not msgspec.UNSET else [],
        quiz=quiz,
    )
    fields: dict[str, Any] = {}
    if data.title is not msgspec.UNSET:
        fields["title"] = data.title.strip()
    if data.required is not msgspec.UNSET:
        fields["required"] = data.required
    if data.asset_id is not msgspec.UNSET:
        fields["asset_id"] = data.asset_id
        fields["duration_ms"] = None  # read again from the asset at publication
    if data.captions_asset_id is not msgspec.UNSET:
        fields["captions_asset_id"] = data.captions_asset_id
    if data.body is not msgspec.UNSET:
        if kind != "reading":
            raise LessonInvalid("Chỉ bài đọc mới có nội dung.", "Only reading lessons have a body.")
        fields["body_html"] = sanitize_body(data.body, data.body_format)
    if data.attachments is not msgspec.UNSET:
        fields["attachments"] = attachments
    if quiz is not None:
        fields["quiz"] = msgspec.to_builtins(quiz)
    if fields:
        await repo.set_lesson_fields(lesson["id"], **fields)
    if data.section_id is not msgspec.UNSET or data.position is not msgspec.UNSET:
        target = lesson["section_id"]
        if data.section_id is not msgspec.UNSET:
            target = await _draft_section(draft, data.section_id)
        ids = await repo.lesson_ids_in_section(target)
        position = None if data.position is msgspec.UNSET else data.position
        await repo.renumber_lessons(target, _moved(ids, lesson["id"], position))
        if target != lesson["section_id"]:
            rest = await repo.lesson_ids_in_section(lesson["section_id"])
            await repo.renumber_lessons(lesson["section_id"], rest)
    return await get_course_admin(settings, course_id)


async def do_delete_lesson(
    settings: Settings, course_id: uuid.UUID, lesson_id: uuid.UUID, *, expected: str | None = None
) -> CourseAdmin:
    """Delete a lesson of the draft (its quiz questions go with it); learners of published
    versions keep theirs."""
    draft, _ = await _edit(course_id, expected)
    lesson = await _draft_lesson(draft, lesson_id)
    await repo.delete_lesson(lesson["id"])
    rest = await repo.lesson_ids_in_section(lesson["section_id"])
    await repo.renumber_lessons(lesson["section_id"], rest)
    return await get_course_admin(settings, course_id)


async def do_create_draft(
    settings: Settings, course_id: uuid.UUID, *, expected: str | None = None
) -> CourseAdmin:
    """Make sure the course has a draft to edit (a copy of the published version)."""
    await _edit(course_id, expected)
    return await get_course_admin(settings, course_id)


async def _publish_problems(
    settings: Settings, version_id: uuid.UUID
) -> tuple[list[PublishProblem], dict[uuid.UUID, int]]:
    """What stops the version from being published, and each video lesson's duration (ms)
    from its probed asset."""
    problems: list[PublishProblem] = []
    durations: dict[uuid.UUID, int] = {}
    sections = await repo.sections_of(version_id)
    lessons = await repo.lessons_of(version_id)
    if not lessons:
        problems.append(
            PublishProblem(
                code="no_lessons",
                message_vi="Khoá học chưa có bài học nào.",
                message_en="The course has no lessons.",
            )
        )
    used = {row["section_id"] for row in lessons}
    for section in sections:
        if section["id"] not in used:
            problems.append(
                PublishProblem(
                    code="section_empty",
                    section_id=section["id"],
                    message_vi=f"Phần “{section['title']}” chưa có bài học.",
                    message_en=f"Section “{section['title']}” has no lessons.",
                )
            )
    for row in lessons:
        title = row["title"]
        if row["kind"] == "video":
            asset = (
                None if row["asset_id"] is None else await _asset_view(settings, row["asset_id"])
            )
            if asset is None:
                problems.append(
                    PublishProblem(
                        code="video_missing",
                        lesson_id=row["id"],
                        message_vi=f"Bài “{title}” chưa có video.",
                        message_en=f"Lesson “{title}” has no video.",
                    )
                )
            elif asset.status == "failed":
                problems.append(
                    PublishProblem(
                        code="video_failed",
                        lesson_id=row["id"],
                        message_vi=f"Video của bài “{title}” xử lý thất bại: hãy tải lên lại.",
                        message_en=(
                            f"The video of lesson “{title}” failed to process: upload it again."
                        ),
                    )
                )
            elif asset.status != "ready" or not asset.duration_seconds:
                problems.append(
                    PublishProblem(
                        code="video_not_ready",
                        lesson_id=row["id"],
                        message_vi=f"Video của bài “{title}” đang được xử lý.",
                        message_en=f"The video of lesson “{title}” is still being processed.",
                    )
                )
            else:
                durations[row["id"]] = round(asset.duration_seconds * 1000)
        elif row["kind"] == "quiz":
            draw = max(1, _quiz_settings(row["quiz"]).draw)
            if row["question_count"] < draw:
                problems.append(
                    PublishProblem(
                        code="quiz_too_few_questions",
                        lesson_id=row["id"],
                        message_vi=(
                            f"Bài kiểm tra “{title}” có {row['question_count']} câu hỏi,"
                            f" cần ít nhất {draw}."
                        ),
                        message_en=(
                            f"Quiz “{title}” has {row['question_count']} questions,"
                            f" it needs at least {draw}."
                        ),
                    )
                )
    return problems, durations


async def do_publish(
    settings: Settings, actor: Principal, course_id: uuid.UUID, *, expected: str | None = None
) -> CourseAdmin:
    """Publish the draft: it becomes the version new learners get, frozen from now on. Checks
    first (`PublishBlocked` with every problem): at least one lesson, no empty section, each
    video ready (its duration taken from the probed asset), each quiz with at least as many
    questions as it draws. Publishing an archived course's draft reopens it."""
    at = _now()
    course = await repo.lock_course(course_id)
    if course is None:
        raise CourseNotFound()
    if expected is not None and expected.strip('"') != revision_of(course["updated_at"]):
        raise CourseEditedConcurrently(revision=revision_of(course["updated_at"]))
    draft = await repo.draft_of(course_id)
    if draft is None:
        raise NothingToPublish()
    problems, durations = await _publish_problems(settings, draft["id"])
    if problems:
        raise PublishBlocked(problems=[msgspec.to_builtins(p) for p in problems])
    await repo.set_durations(durations)
    await repo.publish_version(course_id, draft["id"], actor.id, at)
    await repo.touch_course(course_id, at)
    await _catalogue_version.changed()
    return await get_course_admin(settings, course_id)


async def do_archive(
    settings: Settings, course_id: uuid.UUID, *, expected: str | None = None
) -> CourseAdmin:
    """Close the course: out of the catalogue, no new enrolment, no new progress; enrolled
    learners still read what they learnt. Idempotent."""
    at = _now()
    course = await repo.lock_course(course_id)
    if course is None:
        raise CourseNotFound()
    if expected is not None and expected.strip('"') != revision_of(course["updated_at"]):
        raise CourseEditedConcurrently(revision=revision_of(course["updated_at"]))
    if course["status"] != "archived":
        await repo.set_course_fields(course_id, status="archived")
        await repo.touch_course(course_id, at)
        await _catalogue_version.changed()
    return await get_course_admin(settings, course_id)


# --- authoring: reading --------------------------------------------------------------------------


async def _version_admin(settings: Settings, version: Any) -> VersionAdmin:
    sections = await repo.sections_of(version["id"])
    lessons = await repo.lessons_of(version["id"])
    by_section: dict[uuid.UUID, list[LessonAdmin]] = {s["id"]: [] for s in sections}
    for row in lessons:
        asset = None
        if row["kind"] == "video" and row["asset_id"] is not None:
            asset = await _asset_view(settings, row["asset_id"])
        by_section[row["section_id"]].append(
            LessonAdmin(
                id=row["id"],
                key=row["key"],
                section_id=row["section_id"],
                position=row["position"],
                kind=row["kind"],
                title=row["title"],
                required=row["required"],
                asset_id=row["asset_id"],
                captions_asset_id=row["captions_asset_id"],
                duration_ms=row["duration_ms"],
                body_html=row["body_html"],
                attachments=list(row["attachments"] or []),
                quiz=_quiz_settings(row["quiz"]) if row["kind"] == "quiz" else None,
                question_count=row["question_count"],
                video_status=asset.status if asset else None,
                video_progress=asset.progress if asset else None,
            )
        )
    return VersionAdmin(
        id=version["id"],
        number=version["number"],
        title=version["title"],
        description=version["description"],
        language=version["language"],
        cover_asset_id=version["cover_asset_id"],
        estimated_minutes=version["estimated_minutes"],
        prerequisites=list(version["prerequisites"] or []),
        reading_min_seconds=version["reading_min_seconds"],
        video_threshold=float(version["video_threshold"]),
        created_at=version["created_at"],
        published_at=version["published_at"],
        editable=version["published_at"] is None,
        sections=[
            SectionAdmin(
                id=s["id"], position=s["position"], title=s["title"], lessons=by_section[s["id"]]
            )
            for s in sections
        ],
    )


async def get_course_admin(settings: Settings, course_id: uuid.UUID) -> CourseAdmin:
    """A course as its authors see it: the draft being edited (if any), the published
    version, every version with its number of learners, and what would stop publishing."""
    course = await repo.get_course(course_id)
    if course is None:
        raise CourseNotFound()
    draft = await repo.draft_of(course_id)
    current = (
        await repo.get_version(course["current_version_id"])
        if course["current_version_id"]
        else None
    )
    problems = (await _publish_problems(settings, draft["id"]))[0] if draft else []
    return CourseAdmin(
        id=course["id"],
        code=course["code"],
        status=course["status"],
        audience=course["audience"],
        current_version_id=course["current_version_id"],
        created_at=course["created_at"],
        updated_at=course["updated_at"],
        revision=revision_of(course["updated_at"]),
        draft=await _version_admin(settings, draft) if draft else None,
        published=await _version_admin(settings, current) if current else None,
        versions=[
            VersionSummary(
                id=v["id"],
                number=v["number"],
                title=v["title"],
                created_at=v["created_at"],
                published_at=v["published_at"],
                published_by=v["published_by"],
                current=v["id"] == course["current_version_id"],
                learners=v["learners"],
            )
            for v in await repo.versions_of(course_id)
        ],
        problems=problems,
    )


ADMIN_CURSOR = "mooc_courses_admin"


async def list_courses_admin(status: str | None, page: PageRequest) -> CourseAdminPage:
    """Every course (any status, or one), most recently edited first."""
    after = None
    if page.cursor:
        at, last = decode_cursor(page.cursor, ADMIN_CURSOR, (datetime, uuid.UUID))
        after = (at, last)
    rows = await repo.admin_page(status, after, page.limit + 1)
    items = [
        CourseAdminItem(
            id=r["id"],
            code=r["code"],
            status=r["status"],
            audience=r["audience"],
            title=r["title"],
            version_number=r["version_number"],
            has_draft=r["has_draft"],
            updated_at=r["updated_at"],
            learners=r["learners"],
        )
        for r in rows[: page.limit]
    ]
    next_cursor = None
    if len(rows) > page.limit:
        last_item = items[-1]
        next_cursor = encode_cursor(ADMIN_CURSOR, (last_item.updated_at, last_item.id))
    return CourseAdminPage(items=items, next_cursor=next_cursor)


# --- the catalogue and the outline ---------------------------------------------------------------

CATALOGUE_CURSOR = "mooc_catalogue"


def cover_link(course_id: uuid.UUID, cover_asset_id: uuid.UUID | None) -> str | None:
    return None if cover_asset_id is None else f"/api/v1/courses/{course_id}/cover"


async def list_catalogue(
    roles: Collection[str], page: PageRequest, query: str | None = None
) -> CoursePage:
    """Published courses the caller may enrol in (civil servants: all; others: the public
    ones), newest first; `query` matches title and description without diacritics."""
    after = None
    if page.cursor:
        at, last = decode_cursor(page.cursor, CATALOGUE_CURSOR, (datetime, uuid.UUID))
        after = (at, last)
    terms = fold(query).split()[:MAX_TERMS] if query else []
    rows = await repo.catalogue_page(
        audiences_for(roles), terms, after, page.limit + 1, FOLD_FROM, FOLD_TO
    )
    items = [
        CourseSummary(
            id=r["id"],
            code=r["code"],
            title=r["title"],
            description=r["description"],
            language=r["language"],
            estimated_minutes=r["estimated_minutes"],
            audience=r["audience"],
            cover_url=cover_link(r["id"], r["cover_asset_id"]),
            lesson_count=r["lesson_count"],
            version_number=r["number"],
            published_at=r["published_at"],
        )
        for r in rows[: page.limit]
    ]
    next_cursor = None
    if len(rows) > page.limit:
        last_row = rows[page.limit - 1]
        next_cursor = encode_cursor(CATALOGUE_CURSOR, (last_row["published_at"], last_row["id"]))
    return CoursePage(items=items, next_cursor=next_cursor)


def _enrolment(row: Any) -> Enrolment:
    return Enrolment(
        id=row["id"],
        course_id=row["course_id"],
        version_id=row["version_id"],
        status=row["status"],
        enrolled_at=row["enrolled_at"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        progress_percent=row["progress_percent"],
        required_done=row["required_done"],
        required_total=row["required_total"],
        due_at=row["due_at"],
        mandatory=row["assignment_id"] is not None,
    )


def _percent(part: int | None, whole: int | None) -> int:
    if not part or not whole:
        return 0
    return min(100, part * 100 // whole)


async def get_outline(principal: Principal, course_id: uuid.UUID) -> CourseOutline:
    """The course's outline: for an enrolled learner, the version their enrolment pins with
    each lesson's state (not started / in progress with its percent / completed, a quiz's
    best score); for anyone else who may see it, the current version."""
    enrolment = await repo.enrolment_of(principal.id, course_id)
    if enrolment is not None and enrolment["status"] == "unenrolled":
        enrolment = None
    course = await repo.course_with_version(
        course_id, enrolment["version_id"] if enrolment else None
    )
    if course is None:
        raise CourseNotFound()
    if enrolment is None and (
        course["status"] != "published" or course["audience"] not in audiences_for(principal.roles)
    ):
        raise CourseNotFound()
    outline = await _version_outline(course["id"])
    states: dict[uuid.UUID, Any] = {}
    if enrolment is not None:
        states = {r["lesson_id"]: r for r in await repo.lesson_states(enrolment["id"])}
    sections = outline.sections
    next_lesson: uuid.UUID | None = outline.order[0] if outline.order else None
    if enrolment is not None:
        sections = [
            msgspec.structs.replace(
                section,
                lessons=[_with_state(lesson, states.get(lesson.id)) for lesson in section.lessons],
            )
            for section in outline.sections
        ]
        done = {lid for lid, r in states.items() if r["completed_at"] is not None}
        next_lesson = next((lid for lid in outline.required if lid not in done), None)
        if next_lesson is None and enrolment["completed_at"] is None:
            next_lesson = next((lid for lid in outline.order if lid not in done), None)
    prerequisite_ids = list(course["prerequisite_ids"] or [])
    completed = (
        await repo.completed_courses(principal.id, prerequisite_ids) if prerequisite_ids else set()
    )
    return CourseOutline(
        id=course_id,
        code=course["code"],
        status=course["status"],
        title=course["title"],
        description=course["description"],
        language=course["language"],
        estimated_minutes=course["estimated_minutes"],
        audience=course["audience"],
        cover_url=cover_link(course_id, course["cover_asset_id"]),
        version_id=course["id"],
        version_number=course["number"],
        prerequisites=[
            CourseRef(id=pid, title=title, completed=pid in completed)
            for pid, title in zip(prerequisite_ids, course["prerequisite_titles"], strict=False)
        ],
        sections=sections,
        enrolment=_enrolment(enrolment) if enrolment is not None else None,
        next_lesson_id=next_lesson,
        newer_version=enrolment is not None
        and course["current_version_id"] is not None
        and course["current_version_id"] != enrolment["version_id"],
    )


def _with_state(lesson: LessonOutline, state: Any) -> LessonOutline:
    if state is None:
        return msgspec.structs.replace(lesson, state="not_started", percent=0)
    best = float(state["best"]) if state["best"] is not None else None
    if state["completed_at"] is not None:
        return msgspec.structs.replace(lesson, state="completed", percent=100, best_percent=best)
    percent = _percent(state["watched_ms"], lesson.duration_ms) if lesson.kind == "video" else 0
    return msgspec.structs.replace(lesson, state="in_progress", percent=percent, best_percent=best)


async def cover_url_for(settings: Settings, principal: Principal, course_id: uuid.UUID) -> str:
    """The signed URL of the course's cover, for a caller who may see the course."""
    enrolment = await repo.enrolment_of(principal.id, course_id)
    version_id = enrolment["version_id"] if enrolment is not None else None
    course = await repo.course_with_version(course_id, version_id)
    may_see = principal.roles & AUTHOR_ROLES or (
        course is not None
        and (
            enrolment is not None
            or (
                course["status"] == "published"
                and course["audience"] in audiences_for(principal.roles)
            )
        )
    )
    if course is None or not may_see or course["cover_asset_id"] is None:
        raise CourseNotFound()
    asset = await _asset_view(settings, course["cover_asset_id"])
    url = None
    if asset is not None:
        url = next((r.url for r in asset.renditions), None) or asset.original_url
    if url is None:
        raise CourseNotFound()
    return url


# --- enrolment -----------------------------------------------------------------------------------


async def learner_unit(person_id: uuid.UUID) -> tuple[str | None, str | None]:
    """The agency (and department, once identity keeps one) of the person's civil servant
    grant: what an enrolment records for the managers' reports."""
    for grant in await get_person_roles(person_id):
        if grant.role == Role.CIVIL_SERVANT and grant.agency is not None:
            department = getattr(grant, "department", None)
            return grant.agency.code, department if isinstance(department, str) else None
    return None, None


async def do_enrol(
    person_id: uuid.UUID,
    course_id: uuid.UUID,
    *,
    roles: Collection[str],
    at: datetime | None = None,
) -> Enrolment:
    """Enrol the person in the course's current version. Idempotent: an active or completed
    enrolment is returned as it is; a left one is reactivated (the same row, its version and
    progress kept). Refused: a course the person may not see (`CourseNotFound`), an archived
    one (`CourseClosed`), prerequisites not completed (`PrerequisiteMissing`, listing them)."""
    at = at or _now()
    existing = await repo.enrolment_of(person_id, course_id)
    if existing is not None and existing["status"] != "unenrolled":
        return _enrolment(existing)
    course = await repo.course_with_version(course_id, None)
    if course is None or course["status"] == "draft":
        raise CourseNotFound()
    if existing is None and course["audience"] not in audiences_for(roles):
        raise CourseNotFound()
    if course["status"] == "archived":
        raise CourseClosed()
    if existing is None:
        prerequisite_ids = list(course["prerequisite_ids"] or [])
        if prerequisite_ids:
            done = await repo.completed_courses(person_id, prerequisite_ids)
            missing = [
                {"id": str(pid), "title": title}
                for pid, title in zip(prerequisite_ids, course["prerequisite_titles"], strict=False)
                if pid not in done
            ]
            if missing:
                raise PrerequisiteMissing(missing=missing)
        agency, department = await learner_unit(person_id)
    else:
        agency, department = existing["agency_code"], existing["department"]
    row = await repo.enrol(
        enrolment_id=uuid.uuid4(),
        person_id=person_id,
        course_id=course_id,
        version_id=course["current_version_id"],
        agency_code=agency,
        department=department,
        at=at,
    )
    return _enrolment(row)


async def do_unenrol(
    person_id: uuid.UUID, course_id: uuid.UUID, *, at: datetime | None = None
) -> Enrolment:
    """Leave a course (progress kept; enrolling again reactivates it). Mandatory training
    cannot be left while its assignment is in force (`EnrolmentMandatory`); a completed course
    stays completed; never enrolled: `EnrolmentNotFound`. Idempotent."""
    existing = await repo.enrolment_of(person_id, course_id)
    if existing is None:
        raise EnrolmentNotFound()
    if existing["assignment_active"] and existing["status"] != "completed":
        raise EnrolmentMandatory()
    if existing["status"] != "active":
        return _enrolment(existing)
    row = await repo.unenrol(person_id, course_id, at or _now())
    return _enrolment(row or existing)


async def list_my_courses(person_id: uuid.UUID, *, now: datetime | None = None) -> MyCourses:
    """My learning, in one query: each course I am in (not left) with its progress, the next
    required lesson, the due date (overdue when past and not completed), status and the
    certificate; unfinished ones first by due date, then by latest activity."""
    now = now or _now()
    rows = await repo.my_courses(person_id, now, MY_COURSES_LIMIT)
    return MyCourses(
        items=[
            MyCourse(
                course_id=r["course_id"],
                code=r["code"],
                title=r["title"],
                course_status=r["course_status"],
                enrolment_id=r["enrolment_id"],
                status=r["status"],
                progress_percent=r["progress_percent"],
                required_done=r["required_done"],
                required_total=r["required_total"],
                next_lesson=NextLesson(id=r["next_id"], kind=r["next_kind"], title=r["next_title"])
                if r["next_id"] is not None
                else None,
                due_at=r["due_at"],
                overdue=r["due_at"] is not None and r["completed_at"] is None and r["due_at"] < now,
                mandatory=r["assignment_id"] is not None,
                enrolled_at=r["enrolled_at"],
                last_activity_at=r["last_activity_at"],
                completed_at=r["completed_at"],
                certificate_code=r["certificate_code"],
            )
            for r in rows
        ]
    )


# --- a lesson as the learner opens it ------------------------------------------------------------


def _hls_sibling(hls_url: str, relative: str) -> str:
    """A playlist beside the master, under the master's signed prefix."""
    return hls_url.rsplit("/", 1)[0] + "/" + relative


async def open_lesson(settings: Settings, person_id: uuid.UUID, lesson_id: uuid.UUID) -> LessonOut:
    """The lesson for its enrolled learner (`mooc.context.learner_lesson` decides who):
    video → signed HLS master and MP4 renditions (lowest first), the audio-only rendition,
    captions, duration, resume position and watched share; reading → body, attachments and
    whether done; quiz → settings and the learner's attempts. Writes nothing (opening time is
    recorded by the progress heartbeats)."""
    context = await learner_lesson(person_id, lesson_id)
    row = await repo.lesson_for_learner(context.enrolment_id, lesson_id, context.kind == "quiz")
    if row is None:  # pragma: no cover - the lesson was just read
        raise LessonNotFound()
    outline = await _version_outline(context.version_id)
    index = outline.order.index(lesson_id) if lesson_id in outline.order else -1
    previous_id = outline.order[index - 1] if index > 0 else None
    next_id = outline.order[index + 1] if 0 <= index < len(outline.order) - 1 else None
    video = reading = quiz = None
    if context.kind == "video":
        video = await _video(settings, context, row)
    elif context.kind == "reading":
        attachments = []
        for asset_id in row["attachments"] or []:
            asset = await _asset_view(settings, asset_id)
            if asset is None or asset.status != "ready":
                continue
            url = asset.original_url or next((r.url for r in asset.renditions), None)
            if url is None:
                continue
            attachments.append(
                ReadingAttachment(
                    id=asset.id,
                    name=asset.original_filename,
                    mime=asset.mime,
                    size=asset.size,
                    url=url,
                )
            )
        reading = ReadingLesson(
            body_html=row["body_html"],
            attachments=attachments,
            min_seconds=context.reading_min_seconds,
            open_ms=row["watched_ms"] or 0,
        )
    else:
        settings_of_quiz = _quiz_settings(context.quiz)
        used = row["used"] or 0
        quiz = QuizLesson(
            settings=settings_of_quiz,
            attempts_used=used,
            attempts_left=(
                max(0, settings_of_quiz.max_attempts - used)
                if settings_of_quiz.max_attempts
                else None
            ),
            best_percent=float(row["best"]) if row["best"] is not None else None,
            passed=bool(row["passed"]),
            open_attempt_id=row["open_id"],
        )
    return LessonOut(
        id=lesson_id,
        course_id=context.course_id,
        enrolment_id=context.enrolment_id,
        section_id=context.section_id,
        kind=context.kind,  # type: ignore[arg-type]  # the table's check keeps it to the three
        title=context.title,
        required=context.required,
        completed=row["completed_at"] is not None,
        completed_at=row["completed_at"],
        course_closed=context.course_status == "archived",
        previous_lesson_id=previous_id,
        next_lesson_id=next_id,
        video=video,
        reading=reading,
        quiz=quiz,
    )


async def _video(settings: Settings, context: Any, row: Any) -> VideoLesson:
    asset = await _asset_view(settings, context.asset_id) if context.asset_id else None
    renditions = asset.renditions if asset is not None else []
    hls = next((r.url for r in renditions if r.name == "hls"), None)
    mp4 = sorted(
        (r for r in renditions if r.mime == "video/mp4"),
        key=lambda r: (r.height or 0, r.bitrate or 0),
    )
    audio = next((r for r in renditions if r.name == "audio"), None)
    poster = next((r.url for r in renditions if r.name == "poster"), None)
    duration = context.duration_ms or (
        round(asset.duration_seconds * 1000) if asset is not None and asset.duration_seconds else 0
    )
    watched = row["watched_ms"] or 0
    return VideoLesson(
        status=asset.status if asset is not None else "missing",
        hls_url=hls,
        mp4=[
            VideoRendition(
                name=r.name,
                mime=r.mime,
                url=r.url,
                width=r.width,
                height=r.height,
                bitrate=r.bitrate,
            )
            for r in mp4
        ],
        audio_url=audio.url if audio is not None else None,
        audio_hls_url=_hls_sibling(hls, "audio/index.m3u8") if hls and audio else None,
        poster_url=poster,
        captions_url=captions_url(settings, context.captions_asset_id),
        duration_ms=duration,
        position_ms=row["position_ms"] or 0,
        watched_ms=watched,
        watched_percent=_percent(watched, duration),
        threshold_percent=round(context.video_threshold * 100),
    )
