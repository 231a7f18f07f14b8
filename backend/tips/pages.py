"""Staff console pages of crime reports, for the police (see backend.console.shell):

- the queue (`/console/tips`): the reports of the officer's unit(s) and those assigned to
  them, most urgent first, with filters, urgency colours (and words: colour is never the only
  sign) and counts that refresh themselves (`console.js` polls `/console/tips/counts`, which
  also says when new reports arrived since the list was shown);
- a report (`/console/tips/{id}`): its content, its files (images shown, video and audio
  playing, documents opened) streamed through `/console/tips/{id}/files/{file}` — a route
  that reads them with `police.read_attachment`, audited like the API —, the place on a map
  drawn here (the province's outline with the reporter's coordinates, and the schematic tile
  map of communes with the report's commune; nothing is fetched from the internet), the
  workflow buttons of the transitions the caller may make now (each form carries the
  version the page showed: a stale one is refused with a clear message, never lost), the
  assignment, the thread with the reporter and a reply (with a file, by `tips.js`, through
  the police API), the transfer to another unit (supervisors) and the history;
- the duty roster of the caller's units (`/console/tips/duty`), set by their supervisors;
- statistics with charts (`/console/tips/statistics`) and the CSV export (audited).

Every page calls the police service (`backend.tips.police`, `backend.tips.stats`) exactly as
the API does: a report of another unit is the same 404, every read of content is audited.
Templates in backend/tips/templates/tips/, script and styles in backend/tips/static/.
"""

from __future__ import annotations

import enum
import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream, Template

from backend.access import Principal, caller, roles
from backend.console.charts import Bar, bar_chart
from backend.console.format import VIETNAM
from backend.console.forms import form_text
from backend.console.places import commune_names
from backend.console.shell import (
    Attention,
    MenuEntry,
    access,
    is_partial,
    language_of,
    redirect,
    render,
)
from backend.errors import BadRequest, PermissionDenied, ValidationFailed
from backend.http.pagination import PageRequest
from backend.identity.service import list_police_units, names_of
from backend.settings import Settings
from backend.tips import duty, offences, police, routing, stats
from backend.tips.police_errors import TipVersionConflict
from backend.tips.police_schemas import (
    PROVINCIAL,
    Count,
    DutyRoster,
    Officer,
    QueueCounts,
    StatisticsFilters,
    TipDetail,
    TipFilters,
    TipStatistics,
    UnitCode,
)
from backend.tips.streaming import attachment_response, byte_range
from backend.tips.workflow import Action, Outcome, Status, Urgency
from notifications.service import ProvinceMap, province_map

AnyRequest = Request[Any, Any, Any]
POLICE = roles(*police.POLICE_ROLES)
ROOT = "/console/tips"
PAGE_SIZE = 25
COUNTS_POLL_SECONDS = 20
"""How often the queue's counts refresh themselves."""

# --- labels (Vietnamese, English, tone of the badge) -------------------------------------------

