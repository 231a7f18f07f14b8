"""The police workflow's rules, without a database: every transition allowed and refused."""

from __future__ import annotations

import uuid

import pytest

from backend.tips.errors import TipPurged
from backend.tips.police_errors import (
    TipActionForbidden,
    TipDuplicateInvalid,
    TipOutcomeRequired,
    TipReasonRequired,
    TipTransitionInvalid,
    TipUnitInvalid,
)
from backend.tips.workflow import (
    Action,
    Outcome,
    Standing,
    Status,
    TipState,
    Urgency,
    allowed_actions,
    check_assign,
    check_close,
    check_message,
    check_reopen,
    check_start_investigation,
    check_transfer,
    check_triage,
    queue_rank,
    reopen_targets,
)

ME = uuid.uuid4()
OTHER = uuid.uuid4()
SUPERVISOR = Standing(person_id=ME, supervisor=True)
OFFICER = Standing(person_id=ME, officer=True)
STRANGER = Standing(person_id=ME)


def tip(
    status: Status = Status.RECEIVED,
    urgency: Urgency | None = None,
    assigned_to: uuid.UUID | None = None,
    *,
    purged: bool = False,
) -> TipState:
    return TipState(
        id=uuid.uuid4(),
        status=status,
        urgency=urgency,
        assigned_to=assigned_to,
        unit_code="CA-A",
        purged=purged,
    )


def test_the_whole_path_received_to_closed() -> None:
    state = tip()
    change = check_triage(state, OFFICER, Urgency.HIGH)
    assert (change.status, change.urgency) == (Status.TRIAGED, Urgency.HIGH)
    state = tip(Status.TRIAGED, Urgency.HIGH)
    change = check_assign(state, SUPERVISOR, OTHER)
    assert (change.status, change.assigned_to) == (Status.ASSIGNED, OTHER)
    state = tip(Status.ASSIGNED, Urgency.HIGH, OTHER)
    assert check_start_investigation(state, SUPERVISOR).status is Status.INVESTIGATING
    state = tip(Status.INVESTIGATING, Urgency.HIGH, OTHER)
    change = check_close(state, SUPERVISOR, Outcome.RESOLVED)
    assert (change.status, change.outcome, change.assigned_to) == (
        Status.CLOSED,
        Outcome.RESOLVED,
        OTHER,
    )


def test_retriage_changes_the_urgency_and_keeps_the_status() -> None:
    change = check_triage(tip(Status.ASSIGNED, Urgency.LOW, ME), OFFICER, Urgency.EMERGENCY)
    assert (change.status, change.urgency, change.assigned_to) == (
        Status.ASSIGNED,
        Urgency.EMERGENCY,
        ME,
    )


@pytest.mark.parametrize("status", [Status.CLOSED])
def test_a_closed_report_is_not_triaged(status: Status) -> None:
    with pytest.raises(TipTransitionInvalid) as refused:
        check_triage(tip(status, Urgency.LOW), SUPERVISOR, Urgency.HIGH)
    assert refused.value.extra == {"status": "closed", "action": "triage"}


def test_a_report_is_triaged_before_it_is_assigned() -> None:
    with pytest.raises(TipTransitionInvalid):
        check_assign(tip(), SUPERVISOR, OTHER)


def test_an_officer_claims_an_unassigned_report_but_assigns_nobody_else() -> None:
    state = tip(Status.TRIAGED, Urgency.NORMAL)
    assert check_assign(state, OFFICER, ME).assigned_to == ME
    with pytest.raises(TipActionForbidden):
        check_assign(state, OFFICER, OTHER)
    with pytest.raises(TipActionForbidden):
        check_assign(tip(Status.ASSIGNED, Urgency.NORMAL, OTHER), OFFICER, ME)


def test_reassigning_an_investigation_keeps_it_investigating() -> None:
    change = check_assign(tip(Status.INVESTIGATING, Urgency.NORMAL, OTHER), SUPERVISOR, ME)
    assert (change.status, change.assigned_to) == (Status.INVESTIGATING, ME)


def test_only_the_assignee_or_a_supervisor_starts_the_investigation() -> None:
    state = tip(Status.ASSIGNED, Urgency.NORMAL, OTHER)
    with pytest.raises(TipActionForbidden):
        check_start_investigation(state, OFFICER)
    assert check_start_investigation(tip(Status.ASSIGNED, Urgency.NORMAL, ME), OFFICER)
    with pytest.raises(TipTransitionInvalid):
        check_start_investigation(tip(Status.TRIAGED, Urgency.NORMAL), SUPERVISOR)


