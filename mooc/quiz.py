"""Quizzes: question banks (course admins) and attempts (learners).

Question banks belong to a quiz lesson of one version; only a draft version's bank may change
(a published version is frozen: `VersionFrozen`, edit the course to get a draft, into which
the courses part copies the questions).

Attempts, and the rules this module guarantees:

- Who: every learner call goes through `mooc.context.learner_lesson` (start: `writing=True`,
  so an archived course refuses new attempts) or reads an attempt by id *and* its owner: another
  person's attempt is `AttemptNotFound` (404), exactly like one that does not exist. An attempt
  already started may be finished even if its course is archived meanwhile.
- Start (`do_start_attempt`) is idempotent: while an attempt is open (and in time) it is the
  answer. Otherwise a new one is refused once `max_attempts` are used (`AttemptsExhausted`);
  a learner who passed may try again while attempts remain (the best attempt counts). It draws
  `draw` questions at random (all when 0) in a random order and shuffles each question's
  options (true/false keeps its order), from the operating system's random source; the draw is
  stored in the attempt. One INSERT, whose uniqueness (one open attempt per learner and quiz,
  one row per attempt number) settles concurrent starts.
- Time: `deadline_at` = start + `time_limit_seconds` (none when 0), on the application's clock,
  which every check uses. Answers and submissions are accepted until the deadline plus
  `GRACE_SECONDS` (the time a request takes over a weak mobile link: an answer clicked in the
  last second counts); after it an answer is refused with `AttemptTimeOver` and the attempt is
  graded with the answers saved in time (that grading is committed although the request fails).
- Submission (`do_submit_attempt`) grades once: the attempt row is locked, an attempt no longer
  open answers its existing grade (a second submit returns the same result). A submission after
  the deadline's grace is graded as `timed_out` with the answers saved in time, and answered
  with the error `AttemptTimeOver` (409, `mooc_attempt_time_over`, the attempt's id in the
  problem); its result is then read with GET /attempts/{id}.
- Time-out: attempts left open are graded `timed_out` by a periodic sweep (every
  `SWEEP_SECONDS`, set-based, on the partial index of open attempts' deadlines) and at once by
  any read, answer or submission of the attempt — all through `_finish`, on the locked row, so
  an attempt is graded exactly once. (A job deferred per attempt for its deadline cost half of
  a start's CPU — a second connection and an insert into the job queue — at the quiz-start
  spike; the sweep grades the same attempts at most `SWEEP_SECONDS` later.)
- Grading (`mooc.grading`): all or nothing per question; a passed attempt completes the lesson
  (`mooc.completion.do_complete_lesson`), every graded attempt refreshes the enrolment (best
  score for the reports).
- Review: once graded, per question the learner's answer and whether it was right; the correct
  answer and the explanation only when the quiz's `show_answers` allows (after_submit: any
  graded attempt; after_pass: once the learner has passed this quiz; never).

Load (the deadline burst): a published version never changes, so its bank (settings and
questions) is cached in process; starting is then the lesson context, the attempts list and
one INSERT; saving an answer one UPDATE; grading one locked read and one UPDATE, plus the
enrolment's refresh.
"""

from __future__ import annotations

import random
import string
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec

from mooc import completion
from mooc import quiz_repository as repository
from mooc.context import LessonContext, learner_lesson
from mooc.errors import LessonNotFound
from mooc.grading import TRUE_FALSE, BankQuestion, Option, check_answer, grade, normalize_text
from mooc.quiz_errors import (
    AttemptClosed,
    AttemptNotFound,
    AttemptsExhausted,
    AttemptTimeOver,
    NotAQuiz,
    QuestionCorrectInvalid,
    QuestionNotFound,
    QuestionNotInAttempt,
    QuestionOptionsInvalid,
    QuizEmpty,
    VersionFrozen,
)
from mooc.quiz_repository import AttemptRow, GradeRow, QuestionRow, QuizLessonRow
from mooc.quiz_schemas import (
    AnswerSaved,
    AnswerValue,
    Attempt,
    AttemptQuestion,
    AttemptSummary,
    OptionIn,
    OptionOut,
    Question,
    QuestionBank,
    QuestionIn,
    QuestionReview,
    QuestionUpdate,
    QuizSettings,
    QuizSummary,
)