STATUS_LABELS: dict[str, tuple[str, str, str]] = {
    Status.RECEIVED: ("Mới tiếp nhận", "Received", "warn"),
    Status.TRIAGED: ("Đã phân loại", "Triaged", "info"),
    Status.ASSIGNED: ("Đã giao xử lý", "Assigned", "info"),
    Status.INVESTIGATING: ("Đang xác minh", "Investigating", "info"),
    Status.CLOSED: ("Đã kết thúc", "Closed", "ok"),
}
URGENCY_LABELS: dict[str, tuple[str, str, str]] = {
    Urgency.EMERGENCY: ("Khẩn cấp", "Emergency", "bad"),
    Urgency.HIGH: ("Cao", "High", "warn"),
    Urgency.NORMAL: ("Bình thường", "Normal", "info"),
    Urgency.LOW: ("Thấp", "Low", "muted"),
    "none": ("Chưa phân loại", "Not triaged", "muted"),
}
OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    Outcome.RESOLVED: ("Đã giải quyết", "Resolved"),
    Outcome.UNFOUNDED: ("Không có căn cứ", "Unfounded"),
    Outcome.TRANSFERRED: ("Chuyển cơ quan khác ngoài công an", "Transferred to another authority"),
    Outcome.DUPLICATE: ("Trùng với tin báo khác", "Duplicate of another report"),
}
KIND_LABELS: dict[str, tuple[str, str]] = {
    "confidential": ("Có danh tính (bảo mật)", "Confidential"),
    "anonymous": ("Ẩn danh", "Anonymous"),
}
EVENT_LABELS: dict[str, tuple[str, str]] = {
    "received": ("Tiếp nhận tin báo", "Report received"),
    Action.TRIAGE: ("Phân loại mức độ khẩn", "Triaged"),
    Action.ASSIGN: ("Giao cán bộ xử lý", "Assigned"),
    Action.START_INVESTIGATION: ("Bắt đầu xác minh", "Investigation started"),
    Action.CLOSE: ("Kết thúc", "Closed"),
    Action.REOPEN: ("Chuyển lại bước trước", "Moved back"),
    Action.TRANSFER: ("Chuyển đơn vị", "Transferred"),
    "purge": ("Xóa nội dung hết hạn lưu trữ", "Content purged at the end of retention"),
}
INCIDENT_TIME_LABELS: dict[str, tuple[str, str]] = {
    "exact": ("Thời điểm chính xác", "Exact time"),
    "approximate": ("Khoảng thời gian", "Approximate time"),
    "unknown": ("Không rõ thời gian", "Time unknown"),
}
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "police_officer": ("Cán bộ", "Officer"),
    "police_supervisor": ("Lãnh đạo đơn vị", "Supervisor"),
}
ASSIGNED_CHOICES: dict[str, tuple[str, str]] = {
    "me": ("Giao cho tôi", "Assigned to me"),
    "none": ("Chưa giao ai", "Unassigned"),
}

MENU = [
    MenuEntry(
        "/tips",
        "Tin báo tội phạm",
        "Crime reports",
        POLICE,
        group_vi="Công an",
        group_en="Police",
    )
]


def _label(lang: str, labels: tuple[str, ...]) -> str:
    return labels[1] if lang == "en" else labels[0]


# --- home cards ---------------------------------------------------------------------------------


async def attention(principal: Principal) -> list[Attention]:
    """Police: untriaged reports of danger happening now, reports waiting for triage, and
    reports assigned to them."""
    if not POLICE.admits(principal):
        return []
    try:
        counts = await police.queue_counts(principal)
    except PermissionDenied:  # a police role without a unit
        return []
    cards = []
    if counts.emergencies_untriaged:
        cards.append(
            Attention(
                title_vi="Tin báo nguy hiểm đang diễn ra, chưa phân loại",
                title_en="Reports of danger happening now, not triaged",
                href=f"{ROOT}?urgency=none",
                count=counts.emergencies_untriaged,
                detail_vi="Người báo tin cho biết nguy hiểm đang diễn ra: xem ngay.",
                detail_en="The reporter says the danger is happening now: look at once.",
                tone="bad",
            )
        )
    waiting = counts.by_status.get(Status.RECEIVED, 0)
    cards.append(
        Attention(
            title_vi="Tin báo chờ phân loại",
            title_en="Reports waiting for triage",
            href=f"{ROOT}?status=received",
            count=waiting,
            tone="warn" if waiting else "ok",
        )
    )
    if counts.assigned_to_me:
        cards.append(
            Attention(
                title_vi="Tin báo giao cho bạn",
                title_en="Reports assigned to you",
                href=f"{ROOT}?assigned=me",
                count=counts.assigned_to_me,
                tone="info",
            )
        )
    return cards


# --- reading forms and filters ------------------------------------------------------------------

Choice = TypeVar("Choice", bound=enum.StrEnum)


def _choice(kind: type[Choice], value: str | None, name: str) -> Choice | None:
    """A filter or form value: empty is none; an unknown value is refused (400)."""
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise BadRequest(
            f"Giá trị không hợp lệ cho `{name}`.", f"Invalid value for `{name}`."
        ) from None


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            f"Ngày không hợp lệ cho `{name}` (năm-tháng-ngày).",
            f"Invalid date for `{name}` (year-month-day).",
        ) from None


