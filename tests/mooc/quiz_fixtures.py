"""A published course with a quiz lesson and its question bank (written into the tables, as a
published version is never edited through the API), a learner enrolled in it, and the right
(or wrong) answers to an attempt's questions. Call inside a unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from backend.access import Role
from mooc import quiz_repository
from mooc.quiz import check_question
from mooc.quiz_schemas import OptionIn, QuestionIn
from tests.mooc.factories import LessonSpec, MadeCourse, enrol, make_course
from tests.support.auth import bearer_for, create_person


def single(prompt: str = "Thủ phủ của tỉnh Thái Nguyên là?", points: int = 1) -> QuestionIn:
    return QuestionIn(
        kind="single",
        prompt=prompt,
        options=[
            OptionIn(id="a", text="Thành phố Thái Nguyên"),
            OptionIn(id="b", text="Sông Công"),
            OptionIn(id="c", text="Phổ Yên"),
        ],
        correct=["a"],
        explanation="Thành phố Thái Nguyên là trung tâm hành chính của tỉnh.",
        points=points,
    )


def multiple() -> QuestionIn:
    return QuestionIn(
        kind="multiple",
        prompt="Những giấy tờ nào được tích hợp trên VNeID?",
        options=[
            OptionIn(id="a", text="Giấy phép lái xe"),
            OptionIn(id="b", text="Thẻ bảo hiểm y tế"),
            OptionIn(id="c", text="Vé máy bay"),
        ],
        correct=["a", "b"],
        explanation="Vé máy bay không phải giấy tờ tuỳ thân.",
    )


def true_false() -> QuestionIn:
    return QuestionIn(
        kind="true_false",
        prompt="Đề án 06 về dữ liệu dân cư, định danh và xác thực điện tử.",
        correct=["true"],
        explanation="Đúng: Quyết định 06/QĐ-TTg năm 2022.",
    )


def text() -> QuestionIn:
    return QuestionIn(
        kind="text",
        prompt="Ứng dụng định danh điện tử quốc gia tên là gì?",
        correct=["VNeID"],
        explanation="VNeID do Bộ Công an phát triển.",
    )


def bank_of(count: int) -> list[QuestionIn]:
    return [single(f"Câu hỏi số {n}?") for n in range(1, count + 1)]


@dataclass
class QuizCourse:
    course: MadeCourse
    lesson_id: uuid.UUID
    questions: dict[str, QuestionIn]
    """By question id (text)."""


async def add_question(lesson_id: uuid.UUID, data: QuestionIn) -> uuid.UUID:
    options, correct = check_question(data.kind, data.options, data.correct)
    row = await quiz_repository.insert_question(
        uuid.uuid4(),
        lesson_id,
        kind=data.kind,
        prompt=data.prompt,
        options=options,
        correct=correct,
        explanation=data.explanation,
        points=data.points,
    )
    return row.id


async def quiz_course(
    *questions: QuestionIn,
    draw: int = 0,
    time_limit_seconds: int = 0,
    max_attempts: int = 0,
    pass_percent: float = 80,
    show_answers: str = "after_submit",
    required: bool = True,
    status: str = "published",
    other_lessons: tuple[LessonSpec, ...] = (),
) -> QuizCourse:
    """A course whose first lesson is a quiz with `questions` (one of each kind if none)."""
    questions = questions or (single(), multiple(), true_false(), text())
    settings = {
        "draw": draw,
        "time_limit_seconds": time_limit_seconds,
        "max_attempts": max_attempts,
        "pass_percent": pass_percent,
        "show_answers": show_answers,
    }
    course = await make_course(
        LessonSpec(kind="quiz", title="Bài kiểm tra cuối khoá", required=required, quiz=settings),
        *other_lessons,
        status=status,
    )
    lesson_id = course.lesson_ids[0]
    made = {}
    for question in questions:
        made[str(await add_question(lesson_id, question))] = question
    return QuizCourse(course, lesson_id, made)


async def learner(quiz: QuizCourse) -> tuple[uuid.UUID, uuid.UUID, dict[str, str]]:
    """(person, enrolment, headers) of a civil servant enrolled in the course."""
    person = await create_person(Role.CIVIL_SERVANT)
    enrolment = await enrol(person, quiz.course)
    return person, enrolment, await bearer_for(person)


def right_answer(question: QuestionIn) -> Any:
    if question.kind == "single":
        return question.correct[0]
    if question.kind == "multiple":
        return list(question.correct)
    if question.kind == "true_false":
        return question.correct[0] == "true"
    return question.correct[0]


def wrong_answer(question: QuestionIn) -> Any:
    if question.kind == "single":
        return next(o.id for o in question.options if o.id not in question.correct)
    if question.kind == "multiple":
        return [o.id for o in question.options]
    if question.kind == "true_false":
        return question.correct[0] != "true"
    return "không biết"
