"""Reading a row of a list: which column is which, and whether each value is acceptable.

Pure functions (no database): the importer gives them the programmes' categories and the
province's communes, and receives either a clean row or the reasons it is refused, in
Vietnamese (the officer reads them in the per-row report).

A personal identification number (Circular 59/2021/TT-BCA) is 12 digits: the 3-digit code of
the province where the birth was registered, one digit for century and gender (0/1: 1900s
male/female, 2/3: 2000s, 4/5: 2100s, 6/7: 2200s, 8/9: 2300s), the last two digits of the birth
year, and six random digits. Numbers issued before the July 2025 merger of provinces keep the
province's code of the time, so the codes accepted are the current ones (vietnam-provinces)
and those of the provinces merged away.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from vietnam_provinces import Province

from backend.text import fold

# --- columns ----------------------------------------------------------------------------------

BENEFICIARY_FIELDS = (
    "personal_id",
    "full_name",
    "birth_date",
    "gender",
    "commune_code",
    "programme",
    "category",
    "monthly_amount",
    "channel",
    "account_ref",
)
BENEFICIARY_REQUIRED = frozenset(BENEFICIARY_FIELDS) - {"monthly_amount", "account_ref"}
PAYMENT_FIELDS = ("personal_id", "programme", "result", "paid_on", "transaction_ref", "reason")
PAYMENT_REQUIRED = frozenset({"personal_id", "programme", "result"})

HEADER_FIELDS: dict[str, str] = {
    # each header as officers write it, folded (no diacritics, lower case): the field
    "personal_id": "personal_id",
    "so dinh danh ca nhan": "personal_id",
    "so dinh danh": "personal_id",
    "ma dinh danh": "personal_id",
    "so cccd": "personal_id",
    "cccd": "personal_id",
    "so can cuoc": "personal_id",
    "so can cuoc cong dan": "personal_id",
    "so cccd/dinh danh": "personal_id",
    "full_name": "full_name",
    "ho va ten": "full_name",
    "ho ten": "full_name",
    "ten doi tuong": "full_name",
    "birth_date": "birth_date",
    "ngay sinh": "birth_date",
    "ngay thang nam sinh": "birth_date",
    "gender": "gender",
    "gioi tinh": "gender",
    "commune_code": "commune_code",
    "commune": "commune_code",
    "ma xa": "commune_code",
    "ma xa/phuong": "commune_code",
    "ma xa, phuong": "commune_code",
    "ma don vi hanh chinh": "commune_code",
    "xa/phuong": "commune_code",
    "programme": "programme",
    "program": "programme",
    "chuong trinh": "programme",
    "ma chuong trinh": "programme",
    "che do": "programme",
    "category": "category",
    "doi tuong": "category",
    "nhom doi tuong": "category",
    "loai doi tuong": "category",
    "ma doi tuong": "category",
    "monthly_amount": "monthly_amount",
    "amount": "monthly_amount",
    "so tien": "monthly_amount",
    "so tien hang thang": "monthly_amount",
    "muc tro cap": "monthly_amount",
    "muc tro cap hang thang": "monthly_amount",
    "muc huong": "monthly_amount",
    "muc huong hang thang": "monthly_amount",
    "channel": "channel",
    "hinh thuc chi tra": "channel",
    "kenh chi tra": "channel",
    "phuong thuc chi tra": "channel",
    "account_ref": "account_ref",
    "so tai khoan": "account_ref",
    "tai khoan": "account_ref",
    "so tai khoan/vi": "account_ref",
    "tai khoan nhan": "account_ref",
    "result": "result",
    "status": "result",
    "ket qua": "result",
    "ket qua chi tra": "result",
    "trang thai": "result",
    "paid_on": "paid_on",
    "ngay chi tra": "paid_on",
    "ngay chi": "paid_on",
    "transaction_ref": "transaction_ref",
    "ma giao dich": "transaction_ref",
    "so giao dich": "transaction_ref",
    "reason": "reason",
    "ly do": "reason",
    "ghi chu": "reason",
    "ly do khong thanh cong": "reason",
}


class HeaderError(Exception):
    """The header row lacks required columns (named in Vietnamese and English)."""

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = list(missing)


def recognise_headers(
    headers: Sequence[object], kind: str, mapping: Mapping[str, str] | None = None
) -> dict[str, int]:
    """Each field's column index. A header is recognised with or without diacritics, in any
    case, with extra spaces; `mapping` (header as written → field) takes precedence. Unknown
    columns are ignored; a missing required field raises `HeaderError`."""
    fields = BENEFICIARY_FIELDS if kind == "beneficiaries" else PAYMENT_FIELDS
    required = BENEFICIARY_REQUIRED if kind == "beneficiaries" else PAYMENT_REQUIRED
    explicit = {fold(k): v for k, v in (mapping or {}).items()}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = fold(str(header or "")).strip(" :*")
        field = explicit.get(key) or HEADER_FIELDS.get(key)
        if field is not None and field in fields and field not in found:
            found[field] = index
    missing = [f for f in fields if f in required and f not in found]
    if missing:
        raise HeaderError(missing)
    return found


def check_mapping(mapping: Mapping[str, str]) -> None:
    """Raise ValueError when a mapping names a field that does not exist."""
    known = set(BENEFICIARY_FIELDS) | set(PAYMENT_FIELDS)
    unknown = sorted(set(mapping.values()) - known)
    if unknown:
        raise ValueError(f"unknown fields: {unknown}")


# --- personal identification numbers ---------------------------------------------------------

MERGED_PROVINCE_CODES = frozenset(
    {2, 6, 10, 17, 26, 27, 30, 34, 35, 36, 45, 49, 54, 58, 60, 62, 64, 67, 70, 72, 74, 77, 83, 84}
    | {87, 89, 93, 94, 95}
)
"""Codes of the provinces merged into others on 1 July 2025 (Hà Giang, Bắc Kạn, Lào Cai's
old code, Hòa Bình, Vĩnh Phúc, …): numbers issued before keep them. The current codes come
from the `vietnam-provinces` package."""


@cache
def province_codes() -> frozenset[int]:
    return frozenset(int(p.code) for p in Province.iter_all()) | MERGED_PROVINCE_CODES


_CENTURIES = {0: 1900, 2: 2000, 4: 2100, 6: 2200, 8: 2300}


def check_personal_id(value: str, birth_date: date | None, gender: str | None) -> list[str]:
    """Reasons the number is refused (empty: accepted)."""
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return ["Số định danh cá nhân phải gồm đúng 12 chữ số"]
    reasons = []
    if int(value[:3]) not in province_codes():
        reasons.append(f"Mã tỉnh {value[:3]} trong số định danh không tồn tại")
    digit = int(value[3])
    century = _CENTURIES[digit - digit % 2]
    female = digit % 2 == 1
    if birth_date is not None:
        year = century + int(value[4:6])
        if year != birth_date.year:
            reasons.append(
                f"Số định danh không khớp năm sinh (mã thế kỷ và năm cho {year},"
                f" ngày sinh là năm {birth_date.year})"
            )
    if gender is not None and (gender == "female") != female:
        reasons.append(
            f"Số định danh không khớp giới tính (chữ số thứ 4 cho {'nữ' if female else 'nam'})"
        )
    return reasons


# --- values -----------------------------------------------------------------------------------

CHANNELS: dict[str, str] = {
    "bank": "bank",
    "ngan hang": "bank",
    "tai khoan ngan hang": "bank",
    "chuyen khoan": "bank",
    "chuyen khoan ngan hang": "bank",
    "ewallet": "ewallet",
    "e-wallet": "ewallet",
    "vi dien tu": "ewallet",
    "mobile_money": "mobile_money",
    "mobile money": "mobile_money",
    "mobilemoney": "mobile_money",
    "cash_post": "cash_post",
    "buu dien": "cash_post",
    "tien mat": "cash_post",
    "tien mat tai buu dien": "cash_post",
    "chi tra tai buu dien": "cash_post",
}
GENDERS = {"nam": "male", "male": "male", "m": "male", "nu": "female", "female": "female"}
GENDERS["f"] = "female"
RESULTS = {
    "paid": "paid",
    "da chi": "paid",
    "da chi tra": "paid",
    "thanh cong": "paid",
    "failed": "failed",
    "khong thanh cong": "failed",
    "that bai": "failed",
    "loi": "failed",
    "returned": "returned",
    "bi tra lai": "returned",
    "hoan tra": "returned",
    "tra lai": "returned",
}
_BANK_ACCOUNT = re.compile(r"^[0-9]{6,19}$")
_PHONE = re.compile(r"^0[35789][0-9]{8}$")
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")


def text(value: object) -> str:
    """A cell as text: numbers written without a trailing `.0` (Excel stores personal ids and
    accounts typed as numbers as floats), spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def parse_date(value: object) -> date | None:
    """A date cell (xlsx) or text in the formats Vietnamese offices use; None if unreadable."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


def parse_amount(value: object) -> int | None:
    """A whole number of đồng: 500000, 500.000, 500,000 or 500 000; None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    raw = text(value).replace(".", "").replace(",", "").replace(" ", "").removesuffix("đ")
    return int(raw) if raw.isascii() and raw.isdigit() else None


