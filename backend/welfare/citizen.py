"""The citizen's view of their own welfare status (GET /api/v1/welfare/me)."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.access import Principal
from backend.identity.service import personal_id_of
from backend.welfare import repository
from backend.welfare.officers import commune_names
from backend.welfare.schemas import MyPayment, MyProgramme, MyWelfare
from backend.welfare.validation import mask_account

NOTHING_VI = "Bạn chưa có tên trong danh sách hưởng trợ cấp xã hội nào của tỉnh."
NOTHING_EN = "You are not on any of the province's welfare lists."
REVIEW_VI = (
    "Hồ sơ của bạn đang được cán bộ xác minh (thông tin trong danh sách khác với thông tin"
    " định danh). Các khoản chi trả sẽ tiếp tục sau khi xác minh xong."
)
REVIEW_EN = (
    "Your record is being checked by an officer (the list differs from your identity);"
    " payments resume once it is checked."
)
ACTIVE_VI = "Bạn đang hưởng các chế độ dưới đây."
ACTIVE_EN = "You receive the allowances below."


def _what_to_do(status: str, channel: str, office_vi: str, office_en: str) -> tuple[str, str]:
    if status == "returned":
        return (
            "Khoản chi trả bị trả lại (thường do tài khoản không đúng hoặc đã đóng). Kiểm tra"
            f" số tài khoản và liên hệ {office_vi} để cập nhật; khoản này sẽ được chi lại.",
            "The payment was returned (often a wrong or closed account). Check your account"
            f" and contact {office_en} to update it; the payment will be made again.",
        )
    if channel == "cash_post":
        return (
            "Chưa nhận được tiền tại bưu điện. Mang căn cước đến bưu điện"
            f" hoặc liên hệ {office_vi}.",
            f"The cash was not collected at the post office. Bring your ID card to the post"
            f" office or contact {office_en}.",
        )
    return (
        f"Khoản chi trả chưa thành công. Kiểm tra tài khoản nhận và liên hệ {office_vi}"
        " (mang theo căn cước) để được hỗ trợ.",
        f"The payment did not go through. Check your receiving account and contact"
        f" {office_en} (bring your ID card).",
    )


async def my_welfare(principal: Principal) -> MyWelfare:
    """The caller's programmes, category, amount, channel (account masked: last 4
    characters), next expected payment and history; nothing about anyone else. A person on
    no list (or rejected) gets an empty, friendly answer."""
    personal_id = await personal_id_of(principal.id)
    record = await repository.beneficiary_by_personal_id(personal_id) if personal_id else None
    if record is None or record.status == "rejected":
        return MyWelfare(programmes=[], status="none", message_vi=NOTHING_VI, message_en=NOTHING_EN)
    commune = commune_names().get(record.commune_code, record.commune_code)
    office_vi = f"UBND {commune}"
    office_en = f"the People's Committee of {commune}"
    today = datetime.now(UTC).date()
    payments = await repository.payments(beneficiary_id=record.id, limit=240)
    programmes = []
    for e in await repository.enrolments_of(record.id):
        if not e.active:
            continue
        history = []
        for p in payments:
            if p.programme_code != e.programme_code:
                continue
            advice = (
                _what_to_do(p.status, p.channel, office_vi, office_en)
                if p.status in ("failed", "returned")
                else (None, None)
            )
            history.append(
                MyPayment(
                    month=p.month,
                    payout_date=p.payout_date,
                    amount=p.amount,
                    status=p.status,  # type: ignore[arg-type]  # the table's check
                    paid_on=p.paid_on,
                    transaction_ref=p.transaction_ref,
                    what_to_do_vi=advice[0],
                    what_to_do_en=advice[1],
                )
            )
        programmes.append(
            MyProgramme(
                programme_code=e.programme_code,
                programme_name_vi=e.programme_name_vi,
                programme_name_en=e.programme_name_en,
                category_code=e.category_code,
                category_name_vi=e.category_name_vi,
                category_name_en=e.category_name_en,
                monthly_amount=e.monthly_amount,
                channel=e.channel,  # type: ignore[arg-type]  # the table's check
                account_masked=mask_account(e.account_ref),
                next_payment_date=await repository.next_payout(record.id, e.programme_code, today),
                payments=history,
            )
        )
    review = record.status == "review"
    return MyWelfare(
        programmes=programmes,
        status="review" if review else "active",
        message_vi=REVIEW_VI if review else ACTIVE_VI,
        message_en=REVIEW_EN if review else ACTIVE_EN,
        commune_office_vi=office_vi,
        commune_office_en=office_en,
    )
