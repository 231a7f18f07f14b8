"""How the console writes dates, numbers and money: the Vietnamese way, in Vietnam's time zone,
whichever language the page is in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def local(value: dt.datetime) -> dt.datetime:
    """A moment in Vietnam's time (a naive value is taken as UTC, as the database stores it)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(VIETNAM)


def datetime_vn(value: dt.datetime | None) -> str:
    """`27/11/2026 14:05` (Asia/Ho_Chi_Minh); empty for None."""
    return "" if value is None else local(value).strftime("%d/%m/%Y %H:%M")


def date_vn(value: dt.date | dt.datetime | None) -> str:
    """`27/11/2026`; a datetime is first moved to Vietnam's time."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = local(value)
    return value.strftime("%d/%m/%Y")


def iso(value: dt.datetime | None) -> str:
    """For `<time datetime=…>`: the moment in ISO 8601 with its offset."""
    return "" if value is None else local(value).isoformat(timespec="seconds")


def number_vn(value: int | float | None, decimals: int = 0) -> str:
    """`1.234.567` and `12,5`: dots group thousands, a comma marks decimals."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vnd(value: int | float | None) -> str:
    """`1.234.567 ₫` (no decimals: the đồng has no subunit in use)."""
    return "" if value is None else f"{number_vn(round(value))} ₫"


def size_vn(value: int | None) -> str:
    """A byte count a person reads: `1,5 MB`."""
    if value is None:
        return ""
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{number_vn(size, 0 if unit == 'B' else 1)} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
