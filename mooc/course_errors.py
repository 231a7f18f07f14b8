"""Errors only the courses part raises (authoring, versions, catalogue, enrolment). Shared
ones (`CourseNotFound`, `LessonNotFound`, `NotEnrolled`, `CourseClosed`) are in
`mooc.errors`."""

from __future__ import annotations

from backend.errors import AppError, Conflict, NotFound, ValidationFailed


class CourseCodeTaken(Conflict):
    code = "mooc_course_code_taken"
    message_vi = "Mã khoá học này đã được dùng."
    message_en = "This course code is already in use."


class CourseInvalid(ValidationFailed):
    """A course's fields out of bounds (the detail names the field)."""

    code = "mooc_course_invalid"
    message_vi = "Thông tin khoá học không hợp lệ."
    message_en = "The course's details are not valid."


class CourseEditedConcurrently(AppError):
    """Optimistic concurrency: the revision the editor started from is no longer current."""

    code = "mooc_course_edited_concurrently"
    status = 412
    message_vi = "Khoá học vừa được người khác sửa. Hãy tải lại trang rồi sửa tiếp."
    message_en = "Someone else has just edited this course. Reload it and edit again."


class CourseArchived(Conflict):
    code = "mooc_course_archived"
    message_vi = "Khoá học đã lưu trữ: không sửa được nữa."
    message_en = "The course is archived and can no longer be edited."


class SectionNotFound(NotFound):
    code = "mooc_section_not_found"
    message_vi = "Không tìm thấy phần này của khoá học (có thể trang đã cũ: hãy tải lại)."
    message_en = "The section was not found (the page may be stale: reload it)."


class SectionNotEmpty(Conflict):
    code = "mooc_section_not_empty"
    message_vi = "Phần này còn bài học: hãy xoá hoặc chuyển các bài học trước."
    message_en = "The section still has lessons: delete or move them first."


class LessonInvalid(ValidationFailed):
    code = "mooc_lesson_invalid"
    message_vi = "Thông tin bài học không hợp lệ."
    message_en = "The lesson's details are not valid."


class LessonVideoInvalid(ValidationFailed):
    code = "mooc_lesson_video_invalid"
    message_vi = "Video của bài học phải là một video đã tải lên cho khoá học."
    message_en = "A lesson's video must be a video uploaded for courses."


class LessonAttachmentInvalid(ValidationFailed):
    code = "mooc_lesson_attachment_invalid"
    message_vi = "Tệp đính kèm không tồn tại hoặc không dùng được cho khoá học."
    message_en = "An attachment does not exist or cannot be used in a course."


class CoverInvalid(ValidationFailed):
    code = "mooc_cover_invalid"
    message_vi = "Ảnh bìa phải là một ảnh đã tải lên cho khoá học."
    message_en = "The cover must be an image uploaded for courses."


class CaptionsInvalid(ValidationFailed):
    code = "mooc_captions_invalid"
    message_vi = "Phụ đề phải là tệp WebVTT (.vtt) bằng UTF-8, bắt đầu bằng “WEBVTT”."
    message_en = "Captions must be a UTF-8 WebVTT (.vtt) file starting with “WEBVTT”."


class CaptionsTooLarge(AppError):
    code = "mooc_captions_too_large"
    status = 413
    message_vi = "Tệp phụ đề quá lớn (tối đa 1 MB)."
    message_en = "The captions file is too large (1 MB at most)."


class PrerequisiteInvalid(ValidationFailed):
    code = "mooc_prerequisite_invalid"
    message_vi = "Khoá học tiên quyết không tồn tại hoặc là chính khoá học này."
    message_en = "A prerequisite course does not exist or is the course itself."


class NothingToPublish(Conflict):
    code = "mooc_nothing_to_publish"
    message_vi = "Không có bản nháp nào để xuất bản: khoá học chưa được sửa từ lần xuất bản trước."
    message_en = "There is no draft to publish: the course has not changed since it was published."


class PublishBlocked(Conflict):
    """The draft cannot be published yet; `problems` lists each reason (code, lesson, text)."""

    code = "mooc_publish_blocked"
    message_vi = "Chưa xuất bản được khoá học: hãy sửa các vấn đề được liệt kê."
    message_en = "The course cannot be published yet: fix the problems listed."


class PrerequisiteMissing(Conflict):
    """`missing` lists the courses to complete first (id and title)."""

    code = "mooc_prerequisite_missing"
    message_vi = "Bạn cần hoàn thành các khoá học tiên quyết trước khi ghi danh."
    message_en = "Complete the prerequisite courses before enrolling."


class EnrolmentNotFound(NotFound):
    code = "mooc_enrolment_not_found"
    message_vi = "Bạn chưa ghi danh khoá học này."
    message_en = "You are not enrolled in this course."


class EnrolmentMandatory(Conflict):
    code = "mooc_enrolment_mandatory"
    message_vi = "Đây là khoá học bắt buộc được giao cho bạn: không thể rời khoá học."
    message_en = "This course is mandatory training assigned to you: it cannot be left."
