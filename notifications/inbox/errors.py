"""Errors of the inbox."""

from __future__ import annotations

from backend.errors import Conflict, NotFound, ValidationFailed


class InboxEntryNotFound(NotFound):
    """Also for an entry that exists but is not in the caller's inbox (no existence leak)."""

    code = "inbox_entry_not_found"
    message_vi = "Không tìm thấy thông báo."
    message_en = "The notification was not found."


class InboxImageNotFound(NotFound):
    code = "inbox_image_not_found"
    message_vi = "Thông báo này không có ảnh."
    message_en = "This notification has no image."


class AcknowledgementNotRequired(Conflict):
    code = "inbox_ack_not_required"
    message_vi = "Thông báo này không yêu cầu xác nhận đã đọc."
    message_en = "This notification does not ask for an acknowledgement."


class SurveyNotAvailable(Conflict):
    code = "inbox_survey_not_available"
    message_vi = "Thông báo này không có khảo sát."
    message_en = "This notification has no survey."


class SurveyAnswerInvalid(ValidationFailed):
    code = "inbox_survey_answer_invalid"
    message_vi = (
        "Câu trả lời khảo sát không hợp lệ: chọn đúng một phương án (một lựa chọn), ít nhất"
        " một phương án có trong danh sách (nhiều lựa chọn), hoặc chấm điểm từ 1 đến 5."
    )
    message_en = (
        "The survey answer is invalid: exactly one option (single choice), one or more listed"
        " options (multiple choice), or a rating from 1 to 5."
    )
