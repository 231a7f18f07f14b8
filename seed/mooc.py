"""Demo data of the MOOC, written through its services as people would have made it.

- Four courses authored by the demo course administrator (Nông Văn Sơn) and published:
  "Kỹ năng số cho cán bộ, công chức" (two real transcoded videos with Vietnamese WebVTT
  captions, a reading, a final quiz), "An toàn thông tin khi làm việc trực tuyến", "Sử dụng
  dịch vụ công trực tuyến" (open to citizens) and "Văn hoá công vụ" (which requires the first
  one). Question banks of every kind.
- Mandatory training: the first course assigned to Sở Nội vụ (due in three weeks), the second
  to UBND phường Phan Đình Phùng (due two days ago: its learners who have not finished are
  overdue).
- Learners at every stage: completed with a certificate (Đỗ Thu Hà, Lương Thị Hồng, Mạc Văn
  Tùng, Nông Thị Mai Anh, Vũ Quang Huy in the public course), halfway (Phạm Minh Đức, Chu Văn
  Khải, citizen Nguyễn Văn An), not started (Nông Văn Sơn, Hoàng Thị Lan, Lê Thị Oanh), overdue
  (Vũ Quang Huy, Lục Văn Bảo). The Sở Nội vụ learners who are not demo sign-in people are
  provisioned here, with their departments.
- The demo manager: Phạm Minh Đức manages Sở Nội vụ (the manager flag on his civil servant
  grant, department "Phòng Công chức, viên chức"): he sees its completion report.

Idempotent: when the first course exists the whole step was loaded before (the demo data
is loaded in one transaction) and nothing is done.
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backend.access import Principal, Role
from backend.db import unit_of_work
from backend.identity.service import (
    do_grant_role,
    do_provision_person,
    get_person_roles,
)
from backend.settings import Settings
from content import service as content
from content.policy import Purpose
from content.tasks import run_processing
from content.video import ffmpeg_binary
from mooc import sql
from mooc.assignment_schemas import AssignmentCreate, AssignmentTarget
from mooc.course_schemas import CourseCreate, LessonIn, QuizSettings, SectionIn
from mooc.courses import (
    do_add_lesson,
    do_add_section,
    do_create_course,
    do_enrol,
    do_publish,
    do_store_captions,
)
from mooc.progress import do_beat, do_mark_done
from mooc.progress_schemas import BeatIn
from mooc.quiz import do_create_question, do_save_answer, do_start_attempt, do_submit_attempt
from mooc.quiz_schemas import OptionIn, QuestionIn
from seed.content import COURSE_ADMIN, DEMO_FILENAME

LECTURE_FILENAME = "bai-giang-ky-nang-so.mp4"
REASON = "Dữ liệu mẫu (demo): khoá học"
MANAGER = ("019088011111", "Phạm Minh Đức")
MANAGER_DEPARTMENT = "Phòng Công chức, viên chức"
HA = ("019191012222", "Đỗ Thu Hà")
HUY = ("019087013333", "Vũ Quang Huy")
OANH = ("019189031111", "Lê Thị Oanh")
CITIZEN = ("019090001234", "Nguyễn Văn An")

# Learners who are not demo sign-in people: (personal id, name, agency, department).
EXTRA_LEARNERS = (
    ("019190091001", "Lương Thị Hồng", "SO-NOIVU", "Phòng Công chức, viên chức"),
    ("019185091002", "Chu Văn Khải", "SO-NOIVU", "Phòng Xây dựng chính quyền"),
    ("019196091003", "Hoàng Thị Lan", "SO-NOIVU", "Phòng Xây dựng chính quyền"),
    ("019082091004", "Mạc Văn Tùng", "SO-NOIVU", "Phòng Công chức, viên chức"),
    ("019194091005", "Nông Thị Mai Anh", "UBND-05443", "Văn phòng HĐND và UBND"),
    ("019089091006", "Lục Văn Bảo", "UBND-05443", "Phòng Kinh tế"),
)

CAPTIONS = """WEBVTT

00:00:00.000 --> 00:00:02.500
Chào mừng anh chị đến với khoá học kỹ năng số.

00:00:02.500 --> 00:00:06.000
Bài học này giới thiệu ứng dụng C-ThaiNguyen và tài khoản định danh điện tử.

