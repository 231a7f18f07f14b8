"""Every query of the development identity provider, and the typed rows they take and
return."""

from __future__ import annotations

from datetime import datetime

import msgspec

from backend.devidp.tables import DevIdpAccessToken, DevIdpCode, DevIdpKey


class KeyRow(msgspec.Struct, frozen=True, kw_only=True):
    kid: str
    private_key: bytes
    """PEM (the development provider's keys are not sealed)."""
    public_jwk: dict[str, str | list[str]]
    created_at: datetime


class CodeRow(msgspec.Struct, frozen=True, kw_only=True):
    code_hash: str
    personal_id: str
    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    sid: str
    scope: str
    expires_at: datetime
    used_at: datetime | None = None


class AccessTokenRow(msgspec.Struct, frozen=True, kw_only=True):
    token_hash: str
    personal_id: str
    expires_at: datetime


async def keys() -> list[KeyRow]:
    """Every key, newest (the signing one) first."""
    rows = (
        await DevIdpKey.select()
        .order_by(DevIdpKey.created_at, ascending=False)
        .output(load_json=True)
    )
    return [msgspec.convert(row, KeyRow) for row in rows]


async def lock_keys() -> None:
    await DevIdpKey.raw("LOCK TABLE dev_idp_keys IN SHARE ROW EXCLUSIVE MODE")


async def insert_key(key: KeyRow) -> None:
    await DevIdpKey.insert(DevIdpKey(**msgspec.structs.asdict(key)))


async def insert_code(code: CodeRow) -> None:
    await DevIdpCode.insert(DevIdpCode(**msgspec.structs.asdict(code)))


async def consume_code(code_hash: str, now: datetime) -> CodeRow | None:
    rows = (
        await DevIdpCode.update({DevIdpCode.used_at: now})
        .where(
            (DevIdpCode.code_hash == code_hash)
            & DevIdpCode.used_at.is_null()
            & (DevIdpCode.expires_at > now)
        )
        .returning(*DevIdpCode.all_columns())
    )
    return msgspec.convert(rows[0], CodeRow) if rows else None


async def insert_access_token(token: AccessTokenRow) -> None:
    await DevIdpAccessToken.insert(DevIdpAccessToken(**msgspec.structs.asdict(token)))


async def access_token(token_hash: str, now: datetime) -> AccessTokenRow | None:
    row = (
        await DevIdpAccessToken.select()
        .where((DevIdpAccessToken.token_hash == token_hash) & (DevIdpAccessToken.expires_at > now))
        .first()
    )
    return None if row is None else msgspec.convert(row, AccessTokenRow)


async def delete_expired(now: datetime) -> None:
    await DevIdpCode.delete().where(DevIdpCode.expires_at <= now)
    await DevIdpAccessToken.delete().where(DevIdpAccessToken.expires_at <= now)
