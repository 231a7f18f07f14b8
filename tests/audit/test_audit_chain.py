"""The audit log is append-only and hash-chained; tampering is found by `ctn audit verify`."""

from __future__ import annotations

import subprocess
import sys

import asyncpg
import pytest

from backend.audit.service import CHANGED, REMOVED_OR_INSERTED, do_record, verify_chain
from backend.db import engine, unit_of_work


async def record_three() -> list[int]:
    async with unit_of_work():
        return [
            await do_record("sign_in", actor_id="p-1"),
            await do_record(
                "tip.read",
                actor_id="p-2",
                object_type="tip",
                object_id="t-9",
                reason="triage",
                details={"fields": ["summary"]},
            ),
            await do_record(
                "role.grant",
                actor_id="p-3",
                object_type="person",
                object_id="p-1",
                details={"role": "police_officer"},
            ),
        ]


async def raw(sql: str, *args: object) -> None:
    """SQL as an attacker with database rights would run it: triggers disabled."""
    connection = await engine().get_new_connection()
    try:
        async with connection.transaction():
            await connection.execute("ALTER TABLE audit_entries DISABLE TRIGGER USER")
            await connection.execute(sql, *args)
            await connection.execute("ALTER TABLE audit_entries ENABLE TRIGGER USER")
    finally:
        await connection.close()


def ctn_audit_verify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
async def clean_audit(committed: None) -> None:
    yield
    await raw("DELETE FROM audit_entries")


async def test_an_untouched_chain_verifies(db: None) -> None:
    ids = await record_three()
    checked, broken = await verify_chain()
    assert broken is None
    assert checked >= len(ids)


async def test_updates_and_deletes_are_refused(clean_audit: None) -> None:
    [first, *_] = await record_three()
    connection = await engine().get_new_connection()
    try:
        for sql in (
            "UPDATE audit_entries SET action = 'x' WHERE id = $1",
            "DELETE FROM audit_entries WHERE id = $1",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute(sql, first)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute("TRUNCATE audit_entries")
    finally:
        await connection.close()


async def test_a_changed_row_is_found_by_ctn_audit_verify(
    clean_audit: None, subprocess_env: dict[str, str], server_url: str, database_name: str
) -> None:
    env = {**subprocess_env, "DATABASE_URL": server_url.format(db=database_name)}
    _, second, _ = await record_three()
    intact = ctn_audit_verify(env)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "intact (3 entries)" in intact.stdout

    await raw("UPDATE audit_entries SET reason = 'nothing to see' WHERE id = $1", second)
    broken = ctn_audit_verify(env)
    assert broken.returncode == 1
    assert f"entry {second}" in broken.stdout
    assert CHANGED in broken.stdout


async def test_a_removed_row_breaks_the_chain(clean_audit: None) -> None:
    _, second, third = await record_three()
    await raw("DELETE FROM audit_entries WHERE id = $1", second)
    async with unit_of_work():
        checked, broken = await verify_chain()
    assert broken is not None
    assert broken.entry_id == third
    assert broken.problem == REMOVED_OR_INSERTED
    assert checked == 1
