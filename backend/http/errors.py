from backend.errors import AppError, BadRequest, Conflict, PayloadTooLarge


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    message_vi = "Con trỏ phân trang không hợp lệ hoặc đã hết hạn."
    message_en = "The pagination cursor is invalid."


class IdempotencyKeyInvalid(BadRequest):
    code = "idempotency_key_invalid"
    message_vi = "Khóa Idempotency-Key không hợp lệ (1–255 ký tự ASCII in được)."
    message_en = "The Idempotency-Key header is invalid (1–255 printable ASCII characters)."


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message_vi = "Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác."
    message_en = "This Idempotency-Key was already used for a different request."


class IdempotencyBodyTooLarge(PayloadTooLarge):
    code = "idempotency_body_too_large"
    message_vi = "Yêu cầu có Idempotency-Key không được vượt quá 1 MiB."
    message_en = "A request with an Idempotency-Key may not exceed 1 MiB."


__all__ = [
    "AppError",
    "IdempotencyBodyTooLarge",
    "IdempotencyKeyInvalid",
    "IdempotencyKeyReused",
    "InvalidCursor",
]
