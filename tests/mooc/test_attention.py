"""The console's home page tells a learner about mandatory courses overdue or due within a
week, and nothing about courses done or without a due date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.access import Principal, Role
from mooc import pages
from tests.mooc.factories import enrol, make_course
from tests.support.auth import create_person


async def test_a_learner_is_told_of_overdue_and_soon_due_courses_only(db: None) -> None:
    learner = await create_person(Role.CIVIL_SERVANT)
    now = datetime.now(UTC)
    late = await make_course(title="An toàn thông tin")
    soon = await make_course(title="Cải cách hành chính")
    later = await make_course(title="Chuyển đổi số")
    free = await make_course(title="Kỹ năng mềm")
    await enrol(learner, late, due_at=now - timedelta(days=2))
    await enrol(learner, soon, due_at=now + timedelta(days=3))
    await enrol(learner, later, due_at=now + timedelta(days=30))
    await enrol(learner, free)
    principal = Principal(id=learner, roles=frozenset({Role.CITIZEN, Role.CIVIL_SERVANT}))
    cards = {card.title_en: card for card in await pages.attention(principal)}
    assert cards["Mandatory courses overdue"].count == 1
    assert cards["Mandatory courses overdue"].detail_vi == "An toàn thông tin"
    assert cards["Mandatory courses overdue"].href == "/console/learn"
    assert cards["Mandatory courses due within a week"].count == 1
    assert cards["Mandatory courses due within a week"].detail_vi == "Cải cách hành chính"


async def test_a_citizen_gets_no_learning_card(db: None) -> None:
    citizen = await create_person()
    assert await pages.attention(Principal(id=citizen, roles=frozenset({Role.CITIZEN}))) == []
