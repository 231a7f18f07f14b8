"""The welfare officer's side: programmes, beneficiaries and their flags, periods,
payments, reconciliation, statistics and exports. An officer limited to communes
(`Principal.communes`) sees only those communes; every read of a beneficiary's record and
every export is audited."""

from __future__ import annotations

import asyncio
import csv
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import msgspec
import xlsxwriter  # type: ignore[import-untyped]  # XlsxWriter ships no type information

from backend.access import Principal
from backend.audit.service import do_record
from backend.geo.service import packaged_units
from backend.http.pagination import PageRequest, decode_cursor, encode_cursor
from backend.settings import Settings, get_settings
from backend.text import fold
from backend.welfare import repository
from backend.welfare.errors import (
    BeneficiaryNotFound,
    FlagAlreadyResolved,
    FlagNotFound,
    FlagReasonRequired,
    PaymentNotFound,
    PaymentResultInvalid,
    PeriodExists,
    PeriodNotFound,
    ProgrammeInvalid,
)
from backend.welfare.notices import notify_result
from backend.welfare.repository import FlagRecord, PaymentRecord, PeriodRecord, Totals
from backend.welfare.schemas import (
    BeneficiaryDetail,
    BeneficiaryFilters,
    BeneficiaryPage,
    BeneficiarySummary,
    Category,
    Enrolment,
    Flag,
    FlagPage,
    FlagResolutionIn,
    FlagWithBeneficiary,
    PaymentOut,
    PaymentPage,
    PaymentResultIn,
    Period,
    PeriodIn,
    PeriodProgress,
    Programme,
    ProgrammeIn,
    Reconciliation,
    ReconciliationLine,
    Statistics,
)

ExportFormat = Literal["csv", "xlsx"]


def _scope(actor: Principal) -> list[str] | None:
    return sorted(actor.communes) if actor.communes else None


def _visible(actor: Principal, commune_code: str) -> bool:
    return not actor.communes or commune_code in actor.communes


def commune_names() -> dict[str, str]:
    return {u.code: u.name for u in packaged_units(get_settings().province_code)}


# --- programmes -------------------------------------------------------------------------------


async def list_programmes(*, include_inactive: bool = False) -> list[Programme]:
    categories: dict[str, list[Category]] = {}
    for c in await repository.categories():
        categories.setdefault(c.programme_code, []).append(
            Category(
                code=c.code,
                name_vi=c.name_vi,
                name_en=c.name_en,
                monthly_amount=c.monthly_amount,
                min_amount=c.min_amount,
                max_amount=c.max_amount,
            )
        )
    return [
        Programme(
            code=p.code,
            name_vi=p.name_vi,
            name_en=p.name_en,
            active=p.active,
            categories=categories.get(p.code, []),
        )
        for p in await repository.programmes()
        if p.active or include_inactive
    ]


async def do_upsert_programme(actor: Principal | None, data: ProgrammeIn) -> Programme:
    """Create or change a programme and its categories (codes upper-cased), audited.
    Categories not named are kept (enrolments may use them)."""
    code = data.code.upper()
    rows = []
    for c in data.categories:
        low = c.min_amount or c.monthly_amount
        high = c.max_amount or c.monthly_amount
        if not low <= c.monthly_amount <= high:
            raise ProgrammeInvalid()
        rows.append(
            repository.CategoryRow(
                programme_code=code,
                code=c.code.upper(),
                name_vi=c.name_vi,
                name_en=c.name_en,
                monthly_amount=c.monthly_amount,
                min_amount=low,
                max_amount=high,
            )
        )
    await repository.upsert_programme(
        repository.ProgrammeRow(
            code=code, name_vi=data.name_vi, name_en=data.name_en, active=data.active
        ),
        rows,
    )
    await do_record(
        "welfare.programme.upsert",
        actor_id=str(actor.id) if actor else None,
        object_type="welfare_programme",
        object_id=code,
        details={"categories": [r.code for r in rows]},
    )
    return next(p for p in await list_programmes(include_inactive=True) if p.code == code)


# --- beneficiaries ----------------------------------------------------------------------------

BENEFICIARY_CURSOR = "welfare_beneficiaries"


def _search_terms(filters: BeneficiaryFilters) -> tuple[str | None, str | None]:
    query = (filters.query or "").strip()
    if not query:
        return None, None
    if query.isdigit():
        return None, query[:12]
    return fold(query), None