def check_account(channel: str, account: str) -> str | None:
    """The reason an account reference is refused for its channel, or None."""
    if channel == "bank":
        if not _BANK_ACCOUNT.match(account):
            return "Số tài khoản ngân hàng phải gồm 6–19 chữ số"
    elif channel in ("ewallet", "mobile_money"):
        if not _PHONE.match(account):
            return (
                "Tài khoản ví điện tử/Mobile Money phải là số điện thoại di động 10 chữ số"
                " (bắt đầu bằng 03, 05, 07, 08, 09)"
            )
    elif account and len(account) > 40:
        return "Mã điểm chi trả bưu điện quá dài (tối đa 40 ký tự)"
    return None


@dataclass(frozen=True, slots=True)
class CategoryRule:
    monthly_amount: int
    min_amount: int
    max_amount: int


@dataclass(frozen=True, slots=True)
class BeneficiaryRow:
    """A row that passed every check, its values normalised."""

    personal_id: str
    full_name: str
    birth_date: date
    gender: str
    commune_code: str
    programme: str
    category: str
    monthly_amount: int
    channel: str
    account_ref: str | None


@dataclass(frozen=True, slots=True)
class Refused:
    reasons: list[str]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def cell(row: Sequence[object], columns: Mapping[str, int], field: str) -> object:
    index = columns.get(field)
    if index is None or index >= len(row):
        return None
    return row[index]


