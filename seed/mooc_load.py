"""Benchmark data of the MOOC (`ctn seed --mooc-learners N`): a catalogue of published courses
and N synthetic civil servants learning in it, written with COPY (asyncpg
`copy_records_to_table`), never through the services one row at a time. Never part of the
demo data.

- The catalogue (`catalogue()`, a pure function, so the benchmark knows every id and every
  correct answer without asking the database): 20 published courses (`BENCH-01`…, the last two
  open to citizens), each one version of 3 sections and 10 lessons: 6 videos of 3–12 minutes
  (no media: the load test does not play them), 2 readings, an optional practice quiz and a
  required final quiz, each quiz with a bank of 30 questions of the four kinds (10 drawn per
  attempt, 15 minutes, 3 attempts, 70 % to pass). Ids are UUIDv5 of fixed names: loading twice
  inserts nothing the second time.
- Mandatory training: one assignment per synthetic agency (`SYN-0001`…) of one of the first
  six courses, due between 10 days ago and 40 days ahead (so some learners are overdue).
- Learners: the first N synthetic civil servants by person id (`ctn seed --civil-servants`
  makes them; the command raises that count to N). Each is enrolled in three courses: the
  agency's mandatory one and two chosen at random, each enrolment in a state drawn at random
  (not started, in progress, ready for the final quiz, completed with its passed attempt and
  certificate), with progress rows whose `watched` multiranges are what heartbeats would have
  made (sometimes with a gap: a seek), submitted and a few open attempts, and the enrolment's
  counters (`required_done`, `progress_percent`, `best_score`) consistent with them. Every
  learner keeps at least one course not completed, whose final quiz is still to pass (the
  deadline burst of bench/mooc.py submits it).

The randomness of a learner is seeded by their person id, and learners who already have an
enrolment in a benchmark course are left as they are: a second run adds nothing, a run with a
larger N adds only the new learners.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

from backend.db import unit_of_work
from backend.identity.service import members_with_role
from mooc import sql
from mooc.certificates import new_code

NAMESPACE = uuid.UUID("6f4c2b7e-1d0a-4c55-9a43-3b8f1f0d5c21")
CODE_PREFIX = "BENCH-"
TABLES = (
    "mooc_courses",
    "mooc_course_versions",
    "mooc_sections",
    "mooc_lessons",
    "mooc_questions",
    "mooc_assignments",
    "mooc_enrolments",
    "mooc_lesson_progress",
    "mooc_quiz_attempts",
    "mooc_certificates",
)
BATCH = 5_000
"""Learners per transaction (one COPY per table each)."""

QUESTIONS_PER_QUIZ = 30
FINAL_QUIZ = {
    "draw": 10,
    "time_limit_seconds": 900,
    "max_attempts": 3,
    "pass_percent": 70,
    "show_answers": "after_submit",
}
PRACTICE_QUIZ = {
    "draw": 5,
    "time_limit_seconds": 0,
    "max_attempts": 10,
    "pass_percent": 50,
    "show_answers": "after_submit",
}

TITLES = [
    "Chuyển đổi số trong cơ quan nhà nước",
    "Kỹ năng giao tiếp với công dân",
    "An toàn thông tin cho cán bộ, công chức",
    "Cải cách thủ tục hành chính",
    "Văn hoá công vụ",
    "Quản lý văn bản điện tử",
    "Phòng, chống tham nhũng",
    "Dịch vụ công trực tuyến toàn trình",
    "Kỹ năng soạn thảo văn bản hành chính",
    "Luật Cán bộ, công chức",
    "Bảo vệ dữ liệu cá nhân",
    "Quản lý đất đai cấp xã",
    "Tiếp công dân và giải quyết khiếu nại",
    "Kỹ năng lãnh đạo, quản lý",
    "Sử dụng chữ ký số",
    "Phòng, chống thiên tai",
    "Bình đẳng giới trong công vụ",
    "Kỹ năng thuyết trình",
    "Kỹ năng số cho người dân",
    "Sơ cấp cứu ban đầu",
]
PUBLIC_COURSES = 2
"""The last courses of the list are open to citizens."""
MANDATORY_COURSES = 6
"""Assignments pick among the first courses."""

# (section, kind, required) of the ten lessons of every course, in outline order.
LAYOUT = [
    (0, "video", True),
    (0, "video", True),
    (0, "reading", True),
    (1, "video", True),
    (1, "video", True),
    (1, "quiz", False),  # practice quiz
    (1, "reading", True),
    (2, "video", True),
    (2, "video", True),
    (2, "quiz", True),  # final quiz
]
SECTIONS = ["Tổng quan", "Nội dung chính", "Thực hành và kiểm tra"]
READING_MS = 60_000
"""Open time after which a seeded reading counts as read (the versions' reading_min_seconds)."""


def bench_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts))


