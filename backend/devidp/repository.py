"""Every query of the development identity provider."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.devidp.tables import DevIdpAccessToken, DevIdpCode, DevIdpKey


async def keys() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await DevIdpKey.select()
        .order_by(DevIdpKey.created_at, ascending=False)
        .output(load_json=True)
    )
    return rows


async def lock_keys() -> None:
    await DevIdpKey.raw("LOCK TABLE dev_idp_keys IN SHARE ROW EXCLUSIVE MODE")


async def insert_key(values: dict[str, Any]) -> None:
    await DevIdpKey.insert(DevIdpKey(**values))


async def insert_code(values: dict[str, Any]) -> None:
    await DevIdpCode.insert(DevIdpCode(**values))


async def consume_code(code_hash: str, now: datetime) -> dict[str, Any] | None:
    rows: list[dict[str, Any]] = (
        await DevIdpCode.update({DevIdpCode.used_at: now})
        .where(
            (DevIdpCode.code_hash == code_hash)
            & DevIdpCode.used_at.is_null()
            & (DevIdpCode.expires_at > now)
        )
        .returning(*DevIdpCode.all_columns())
    )
    return rows[0] if rows else None


async def insert_access_token(values: dict[str, Any]) -> None:
    await DevIdpAccessToken.insert(DevIdpAccessToken(**values))


async def access_token(token_hash: str, now: datetime) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await DevIdpAccessToken.select()
        .where((DevIdpAccessToken.token_hash == token_hash) & (DevIdpAccessToken.expires_at > now))
        .first()
    )
    return row


async def delete_expired(now: datetime) -> None:
    await DevIdpCode.delete().where(DevIdpCode.expires_at <= now)
    await DevIdpAccessToken.delete().where(DevIdpAccessToken.expires_at <= now)
