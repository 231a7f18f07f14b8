"""Every query on idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.http.tables import IdempotencyKey


async def claim(scope_key: str, fingerprint: str, now: datetime, expires_at: datetime) -> bool:
    """Insert the key for this request, or take over an expired one.

    When another open transaction holds the same key, PostgreSQL makes this statement wait
    for it to end; that is what makes concurrent retries do the work once. True when claimed.
    """
    rows = await IdempotencyKey.raw(
        """
        INSERT INTO idempotency_keys
            (scope_key, fingerprint, status_code, response_headers, response_body,
             created_at, expires_at)
        VALUES ({}, {}, NULL, '[]'::jsonb, NULL, {}, {})
        ON CONFLICT (scope_key) DO UPDATE
            SET fingerprint = EXCLUDED.fingerprint, status_code = NULL,
                response_headers = '[]'::jsonb, response_body = NULL,
                created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
            WHERE idempotency_keys.expires_at <= {}
        RETURNING id
        """,
        scope_key,
        fingerprint,
        now,
        expires_at,
        now,
    )
    return bool(rows)


async def get(scope_key: str) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await IdempotencyKey.select()
        .where(IdempotencyKey.scope_key == scope_key)
        .output(load_json=True)
        .first()
    )
    return row


async def save_response(
    scope_key: str, status_code: int, headers: list[list[str]], body: bytes
) -> None:
    await IdempotencyKey.update(
        {
            IdempotencyKey.status_code: status_code,
            IdempotencyKey.response_headers: headers,
            IdempotencyKey.response_body: body,
        }
    ).where(IdempotencyKey.scope_key == scope_key)


async def delete(scope_key: str) -> None:
    await IdempotencyKey.delete().where(IdempotencyKey.scope_key == scope_key)


async def delete_expired(now: datetime) -> int:
    rows = (
        await IdempotencyKey.delete()
        .where(IdempotencyKey.expires_at <= now)
        .returning(IdempotencyKey.scope_key)
    )
    return len(rows)