def test_no_closing_without_an_outcome() -> None:
    with pytest.raises(TipOutcomeRequired):
        check_close(tip(Status.TRIAGED, Urgency.LOW), SUPERVISOR, None)


def test_a_duplicate_names_another_report_and_only_a_duplicate_does() -> None:
    state = tip(Status.TRIAGED, Urgency.LOW)
    with pytest.raises(TipDuplicateInvalid):
        check_close(state, SUPERVISOR, Outcome.DUPLICATE)
    with pytest.raises(TipDuplicateInvalid):
        check_close(state, SUPERVISOR, Outcome.DUPLICATE, state.id)
    with pytest.raises(TipDuplicateInvalid):
        check_close(state, SUPERVISOR, Outcome.RESOLVED, uuid.uuid4())
    original = uuid.uuid4()
    change = check_close(state, SUPERVISOR, Outcome.DUPLICATE, original)
    assert (change.outcome, change.duplicate_of) == (Outcome.DUPLICATE, original)


def test_a_closed_report_is_not_closed_again() -> None:
    with pytest.raises(TipTransitionInvalid):
        check_close(tip(Status.CLOSED, Urgency.LOW), SUPERVISOR, Outcome.RESOLVED)


def test_an_officer_does_not_close_a_report_assigned_to_someone_else() -> None:
    with pytest.raises(TipActionForbidden):
        check_close(tip(Status.ASSIGNED, Urgency.LOW, OTHER), OFFICER, Outcome.RESOLVED)
    assert check_close(tip(Status.ASSIGNED, Urgency.LOW, ME), OFFICER, Outcome.UNFOUNDED)


def test_no_going_back_without_a_reason() -> None:
    state = tip(Status.CLOSED, Urgency.HIGH, OTHER)
    for reason in (None, "", "   ", "x" * 1001):
        with pytest.raises(TipReasonRequired):
            check_reopen(state, SUPERVISOR, None, reason)


def test_reopening_goes_back_to_the_nearest_status_by_default() -> None:
    change, reason = check_reopen(
        tip(Status.CLOSED, Urgency.HIGH, OTHER), SUPERVISOR, None, "  new evidence  "
    )
    assert (change.status, change.assigned_to, change.outcome, reason) == (
        Status.INVESTIGATING,
        OTHER,
        None,
        "new evidence",
    )
    change, _ = check_reopen(tip(Status.CLOSED, Urgency.HIGH), SUPERVISOR, None, "why")
    assert change.status is Status.TRIAGED
    change, _ = check_reopen(tip(Status.CLOSED), SUPERVISOR, None, "why")
    assert change.status is Status.RECEIVED


def test_going_back_before_assignment_drops_the_assignee_and_to_received_the_urgency() -> None:
    state = tip(Status.INVESTIGATING, Urgency.HIGH, OTHER)
    change, _ = check_reopen(state, SUPERVISOR, Status.TRIAGED, "wrong officer")
    assert (change.status, change.urgency, change.assigned_to) == (
        Status.TRIAGED,
        Urgency.HIGH,
        None,
    )
    change, _ = check_reopen(state, SUPERVISOR, Status.RECEIVED, "triage again")
    assert (change.status, change.urgency, change.assigned_to) == (Status.RECEIVED, None, None)


def test_going_back_cannot_go_forward_nor_stay() -> None:
    state = tip(Status.ASSIGNED, Urgency.HIGH, OTHER)
    for target in (Status.ASSIGNED, Status.INVESTIGATING, Status.CLOSED):
        with pytest.raises(TipTransitionInvalid):
            check_reopen(state, SUPERVISOR, target, "why")
    with pytest.raises(TipTransitionInvalid):
        check_reopen(tip(), SUPERVISOR, None, "why")
    assert reopen_targets(state) == [Status.TRIAGED, Status.RECEIVED]


def test_only_supervisors_reopen_a_closed_report() -> None:
    with pytest.raises(TipActionForbidden):
        check_reopen(tip(Status.CLOSED, Urgency.HIGH, ME), OFFICER, None, "why")
    change, _ = check_reopen(tip(Status.INVESTIGATING, Urgency.HIGH, ME), OFFICER, None, "why")
    assert change.status is Status.ASSIGNED


