"""The police workflow of a crime report, as pure rules: no database, no HTTP.

    received ──triage──▶ triaged ──assign──▶ assigned ──start──▶ investigating
        │                   │                   │                     │
        └───────────────────┴──── close (with an outcome) ────────────┴──▶ closed

- `triage` sets the urgency (low, normal, high, emergency): received → triaged; on a report
  already triaged, assigned or investigating it changes the urgency and keeps the status.
- `assign` names the officer: triaged → assigned; on an assigned or investigating report it
  reassigns and keeps the status. A report must be triaged before it is assigned.
- `start_investigation`: assigned → investigating (the assignee or a supervisor).
- `close` needs an outcome (resolved, unfounded, transferred — to an authority outside the
  police units, e.g. another province —, duplicate — naming the other report); from any status
  but closed.
- `reopen` is every move back, always with a reason: closed → investigating / assigned /
  triaged / received, investigating → assigned / triaged / received, assigned → triaged /
  received, triaged → received. Going back before `assigned` drops the assignee, back to
  `received` drops the urgency; leaving `closed` drops the outcome.
- `transfer` hands a report that is not closed to another unit (or to the provincial queue),
  with a reason: the assignee (of the old unit) is dropped, the status becomes `triaged` when
  the urgency is known, else `received`, so that the new unit's queue shows it as new.

Who: a supervisor of the handling unit does everything; an officer of the unit triages,
closes and messages reports that are unassigned or assigned to them, claims an unassigned
report (assigns it to themselves), starts the investigation of their own report and moves it
back; reopening a closed report and transferring are for supervisors. The officer a report
is assigned to keeps acting on it as an officer of the unit does. Reports of the provincial
queue (no unit) are handled by the members of the provincial unit (`tips_provincial_unit`).

A purged report (content deleted at the end of retention) takes no action any more.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, replace

from backend.tips.errors import TipPurged
from backend.tips.police_errors import (
    TipActionForbidden,
    TipDuplicateInvalid,
    TipOutcomeRequired,
    TipReasonRequired,
    TipTransitionInvalid,
    TipUnitInvalid,
)


class Status(enum.StrEnum):
    RECEIVED = "received"
    TRIAGED = "triaged"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    CLOSED = "closed"


ORDER: dict[Status, int] = {status: index for index, status in enumerate(Status)}


class Urgency(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    EMERGENCY = "emergency"


class Outcome(enum.StrEnum):
    RESOLVED = "resolved"
    UNFOUNDED = "unfounded"
    TRANSFERRED = "transferred"
    DUPLICATE = "duplicate"


class Action(enum.StrEnum):
    TRIAGE = "triage"
    ASSIGN = "assign"
    START_INVESTIGATION = "start_investigation"
    CLOSE = "close"
    REOPEN = "reopen"
    TRANSFER = "transfer"
    MESSAGE = "message"


OPEN = (Status.RECEIVED, Status.TRIAGED, Status.ASSIGNED, Status.INVESTIGATING)
REASON_MAX = 1000


@dataclass(frozen=True)
class TipState:
    """What the rules look at of a report."""

    id: uuid.UUID
    status: Status
    urgency: Urgency | None
    assigned_to: uuid.UUID | None
    unit_code: str | None
    purged: bool = False


@dataclass(frozen=True)
class Standing:
    """Who the caller is to one report: a supervisor or an officer of its handling unit (of
    the provincial unit for the provincial queue), and whether it is assigned to them."""

    person_id: uuid.UUID
    supervisor: bool = False
    officer: bool = False

    def is_assignee(self, state: TipState) -> bool:
        return state.assigned_to == self.person_id

    def sees(self, state: TipState) -> bool:
        return self.supervisor or self.officer or self.is_assignee(state)

    def handles(self, state: TipState) -> bool:
        """May act as the report's handler: a supervisor, the assignee, or an officer of the
        unit while nobody else has it."""
        if self.supervisor or self.is_assignee(state):
            return True
        return self.officer and state.assigned_to is None


@dataclass(frozen=True)
class Change:
    """What an allowed action does to the report's workflow columns."""

    status: Status
    urgency: Urgency | None
    assigned_to: uuid.UUID | None
    outcome: Outcome | None = None
    duplicate_of: uuid.UUID | None = None
    unit_code: str | None = None