async def search_beneficiaries(
    actor: Principal, filters: BeneficiaryFilters, page: PageRequest
) -> BeneficiaryPage:
    """Beneficiaries by name (without diacritics, case or extra spaces) or personal id, and
    filters; ordered by name. Audited (the filters, never a name)."""
    name, pid = _search_terms(filters)
    after = (
        decode_cursor(page.cursor, BENEFICIARY_CURSOR, (str, uuid.UUID)) if page.cursor else None
    )
    rows = await repository.search_beneficiaries(
        communes=_scope(actor),
        name_folded=name,
        personal_id_prefix=pid,
        commune_code=filters.commune_code,
        programme_code=filters.programme_code,
        status=filters.status,
        flagged=filters.flagged,
        after=(after[0], after[1]) if after else None,
        limit=page.limit + 1,
    )
    items = [_summary(r) for r in rows[: page.limit]]
    await do_record(
        "welfare.beneficiary.search",
        actor_id=str(actor.id),
        object_type="welfare_beneficiary",
        details={
            "by": "personal_id" if pid else "name" if name else None,
            "commune_code": filters.commune_code,
            "programme_code": filters.programme_code,
            "status": filters.status,
            "flagged": filters.flagged,
            "results": len(items),
        },
    )
    last = rows[page.limit - 1] if len(rows) > page.limit else None
    cursor = encode_cursor(BENEFICIARY_CURSOR, (last.name_folded, last.id)) if last else None
    return BeneficiaryPage(items=items, next_cursor=cursor)


def _summary(r: repository.BeneficiaryListRow) -> BeneficiarySummary:
    return BeneficiarySummary(
        id=r.id,
        personal_id=r.personal_id,
        full_name=r.full_name,
        birth_date=r.birth_date,
        gender=r.gender,
        commune_code=r.commune_code,
        status=r.status,  # type: ignore[arg-type]  # the table's check
        programmes=r.programmes,
        open_flags=r.open_flags,
    )


async def access_beneficiary(actor: Principal, beneficiary_id: uuid.UUID) -> BeneficiaryDetail:
    """One beneficiary's record (enrolments with accounts, flags, payments); every read is
    audited. Outside the officer's communes: not found."""
    record = await repository.get_beneficiary(beneficiary_id)
    if record is None or not _visible(actor, record.commune_code):
        raise BeneficiaryNotFound()
    enrolments = await repository.enrolments_of(beneficiary_id)
    flags = await repository.flags_of_beneficiary(beneficiary_id)
    payments = await repository.payments(beneficiary_id=beneficiary_id, limit=120)
    await do_record(
        "welfare.beneficiary.read",
        actor_id=str(actor.id),
        object_type="welfare_beneficiary",
        object_id=str(beneficiary_id),
    )
    return BeneficiaryDetail(
        id=record.id,
        personal_id=record.personal_id,
        person_id=record.person_id,
        full_name=record.full_name,
        birth_date=record.birth_date,
        list_full_name=record.list_full_name,
        list_birth_date=record.list_birth_date,
        gender=record.gender,
        commune_code=record.commune_code,
        status=record.status,  # type: ignore[arg-type]  # the table's check
        enrolments=[
            Enrolment(
                id=e.id,
                programme_code=e.programme_code,
                programme_name_vi=e.programme_name_vi,
                category_code=e.category_code,
                monthly_amount=e.monthly_amount,
                channel=e.channel,  # type: ignore[arg-type]  # the table's check
                account_ref=e.account_ref,
                active=e.active,
            )
            for e in enrolments
        ],
        flags=[_flag(f) for f in flags],
        payments=[_payment(p) for p in payments],
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


EXPORT_COLUMNS = [
    "Số định danh cá nhân",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Mã xã",
    "Trạng thái",
    "Chương trình",
    "Cảnh báo chưa xử lý",
]


async def export_beneficiaries(
    actor: Principal, filters: BeneficiaryFilters, fmt: ExportFormat, path: Path
) -> Path:
    """Every beneficiary the filters select (in the officer's communes) as CSV (UTF-8 with
    BOM, for Excel) or xlsx at `path`; audited with the count."""
    name, pid = _search_terms(filters)
    rows = await repository.search_beneficiaries(
        communes=_scope(actor),
        name_folded=name,
        personal_id_prefix=pid,
        commune_code=filters.commune_code,
        programme_code=filters.programme_code,
        status=filters.status,
        flagged=filters.flagged,
        after=None,
        limit=None,
    )
    lines = [
        [
            r.personal_id,
            r.full_name,
            r.birth_date.strftime("%d/%m/%Y"),
            "Nam" if r.gender == "male" else "Nữ",
            r.commune_code,
            r.status,
            ", ".join(r.programmes),
            r.open_flags,
        ]
        for r in rows
    ]
    await asyncio.to_thread(_write_table, path, fmt, EXPORT_COLUMNS, lines)
    await do_record(
        "welfare.beneficiary.export",
        actor_id=str(actor.id),
        object_type="welfare_beneficiary",
        details={
            "format": fmt,
            "rows": len(lines),
            "commune_code": filters.commune_code,
            "programme_code": filters.programme_code,
            "status": filters.status,
        },
    )
    return path


def _write_table(path: Path, fmt: ExportFormat, header: list[str], lines: list[list[Any]]) -> None:
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(lines)
        return
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, header, workbook.add_format({"bold": True}))
    for number, line in enumerate(lines, start=1):
        sheet.write_row(number, 0, line)
    workbook.close()


