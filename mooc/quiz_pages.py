"""Console pages of quizzes (see backend.console.shell):

- a learner's quiz (`/console/learn/quizzes/{lesson_id}`): attempts used and left, best
  result, pass mark, time limit, each attempt with its review; start (or continue) an attempt;
- taking it (`/console/learn/quiz-attempts/{attempt_id}` while open): every drawn question on
  one page; `mooc-quiz.js` saves each answer as it is given through the learner API
  (PUT /api/v1/attempts/{id}/answers/{question_id}, the session cookie and its CSRF token),
  shows a countdown set by the server's clock (`now` and `deadline_at`, re-synchronised by
  each save's answer) and submits the form at zero. The form carries every answer, so the
  submission (`…/submission`, `quiz.do_submit_attempt`) saves what was not saved yet;
  past the deadline the attempt is graded with what was saved in time and the page says so;
- the result (the same address once graded): score, pass mark, and the review per question
  (the correct answer and explanation only as the quiz allows);
- the question bank of a quiz lesson for course admins
  (`/console/courses/lessons/{lesson_id}/questions`): questions of every kind added, changed,
  moved and deleted in a draft; a published version's bank read only, with a note.

Every page calls `mooc.quiz` as the API does: another learner's attempt is the same 404.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from backend.access import STAFF_ROLES, Principal, Role, caller, roles
from backend.console.format import number_vn
from backend.console.forms import form_text
from backend.console.shell import MenuEntry, access, redirect, render
from backend.errors import ValidationFailed
from mooc import quiz
from mooc.grading import TRUE_FALSE
from mooc.quiz_errors import AttemptTimeOver
from mooc.quiz_schemas import QuestionIn, QuestionUpdate

AnyRequest = Request[Any, Any, Any]
LEARNERS = roles(*STAFF_ROLES)
"""Any staff member may open a quiz page; what they may take is decided by their enrolment."""
ADMIN = roles(Role.COURSE_ADMIN)
LEARN = "/console/learn"
MAX_OPTIONS = 8

KINDS: dict[str, tuple[str, str]] = {
    "single": ("Một lựa chọn", "Single choice"),
    "multiple": ("Nhiều lựa chọn", "Multiple choice"),
    "true_false": ("Đúng / sai", "True / false"),
    "text": ("Trả lời ngắn", "Short text"),
}
SHOW_ANSWERS: dict[str, tuple[str, str]] = {
    "never": ("Không hiển thị đáp án", "Answers never shown"),
    "after_submit": ("Hiển thị đáp án sau khi nộp bài", "Answers shown after submission"),
    "after_pass": ("Hiển thị đáp án khi đã đạt", "Answers shown once passed"),
}
STATUS: dict[str, tuple[str, str, str]] = {
    "open": ("Đang làm", "In progress", "info"),
    "submitted": ("Đã nộp", "Submitted", "muted"),
    "timed_out": ("Hết giờ, chấm tự động", "Time over, graded automatically", "warn"),
}
TRUE_FALSE_LABELS = {key: (vi, en) for key, vi, en in TRUE_FALSE}

MENU: list[MenuEntry] = []
"""Quizzes are reached from their course (learners) and from the course editor (authors)."""


def pct(value: float | None) -> str:
    """`83,33%`, `100%`."""
    if value is None:
        return "—"
    return f"{number_vn(value, 0 if float(value).is_integer() else 2)}%"


def duration(seconds: int, lang: str = "vi") -> str:
    """`10 phút`, `1 phút 30 giây` (`10 min`, `1 min 30 s`)."""
    minutes, rest = divmod(int(seconds), 60)
    unit_m, unit_s = ("min", "s") if lang == "en" else ("phút", "giây")
    parts = []
    if minutes:
        parts.append(f"{minutes} {unit_m}")
    if rest or not minutes:
        parts.append(f"{rest} {unit_s}")
    return " ".join(parts)


def _labels() -> dict[str, Any]:
    return {
        "pct": pct,
        "duration": duration,
        "kinds": KINDS,
        "show_answers_labels": SHOW_ANSWERS,
        "statuses": STATUS,
        "true_false_labels": TRUE_FALSE_LABELS,
        "max_options": MAX_OPTIONS,
    }


def _person(request: AnyRequest) -> Principal:
    principal = caller(request)
    assert principal is not None  # the route's rule admitted a signed-in staff member
    return principal


def _answers_of(form: FormMultiDict, questions: list[Any]) -> dict[str, Any]:
    """The take page's form: every drawn question's answer as the page shows it."""
    answers: dict[str, Any] = {}
    for question in questions:
        name = f"q-{question.id}"
        if question.kind == "multiple":
            answers[str(question.id)] = [str(v) for v in form.getall(name, [])]
        else:
            value = form_text(form, name)
            answers[str(question.id)] = value or None
    return answers


def _question_from(form: FormMultiDict) -> dict[str, Any]:
    """The bank editor's form as a question (the fields of its kind only)."""
    kind = form_text(form, "kind")
    values: dict[str, Any] = {
        "kind": kind,
        "prompt": form_text(form, "prompt"),
        "explanation": form_text(form, "explanation"),
    }
    points = form_text(form, "points")
    if points:
        try:
            values["points"] = int(points)
        except ValueError:
            raise ValidationFailed(
                "Điểm phải là số nguyên từ 1 đến 100.", "Points must be a whole number, 1 to 100."
            ) from None
    if kind in ("single", "multiple"):
        marked = set(form.getall("option_correct", []))
        options, correct = [], []
        for n in range(1, MAX_OPTIONS + 1):
            text = form_text(form, f"option_text_{n}")
            if not text:
                continue
            option_id = form_text(form, f"option_id_{n}") or None
            options.append({"text": text, "id": option_id})
            if str(n) in marked:
                correct.append(n)
        # Ids of new options are given by the service; refer to them by position until then.
        values["options"] = options
        values["correct_positions"] = correct
    elif kind == "true_false":
        values["correct"] = [form_text(form, "true_false")] if form_text(form, "true_false") else []
    elif kind == "text":
        values["correct"] = [
            line for line in form_text(form, "accepted").split("\n") if line.strip()
        ]
    return values