# --- the rules ---------------------------------------------------------------------------------


def _refuse(state: TipState, action: Action) -> TipTransitionInvalid:
    return TipTransitionInvalid(status=str(state.status), action=str(action))


def _check_live(state: TipState) -> None:
    if state.purged:
        raise TipPurged()


def _keep(state: TipState) -> Change:
    """The report's workflow columns as they are (`dataclasses.replace` changes some)."""
    return Change(
        status=state.status,
        urgency=state.urgency,
        assigned_to=state.assigned_to,
        unit_code=state.unit_code,
    )


def check_reason(reason: str | None) -> str:
    """A reason given for a move back or a transfer: required, trimmed, bounded."""
    text = (reason or "").strip()
    if not text or len(text) > REASON_MAX:
        raise TipReasonRequired()
    return text


def check_triage(state: TipState, standing: Standing, urgency: Urgency) -> Change:
    _check_live(state)
    if state.status not in OPEN:
        raise _refuse(state, Action.TRIAGE)
    if not standing.handles(state):
        raise TipActionForbidden()
    status = Status.TRIAGED if state.status is Status.RECEIVED else state.status
    return replace(_keep(state), status=status, urgency=urgency)


def check_assign(state: TipState, standing: Standing, officer_id: uuid.UUID) -> Change:
    """The officer's membership of the unit is the service's to check."""
    _check_live(state)
    if state.status not in (Status.TRIAGED, Status.ASSIGNED, Status.INVESTIGATING):
        raise _refuse(state, Action.ASSIGN)
    if not standing.supervisor:
        # An officer only claims an unassigned report for themselves.
        claim = officer_id == standing.person_id and state.assigned_to is None
        if not (standing.officer and claim):
            raise TipActionForbidden()
    status = Status.ASSIGNED if state.status is Status.TRIAGED else state.status
    return replace(_keep(state), status=status, assigned_to=officer_id)


def check_start_investigation(state: TipState, standing: Standing) -> Change:
    _check_live(state)
    if state.status is not Status.ASSIGNED:
        raise _refuse(state, Action.START_INVESTIGATION)
    if not (standing.supervisor or standing.is_assignee(state)):
        raise TipActionForbidden()
    return replace(_keep(state), status=Status.INVESTIGATING)


def check_close(
    state: TipState,
    standing: Standing,
    outcome: Outcome | None,
    duplicate_of: uuid.UUID | None = None,
) -> Change:
    """A report is closed with an outcome; a duplicate names another report (the service
    checks that the caller sees it)."""
    _check_live(state)
    if state.status is Status.CLOSED:
        raise _refuse(state, Action.CLOSE)
    if not standing.handles(state):
        raise TipActionForbidden()
    if outcome is None:
        raise TipOutcomeRequired()
    if outcome is Outcome.DUPLICATE:
        if duplicate_of is None or duplicate_of == state.id:
            raise TipDuplicateInvalid()
    elif duplicate_of is not None:
        raise TipDuplicateInvalid()
    return replace(_keep(state), status=Status.CLOSED, outcome=outcome, duplicate_of=duplicate_of)


def reopen_targets(state: TipState) -> list[Status]:
    """The statuses a report may go back to, nearest first."""
    below = [s for s in Status if ORDER[s] < ORDER[state.status]]
    possible = [
        s
        for s in below
        if (s not in (Status.ASSIGNED, Status.INVESTIGATING) or state.assigned_to is not None)
        and (s is Status.RECEIVED or state.urgency is not None)
    ]
    return list(reversed(possible))


