"""Values of welfare status that cross HTTP and reach the console (msgspec Structs)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

ImportKind = Literal["beneficiaries", "payments"]
ImportStatus = Literal["queued", "running", "done", "failed"]
RowOutcome = Literal["accepted", "updated", "unchanged", "rejected"]
Channel = Literal["bank", "ewallet", "mobile_money", "cash_post"]
BeneficiaryStatus = Literal["active", "review", "rejected"]
PaymentStatus = Literal["pending", "paid", "failed", "returned"]
Resolution = Literal["accept_identity", "keep_list", "reject"]
Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
Amount = Annotated[int, msgspec.Meta(gt=0, le=1_000_000_000)]


class CategoryIn(msgspec.Struct, frozen=True, kw_only=True):
    code: Code
    name_vi: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    name_en: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    monthly_amount: Amount
    min_amount: Amount | None = None
    """Lowest amount an import may state (default: the monthly amount)."""
    max_amount: Amount | None = None
    """Highest amount an import may state (default: the monthly amount)."""


class ProgrammeIn(msgspec.Struct, frozen=True, kw_only=True):
    code: Code
    name_vi: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    name_en: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    categories: Annotated[list[CategoryIn], msgspec.Meta(min_length=1, max_length=50)]
    active: bool = True


class Category(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name_vi: str
    name_en: str
    monthly_amount: int
    min_amount: int
    max_amount: int


class Programme(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name_vi: str
    name_en: str
    active: bool
    categories: list[Category]


class Enrolment(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    programme_code: str
    programme_name_vi: str
    category_code: str
    monthly_amount: int
    channel: Channel
    account_ref: str | None
    """In full for officers (whose read is audited)."""
    active: bool


class BeneficiarySummary(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    personal_id: str
    full_name: str
    birth_date: date
    gender: str
    commune_code: str
    status: BeneficiaryStatus
    programmes: list[str]
    open_flags: int


class BeneficiaryPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[BeneficiarySummary]
    next_cursor: str | None


class Flag(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    beneficiary_id: uuid.UUID
    field: Literal["full_name", "birth_date"]
    list_value: str
    identity_value: str
    status: Literal["open", "resolved"]
    resolution: Resolution | None
    reason: str | None
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: uuid.UUID | None


class FlagWithBeneficiary(msgspec.Struct, frozen=True, kw_only=True):
    """A flag beside whom it is about (the console shows both values side by side)."""

    flag: Flag
    personal_id: str
    full_name: str
    commune_code: str


class FlagPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[FlagWithBeneficiary]
    next_cursor: str | None


class FlagResolutionIn(msgspec.Struct, frozen=True, kw_only=True):
    resolution: Resolution
    reason: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    """Required to keep the list's value."""


class PaymentOut(msgspec.Struct, frozen=True, kw_only=True):
    """A payment, with whom it is for (`full_name`: the name in force on their record)."""

    id: uuid.UUID
    period_id: uuid.UUID
    month: date
    payout_date: date
    beneficiary_id: uuid.UUID
    personal_id: str
    full_name: str
    programme_code: str
    commune_code: str
    amount: int
    channel: Channel
    status: PaymentStatus
    paid_on: date | None
    transaction_ref: str | None
    failure_reason: str | None
    recorded_at: datetime | None


class PaymentPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[PaymentOut]
    next_cursor: str | None


class BeneficiaryDetail(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    personal_id: str
    person_id: uuid.UUID | None
    full_name: str
    birth_date: date
    list_full_name: str
    list_birth_date: date
    gender: str
    commune_code: str
    status: BeneficiaryStatus
    enrolments: list[Enrolment]
    flags: list[Flag]
    payments: list[PaymentOut]
    created_at: datetime
    updated_at: datetime


class BeneficiaryFilters(msgspec.Struct, frozen=True, kw_only=True):
    query: str | None = None
    """A name (matched without diacritics, case or extra spaces) or a personal id (12 digits,
    or its beginning)."""
    commune_code: str | None = None
    programme_code: str | None = None
    status: BeneficiaryStatus | None = None
    flagged: bool | None = None
    """True: only beneficiaries with an open flag; False: only those without."""


class ImportOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    kind: ImportKind
    period_id: uuid.UUID | None
    filename: str
    file_format: Literal["xlsx", "csv"]
    sha256: str
    status: ImportStatus
    total_rows: int
    processed_rows: int
    accepted: int
    updated: int
    unchanged: int
    rejected: int
    flagged: int
    error: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duplicate: bool = False
    """True when this upload was the same file as this earlier import (nothing was done)."""


class ImportPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ImportOut]
    next_cursor: str | None


class ImportRow(msgspec.Struct, frozen=True, kw_only=True):
    row_number: int
    """The row's number in the sheet (the header is row 1)."""
    outcome: RowOutcome
    reason: str | None
    personal_id: str | None
    full_name: str | None
    commune_code: str | None
    programme_code: str | None


class ImportRowPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ImportRow]
    next_cursor: str | None


class PeriodIn(msgspec.Struct, frozen=True, kw_only=True):
    month: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
    """YYYY-MM."""
    payout_date: date | None = None
    """Default: the month's `welfare_payout_day`."""


class PeriodProgress(msgspec.Struct, frozen=True, kw_only=True):
    expected: int
    paid: int
    failed: int
    returned: int
    pending: int
    amount_expected: int
    amount_paid: int


class Period(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    month: date
    payout_date: date
    generated_at: datetime | None
    created_at: datetime
    progress: PeriodProgress


class PaymentResultIn(msgspec.Struct, frozen=True, kw_only=True):
    status: Literal["paid", "failed", "returned"]
    paid_on: date | None = None
    transaction_ref: Annotated[str, msgspec.Meta(min_length=1, max_length=60)] | None = None
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None


class ReconciliationLine(msgspec.Struct, frozen=True, kw_only=True):
    commune_code: str
    commune_name: str
    programme_code: str
    expected: int
    paid: int
    failed: int
    returned: int
    pending: int
    amount_expected: int
    amount_paid: int
    amount_failed: int
    amount_pending: int


class Reconciliation(msgspec.Struct, frozen=True, kw_only=True):
    period: Period
    lines: list[ReconciliationLine]
    totals: ReconciliationLine
    """Every line added up (commune and programme "*")."""


class Statistics(msgspec.Struct, frozen=True, kw_only=True):
    beneficiaries: int
    by_status: dict[str, int]
    by_programme: dict[str, int]
    open_flags: int
    imports_running: int


# --- the citizen's view -----------------------------------------------------------------------


class MyPayment(msgspec.Struct, frozen=True, kw_only=True):
    month: date
    payout_date: date
    amount: int
    status: PaymentStatus
    paid_on: date | None
    transaction_ref: str | None
    what_to_do_vi: str | None = None
    what_to_do_en: str | None = None
    """For a failed or returned payment: what to do and whom to contact."""


class MyProgramme(msgspec.Struct, frozen=True, kw_only=True):
    programme_code: str
    programme_name_vi: str
    programme_name_en: str
    category_code: str
    category_name_vi: str
    category_name_en: str
    monthly_amount: int
    channel: Channel
    account_masked: str | None
    """The account reference's last 4 characters, the rest as •."""
    next_payment_date: date | None
    payments: list[MyPayment]


class MyWelfare(msgspec.Struct, frozen=True, kw_only=True):
    programmes: list[MyProgramme]
    status: Literal["none", "active", "review"]
    message_vi: str
    message_en: str
    commune_office_vi: str | None = None
    """Whom to contact: the commune office of the commune on the list."""
    commune_office_en: str | None = None
