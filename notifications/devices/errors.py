"""Errors of devices and notification settings."""

from __future__ import annotations

from backend.errors import ValidationFailed


class NotificationCommuneUnknown(ValidationFailed):
    code = "notification_commune_unknown"
    message_vi = "Xã, phường không thuộc tỉnh hoặc không tồn tại."
    message_en = "The commune is not one of the province's."


class NotificationCategoryUnknown(ValidationFailed):
    code = "notification_category_unknown"
    message_vi = "Loại thông báo không tồn tại."
    message_en = "There is no such notification category."


class NotificationCategoryMandatory(ValidationFailed):
    code = "notification_category_mandatory"
    message_vi = (
        "Không thể tắt loại thông báo này (cảnh báo khẩn cấp, công văn nội bộ, tin báo của bạn)."
    )
    message_en = (
        "This category cannot be muted (emergency alerts, internal circulars, your crime reports)."
    )


class TopicSyncIncomplete(RuntimeError):
    """A topic (un)subscription failed for a reason other than the device being gone: the job
    raises it to be retried. Never shown to a client."""