GRACE_SECONDS = 2.0
"""How long after the deadline answers and submissions are still accepted (network latency)."""
GRACE = timedelta(seconds=GRACE_SECONDS)
SWEEP_SECONDS = 10
"""How often the sweep grades the attempts left open past their deadline (`quiz_tasks`)."""
"""The deadline job runs this long after the grace ends."""
SWEEP_BATCH = 500
BANK_CACHE_SIZE = 2048
"""Banks of published quizzes kept in process (a few kB each)."""
MIN_OPTIONS, MAX_OPTIONS = 2, 8
MAX_ACCEPTED = 20

_random = random.SystemRandom()


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


# --- settings and banks ---------------------------------------------------------------------------


def settings_of(quiz: Mapping[str, Any]) -> QuizSettings:
    """A lesson's quiz settings; a missing or unreadable value takes its default."""
    values: dict[str, Any] = {}
    for name in QuizSettings.__struct_fields__:
        if name in quiz:
            try:
                msgspec.convert({name: quiz[name]}, QuizSettings, strict=False)
            except msgspec.ValidationError:
                continue
            values[name] = quiz[name]
    return msgspec.convert(values, QuizSettings, strict=False)


@dataclass(frozen=True, slots=True)
class QuizBank:
    """A quiz lesson, its settings and questions (with their correct answers)."""

    lesson: QuizLessonRow
    settings: QuizSettings
    questions: tuple[BankQuestion, ...]
    by_id: dict[str, BankQuestion]

    @property
    def per_attempt(self) -> int:
        draw = self.settings.draw
        return draw if 0 < draw < len(self.questions) else len(self.questions)


_banks: OrderedDict[uuid.UUID, QuizBank] = OrderedDict()
_lesson_of_question: dict[uuid.UUID, uuid.UUID] = {}


def forget_banks() -> None:
    """Empty the process's cache of published banks (tests that rewrite a published bank)."""
    _banks.clear()
    _lesson_of_question.clear()


def _bank_question(row: QuestionRow) -> BankQuestion:
    return BankQuestion(
        id=row.id,
        kind=row.kind,
        prompt=row.prompt,
        options=tuple(Option(o["id"], o["text"]) for o in row.options),
        correct=tuple(row.correct),
        explanation=row.explanation,
        points=row.points,
        position=row.position,
    )


async def quiz_bank(lesson_id: uuid.UUID) -> QuizBank:
    """The lesson's bank; a published version's is served from the process's cache."""
    cached = _banks.get(lesson_id)
    if cached is not None:
        _banks.move_to_end(lesson_id)
        return cached
    lesson = await repository.quiz_lesson(lesson_id)
    if lesson is None:
        raise LessonNotFound()
    rows = await repository.questions_of(lesson_id) if lesson.kind == "quiz" else []
    questions = tuple(_bank_question(row) for row in rows)
    bank = QuizBank(
        lesson=lesson,
        settings=settings_of(lesson.quiz),
        questions=questions,
        by_id={str(q.id): q for q in questions},
    )
    if lesson.frozen:
        _banks[lesson_id] = bank
        for question in questions:
            _lesson_of_question[question.id] = lesson_id
        while len(_banks) > BANK_CACHE_SIZE:
            _, evicted = _banks.popitem(last=False)
            for question in evicted.questions:
                _lesson_of_question.pop(question.id, None)
    return bank


# --- question bank (course admins) ----------------------------------------------------------------


def _question_out(row: QuestionRow) -> Question:
    return Question(
        id=row.id,
        lesson_id=row.lesson_id,
        position=row.position,
        kind=row.kind,  # type: ignore[arg-type]  # the table's check keeps it to the Literal
        prompt=row.prompt,
        options=[OptionOut(id=o["id"], text=o["text"]) for o in row.options],
        correct=list(row.correct),
        explanation=row.explanation,
        points=row.points,
    )


