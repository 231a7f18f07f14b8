"""Values of quizzes that cross HTTP and reach the console (msgspec Structs): question banks
for course admins, attempts for learners (their questions never carry the correct answers;
the review after grading shows them only as the quiz's `show_answers` allows)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

QuestionKind = Literal["single", "multiple", "true_false", "text"]
ShowAnswers = Literal["never", "after_submit", "after_pass"]
AttemptStatus = Literal["open", "submitted", "timed_out"]
OptionId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_-]{1,16}$")]
AnswerValue = str | list[str] | bool | None
"""single: an option id; multiple: option ids; true_false: true or false (or "true"/"false");
text: the text typed; null clears the answer."""


class QuizSettings(msgspec.Struct, frozen=True, kw_only=True):
    """A quiz lesson's settings (`mooc_lessons.quiz`, written and bounded by the courses part;
    a value missing from the lesson takes the same default as there)."""

    draw: int = 10
    """Questions drawn per attempt (0, or more than the bank holds: all of them)."""
    time_limit_seconds: int = 0
    """0: no time limit."""
    max_attempts: int = 3
    """0: unlimited."""
    pass_percent: float = 70
    show_answers: ShowAnswers = "after_submit"
    """Whether the review shows the correct answers and explanations: never, after any
    graded attempt, or only once the learner has passed this quiz."""


# --- question bank (course admins) -------------------------------------------------------------


class OptionIn(msgspec.Struct, frozen=True, kw_only=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    id: OptionId | None = None
    """Kept across edits; an option sent without one gets the first unused letter (a, b, …)."""


class QuestionIn(msgspec.Struct, frozen=True, kw_only=True):
    """A question. single: 2–8 options, exactly one correct; multiple: 2–8 options, at least
    one correct; true_false: options are always true ("Đúng") and false ("Sai"), `correct` is
    ["true"] or ["false"]; text: no options, `correct` lists the accepted answers (matched
    without regard to case or spaces, diacritics kept)."""

    kind: QuestionKind
    prompt: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    options: Annotated[list[OptionIn], msgspec.Meta(max_length=8)] = []
    correct: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=200)]], msgspec.Meta(max_length=20)
    ] = []
    explanation: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    points: Annotated[int, msgspec.Meta(ge=1, le=100)] = 1


class QuestionUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """Fields to change; the question as a whole is checked again."""

    kind: QuestionKind | msgspec.UnsetType = msgspec.UNSET
    prompt: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    options: Annotated[list[OptionIn], msgspec.Meta(max_length=8)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    correct: (
        Annotated[list[Annotated[str, msgspec.Meta(max_length=200)]], msgspec.Meta(max_length=20)]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    explanation: Annotated[str, msgspec.Meta(max_length=4000)] | msgspec.UnsetType = msgspec.UNSET
    points: Annotated[int, msgspec.Meta(ge=1, le=100)] | msgspec.UnsetType = msgspec.UNSET
    position: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | msgspec.UnsetType = msgspec.UNSET


class OptionOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    text: str


class Question(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    lesson_id: uuid.UUID
    position: int
    kind: QuestionKind
    prompt: str
    options: list[OptionOut]
    correct: list[str]
    explanation: str
    points: int


class QuestionBank(msgspec.Struct, frozen=True, kw_only=True):
    lesson_id: uuid.UUID
    lesson_title: str
    course_id: uuid.UUID
    version_id: uuid.UUID
    frozen: bool
    """A published version: read only (edit the course to get a draft)."""
    settings: QuizSettings
    questions: list[Question]


# --- attempts (learners) -------------------------------------------------------------------------


class AttemptQuestion(msgspec.Struct, frozen=True, kw_only=True):
    """A question as the learner sees it: options in this attempt's order, no answers."""

    id: uuid.UUID
    kind: QuestionKind
    prompt: str
    points: int
    options: list[OptionOut]


class QuestionReview(msgspec.Struct, frozen=True, kw_only=True):
    question_id: uuid.UUID
    answer: AnswerValue
    """What the learner answered (null: nothing)."""
    correct: bool
    points: int
    max_points: int
    correct_answer: list[str] | None = None
    """Option ids, or the accepted answers of a text question; only when answers are shown."""
    explanation: str | None = None
    """Only when answers are shown."""


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    lesson_id: uuid.UUID
    number: int
    status: AttemptStatus
    started_at: datetime
    deadline_at: datetime | None
    """When answers stop being accepted (null: no time limit)."""
    now: datetime
    """The server's clock when answering, so a page can set its timer by it."""
    time_limit_seconds: int
    pass_percent: float
    questions: list[AttemptQuestion]
    answers: dict[str, AnswerValue]
    submitted_at: datetime | None = None
    score: float | None = None
    max_score: float | None = None
    percent: float | None = None
    passed: bool | None = None
    answers_shown: bool = False
    """Whether the review carries the correct answers and explanations."""
    review: list[QuestionReview] | None = None
    """Once graded: per question, in the attempt's order."""


class AnswerIn(msgspec.Struct, frozen=True, kw_only=True):
    value: AnswerValue


class AnswerSaved(msgspec.Struct, frozen=True, kw_only=True):
    question_id: uuid.UUID
    value: AnswerValue
    deadline_at: datetime | None
    now: datetime


class AttemptSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    number: int
    status: AttemptStatus
    started_at: datetime
    deadline_at: datetime | None
    submitted_at: datetime | None
    percent: float | None
    passed: bool | None


class QuizSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A learner's standing in one quiz."""

    lesson_id: uuid.UUID
    course_id: uuid.UUID
    title: str
    required: bool
    settings: QuizSettings
    question_count: int
    """Questions per attempt."""
    attempts_used: int
    attempts_left: int | None
    """None: unlimited."""
    best_percent: float | None
    passed: bool
    open_attempt_id: uuid.UUID | None
    can_start: bool
    """A new attempt may be started now (attempts left, course open, none open)."""
    course_closed: bool
    attempts: list[AttemptSummary]