def _period(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Days of Vietnam's calendar, both included, as the service's [from, to) in UTC."""
    begin = datetime.combine(start, time(), VIETNAM) if start else None
    finish = datetime.combine(end + timedelta(days=1), time(), VIETNAM) if end else None
    return begin, finish


def _version(form: FormMultiDict) -> int:
    try:
        version = int(str(form.get("version") or ""))
    except ValueError:
        version = 0
    if version < 1:
        raise ValidationFailed(
            "Thiếu phiên bản của tin báo: hãy tải lại trang.",
            "The report's version is missing: reload the page.",
        )
    return version


def _uuid(value: str | None, name: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise BadRequest(
            f"Giá trị không hợp lệ cho `{name}`.", f"Invalid value for `{name}`."
        ) from None


# --- names the pages show ------------------------------------------------------------------------


async def unit_names() -> dict[str, str]:
    return {unit.code: unit.name for unit in await list_police_units()}


@dataclass(frozen=True)
class Names:
    """How codes read on a page: offences, communes, units."""

    lang: str
    settings: Settings
    communes: dict[str, str]
    units: dict[str, str]
    provincial_unit: str

    def offence(self, code: str) -> str:
        return offences.label(self.settings, code, self.lang)

    def commune(self, code: str | None) -> str:
        if not code:
            return "—"
        return self.communes.get(code, code)

    def unit(self, code: str | None) -> str:
        if code is None:
            queue = "Hàng đợi cấp tỉnh" if self.lang == "vi" else "Provincial queue"
            name = self.units.get(self.provincial_unit)
            return f"{queue} ({name})" if name else queue
        return self.units.get(code, code)


async def _names(request: AnyRequest, settings: Settings) -> Names:
    return Names(
        lang=language_of(request),
        settings=settings,
        communes=await commune_names(),
        units=await unit_names(),
        provincial_unit=settings.tips_provincial_unit,
    )


def _labels() -> dict[str, Any]:
    return {
        "statuses": STATUS_LABELS,
        "urgencies": URGENCY_LABELS,
        "outcomes": OUTCOME_LABELS,
        "kinds": KIND_LABELS,
        "events": EVENT_LABELS,
        "incident_times": INCIDENT_TIME_LABELS,
        "role_labels": ROLE_LABELS,
        "assigned_choices": ASSIGNED_CHOICES,
    }


# --- the place on a map, drawn here --------------------------------------------------------------

OUTLINE_WIDTH = 320
OUTLINE_MARGIN = 12


@dataclass(frozen=True)
class Outline:
    """The province's outline (routing's, the one reports' coordinates are checked against)
    projected onto a small SVG, with the reporter's point on it."""

    width: int
    height: int
    points: str
    """The polygon's `points`."""
    x: float
    y: float
    """Where the reporter's coordinates fall."""


def outline_of(province_code: str, latitude: float, longitude: float) -> Outline | None:
    """An equirectangular projection of the outline around the point (None: no outline of
    this province is known)."""
    try:
        shape = routing.OUTLINES.get(f"{int(province_code):02d}")
    except ValueError:
        shape = None
    if shape is None:
        return None
    longitudes = [lon for lon, _ in shape] + [longitude]
    latitudes = [lat for _, lat in shape] + [latitude]
    west, east = min(longitudes), max(longitudes)
    south, north = min(latitudes), max(latitudes)
    squeeze = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * squeeze, 1e-6)
    scale = (OUTLINE_WIDTH - 2 * OUTLINE_MARGIN) / span_x
    height = round((north - south) * scale + 2 * OUTLINE_MARGIN)

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (
            OUTLINE_MARGIN + (lon - west) * squeeze * scale,
            OUTLINE_MARGIN + (north - lat) * scale,
        )

    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (project(lon, lat) for lon, lat in shape))
    x, y = project(longitude, latitude)
    return Outline(width=OUTLINE_WIDTH, height=height, points=points, x=x, y=y)


@dataclass(frozen=True)
class PlaceMap:
    outline: Outline | None
    tiles: ProvinceMap | None
    commune: str | None
    group: str | None
    """The former district the commune's tile is drawn in."""