def check_question(
    kind: str, options: Sequence[OptionIn], correct: Sequence[str]
) -> tuple[list[dict[str, str]], list[str]]:
    """The options (ids given to those sent without) and correct answers a question stores,
    or the error saying what is wrong. true_false always has the options true and false."""
    if kind == "true_false":
        if len(correct) != 1 or correct[0] not in ("true", "false"):
            raise QuestionCorrectInvalid(
                'Câu hỏi đúng/sai: đáp án đúng là "true" hoặc "false".',
                'True/false: the correct answer is "true" or "false".',
            )
        return [{"id": i, "text": vi} for i, vi, _ in TRUE_FALSE], [correct[0]]
    if kind == "text":
        if options:
            raise QuestionOptionsInvalid(
                "Câu trả lời ngắn không có phương án.", "A short-text question has no options."
            )
        accepted: list[str] = []
        seen: set[str] = set()
        for answer in correct:
            folded = normalize_text(answer)
            if not folded:
                raise QuestionCorrectInvalid(
                    "Đáp án được chấp nhận không được để trống.", "An accepted answer is empty."
                )
            if folded not in seen:
                seen.add(folded)
                accepted.append(" ".join(answer.split()))
        if not accepted or len(accepted) > MAX_ACCEPTED:
            raise QuestionCorrectInvalid(
                f"Câu trả lời ngắn cần từ 1 đến {MAX_ACCEPTED} đáp án được chấp nhận.",
                f"A short-text question needs 1 to {MAX_ACCEPTED} accepted answers.",
            )
        return [], accepted
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise QuestionOptionsInvalid()
    given = [o.id for o in options if o.id is not None]
    if len(set(given)) != len(given):
        raise QuestionOptionsInvalid("Hai phương án trùng mã.", "Two options have the same id.")
    free = (letter for letter in string.ascii_lowercase if letter not in given)
    stored: list[dict[str, str]] = []
    for option in options:
        text = option.text.strip()
        if not text:
            raise QuestionOptionsInvalid(
                "Phương án không được để trống.", "An option's text is empty."
            )
        stored.append({"id": option.id or next(free), "text": text})
    ids = [o["id"] for o in stored]
    if len(set(correct)) != len(correct) or not set(correct) <= set(ids):
        raise QuestionCorrectInvalid(
            "Đáp án đúng phải là mã của các phương án, không trùng lặp.",
            "Correct answers must be ids of the options, without repeats.",
        )
    if kind == "single" and len(correct) != 1:
        raise QuestionCorrectInvalid(
            "Câu hỏi một lựa chọn cần đúng một đáp án đúng.",
            "A single-choice question needs exactly one correct option.",
        )
    if kind == "multiple" and not correct:
        raise QuestionCorrectInvalid(
            "Câu hỏi nhiều lựa chọn cần ít nhất một đáp án đúng.",
            "A multiple-choice question needs at least one correct option.",
        )
    return stored, [i for i in ids if i in correct]


async def _editable_lesson(lesson_id: uuid.UUID) -> QuizLessonRow:
    lesson = await repository.quiz_lesson(lesson_id, for_edit=True)
    if lesson is None:
        raise LessonNotFound()
    if lesson.kind != "quiz":
        raise NotAQuiz()
    if lesson.frozen:
        raise VersionFrozen(course_id=str(lesson.course_id))
    return lesson


async def question_bank(lesson_id: uuid.UUID) -> QuestionBank:
    """A quiz lesson's bank as its authors see it (correct answers included), in any version."""
    lesson = await repository.quiz_lesson(lesson_id)
    if lesson is None:
        raise LessonNotFound()
    if lesson.kind != "quiz":
        raise NotAQuiz()
    rows = await repository.questions_of(lesson_id)
    return QuestionBank(
        lesson_id=lesson.id,
        lesson_title=lesson.title,
        course_id=lesson.course_id,
        version_id=lesson.version_id,
        frozen=lesson.frozen,
        settings=settings_of(lesson.quiz),
        questions=[_question_out(row) for row in rows],
    )


async def do_create_question(lesson_id: uuid.UUID, data: QuestionIn) -> Question:
    """A question appended to a draft quiz's bank."""
    await _editable_lesson(lesson_id)
    options, correct = check_question(data.kind, data.options, data.correct)
    row = await repository.insert_question(
        uuid.uuid4(),
        lesson_id,
        kind=data.kind,
        prompt=data.prompt.strip(),
        options=options,
        correct=correct,
        explanation=data.explanation.strip(),
        points=data.points,
    )
    return _question_out(row)


