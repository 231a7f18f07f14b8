"""Errors of the content domain (uploads, objects, media processing, articles)."""

from __future__ import annotations

from backend.errors import (
    AppError,
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ServiceUnavailable,
    TooManyRequests,
    UnsupportedMediaType,
    ValidationFailed,
)

# --- objects and signed URLs ----------------------------------------------------------------


class ObjectNotFound(NotFound):
    code = "media_object_not_found"
    message_vi = "Không tìm thấy tệp."
    message_en = "The file was not found."


class SignatureInvalid(PermissionDenied):
    code = "media_signature_invalid"
    message_vi = "Đường dẫn tệp không hợp lệ."
    message_en = "The file link is not valid."


class SignatureExpired(PermissionDenied):
    code = "media_signature_expired"
    message_vi = "Đường dẫn tệp đã hết hạn."
    message_en = "The file link has expired."


class RangeNotSatisfiable(AppError):
    code = "range_not_satisfiable"
    status = 416
    message_vi = "Khoảng byte được yêu cầu không hợp lệ với tệp này."
    message_en = "The requested byte range cannot be served for this file."


class StorageUnavailable(ServiceUnavailable):
    code = "storage_unavailable"
    message_vi = "Kho lưu trữ tệp tạm thời không truy cập được."
    message_en = "File storage is temporarily unavailable."


# --- uploads ------------------------------------------------------------------------------


class UploadTooLarge(PayloadTooLarge):
    code = "upload_too_large"
    message_vi = "Tệp vượt quá dung lượng cho phép."
    message_en = "The file is larger than allowed."


class UploadEmpty(BadRequest):
    code = "upload_empty"
    message_vi = "Tệp gửi lên rỗng."
    message_en = "The uploaded file is empty."


class UploadIncomplete(BadRequest):
    code = "upload_incomplete"
    message_vi = "Tệp gửi lên bị gián đoạn hoặc không đầy đủ."
    message_en = "The upload was interrupted or is incomplete."


class UploadMalformed(BadRequest):
    code = "upload_malformed"
    message_vi = "Không tìm thấy tệp trong yêu cầu (cần trường `file` hoặc nội dung thô)."
    message_en = "No file found in the request (expected a `file` field or a raw body)."


class FileTypeUnsupported(UnsupportedMediaType):
    code = "file_type_unsupported"
    message_vi = "Không nhận ra định dạng tệp; chỉ chấp nhận ảnh, video và âm thanh."
    message_en = "The file format is not recognised; only images, video and audio are accepted."


class FileTypeNotAllowed(UnsupportedMediaType):
    code = "file_type_not_allowed"
    message_vi = "Loại tệp này không được phép cho mục đích tải lên đã chọn."
    message_en = "This kind of file is not allowed for the chosen upload purpose."


class FileTypeMismatch(UnsupportedMediaType):
    code = "file_type_mismatch"
    message_vi = "Nội dung tệp không khớp với tên hoặc kiểu tệp đã khai báo."
    message_en = "The file's content does not match its name or declared type."


class ImageUnreadable(ValidationFailed):
    code = "image_unreadable"
    message_vi = "Không đọc được ảnh: tệp bị hỏng hoặc không đầy đủ."
    message_en = "The image cannot be read: the file is corrupt or truncated."


class ImageTooLarge(ValidationFailed):
    code = "image_too_many_pixels"
    message_vi = "Ảnh có số điểm ảnh vượt quá giới hạn cho phép."
    message_en = "The image has more pixels than allowed."


class UploadsInProgress(TooManyRequests):
    code = "uploads_in_progress"
    message_vi = (
        "Bạn đang tải lên quá nhiều tệp cùng lúc. Vui lòng chờ các tệp trước xong rồi thử lại."
    )
    message_en = "You have too many uploads in progress. Wait for them to finish, then try again."


class UploadPurposeForbidden(PermissionDenied):
    code = "upload_purpose_forbidden"
    message_vi = "Bạn không có quyền tải tệp lên cho mục đích này."
    message_en = "You may not upload files for this purpose."


# --- media assets -------------------------------------------------------------------------


class MediaNotFound(NotFound):
    code = "media_not_found"
    message_vi = "Không tìm thấy tệp phương tiện."
    message_en = "Media asset not found."


class MediaNotForPublicUse(ValidationFailed):
    code = "media_not_for_public_use"
    message_vi = (
        "Tệp này không được dùng trong nội dung công khai (ảnh, video làm chứng cứ hoặc"
        " kèm tin báo không bao giờ được công khai)."
    )
    message_en = (
        "This file may not be used in public content (evidence and report media never are)."
    )


class MediaProcessingFailed(AppError):
    """Why a video or audio could not be processed; stored on the asset, never retried."""

    code = "media_processing_failed"
    status = 422
    message_vi = "Không xử lý được tệp phương tiện."
    message_en = "The media file could not be processed."


class MediaUnreadable(MediaProcessingFailed):
    code = "media_unreadable"
    message_vi = "Tệp bị hỏng hoặc không phải tệp video/âm thanh hợp lệ."
    message_en = "The file is corrupt or not a valid video/audio file."


