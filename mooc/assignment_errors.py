"""Errors of mandatory training and the managers' reports (stable codes; Vietnamese first)."""

from __future__ import annotations

from backend.errors import Conflict, NotFound, ValidationFailed


class AssignmentNotFound(NotFound):
    code = "mooc_assignment_not_found"
    message_vi = "Không tìm thấy đợt giao khoá học bắt buộc."
    message_en = "The training assignment was not found."


class AssignmentCourseNotPublished(Conflict):
    code = "mooc_assignment_course_not_published"
    message_vi = "Chỉ giao được khoá học đang phát hành (đã xuất bản, chưa lưu trữ)."
    message_en = "Only a published (not archived) course can be assigned."


class AssignmentDueInPast(ValidationFailed):
    code = "mooc_assignment_due_past"
    message_vi = "Hạn hoàn thành phải ở tương lai."
    message_en = "The due date must be in the future."


class AssignmentTargetInvalid(ValidationFailed):
    code = "mooc_assignment_target_invalid"
    message_vi = (
        "Đối tượng giao không hợp lệ: cơ quan (mã cơ quan), phòng ban (mã cơ quan và tên phòng"
        " ban) hoặc vai trò (vai trò cán bộ)."
    )
    message_en = (
        "The target is not valid: an agency (its code), a department (agency code and"
        " department name) or a role (a staff role)."
    )


class AssignmentWithdrawn(Conflict):
    code = "mooc_assignment_withdrawn"
    message_vi = "Đợt giao này đã bị thu hồi: không thể sửa."
    message_en = "This assignment was withdrawn: it cannot be changed."


class ReportNotFound(NotFound):
    code = "mooc_report_not_found"
    message_vi = "Không có báo cáo này trong phạm vi cơ quan bạn quản lý."
    message_en = "There is no such report among the agencies you manage."
