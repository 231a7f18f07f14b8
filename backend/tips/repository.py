"""Every query of the citizen's side of crime reports, and the shared reads of a report's
sealed parts (content, messages, attachments) that the police side opens too. Rows come back
typed (`TipRow`, `MessageRow`, `AttachmentRow`).

Piccolo's `raw` numbers each `{}` as a parameter, so no literal braces appear in the SQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from backend.db import engine
from backend.tips.tables import (
    Tip,
    TipAttachment,
    TipChallenge,
    TipCounter,
    TipEvent,
    TipMessage,
)


class TipRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    reference: str
    kind: str
    reporter_id: uuid.UUID | None
    offences: list[str]
    ongoing_danger: bool
    commune_code: str | None
    place_known: bool
    has_coordinates: bool
    incident_time_kind: str
    incident_from: datetime | None
    incident_to: datetime | None
    on_behalf_of_organisation: bool
    sealed: bytes | None
    data_key: bytes | None
    key_id: str | None
    unit_code: str | None
    status: str
    urgency: str | None
    outcome: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    last_reporter_activity_at: datetime | None
    last_police_activity_at: datetime | None
    purged_at: datetime | None


class MessageRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    tip_id: uuid.UUID
    sender: str
    author_id: uuid.UUID | None
    sealed: bytes | None
    created_at: datetime
    read_at: datetime | None


class AttachmentRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    tip_id: uuid.UUID
    message_id: uuid.UUID | None
    kind: str
    mime: str
    filename: str
    sealed_filename: bytes | None
    size: int
    view_key: str | None
    view_mime: str | None
    view_size: int | None
    original_key: str | None
    original_sha256: str | None
    status: str
    created_at: datetime


class NewTip(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    reference: str
    kind: str
    reporter_id: uuid.UUID | None
    receipt_hash: str | None
    offences: list[str]
    ongoing_danger: bool
    commune_code: str | None
    place_known: bool
    has_coordinates: bool
    incident_time_kind: str
    incident_from: datetime | None
    incident_to: datetime | None
    on_behalf_of_organisation: bool
    sealed: bytes
    data_key: bytes
    key_id: str
    unit_code: str | None
    created_at: datetime


_TIP_COLUMNS = (
    "id, reference, kind, reporter_id, offences, ongoing_danger, commune_code, place_known,"
    " has_coordinates, incident_time_kind, incident_from, incident_to,"
    " on_behalf_of_organisation, sealed, data_key, key_id, unit_code, status, urgency, outcome,"
    " version, created_at, updated_at, closed_at, last_reporter_activity_at,"
    " last_police_activity_at, purged_at"
)


def _rows(rows: Sequence[dict[str, Any]], kind: type[Any]) -> list[Any]:
    return [msgspec.convert(row, kind, from_attributes=False) for row in rows]


# --- reports ----------------------------------------------------------------------------------


async def next_reference_number() -> int:
    rows = await Tip.raw("SELECT nextval('tip_reference_seq') AS n")
    return int(rows[0]["n"])


async def insert_tip(tip: NewTip) -> None:
    await Tip.insert(
        Tip(
            id=tip.id,
            reference=tip.reference,
            kind=tip.kind,
            reporter_id=tip.reporter_id,
            receipt_hash=tip.receipt_hash,
            offences=tip.offences,
            ongoing_danger=tip.ongoing_danger,
            commune_code=tip.commune_code,
            place_known=tip.place_known,
            has_coordinates=tip.has_coordinates,
            incident_time_kind=tip.incident_time_kind,
            incident_from=tip.incident_from,
            incident_to=tip.incident_to,
            on_behalf_of_organisation=tip.on_behalf_of_organisation,
            sealed=tip.sealed,
            data_key=tip.data_key,
            key_id=tip.key_id,
            unit_code=tip.unit_code,
            status="received",
            version=1,
            created_at=tip.created_at,
            updated_at=tip.created_at,
            last_reporter_activity_at=tip.created_at,
        )
    )


async def get_tip(tip_id: uuid.UUID, *, for_update: bool = False) -> TipRow | None:
    lock = " FOR UPDATE" if for_update else ""
    rows = await Tip.raw(f"SELECT {_TIP_COLUMNS} FROM tips WHERE id = {{}}{lock}", tip_id)
    return msgspec.convert(rows[0], TipRow) if rows else None


async def tip_of_reporter(reporter_id: uuid.UUID, reference: str) -> TipRow | None:
    rows = await Tip.raw(
        f"SELECT {_TIP_COLUMNS} FROM tips WHERE reporter_id = {{}} AND reference = {{}}",
        reporter_id,
        reference,
    )
    return msgspec.convert(rows[0], TipRow) if rows else None


async def tip_by_receipt(receipt_hash: str) -> TipRow | None:
    rows = await Tip.raw(
        f"SELECT {_TIP_COLUMNS} FROM tips WHERE receipt_hash = {{}} AND kind = 'anonymous'",
        receipt_hash,
    )
    return msgspec.convert(rows[0], TipRow) if rows else None


async def tips_of_reporter(
    reporter_id: uuid.UUID, *, before: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[TipRow]:
    """The reporter's reports, newest first, after the cursor `before` (created_at, id)."""
    if before is None:
        rows = await Tip.raw(
            f"SELECT {_TIP_COLUMNS} FROM tips WHERE reporter_id = {{}}"
            " ORDER BY created_at DESC, id DESC LIMIT {}",
            reporter_id,
            limit,
        )
    else:
        rows = await Tip.raw(
            f"SELECT {_TIP_COLUMNS} FROM tips WHERE reporter_id = {{}}"
            " AND (created_at, id) < ({}, {})"
            " ORDER BY created_at DESC, id DESC LIMIT {}",
            reporter_id,
            before[0],
            before[1],
            limit,
        )
    return _rows(rows, TipRow)


