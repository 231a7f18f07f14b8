"""When a campaign goes out: the time asked for, moved out of quiet hours when it must be.

Quiet hours (`CTN_QUIET_HOURS`, default 21:00-07:00) are local time in Asia/Ho_Chi_Minh
(UTC+7 all year: Viet Nam has no daylight saving time). Public, non-urgent campaigns are never
pushed inside them: they wait for their end. Internal campaigns and urgent public ones go out
at once. Every function takes the current time (`now`), so tests never wait for a clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """`21:00-07:00` (may wrap midnight); equal ends mean no quiet hours."""
        match = _HOURS.match(text.strip())
        if match is None:
            raise ValueError(f"quiet hours {text!r} are not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return cls(start=time(h1, m1), end=time(h2, m2))

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(VIETNAM).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def end_after(self, moment: datetime) -> datetime:
        """The first end of quiet hours after `moment` (local time, returned in its zone)."""
        local = moment.astimezone(VIETNAM)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(moment.tzinfo)


@dataclass(frozen=True)
class Plan:
    send_at: datetime
    quiet_hours: bool
    """`send_at` was moved to the end of quiet hours."""


def plan_send(
    *,
    now: datetime,
    scheduled_for: datetime | None,
    public: bool,
    urgent: bool,
    quiet_hours: QuietHours,
) -> Plan:
    """When a campaign approved at `now` goes out: at `scheduled_for` (now if none or past),
    or, for a public non-urgent campaign, at the end of quiet hours if that time is in them."""
    at = now if scheduled_for is None or scheduled_for < now else scheduled_for
    if public and not urgent and quiet_hours.contains(at):
        return Plan(send_at=quiet_hours.end_after(at), quiet_hours=True)
    return Plan(send_at=at, quiet_hours=False)
