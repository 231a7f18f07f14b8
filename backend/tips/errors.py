"""Errors of crime reports (the citizen's side; the police side has police_errors.py)."""

from __future__ import annotations

from typing import Any

from backend.errors import (
    AppError,
    Conflict,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    UnsupportedMediaType,
    ValidationFailed,
)


class TipNotFound(NotFound):
    code = "tip_not_found"
    message_vi = "Không tìm thấy tin báo."
    message_en = "The report was not found."


class TipAttachmentNotFound(NotFound):
    code = "tip_attachment_not_found"
    message_vi = "Không tìm thấy tệp đính kèm."
    message_en = "The attachment was not found."


class TipMessageNotFound(NotFound):
    code = "tip_message_not_found"
    message_vi = "Không tìm thấy tin nhắn."
    message_en = "The message was not found."


class OffenceUnknown(ValidationFailed):
    code = "tip_offence_unknown"
    message_vi = "Loại hành vi vi phạm không có trong danh sách."
    message_en = "The offence type is not in the list."


class PlaceOutsideProvince(ValidationFailed):
    code = "tip_place_outside_province"
    message_vi = (
        "Vị trí đã chọn nằm ngoài tỉnh Thái Nguyên. Ứng dụng chỉ tiếp nhận tin báo trong tỉnh;"
        " với sự việc ở nơi khác, hãy báo cơ quan công an địa phương đó hoặc gọi 113."
    )
    message_en = (
        "The chosen location is outside Thái Nguyên province. The app only takes reports of the"
        " province; for elsewhere, contact that area's police or call 113."
    )


class CommuneUnknown(ValidationFailed):
    code = "tip_commune_unknown"
    message_vi = "Mã xã, phường không thuộc tỉnh Thái Nguyên."
    message_en = "The commune code is not one of Thái Nguyên province."


class PlaceMissing(ValidationFailed):
    code = "tip_place_missing"
    message_vi = (
        "Hãy cho biết nơi xảy ra sự việc (vị trí trên bản đồ, hoặc xã/phường và địa chỉ),"
        " hoặc chọn “Tôi không nhớ địa điểm”."
    )
    message_en = (
        "Say where it happened (a point on the map, or the commune and address), or choose"
        " “I don't remember the place”."
    )


class IncidentTimeInvalid(ValidationFailed):
    code = "tip_incident_time_invalid"
    message_vi = "Thời gian xảy ra sự việc không hợp lệ."
    message_en = "The time of the incident is invalid."


class ProofOfWorkRequired(AppError):
    code = "tip_proof_of_work_required"
    status = 422
    message_vi = (
        "Tin báo ẩn danh cần kèm lời giải thử thách (GET /api/v1/tips/challenge); ứng dụng tự"
        " làm việc này."
    )
    message_en = (
        "An anonymous report needs a solved challenge (GET /api/v1/tips/challenge); the app"
        " does this by itself."
    )


class ProofOfWorkInvalid(AppError):
    code = "tip_proof_of_work_invalid"
    status = 422
    message_vi = "Lời giải thử thách không đúng hoặc thử thách đã hết hạn. Hãy lấy thử thách mới."
    message_en = "The challenge's solution is wrong or the challenge expired. Get a new one."


class ProofOfWorkSpent(Conflict):
    code = "tip_proof_of_work_spent"
    message_vi = "Thử thách này đã được dùng. Hãy lấy thử thách mới."
    message_en = "This challenge has already been used. Get a new one."


class SubmissionsThrottled(TooManyRequests):
    code = "tip_submissions_throttled"
    message_vi = "Có quá nhiều tin báo ẩn danh từ mạng này. Vui lòng thử lại sau ít phút."
    message_en = "Too many anonymous reports from this network. Please try again shortly."


class ReceiptRequired(AppError):
    code = "tip_receipt_required"
    status = 401
    message_vi = "Cần mã biên nhận của tin báo (trong tiêu đề X-Tip-Receipt)."
    message_en = "The report's receipt is needed (in the X-Tip-Receipt header)."


class ReceiptInvalid(AppError):
    code = "tip_receipt_invalid"
    status = 401
    message_vi = "Mã biên nhận không đúng."
    message_en = "The receipt is not valid."


class ReceiptThrottled(TooManyRequests):
    code = "tip_receipt_throttled"
    message_vi = "Đã nhập sai mã biên nhận quá nhiều lần. Vui lòng thử lại sau."
    message_en = "Too many wrong receipts. Please try again later."


class SignInForConfidential(AppError):
    code = "tip_sign_in_required"
    status = 401
    message_vi = (
        "Tin báo có danh tính cần đăng nhập. Nếu không muốn đăng nhập, hãy gửi tin báo ẩn danh."
    )
    message_en = "A confidential report needs you to sign in; otherwise, send it anonymously."


class AttachmentLimitReached(PayloadTooLarge):
    code = "tip_attachment_limit"
    message_vi = "Tin báo đã đủ số tệp hoặc dung lượng tệp cho phép."
    message_en = "The report already has as many files, or as many bytes of files, as allowed."


class AttachmentTypeNotAllowed(UnsupportedMediaType):
    code = "tip_attachment_type"
    message_vi = "Chỉ nhận ảnh, video, ghi âm hoặc tài liệu PDF."
    message_en = "Only photos, videos, audio recordings and PDF documents are accepted."


class AttachmentUnreadable(ValidationFailed):
    code = "tip_attachment_unreadable"
    message_vi = "Không đọc được tệp (tệp hỏng hoặc không đúng định dạng)."
    message_en = "The file could not be read (damaged, or not what its type says)."


class TipPurged(Conflict):
    code = "tip_purged"
    message_vi = "Nội dung tin báo đã được xóa theo thời hạn lưu trữ."
    message_en = "The report's content has been deleted at the end of its retention period."


class MessageEmpty(ValidationFailed):
    code = "tip_message_empty"
    message_vi = "Tin nhắn không được để trống."
    message_en = "The message must not be empty."


def with_emergency(error: AppError, notice: dict[str, Any] | None) -> AppError:
    """`error` carrying the reminder to call 113, for an answer to a report of ongoing
    danger (every answer carries it, refusals too)."""
    if notice is not None:
        error.extra["emergency"] = notice
    return error