def test_transfer_is_for_supervisors_with_a_reason_to_another_unit() -> None:
    state = tip(Status.ASSIGNED, Urgency.EMERGENCY, OTHER)
    with pytest.raises(TipActionForbidden):
        check_transfer(state, OFFICER, "CA-B", "not ours")
    with pytest.raises(TipReasonRequired):
        check_transfer(state, SUPERVISOR, "CA-B", " ")
    with pytest.raises(TipUnitInvalid):
        check_transfer(state, SUPERVISOR, "CA-A", "same")
    change, reason = check_transfer(state, SUPERVISOR, "CA-B", "commune of CA-B")
    assert (change.status, change.urgency, change.assigned_to, change.unit_code, reason) == (
        Status.TRIAGED,
        Urgency.EMERGENCY,
        None,
        "CA-B",
        "commune of CA-B",
    )
    change, _ = check_transfer(tip(), SUPERVISOR, None, "no idea where")
    assert (change.status, change.unit_code) == (Status.RECEIVED, None)
    with pytest.raises(TipTransitionInvalid):
        check_transfer(tip(Status.CLOSED, Urgency.LOW), SUPERVISOR, "CA-B", "why")


def test_a_purged_report_takes_no_action() -> None:
    state = tip(Status.CLOSED, Urgency.LOW, purged=True)
    with pytest.raises(TipPurged):
        check_reopen(state, SUPERVISOR, None, "why")
    with pytest.raises(TipPurged):
        check_message(state, SUPERVISOR)
    assert allowed_actions(state, SUPERVISOR) == []


def test_allowed_actions_follow_the_rules() -> None:
    assert allowed_actions(tip(), STRANGER) == []
    assert allowed_actions(tip(), OFFICER) == [Action.TRIAGE, Action.CLOSE, Action.MESSAGE]
    assert allowed_actions(tip(Status.TRIAGED, Urgency.LOW), SUPERVISOR) == [
        Action.TRIAGE,
        Action.ASSIGN,
        Action.CLOSE,
        Action.REOPEN,
        Action.TRANSFER,
        Action.MESSAGE,
    ]
    someone_elses = tip(Status.ASSIGNED, Urgency.LOW, OTHER)
    assert allowed_actions(someone_elses, OFFICER) == [Action.MESSAGE]
    mine = tip(Status.ASSIGNED, Urgency.LOW, ME)
    assert allowed_actions(mine, Standing(person_id=ME)) == [
        Action.TRIAGE,
        Action.START_INVESTIGATION,
        Action.CLOSE,
        Action.REOPEN,
        Action.MESSAGE,
    ]
    assert allowed_actions(tip(Status.CLOSED, Urgency.LOW, ME), OFFICER) == [Action.MESSAGE]


def test_every_allowed_action_is_accepted_by_its_check() -> None:
    """The buttons the console shows never lead to a refusal by status or role."""
    standings = [SUPERVISOR, OFFICER, Standing(person_id=ME)]
    for status in Status:
        for assignee in (None, ME, OTHER):
            for urgency in (None, Urgency.HIGH):
                if status is not Status.RECEIVED and urgency is None:
                    continue
                if status in (Status.ASSIGNED, Status.INVESTIGATING) and assignee is None:
                    continue
                state = tip(status, urgency, assignee)
                for standing in standings:
                    for action in allowed_actions(state, standing):
                        _try(action, state, standing)


def _try(action: Action, state: TipState, standing: Standing) -> None:
    if action is Action.TRIAGE:
        check_triage(state, standing, Urgency.LOW)
    elif action is Action.ASSIGN:
        check_assign(state, standing, ME)
    elif action is Action.START_INVESTIGATION:
        check_start_investigation(state, standing)
    elif action is Action.CLOSE:
        check_close(state, standing, Outcome.RESOLVED)
    elif action is Action.REOPEN:
        check_reopen(state, standing, None, "why")
    elif action is Action.TRANSFER:
        check_transfer(state, standing, "CA-OTHER", "why")
    else:
        check_message(state, standing)


def test_queue_rank_puts_emergencies_and_ongoing_danger_first() -> None:
    ranks = [
        queue_rank(Urgency.EMERGENCY, False),
        queue_rank(None, True),
        queue_rank(Urgency.HIGH, False),
        queue_rank(None, False),
        queue_rank(Urgency.NORMAL, True),
        queue_rank(Urgency.LOW, False),
    ]
    assert ranks == [0, 0, 1, 2, 3, 4]
