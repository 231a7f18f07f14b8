"""The unit of work and the test isolation it gives (checked first: everything relies on it)."""

from __future__ import annotations

from typing import Any

from backend.db import after_commit, current_unit_of_work, engine, unit_of_work
from backend.system.service import do_set_state, get_state


async def test_transaction_set_in_fixture_reaches_the_test(db: None) -> None:
    assert current_unit_of_work() is not None
    assert engine().current_transaction.get() is not None


async def test_writes_in_one_test_are_invisible_to_the_next_part_1(db: None) -> None:
    await do_set_state("isolation", "written")
    assert await get_state("isolation") == "written"


async def test_writes_in_one_test_are_invisible_to_the_next_part_2(db: None) -> None:
    assert await get_state("isolation") is None


async def test_a_failed_inner_unit_rolls_back_only_its_own_work(db: None) -> None:
    await do_set_state("kept", 1)
    try:
        async with unit_of_work():
            await do_set_state("dropped", 1)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert await get_state("kept") == 1
    assert await get_state("dropped") is None


async def test_after_commit_callbacks_wait_for_the_outermost_commit(committed: None) -> None:
    ran: list[str] = []

    async def record(label: str) -> Any:
        ran.append(label)

    async with unit_of_work():
        async with unit_of_work():
            await after_commit(lambda: record("inner"))
        assert ran == []  # the savepoint was released, but nothing is committed yet
    assert ran == ["inner"]


async def test_after_commit_callbacks_are_dropped_on_rollback(committed: None) -> None:
    ran: list[str] = []

    async def record() -> None:
        ran.append("x")

    try:
        async with unit_of_work():
            await after_commit(record)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert ran == []