def check_beneficiary_row(
    row: Sequence[object],
    columns: Mapping[str, int],
    *,
    categories: Mapping[tuple[str, str], CategoryRule],
    communes: frozenset[str],
    allowed_communes: frozenset[str],
    today: date,
) -> BeneficiaryRow | Refused:
    """The row's values checked and normalised, or every reason it is refused."""
    reasons: list[str] = []
    personal_id = text(cell(row, columns, "personal_id"))
    full_name = text(cell(row, columns, "full_name"))
    if not full_name:
        reasons.append("Thiếu họ và tên")
    elif len(full_name) > 200 or any(ch.isdigit() for ch in full_name):
        reasons.append("Họ và tên không hợp lệ")
    raw_birth = cell(row, columns, "birth_date")
    birth_date = parse_date(raw_birth)
    if birth_date is None:
        reasons.append(
            "Thiếu ngày sinh"
            if not text(raw_birth)
            else "Ngày sinh không đúng định dạng (dd/mm/yyyy)"
        )
    elif birth_date > today or birth_date.year < 1890:
        reasons.append("Ngày sinh không hợp lệ (sau hôm nay hoặc trước năm 1890)")
        birth_date = None
    raw_gender = fold(text(cell(row, columns, "gender")))
    gender = GENDERS.get(raw_gender)
    if gender is None:
        reasons.append("Giới tính phải là Nam hoặc Nữ")
    reasons.extend(check_personal_id(personal_id, birth_date, gender))
    commune = text(cell(row, columns, "commune_code"))
    if commune.isdigit() and len(commune) < 5:
        commune = commune.zfill(5)
    if not commune:
        reasons.append("Thiếu mã xã")
    elif commune not in communes:
        reasons.append(f"Mã xã {commune} không thuộc tỉnh")
    elif allowed_communes and commune not in allowed_communes:
        reasons.append(f"Xã {commune} ngoài phạm vi cán bộ được giao")
    programme = text(cell(row, columns, "programme")).upper()
    category = text(cell(row, columns, "category")).upper()
    rule = categories.get((programme, category))
    if not any(p == programme for p, _ in categories):
        reasons.append(f"Chương trình {programme or '(trống)'} không tồn tại")
        rule = None
    elif rule is None:
        reasons.append(f"Nhóm đối tượng {category or '(trống)'} không thuộc chương trình")
    raw_amount = cell(row, columns, "monthly_amount")
    amount: int | None
    if not text(raw_amount):
        amount = rule.monthly_amount if rule else None
    else:
        amount = parse_amount(raw_amount)
        if amount is None or amount <= 0:
            reasons.append("Số tiền hằng tháng phải là số nguyên dương (đồng)")
            amount = None
        elif rule is not None and not rule.min_amount <= amount <= rule.max_amount:
            reasons.append(
                f"Số tiền {amount:,} đồng ngoài mức của nhóm đối tượng"
                f" ({rule.min_amount:,}–{rule.max_amount:,} đồng)".replace(",", ".")
            )
    raw_channel = fold(text(cell(row, columns, "channel")))
    channel = CHANNELS.get(raw_channel)
    account = text(cell(row, columns, "account_ref")).replace(" ", "")
    if channel is None:
        reasons.append(
            "Hình thức chi trả phải là: tài khoản ngân hàng, ví điện tử, Mobile Money"
            " hoặc tiền mặt tại bưu điện"
        )
    elif channel != "cash_post" and not account:
        reasons.append("Thiếu số tài khoản nhận")
    else:
        problem = check_account(channel, account)
        if problem:
            reasons.append(problem)
    if reasons:
        return Refused(reasons)
    assert birth_date is not None
    assert gender is not None
    assert amount is not None
    assert channel is not None
    return BeneficiaryRow(
        personal_id=personal_id,
        full_name=full_name,
        birth_date=birth_date,
        gender=gender,
        commune_code=commune,
        programme=programme,
        category=category,
        monthly_amount=amount,
        channel=channel,
        account_ref=account or None,
    )