async def touch_reporter_activity(tip_id: uuid.UUID, at: datetime) -> None:
    await Tip.raw(
        "UPDATE tips SET last_reporter_activity_at = GREATEST(last_reporter_activity_at, {})"
        " WHERE id = {}",
        at,
        tip_id,
    )


# --- messages ---------------------------------------------------------------------------------


async def insert_message(
    message_id: uuid.UUID,
    tip_id: uuid.UUID,
    *,
    sender: str,
    author_id: uuid.UUID | None,
    sealed: bytes,
    created_at: datetime,
) -> None:
    await TipMessage.insert(
        TipMessage(
            id=message_id,
            tip_id=tip_id,
            sender=sender,
            author_id=author_id,
            sealed=sealed,
            created_at=created_at,
        )
    )


async def messages_of(tip_id: uuid.UUID) -> list[MessageRow]:
    rows = await TipMessage.raw(
        "SELECT id, tip_id, sender, author_id, sealed, created_at, read_at FROM tip_messages"
        " WHERE tip_id = {} ORDER BY created_at, id",
        tip_id,
    )
    return _rows(rows, MessageRow)


async def get_message(tip_id: uuid.UUID, message_id: uuid.UUID) -> MessageRow | None:
    rows = await TipMessage.raw(
        "SELECT id, tip_id, sender, author_id, sealed, created_at, read_at FROM tip_messages"
        " WHERE tip_id = {} AND id = {}",
        tip_id,
        message_id,
    )
    return msgspec.convert(rows[0], MessageRow) if rows else None


async def mark_read(tip_id: uuid.UUID, sender: str, at: datetime) -> None:
    """The other side read every message of `sender` not read yet."""
    await TipMessage.raw(
        "UPDATE tip_messages SET read_at = {} WHERE tip_id = {} AND sender = {}"
        " AND read_at IS NULL",
        at,
        tip_id,
        sender,
    )


# --- attachments ------------------------------------------------------------------------------

_ATTACHMENT_COLUMNS = (
    "id, tip_id, message_id, kind, mime, filename, sealed_filename, size, view_key, view_mime,"
    " view_size, original_key, original_sha256, status, created_at"
)


async def attachments_of(tip_id: uuid.UUID) -> list[AttachmentRow]:
    rows = await TipAttachment.raw(
        f"SELECT {_ATTACHMENT_COLUMNS} FROM tip_attachments WHERE tip_id = {{}}"
        " ORDER BY created_at, id",
        tip_id,
    )
    return _rows(rows, AttachmentRow)


async def get_attachment(attachment_id: uuid.UUID) -> AttachmentRow | None:
    rows = await TipAttachment.raw(
        f"SELECT {_ATTACHMENT_COLUMNS} FROM tip_attachments WHERE id = {{}}", attachment_id
    )
    return msgspec.convert(rows[0], AttachmentRow) if rows else None


async def attachment_totals(tip_id: uuid.UUID) -> tuple[int, int]:
    """(count, total size as uploaded) of the report's files."""
    rows = await TipAttachment.raw(
        "SELECT count(*) AS n, COALESCE(sum(size), 0) AS total FROM tip_attachments"
        " WHERE tip_id = {}",
        tip_id,
    )
    return int(rows[0]["n"]), int(rows[0]["total"])


