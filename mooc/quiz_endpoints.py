"""Routes of quizzes: question banks for course admins under /api/v1/admin, attempts for
learners under /api/v1 (any signed-in person: what they may take is decided by their
enrolment, in the service). Thin: every rule is in `mooc.quiz`."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.access import SIGNED_IN, Role, access, roles, signed_in
from mooc import quiz
from mooc.errors import CourseClosed, LessonNotFound, NotEnrolled
from mooc.quiz_errors import (
    AnswerInvalid,
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
from mooc.quiz_schemas import (
    AnswerIn,
    AnswerSaved,
    Attempt,
    Question,
    QuestionBank,
    QuestionIn,
    QuestionUpdate,
    QuizSummary,
)

AnyRequest = Request[Any, Any, Any]
ADMIN = roles(Role.COURSE_ADMIN)
EDIT_PROBLEMS = (VersionFrozen, NotAQuiz, QuestionOptionsInvalid, QuestionCorrectInvalid)
LEARNER_PROBLEMS = (LessonNotFound, NotEnrolled, NotAQuiz)


class QuestionBankController(Controller):
    path = "/api/v1/admin"
    tags = ["courses: quizzes (authoring)"]

    @get(
        "/lessons/{lesson_id:uuid}/questions",
        opt=access(ADMIN, problems=(LessonNotFound, NotAQuiz)),
    )
    async def list_questions(self, lesson_id: FromPath[uuid.UUID]) -> QuestionBank:
        """A quiz lesson's question bank with the correct answers, in position order, and
        whether its version is frozen (published: read only)."""
        return await quiz.question_bank(lesson_id)

    @post(
        "/lessons/{lesson_id:uuid}/questions",
        status_code=HTTP_201_CREATED,
        opt=access(ADMIN, problems=(LessonNotFound, *EDIT_PROBLEMS)),
    )
    async def create_question(
        self, lesson_id: FromPath[uuid.UUID], data: JSONBody[QuestionIn]
    ) -> Question:
        """A question added at the end of a draft quiz's bank. single: 2–8 options, one
        correct; multiple: 2–8 options, at least one correct; true_false: `correct` is
        ["true"] or ["false"]; text: no options, `correct` lists the accepted answers
        (compared ignoring case and extra spaces, with diacritics)."""
        return await quiz.do_create_question(lesson_id, data)

    @patch(
        "/questions/{question_id:uuid}",
        opt=access(ADMIN, problems=(QuestionNotFound, *EDIT_PROBLEMS)),
    )
    async def update_question(
        self, question_id: FromPath[uuid.UUID], data: JSONBody[QuestionUpdate]
    ) -> Question:
        """Fields of a draft quiz's question changed (options keep the ids they are sent
        with); `position` moves it."""
        return await quiz.do_update_question(question_id, data)

    @delete(
        "/questions/{question_id:uuid}",
        status_code=HTTP_204_NO_CONTENT,
        opt=access(ADMIN, problems=(QuestionNotFound, VersionFrozen, NotAQuiz)),
    )
    async def delete_question(self, question_id: FromPath[uuid.UUID]) -> None:
        """A question removed from a draft quiz's bank."""
        await quiz.do_delete_question(question_id)


class AttemptController(Controller):
    path = "/api/v1"
    tags = ["courses: quizzes (learners)"]

    @get("/lessons/{lesson_id:uuid}/attempts", opt=access(SIGNED_IN, problems=LEARNER_PROBLEMS))
    async def quiz_summary(
        self, request: AnyRequest, lesson_id: FromPath[uuid.UUID]
    ) -> QuizSummary:
        """The caller's standing in a quiz: settings, attempts used and left, best percent,
        passed, the open attempt, and each attempt."""
        return await quiz.access_quiz(signed_in(request).id, lesson_id)

    @post(
        "/lessons/{lesson_id:uuid}/attempts",
        status_code=HTTP_201_CREATED,
        opt=access(
            SIGNED_IN,
            problems=(*LEARNER_PROBLEMS, CourseClosed, QuizEmpty, AttemptsExhausted),
        ),
    )
    async def start_attempt(
        self, request: AnyRequest, lesson_id: FromPath[uuid.UUID]
    ) -> Response[Attempt]:
        """Start an attempt (201), or answer the open one (200). The questions drawn for it,
        options shuffled, without answers; `deadline_at` and the server's `now` for the
        timer. Answers are accepted up to 2 seconds past the deadline (network latency)."""
        attempt, started = await quiz.do_start_attempt(signed_in(request).id, lesson_id)
        return Response(attempt, status_code=HTTP_201_CREATED if started else HTTP_200_OK)

    @get("/attempts/{attempt_id:uuid}", opt=access(SIGNED_IN, problems=(AttemptNotFound,)))
    async def get_attempt(self, request: AnyRequest, attempt_id: FromPath[uuid.UUID]) -> Attempt:
        """One of the caller's attempts: while open, its questions and saved answers; once
        graded, the score and the review (correct answers as the quiz allows). An open
        attempt past its deadline is graded on reading."""
        return await quiz.access_attempt(signed_in(request).id, attempt_id)

    @put(
        "/attempts/{attempt_id:uuid}/answers/{question_id:uuid}",
        opt=access(
            SIGNED_IN,
            problems=(
                AttemptNotFound,
                QuestionNotInAttempt,
                AnswerInvalid,
                AttemptClosed,
                AttemptTimeOver,
            ),
        ),
    )
    async def save_answer(
        self,
        request: AnyRequest,
        attempt_id: FromPath[uuid.UUID],
        question_id: FromPath[uuid.UUID],
        data: JSONBody[AnswerIn],
    ) -> AnswerSaved:
        """Save one answer (`value` null clears it); saving again replaces it. After the
        deadline: 409 `mooc_attempt_time_over`, and the attempt is graded."""
        return await quiz.do_save_answer(signed_in(request).id, attempt_id, question_id, data.value)

    @post(
        "/attempts/{attempt_id:uuid}/submission",
        status_code=HTTP_200_OK,
        opt=access(SIGNED_IN, problems=(AttemptNotFound, AttemptTimeOver)),
    )
    async def submit_attempt(self, request: AnyRequest, attempt_id: FromPath[uuid.UUID]) -> Attempt:
        """Grade the attempt and answer the result with its review. Submitting again answers
        the same result. After the deadline: 409 `mooc_attempt_time_over` (the attempt was
        graded with the answers saved in time: read it with GET /attempts/{id})."""
        return await quiz.do_submit_attempt(signed_in(request).id, attempt_id)


ROUTE_HANDLERS: list[Any] = [QuestionBankController, AttemptController]