# --- the catalogue --------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchQuestion:
    id: uuid.UUID
    position: int
    kind: str
    """single, multiple, true_false or text."""
    prompt: str
    options: list[dict[str, str]]
    correct: list[str]


@dataclass(frozen=True)
class BenchLesson:
    id: uuid.UUID
    key: uuid.UUID
    section: int
    position: int
    kind: str
    title: str
    required: bool
    duration_ms: int | None
    quiz: dict[str, Any]
    questions: list[BenchQuestion] = field(default_factory=list)


@dataclass(frozen=True)
class BenchCourse:
    number: int
    id: uuid.UUID
    code: str
    version_id: uuid.UUID
    title: str
    audience: str
    section_ids: list[uuid.UUID]
    lessons: list[BenchLesson]

    @property
    def required(self) -> list[BenchLesson]:
        return [lesson for lesson in self.lessons if lesson.required]

    @property
    def final_quiz(self) -> BenchLesson:
        return self.lessons[-1]


def _questions(lesson_id: uuid.UUID, course: int) -> list[BenchQuestion]:
    found = []
    letters = "abcd"
    for n in range(QUESTIONS_PER_QUIZ):
        kind = ("single", "single", "multiple", "true_false", "single", "multiple", "text")[n % 7]
        qid = bench_id("question", lesson_id, n)
        if kind == "true_false":
            options = [{"id": "true", "text": "Đúng"}, {"id": "false", "text": "Sai"}]
            correct = ["true" if n % 2 else "false"]
            prompt = f"Câu {n + 1}: nhận định số {n + 1} của khoá {course} là đúng hay sai?"
        elif kind == "text":
            options = []
            correct = [f"đáp án {n + 1}", f"dap an {n + 1}"]
            prompt = f"Câu {n + 1}: điền đáp án (gợi ý: “đáp án {n + 1}”)."
        else:
            options = [{"id": c, "text": f"Phương án {c.upper()} của câu {n + 1}"} for c in letters]
            correct = (
                [letters[n % 4]] if kind == "single" else [letters[n % 4], letters[(n + 1) % 4]]
            )
            prompt = f"Câu {n + 1}: chọn {'một' if kind == 'single' else 'các'} phương án đúng."
        found.append(BenchQuestion(qid, n + 1, kind, prompt, options, correct))
    return found


def catalogue() -> list[BenchCourse]:
    """The benchmark's courses (deterministic: the same ids in every process)."""
    courses = []
    for number, title in enumerate(TITLES, start=1):
        course_id = bench_id("course", number)
        version_id = bench_id("version", number, 1)
        section_ids = [bench_id("section", number, s) for s in range(len(SECTIONS))]
        lessons = []
        rng = random.Random(number)  # noqa: S311  # durations, the same on every run
        for position, (section, kind, required) in enumerate(LAYOUT, start=1):
            lesson_id = bench_id("lesson", number, position)
            final = kind == "quiz" and required
            lesson_title = {
                "video": f"Bài giảng {position}: {title.lower()}",
                "reading": f"Tài liệu đọc {position}",
                "quiz": "Bài kiểm tra cuối khoá" if final else "Bài luyện tập",
            }[kind]
            lessons.append(
                BenchLesson(
                    id=lesson_id,
                    key=bench_id("lesson-key", number, position),
                    section=section,
                    position=position,
                    kind=kind,
                    title=lesson_title,
                    required=required,
                    duration_ms=rng.randint(180, 720) * 1000 if kind == "video" else None,
                    quiz=dict(FINAL_QUIZ if final else PRACTICE_QUIZ) if kind == "quiz" else {},
                    questions=_questions(lesson_id, number) if kind == "quiz" else [],
                )
            )
        courses.append(
            BenchCourse(
                number=number,
                id=course_id,
                code=f"{CODE_PREFIX}{number:02d}",
                version_id=version_id,
                title=title,
                audience="public" if number > len(TITLES) - PUBLIC_COURSES else "civil_servants",
                section_ids=section_ids,
                lessons=lessons,
            )
        )
    return courses