@dataclass(frozen=True, slots=True)
class PaymentRow:
    personal_id: str
    programme: str
    result: str
    paid_on: date | None
    transaction_ref: str | None
    reason: str | None


def check_payment_row(
    row: Sequence[object], columns: Mapping[str, int], *, today: date
) -> PaymentRow | Refused:
    """A payment result's values checked (whose payment it is, the importer looks up)."""
    reasons: list[str] = []
    personal_id = text(cell(row, columns, "personal_id"))
    if len(personal_id) != 12 or not personal_id.isdigit():
        reasons.append("Số định danh cá nhân phải gồm đúng 12 chữ số")
    programme = text(cell(row, columns, "programme")).upper()
    if not programme:
        reasons.append("Thiếu mã chương trình")
    result = RESULTS.get(fold(text(cell(row, columns, "result"))))
    paid_on = None
    transaction_ref = text(cell(row, columns, "transaction_ref")) or None
    reason = text(cell(row, columns, "reason")) or None
    if result is None:
        reasons.append("Kết quả phải là: đã chi, không thành công hoặc bị trả lại")
    elif result == "paid":
        raw = cell(row, columns, "paid_on")
        paid_on = parse_date(raw)
        if paid_on is None:
            reasons.append("Đã chi cần ngày chi trả (dd/mm/yyyy)")
        elif paid_on > today:
            reasons.append("Ngày chi trả sau hôm nay")
        if not transaction_ref:
            reasons.append("Đã chi cần mã giao dịch")
        elif len(transaction_ref) > 60:
            reasons.append("Mã giao dịch quá dài (tối đa 60 ký tự)")
    elif not reason:
        reasons.append("Chi không thành công hoặc bị trả lại cần lý do")
    if reasons:
        return Refused(reasons)
    assert result is not None
    return PaymentRow(
        personal_id=personal_id,
        programme=programme,
        result=result,
        paid_on=paid_on,
        transaction_ref=transaction_ref if result == "paid" else None,
        reason=reason if result != "paid" else None,
    )


def mask_account(account: str | None) -> str | None:
    """Only the last 4 characters shown: `••••••5678`."""
    if not account:
        return None
    shown = account[-4:]
    return "•" * max(len(account) - 4, 2) + shown