# --- flags ------------------------------------------------------------------------------------


def _flag(f: FlagRecord) -> Flag:
    return Flag(**msgspec.structs.asdict(f))


FLAG_CURSOR = "welfare_flags"


async def list_flags(
    actor: Principal, page: PageRequest, *, status: str | None = "open"
) -> FlagPage:
    """Flags oldest first, with whom they are about (list and identity values side by side
    are in the flag); audited."""
    after = decode_cursor(page.cursor, FLAG_CURSOR, (datetime, uuid.UUID)) if page.cursor else None
    rows = await repository.list_flags(
        communes=_scope(actor),
        status=status,
        after=(after[0], after[1]) if after else None,
        limit=page.limit + 1,
    )
    items = [
        FlagWithBeneficiary(
            flag=_flag(r.flag),
            personal_id=r.personal_id,
            full_name=r.full_name,
            commune_code=r.commune_code,
        )
        for r in rows[: page.limit]
    ]
    await do_record(
        "welfare.flag.list",
        actor_id=str(actor.id),
        object_type="welfare_flag",
        details={"status": status, "results": len(items)},
    )
    last = items[-1].flag if len(rows) > page.limit else None
    cursor = encode_cursor(FLAG_CURSOR, (last.created_at, last.id)) if last else None
    return FlagPage(items=items, next_cursor=cursor)


async def do_resolve_flag(actor: Principal, flag_id: uuid.UUID, data: FlagResolutionIn) -> Flag:
    """accept_identity: identity's value is put in force; keep_list: the list's value stays
    (a reason is required); reject: the beneficiary is rejected (no payment generated).
    The beneficiary's status follows (review while any flag is open). Audited."""
    found = await repository.lock_flag(flag_id)
    if found is None or not _visible(actor, found[1]):
        raise FlagNotFound()
    flag = found[0]
    if flag.status != "open":
        raise FlagAlreadyResolved()
    reason = (data.reason or "").strip() or None
    if data.resolution == "keep_list" and not reason:
        raise FlagReasonRequired()
    await repository.resolve_flag(flag_id, data.resolution, reason, actor.id)
    if data.resolution == "accept_identity":
        value: Any = flag.identity_value
        if flag.field == "birth_date":
            value = date.fromisoformat(value)
        await repository.set_value_in_force(flag.beneficiary_id, flag.field, value)
    await repository.refresh_status([flag.beneficiary_id])
    await do_record(
        "welfare.flag.resolve",
        actor_id=str(actor.id),
        object_type="welfare_flag",
        object_id=str(flag_id),
        reason=reason,
        details={
            "resolution": data.resolution,
            "field": flag.field,
            "beneficiary_id": str(flag.beneficiary_id),
        },
    )
    resolved = next(
        f for f in await repository.flags_of_beneficiary(flag.beneficiary_id) if f.id == flag_id
    )
    return _flag(resolved)


# --- periods and payments ---------------------------------------------------------------------