async def _question_for_edit(question_id: uuid.UUID) -> QuestionRow:
    row = await repository.question(question_id)
    if row is None:
        raise QuestionNotFound()
    await _editable_lesson(row.lesson_id)
    return row


async def do_update_question(question_id: uuid.UUID, data: QuestionUpdate) -> Question:
    """Fields changed in a draft quiz's question; the whole question checked again. A new
    `position` moves it among the others (1 = first)."""
    row = await _question_for_edit(question_id)
    kind = row.kind if isinstance(data.kind, msgspec.UnsetType) else data.kind
    if isinstance(data.options, msgspec.UnsetType):
        options = (
            [] if kind == "text" else [OptionIn(id=o["id"], text=o["text"]) for o in row.options]
        )
    else:
        options = data.options
    correct = row.correct if isinstance(data.correct, msgspec.UnsetType) else data.correct
    stored_options, stored_correct = check_question(kind, options, correct)
    prompt = row.prompt if isinstance(data.prompt, msgspec.UnsetType) else data.prompt.strip()
    explanation = (
        row.explanation
        if isinstance(data.explanation, msgspec.UnsetType)
        else data.explanation.strip()
    )
    points = row.points if isinstance(data.points, msgspec.UnsetType) else data.points
    saved = await repository.update_question(
        msgspec.structs.replace(
            row,
            kind=kind,
            prompt=prompt,
            options=stored_options,
            correct=stored_correct,
            explanation=explanation,
            points=points,
        )
    )
    if not isinstance(data.position, msgspec.UnsetType) and data.position != row.position:
        await _move(saved, data.position)
        moved = await repository.question(question_id)
        saved = moved if moved is not None else saved
    return _question_out(saved)


async def _move(row: QuestionRow, position: int) -> None:
    ordered = [q.id for q in await repository.questions_of(row.lesson_id) if q.id != row.id]
    ordered.insert(min(max(position, 1), len(ordered) + 1) - 1, row.id)
    await repository.renumber_questions(row.lesson_id, ordered)


async def do_delete_question(question_id: uuid.UUID) -> None:
    """A question removed from a draft quiz's bank."""
    await _question_for_edit(question_id)
    await repository.delete_question(question_id)


# --- attempts: views ------------------------------------------------------------------------------


def _past_grace(row: AttemptRow, now: datetime) -> bool:
    return row.deadline_at is not None and now > row.deadline_at + GRACE


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _shown(settings: QuizSettings, passed_any: bool) -> bool:
    if settings.show_answers == "after_submit":
        return True
    return settings.show_answers == "after_pass" and passed_any


def _view(row: AttemptRow, bank: QuizBank, now: datetime, *, passed_any: bool) -> Attempt:
    """An attempt as its learner sees it: never the correct answers while open."""
    questions: list[AttemptQuestion] = []
    drawn: list[BankQuestion] = []
    for entry in row.questions:
        question = bank.by_id.get(str(entry["id"]))
        if question is None:
            continue
        texts = {o.id: o.text for o in question.options}
        drawn.append(question)
        questions.append(
            AttemptQuestion(
                id=question.id,
                kind=question.kind,  # type: ignore[arg-type]  # checked by the table
                prompt=question.prompt,
                points=question.points,
                options=[OptionOut(id=o, text=texts[o]) for o in entry["options"] if o in texts],
            )
        )
    graded = row.status != "open"
    shown = graded and _shown(bank.settings, passed_any)
    review = None
    if graded:
        review = []
        for question in drawn:
            result = row.results.get(str(question.id), {})
            review.append(
                QuestionReview(
                    question_id=question.id,
                    answer=row.answers.get(str(question.id)),
                    correct=bool(result.get("correct")),
                    points=int(result.get("points", 0)),
                    max_points=int(result.get("max_points", question.points)),
                    correct_answer=list(question.correct) if shown else None,
                    explanation=question.explanation if shown else None,
                )
            )
    return Attempt(
        id=row.id,
        lesson_id=row.lesson_id,
        number=row.number,
        status=row.status,  # type: ignore[arg-type]  # checked by the table
        started_at=row.started_at,
        deadline_at=row.deadline_at,
        now=now,
        time_limit_seconds=bank.settings.time_limit_seconds,
        pass_percent=bank.settings.pass_percent,
        questions=questions,
        answers=row.answers,
        submitted_at=row.submitted_at,
        score=_float(row.score),
        max_score=_float(row.max_score),
        percent=_float(row.percent),
        passed=row.passed,
        answers_shown=shown,
        review=review,
    )


