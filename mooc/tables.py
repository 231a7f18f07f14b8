"""Tables of the MOOC for civil servants (plan model 20).

A course is a stable identity (`mooc_courses`) with numbered versions (`mooc_course_versions`).
Sections, lessons and quiz questions belong to one version. A version is a draft while
authors edit it, becomes the course's current version when published, and is never edited
again once published: editing a published course copies its current version into a new draft
(lessons keep their `key` across copies), and publishing that draft serves new learners only.
An enrolment pins the version its learner started on, so their progress never breaks.

Progress is kept per enrolment and lesson. For video the watched time is the union of watched
intervals, a PostgreSQL `int4multirange` of milliseconds (`watched`): adding an interval is a
union (`watched + $interval`), which is commutative, idempotent and never lowers anything, so
late, duplicate or reordered heartbeats and offline batches all give the same result. That
column is declared by the SQL migration (Piccolo has no multirange type) and is read and
written by raw SQL in the repository. The resume position is the one of the latest beat by the
client's clock (`position_at`), whatever the order beats arrive in.

Completion is recorded once: `completed_at` is set by `UPDATE … WHERE completed_at IS NULL`,
the certificate is unique per enrolment. Quizzes are lessons of kind `quiz`; an attempt keeps
the questions drawn for it and the order of their options, its answers (saved as the learner
goes), its deadline (enforced by the server) and its grade.

Mandatory training is an assignment of a course to an agency, a department of an agency or a
role, with a due date and reminder offsets; its members are enrolled (and members who join
later, by a periodic job). Enrolments copy the learner's agency and department at enrolment so
that the managers' reports are one grouped query over `mooc_enrolments`.

Foreign keys, uniqueness and checks Piccolo cannot declare are added by the SQL migration.
"""

from decimal import Decimal

from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    Boolean,
    Integer,
    Numeric,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Course(Table, tablename="mooc_courses"):
    """A course. `status`: draft (never published), published, archived (closed: no new
    enrolments, no new progress). `audience`: civil_servants, or public (citizens may enrol
    too). `current_version_id` is the published version new learners get."""

    id = UUID(primary_key=True)
    code = Varchar(length=40, unique=True)
    status = Varchar(length=10, default="draft", index=True)
    audience = Varchar(length=16, default="civil_servants")
    current_version_id = UUID(null=True, default=None)
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class CourseVersion(Table, tablename="mooc_course_versions"):
    """One version of a course's content (unique per course and `number`). `published_at`
    null: a draft, editable; set: frozen. The texts of the catalogue live on the version."""

    id = UUID(primary_key=True)
    course_id = UUID(index=True)
    number = Integer()
    title = Varchar(length=200)
    description = Text(default="")
    language = Varchar(length=5, default="vi")
    cover_asset_id = UUID(null=True, default=None)
    estimated_minutes = Integer(default=60)
    prerequisites = Array(base_column=UUID())
    """Courses (ids) a learner must have completed before enrolling."""
    reading_min_seconds = Integer(default=30)
    """A reading lesson completes after being open this long, or on "done" (0: only "done")."""
    video_threshold = Numeric(digits=(4, 3), default=Decimal("0.9"))
    """Share of a video's duration that must have been watched to complete it."""
    created_at = Timestamptz()
    published_at = Timestamptz(null=True, default=None)
    published_by = UUID(null=True, default=None)


class Section(Table, tablename="mooc_sections"):
    id = UUID(primary_key=True)
    version_id = UUID(index=True)
    position = Integer()
    title = Varchar(length=200)


class Lesson(Table, tablename="mooc_lessons"):
    """A lesson of one version. `kind`: video, reading or quiz. `key` is the same for the
    copies of one lesson in every version of the course.

    - video: `asset_id` (a content media asset), `duration_ms` (from the asset once ready),
      `captions_asset_id` (WebVTT, optional);
    - reading: `body_html` (sanitized), `attachments` (asset ids);
    - quiz: `quiz` settings (JSON: `draw` questions per attempt, `time_limit_seconds`,
      `max_attempts`, `pass_percent`, `show_answers`), questions in `mooc_questions`.
    """

    id = UUID(primary_key=True)
    version_id = UUID(index=True)
    section_id = UUID(index=True)
    key = UUID()
    position = Integer()
    kind = Varchar(length=8)
    title = Varchar(length=200)
    required = Boolean(default=True)
    asset_id = UUID(null=True, default=None)
    captions_asset_id = UUID(null=True, default=None)
    duration_ms = Integer(null=True, default=None)
    body_html = Text(default="")
    attachments = Array(base_column=UUID())
    quiz = JSONB(default="{}")


class Question(Table, tablename="mooc_questions"):
    """A question of a quiz lesson's bank. `kind`: single, multiple, true_false or text.
    `options`: [{"id": "a", "text": …}, …] (none for text); `correct`: the ids of the correct
    options, or for text the accepted answers (compared without case, diacritics kept)."""

    id = UUID(primary_key=True)
    lesson_id = UUID(index=True)
    position = Integer()
    kind = Varchar(length=12)
    prompt = Text()
    options = JSONB(default="[]")
    correct = JSONB(default="[]")
    explanation = Text(default="")
    points = SmallInt(default=1)