00:00:06.000 --> 00:00:10.000
Hãy xem hết video để bài học được ghi nhận hoàn thành.
"""


@dataclass
class QuestionSpec:
    kind: str
    prompt: str
    options: list[str] = field(default_factory=list)
    correct: list[str] = field(default_factory=list)
    """Option ids ("a", "b", …), "true"/"false", or accepted texts."""
    explanation: str = ""


@dataclass
class LessonSpec:
    kind: str
    title: str
    video: str = ""
    """video: "intro" (the content demo video) or "lecture" (this step's own clip)."""
    body: str = ""
    quiz: QuizSettings | None = None
    questions: list[QuestionSpec] = field(default_factory=list)
    required: bool = True


@dataclass
class CourseSpec:
    code: str
    title: str
    description: str
    hours: float
    sections: list[tuple[str, list[LessonSpec]]]
    audience: str = "civil_servants"
    prerequisite: str | None = None


DIGITAL_QUIZ = [
    QuestionSpec(
        "single",
        "Tài khoản định danh điện tử mức 2 do cơ quan nào cấp?",
        ["Bộ Công an", "Bộ Thông tin và Truyền thông", "UBND cấp xã"],
        ["a"],
        "Tài khoản định danh điện tử (VNeID) do Bộ Công an cấp.",
    ),
    QuestionSpec(
        "multiple",
        "Những việc nào nên làm để bảo vệ tài khoản công vụ?",
        ["Bật xác thực hai lớp", "Dùng chung mật khẩu với đồng nghiệp", "Đổi mật khẩu định kỳ"],
        ["a", "c"],
        "Không bao giờ chia sẻ mật khẩu; bật xác thực hai lớp và đổi mật khẩu định kỳ.",
    ),
    QuestionSpec(
        "true_false",
        "Văn bản điện tử có chữ ký số hợp lệ có giá trị pháp lý như văn bản giấy.",
        correct=["true"],
        explanation="Theo Luật Giao dịch điện tử.",
    ),
    QuestionSpec(
        "text",
        "Viết tắt tên ứng dụng định danh điện tử quốc gia (5 chữ cái).",
        correct=["VNeID"],
        explanation="VNeID.",
    ),
    QuestionSpec(
        "single",
        "Khi nhận được thư điện tử lạ yêu cầu đăng nhập, anh/chị nên:",
        ["Bấm vào liên kết ngay", "Báo bộ phận công nghệ thông tin", "Chuyển tiếp cho đồng nghiệp"],
        ["b"],
    ),
    QuestionSpec(
        "true_false",
        "Có thể gửi hồ sơ dịch vụ công trực tuyến ngoài giờ hành chính.",
        correct=["true"],
    ),
]

SECURITY_QUIZ = [
    QuestionSpec(
        "single",
        "Mật khẩu nào mạnh nhất?",
        ["123456", "ThaiNguyen2024", "t7#Qm!2vL9@x"],
        ["c"],
        "Mật khẩu mạnh dài, trộn chữ hoa, chữ thường, số và ký hiệu.",
    ),
    QuestionSpec(
        "true_false",
        "Được phép cắm thiết bị USB không rõ nguồn gốc vào máy tính cơ quan.",
        correct=["false"],
    ),
    QuestionSpec(
        "multiple",
        "Dấu hiệu của thư lừa đảo (phishing):",
        ["Địa chỉ gửi lạ", "Thúc giục hành động gấp", "Có chữ ký số hợp lệ của cơ quan"],
        ["a", "b"],
    ),
    QuestionSpec(
        "text",
        "Khi rời khỏi máy tính, anh/chị cần làm gì với màn hình? (một từ)",
        correct=["khoá", "khóa"],
        explanation="Khoá màn hình (Windows + L).",
    ),
]

PUBLIC_QUIZ = [
    QuestionSpec(
        "single",
        "Cổng Dịch vụ công quốc gia có địa chỉ nào?",
        ["dichvucong.gov.vn", "dichvucong.com", "dvc.vn"],
        ["a"],
    ),
    QuestionSpec(
        "true_false",
        "Người dân có thể theo dõi tình trạng hồ sơ trực tuyến.",
        correct=["true"],
    ),
    QuestionSpec(
        "multiple",
        "Cần chuẩn bị gì để nộp hồ sơ trực tuyến?",
        ["Tài khoản VNeID", "Bản chụp giấy tờ", "Giấy giới thiệu của cơ quan"],
        ["a", "b"],
    ),
]

ETHICS_QUIZ = [
    QuestionSpec(
        "single",
        "Khi tiếp công dân, cán bộ cần:",
        ["Lắng nghe, hướng dẫn tận tình", "Yêu cầu quay lại hôm khác", "Chỉ nhận hồ sơ giấy"],
        ["a"],
    ),
    QuestionSpec(
        "true_false",
        "Cán bộ được nhận quà của người dân để giải quyết hồ sơ nhanh hơn.",
        correct=["false"],
    ),
]

READING = (
    "<h2>{title}</h2><p>Tài liệu dành cho cán bộ, công chức tỉnh Thái Nguyên. Đọc kỹ nội dung"
    " dưới đây, sau đó bấm <strong>Đã đọc xong</strong>.</p><ul><li>Nắm được quy định hiện"
    " hành.</li><li>Áp dụng vào công việc hằng ngày.</li><li>Hỏi người phụ trách khi chưa"
    " rõ.</li></ul>"
)


def reading(title: str, *, required: bool = True) -> LessonSpec:
    return LessonSpec("reading", title, body=READING.format(title=title), required=required)


COURSES = [
    CourseSpec(
        "DEMO-KNS",
        "Kỹ năng số cho cán bộ, công chức",
        "Sử dụng ứng dụng C-ThaiNguyen, tài khoản định danh điện tử và văn bản điện tử trong"
        " công việc hằng ngày.",
        2,
        [
            (
                "Làm quen",
                [
                    LessonSpec("video", "Giới thiệu ứng dụng C-ThaiNguyen", video="intro"),
                    reading("Tài khoản định danh điện tử VNeID"),
                ],
            ),
            (
                "Thực hành và kiểm tra",
                [
                    LessonSpec("video", "Bài giảng: văn bản điện tử và chữ ký số", video="lecture"),
                    LessonSpec(
                        "quiz",
                        "Bài kiểm tra cuối khoá",
                        quiz=QuizSettings(
                            draw=5,
                            time_limit_seconds=600,
                            max_attempts=3,
                            pass_percent=60,
                            show_answers="after_submit",
                        ),
                        questions=DIGITAL_QUIZ,
                    ),
                ],
            ),
        ],
    ),
    CourseSpec(
        "DEMO-ATTT",
        "An toàn thông tin khi làm việc trực tuyến",
        "Mật khẩu, thư lừa đảo, thiết bị lạ: những điều mỗi cán bộ cần biết.",
        1,
        [
            (
                "Nội dung",
                [
                    LessonSpec("video", "Những nguy cơ thường gặp", video="lecture"),
                    reading("Quy chế bảo đảm an toàn thông tin của tỉnh"),
                    LessonSpec(
                        "quiz",
                        "Bài kiểm tra",
                        quiz=QuizSettings(
                            draw=4, time_limit_seconds=300, max_attempts=2, pass_percent=75
                        ),
                        questions=SECURITY_QUIZ,
                    ),
                ],
            )
        ],
    ),
    CourseSpec(
        "DEMO-DVC",
        "Sử dụng dịch vụ công trực tuyến",
        "Khoá học mở cho mọi người dân: nộp hồ sơ và theo dõi kết quả trên Cổng Dịch vụ công.",
        0.5,
        [
            (
                "Hướng dẫn",
                [
                    LessonSpec("video", "Đăng nhập bằng VNeID", video="intro"),
                    reading("Các bước nộp hồ sơ"),
                    LessonSpec(
                        "quiz",
                        "Câu hỏi ôn tập",
                        quiz=QuizSettings(
                            draw=3, time_limit_seconds=0, max_attempts=5, pass_percent=60
                        ),
                        questions=PUBLIC_QUIZ,
                    ),
                ],
            )
        ],
        audience="public",
    ),
    CourseSpec(
        "DEMO-VHCV",
        "Văn hoá công vụ",
        "Chuẩn mực ứng xử của cán bộ, công chức khi thi hành công vụ.",
        1,
        [
            (
                "Nội dung",
                [
                    reading("Quy tắc ứng xử của cán bộ, công chức"),
                    reading("Tình huống tham khảo", required=False),
                    LessonSpec(
                        "quiz",
                        "Bài kiểm tra",
                        quiz=QuizSettings(draw=2, max_attempts=3, pass_percent=50),
                        questions=ETHICS_QUIZ,
                    ),
                ],
            )
        ],
        prerequisite="DEMO-KNS",
    ),
]


@dataclass
class MadeCourse:
    id: uuid.UUID
    lessons: list[tuple[uuid.UUID, str, int | None]]
    """(lesson id, kind, duration in ms) in outline order."""
    answers: dict[str, Any]
    """Question id → the right answer."""


async def seed_mooc(settings: Settings) -> None:
    """The demo courses, assignments, learners at every stage and the demo manager (once)."""
    if await sql.fetchval("SELECT id FROM mooc_courses WHERE code = $1", COURSES[0].code):
        return
    author = await do_provision_person(*COURSE_ADMIN)
    admin = Principal(
        id=author.id,
        roles=frozenset({Role.COURSE_ADMIN.value, Role.CIVIL_SERVANT.value}),
        agencies=frozenset({"SO-NOIVU"}),
    )
    videos = {
        "intro": await content.find_asset_by_filename(DEMO_FILENAME),
        "lecture": await lecture_video(settings, author.id),
    }
    captions = await do_store_captions(settings, CAPTIONS.encode())
    made: dict[str, MadeCourse] = {}
    for spec in COURSES:
        made[spec.code] = await author_course(settings, admin, spec, videos, captions.id, made)

    people = await learners()
    now = datetime.now(UTC)
    kns, attt, dvc, vhcv = (made[c.code] for c in COURSES)
    # Mandatory training: Sở Nội vụ (due in three weeks), UBND phường Phan Đình Phùng (assigned
    # twelve days ago, due two days ago).
    await assign(admin, kns.id, "SO-NOIVU", now + timedelta(days=21), as_of=now - timedelta(days=3))
    await assign(
        admin, attt.id, "UBND-05443", now - timedelta(days=2), as_of=now - timedelta(days=12)
    )

    civil = ["civil_servant"]
    for name in ("Lương Thị Hồng", "Mạc Văn Tùng"):
        await learn(people[name], kns, civil, upto=len(kns.lessons), at=now - timedelta(days=2))
    for name in (MANAGER[1], "Chu Văn Khải"):
        await learn(people[name], kns, civil, upto=2, at=now - timedelta(days=1))
    await learn(people[HA[1]], kns, civil, upto=len(kns.lessons), at=now - timedelta(days=5))
    await learn(people["Nông Thị Mai Anh"], attt, civil, upto=3, at=now - timedelta(days=6))
    await learn(people[HUY[1]], attt, civil, upto=1, at=now - timedelta(days=8))
    await learn(people[HUY[1]], dvc, civil, upto=len(dvc.lessons), at=now - timedelta(days=4))
    await learn(people[CITIZEN[1]], dvc, ["citizen"], upto=1, at=now - timedelta(hours=5))
    await learn(people[OANH[1]], kns, civil, upto=0, at=now - timedelta(hours=3))
    await learn(people[HA[1]], vhcv, civil, upto=0, at=now - timedelta(hours=2))


async def lecture_video(settings: Settings, uploader: uuid.UUID) -> uuid.UUID:
    """A 10-second 640×360 lecture clip, uploaded by the course administrator and transcoded
    through content's pipeline (the HLS ladder and MP4 renditions), once."""
    found = await content.find_asset_by_filename(LECTURE_FILENAME)
    if found is not None:
        return found
    with tempfile.TemporaryDirectory(prefix="ctn-seed-mooc-") as work:
        path = Path(work) / LECTURE_FILENAME
        await asyncio.to_thread(
            subprocess.run,
            [
                ffmpeg_binary(settings),
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=duration=10:size=640x360:rate=25",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=523:duration=10",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-shortest",
                str(path),
            ],
            check=True,
        )

        async def chunks() -> AsyncIterator[bytes]:
            yield path.read_bytes()

        received = await content.receive_upload(
            settings, purpose=Purpose.COURSE_VIDEO, chunks=chunks(), filename=path.name
        )
    async with unit_of_work():
        row = await content.do_create_asset(received, created_by=uploader, enqueue=False)
    await run_processing(row.id)
    return row.id


async def author_course(
    settings: Settings,
    admin: Principal,
    spec: CourseSpec,
    videos: dict[str, uuid.UUID | None],
    captions_id: uuid.UUID,
    made: dict[str, MadeCourse],
) -> MadeCourse:
    """Create, fill and publish one course as its author would through the API."""
    prerequisites = [made[spec.prerequisite].id] if spec.prerequisite else []
    course = await do_create_course(
        settings,
        admin,
        CourseCreate(
            code=spec.code,
            title=spec.title,
            description=spec.description,
            estimated_hours=spec.hours,
            audience=spec.audience,  # type: ignore[arg-type]  # a literal of the schema
            prerequisites=prerequisites,
            reading_min_seconds=20,
        ),
    )
    answers: dict[str, Any] = {}
    for title, lessons in spec.sections:
        course = await do_add_section(settings, course.id, SectionIn(title=title))
        assert course.draft is not None
        section_id = course.draft.sections[-1].id
        for lesson in lessons:
            course = await do_add_lesson(
                settings,
                admin,
                course.id,
                LessonIn(
                    section_id=section_id,
                    kind=lesson.kind,  # type: ignore[arg-type]  # a literal of the schema
                    title=lesson.title,
                    required=lesson.required,
                    asset_id=videos[lesson.video] if lesson.kind == "video" else None,
                    captions_asset_id=captions_id if lesson.video == "lecture" else None,
                    body=lesson.body,
                    quiz=lesson.quiz,
                ),
            )
            assert course.draft is not None
            lesson_id = course.draft.sections[-1].lessons[-1].id
            for question in lesson.questions:
                saved = await do_create_question(
                    lesson_id,
                    QuestionIn(
                        kind=question.kind,  # type: ignore[arg-type]  # a literal of the schema
                        prompt=question.prompt,
                        options=[
                            OptionIn(id="abcdefgh"[n], text=text)
                            for n, text in enumerate(question.options)
                        ],
                        correct=question.correct,
                        explanation=question.explanation,
                    ),
                )
                answers[str(saved.id)] = (
                    question.correct if question.kind == "multiple" else question.correct[0]
                )
    course = await do_publish(settings, admin, course.id)
    assert course.published is not None
    lessons_made: list[tuple[uuid.UUID, str, int | None]] = [
        (lesson.id, str(lesson.kind), lesson.duration_ms)
        for section in course.published.sections
        for lesson in section.lessons
    ]
    return MadeCourse(course.id, lessons_made, answers)


async def learners() -> dict[str, uuid.UUID]:
    """The demo learners by name: the demo sign-in people, the extra civil servants (with
    their departments) and the manager flag of Phạm Minh Đức."""
    found: dict[str, uuid.UUID] = {}
    for personal_id, name in (MANAGER, HA, HUY, OANH, CITIZEN, COURSE_ADMIN):
        found[name] = (await do_provision_person(personal_id, name)).id
    for personal_id, name, agency, department in EXTRA_LEARNERS:
        person = (await do_provision_person(personal_id, name)).id
        found[name] = person
        held = {info.role for info in await get_person_roles(person)}
        if Role.CIVIL_SERVANT.value not in held:
            await do_grant_role(
                person,
                Role.CIVIL_SERVANT,
                granted_by=None,
                reason=REASON,
                agency=agency,
                department=department,
            )
    manager = found[MANAGER[1]]
    grant = next(
        (i for i in await get_person_roles(manager) if i.role == Role.CIVIL_SERVANT.value), None
    )
    if grant is None or not grant.manager:
        await do_grant_role(
            manager,
            Role.CIVIL_SERVANT,
            granted_by=None,
            reason=REASON,
            agency="SO-NOIVU",
            department=MANAGER_DEPARTMENT,
            manager=True,
        )
    return found


async def assign(
    admin: Principal, course_id: uuid.UUID, agency: str, due: datetime, *, as_of: datetime
) -> None:
    """Assign the course to every civil servant of the agency, as the course admin did on
    `as_of` (so a due date now past can be one that was in the future then)."""
    from mooc.assignments import do_create_assignment

    await do_create_assignment(
        admin,
        AssignmentCreate(
            course_id=course_id,
            target=AssignmentTarget(kind="agency", agency=agency),
            due_at=due,
            remind_days_before=[7, 1],
        ),
        now=as_of,
    )


async def learn(
    person_id: uuid.UUID, course: MadeCourse, roles: list[str], *, upto: int, at: datetime
) -> None:
    """Enrol (if not already) and complete the first `upto` lessons, starting at `at`: videos
    watched whole through heartbeats, readings marked done, quizzes passed with the right
    answers; the course completes (and its certificate is issued) with its last lesson."""
    await do_enrol(person_id, course.id, roles=roles, at=at - timedelta(hours=1))
    moment = at
    for lesson_id, kind, duration in course.lessons[:upto]:
        moment += timedelta(minutes=7)
        if kind == "video":
            end = duration or 0
            for start in range(0, end, 60_000):
                stop = min(end, start + 60_000)
                beat = BeatIn(intervals=[[start, stop]], position_ms=stop, client_at=moment)
                await do_beat(person_id, lesson_id, beat, now=moment)
        elif kind == "reading":
            await do_mark_done(person_id, lesson_id, now=moment)
        else:
            attempt, _ = await do_start_attempt(person_id, lesson_id, now=moment)
            for question in attempt.questions:
                value = course.answers[str(question.id)]
                await do_save_answer(
                    person_id, attempt.id, question.id, value, now=moment + timedelta(seconds=30)
                )
            await do_submit_attempt(person_id, attempt.id, now=moment + timedelta(minutes=2))