async def _viewed(row: AttemptRow, bank: QuizBank, now: datetime) -> Attempt:
    passed_any = bool(row.passed)
    if row.status != "open" and not passed_any and bank.settings.show_answers == "after_pass":
        passed_any = await repository.any_passed(row.enrolment_id, row.lesson_id)
    return _view(row, bank, now, passed_any=passed_any)


def _summary_of(row: AttemptRow) -> AttemptSummary:
    return AttemptSummary(
        id=row.id,
        number=row.number,
        status=row.status,  # type: ignore[arg-type]  # checked by the table
        started_at=row.started_at,
        deadline_at=row.deadline_at,
        submitted_at=row.submitted_at,
        percent=_float(row.percent),
        passed=row.passed,
    )


# --- attempts: grading ----------------------------------------------------------------------------


def _grade_of(row: AttemptRow, bank: QuizBank, status: str, at: datetime) -> GradeRow:
    drawn = [bank.by_id[str(e["id"])] for e in row.questions if str(e["id"]) in bank.by_id]
    result = grade(drawn, row.answers, bank.settings.pass_percent)
    return GradeRow(
        attempt_id=row.id,
        status=status,
        submitted_at=at,
        score=Decimal(result.score),
        max_score=Decimal(result.max_score),
        percent=result.percent,
        passed=result.passed,
        results={
            qid: {"points": r.points, "max_points": r.max_points, "correct": r.correct}
            for qid, r in result.results.items()
        },
    )


async def _after_grade(row: AttemptRow, at: datetime) -> None:
    """A passed attempt completes the lesson; any graded one refreshes the enrolment."""
    completed = False
    if row.passed:
        completed = bool(
            await completion.do_complete_lesson(row.enrolment_id, row.lesson_id, row.person_id, at)
        )
    if not completed:
        await completion.refresh_enrolment(row.enrolment_id, at)


async def _finish(
    row: AttemptRow, bank: QuizBank, now: datetime, *, submitting: bool
) -> AttemptRow:
    """Grade a locked open attempt: `submitting` (the learner's submission) or, past the
    deadline's grace, as timed out (at its deadline). Otherwise it stays open."""
    late = _past_grace(row, now)
    if row.status != "open" or not (submitting or late):
        return row
    at = row.deadline_at if late and row.deadline_at is not None else now
    graded = await repository.store_grade(
        _grade_of(row, bank, "timed_out" if late else "submitted", at)
    )
    if graded is None:  # pragma: no cover - the row is locked by the caller
        found = await repository.attempt_of(row.id)
        assert found is not None
        return found
    await _after_grade(graded, at)
    return graded


async def _grade_if_overdue(attempt_id: uuid.UUID, now: datetime) -> AttemptRow | None:
    row = await repository.attempt_of(attempt_id, lock=True)
    if row is None:
        return None
    if row.status == "open" and _past_grace(row, now):
        row = await _finish(row, await quiz_bank(row.lesson_id), now, submitting=False)
    return row


async def do_sweep_overdue_attempts(
    now: datetime | None = None, *, limit: int = SWEEP_BATCH
) -> int:
    """Every open attempt past its deadline and grace (up to `limit`), graded as timed out in
    one UPDATE; attempts being graded by someone else are skipped. Returns how many."""
    now = _now(now)
    rows = await repository.overdue_attempts(now - GRACE, limit)
    grades: list[GradeRow] = []
    for row in rows:
        bank = await quiz_bank(row.lesson_id)
        assert row.deadline_at is not None
        grades.append(_grade_of(row, bank, "timed_out", row.deadline_at))
    await repository.store_grades(grades)
    for row, graded in zip(rows, grades, strict=True):
        await _after_grade(
            msgspec.structs.replace(row, status="timed_out", passed=graded.passed),
            graded.submitted_at,
        )
    return len(rows)


