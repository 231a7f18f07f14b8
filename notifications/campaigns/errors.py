"""Errors of campaigns: each refusal has its own stable code.

Quiet hours are not an error: a public, non-urgent campaign approved for a time in quiet hours
is scheduled for their end, and the campaign shows when it will go out (`send_after`)."""

from __future__ import annotations

from backend.errors import BadRequest, Conflict, NotFound, PermissionDenied, ValidationFailed


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    message_vi = "Không tìm thấy chiến dịch truyền thông."
    message_en = "Campaign not found."


# --- workflow ---------------------------------------------------------------------------------


class CampaignTransitionInvalid(Conflict):
    code = "campaign_transition_invalid"
    message_vi = "Không thể chuyển chiến dịch sang trạng thái này."
    message_en = "The campaign cannot move to this status."


class CampaignNotDraft(CampaignTransitionInvalid):
    code = "campaign_not_draft"
    message_vi = "Chỉ gửi duyệt được chiến dịch đang ở trạng thái nháp."
    message_en = "Only a draft campaign can be submitted for approval."


class CampaignNotSubmitted(CampaignTransitionInvalid):
    code = "campaign_not_submitted"
    message_vi = "Chỉ duyệt được chiến dịch đã gửi duyệt."
    message_en = "Only a campaign submitted for approval can be approved."


class CampaignNotReturnable(CampaignTransitionInvalid):
    code = "campaign_not_returnable"
    message_vi = "Chỉ trả lại được chiến dịch đang chờ duyệt, đã duyệt hoặc đã hẹn giờ (chưa gửi)."
    message_en = (
        "Only a campaign submitted, approved or scheduled (not yet sending) can be returned."
    )


class CampaignNotEditable(CampaignTransitionInvalid):
    code = "campaign_not_editable"
    message_vi = "Chiến dịch đang gửi, đã gửi hoặc đã hủy thì không sửa được."
    message_en = "A campaign that is sending, sent or cancelled cannot be edited."


class CampaignNotCancellable(CampaignTransitionInvalid):
    code = "campaign_not_cancellable"
    message_vi = "Chiến dịch đã gửi xong hoặc đã hủy thì không hủy được nữa."
    message_en = "A campaign already sent or cancelled cannot be cancelled."


class CampaignSelfApproval(PermissionDenied):
    code = "campaign_self_approval"
    message_vi = "Người duyệt không được tự duyệt chiến dịch do chính mình soạn."
    message_en = "An approver may not approve a campaign they wrote themselves."


class CampaignLastEditorApproval(PermissionDenied):
    code = "campaign_last_editor_approval"
    message_vi = "Người sửa chiến dịch lần cuối không được tự duyệt; cần một người duyệt khác."
    message_en = "The last person to edit a campaign may not approve it; another approver must."


class CampaignCancelNotAllowed(PermissionDenied):
    code = "campaign_cancel_not_allowed"
    message_vi = "Chỉ người soạn hoặc người duyệt mới hủy được chiến dịch."
    message_en = "Only the campaign's author or an approver may cancel it."


# --- content ----------------------------------------------------------------------------------


class CampaignInvalid(ValidationFailed):
    code = "campaign_invalid"
    message_vi = "Nội dung chiến dịch không hợp lệ."
    message_en = "The campaign is invalid."


class CampaignCategoryInvalid(CampaignInvalid):
    code = "campaign_category_invalid"
    message_vi = "Loại thông báo không có trong danh mục."
    message_en = "The category is not a known notification category."


class CampaignTranslationInvalid(CampaignInvalid):
    code = "campaign_translation_invalid"
    message_vi = "Bản dịch chỉ được viết bằng các ngôn ngữ được hỗ trợ (khác tiếng Việt)."
    message_en = "Translations must be in a supported language other than Vietnamese."


class CampaignAudienceInvalid(CampaignInvalid):
    code = "campaign_audience_invalid"
    message_vi = "Đối tượng nhận không hợp lệ (xã/phường hoặc cơ quan không tồn tại, hoặc thiếu)."
    message_en = "The audience is invalid (unknown or missing communes or agencies)."


class CampaignAudienceEmpty(CampaignInvalid):
    code = "campaign_audience_empty"
    message_vi = "Danh sách người nhận chưa có ai: hãy tải lên danh sách số định danh."
    message_en = "The recipient list is empty: upload a list of personal identification numbers."


class CampaignAckNotInternal(CampaignInvalid):
    code = "campaign_ack_internal_only"
    message_vi = "Chỉ chiến dịch nội bộ (cán bộ, cơ quan, danh sách) mới yêu cầu xác nhận đã đọc."
    message_en = (
        "Only internal campaigns (civil servants, agencies, a list) require acknowledgement."
    )


class CampaignArticleInvalid(CampaignInvalid):
    code = "campaign_article_invalid"
    message_vi = "Bài viết đính kèm không tồn tại hoặc chưa được xuất bản."
    message_en = "The linked article does not exist or is not published."


class CampaignImageInvalid(CampaignInvalid):
    code = "campaign_image_invalid"
    message_vi = "Ảnh đính kèm phải là ảnh đã xử lý xong và được phép dùng công khai."
    message_en = "The image must be a processed image that may be used in public content."


class CampaignDeepLinkInvalid(CampaignInvalid):
    code = "campaign_deep_link_invalid"
    message_vi = "Liên kết phải là liên kết của ứng dụng hoặc một địa chỉ https."
    message_en = "The link must be one of the app's links or an https address."


class CampaignSurveyInvalid(CampaignInvalid):
    code = "campaign_survey_invalid"
    message_vi = (
        "Khảo sát không hợp lệ: chọn một hoặc nhiều đáp án cần 2–6 lựa chọn; đánh giá 1–5 sao"
        " không có lựa chọn."
    )
    message_en = (
        "The survey is invalid: single and multiple choice need 2–6 options; a 1–5 rating has none."
    )


class CampaignScheduleInPast(CampaignInvalid):
    code = "campaign_schedule_in_past"
    message_vi = "Thời điểm hẹn gửi đã qua."
    message_en = "The scheduled time is in the past."


# --- the uploaded list ----------------------------------------------------------------------


class CampaignNotListAudience(CampaignTransitionInvalid):
    code = "campaign_not_list_audience"
    message_vi = "Chỉ tải danh sách người nhận lên chiến dịch gửi theo danh sách."
    message_en = "A recipient list is uploaded only to a campaign addressed to a list."


class AudienceListUnreadable(BadRequest):
    code = "campaign_audience_list_unreadable"
    message_vi = (
        "Không đọc được danh sách: cần tệp CSV hoặc văn bản UTF-8, mỗi dòng một số định danh"
        " cá nhân 12 chữ số."
    )
    message_en = (
        "The list cannot be read: send CSV or UTF-8 text, one 12-digit personal identification"
        " number per line."
    )


class AudienceListTooLong(AudienceListUnreadable):
    code = "campaign_audience_list_too_long"
    message_vi = "Danh sách có quá nhiều dòng."
    message_en = "The list has too many lines."
