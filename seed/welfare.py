"""Demo data of welfare status, made through the welfare service as an officer would: the
programmes and their categories, a beneficiary list imported by the real pipeline (the demo
citizens of backend/devidp/people.py among them, so that `GET /api/v1/welfare/me` shows
something when they sign in; one of them listed under a name that differs from identity's,
which leaves a mismatch flag to resolve), last month's payment period with its payments
generated and results recorded (paid, failed, pending).

The demo's province-wide welfare officer is Phạm Minh Đức (Sở Nội vụ, who already holds the
civil servant role): the role is granted here, without communes; Hà Thị Quỳnh's grant
(seed.identity) is limited to Định Hóa and Trung Hội. Idempotent: a second run finds the
programmes, the same file (answered by the first import) and the period already there."""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta

from backend.access import Principal, Role
from backend.http.pagination import MAX_LIMIT, PageRequest
from backend.identity.service import do_grant_role, do_provision_person, get_person_roles
from backend.settings import Settings, get_settings
from backend.welfare import service
from backend.welfare.schemas import (
    BeneficiaryFilters,
    CategoryIn,
    PaymentResultIn,
    PeriodIn,
    ProgrammeIn,
)

PROVINCIAL_OFFICER = "019088011111"
"""Phạm Minh Đức (people.py): welfare officer of the whole province in the demo."""
PROVINCIAL_OFFICER_NAME = "Phạm Minh Đức"
REASON = "Dữ liệu mẫu (demo): cán bộ chính sách xã hội cấp tỉnh"
FILENAME = "danh-sach-doi-tuong-demo.csv"
HEADER = [
    "Số định danh cá nhân",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Mã xã",
    "Chương trình",
    "Nhóm đối tượng",
    "Số tiền hằng tháng",
    "Hình thức chi trả",
    "Số tài khoản",
]

PROGRAMMES = (
    ProgrammeIn(
        code="BTXH",
        name_vi="Trợ cấp xã hội hằng tháng",
        name_en="Monthly social allowance",
        categories=[
            CategoryIn(
                code="NCT80",
                name_vi="Người từ đủ 80 tuổi không có lương hưu",
                name_en="People aged 80 or over without a pension",
                monthly_amount=500_000,
                min_amount=500_000,
                max_amount=1_000_000,
            ),
            CategoryIn(
                code="NCT60",
                name_vi="Người cao tuổi thuộc hộ nghèo",
                name_en="Older people of poor households",
                monthly_amount=750_000,
            ),
        ],
    ),
    ProgrammeIn(
        code="KT",
        name_vi="Trợ cấp người khuyết tật",
        name_en="Disability allowance",
        categories=[
            CategoryIn(
                code="DBN",
                name_vi="Người khuyết tật đặc biệt nặng",
                name_en="Especially severe disability",
                monthly_amount=1_000_000,
            ),
            CategoryIn(
                code="NANG",
                name_vi="Người khuyết tật nặng",
                name_en="Severe disability",
                monthly_amount=750_000,
            ),
        ],
    ),
    ProgrammeIn(
        code="HN",
        name_vi="Hỗ trợ hộ nghèo, hộ cận nghèo",
        name_en="Support for poor and near-poor households",
        categories=[
            CategoryIn(
                code="NGHEO",
                name_vi="Hộ nghèo",
                name_en="Poor household",
                monthly_amount=450_000,
            ),
            CategoryIn(
                code="CANNGHEO",
                name_vi="Hộ cận nghèo",
                name_en="Near-poor household",
                monthly_amount=300_000,
            ),
        ],
    ),
    ProgrammeIn(
        code="NCC",
        name_vi="Trợ cấp người có công với cách mạng",
        name_en="Allowance for people with meritorious service",
        categories=[
            CategoryIn(
                code="TB",
                name_vi="Thương binh",
                name_en="War invalid",
                monthly_amount=2_500_000,
                min_amount=1_500_000,
                max_amount=5_000_000,
            ),
        ],
    ),
)

