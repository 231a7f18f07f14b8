"""Errors only the progress and certificates part raises (stable codes; Vietnamese first)."""

from __future__ import annotations

from backend.errors import Conflict, NotFound, ValidationFailed


class ProgressInvalid(ValidationFailed):
    """A beat whose intervals or position cannot be true (out of the lesson, reversed,
    too many, or more new watching than a beat can carry)."""

    code = "mooc_progress_invalid"
    message_vi = "Dữ liệu tiến độ học không hợp lệ."
    message_en = "The progress data is invalid."


class ProgressNotTracked(Conflict):
    """Beats for a quiz (quizzes complete by a passed attempt) or "done" for a video."""

    code = "mooc_progress_not_tracked"
    message_vi = "Bài học này không ghi nhận tiến độ theo cách này."
    message_en = "This lesson does not record progress this way."


class VideoNotReady(Conflict):
    code = "mooc_video_not_ready"
    message_vi = "Video của bài học chưa sẵn sàng."
    message_en = "The lesson's video is not ready yet."


class BatchTooLarge(ValidationFailed):
    code = "mooc_progress_batch_too_large"
    message_vi = "Gói tiến độ gửi lên quá lớn."
    message_en = "The progress batch is too large."


class CertificateNotFound(NotFound):
    code = "mooc_certificate_not_found"
    message_vi = "Không tìm thấy chứng chỉ."
    message_en = "The certificate was not found."


class RevocationReasonRequired(ValidationFailed):
    code = "mooc_revocation_reason_required"
    message_vi = "Cần nêu lý do thu hồi chứng chỉ."
    message_en = "A reason for revoking the certificate is required."


class CertificateAlreadyRevoked(Conflict):
    code = "mooc_certificate_already_revoked"
    message_vi = "Chứng chỉ đã bị thu hồi trước đó."
    message_en = "The certificate was already revoked."