async def place_map(settings: Settings, detail: TipDetail) -> PlaceMap | None:
    """The report's place: coordinates on the outline, the commune on the tile map."""
    text = detail.content
    outline = None
    if text is not None and text.latitude is not None and text.longitude is not None:
        outline = outline_of(settings.province_code, text.latitude, text.longitude)
    tiles = None
    group = None
    if detail.commune_code:
        tiles = await province_map()
        for candidate in tiles.groups:
            if any(tile.code == detail.commune_code for tile in candidate.tiles):
                group = candidate.name
                break
        else:
            tiles = None
    if outline is None and tiles is None:
        return None
    return PlaceMap(outline=outline, tiles=tiles, commune=detail.commune_code, group=group)


# --- one report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thread:
    """A message as the page shows it, with its files."""

    message: Any
    files: list[Any]


def _thread(detail: TipDetail) -> tuple[list[Thread], list[Any]]:
    """Messages with their files, and the files of the report itself."""
    by_id = {a.id: a for a in detail.attachments}
    threads = [Thread(m, [by_id[a] for a in m.attachments if a in by_id]) for m in detail.messages]
    own = [a for a in detail.attachments if a.message_id is None]
    return threads, own


def _file_url(tip_id: uuid.UUID, attachment_id: uuid.UUID, *, original: bool = False) -> str:
    return f"{ROOT}/{tip_id}/files/{attachment_id}" + ("?original=true" if original else "")


async def _report_context(
    request: AnyRequest, settings: Settings, tip_id: uuid.UUID
) -> dict[str, Any]:
    principal = caller(request)
    detail = await police.get_report(principal, tip_id, settings=settings)
    seat = await police.seat_of(principal)
    names = await _names(request, settings)
    actions = set(detail.allowed_actions)
    officers: list[Officer] = []
    if Action.ASSIGN in actions:
        officers = await police.assignable_officers(principal, tip_id)
    supervisor = seat.is_supervisor_of(detail.unit_code)
    transfer_units: list[tuple[str, str]] = []
    if Action.TRANSFER in actions:
        transfer_units = [
            (code, name) for code, name in names.units.items() if code != detail.unit_code
        ]
        if detail.unit_code is not None:
            transfer_units.append((PROVINCIAL, names.unit(None)))
    threads, files = _thread(detail)
    mentioned = {
        uuid.UUID(str(e.detail["officer"])) for e in detail.history if e.detail.get("officer")
    }
    people = {str(o.person_id): o.full_name for o in officers}
    if mentioned:
        people |= {str(k): v for k, v in (await names_of(sorted(mentioned))).items()}
    return {
        "detail": detail,
        "names": names,
        "actions": actions,
        "supervisor": supervisor,
        "me": seat.person_id,
        "officers": officers,
        "officer_names": people,
        "transfer_units": transfer_units,
        "threads": threads,
        "files": files,
        "file_url": _file_url,
        "file_numbers": {a.id: n for n, a in enumerate(detail.attachments, start=1)},
        "place": await place_map(settings, detail),
        "Action": Action,
        "message_max": police.MESSAGE_MAX,
        "police_api": police.API,
        **_labels(),
    }


# --- statistics ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    caption: str
    svg: Any
    rows: list[tuple[str, int]]


def _bare(name: str) -> str:
    """A commune's name without its kind (`Phường`, `Xã`), for the short labels of a chart
    (the table beside it reads the same)."""
    first, _, rest = name.partition(" ")
    return rest if first.lower() in ("phường", "xã") and rest else name


def _chart(title: str, items: Sequence[tuple[str, int, str]]) -> Chart | None:
    if not items:
        return None
    bars = [Bar(label, value, tone) for label, value, tone in items]
    return Chart(title, bar_chart(title, bars), [(label, value) for label, value, _ in items])