def _with_ids(values: dict[str, Any]) -> dict[str, Any]:
    """Options without ids get the letters the service would give, so the ticked boxes can
    name them in `correct`."""
    if "options" not in values:
        return values
    options = values["options"]
    taken = {o["id"] for o in options if o["id"]}
    free = (c for c in "abcdefghijklmnopqrstuvwxyz" if c not in taken)
    for option in options:
        option["id"] = option["id"] or next(free)
    positions = values.pop("correct_positions")
    values["correct"] = [options[n - 1]["id"] for n in positions if n <= len(options)]
    return values


def _convert(values: dict[str, Any], kind: type[Any]) -> Any:
    try:
        return msgspec.convert(values, kind)
    except msgspec.ValidationError:
        raise ValidationFailed(
            "Câu hỏi chưa hợp lệ: cần nội dung câu hỏi (tối đa 4.000 ký tự), tối đa 8 phương"
            " án, điểm từ 1 đến 100.",
            "The question is not valid: a prompt (4,000 characters at most), at most 8"
            " options, points from 1 to 100.",
        ) from None


class QuizPages(Controller):
    path = "/"

    # --- learners ---

    @get("/learn/quizzes/{lesson_id:uuid}", opt=access(LEARNERS))
    async def quiz_page(self, request: AnyRequest, lesson_id: FromPath[uuid.UUID]) -> Template:
        """`quiz.access_quiz`: the learner's standing and attempts, start or continue."""
        summary = await quiz.access_quiz(_person(request).id, lesson_id)
        return render(request, "mooc/quiz_summary.html", summary=summary, **_labels())

    @post("/learn/quizzes/{lesson_id:uuid}/attempts", opt=access(LEARNERS))
    async def start_attempt(
        self, request: AnyRequest, lesson_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """`quiz.do_start_attempt` (or the open attempt), then its page."""
        attempt, _ = await quiz.do_start_attempt(_person(request).id, lesson_id)
        return redirect(request, f"{LEARN}/quiz-attempts/{attempt.id}")

    @get("/learn/quiz-attempts/{attempt_id:uuid}", opt=access(LEARNERS))
    async def attempt_page(self, request: AnyRequest, attempt_id: FromPath[uuid.UUID]) -> Template:
        """While open: the questions to answer, with the timer. Once graded: the result and
        its review."""
        attempt = await quiz.access_attempt(_person(request).id, attempt_id)
        summary = await quiz.access_quiz(_person(request).id, attempt.lesson_id)
        template = "mooc/quiz_take.html" if attempt.status == "open" else "mooc/quiz_result.html"
        return render(request, template, attempt=attempt, summary=summary, **_labels())

    @post("/learn/quiz-attempts/{attempt_id:uuid}/submission", opt=access(LEARNERS))
    async def submit_attempt(
        self, request: AnyRequest, attempt_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """`quiz.do_submit_attempt` with the page's answers; after the deadline the attempt
        is graded with what was saved in time, and the result page says the time was over."""
        person = _person(request).id
        attempt = await quiz.access_attempt(person, attempt_id)
        answers = None
        if attempt.status == "open":
            answers = _answers_of(await request.form(), attempt.questions)
        # Past the deadline the attempt is graded as timed out: the result page shows it.
        with contextlib.suppress(AttemptTimeOver):
            await quiz.do_submit_attempt(person, attempt_id, answers=answers)
        return redirect(request, f"{LEARN}/quiz-attempts/{attempt_id}")

    # --- the question bank ---

    @get("/courses/lessons/{lesson_id:uuid}/questions", opt=access(ADMIN))
    async def bank_page(
        self,
        request: AnyRequest,
        lesson_id: FromPath[uuid.UUID],
        saved: Annotated[uuid.UUID | None, QueryParameter()] = None,
        deleted: Annotated[bool, QueryParameter()] = False,
    ) -> Template:
        """`quiz.question_bank`: the questions with their answers; forms when a draft. After
        a form, the question `saved` (or the deletion) is confirmed at the top."""
        bank = await quiz.question_bank(lesson_id)
        return render(
            request, "mooc/quiz_bank.html", bank=bank, saved=saved, deleted=deleted, **_labels()
        )

    @post("/courses/lessons/{lesson_id:uuid}/questions", opt=access(ADMIN))
    async def add_question(
        self, request: AnyRequest, lesson_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """`quiz.do_create_question` from the form."""
        values = _with_ids(_question_from(await request.form()))
        question = await quiz.do_create_question(lesson_id, _convert(values, QuestionIn))
        return redirect(
            request, f"/console/courses/lessons/{lesson_id}/questions?saved={question.id}"
        )

    @post(
        "/courses/lessons/{lesson_id:uuid}/questions/{question_id:uuid}",
        opt=access(ADMIN),
    )
    async def change_question(
        self,
        request: AnyRequest,
        lesson_id: FromPath[uuid.UUID],
        question_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """`quiz.do_update_question` from the form (all of it: the form shows every field)."""
        form = await request.form()
        values = _with_ids(_question_from(form))
        position = form_text(form, "position")
        if position.isdigit():
            values["position"] = int(position)
        values.setdefault("options", [])
        await quiz.do_update_question(question_id, _convert(values, QuestionUpdate))
        return redirect(
            request, f"/console/courses/lessons/{lesson_id}/questions?saved={question_id}"
        )

    @post(
        "/courses/lessons/{lesson_id:uuid}/questions/{question_id:uuid}/deletion",
        opt=access(ADMIN),
    )
    async def delete_question(
        self,
        request: AnyRequest,
        lesson_id: FromPath[uuid.UUID],
        question_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """`quiz.do_delete_question`."""
        await quiz.do_delete_question(question_id)
        return redirect(request, f"/console/courses/lessons/{lesson_id}/questions?deleted=true")


PAGES: list[Any] = [QuizPages]