def _progress(t: Totals) -> PeriodProgress:
    return PeriodProgress(
        expected=t.expected,
        paid=t.paid,
        failed=t.failed,
        returned=t.returned,
        pending=t.pending,
        amount_expected=t.amount_expected,
        amount_paid=t.amount_paid,
    )


async def _period(actor: Principal, record: PeriodRecord) -> Period:
    totals = await repository.period_totals(record.id, _scope(actor))
    return Period(
        id=record.id,
        month=record.month,
        payout_date=record.payout_date,
        generated_at=record.generated_at,
        created_at=record.created_at,
        progress=_progress(totals),
    )


async def list_periods(actor: Principal) -> list[Period]:
    return [await _period(actor, r) for r in await repository.periods()]


async def access_period(actor: Principal, period_id: uuid.UUID) -> Period:
    record = await repository.get_period(period_id)
    if record is None:
        raise PeriodNotFound()
    return await _period(actor, record)


async def do_create_period(settings: Settings, actor: Principal, data: PeriodIn) -> Period:
    """A period for a month (one per month: `PeriodExists` otherwise), audited."""
    year, month = (int(x) for x in data.month.split("-"))
    first = date(year, month, 1)
    payout = data.payout_date or date(year, month, settings.welfare_payout_day)
    period_id = uuid.uuid4()
    if not await repository.insert_period(period_id, first, payout, actor.id):
        raise PeriodExists()
    await do_record(
        "welfare.period.create",
        actor_id=str(actor.id),
        object_type="welfare_period",
        object_id=str(period_id),
        details={"month": data.month, "payout_date": payout.isoformat()},
    )
    return await access_period(actor, period_id)


async def do_generate_payments(actor: Principal, period_id: uuid.UUID) -> Period:
    """One pending payment per active enrolment of each active beneficiary (not those under
    review or rejected), with the amount, channel and account in force. Idempotent: a second
    run adds only enrolments that appeared since. Audited."""
    record = await repository.get_period(period_id, lock=True)
    if record is None:
        raise PeriodNotFound()
    added = await repository.generate_payments(period_id)
    await do_record(
        "welfare.period.generate",
        actor_id=str(actor.id),
        object_type="welfare_period",
        object_id=str(period_id),
        details={"added": added},
    )
    return await access_period(actor, period_id)


def _payment(p: PaymentRecord) -> PaymentOut:
    return PaymentOut(
        id=p.id,
        period_id=p.period_id,
        month=p.month,
        payout_date=p.payout_date,
        beneficiary_id=p.beneficiary_id,
        personal_id=p.personal_id,
        full_name=p.full_name,
        programme_code=p.programme_code,
        commune_code=p.commune_code,
        amount=p.amount,
        channel=p.channel,  # type: ignore[arg-type]  # the table's check
        status=p.status,  # type: ignore[arg-type]  # the table's check
        paid_on=p.paid_on,
        transaction_ref=p.transaction_ref,
        failure_reason=p.failure_reason,
        recorded_at=p.recorded_at,
    )


PAYMENT_CURSOR = "welfare_payments"


async def list_payments(
    actor: Principal,
    period_id: uuid.UUID,
    page: PageRequest,
    *,
    status: str | None = None,
    commune_code: str | None = None,
    programme_code: str | None = None,
) -> PaymentPage:
    """The period's payments in the officer's communes, by personal id, each with whom it
    is for (name and personal id, from the same query). Audited (the filters, never a
    name)."""
    await access_period(actor, period_id)
    after = decode_cursor(page.cursor, PAYMENT_CURSOR, (str, uuid.UUID)) if page.cursor else None
    rows = await repository.payments(
        period_id=period_id,
        communes=_scope(actor),
        status=status,
        commune_code=commune_code,
        programme_code=programme_code,
        after=(after[0], after[1]) if after else None,
        limit=page.limit + 1,
    )
    items = [_payment(p) for p in rows[: page.limit]]
    # The page names the beneficiaries it lists, as a search does: audited the same way
    # (the filters, never a name).
    await do_record(
        "welfare.payment.list",
        actor_id=str(actor.id),
        object_type="welfare_period",
        object_id=str(period_id),
        details={
            "commune_code": commune_code,
            "programme_code": programme_code,
            "status": status,
            "results": len(items),
        },
    )
    last = rows[page.limit - 1] if len(rows) > page.limit else None
    cursor = encode_cursor(PAYMENT_CURSOR, (last.personal_id, last.id)) if last else None
    return PaymentPage(items=items, next_cursor=cursor)