class MediaNoVideoStream(MediaProcessingFailed):
    code = "media_no_video_stream"
    message_vi = "Tệp không chứa hình ảnh video."
    message_en = "The file contains no video stream."


class MediaNoAudioStream(MediaProcessingFailed):
    code = "media_no_audio_stream"
    message_vi = "Tệp không chứa âm thanh."
    message_en = "The file contains no audio stream."


class MediaTruncated(MediaProcessingFailed):
    code = "media_truncated"
    message_vi = "Tệp bị cắt cụt: nội dung ngắn hơn thời lượng khai báo."
    message_en = "The file is truncated: its content is shorter than its declared duration."


class MediaTranscodeFailed(MediaProcessingFailed):
    code = "media_transcode_failed"
    message_vi = "Chuyển mã thất bại: tệp có thể bị hỏng."
    message_en = "Transcoding failed: the file may be corrupt."


# --- articles -----------------------------------------------------------------------------


class ArticleNotFound(NotFound):
    code = "article_not_found"
    message_vi = "Không tìm thấy bài viết."
    message_en = "Article not found."


class ArticleSlugTaken(Conflict):
    code = "article_slug_taken"
    message_vi = "Đường dẫn (slug) của bài viết đã được dùng."
    message_en = "The article slug is already in use."


class ArticleTransitionInvalid(Conflict):
    code = "article_transition_invalid"
    message_vi = "Không thể chuyển bài viết sang trạng thái này."
    message_en = "The article cannot move to this status."


class ArticleNotPublishable(ArticleTransitionInvalid):
    code = "article_not_in_review"
    message_vi = "Chỉ xuất bản được bài viết đã gửi duyệt (đang chờ duyệt)."
    message_en = "Only an article submitted for review can be published."


class ArticleNotSubmittable(ArticleTransitionInvalid):
    code = "article_not_draft"
    message_vi = "Chỉ gửi duyệt được bài viết đang ở trạng thái nháp."
    message_en = "Only a draft article can be submitted for review."


class ArticleNotReturnable(ArticleTransitionInvalid):
    code = "article_not_returnable"
    message_vi = "Chỉ trả lại được bài viết đang chờ duyệt."
    message_en = "Only an article in review can be returned to its author."


class ArticleNotArchivable(ArticleTransitionInvalid):
    code = "article_not_published"
    message_vi = "Chỉ lưu trữ được bài viết đã xuất bản."
    message_en = "Only a published article can be archived."


class ArticleNotRevisable(ArticleTransitionInvalid):
    code = "article_not_revisable"
    message_vi = "Chỉ sửa được bài viết đang xuất bản (bài đã lưu trữ thì không)."
    message_en = "Only a published article can be revised (not an archived one)."


class ArticleNotEditable(Conflict):
    code = "article_not_editable"
    message_vi = "Chỉ sửa được bài viết đang ở trạng thái nháp hoặc đang chờ duyệt."
    message_en = "Only a draft or an article in review can be edited."


class ArticleSelfPublish(PermissionDenied):
    code = "article_self_publish"
    message_vi = "Người duyệt không được tự xuất bản bài viết do chính mình viết."
    message_en = "An approver may not publish an article they wrote themselves."


class ArticleLastEditorPublish(PermissionDenied):
    code = "article_last_editor_publish"
    message_vi = (
        "Người sửa nội dung bài viết lần cuối không được tự xuất bản bài viết đó;"
        " cần một người duyệt khác."
    )
    message_en = (
        "Whoever last changed an article's content may not publish it; another approver must."
    )


class ArticleBodyEmpty(ValidationFailed):
    code = "article_body_empty"
    message_vi = "Bài viết cần có nội dung trước khi xuất bản."
    message_en = "An article needs a body before it is published."


class ArticleAudienceInvalid(ValidationFailed):
    code = "article_audience_invalid"
    message_vi = (
        "Đối tượng xem bài viết không hợp lệ: chọn 'agencies' thì phải liệt kê các cơ quan"
        " (mã cơ quan đã đăng ký), chọn 'public' hoặc 'internal' thì không liệt kê."
    )
    message_en = (
        "Invalid article audience: 'agencies' needs a list of registered agency codes,"
        " 'public' and 'internal' take none."
    )


class ArticleCoverInvalid(ValidationFailed):
    code = "article_cover_invalid"
    message_vi = "Ảnh bìa phải là ảnh đã tải lên và xử lý xong."
    message_en = "The cover must be an uploaded, processed image."


class ArticleCoverNotPublic(ValidationFailed):
    code = "article_cover_not_public"
    message_vi = (
        "Ảnh này không được dùng làm ảnh bìa: mục đích tải lên của nó không cho phép công khai"
        " (ảnh chứng cứ, ảnh kèm tin báo)."
    )
    message_en = (
        "This image may not be a cover: its upload purpose does not allow public use"
        " (evidence, report media)."
    )
