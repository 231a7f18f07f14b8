"""Grading of quiz answers: pure functions, no I/O, the one definition of what is right.

Rules (the learner's page and the API documentation say the same):

- single choice and true/false: all or nothing (the one correct option);
- multiple choice: all or nothing — exactly the set of correct options, no more, no less.
  Partial credit was considered and left out: in compliance training a learner who ticks
  every box must not earn most of the points, and "right or wrong" per question is what the
  review shows;
- short text: right when the answer matches one of the accepted answers once both are
  normalised by `normalize_text`: Unicode NFC (a Vietnamese keyboard may send "ệ" composed or
  as "e" + two combining marks), case ignored (`casefold`, so "Đ" matches "đ"), spaces around
  and repeated spaces ignored. Diacritics are kept: "Ha Noi" is not "Hà Nội" (in Vietnamese
  they are different words);
- an unanswered question earns nothing.

The attempt's score is the sum of the points earned; the percentage is rounded to 2 decimals
for display, and passing compares exactly (score × 100 ≥ pass mark × maximum).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from mooc.quiz_errors import AnswerInvalid

KINDS = ("single", "multiple", "true_false", "text")
TRUE_FALSE = (("true", "Đúng", "True"), ("false", "Sai", "False"))
"""The two options of a true/false question: (id, Vietnamese, English)."""
TEXT_ANSWER_MAX = 500
"""Longest short-text answer kept (characters)."""

Answer = str | list[str] | bool | None
"""An answer as the API takes and the attempt stores it: an option id (single), option ids
(multiple), a boolean (true/false; "true"/"false" are accepted too), a text; None clears."""


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class BankQuestion:
    """A question of a quiz's bank, as graded (with its correct answers)."""

    id: uuid.UUID
    kind: str
    prompt: str
    options: tuple[Option, ...]
    correct: tuple[str, ...]
    """Ids of the correct options, or for text the accepted answers."""
    explanation: str
    points: int
    position: int

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(option.id for option in self.options)


@dataclass(frozen=True, slots=True)
class QuestionResult:
    points: int
    """Points earned."""
    max_points: int
    correct: bool
    answered: bool


@dataclass(frozen=True, slots=True)
class Grade:
    score: int
    max_score: int
    percent: Decimal
    passed: bool
    results: dict[str, QuestionResult]
    """Per question id (as text)."""


def normalize_text(value: str) -> str:
    """What two short-text answers are compared by: NFC, case folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


def check_answer(question: BankQuestion, value: Any) -> Answer:
    """The answer in the form the attempt stores, or `AnswerInvalid` when it does not fit the
    question's kind (an option the question does not have, a list for a single choice…)."""
    if value is None:
        return None
    if question.kind == "single":
        if isinstance(value, str) and value in question.option_ids:
            return value
        raise AnswerInvalid(
            "Câu hỏi một lựa chọn: hãy gửi mã của một phương án.",
            "Single choice: send the id of one option.",
        )
    if question.kind == "multiple":
        if (
            isinstance(value, list)
            and all(isinstance(v, str) and v in question.option_ids for v in value)
            and len(set(value)) == len(value)
        ):
            return [option for option in question.option_ids if option in value]
        raise AnswerInvalid(
            "Câu hỏi nhiều lựa chọn: hãy gửi danh sách mã phương án, không trùng lặp.",
            "Multiple choice: send a list of option ids, without repeats.",
        )
    if question.kind == "true_false":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        raise AnswerInvalid(
            "Câu hỏi đúng/sai: hãy gửi true hoặc false.",
            "True/false: send true or false.",
        )
    if isinstance(value, str) and len(value) <= TEXT_ANSWER_MAX:
        return value
    raise AnswerInvalid(
        f"Câu trả lời ngắn: hãy gửi một đoạn văn bản (tối đa {TEXT_ANSWER_MAX} ký tự).",
        f"Short text: send a text (at most {TEXT_ANSWER_MAX} characters).",
    )


def is_correct(question: BankQuestion, answer: Any) -> bool:
    """Whether a stored answer is right (anything malformed is wrong, never an error)."""
    if answer is None:
        return False
    if question.kind == "single":
        return isinstance(answer, str) and set(question.correct) == {answer}
    if question.kind == "multiple":
        return (
            isinstance(answer, list)
            and all(isinstance(a, str) for a in answer)
            and set(answer) == set(question.correct)
        )
    if question.kind == "true_false":
        if not isinstance(answer, bool):
            return False
        return ("true" if answer else "false") in question.correct
    if question.kind == "text":
        if not isinstance(answer, str):
            return False
        accepted = {normalize_text(a) for a in question.correct}
        return normalize_text(answer) in accepted
    return False


def is_answered(answer: Any) -> bool:
    if answer is None:
        return False
    if isinstance(answer, str | list):
        return bool(answer.strip() if isinstance(answer, str) else answer)
    return True


def grade(
    questions: Sequence[BankQuestion], answers: Mapping[str, Any], pass_percent: float | int
) -> Grade:
    """The grade of an attempt at `questions` (those drawn for it) with its `answers` keyed by
    question id (text). Deterministic: the same answers always give the same grade."""
    results: dict[str, QuestionResult] = {}
    score = 0
    max_score = 0
    for question in questions:
        answer = answers.get(str(question.id))
        right = is_correct(question, answer)
        earned = question.points if right else 0
        results[str(question.id)] = QuestionResult(
            points=earned, max_points=question.points, correct=right, answered=is_answered(answer)
        )
        score += earned
        max_score += question.points
    if max_score == 0:
        return Grade(0, 0, Decimal("0.00"), False, results)
    percent = (Decimal(score * 100) / Decimal(max_score)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    passed = Decimal(score * 100) >= Decimal(str(pass_percent)) * Decimal(max_score)
    return Grade(score, max_score, percent, passed, results)