def answer_for(question: BenchQuestion, *, right: bool) -> Any:
    """An answer to `question` as the quiz API takes it (`answers` of an attempt): an option
    id (single, true/false), a list of option ids (multiple) or a text; right or wrong."""
    if question.kind == "text":
        return question.correct[0] if right else "không biết"
    if question.kind == "multiple":
        wrong = [o["id"] for o in question.options if o["id"] not in question.correct][:1]
        return list(question.correct) if right else wrong
    if right:
        return question.correct[0]
    return next(o["id"] for o in question.options if o["id"] not in question.correct)


async def _insert_catalogue(courses: Sequence[BenchCourse], now: datetime) -> int:
    """The courses that are missing, with their version, sections, lessons and questions."""
    codes = [course.code for course in courses]
    present = {
        row["code"]
        for row in await sql.fetch("SELECT code FROM mooc_courses WHERE code = ANY($1)", codes)
    }
    missing = [course for course in courses if course.code not in present]
    if not missing:
        return 0
    conn = sql.connection()
    await conn.copy_records_to_table(
        "mooc_courses",
        columns=[
            "id",
            "code",
            "status",
            "audience",
            "current_version_id",
            "created_at",
            "updated_at",
        ],
        records=[(c.id, c.code, "published", c.audience, c.version_id, now, now) for c in missing],
    )
    await conn.copy_records_to_table(
        "mooc_course_versions",
        columns=[
            "id",
            "course_id",
            "number",
            "title",
            "description",
            "language",
            "estimated_minutes",
            "prerequisites",
            "reading_min_seconds",
            "video_threshold",
            "created_at",
            "published_at",
        ],
        records=[
            (
                c.version_id,
                c.id,
                1,
                c.title,
                f"Khoá học bồi dưỡng “{c.title}” (dữ liệu thử tải).",
                "vi",
                sum((lesson.duration_ms or 600_000) for lesson in c.lessons) // 60_000,
                [],
                READING_MS // 1000,
                0.9,
                now,
                now,
            )
            for c in missing
        ],
    )
    await conn.copy_records_to_table(
        "mooc_sections",
        columns=["id", "version_id", "position", "title"],
        records=[
            (section_id, c.version_id, n + 1, SECTIONS[n])
            for c in missing
            for n, section_id in enumerate(c.section_ids)
        ],
    )
    await conn.copy_records_to_table(
        "mooc_lessons",
        columns=[
            "id",
            "version_id",
            "section_id",
            "key",
            "position",
            "kind",
            "title",
            "required",
            "duration_ms",
            "body_html",
            "attachments",
            "quiz",
        ],
        records=[
            (
                lesson.id,
                c.version_id,
                c.section_ids[lesson.section],
                lesson.key,
                lesson.position,
                lesson.kind,
                lesson.title,
                lesson.required,
                lesson.duration_ms,
                "<p>Nội dung bài đọc (dữ liệu thử tải).</p>" if lesson.kind == "reading" else "",
                [],
                json.dumps(lesson.quiz),
            )
            for c in missing
            for lesson in c.lessons
        ],
    )
    await conn.copy_records_to_table(
        "mooc_questions",
        columns=[
            "id",
            "lesson_id",
            "position",
            "kind",
            "prompt",
            "options",
            "correct",
            "explanation",
            "points",
        ],
        records=[
            (
                q.id,
                lesson.id,
                q.position,
                q.kind,
                q.prompt,
                json.dumps(q.options, ensure_ascii=False),
                json.dumps(q.correct, ensure_ascii=False),
                "Giải thích đáp án (dữ liệu thử tải).",
                1,
            )
            for c in missing
            for lesson in c.lessons
            for q in lesson.questions
        ],
    )
    return len(missing)


