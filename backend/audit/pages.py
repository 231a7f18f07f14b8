"""Staff console pages of the audit domain, for auditors: the audit log with the filters and
pages of `GET /api/v1/audit` (each read recorded, as the API's), the chain's verification
status (checked when the auditor asks, the last outcome kept in the log itself), and the
security events of the last day and week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.response import Template

from backend.access import Principal, Role, roles, signed_in
from backend.audit import service
from backend.audit.errors import AuditKeyMismatch
from backend.console.charts import Bar, bar_chart
from backend.console.format import VIETNAM
from backend.console.shell import (
    Attention,
    MenuEntry,
    access,
    is_partial,
    language_of,
    redirect,
    render,
    url,
)
from backend.http.pagination import (
    DEFAULT_LIMIT,
    PageRequest,
    decode_cursor,
    encode_cursor,
    page_request,
)
from backend.settings import get_settings

AUDITOR = roles(Role.AUDITOR)
Short = Annotated[str | None, QueryParameter(max_length=100)]
Moment = Annotated[str | None, QueryParameter(max_length=40)]
Message = tuple[str, str]
BAD_MOMENT: Message = (
    "Thời điểm không hợp lệ (ngày và giờ, ví dụ 2026-11-27T08:00).",
    "Not a valid moment (a date and time, e.g. 2026-11-27T08:00).",
)
BAD_RANGE: Message = ("“Đến” phải sau “Từ”.", "“To” must be after “From”.")

EVENT_NAMES: dict[str, Message] = {
    "access_denied": ("Truy cập bị từ chối", "Access denied"),
    "access_token_rejected": ("Mã truy cập bị từ chối", "Access token rejected"),
    "csrf_rejected": ("Mã CSRF sai", "CSRF token rejected"),
    "throttled": ("Bị giới hạn tần suất", "Throttled"),
    "refresh_token_reuse": ("Mã làm mới bị dùng lại", "Refresh token reused"),
    "refresh_token_rejected": ("Mã làm mới bị từ chối", "Refresh token rejected"),
    "handoff_code_rejected": ("Mã trao tay bị từ chối", "Handoff code rejected"),
    "login_state_rejected": ("Trạng thái đăng nhập sai", "Login state rejected"),
    "id_token_rejected": ("ID token bị từ chối", "ID token rejected"),
    "logout_token_rejected": ("Logout token bị từ chối", "Logout token rejected"),
    "provider_code_rejected": ("Mã của nhà cung cấp bị từ chối", "Provider code rejected"),
    "sign_in_refused_by_provider": ("Nhà cung cấp từ chối đăng nhập", "Sign-in refused"),
    "authorization_response_rejected": (
        "Phản hồi ủy quyền bị từ chối",
        "Authorization response rejected",
    ),
}


def _limit(page: PageRequest) -> int | None:
    """The page size to keep in the URL (left out when it is the default)."""
    return page.limit if page.limit != DEFAULT_LIMIT else None


def _moment(text: str | None) -> datetime | None:
    """A `datetime-local` value (Vietnam's time) or an ISO 8601 moment with its offset;
    `ValueError` when it is neither."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=VIETNAM) if moment.tzinfo is None else moment


@get(
    "/audit",
    opt=access(AUDITOR),
    dependencies={"page": Provide(page_request, sync_to_thread=False)},
)
async def audit_log(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    actor: Short = None,
    action: Short = None,
    object_type: Short = None,
    object_id: Short = None,
    since: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
    until: Annotated[str | None, QueryParameter(name="to", max_length=40)] = None,
) -> Template:
    """The audit log, newest first, with the API's filters; reading it is recorded."""
    filters = {
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "from": since,
        "to": until,
    }
    params = {k: v.strip() if v and v.strip() else None for k, v in filters.items()}
    errors: dict[str, Message] = {}
    moments: dict[str, datetime | None] = {}
    for name in ("from", "to"):
        try:
            moments[name] = _moment(params[name])
        except ValueError:
            errors[name] = BAD_MOMENT
    if not errors and moments["from"] and moments["to"] and moments["to"] <= moments["from"]:
        errors["to"] = BAD_RANGE
    entries: list[Any] = []
    next_cursor: str | None = None
    if not errors:
        before = decode_cursor(page.cursor, "audit", (int,))[0] if page.cursor else None
        rows = await service.access_entries(
            str(signed_in(request).id),
            service.AuditFilter(
                actor_id=params["actor"],
                action=params["action"],
                object_type=params["object_type"],
                object_id=params["object_id"],
                since=moments["from"],
                until=moments["to"],
            ),
            before_id=before,
            limit=page.limit + 1,
        )
        entries = rows[: page.limit]
        if len(rows) > page.limit:
            next_cursor = encode_cursor("audit", (entries[-1].id,))
    return render(
        request,
        "audit/log.html",
        status=400 if errors else 200,
        entries=entries,
        next_cursor=next_cursor,
        params={**params, "cursor": page.cursor, "limit": _limit(page)},
        errors=errors,
        check=await service.last_chain_check(),
        check_limit=service.CHAIN_CHECK_LIMIT,
        error=None,
        fresh=False,
    )


@post("/audit/chain", opt=access(AUDITOR))
async def check_chain(request: Request[Any, Any, Any]) -> Template | Response[Any]:
    """Verify the chain now (bounded: at most `CHAIN_CHECK_LIMIT` entries) and answer the
    status part of the page; the outcome is recorded in the log for the next visit."""
    error: Message | None = None
    try:
        check: service.ChainCheck | None = await service.do_check_chain(str(signed_in(request).id))
    except AuditKeyMismatch as exc:
        check, error = await service.last_chain_check(), (exc.detail_vi, exc.detail_en)
    if not is_partial(request):
        return redirect(request, url("/audit"))
    return render(
        request,
        "audit/_chain_status.html",
        status=200 if error is None else 500,
        check=check,
        check_limit=service.CHAIN_CHECK_LIMIT,
        error=error,
        fresh=error is None,
    )


@get("/security", opt=access(AUDITOR))
async def security_events(request: Request[Any, Any, Any]) -> Template:
    """Security events by type over the last 24 hours and 7 days, from the end of the
    security log (a bounded read), as a chart and a table of the same figures."""
    summary = await _summary()
    lang = language_of(request)

    def name(event: str) -> str:
        vi, en = EVENT_NAMES.get(event, (event, event))
        return en if lang == "en" else vi

    week = [Bar(name(c.event), c.last_week, "warn") for c in summary.counts]
    day = [Bar(name(c.event), c.last_day, "bad") for c in summary.counts if c.last_day]
    return render(
        request,
        "audit/security.html",
        summary=summary,
        event_names=EVENT_NAMES,
        chart_day=bar_chart(
            "Sự kiện trong 24 giờ qua" if lang == "vi" else "Events in the last 24 hours", day
        )
        if day
        else None,
        chart_week=bar_chart(
            "Sự kiện trong 7 ngày qua" if lang == "vi" else "Events in the last 7 days", week
        )
        if week
        else None,
        tail_bytes=service.SECURITY_TAIL_BYTES,
    )


async def _summary() -> service.SecuritySummary:
    settings = get_settings()
    return await service.summarize_security_log(
        settings.security_log_path, configured=bool(settings.security_log)
    )


PAGES: list[Any] = [audit_log, check_chain, security_events]
MENU: list[MenuEntry] = [
    MenuEntry("/audit", "Nhật ký kiểm toán", "Audit log", AUDITOR, "Kiểm toán", "Audit"),
    MenuEntry("/security", "Sự kiện an ninh", "Security events", AUDITOR, "Kiểm toán", "Audit"),
]


async def attention(principal: Principal) -> list[Attention]:
    """For auditors: the outcome of the last chain check, and the security events of the
    last 24 hours."""
    if not AUDITOR.admits(principal):
        return []
    check = await service.last_chain_check()
    if check is None:
        chain = Attention(
            title_vi="Chuỗi nhật ký chưa được kiểm tra",
            title_en="The audit chain has not been checked",
            href=url("/audit"),
            detail_vi="Bấm “Kiểm tra chuỗi” trên trang nhật ký.",
            detail_en="Press “Check the chain” on the audit log page.",
            tone="warn",
        )
    elif not check.ok:
        chain = Attention(
            title_vi="Chuỗi nhật ký bị hỏng",
            title_en="The audit chain is broken",
            href=url("/audit"),
            detail_vi=f"Mục hỏng đầu tiên: #{check.broken_id}",
            detail_en=f"First bad entry: #{check.broken_id}",
            tone="bad",
        )
    else:
        stale = datetime.now(UTC) - check.checked_at > timedelta(days=1)
        chain = Attention(
            title_vi="Chuỗi nhật ký toàn vẹn",
            title_en="The audit chain is intact",
            href=url("/audit"),
            count=check.checked,
            detail_vi="mục đã kiểm tra"
            + (" (lần kiểm tra cuối đã quá 24 giờ)" if stale else "")
            + ("" if check.complete else " (chưa hết chuỗi)"),
            detail_en="entries checked"
            + (" (the last check is over 24 hours old)" if stale else "")
            + ("" if check.complete else " (not the whole chain)"),
            tone="warn" if stale or not check.complete else "ok",
        )
    summary = await _summary()
    events = Attention(
        title_vi="Sự kiện an ninh trong 24 giờ",
        title_en="Security events in 24 hours",
        href=url("/security"),
        count=summary.total_day,
        detail_vi="" if summary.exists else "Chưa có tệp nhật ký an ninh.",
        detail_en="" if summary.exists else "No security log file yet.",
        tone="warn" if summary.total_day else "ok",
    )
    return [chain, events]
