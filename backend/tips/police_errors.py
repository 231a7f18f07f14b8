"""Errors of the police side of crime reports: each refusal has its own stable code.

A report the caller may not see is the citizen part's `TipNotFound` (404, `tip_not_found`),
never a 403: an officer of another unit learns nothing, not even that the report exists. A
403 is only for a report the caller does see but an action their role does not allow on it
(an officer reopening a closed report).
"""

from __future__ import annotations

from backend.errors import AppError, Conflict, NotFound, PermissionDenied, ValidationFailed

# --- workflow ---------------------------------------------------------------------------------


class TipTransitionInvalid(Conflict):
    """The report's status does not allow this action (`status`, `action` in the problem)."""

    code = "tip_transition_invalid"
    message_vi = "Không thể thực hiện thao tác này ở trạng thái hiện tại của tin báo."
    message_en = "This action is not allowed in the report's current status."


class TipVersionConflict(Conflict):
    """The change named a version that is no longer the report's (someone else changed it
    meanwhile): nothing was written; `current_version` is in the problem."""

    code = "tip_version_conflict"
    message_vi = "Tin báo vừa được người khác thay đổi. Hãy tải lại rồi thực hiện lại thao tác."
    message_en = "The report was changed by someone else meanwhile. Reload it and try again."


class TipActionForbidden(PermissionDenied):
    """The caller sees the report, but their role does not allow the action on it."""

    code = "tip_action_forbidden"
    message_vi = "Bạn không có quyền thực hiện thao tác này với tin báo."
    message_en = "You are not allowed to do this on this report."


class TipOutcomeRequired(ValidationFailed):
    code = "tip_outcome_required"
    message_vi = "Cần chọn kết quả xử lý (đã giải quyết, không có căn cứ, đã chuyển, trùng lặp)."
    message_en = "An outcome is required (resolved, unfounded, transferred, duplicate)."


class TipDuplicateInvalid(ValidationFailed):
    code = "tip_duplicate_invalid"
    message_vi = "Tin báo trùng lặp phải chỉ rõ một tin báo khác mà bạn xem được."
    message_en = "A duplicate must name another report you can see."


class TipReasonRequired(ValidationFailed):
    code = "tip_reason_required"
    message_vi = "Cần ghi rõ lý do."
    message_en = "A reason is required."


class TipOfficerInvalid(ValidationFailed):
    code = "tip_officer_invalid"
    message_vi = "Chỉ giao được cho cán bộ của đơn vị đang xử lý tin báo."
    message_en = "A report can only be assigned to an officer of the unit handling it."


class TipUnitInvalid(ValidationFailed):
    code = "tip_unit_invalid"
    message_vi = "Đơn vị tiếp nhận không tồn tại hoặc chính là đơn vị đang xử lý."
    message_en = "The receiving unit does not exist or is the unit already handling the report."


class TipMessageInvalid(ValidationFailed):
    code = "tip_message_invalid"
    message_vi = "Tin nhắn cần có nội dung (tối đa 5.000 ký tự) hoặc tệp đính kèm."
    message_en = "A message needs text (at most 5,000 characters) or an attachment."


class TipFilterInvalid(ValidationFailed):
    code = "tip_filter_invalid"
    message_vi = "Bộ lọc không hợp lệ."
    message_en = "The filter is invalid."


class TipDutyInvalid(ValidationFailed):
    code = "tip_duty_invalid"
    message_vi = "Danh sách trực chỉ gồm cán bộ của đơn vị."
    message_en = "The duty roster may only name officers of the unit."


class PoliceUnitNotFound(NotFound):
    """A unit the caller does not belong to (or that does not exist): the same answer."""

    code = "tip_unit_not_found"
    message_vi = "Không tìm thấy đơn vị công an trong các đơn vị của bạn."
    message_en = "No such police unit among yours."


POLICE_ERRORS: tuple[type[AppError], ...] = (
    TipTransitionInvalid,
    TipVersionConflict,
    TipActionForbidden,
    TipOutcomeRequired,
    TipDuplicateInvalid,
    TipReasonRequired,
    TipOfficerInvalid,
    TipUnitInvalid,
    TipMessageInvalid,
    TipFilterInvalid,
    TipDutyInvalid,
    PoliceUnitNotFound,
)
