"""The push gateway's one table: the project-wide send quota, shared by every worker process.

`push_send_quota` (UNLOGGED, created by its own migration, no Piccolo table) holds one row per
quota scope and time window: how many messages were granted in it. Grants are committed at
once on a connection of their own, never in the caller's transaction: a message handed to FCM
counts against the quota even if the job that sent it rolls back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from backend.db import engine

T = TypeVar("T")

_RESERVE = """
INSERT INTO push_send_quota AS q (key, used, granted, expires_at)
VALUES ($1, LEAST($2::int, $3::int), LEAST($2::int, $3::int), $4)
ON CONFLICT (key) DO UPDATE
SET used = q.used + LEAST($2::int, GREATEST($3::int - q.used, 0)),
    granted = LEAST($2::int, GREATEST($3::int - q.used, 0))
RETURNING granted
"""
# ON CONFLICT's SET reads the row as it was before this statement, and the row stays locked
# until the statement commits: `granted` is what this call got, never more than is left.

_PURGE = "DELETE FROM push_send_quota WHERE expires_at < $1"


async def _on_own_connection(work: Callable[[Any], Awaitable[T]]) -> T:
    db = engine()
    if db.pool is not None:
        async with db.pool.acquire() as connection:
            return await work(connection)
    connection = await db.get_new_connection()
    try:
        return await work(connection)
    finally:
        await connection.close()


async def reserve_sends(key: str, wanted: int, limit: int, expires_at: datetime) -> int:
    """Take up to `wanted` of the `limit` sends of the window `key` in one atomic statement;
    how many were granted (0 when the window is used up). Committed at once."""

    async def reserve(connection: Any) -> int:
        return int(await connection.fetchval(_RESERVE, key, wanted, limit, expires_at))

    return await _on_own_connection(reserve)


async def purge_quota_windows(before: datetime) -> None:
    """Forget windows that ended before `before`."""

    async def purge(connection: Any) -> None:
        await connection.execute(_PURGE, before)

    await _on_own_connection(purge)
