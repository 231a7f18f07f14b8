"""What a report says, sealed and opened: the report's content (`ReportContent`), message
bodies and attachment names. Sealing binds each value to its row (see `crypto`); a purged
report has no content left (`TipPurged`).

Used by both sides: the citizen's routes and the police's (B) open the same values here, so
that there is one place where plaintext is made.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from backend.settings import Settings
from backend.tips import crypto, repository
from backend.tips.errors import TipNotFound, TipPurged
from backend.tips.repository import TipRow


class Person(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Someone the reporter names: a suspect, a witness or a victim. Every field is
    optional: the reporter says what they know."""

    name: str | None = None
    description: str | None = None
    """What they look like, what they did, how to recognise them."""
    phone: str | None = None
    address: str | None = None


class ReportContent(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Everything of a report that is sealed (never stored in clear)."""

    description: str
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    people: list[Person] = []
    victims: list[Person] = []
    organisation_name: str | None = None
    organisation_tax_code: str | None = None


_decoder = msgspec.json.Decoder(ReportContent)


def seal_content(data_key: bytes, tip_id: uuid.UUID, content: ReportContent) -> bytes:
    return crypto.seal(data_key, msgspec.json.encode(content), crypto.tip_aad(tip_id))


def data_key_of(row: TipRow, settings: Settings | None = None) -> bytes:
    """The report's data key, unwrapped; `TipPurged` once purged."""
    if row.data_key is None or row.key_id is None:
        raise TipPurged()
    return crypto.unwrap_key(row.data_key, row.key_id, settings)


def open_content(row: TipRow, settings: Settings | None = None) -> ReportContent:
    if row.sealed is None:
        raise TipPurged()
    plain = crypto.unseal(data_key_of(row, settings), row.sealed, crypto.tip_aad(row.id))
    return _decoder.decode(plain)


async def read_report(tip_id: uuid.UUID, settings: Settings | None = None) -> ReportContent:
    """The report's content in clear. Callers check access first (the police side audits
    every read)."""
    row = await repository.get_tip(tip_id)
    if row is None:
        raise TipNotFound()
    return open_content(row, settings)


class MessageBody(msgspec.Struct, frozen=True, kw_only=True):
    body: str


def seal_message(data_key: bytes, message_id: uuid.UUID, body: str) -> bytes:
    return crypto.seal(
        data_key, msgspec.json.encode(MessageBody(body=body)), crypto.message_aad(message_id)
    )


def open_message(data_key: bytes, message_id: uuid.UUID, sealed: bytes | None) -> str:
    """A message's body; "" once purged."""
    if sealed is None:
        return ""
    plain = crypto.unseal(data_key, sealed, crypto.message_aad(message_id))
    return msgspec.json.decode(plain, type=MessageBody).body


async def read_message_body(
    tip_id: uuid.UUID, message_id: uuid.UUID, settings: Settings | None = None
) -> str:
    """One message's body in clear (the caller checked access to the report)."""
    row = await repository.get_tip(tip_id)
    message = await repository.get_message(tip_id, message_id)
    if row is None or message is None:
        raise TipNotFound()
    return open_message(data_key_of(row, settings), message_id, message.sealed)


def seal_filename(data_key: bytes, attachment_id: uuid.UUID, name: str) -> bytes:
    return crypto.seal(data_key, name.encode(), crypto.attachment_aad(attachment_id, "name"))


def open_filename(data_key: bytes, attachment_id: uuid.UUID, sealed: bytes | None) -> str:
    if sealed is None:
        return ""
    return crypto.unseal(data_key, sealed, crypto.attachment_aad(attachment_id, "name")).decode()


def coarse_time(at: datetime, minutes: int) -> datetime:
    """`at` rounded down to `minutes` (what an anonymous reporter's rows keep)."""
    step = minutes * 60
    seconds = int(at.timestamp()) // step * step
    return datetime.fromtimestamp(seconds, at.tzinfo)
