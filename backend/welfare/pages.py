"""Staff console pages of welfare status, for welfare officers (see backend.console.shell):

- beneficiaries (`/console/welfare`): search by name without diacritics or by personal id,
  filters by commune, programme, status and open flags; one beneficiary's record
  (`/console/welfare/beneficiaries/{id}`: enrolments, flags, payments; an audited read);
- imports (`/console/welfare/imports`): the upload of a list of beneficiaries or of payment
  results — `welfare.js` sends the file to the officer API's own upload route
  (POST /api/v1/welfare/imports) with a progress bar, then opens the import's page, whose
  progress refreshes itself (`console.js` polls `/console/welfare/imports/{id}/status`) while
  the job runs; then the per-row report with a filter (rejected rows and their Vietnamese
  reasons) and the xlsx download (audited);
- mismatch flags (`/console/welfare/flags`): the list's value beside identity's, resolved
  by accepting identity's value, keeping the list's with a reason, or rejecting;
- payment periods (`/console/welfare/periods`): create a month, generate its payments, its
  progress, results recorded one by one or imported, and the reconciliation by commune and
  programme with a chart of paid / failed / pending, exported as CSV or xlsx (audited).

Every page calls `backend.welfare.service` as the API does: an officer limited to some
communes sees only those (another commune's record is the same 404 as the API's).
Templates in backend/welfare/templates/welfare/, script and styles in backend/welfare/static/.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, get_args

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream, Template

from backend.access import Principal, Role, caller, roles
from backend.console.charts import Bar, bar_chart
from backend.console.forms import form_text as _text
from backend.console.places import commune_names
from backend.console.shell import Attention, MenuEntry, access, language_of, redirect, render
from backend.downloads import file_answer
from backend.errors import BadRequest, ValidationFailed
from backend.http.pagination import PageRequest
from backend.settings import Settings
from backend.welfare import service
from backend.welfare.schemas import (
    BeneficiaryFilters,
    BeneficiaryStatus,
    FlagResolutionIn,
    PaymentResultIn,
    PaymentStatus,
    PeriodIn,
    Programme,
    Reconciliation,
    Resolution,
    RowOutcome,
)

AnyRequest = Request[Any, Any, Any]
OFFICER = roles(Role.WELFARE_OFFICER)
ROOT = "/console/welfare"
API = "/api/v1/welfare"
PAGE_SIZE = 25
ROWS_PAGE_SIZE = 50
POLL_SECONDS = 1.5
"""How often an import's page asks for its progress while the job runs."""

# --- labels (Vietnamese, English, tone of the badge) -------------------------------------------

BENEFICIARY_STATUS: dict[str, tuple[str, str, str]] = {
    "active": ("Đang hưởng", "Active", "ok"),
    "review": ("Chờ đối chiếu", "Under review", "warn"),
    "rejected": ("Đã loại", "Rejected", "bad"),
}
IMPORT_STATUS: dict[str, tuple[str, str, str]] = {
    "queued": ("Đang chờ xử lý", "Queued", "info"),
    "running": ("Đang xử lý", "Running", "info"),
    "done": ("Hoàn tất", "Done", "ok"),
    "failed": ("Thất bại", "Failed", "bad"),
}
IMPORT_KIND: dict[str, tuple[str, str]] = {
    "beneficiaries": ("Danh sách đối tượng", "Beneficiary list"),
    "payments": ("Kết quả chi trả", "Payment results"),
}
ROW_OUTCOME: dict[str, tuple[str, str, str]] = {
    "accepted": ("Thêm mới", "Accepted", "ok"),
    "updated": ("Cập nhật", "Updated", "info"),
    "unchanged": ("Không đổi", "Unchanged", "muted"),
    "rejected": ("Bị từ chối", "Rejected", "bad"),
}
PAYMENT_STATUS: dict[str, tuple[str, str, str]] = {
    "pending": ("Chờ chi trả", "Pending", "warn"),
    "paid": ("Đã chi trả", "Paid", "ok"),
    "failed": ("Không thành công", "Failed", "bad"),
    "returned": ("Bị trả lại", "Returned", "bad"),
}
CHANNEL: dict[str, tuple[str, str]] = {
    "bank": ("Tài khoản ngân hàng", "Bank account"),
    "ewallet": ("Ví điện tử", "E-wallet"),
    "mobile_money": ("Mobile Money", "Mobile money"),
    "cash_post": ("Tiền mặt tại bưu điện", "Cash at the post office"),
}
FLAG_FIELD: dict[str, tuple[str, str]] = {
    "full_name": ("Họ và tên", "Full name"),
    "birth_date": ("Ngày sinh", "Birth date"),
}
RESOLUTION: dict[str, tuple[str, str]] = {
    "accept_identity": ("Dùng giá trị của định danh", "Identity's value accepted"),
    "keep_list": ("Giữ giá trị của danh sách", "List's value kept"),
    "reject": ("Loại khỏi danh sách", "Rejected"),
}
FLAGGED: dict[str, tuple[str, str]] = {
    "yes": ("Có cảnh báo chưa xử lý", "With an open flag"),
    "no": ("Không có cảnh báo", "Without open flags"),
}