def statistics_charts(figures: TipStatistics, names: Names) -> dict[str, Chart]:
    lang = names.lang

    def t(vi: str, en: str) -> str:
        return en if lang == "en" else vi

    def counted(
        counts: list[Count], label: Any, tone: Any = lambda key: "primary"
    ) -> list[tuple[str, int, str]]:
        return [(label(c.key), c.count, tone(c.key)) for c in counts if c.count]

    unknown = t("Không rõ", "Unknown")
    charts = {
        "offence": _chart(
            t("Theo loại tội phạm", "By offence type"),
            counted(figures.by_offence, lambda k: names.offence(k) if k else unknown),
        ),
        "commune": _chart(
            t("Theo xã, phường", "By commune"),
            counted(figures.by_commune, lambda k: _bare(names.commune(k)) if k else unknown),
        ),
        "status": _chart(
            t("Theo trạng thái", "By status"),
            counted(
                figures.by_status,
                lambda k: _label(lang, STATUS_LABELS[k]) if k in STATUS_LABELS else str(k),
                lambda k: "ok" if k == Status.CLOSED else "primary",
            ),
        ),
        "urgency": _chart(
            t("Theo mức độ khẩn", "By urgency"),
            counted(
                figures.by_urgency,
                lambda k: (
                    _label(lang, URGENCY_LABELS[k or "none"])
                    if (k or "none") in URGENCY_LABELS
                    else str(k)
                ),
                lambda k: {"emergency": "bad", "high": "warn", "low": "muted"}.get(
                    k or "", "primary"
                ),
            ),
        ),
        "outcome": _chart(
            t("Kết quả xử lý (tin báo đã kết thúc)", "Outcomes (closed reports)"),
            counted(
                [c for c in figures.by_outcome if c.key],
                lambda k: _label(lang, OUTCOME_LABELS[k]) if k in OUTCOME_LABELS else str(k),
                lambda k: "ok" if k == Outcome.RESOLVED else "muted",
            ),
        ),
        "received": _chart(
            t("Tin báo nhận được theo tuần", "Reports received per week"),
            [
                (f"{t('Tuần', 'Week of')} {w.week:%d/%m/%Y}", w.received, "primary")
                for w in figures.by_week
            ],
        ),
        "closed": _chart(
            t("Tin báo kết thúc theo tuần", "Reports closed per week"),
            [
                (f"{t('Tuần', 'Week of')} {w.week:%d/%m/%Y}", w.closed, "ok")
                for w in figures.by_week
            ],
        ),
    }
    return {key: chart for key, chart in charts.items() if chart is not None}


