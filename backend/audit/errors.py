"""Audit errors."""

from __future__ import annotations

from backend.errors import AppError


class AuditKeyMismatch(AppError):
    """CTN_SECRET_KEY does not derive the audit key the chain is written with: appending would
    fork the chain into entries nobody can verify, so audited actions fail instead."""

    code = "audit_key_mismatch"
    status = 500
    message_vi = "Không ghi được nhật ký kiểm toán (khóa bí mật của máy chủ không khớp)."
    message_en = "The audit log cannot be written (the server's secret key does not match)."
