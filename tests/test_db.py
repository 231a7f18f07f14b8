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


async def test_a_read_only_unit_reads_on_one_connection_without_a_transaction(
    infrastructure: None,
) -> None:
    import asyncio

    import pytest

    from backend.db import UnitOfWork

    pool = engine().pool
    assert pool is not None
    idle_before = pool.get_idle_size()
    unit = await UnitOfWork(read_only=True).begin(request=True)
    try:
        rows = await _query("SELECT now() AS t, pg_backend_pid() AS pid")
        await asyncio.sleep(0.01)
        again = await _query("SELECT now() AS t, pg_backend_pid() AS pid")
        # One connection for the unit; each statement in its own implicit transaction
        # (inside a transaction now() would not move).
        assert rows[0]["pid"] == again[0]["pid"]
        assert again[0]["t"] > rows[0]["t"]
        with pytest.raises(RuntimeError, match="read-only"):
            await UnitOfWork().begin()
    finally:
        await unit.commit()
    assert current_unit_of_work() is None
    assert engine().current_transaction.get() is None
    assert pool.get_idle_size() >= idle_before  # the connection went back to the pool


async def _query(sql: str) -> list[Any]:
    from backend.system.tables import InstallationState

    return list(await InstallationState.raw(sql))
