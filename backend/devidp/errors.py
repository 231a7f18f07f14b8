"""Errors of the development provider, carrying the OAuth `error` code (RFC 6749 §5.2)."""

from __future__ import annotations

from backend.errors import AppError


class DevIdpError(AppError):
    code = "dev_idp_error"
    status = 400
    message_vi = "Nhà cung cấp định danh (bản phát triển) từ chối yêu cầu."
    message_en = "The development identity provider refused the request."

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(
            f"{self.message_vi} ({error}: {description})",
            f"{self.message_en} ({error}: {description})",
            error=error,
            error_description=description,
        )
        self.status = status  # type: ignore[misc]  # the OAuth error decides the status