# --- attempts: the learner's calls ----------------------------------------------------------------


def _draw(bank: QuizBank) -> list[dict[str, Any]]:
    chosen = _random.sample(list(bank.questions), bank.per_attempt)
    drawn = []
    for question in chosen:
        options = list(question.option_ids)
        if question.kind != "true_false":
            _random.shuffle(options)
        drawn.append({"id": str(question.id), "options": options})
    return drawn


async def _quiz_context(
    person_id: uuid.UUID, lesson_id: uuid.UUID, *, writing: bool
) -> tuple[LessonContext, QuizBank]:
    context = await learner_lesson(person_id, lesson_id, writing=writing)
    if context.kind != "quiz":
        raise NotAQuiz()
    return context, await quiz_bank(lesson_id)


async def access_quiz(
    person_id: uuid.UUID, lesson_id: uuid.UUID, now: datetime | None = None
) -> QuizSummary:
    """The learner's standing in a quiz: attempts used and left, best, whether passed, the
    open attempt. An open attempt past its deadline is graded first (so the figures are
    final)."""
    now = _now(now)
    context, bank = await _quiz_context(person_id, lesson_id, writing=False)
    attempts = await repository.attempts_of(context.enrolment_id, lesson_id)
    if any(a.status == "open" and _past_grace(a, now) for a in attempts):
        for attempt in attempts:
            if attempt.status == "open":
                await _grade_if_overdue(attempt.id, now)
        attempts = await repository.attempts_of(context.enrolment_id, lesson_id)
    settings = bank.settings
    used = len(attempts)
    left = None if settings.max_attempts <= 0 else max(0, settings.max_attempts - used)
    percents = [a.percent for a in attempts if a.percent is not None]
    open_attempt = next((a for a in attempts if a.status == "open"), None)
    closed = context.course_status == "archived"
    return QuizSummary(
        lesson_id=lesson_id,
        course_id=context.course_id,
        title=context.title,
        required=context.required,
        settings=settings,
        question_count=bank.per_attempt,
        attempts_used=used,
        attempts_left=left,
        best_percent=float(max(percents)) if percents else None,
        passed=any(a.passed for a in attempts),
        open_attempt_id=open_attempt.id if open_attempt else None,
        can_start=(
            open_attempt is None
            and not closed
            and (left is None or left > 0)
            and bool(bank.questions)
        ),
        course_closed=closed,
        attempts=[_summary_of(a) for a in attempts],
    )


async def do_start_attempt(
    person_id: uuid.UUID, lesson_id: uuid.UUID, now: datetime | None = None
) -> tuple[Attempt, bool]:
    """The learner's open attempt at the quiz, started now if none is open: (attempt, whether
    it was started by this call). Refused for a closed course (`CourseClosed`), an empty bank
    (`QuizEmpty`), attempts used up (`AttemptsExhausted`)."""
    now = _now(now)
    context, bank = await _quiz_context(person_id, lesson_id, writing=True)
    if not bank.questions:
        raise QuizEmpty()
    for _ in range(3):
        attempts = await repository.attempts_of(context.enrolment_id, lesson_id)
        current = next((a for a in attempts if a.status == "open"), None)
        if current is not None:
            if not _past_grace(current, now):
                return _view(current, bank, now, passed_any=False), False
            await _grade_if_overdue(current.id, now)
        limit = bank.settings.max_attempts
        if limit > 0 and len(attempts) >= limit:
            raise AttemptsExhausted(attempts_used=len(attempts), max_attempts=limit)
        seconds = bank.settings.time_limit_seconds
        deadline = now + timedelta(seconds=seconds) if seconds > 0 else None
        row = await repository.insert_attempt(
            uuid.uuid4(),
            enrolment_id=context.enrolment_id,
            lesson_id=lesson_id,
            person_id=person_id,
            number=max((a.number for a in attempts), default=0) + 1,
            questions=_draw(bank),
            started_at=now,
            deadline_at=deadline,
        )
        if row is None:  # a concurrent start of the same learner won: answer its attempt
            continue
        return _view(row, bank, now, passed_any=False), True
    raise AttemptsExhausted()  # pragma: no cover - three concurrent starts in a row


