"""Errors the MOOC's parts share (stable codes; Vietnamese first). Each part keeps the errors
only it raises in its own module (`quiz_errors.py`, …)."""

from __future__ import annotations

from backend.errors import Conflict, NotFound, PermissionDenied


class CourseNotFound(NotFound):
    code = "mooc_course_not_found"
    message_vi = "Không tìm thấy khoá học."
    message_en = "The course was not found."


class LessonNotFound(NotFound):
    code = "mooc_lesson_not_found"
    message_vi = "Không tìm thấy bài học."
    message_en = "The lesson was not found."


class NotEnrolled(PermissionDenied):
    code = "mooc_not_enrolled"
    message_vi = "Bạn chưa ghi danh khoá học này."
    message_en = "You are not enrolled in this course."


class CourseClosed(Conflict):
    code = "mooc_course_closed"
    message_vi = "Khoá học đã đóng: không thể ghi danh hay học tiếp."
    message_en = "The course is closed: no enrolment and no further progress."
