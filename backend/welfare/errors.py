"""Errors of welfare status (stable codes; Vietnamese first)."""

from __future__ import annotations

from backend.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed


class ProgrammeNotFound(NotFound):
    code = "welfare_programme_not_found"
    message_vi = "Không tìm thấy chương trình trợ cấp."
    message_en = "The welfare programme was not found."


class BeneficiaryNotFound(NotFound):
    code = "welfare_beneficiary_not_found"
    message_vi = "Không tìm thấy đối tượng hưởng trợ cấp."
    message_en = "The beneficiary was not found."


class FlagNotFound(NotFound):
    code = "welfare_flag_not_found"
    message_vi = "Không tìm thấy cảnh báo sai lệch."
    message_en = "The mismatch flag was not found."


class ImportNotFound(NotFound):
    code = "welfare_import_not_found"
    message_vi = "Không tìm thấy lượt nhập dữ liệu."
    message_en = "The import was not found."


class PeriodNotFound(NotFound):
    code = "welfare_period_not_found"
    message_vi = "Không tìm thấy kỳ chi trả."
    message_en = "The payment period was not found."


class PaymentNotFound(NotFound):
    code = "welfare_payment_not_found"
    message_vi = "Không tìm thấy khoản chi trả."
    message_en = "The payment was not found."


class ProgrammeInvalid(ValidationFailed):
    code = "welfare_programme_invalid"
    message_vi = (
        "Chương trình hoặc nhóm đối tượng không hợp lệ"
        " (số tiền phải dương, tối thiểu ≤ mức hằng tháng ≤ tối đa)."
    )
    message_en = (
        "The programme or a category is invalid (amounts positive, minimum ≤ monthly ≤ maximum)."
    )


class ImportFileInvalid(ValidationFailed):
    code = "welfare_import_file_invalid"
    message_vi = "Tệp nhập không đọc được: chỉ nhận tệp .xlsx hoặc .csv (UTF-8)."
    message_en = "The import file cannot be read: only .xlsx or .csv (UTF-8) files are accepted."


class ImportMappingInvalid(ValidationFailed):
    code = "welfare_import_mapping_invalid"
    message_vi = "Bảng ánh xạ cột không hợp lệ: cột đích không tồn tại."
    message_en = "The header mapping is invalid: a target field does not exist."


class ImportPeriodRequired(ValidationFailed):
    code = "welfare_import_period_required"
    message_vi = "Nhập kết quả chi trả cần chỉ rõ kỳ chi trả."
    message_en = "An import of payment results needs a payment period."


class ImportTooLarge(PayloadTooLarge):
    code = "welfare_import_too_large"
    message_vi = "Tệp nhập vượt quá dung lượng cho phép."
    message_en = "The import file is larger than allowed."


class FlagAlreadyResolved(Conflict):
    code = "welfare_flag_resolved"
    message_vi = "Cảnh báo này đã được xử lý."
    message_en = "This flag has already been resolved."


class FlagReasonRequired(ValidationFailed):
    code = "welfare_flag_reason_required"
    message_vi = "Giữ giá trị của danh sách cần nêu lý do."
    message_en = "Keeping the list's value needs a reason."


class PeriodExists(Conflict):
    code = "welfare_period_exists"
    message_vi = "Kỳ chi trả của tháng này đã có."
    message_en = "A payment period for this month already exists."


class PaymentResultInvalid(ValidationFailed):
    code = "welfare_payment_result_invalid"
    message_vi = (
        "Kết quả chi trả không hợp lệ: đã chi cần ngày và mã giao dịch;"
        " không thành công hoặc bị trả lại cần lý do."
    )
    message_en = (
        "The payment result is invalid: paid needs a date and a transaction reference;"
        " failed or returned needs a reason."
    )