async def _insert_assignments(
    courses: Sequence[BenchCourse], agencies: Sequence[str], now: datetime
) -> dict[str, tuple[uuid.UUID, BenchCourse, datetime]]:
    """One assignment per agency (inserted once); its id, course and due date by agency."""
    plan: dict[str, tuple[uuid.UUID, BenchCourse, datetime]] = {}
    day = now.replace(hour=17, minute=0, second=0, microsecond=0)
    for index, code in enumerate(sorted(agencies)):
        course = courses[index % MANDATORY_COURSES]
        due = day + timedelta(days=-10 + (index * 7) % 50)
        plan[code] = (bench_id("assignment", code), course, due)
    await sql.connection().executemany(
        "INSERT INTO mooc_assignments (id, course_id, target_kind, agency_code, due_at,"
        " remind_days_before, overdue_every_days, active, created_at, last_synced_at)"
        " VALUES ($1, $2, 'agency', $3, $4, '{7,1}', 7, true, $5, $5)"
        " ON CONFLICT (id) DO NOTHING",
        [(aid, course.id, code, due, now) for code, (aid, course, due) in plan.items()],
    )
    # The stored due date wins (a second run on another day keeps the first one's).
    rows = await sql.fetch(
        "SELECT agency_code, due_at FROM mooc_assignments WHERE id = ANY($1)",
        [aid for aid, _, _ in plan.values()],
    )
    for row in rows:
        aid, course, _ = plan[row["agency_code"]]
        plan[row["agency_code"]] = (aid, course, row["due_at"])
    return plan


# --- the learners ---------------------------------------------------------------------------

STATES = ("not_started", "in_progress", "ready", "completed")
MANDATORY_WEIGHTS = (0.2, 0.4, 0.2, 0.2)
VOLUNTARY_WEIGHTS = (0.3, 0.45, 0.1, 0.15)


@dataclass
class Rows:
    enrolments: list[tuple[Any, ...]] = field(default_factory=list)
    progress: list[tuple[Any, ...]] = field(default_factory=list)
    attempts: list[tuple[Any, ...]] = field(default_factory=list)
    certificates: list[tuple[Any, ...]] = field(default_factory=list)


ENROLMENT_COLUMNS = [
    "id",
    "person_id",
    "course_id",
    "version_id",
    "status",
    "enrolled_at",
    "started_at",
    "completed_at",
    "unenrolled_at",
    "progress_percent",
    "required_done",
    "required_total",
    "last_lesson_id",
    "last_activity_at",
    "best_score",
    "agency_code",
    "department",
    "assignment_id",
    "due_at",
]
PROGRESS_COLUMNS = [
    "enrolment_id",
    "lesson_id",
    "person_id",
    "watched",
    "watched_ms",
    "position_ms",
    "position_at",
    "first_opened_at",
    "updated_at",
    "completed_at",
]
ATTEMPT_COLUMNS = [
    "id",
    "enrolment_id",
    "lesson_id",
    "person_id",
    "number",
    "status",
    "questions",
    "answers",
    "started_at",
    "deadline_at",
    "submitted_at",
    "score",
    "max_score",
    "percent",
    "passed",
    "results",
]
CERTIFICATE_COLUMNS = [
    "id",
    "code",
    "enrolment_id",
    "person_id",
    "course_id",
    "learner_name",
    "course_title",
    "issued_at",
]