# The demo citizens (people.py), as a commune's list names them.
DEMO_ROWS = [
    # Nguyễn Văn An, phường Phan Đình Phùng: disability allowance, to a bank account.
    ["019090001234", "Nguyễn Văn An", "12/03/1990", "Nam", "05443", "KT", "NANG", "750.000",
     "Tài khoản ngân hàng", "0123456789012"],
    # Trần Thị Bình, xã Định Hóa: poor household, by Mobile Money.
    ["019185004321", "Trần Thị Bình", "02/07/1985", "Nữ", "05569", "HN", "NGHEO", "450.000",
     "Mobile Money", "0912345678"],
    # Hoàng Văn Cường (older): monthly social allowance, cash at the post office.
    ["019072005678", "Hoàng Văn Cường", "20/11/1972", "Nam", "05581", "BTXH", "NCT60",
     "750.000", "Tiền mặt tại bưu điện", ""],
    # Lý Thị Dung, listed with another middle name: a mismatch flag with identity's name.
    ["019198007777", "Lý Thu Dung", "09/01/1998", "Nữ", "05443", "HN", "CANNGHEO", "300.000",
     "Ví điện tử", "0987654321"],
]  # fmt: skip

DEMO_OUTCOMES = {"019090001234": "paid", "019185004321": "failed", "019072005678": "pending"}
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ma", "Nông"]
MIDDLE_MALE = ["Văn", "Đức", "Minh", "Quang"]
MIDDLE_FEMALE = ["Thị", "Thu", "Ngọc", "Thanh"]
GIVEN_MALE = ["Bảo", "Cường", "Dũng", "Hải", "Khánh", "Lâm", "Phong", "Sơn", "Tùng"]
GIVEN_FEMALE = ["Hằng", "Hoa", "Lan", "Linh", "Mai", "Nga", "Thảo", "Yến", "Xuân"]
COMMUNES = ["05443", "05455", "05569", "05581"]
"""Phan Đình Phùng, its neighbour, Định Hóa and Trung Hội (Quỳnh's two)."""
CHANNEL_LABELS = {
    "bank": "Tài khoản ngân hàng",
    "ewallet": "Ví điện tử",
    "mobile_money": "Mobile Money",
    "cash_post": "Tiền mặt tại bưu điện",
}


def _generated_rows(count: int = 36) -> list[list[str]]:
    """Other people of the demo communes (fixed seed: the same file on every run)."""
    rng = random.Random(20261127)  # noqa: S311  # demo names, the same on every run
    rows = []
    for n in range(count):
        female = rng.random() < 0.5
        older = n % 3 == 0
        birth = date(rng.randint(1930, 1945), rng.randint(1, 12), rng.randint(1, 28))
        if not older:
            birth = date(rng.randint(1950, 1995), rng.randint(1, 12), rng.randint(1, 28))
        digit = (0 if birth.year < 2000 else 2) + int(female)
        pid = f"019{digit}{birth.year % 100:02d}{rng.randrange(10**6):06d}"
        name = " ".join(
            (
                rng.choice(SURNAMES),
                rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE),
                rng.choice(GIVEN_FEMALE if female else GIVEN_MALE),
            )
        )
        if older:
            programme, category, amount = "BTXH", "NCT80", "500.000"
        elif n % 3 == 1:
            programme, category, amount = "HN", rng.choice(["NGHEO", "CANNGHEO"]), ""
        elif n % 5 == 2:
            programme, category, amount = "NCC", "TB", "2.500.000"
        else:
            programme, category, amount = "KT", rng.choice(["DBN", "NANG"]), ""
        channel = rng.choice(list(CHANNEL_LABELS))
        account = {
            "bank": f"{rng.randrange(10**12):012d}",
            "ewallet": f"09{rng.randrange(10**8):08d}",
            "mobile_money": f"03{rng.randrange(10**8):08d}",
            "cash_post": "",
        }[channel]
        rows.append(
            [
                pid,
                name,
                birth.strftime("%d/%m/%Y"),
                "Nữ" if female else "Nam",
                COMMUNES[n % len(COMMUNES)],
                programme,
                category,
                amount,
                CHANNEL_LABELS[channel],
                account,
            ]
        )
    return rows


