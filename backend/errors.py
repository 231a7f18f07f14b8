"""The one error model: every domain error is an `AppError` with a stable machine code.

Domains subclass `AppError` in their own `errors.py`; services raise them; one exception
handler (backend.problems) renders them as RFC 9457 problem+json in Vietnamese or English.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AppError(Exception):
    """Base of all errors a client may see.

    Subclasses set `code`, `status`, `message_vi` and `message_en` as class attributes; an
    instance may override the messages (for a specific detail) and carry `extra` members
    that are added to the problem document.
    """

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    message_vi: ClassVar[str] = "Đã xảy ra lỗi không mong muốn."
    message_en: ClassVar[str] = "An unexpected error occurred."
    commit: ClassVar[bool] = False
    """Commit the request's work although it fails: for errors whose handling is itself a
    change that must stick (revoking a token family on reuse, ending an idle session)."""

    def __init__(
        self,
        detail_vi: str | None = None,
        detail_en: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.detail_vi = detail_vi or self.message_vi
        self.detail_en = detail_en or self.message_en
        self.headers = headers or {}
        self.extra = extra
        super().__init__(f"{self.code}: {self.detail_en}")

    def detail(self, language: str) -> str:
        return self.detail_vi if language == "vi" else self.detail_en


class BadRequest(AppError):
    code = "bad_request"
    status = 400
    message_vi = "Yêu cầu không hợp lệ."
    message_en = "The request is malformed."


class MalformedBody(AppError):
    code = "malformed_body"
    status = 400
    message_vi = "Nội dung yêu cầu không đọc được (JSON không hợp lệ)."
    message_en = "The request body could not be parsed (invalid JSON)."


class ValidationFailed(AppError):
    code = "validation_failed"
    status = 422
    message_vi = "Dữ liệu gửi lên không hợp lệ."
    message_en = "The submitted data is invalid."


class NotAuthenticated(AppError):
    code = "not_authenticated"
    status = 401
    message_vi = "Bạn cần đăng nhập để tiếp tục."
    message_en = "You need to sign in to continue."


class PermissionDenied(AppError):
    code = "permission_denied"
    status = 403
    message_vi = "Bạn không có quyền thực hiện thao tác này."
    message_en = "You are not allowed to do this."


class NotFound(AppError):
    code = "not_found"
    status = 404
    message_vi = "Không tìm thấy tài nguyên được yêu cầu."
    message_en = "The requested resource was not found."


class MethodNotAllowed(AppError):
    code = "method_not_allowed"
    status = 405
    message_vi = "Phương thức HTTP này không được hỗ trợ cho địa chỉ này."
    message_en = "This HTTP method is not supported for this address."


class Conflict(AppError):
    code = "conflict"
    status = 409
    message_vi = "Yêu cầu xung đột với trạng thái hiện tại."
    message_en = "The request conflicts with the current state."


class PayloadTooLarge(AppError):
    code = "payload_too_large"
    status = 413
    message_vi = "Nội dung gửi lên vượt quá kích thước cho phép."
    message_en = "The request body is larger than allowed."


class UnsupportedMediaType(AppError):
    code = "unsupported_media_type"
    status = 415
    message_vi = "Định dạng nội dung không được hỗ trợ."
    message_en = "The content type is not supported."


class TooManyRequests(AppError):
    code = "too_many_requests"
    status = 429
    message_vi = "Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau."
    message_en = "Too many requests. Please try again later."


class ServiceUnavailable(AppError):
    code = "service_unavailable"
    status = 503
    message_vi = "Dịch vụ tạm thời không sẵn sàng."
    message_en = "The service is temporarily unavailable."


class RequestTimeout(AppError):
    code = "request_timeout"
    status = 408
    message_vi = "Yêu cầu được gửi quá chậm nên đã bị hủy."
    message_en = "The request took too long to arrive and was abandoned."

    def __init__(self) -> None:
        # The rest of the body may still be on its way: the connection cannot be reused.
        super().__init__(headers={"Connection": "close"})


class ServerBusy(ServiceUnavailable):
    code = "server_busy"
    status = 503
    message_vi = "Hệ thống đang quá tải, vui lòng thử lại sau giây lát."
    message_en = "The service is busy; please try again in a moment."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})
