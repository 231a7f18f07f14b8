"""Errors only the quiz part raises (question banks, attempts). Shared ones (`LessonNotFound`,
`NotEnrolled`, `CourseClosed`) are in `mooc.errors`."""

from __future__ import annotations

from backend.errors import Conflict, NotFound, ValidationFailed


class NotAQuiz(Conflict):
    code = "mooc_lesson_not_quiz"
    message_vi = "Bài học này không phải bài kiểm tra."
    message_en = "This lesson is not a quiz."


class VersionFrozen(Conflict):
    """A published version is frozen: its question bank is edited in the course's draft,
    which editing the course creates (a copy of the published version, questions included)."""

    code = "mooc_version_frozen"
    message_vi = (
        "Phiên bản này đã xuất bản nên không sửa được. Hãy sửa khoá học để tạo bản nháp mới,"
        " rồi sửa câu hỏi trong bản nháp."
    )
    message_en = (
        "This version is published and cannot be changed. Edit the course to create a new"
        " draft, then edit the questions in the draft."
    )


class QuestionNotFound(NotFound):
    code = "mooc_question_not_found"
    message_vi = "Không tìm thấy câu hỏi."
    message_en = "The question was not found."


class QuestionOptionsInvalid(ValidationFailed):
    code = "mooc_question_options_invalid"
    message_vi = (
        "Các phương án không hợp lệ: cần từ 2 đến 8 phương án, mỗi phương án có nội dung"
        " và mã riêng."
    )
    message_en = "The options are invalid: 2 to 8 options, each with a text and an id of its own."


class QuestionCorrectInvalid(ValidationFailed):
    code = "mooc_question_correct_invalid"
    message_vi = "Đáp án đúng không hợp lệ cho loại câu hỏi này."
    message_en = "The correct answers are invalid for this kind of question."


class QuizEmpty(Conflict):
    code = "mooc_quiz_empty"
    message_vi = "Bài kiểm tra chưa có câu hỏi nào."
    message_en = "The quiz has no questions yet."


class AttemptsExhausted(Conflict):
    code = "mooc_attempts_exhausted"
    message_vi = "Bạn đã dùng hết số lần làm bài kiểm tra này."
    message_en = "You have used every attempt allowed at this quiz."


class AttemptNotFound(NotFound):
    code = "mooc_attempt_not_found"
    message_vi = "Không tìm thấy lượt làm bài."
    message_en = "The attempt was not found."


class AttemptClosed(Conflict):
    code = "mooc_attempt_closed"
    message_vi = "Lượt làm bài này đã nộp: không sửa câu trả lời được nữa."
    message_en = "This attempt has been submitted: its answers can no longer change."


class AttemptTimeOver(Conflict):
    """Past the attempt's deadline (and its grace): the answer is refused, and the attempt is
    graded with the answers saved in time. That grading is committed although the request
    fails, so the learner's result stands (`commit`)."""

    code = "mooc_attempt_time_over"
    message_vi = "Đã hết giờ làm bài. Bài được chấm với các câu trả lời đã lưu trước khi hết giờ."
    message_en = (
        "The time is over. The attempt was graded with the answers saved before the deadline."
    )
    commit = True


class QuestionNotInAttempt(NotFound):
    code = "mooc_question_not_in_attempt"
    message_vi = "Câu hỏi này không có trong lượt làm bài."
    message_en = "This question is not part of the attempt."


class AnswerInvalid(ValidationFailed):
    code = "mooc_answer_invalid"
    message_vi = "Câu trả lời không đúng dạng của câu hỏi."
    message_en = "The answer does not fit the question's kind."