def list_file() -> bytes:
    """The demo beneficiary list, as a commune office's CSV (UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(DEMO_ROWS + _generated_rows())
    return out.getvalue().encode("utf-8-sig")


async def provincial_officer() -> Principal:
    """Phạm Minh Đức with the welfare officer role for the whole province (granted once)."""
    person = await do_provision_person(PROVINCIAL_OFFICER, PROVINCIAL_OFFICER_NAME)
    held = {info.role for info in await get_person_roles(person.id)}
    if Role.WELFARE_OFFICER not in held:
        await do_grant_role(
            person.id, Role.WELFARE_OFFICER, granted_by=None, reason=REASON, communes=[]
        )
    return Principal(id=person.id, roles=frozenset({Role.WELFARE_OFFICER}), via="session")


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _last_month(today: date) -> str:
    previous = today.replace(day=1) - timedelta(days=1)
    return f"{previous.year}-{previous.month:02d}"


async def seed_welfare(settings: Settings | None = None) -> int:
    """Programmes, the demo list imported, last month's period with results. Returns the
    number of beneficiaries the demo list holds."""
    settings = settings or get_settings()
    officer = await provincial_officer()
    known = {p.code for p in await service.list_programmes(include_inactive=True)}
    for programme in PROGRAMMES:
        if programme.code not in known:
            await service.do_upsert_programme(officer, programme)

    started = await service.do_start_import(
        settings,
        officer,
        kind="beneficiaries",
        filename=FILENAME,
        chunks=_once(list_file()),
    )
    if started.status in ("queued", "running"):
        # Run here, as the job would: the demo is ready when the command ends (the job, run
        # later by a worker, finds the import done and does nothing).
        await service.run_import(settings, started.id)

    month = _last_month(date.today())
    periods = {p.month.strftime("%Y-%m"): p for p in await service.list_periods(officer)}
    period = periods.get(month)
    if period is None:
        period = await service.do_create_period(settings, officer, PeriodIn(month=month))
    if period.generated_at is None:
        period = await service.do_generate_payments(officer, period.id)
        await _record_results(officer, period.id, period.payout_date)
    return len(DEMO_ROWS) + len(_generated_rows())


async def _record_results(officer: Principal, period_id: uuid.UUID, payout: date) -> None:
    """Most payments paid, some failed or returned, the rest pending; the demo citizens:
    Nguyễn Văn An paid, Trần Thị Bình failed (a wrong Mobile Money number), Hoàng Văn Cường
    pending at the post office."""
    special: dict[uuid.UUID, str] = {}
    for personal_id, outcome in DEMO_OUTCOMES.items():
        found = await service.search_beneficiaries(
            officer, BeneficiaryFilters(query=personal_id), PageRequest(limit=1)
        )
        for item in found.items:
            special[item.id] = outcome
    payments = []
    cursor = None
    while True:
        page = await service.list_payments(
            officer, period_id, PageRequest(cursor=cursor, limit=MAX_LIMIT)
        )
        payments.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    for n, payment in enumerate(payments):
        usual = ("paid", "paid", "failed", "paid", "pending", "returned", "paid")[n % 7]
        outcome = special.get(payment.beneficiary_id, usual)
        if outcome == "pending":
            continue
        if outcome == "paid":
            result = PaymentResultIn(
                status="paid", paid_on=payout, transaction_ref=f"GD{payout:%Y%m}{n + 1:05d}"
            )
        elif outcome == "failed":
            result = PaymentResultIn(
                status="failed", reason="Tài khoản nhận không tồn tại hoặc đã bị khóa"
            )
        else:
            result = PaymentResultIn(
                status="returned", reason="Người hưởng không đến nhận tại điểm chi trả"
            )
        await service.do_record_payment(officer, payment.id, result)