def check_result(data: PaymentResultIn) -> None:
    if data.status == "paid" and (data.paid_on is None or not data.transaction_ref):
        raise PaymentResultInvalid()
    if data.status != "paid" and not data.reason:
        raise PaymentResultInvalid()
    if data.paid_on is not None and data.paid_on > datetime.now(UTC).date():
        raise PaymentResultInvalid()


async def do_record_payment(
    actor: Principal, payment_id: uuid.UUID, data: PaymentResultIn
) -> PaymentOut:
    """Record a payment's result (paid with date and transaction reference; failed or
    returned with a reason). The citizen is notified when it is paid or failed (and the
    result changed). Audited."""
    check_result(data)
    payment = await repository.get_payment(payment_id, lock=True)
    if payment is None or not _visible(actor, payment.commune_code):
        raise PaymentNotFound()
    wanted = (
        data.status,
        data.paid_on if data.status == "paid" else None,
        data.transaction_ref if data.status == "paid" else None,
        data.reason if data.status != "paid" else None,
    )
    changed = wanted != (
        payment.status,
        payment.paid_on,
        payment.transaction_ref,
        payment.failure_reason,
    )
    if changed:
        await repository.record_results([(payment_id, *wanted, actor.id, None)])
        if data.status in ("paid", "failed"):
            await notify_result(payment, data.status, wanted[1])
    await do_record(
        "welfare.payment.record",
        actor_id=str(actor.id),
        object_type="welfare_payment",
        object_id=str(payment_id),
        details={"status": data.status, "changed": changed},
    )
    updated = await repository.get_payment(payment_id)
    assert updated is not None
    return _payment(updated)


def _line(t: Totals, names: dict[str, str]) -> ReconciliationLine:
    return ReconciliationLine(
        commune_code=t.commune_code,
        commune_name=names.get(t.commune_code, t.commune_code),
        **{f: getattr(t, f) for f in t.__struct_fields__ if f != "commune_code"},
    )


async def reconcile(actor: Principal, period_id: uuid.UUID) -> Reconciliation:
    """Expected, paid, failed, returned and pending payments and their amounts, by commune
    and programme (the officer's communes only), with the totals."""
    period = await access_period(actor, period_id)
    names = commune_names()
    lines = [_line(t, names) for t in await repository.reconcile(period_id, _scope(actor))]
    totals = _line(await repository.period_totals(period_id, _scope(actor)), names)
    return Reconciliation(period=period, lines=lines, totals=totals)


RECONCILIATION_COLUMNS = [
    "Mã xã",
    "Tên xã",
    "Chương trình",
    "Dự kiến",
    "Đã chi",
    "Không thành công",
    "Bị trả lại",
    "Chưa có kết quả",
    "Tiền dự kiến",
    "Tiền đã chi",
    "Tiền không chi được",
    "Tiền chưa có kết quả",
]


async def export_reconciliation(
    actor: Principal, period_id: uuid.UUID, fmt: ExportFormat, path: Path
) -> Path:
    """The reconciliation table as CSV or xlsx at `path`, audited."""
    table = await reconcile(actor, period_id)
    lines = [
        [
            line.commune_code,
            line.commune_name,
            line.programme_code,
            line.expected,
            line.paid,
            line.failed,
            line.returned,
            line.pending,
            line.amount_expected,
            line.amount_paid,
            line.amount_failed,
            line.amount_pending,
        ]
        for line in [*table.lines, table.totals]
    ]
    await asyncio.to_thread(_write_table, path, fmt, RECONCILIATION_COLUMNS, lines)
    await do_record(
        "welfare.reconciliation.export",
        actor_id=str(actor.id),
        object_type="welfare_period",
        object_id=str(period_id),
        details={"format": fmt, "rows": len(lines)},
    )
    return path


async def statistics(actor: Principal) -> Statistics:
    found = await repository.statistics(_scope(actor))
    return Statistics(
        beneficiaries=sum(found["by_status"].values()),
        by_status=found["by_status"],
        by_programme=found["by_programme"],
        open_flags=found["open_flags"],
        imports_running=found["imports_running"],
    )