def _csv(text: str, filename: str) -> Response[bytes]:
    # A BOM so that spreadsheet programs read the Vietnamese text as UTF-8.
    return Response(
        ("\ufeff" + text).encode(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# --- the pages -----------------------------------------------------------------------------------

StatusQuery = Annotated[str | None, QueryParameter(max_length=20)]
ShortQuery = Annotated[str | None, QueryParameter(max_length=40)]
DateQuery = Annotated[str | None, QueryParameter(max_length=10)]


def _unit_filter(value: str | None, seat: police.Seat) -> str | None:
    if not value:
        return None
    if value != PROVINCIAL and value not in seat.units:
        raise BadRequest("Đơn vị không hợp lệ.", "Invalid unit.")
    return value


def _unit_choices(seat: police.Seat, names: Names) -> list[tuple[str, str]]:
    choices = [(code, names.unit(code)) for code in seat.units]
    if seat.provincial:
        choices.append((PROVINCIAL, names.unit(None)))
    return choices


class TipPages(Controller):
    path = "/tips"

    @get("/", opt=access(POLICE))
    async def queue_page(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        status: StatusQuery = None,
        urgency: StatusQuery = None,
        offence: ShortQuery = None,
        unit: ShortQuery = None,
        assigned: ShortQuery = None,
        commune: Annotated[str | None, QueryParameter(max_length=5)] = None,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        created_from: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
        created_to: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=512)] = None,
        transferred: ShortQuery = None,
    ) -> Template:
        """`police.list_queue` with the filters of the form, and the counts."""
        principal = caller(request)
        seat = await police.seat_of(principal)
        chosen_status = _choice(Status, status, "status")
        if urgency and urgency != "none":
            _choice(Urgency, urgency, "urgency")
        if offence and offence not in offences.codes(settings):
            raise BadRequest("Loại tội phạm không hợp lệ.", "Invalid offence type.")
        if assigned and assigned not in ASSIGNED_CHOICES:
            raise BadRequest("Bộ lọc người xử lý không hợp lệ.", "Invalid assignee filter.")
        if commune and not re.fullmatch(r"\d{5}", commune):
            raise BadRequest("Mã xã, phường không hợp lệ.", "Invalid commune code.")
        start, end = _period(_day(created_from, "from"), _day(created_to, "to"))
        filters = TipFilters(
            statuses=(chosen_status,) if chosen_status else (),
            offences=(offence,) if offence else (),
            unit=_unit_filter(unit, seat),
            urgencies=(urgency,) if urgency else (),  # type: ignore[arg-type]  # checked above
            created_from=start,
            created_to=end,
            assigned=assigned or None,
            commune=commune or None,
            q=q.strip() if q and q.strip() else None,
        )
        page = await police.list_queue(
            principal, filters, PageRequest(cursor=cursor or None, limit=PAGE_SIZE)
        )
        counts = await police.queue_counts(principal)
        names = await _names(request, settings)
        params = {
            "status": status,
            "urgency": urgency,
            "offence": offence,
            "unit": unit,
            "assigned": assigned,
            "commune": commune,
            "q": q,
            "from": created_from,
            "to": created_to,
            "cursor": cursor,
        }
        return render(
            request,
            "tips/queue.html",
            page=page,
            counts=counts,
            seen=_open_total(counts),
            params=params,
            filtered=any(v for k, v in params.items() if k != "cursor"),
            names=names,
            offence_choices=[
                (o.code, o.en if names.lang == "en" else o.vi) for o in offences.offences(settings)
            ],
            unit_choices=_unit_choices(seat, names),
            commune_choices=sorted(names.communes.items(), key=lambda item: item[1]),
            transferred=transferred,
            poll_seconds=COUNTS_POLL_SECONDS,
            back=_without_cursor(request),
            **_labels(),
        )

    @get("/counts", opt=access(POLICE, transaction="read"))
    async def counts(
        self,
        request: AnyRequest,
        seen: Annotated[int | None, QueryParameter(ge=0, le=10**9)] = None,
        back: Annotated[str | None, QueryParameter(max_length=1000)] = None,
    ) -> Template:
        """The queue's counts alone (what the queue page polls); with `seen`, the number of
        open reports the page showed, so that it says when new ones arrived."""
        counts = await police.queue_counts(caller(request))
        return render(
            request,
            "tips/_counts.html",
            counts=counts,
            seen=seen if seen is not None else _open_total(counts),
            poll_seconds=COUNTS_POLL_SECONDS,
            back=back or "",
            **_labels(),
        )

    @get("/{tip_id:uuid}", opt=access(POLICE))
    async def report_page(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        tip_id: FromPath[uuid.UUID],
    ) -> Template:
        """`police.get_report` (an audited read; 404 for a report of another unit)."""
        context = await _report_context(request, settings, tip_id)
        return render(request, "tips/report.html", **context)

    @get("/{tip_id:uuid}/files/{attachment_id:uuid}", opt=access(POLICE))
    async def file(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        tip_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
        original: Annotated[bool, QueryParameter()] = False,
    ) -> Stream:
        """A file of the report, decrypted as it is sent (`police.read_attachment`: audited,
        one `Range` honoured so that video and audio seek)."""
        requested = byte_range(request.headers.get("range"))
        read = await police.read_attachment(
            settings,
            caller(request),
            tip_id,
            attachment_id,
            original=original,
            byte_range=requested,
        )
        return attachment_response(read, requested, original=original)

    # --- the workflow ---

    @post("/{tip_id:uuid}/triage", status_code=200, opt=access(POLICE))
    async def triage(self, request: AnyRequest, tip_id: FromPath[uuid.UUID]) -> Response[Any]:
        """`police.do_triage` with the urgency chosen."""
        form = await request.form()
        urgency = _choice(Urgency, str(form.get("urgency") or ""), "urgency")
        if urgency is None:
            raise ValidationFailed("Chọn mức độ khẩn.", "Choose an urgency.")
        return await _change(
            request,
            tip_id,
            police.do_triage(caller(request), tip_id, urgency, expected_version=_version(form)),
        )

    @post("/{tip_id:uuid}/assign", status_code=200, opt=access(POLICE))
    async def assign(self, request: AnyRequest, tip_id: FromPath[uuid.UUID]) -> Response[Any]:
        """`police.do_assign`: a supervisor chooses the officer; an officer takes it."""
        form = await request.form()
        officer = _uuid(str(form.get("officer_id") or ""), "officer_id")
        if officer is None:
            raise ValidationFailed("Chọn cán bộ xử lý.", "Choose an officer.")
        return await _change(
            request,
            tip_id,
            police.do_assign(caller(request), tip_id, officer, expected_version=_version(form)),
        )

    @post("/{tip_id:uuid}/start-investigation", status_code=200, opt=access(POLICE))
    async def start_investigation(
        self, request: AnyRequest, tip_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        form = await request.form()
        return await _change(
            request,
            tip_id,
            police.do_start_investigation(caller(request), tip_id, expected_version=_version(form)),
        )

    @post("/{tip_id:uuid}/close", status_code=200, opt=access(POLICE))
    async def close(self, request: AnyRequest, tip_id: FromPath[uuid.UUID]) -> Response[Any]:
        """`police.do_close` with the outcome (and the original of a duplicate) and a note."""
        form = await request.form()
        outcome = _choice(Outcome, str(form.get("outcome") or ""), "outcome")
        duplicate = form_text(form, "duplicate_of") or None
        note = form_text(form, "note") or None
        return await _change(
            request,
            tip_id,
            police.do_close(
                caller(request),
                tip_id,
                outcome,
                duplicate_of=duplicate if outcome is Outcome.DUPLICATE else None,
                note=note,
                expected_version=_version(form),
            ),
        )

    @post("/{tip_id:uuid}/reopen", status_code=200, opt=access(POLICE))
    async def reopen(self, request: AnyRequest, tip_id: FromPath[uuid.UUID]) -> Response[Any]:
        """`police.do_reopen` to the status chosen, with the reason."""
        form = await request.form()
        target = _choice(Status, str(form.get("to_status") or ""), "to_status")
        return await _change(
            request,
            tip_id,
            police.do_reopen(
                caller(request),
                tip_id,
                reason=form_text(form, "reason") or None,
                to_status=target,
                expected_version=_version(form),
            ),
        )

    @post("/{tip_id:uuid}/transfer", status_code=200, opt=access(POLICE))
    async def transfer(self, request: AnyRequest, tip_id: FromPath[uuid.UUID]) -> Response[Any]:
        """`police.do_transfer` (supervisors) to the unit chosen, with the reason; then back
        to the queue, since the report may have left the caller's units."""
        form = await request.form()
        target = str(form.get("unit_code") or "")
        if not target:
            raise ValidationFailed("Chọn đơn vị tiếp nhận.", "Choose the receiving unit.")
        moved = await _attempt(
            request,
            tip_id,
            police.do_transfer(
                caller(request),
                tip_id,
                None if target == PROVINCIAL else target,
                reason=form_text(form, "reason") or None,
                expected_version=_version(form),
            ),
        )
        if isinstance(moved, Response):
            return moved
        if moved.allowed_actions:
            return redirect(request, f"{ROOT}/{tip_id}")
        return redirect(request, f"{ROOT}?transferred={moved.reference}")

    @post("/{tip_id:uuid}/messages", status_code=200, opt=access(POLICE))
    async def post_message(self, request: AnyRequest, tip_id: FromPath[uuid.UUID]) -> Response[Any]:
        """`police.do_post_message`; the new message's id is in `X-Message-Id` (where
        `tips.js` then sends the file chosen, through the police API)."""
        form = await request.form()
        message = await police.do_post_message(caller(request), tip_id, form_text(form, "body"))
        response = redirect(request, f"{ROOT}/{tip_id}")
        response.headers["X-Message-Id"] = str(message.id)
        return response

    # --- the duty roster ---

    @get("/duty", opt=access(POLICE))
    async def duty_page(self, request: AnyRequest, settings: NamedDependency[Settings]) -> Template:
        """Who an emergency alerts now in each of the caller's units; supervisors set it."""
        principal = caller(request)
        seat = await police.seat_of(principal)
        names = await _names(request, settings)
        rosters = []
        for code in seat.units:
            roster: DutyRoster = await police.get_duty(principal, code)
            members = await duty.unit_officers(code)
            rosters.append(
                {
                    "code": code,
                    "name": names.unit(code),
                    "roster": roster,
                    "members": members,
                    "supervisor": seat.is_supervisor_of(code),
                }
            )
        return render(request, "tips/duty.html", rosters=rosters, **_labels())

    @post("/duty/{unit_code:str}", status_code=200, opt=access(POLICE))
    async def set_duty(
        self,
        request: AnyRequest,
        unit_code: FromPath[UnitCode],
    ) -> Response[Any]:
        """`police.do_set_duty` with the members ticked, until the time given (if any)."""
        form = await request.form()
        chosen = [_uuid(str(value), "officers") for value in form.getall("officers", [])]
        until_text = form_text(form, "until")
        until = None
        if until_text:
            try:
                local = datetime.strptime(until_text[:16], "%Y-%m-%dT%H:%M")
            except ValueError:
                raise ValidationFailed(
                    "Nhập thời điểm kết thúc theo dạng ngày/tháng/năm giờ:phút.",
                    "Enter the end as a date and time.",
                ) from None
            until = local.replace(tzinfo=VIETNAM)
        await police.do_set_duty(
            caller(request), unit_code, [c for c in chosen if c is not None], until=until
        )
        return redirect(request, f"{ROOT}/duty")

    # --- statistics ---

    @get("/statistics", opt=access(POLICE))
    async def statistics_page(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        unit: ShortQuery = None,
        created_from: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
        created_to: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None,
    ) -> Template:
        """`stats.statistics` of the period and unit chosen, as charts and tables."""
        principal = caller(request)
        seat = await police.seat_of(principal)
        start, end = _period(_day(created_from, "from"), _day(created_to, "to"))
        filters = StatisticsFilters(
            unit=_unit_filter(unit, seat), created_from=start, created_to=end
        )
        figures = await stats.statistics(principal, filters)
        names = await _names(request, settings)
        return render(
            request,
            "tips/statistics.html",
            figures=figures,
            charts=statistics_charts(figures, names),
            names=names,
            unit_choices=_unit_choices(seat, names),
            params={"unit": unit, "from": created_from, "to": created_to},
            **_labels(),
        )

    @get("/export.csv", opt=access(POLICE))
    async def export_csv(
        self,
        request: AnyRequest,
        unit: ShortQuery = None,
        created_from: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
        created_to: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None,
    ) -> Response[bytes]:
        """`stats.export_csv` (audited): the reports the statistics count, no content."""
        principal = caller(request)
        seat = await police.seat_of(principal)
        start, end = _period(_day(created_from, "from"), _day(created_to, "to"))
        filters = StatisticsFilters(
            unit=_unit_filter(unit, seat), created_from=start, created_to=end
        )
        text = await stats.export_csv(principal, filters)
        return _csv(text, "tin-bao.csv")


def _without_cursor(request: AnyRequest) -> str:
    """The queue's filters as the page was asked for (the counts link back to them)."""
    return urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "cursor"])


def _open_total(counts: QueueCounts) -> int:
    return sum(counts.by_status.values())


async def _attempt(request: AnyRequest, tip_id: uuid.UUID, change: Any) -> Any:
    """Run a workflow change; a stale version is answered with what happened and a way to
    reload, in the page's status region (the form stays as filled)."""
    try:
        return await change
    except TipVersionConflict as conflict:
        if not is_partial(request):
            raise
        return render(
            request,
            "tips/_conflict.html",
            status=conflict.status,
            error=conflict,
            detail=conflict.detail(language_of(request)),
            reload=f"{ROOT}/{tip_id}",
            headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
        )


async def _change(request: AnyRequest, tip_id: uuid.UUID, change: Any) -> Response[Any]:
    done = await _attempt(request, tip_id, change)
    if isinstance(done, Response):
        return done
    return redirect(request, f"{ROOT}/{tip_id}")


PAGES: list[Any] = [TipPages]