class Enrolment(Table, tablename="mooc_enrolments"):
    """A learner in a course (unique per person and course). `status`: active, unenrolled
    (kept with its progress; enrolling again reactivates it) or completed. `progress_percent`
    is kept up to date as lessons complete (the dashboards read it, never recompute it).
    `agency_code`, `department` are the learner's when enrolled (the reports group by them);
    `assignment_id`, `due_at` when the enrolment comes from mandatory training."""

    id = UUID(primary_key=True)
    person_id = UUID(index=True)
    course_id = UUID(index=True)
    version_id = UUID()
    status = Varchar(length=12, default="active")
    enrolled_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    completed_at = Timestamptz(null=True, default=None)
    unenrolled_at = Timestamptz(null=True, default=None)
    progress_percent = SmallInt(default=0)
    required_done = Integer(default=0)
    required_total = Integer(default=0)
    last_lesson_id = UUID(null=True, default=None)
    last_activity_at = Timestamptz(null=True, default=None)
    best_score = Numeric(digits=(5, 2), null=True, default=None)
    """Mean of the best percentage of each required quiz, once any was submitted."""
    agency_code = Varchar(length=40, null=True, default=None, index=True)
    department = Varchar(length=120, null=True, default=None)
    assignment_id = UUID(null=True, default=None, index=True)
    due_at = Timestamptz(null=True, default=None)


class LessonProgress(Table, tablename="mooc_lesson_progress"):
    """One learner's progress in one lesson (primary key enrolment + lesson, set by the
    migration). Video: `watched` (int4multirange of ms, SQL only), `watched_ms` (its length),
    `position_ms` at `position_at`. Reading: `open_ms` (time open, summed from beats, each beat's
    interval counted once through `watched` too). `completed_at` once. Piccolo's implicit
    `id` column is dropped by the migration: query this table with raw SQL only."""

    enrolment_id = UUID()
    lesson_id = UUID()
    person_id = UUID(index=True)
    watched_ms = Integer(default=0)
    position_ms = Integer(default=0)
    position_at = Timestamptz(null=True, default=None)
    first_opened_at = Timestamptz()
    updated_at = Timestamptz()
    completed_at = Timestamptz(null=True, default=None)


class QuizAttempt(Table, tablename="mooc_quiz_attempts"):
    """An attempt at a quiz lesson (unique per enrolment, lesson and `number`). `questions`:
    [{"id": question id, "options": [option ids in the order shown]}, …]; `answers`:
    {question id: answer}. `status`: open, submitted or timed_out (graded at its deadline).
    `score` and `max_score` in points, `percent`, `passed` once graded."""

    id = UUID(primary_key=True)
    enrolment_id = UUID(index=True)
    lesson_id = UUID(index=True)
    person_id = UUID(index=True)
    number = SmallInt()
    status = Varchar(length=10, default="open")
    questions = JSONB()
    answers = JSONB(default="{}")
    started_at = Timestamptz()
    deadline_at = Timestamptz(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    score = Numeric(digits=(7, 2), null=True, default=None)
    max_score = Numeric(digits=(7, 2), null=True, default=None)
    percent = Numeric(digits=(5, 2), null=True, default=None)
    passed = Boolean(null=True, default=None)
    results = JSONB(default="{}")
    """Per question: points earned and whether it was right (what the review shows)."""


class Certificate(Table, tablename="mooc_certificates"):
    """A certificate of completion (unique per enrolment). `code`: the unguessable
    verification code printed as a QR code. The learner's name and the course title are the
    ones on the day of issue. `revoked_at` with `revoked_reason` when a course admin revokes."""

    id = UUID(primary_key=True)
    code = Varchar(length=32, unique=True)
    enrolment_id = UUID(unique=True)
    person_id = UUID(index=True)
    course_id = UUID(index=True)
    learner_name = Varchar(length=200)
    course_title = Varchar(length=200)
    issued_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    revoked_reason = Text(null=True, default=None)
    revoked_by = UUID(null=True, default=None)


class Assignment(Table, tablename="mooc_assignments"):
    """Mandatory training: a course assigned to `target_kind` agency (`agency_code`),
    department (`agency_code` + `department`) or role (`role`), due at `due_at`.
    `remind_days_before`: reminder offsets (days before the due date); overdue learners are
    reminded every `overdue_every_days` (0: once). `active` false: withdrawn (no new
    enrolments, no reminders)."""

    id = UUID(primary_key=True)
    course_id = UUID(index=True)
    target_kind = Varchar(length=12)
    agency_code = Varchar(length=40, null=True, default=None)
    department = Varchar(length=120, null=True, default=None)
    role = Varchar(length=40, null=True, default=None)
    due_at = Timestamptz()
    remind_days_before = Array(base_column=Integer())
    overdue_every_days = Integer(default=7)
    active = Boolean(default=True)
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz()
    last_synced_at = Timestamptz(null=True, default=None)


class Reminder(Table, tablename="mooc_reminders"):
    """A reminder sent (unique per enrolment and `slot`: "before:7", "due", "overdue:3"),
    so that each is sent once whatever the job's retries."""

    id = Serial(primary_key=True)
    enrolment_id = UUID(index=True)
    slot = Varchar(length=24)
    sent_at = Timestamptz()