async def access_attempt(
    person_id: uuid.UUID, attempt_id: uuid.UUID, now: datetime | None = None
) -> Attempt:
    """The person's attempt (another's is `AttemptNotFound`); an open attempt past its
    deadline is graded as timed out first."""
    now = _now(now)
    row = await repository.attempt_of(attempt_id, person_id)
    if row is None:
        raise AttemptNotFound()
    if row.status == "open" and _past_grace(row, now):
        row = await _grade_if_overdue(attempt_id, now) or row
    return await _viewed(row, await quiz_bank(row.lesson_id), now)


async def _bank_of_question(question_id: uuid.UUID) -> QuizBank:
    lesson_id = _lesson_of_question.get(question_id)
    if lesson_id is None:
        found = await repository.question(question_id)
        if found is None:
            raise QuestionNotInAttempt()
        lesson_id = found.lesson_id
    return await quiz_bank(lesson_id)


async def do_save_answer(
    person_id: uuid.UUID,
    attempt_id: uuid.UUID,
    question_id: uuid.UUID,
    value: AnswerValue,
    now: datetime | None = None,
) -> AnswerSaved:
    """One answer saved into the person's open attempt (None clears it), checked against the
    question's kind first. One UPDATE, guarded by the attempt's owner, status, deadline (plus
    the grace) and draw. Past the deadline: `AttemptTimeOver`, the attempt graded."""
    now = _now(now)
    bank = await _bank_of_question(question_id)
    question = bank.by_id.get(str(question_id))
    if question is None:  # pragma: no cover - the bank was read for this question
        raise QuestionNotInAttempt()
    answer = check_answer(question, value)
    saved = await repository.save_answer(
        attempt_id, person_id, question_id, answer, now=now, grace_seconds=GRACE_SECONDS
    )
    if saved is not None:
        return AnswerSaved(question_id=question_id, value=answer, deadline_at=saved[1], now=now)
    refusal = await repository.answer_refusal(attempt_id, person_id, question_id)
    if refusal is None:
        raise AttemptNotFound()
    if refusal.status == "open" and not refusal.drawn:
        raise QuestionNotInAttempt()
    if refusal.status == "open":
        await _grade_if_overdue(attempt_id, now)
        raise AttemptTimeOver(attempt_id=str(attempt_id))
    if refusal.status == "timed_out":
        raise AttemptTimeOver(attempt_id=str(attempt_id))
    raise AttemptClosed(attempt_id=str(attempt_id))


async def do_submit_attempt(
    person_id: uuid.UUID,
    attempt_id: uuid.UUID,
    now: datetime | None = None,
    *,
    answers: Mapping[str, AnswerValue] | None = None,
) -> Attempt:
    """Grade the person's attempt (idempotent: an attempt already graded answers its grade).
    `answers` (the console's form: the page's whole state) are merged in first when in time.
    Past the deadline's grace the attempt is graded as timed out with what was saved in time,
    and `AttemptTimeOver` raised (the grade stays)."""
    now = _now(now)
    row = await repository.attempt_of(attempt_id, person_id, lock=True)
    if row is None:
        raise AttemptNotFound()
    bank = await quiz_bank(row.lesson_id)
    if row.status == "open":
        if answers and not _past_grace(row, now):
            merged = dict(row.answers)
            drawn = {str(e["id"]) for e in row.questions}
            for question_id, value in answers.items():
                question = bank.by_id.get(question_id)
                if question is None or question_id not in drawn:
                    raise QuestionNotInAttempt()
                merged[question_id] = check_answer(question, value)
            row = msgspec.structs.replace(row, answers=merged)
            await repository.replace_answers(row.id, merged)
        row = await _finish(row, bank, now, submitting=True)
    if row.status == "timed_out":
        raise AttemptTimeOver(attempt_id=str(attempt_id))
    return await _viewed(row, bank, now)
