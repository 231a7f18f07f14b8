"""The MOOC's queries run on the current unit of work's asyncpg connection (raw SQL: the
watched intervals are a multirange Piccolo cannot express, and the hot paths want one round
trip each). Every part's repository uses these helpers."""

from __future__ import annotations

from typing import Any

from backend.db import engine


def connection() -> Any:
    transaction = engine().current_transaction.get()
    if transaction is None:  # pragma: no cover - a misuse, caught in tests
        raise RuntimeError("MOOC queries run inside a unit of work")
    return transaction.connection


async def fetch(sql: str, *args: Any) -> list[Any]:
    return list(await connection().fetch(sql, *args))


async def fetchrow(sql: str, *args: Any) -> Any:
    rows = await fetch(sql, *args)
    return rows[0] if rows else None


async def fetchval(sql: str, *args: Any) -> Any:
    row = await fetchrow(sql, *args)
    return None if row is None else row[0]


async def execute(sql: str, *args: Any) -> str:
    return str(await connection().execute(sql, *args))
