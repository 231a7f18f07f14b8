"""Statistics of crime reports for the police, and their CSV export.

Figures cover the reports received in a period by the units the caller belongs to (the
provincial queue for members of the provincial unit), or one of them. They are counted from
the columns kept in clear — offence types, commune, status, urgency, outcome, times — so
purged reports still count (their row is kept without content). Weeks start on Monday in
Asia/Ho_Chi_Minh. Medians are PostgreSQL's `percentile_cont(0.5)`: time from receipt to first
triage over the reports triaged, and from receipt to closing over the reports closed.

The export lists those reports one per line, without any content or reporter, and is audited
(`tip.export`).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from backend.access import Principal
from backend.audit.service import do_record
from backend.tips import police_repository
from backend.tips.police import EXPORT_LIMIT, Seat, seat_of
from backend.tips.police_errors import TipFilterInvalid
from backend.tips.police_schemas import (
    PROVINCIAL,
    Count,
    StatisticsFilters,
    TipStatistics,
    WeekCount,
)

TIMEZONE = "Asia/Ho_Chi_Minh"
LOCAL = ZoneInfo(TIMEZONE)


def _units(seat: Seat, filters: StatisticsFilters) -> tuple[list[str], bool]:
    """The units (and whether the provincial queue) the figures cover."""
    if filters.unit is None:
        return list(seat.units), seat.provincial
    if filters.unit == PROVINCIAL:
        if not seat.provincial:
            raise TipFilterInvalid(field="unit")
        return [], True
    if filters.unit not in seat.units:
        raise TipFilterInvalid(field="unit")
    return [filters.unit], False


def _check_period(filters: StatisticsFilters) -> None:
    if (
        filters.created_from is not None
        and filters.created_to is not None
        and filters.created_from >= filters.created_to
    ):
        raise TipFilterInvalid(field="created_to")


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


async def statistics(principal: Principal | None, filters: StatisticsFilters) -> TipStatistics:
    """Counts by offence type, commune, status, urgency, outcome and week, and the median
    times to triage and to close (hours), over the reports received in the period."""
    seat = await seat_of(principal)
    _check_period(filters)
    units, provincial = _units(seat, filters)
    totals, groups, weeks = await police_repository.statistics(
        units, provincial, filters.created_from, filters.created_to, TIMEZONE
    )

    def counts(name: str) -> list[Count]:
        return [Count(key=key, count=n) for key, n in groups[name]]

    return TipStatistics(
        units=[*sorted(units), *([None] if provincial else [])],
        created_from=filters.created_from,
        created_to=filters.created_to,
        total=totals.total,
        by_offence=counts("offence"),
        by_commune=counts("commune"),
        by_status=counts("status"),
        by_urgency=counts("urgency"),
        by_outcome=counts("outcome"),
        by_week=[WeekCount(week=w, received=r, closed=c) for w, r, c in weeks],
        median_hours_to_triage=_hours(totals.median_seconds_to_triage),
        median_hours_to_close=_hours(totals.median_seconds_to_close),
    )


CSV_COLUMNS = (
    "reference",
    "kind",
    "offences",
    "ongoing_danger",
    "commune_code",
    "unit_code",
    "status",
    "urgency",
    "outcome",
    "assigned_to",
    "received_at",
    "triaged_at",
    "closed_at",
    "purged",
)


def _local(at: datetime | None) -> str:
    return at.astimezone(LOCAL).isoformat(timespec="seconds") if at else ""


async def export_csv(principal: Principal | None, filters: StatisticsFilters) -> str:
    """The reports the statistics count, one CSV line each (UTF-8, times in
    Asia/Ho_Chi_Minh), at most `EXPORT_LIMIT`; no content, no reporter. Audited
    (`tip.export`: the units, the period and the number of lines)."""
    seat = await seat_of(principal)
    _check_period(filters)
    units, provincial = _units(seat, filters)
    rows = await police_repository.export_rows(
        units, provincial, filters.created_from, filters.created_to, EXPORT_LIMIT
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.reference,
                row.kind,
                ";".join(row.offences),
                "yes" if row.ongoing_danger else "no",
                row.commune_code or "",
                row.unit_code or PROVINCIAL,
                row.status,
                row.urgency or "",
                row.outcome or "",
                str(row.assigned_to) if row.assigned_to else "",
                _local(row.created_at),
                _local(row.triaged_at),
                _local(row.closed_at),
                "yes" if row.purged_at else "no",
            ]
        )
    await do_record(
        "tip.export",
        actor_id=str(seat.person_id),
        object_type="tip",
        details={
            "units": sorted(units),
            "provincial": provincial,
            "from": filters.created_from.isoformat() if filters.created_from else None,
            "to": filters.created_to.isoformat() if filters.created_to else None,
            "rows": len(rows),
        },
    )
    return out.getvalue()