MENU = [
    MenuEntry(
        "/welfare",
        "Trợ cấp xã hội",
        "Welfare",
        OFFICER,
        group_vi="Chính sách xã hội",
        group_en="Social policy",
    )
]


def _labels() -> dict[str, Any]:
    return {
        "beneficiary_statuses": BENEFICIARY_STATUS,
        "import_statuses": IMPORT_STATUS,
        "import_kinds": IMPORT_KIND,
        "row_outcomes": ROW_OUTCOME,
        "payment_statuses": PAYMENT_STATUS,
        "channels": CHANNEL,
        "flag_fields": FLAG_FIELD,
        "resolutions": RESOLUTION,
        "flagged_choices": FLAGGED,
    }


# --- home cards ---------------------------------------------------------------------------------


async def attention(principal: Principal) -> list[Attention]:
    """Welfare officers: open mismatch flags and imports still running."""
    if not OFFICER.admits(principal):
        return []
    figures = await service.statistics(principal)
    cards = [
        Attention(
            title_vi="Sai lệch với dữ liệu định danh cần xử lý",
            title_en="Mismatches with identity to resolve",
            href=f"{ROOT}/flags",
            count=figures.open_flags,
            tone="warn" if figures.open_flags else "ok",
        )
    ]
    if figures.imports_running:
        cards.append(
            Attention(
                title_vi="Lượt nhập dữ liệu đang xử lý",
                title_en="Imports running",
                href=f"{ROOT}/imports",
                count=figures.imports_running,
                tone="info",
            )
        )
    return cards


# --- reading queries and forms -------------------------------------------------------------------


def _literal(kind: Any, value: str | None, name: str) -> Any:
    """A filter or form value among a Literal's: empty is none; another is refused (400)."""
    if not value:
        return None
    if value not in get_args(kind):
        raise BadRequest(f"Giá trị không hợp lệ cho `{name}`.", f"Invalid value for `{name}`.")
    return value