class _Enrolment:
    """One enrolment being written: its clock moves forward as lessons are learnt."""

    def __init__(
        self,
        rng: random.Random,
        rows: Rows,
        person_id: uuid.UUID,
        course: BenchCourse,
        now: datetime,
    ) -> None:
        self.rng, self.rows, self.person_id, self.course, self.now = (
            rng,
            rows,
            person_id,
            course,
            now,
        )
        self.id = uuid.UUID(int=rng.getrandbits(128), version=4)
        self.enrolled_at = now - timedelta(days=rng.uniform(3, 60))
        self.clock = self.enrolled_at
        self.started_at: datetime | None = None
        self.last_lesson: uuid.UUID | None = None
        self.done: set[uuid.UUID] = set()
        self.best: dict[uuid.UUID, float] = {}

    def tick(self, low: float, high: float) -> datetime:
        """Time passes (seconds), never beyond a few minutes ago."""
        self.clock = min(
            self.clock + timedelta(seconds=self.rng.uniform(low, high)),
            self.now - timedelta(minutes=5),
        )
        if self.started_at is None:
            self.started_at = self.clock
        return self.clock

    def progress(
        self, lesson: BenchLesson, watched: list[tuple[int, int]], *, complete: bool
    ) -> None:
        opened = self.tick(60, 3600)
        at = self.tick(30, 900)
        total = sum(end - start for start, end in watched)
        position = watched[-1][1] if watched else 0
        self.rows.progress.append(
            (
                self.id,
                lesson.id,
                self.person_id,
                [asyncpg.Range(start, end) for start, end in watched],
                total,
                position,
                at if watched else None,
                opened,
                at,
                at if complete else None,
            )
        )
        self.last_lesson = lesson.id
        if complete:
            self.done.add(lesson.id)

    def video(self, lesson: BenchLesson, *, complete: bool) -> None:
        duration = lesson.duration_ms or 0
        if complete:
            share = self.rng.uniform(0.92, 1.0)
            if self.rng.random() < 0.3:  # a small skip somewhere: still ≥ 90 % watched
                gap_start = self.rng.randint(0, duration // 2)
                gap = int(duration * (1 - share))
                watched = (
                    [(0, gap_start), (gap_start + gap, duration)]
                    if gap_start
                    else [(gap, duration)]
                )
            else:
                watched = [(0, duration)]
        else:
            end = int(duration * self.rng.uniform(0.1, 0.8))
            watched = [(0, end)]
            if self.rng.random() < 0.25:  # sought ahead and watched a little there
                jump = self.rng.randint(end + 1000, max(end + 1001, duration - 30_000))
                watched.append((jump, min(duration, jump + self.rng.randint(5_000, 30_000))))
        self.progress(lesson, [w for w in watched if w[1] > w[0]], complete=complete)

    def reading(self, lesson: BenchLesson, *, complete: bool) -> None:
        open_ms = (
            self.rng.randint(READING_MS, 4 * READING_MS)
            if complete
            else self.rng.randint(5_000, READING_MS - 1)
        )
        self.progress(lesson, [(0, open_ms)], complete=complete)

    def attempt(self, lesson: BenchLesson, number: int, *, outcome: str) -> None:
        """An attempt: `passed`, `failed` (submitted) or `open` (started minutes ago)."""
        settings = lesson.quiz
        drawn = self.rng.sample(lesson.questions, settings["draw"])
        questions = [
            {
                "id": str(q.id),
                "options": self.rng.sample([o["id"] for o in q.options], len(q.options)),
            }
            for q in drawn
        ]
        if outcome == "open":
            started = self.now - timedelta(seconds=self.rng.randint(30, 300))
            answered = drawn[: self.rng.randint(0, len(drawn) // 2)]
            rights = [self.rng.random() < 0.7 for _ in answered]
        else:
            started = self.tick(60, 3600)
            answered = drawn
            need = settings["pass_percent"] / 100 * len(drawn)
            while True:
                rights = [self.rng.random() < (0.85 if outcome == "passed" else 0.5) for _ in drawn]
                if (sum(rights) >= need) == (outcome == "passed"):
                    break
        answers = {str(q.id): answer_for(q, right=r) for q, r in zip(answered, rights, strict=True)}
        limit = settings["time_limit_seconds"]
        deadline = started + timedelta(seconds=limit) if limit else None
        if outcome == "open":
            self.rows.attempts.append(
                (
                    bench_id("attempt", self.id, lesson.id, number),
                    self.id,
                    lesson.id,
                    self.person_id,
                    number,
                    "open",
                    json.dumps(questions),
                    json.dumps(answers, ensure_ascii=False),
                    started,
                    deadline,
                    None,
                    None,
                    None,
                    None,
                    None,
                    "{}",
                )
            )
            return
        submitted = started + timedelta(seconds=self.rng.randint(120, max(121, limit or 600) - 1))
        self.clock = max(self.clock, submitted)
        score = sum(rights)
        percent = round(100 * score / len(drawn), 2)
        passed = percent >= settings["pass_percent"]
        results = {
            str(q.id): {"points": int(r), "max_points": 1, "correct": r}
            for q, r in zip(drawn, rights, strict=True)
        }
        self.rows.attempts.append(
            (
                bench_id("attempt", self.id, lesson.id, number),
                self.id,
                lesson.id,
                self.person_id,
                number,
                "submitted",
                json.dumps(questions),
                json.dumps(answers, ensure_ascii=False),
                started,
                deadline,
                submitted,
                score,
                len(drawn),
                percent,
                passed,
                json.dumps(results),
            )
        )
        self.best[lesson.id] = max(self.best.get(lesson.id, 0.0), percent)
        if passed:
            self.progress(lesson, [], complete=True)

    def quiz(self, lesson: BenchLesson, *, pass_it: bool) -> None:
        failures = self.rng.choice((0, 0, 1)) if pass_it else self.rng.choice((0, 1, 1, 2))
        for number in range(1, failures + 1):
            self.attempt(lesson, number, outcome="failed")
        if pass_it:
            self.attempt(lesson, failures + 1, outcome="passed")
        elif failures < lesson.quiz["max_attempts"] - 1 and self.rng.random() < 0.1:
            self.attempt(lesson, failures + 1, outcome="open")

    def learn(self, state: str) -> None:
        lessons = self.course.lessons
        if state == "not_started":
            return
        if state == "in_progress":
            reached = self.rng.randint(
                1, len(lessons) - 2
            )  # the current lesson, not the final quiz
        else:
            reached = len(lessons) - 1
        for lesson in lessons[:reached]:
            if lesson.kind == "video":
                self.video(lesson, complete=True)
            elif lesson.kind == "reading":
                self.reading(lesson, complete=True)
            elif self.rng.random() < 0.6:  # the practice quiz, optional
                self.quiz(lesson, pass_it=True)
        current = lessons[reached]
        if current.kind == "video":
            self.video(current, complete=False)
        elif current.kind == "reading":
            self.reading(current, complete=False)
        else:
            self.quiz(current, pass_it=state == "completed")

    def write(
        self,
        state: str,
        agency: str,
        mandatory: tuple[uuid.UUID, datetime] | None,
        learner_name: str,
        *,
        may_leave: bool,
    ) -> None:
        """Learn as far as `state` says, then the enrolment's row (a voluntary course not
        completed is sometimes left when `may_leave`)."""
        self.learn(state)
        required = self.course.required
        done = sum(1 for lesson in required if lesson.id in self.done)
        complete = done == len(required)
        completed_at = self.clock if complete else None
        scores = [
            self.best[lesson.id]
            for lesson in required
            if lesson.kind == "quiz" and lesson.id in self.best
        ]
        unenrolled = may_leave and mandatory is None and not complete and self.rng.random() < 0.03
        self.rows.enrolments.append(
            (
                self.id,
                self.person_id,
                self.course.id,
                self.course.version_id,
                "completed" if complete else "unenrolled" if unenrolled else "active",
                self.enrolled_at,
                self.started_at,
                completed_at,
                self.now - timedelta(days=1) if unenrolled else None,
                done * 100 // len(required),
                done,
                len(required),
                self.last_lesson,
                self.clock if self.started_at else None,
                round(sum(scores) / len(scores), 2) if scores else None,
                agency,
                None,
                mandatory[0] if mandatory else None,
                mandatory[1] if mandatory else None,
            )
        )
        if complete:
            self.rows.certificates.append(
                (
                    bench_id("certificate", self.id),
                    new_code(),
                    self.id,
                    self.person_id,
                    self.course.id,
                    learner_name,
                    self.course.title,
                    completed_at,
                )
            )


def learner_rows(
    rows: Rows,
    person_id: uuid.UUID,
    agency: str,
    courses: Sequence[BenchCourse],
    assignment: tuple[uuid.UUID, BenchCourse, datetime],
    now: datetime,
) -> None:
    """A learner's three enrolments and everything under them (seeded by the person id)."""
    rng = random.Random(person_id.int)  # noqa: S311  # load data, the same on every run
    assignment_id, mandatory, due = assignment
    others = [c for c in courses if c.id != mandatory.id]
    chosen = [mandatory, *rng.sample(others, 2)]
    states = [
        rng.choices(STATES, MANDATORY_WEIGHTS if n == 0 else VOLUNTARY_WEIGHTS)[0]
        for n in range(len(chosen))
    ]
    if all(state == "completed" for state in states):
        states[-1] = "in_progress"
    # This one stays active and not completed: its final quiz is still to pass.
    keep = next(n for n, state in enumerate(states) if state != "completed")
    name = f"Học viên thử tải {person_id.hex[:8].upper()}"
    for n, (course, state) in enumerate(zip(chosen, states, strict=True)):
        _Enrolment(rng, rows, person_id, course, now).write(
            state, agency, (assignment_id, due) if n == 0 else None, name, may_leave=n != keep
        )


async def _copy(rows: Rows) -> None:
    conn = sql.connection()
    await conn.copy_records_to_table(
        "mooc_enrolments", columns=ENROLMENT_COLUMNS, records=rows.enrolments
    )
    await conn.copy_records_to_table(
        "mooc_lesson_progress", columns=PROGRESS_COLUMNS, records=rows.progress
    )
    await conn.copy_records_to_table(
        "mooc_quiz_attempts", columns=ATTEMPT_COLUMNS, records=rows.attempts
    )
    await conn.copy_records_to_table(
        "mooc_certificates", columns=CERTIFICATE_COLUMNS, records=rows.certificates
    )


@dataclass
class LoadReport:
    courses: int = 0
    learners: int = 0
    """Learners loaded by this run."""
    enrolments: int = 0
    progress: int = 0
    attempts: int = 0
    certificates: int = 0


async def do_load_mooc_learners(
    learners: int, *, agencies: Sequence[str], echo: Callable[[str], None] = print
) -> LoadReport:
    """The benchmark catalogue, one assignment per agency and `learners` synthetic civil
    servants of `agencies` learning in it (the first by person id). Idempotent; each batch of
    learners commits on its own."""
    now = datetime.now(UTC)
    courses = catalogue()
    report = LoadReport()
    async with unit_of_work():
        report.courses = await _insert_catalogue(courses, now)
        members = await members_with_role("civil_servant", agencies=list(agencies))
        chosen = [(m.person_id, m.agency) for m in members if m.agency][:learners]
        if len(chosen) < learners:
            echo(f"  only {len(chosen):,} synthetic civil servants: {learners:,} asked for")
        plan = await _insert_assignments(courses, sorted({a for _, a in chosen if a}), now)
        loaded = {
            row["person_id"]
            for row in await sql.fetch(
                "SELECT DISTINCT person_id FROM mooc_enrolments WHERE course_id = ANY($1)",
                [c.id for c in courses],
            )
        }
    echo(
        f"  MOOC catalogue: {report.courses} new courses of {len(courses)}; {len(plan)} assignments"
    )
    todo = [(person, agency) for person, agency in chosen if person not in loaded]
    for first in range(0, len(todo), BATCH):
        rows = Rows()
        for person_id, agency in todo[first : first + BATCH]:
            learner_rows(rows, person_id, str(agency), courses, plan[str(agency)], now)
        async with unit_of_work():
            await _copy(rows)
        report.learners += min(BATCH, len(todo) - first)
        report.enrolments += len(rows.enrolments)
        report.progress += len(rows.progress)
        report.attempts += len(rows.attempts)
        report.certificates += len(rows.certificates)
        last = first + len(todo[first : first + BATCH])
        echo(f"  MOOC learners {first + 1:,}–{last:,} of {len(todo):,} new")
    if report.learners or report.courses:
        # Fresh statistics for the planner: without them (autovacuum may be off, or not have
        # come round yet) the hot paths' lookups by person and enrolment turn into scans.
        async with unit_of_work():
            await sql.execute(f"ANALYZE {', '.join(TABLES)}")
    echo(
        f"  MOOC: {report.learners:,} new learners"
        f" ({len(chosen) - report.learners:,} already loaded),"
        f" {report.enrolments:,} enrolments, {report.progress:,} lesson progress rows,"
        f" {report.attempts:,} quiz attempts, {report.certificates:,} certificates"
    )
    return report