def check_reopen(
    state: TipState, standing: Standing, to_status: Status | None, reason: str | None
) -> tuple[Change, str]:
    """A move back (`to_status` None: the nearest status it may go back to), with a reason."""
    _check_live(state)
    targets = reopen_targets(state)
    if not targets:
        raise _refuse(state, Action.REOPEN)
    target = to_status or targets[0]
    if target not in targets:
        raise TipTransitionInvalid(
            status=str(state.status), action=str(Action.REOPEN), to_status=str(target)
        )
    if state.status is Status.CLOSED:
        if not standing.supervisor:
            raise TipActionForbidden()
    elif not (standing.supervisor or standing.is_assignee(state)):
        raise TipActionForbidden()
    text = check_reason(reason)
    assignee = state.assigned_to if ORDER[target] >= ORDER[Status.ASSIGNED] else None
    urgency = None if target is Status.RECEIVED else state.urgency
    return Change(
        status=target, urgency=urgency, assigned_to=assignee, unit_code=state.unit_code
    ), text


def check_transfer(
    state: TipState, standing: Standing, to_unit: str | None, reason: str | None
) -> tuple[Change, str]:
    """To another unit (None: the provincial queue); the unit's existence is the service's to
    check."""
    _check_live(state)
    if state.status is Status.CLOSED:
        raise _refuse(state, Action.TRANSFER)
    if not standing.supervisor:
        raise TipActionForbidden()
    if to_unit == state.unit_code:
        raise TipUnitInvalid()
    text = check_reason(reason)
    status = Status.TRIAGED if state.urgency is not None else Status.RECEIVED
    return Change(status=status, urgency=state.urgency, assigned_to=None, unit_code=to_unit), text


def check_message(state: TipState, standing: Standing) -> None:
    _check_live(state)
    if not standing.sees(state):
        raise TipActionForbidden()


def allowed_actions(state: TipState, standing: Standing) -> list[Action]:
    """What the caller may do on the report now (the console shows only these buttons;
    each is still checked when done)."""
    if state.purged or not standing.sees(state):
        return []
    found: list[Action] = []
    if state.status in OPEN and standing.handles(state):
        found.append(Action.TRIAGE)
    if state.status in (Status.TRIAGED, Status.ASSIGNED, Status.INVESTIGATING) and (
        standing.supervisor or (standing.officer and state.assigned_to is None)
    ):
        found.append(Action.ASSIGN)
    if state.status is Status.ASSIGNED and (standing.supervisor or standing.is_assignee(state)):
        found.append(Action.START_INVESTIGATION)
    if state.status is not Status.CLOSED and standing.handles(state):
        found.append(Action.CLOSE)
    if reopen_targets(state) and (
        standing.supervisor
        if state.status is Status.CLOSED
        else standing.supervisor or standing.is_assignee(state)
    ):
        found.append(Action.REOPEN)
    if state.status is not Status.CLOSED and standing.supervisor:
        found.append(Action.TRANSFER)
    found.append(Action.MESSAGE)
    return found


# --- the queue's order ---------------------------------------------------------------------------

RANK: dict[Urgency | None, int] = {
    Urgency.EMERGENCY: 0,
    Urgency.HIGH: 1,
    None: 2,
    Urgency.NORMAL: 3,
    Urgency.LOW: 4,
}
"""Most urgent first. A report nobody triaged yet comes after high and before normal (someone
must look at it to know), except that one whose reporter says the danger is happening now
ranks with emergencies."""


def queue_rank(urgency: Urgency | str | None, ongoing_danger: bool) -> int:
    """The report's place in the queue's order (then oldest first)."""
    if urgency is None:
        return RANK[Urgency.EMERGENCY] if ongoing_danger else RANK[None]
    return RANK[Urgency(urgency)]


RANK_SQL = (
    "(CASE tips.urgency WHEN 'emergency' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 3"
    " WHEN 'low' THEN 4 ELSE (CASE WHEN tips.ongoing_danger THEN 0 ELSE 2 END) END)"
)
"""`queue_rank` in SQL (the repository orders and pages by it; a test checks they agree)."""