def _day(value: str, name: str, vi: str, en: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{vi} không hợp lệ.", f"{en} is invalid.") from None


# --- names the pages show ------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """How codes read on a page: communes and programmes."""

    lang: str
    communes: dict[str, str]
    programmes: dict[str, Programme]
    mine: list[tuple[str, str]]
    """The communes the officer may choose (their own, or the whole province's)."""

    def commune(self, code: str | None) -> str:
        if not code or code == "*":
            return "—"
        return self.communes.get(code, code)

    def programme(self, code: str | None) -> str:
        found = self.programmes.get(code or "")
        if found is None:
            return code or "—"
        return found.name_en if self.lang == "en" else found.name_vi

    def category(self, programme: str, code: str) -> str:
        found = self.programmes.get(programme)
        for category in found.categories if found else []:
            if category.code == code:
                return category.name_en if self.lang == "en" else category.name_vi
        return code


async def _names(request: AnyRequest) -> Names:
    principal = caller(request)
    communes = await commune_names()
    allowed = sorted(principal.communes) if principal and principal.communes else list(communes)
    mine = sorted(((c, communes.get(c, c)) for c in allowed), key=lambda item: item[1])
    programmes = {p.code: p for p in await service.list_programmes(include_inactive=True)}
    return Names(language_of(request), communes, programmes, mine)


def _officer(request: AnyRequest) -> Principal:
    principal = caller(request)
    assert principal is not None  # the route's rule admitted a welfare officer
    return principal


# --- reconciliation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    caption: str
    svg: Any
    rows: list[tuple[str, int, int]]
    """(label, payments, amount)."""


def reconciliation_chart(figures: Reconciliation, lang: str) -> Chart:
    """Paid / failed (and returned) / pending payments of the period, in the officer's
    communes."""

    def t(vi: str, en: str) -> str:
        return en if lang == "en" else vi

    totals = figures.totals
    rows = [
        (t("Đã chi trả", "Paid"), totals.paid, totals.amount_paid, "ok"),
        (
            t("Không thành công, bị trả lại", "Failed or returned"),
            totals.failed + totals.returned,
            totals.amount_failed,
            "bad",
        ),
        (t("Chờ chi trả", "Pending"), totals.pending, totals.amount_pending, "warn"),
    ]
    caption = t("Khoản chi trả theo kết quả", "Payments by result")
    svg = bar_chart(caption, [Bar(label, n, tone) for label, n, _, tone in rows])
    return Chart(caption, svg, [(label, n, amount) for label, n, amount, _ in rows])


# --- the pages -----------------------------------------------------------------------------------

ShortQuery = Annotated[str | None, QueryParameter(max_length=40)]
CursorQuery = Annotated[str | None, QueryParameter(max_length=512)]


class WelfarePages(Controller):
    path = "/welfare"

    # --- beneficiaries ---

    @get("/", opt=access(OFFICER))
    async def beneficiaries_page(
        self,
        request: AnyRequest,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        commune: Annotated[str | None, QueryParameter(max_length=5)] = None,
        programme: ShortQuery = None,
        status: ShortQuery = None,
        flagged: ShortQuery = None,
        cursor: CursorQuery = None,
    ) -> Template:
        """`service.search_beneficiaries` (audited) with the form's filters."""
        principal = _officer(request)
        names = await _names(request)
        if commune and commune not in dict(names.mine):
            raise BadRequest("Mã xã, phường không hợp lệ.", "Invalid commune code.")
        if programme and programme not in names.programmes:
            raise BadRequest("Chương trình không hợp lệ.", "Invalid programme.")
        if flagged and flagged not in FLAGGED:
            raise BadRequest("Bộ lọc cảnh báo không hợp lệ.", "Invalid flag filter.")
        filters = BeneficiaryFilters(
            query=q.strip() if q and q.strip() else None,
            commune_code=commune or None,
            programme_code=programme or None,
            status=_literal(BeneficiaryStatus, status, "status"),
            flagged=None if not flagged else flagged == "yes",
        )
        page = await service.search_beneficiaries(
            principal, filters, PageRequest(cursor=cursor or None, limit=PAGE_SIZE)
        )
        params = {
            "q": q,
            "commune": commune,
            "programme": programme,
            "status": status,
            "flagged": flagged,
            "cursor": cursor,
        }
        return render(
            request,
            "welfare/beneficiaries.html",
            page=page,
            params=params,
            filtered=any(v for k, v in params.items() if k != "cursor"),
            names=names,
            **_labels(),
        )

    @get("/beneficiaries/{beneficiary_id:uuid}", opt=access(OFFICER))
    async def beneficiary_page(
        self, request: AnyRequest, beneficiary_id: FromPath[uuid.UUID]
    ) -> Template:
        """`service.access_beneficiary` (an audited read; 404 outside the officer's communes)."""
        detail = await service.access_beneficiary(_officer(request), beneficiary_id)
        return render(
            request,
            "welfare/beneficiary.html",
            detail=detail,
            names=await _names(request),
            **_labels(),
        )

    # --- imports ---

    @get("/imports", opt=access(OFFICER))
    async def imports_page(
        self,
        request: AnyRequest,
        period: Annotated[uuid.UUID | None, QueryParameter()] = None,
        cursor: CursorQuery = None,
    ) -> Template:
        """The upload form (a list, or a period's results) and the imports, newest first."""
        principal = _officer(request)
        page = await service.list_imports(
            principal, PageRequest(cursor=cursor or None, limit=PAGE_SIZE)
        )
        periods = await service.list_periods(principal)
        return render(
            request,
            "welfare/imports.html",
            page=page,
            periods=periods,
            chosen_period=period,
            params={"cursor": cursor},
            api=API,
            fields=sorted(set(service.HEADER_FIELDS.values())),
            **_labels(),
        )

    @get("/imports/{import_id:uuid}", opt=access(OFFICER))
    async def import_page(
        self,
        request: AnyRequest,
        import_id: FromPath[uuid.UUID],
        outcome: ShortQuery = None,
        cursor: CursorQuery = None,
        same: Annotated[bool, QueryParameter()] = False,
    ) -> Template:
        """The import's progress (refreshing itself while it runs), its counts, and once done
        its per-row report (`service.access_import_rows`, audited) with a filter."""
        principal = _officer(request)
        record = await service.access_import(principal, import_id)
        chosen = _literal(RowOutcome, outcome, "outcome")
        rows = None
        if record.status == "done":
            rows = await service.access_import_rows(
                principal,
                import_id,
                PageRequest(cursor=cursor or None, limit=ROWS_PAGE_SIZE),
                outcome=chosen,
            )
        return render(
            request,
            "welfare/import.html",
            record=record,
            rows=rows,
            params={"outcome": outcome, "cursor": cursor},
            poll_seconds=POLL_SECONDS,
            same=same,
            names=await _names(request),
            **_labels(),
        )

    @get("/imports/{import_id:uuid}/status", opt=access(OFFICER, transaction="read"))
    async def import_status(self, request: AnyRequest, import_id: FromPath[uuid.UUID]) -> Template:
        """The import's progress alone (what its page polls; the page reloads when it ends)."""
        record = await service.access_import(_officer(request), import_id)
        return render(
            request,
            "welfare/_import_status.html",
            record=record,
            poll_seconds=POLL_SECONDS,
            **_labels(),
        )

    @get("/imports/{import_id:uuid}/report.xlsx", opt=access(OFFICER))
    async def import_report(
        self, request: AnyRequest, import_id: FromPath[uuid.UUID], outcome: ShortQuery = None
    ) -> Stream:
        """`service.write_import_report` (audited): every row, or only those of `outcome`."""
        principal = _officer(request)
        chosen = _literal(RowOutcome, outcome, "outcome")
        suffix = f"-{chosen}" if chosen else ""
        return await file_answer(
            lambda path: service.write_import_report(principal, import_id, path, outcome=chosen),
            "xlsx",
            f"ket-qua-nhap-{import_id}{suffix}",
        )

    # --- flags ---

    @get("/flags", opt=access(OFFICER))
    async def flags_page(
        self,
        request: AnyRequest,
        status: ShortQuery = None,
        cursor: CursorQuery = None,
    ) -> Template:
        """Mismatch flags (open ones by default) with the list's and identity's values side
        by side, and the three ways to resolve one."""
        if status and status not in ("open", "resolved"):
            raise BadRequest("Trạng thái không hợp lệ.", "Invalid status.")
        page = await service.list_flags(
            _officer(request),
            PageRequest(cursor=cursor or None, limit=PAGE_SIZE),
            status=status or "open",
        )
        return render(
            request,
            "welfare/flags.html",
            page=page,
            params={"status": status, "cursor": cursor},
            names=await _names(request),
            **_labels(),
        )

    @post("/flags/{flag_id:uuid}/resolve", status_code=200, opt=access(OFFICER))
    async def resolve_flag(
        self, request: AnyRequest, flag_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """`service.do_resolve_flag` with the choice made (a reason to keep the list's value)."""
        form = await request.form()
        resolution = _literal(Resolution, _text(form, "resolution"), "resolution")
        if resolution is None:
            raise ValidationFailed("Chọn cách xử lý.", "Choose a resolution.")
        reason = _text(form, "reason") or None
        try:
            data = msgspec.convert({"resolution": resolution, "reason": reason}, FlagResolutionIn)
        except msgspec.ValidationError:
            raise ValidationFailed(
                "Lý do quá dài (tối đa 1.000 ký tự).", "The reason is too long (1,000 at most)."
            ) from None
        await service.do_resolve_flag(_officer(request), flag_id, data)
        back = _text(form, "back")
        return redirect(request, back if back.startswith(ROOT) else f"{ROOT}/flags")

    # --- periods ---

    @get("/periods", opt=access(OFFICER))
    async def periods_page(self, request: AnyRequest) -> Template:
        """Payment periods with their progress, and a form to open a month."""
        periods = await service.list_periods(_officer(request))
        today = date.today()
        return render(
            request,
            "welfare/periods.html",
            periods=periods,
            next_month=f"{today.year}-{today.month:02d}",
            **_labels(),
        )

    @post("/periods", status_code=200, opt=access(OFFICER))
    async def create_period(
        self, request: AnyRequest, settings: NamedDependency[Settings]
    ) -> Response[Any]:
        """`service.do_create_period` for the month (and payout date) given."""
        form = await request.form()
        month = _text(form, "month")
        payout = _day(_text(form, "payout_date"), "payout_date", "Ngày chi trả", "Payout date")
        try:
            data = msgspec.convert({"month": month, "payout_date": payout}, PeriodIn)
        except msgspec.ValidationError:
            raise ValidationFailed(
                "Nhập tháng theo dạng năm-tháng (ví dụ 2026-11).",
                "Enter the month as year-month (e.g. 2026-11).",
            ) from None
        period = await service.do_create_period(settings, _officer(request), data)
        return redirect(request, f"{ROOT}/periods/{period.id}")

    @post("/periods/{period_id:uuid}/generate", status_code=200, opt=access(OFFICER))
    async def generate(self, request: AnyRequest, period_id: FromPath[uuid.UUID]) -> Response[Any]:
        """`service.do_generate_payments` (idempotent)."""
        await service.do_generate_payments(_officer(request), period_id)
        return redirect(request, f"{ROOT}/periods/{period_id}")

    @get("/periods/{period_id:uuid}", opt=access(OFFICER))
    async def period_page(
        self,
        request: AnyRequest,
        period_id: FromPath[uuid.UUID],
        status: ShortQuery = None,
        commune: Annotated[str | None, QueryParameter(max_length=5)] = None,
        programme: ShortQuery = None,
        cursor: CursorQuery = None,
    ) -> Template:
        """The period's progress, its reconciliation by commune and programme with a chart,
        and its payments (filters; a form to record each one's result)."""
        principal = _officer(request)
        names = await _names(request)
        chosen = _literal(PaymentStatus, status, "status")
        if commune and commune not in dict(names.mine):
            raise BadRequest("Mã xã, phường không hợp lệ.", "Invalid commune code.")
        if programme and programme not in names.programmes:
            raise BadRequest("Chương trình không hợp lệ.", "Invalid programme.")
        figures = await service.reconcile(principal, period_id)
        payments = await service.list_payments(
            principal,
            period_id,
            PageRequest(cursor=cursor or None, limit=PAGE_SIZE),
            status=chosen,
            commune_code=commune or None,
            programme_code=programme or None,
        )
        params = {"status": status, "commune": commune, "programme": programme, "cursor": cursor}
        return render(
            request,
            "welfare/period.html",
            figures=figures,
            period=figures.period,
            chart=reconciliation_chart(figures, names.lang),
            payments=payments,
            params=params,
            filtered=any(v for k, v in params.items() if k != "cursor"),
            names=names,
            today=date.today().isoformat(),
            **_labels(),
        )

    @get("/periods/{period_id:uuid}/reconciliation/{fmt:str}", opt=access(OFFICER))
    async def export_reconciliation(
        self, request: AnyRequest, period_id: FromPath[uuid.UUID], fmt: FromPath[str]
    ) -> Stream:
        """`service.export_reconciliation` as CSV or xlsx (audited)."""
        if fmt not in ("csv", "xlsx"):
            raise BadRequest("Định dạng không hợp lệ.", "Invalid format.")
        principal = _officer(request)
        return await file_answer(
            lambda path: service.export_reconciliation(principal, period_id, fmt, path),  # type: ignore[arg-type]  # checked above
            fmt,
            f"doi-soat-{period_id}",
        )

    @post("/payments/{payment_id:uuid}", status_code=200, opt=access(OFFICER))
    async def record_payment(
        self, request: AnyRequest, payment_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """`service.do_record_payment` with the result entered (the citizen is notified)."""
        form = await request.form()
        result = _text(form, "status")
        if result not in ("paid", "failed", "returned"):
            raise ValidationFailed("Chọn kết quả chi trả.", "Choose the result.")
        paid_on = _day(_text(form, "paid_on"), "paid_on", "Ngày chi trả", "Payment date")
        paid = result == "paid"
        values = {
            "status": result,
            "paid_on": paid_on if paid else None,
            "transaction_ref": (_text(form, "transaction_ref") or None) if paid else None,
            "reason": None if paid else (_text(form, "reason") or None),
        }
        try:
            data = msgspec.convert(values, PaymentResultIn)
        except msgspec.ValidationError:
            raise ValidationFailed(
                "Mã giao dịch tối đa 60 ký tự, lý do tối đa 500 ký tự.",
                "The transaction reference is at most 60 characters, the reason 500.",
            ) from None
        payment = await service.do_record_payment(_officer(request), payment_id, data)
        back = _text(form, "back")
        return redirect(
            request, back if back.startswith(ROOT) else f"{ROOT}/periods/{payment.period_id}"
        )


PAGES: list[Any] = [WelfarePages]