async def insert_attachment(row: AttachmentRow) -> None:
    await TipAttachment.insert(
        TipAttachment(
            id=row.id,
            tip_id=row.tip_id,
            message_id=row.message_id,
            kind=row.kind,
            mime=row.mime,
            filename=row.filename,
            sealed_filename=row.sealed_filename,
            size=row.size,
            view_key=row.view_key,
            view_mime=row.view_mime,
            view_size=row.view_size,
            original_key=row.original_key,
            original_sha256=row.original_sha256,
            status=row.status,
            created_at=row.created_at,
        )
    )


# --- history ----------------------------------------------------------------------------------


async def insert_event(
    tip_id: uuid.UUID,
    *,
    action: str,
    at: datetime,
    actor_id: uuid.UUID | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    await TipEvent.insert(
        TipEvent(
            tip_id=tip_id,
            actor_id=actor_id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            detail=detail or {},
            at=at,
        )
    )


# --- proof of work and counters ---------------------------------------------------------------


async def spend_challenge(digest: str, expires_at: datetime) -> bool:
    """Record the challenge as spent; False when it already was."""
    rows = await TipChallenge.raw(
        "INSERT INTO tip_challenges (digest, expires_at) VALUES ({}, {})"
        " ON CONFLICT (digest) DO NOTHING RETURNING digest",
        digest,
        expires_at,
    )
    return bool(rows)


_COUNT_HITS = """
INSERT INTO tip_counters AS c (key, hits, expires_at)
SELECT k, 1, $2 FROM unnest($1::varchar[]) AS k
ON CONFLICT (key) DO UPDATE SET hits = c.hits + 1
RETURNING key, hits
"""

_READ_HITS = "SELECT key, hits FROM tip_counters WHERE key = ANY($1::varchar[])"


async def count_hits(keys: Sequence[str], expires_at: datetime) -> dict[str, int]:
    """Add one hit to each counter and return the counts, on a connection of its own,
    committed at once: a request that fails and rolls back (a wrong receipt) still counts."""
    return await _on_own_connection(_COUNT_HITS, sorted(set(keys)), expires_at)


async def read_hits(keys: Sequence[str]) -> dict[str, int]:
    return await _on_own_connection(_READ_HITS, sorted(set(keys)))


async def _on_own_connection(sql: str, *args: Any) -> dict[str, int]:
    db = engine()
    if db.pool is not None:
        async with db.pool.acquire() as connection:
            rows = await connection.fetch(sql, *args)
    else:
        connection = await db.get_new_connection()
        try:
            rows = await connection.fetch(sql, *args)
        finally:
            await connection.close()
    return {str(row["key"]): int(row["hits"]) for row in rows}


async def delete_expired(now: datetime) -> dict[str, int]:
    counters = (
        await TipCounter.delete().where(TipCounter.expires_at <= now).returning(TipCounter.key)
    )
    challenges = (
        await TipChallenge.delete()
        .where(TipChallenge.expires_at <= now)
        .returning(TipChallenge.digest)
    )
    return {"tip_counters": len(counters), "tip_challenges": len(challenges)}


# --- key rotation -----------------------------------------------------------------------------


class WrappedKeyRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    data_key: bytes
    key_id: str


async def keys_not_under(
    key_id: str, limit: int, after: uuid.UUID | None = None
) -> list[WrappedKeyRow]:
    """The next batch (by id, after `after`) of data keys wrapped by another master key than
    `key_id`, locked for the re-wrap; rows another transaction holds are skipped (a later
    pass takes them)."""
    rows = await Tip.raw(
        "SELECT id, data_key, key_id FROM tips WHERE key_id <> {} AND data_key IS NOT NULL"
        " AND id > {} ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED",
        key_id,
        after or uuid.UUID(int=0),
        limit,
    )
    return _rows(rows, WrappedKeyRow)


async def rewrap(tip_id: uuid.UUID, old_key_id: str, data_key: bytes, key_id: str) -> bool:
    """Store the re-wrapped key, unless the row changed meanwhile."""
    rows = await Tip.raw(
        "UPDATE tips SET data_key = {}, key_id = {} WHERE id = {} AND key_id = {} RETURNING id",
        data_key,
        key_id,
        tip_id,
        old_key_id,
    )
    return bool(rows)


async def count_by_key_id() -> dict[str, int]:
    rows = await Tip.raw(
        "SELECT key_id, count(*) AS n FROM tips WHERE data_key IS NOT NULL GROUP BY key_id"
    )
    return {str(r["key_id"]): int(r["n"]) for r in rows}
