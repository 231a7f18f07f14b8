"""What crosses HTTP on the citizen's side of crime reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.tips.challenge import Proof
from backend.tips.content import Person, ReportContent

Text = Annotated[str, msgspec.Meta(max_length=2000)]
Short = Annotated[str, msgspec.Meta(max_length=200)]


class IncidentTime(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """When it happened: `exact` (`at`), `approximate` (between `start` and `end`) or
    `unknown`."""

    kind: Literal["exact", "approximate", "unknown"]
    at: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None


class Place(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where: coordinates and/or a commune code with an address, or `unknown: true` ("I don't
    remember the place"). Coordinates outside the province are refused."""

    latitude: Annotated[float, msgspec.Meta(ge=-90, le=90)] | None = None
    longitude: Annotated[float, msgspec.Meta(ge=-180, le=180)] | None = None
    commune_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{5}$")] | None = None
    address: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    unknown: bool = False


class PersonIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Short | None = None
    description: Text | None = None
    phone: Annotated[str, msgspec.Meta(max_length=30)] | None = None
    address: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class Organisation(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Reporting on behalf of an organisation."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    tax_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{10}(-[0-9]{3})?$")] | None = None


class TipCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A new report. `anonymous: true` — nobody, including us, can tell who sent it (no
    account, address, device or session is kept; the reporter follows up with the receipt);
    needs a solved `proof` from `GET /api/v1/tips/challenge`. `anonymous: false` — a
    confidential report: needs a bearer token; the handling police unit knows who reported,
    nobody else does."""

    anonymous: bool
    offences: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=40)]], msgspec.Meta(min_length=1, max_length=3)
    ]
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=100_000)]
    incident_time: IncidentTime
    place: Place
    ongoing_danger: bool = False
    """The danger is happening now: every answer reminds the reporter to call 113."""
    people: Annotated[list[PersonIn], msgspec.Meta(max_length=10)] = []
    """People involved (suspects, witnesses)."""
    victims: Annotated[list[PersonIn], msgspec.Meta(max_length=10)] = []
    organisation: Organisation | None = None
    proof: Proof | None = None


class EmergencyNotice(msgspec.Struct, frozen=True, kw_only=True):
    call: str = "113"
    message_vi: str = (
        "Nếu nguy hiểm đang diễn ra, hãy gọi ngay 113 (Cảnh sát). Ứng dụng không phải là"
        " đường dây khẩn cấp và tin báo có thể chưa được xem ngay."
    )
    message_en: str = (
        "If the danger is happening now, call 113 (police) at once. The app is not an"
        " emergency line and a report may not be read straight away."
    )


EMERGENCY = EmergencyNotice()


class OffenceOut(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    label_vi: str
    label_en: str


class OffenceList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[OffenceOut]
    max_per_report: int
    kinds_vi: str = (
        "Có danh tính: đơn vị công an thụ lý biết ai báo tin, ngoài ra không ai biết. Ẩn danh:"
        " không ai, kể cả chúng tôi, biết ai báo tin — khác với tố giác “ẩn danh” trên VNeID,"
        " vẫn chuyển danh tính cho công an."
    )
    kinds_en: str = (
        "Confidential: the handling police unit knows who reported, nobody else does."
        " Anonymous: nobody, including us, can tell who reported — unlike VNeID's 'anonymous'"
        " reports, which still pass the reporter's identity to the police."
    )


class TipSubmitted(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    reference: str
    kind: str
    status: str
    created_at: datetime
    receipt: str | None = None
    """Anonymous reports only: shown this once, never again. Needed (header `X-Tip-Receipt`)
    to read the report's status and messages and to reply."""
    receipt_formatted: str | None = None
    notice_vi: str
    notice_en: str
    emergency: EmergencyNotice | None = None


class AttachmentOut(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    id: uuid.UUID
    kind: str
    mime: str
    """Of the copy served (metadata stripped)."""
    size: int
    message_id: uuid.UUID | None = None
    filename: str | None = None
    created_at: datetime
    status: str
    emergency: EmergencyNotice | None = None
    """In the answer to an upload, for a report of ongoing danger."""


class MessageOut(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    id: uuid.UUID
    sender: Literal["reporter", "police"]
    body: str
    created_at: datetime
    read_at: datetime | None
    attachments: list[AttachmentOut]
    emergency: EmergencyNotice | None = None
    """In the answer to a new message, for a report of ongoing danger."""


class MessageCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]


class TipOut(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A report as its reporter sees it."""

    reference: str
    kind: str
    status: str
    outcome: str | None = None
    offences: list[OffenceOut]
    created_at: datetime
    updated_at: datetime
    incident_time: IncidentTime
    content: ReportContent | None = None
    """None once purged at the end of its retention."""
    commune_code: str | None = None
    attachments: list[AttachmentOut]
    messages: list[MessageOut]
    emergency: EmergencyNotice | None = None


class TipSummary(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    reference: str
    kind: str
    status: str
    outcome: str | None = None
    offences: list[OffenceOut]
    created_at: datetime
    updated_at: datetime
    unread_messages: int
    emergency: EmergencyNotice | None = None


class TipPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[TipSummary]
    next_cursor: str | None


__all__ = [
    "EMERGENCY",
    "AttachmentOut",
    "EmergencyNotice",
    "IncidentTime",
    "MessageCreate",
    "MessageOut",
    "OffenceList",
    "OffenceOut",
    "Organisation",
    "Person",
    "PersonIn",
    "Place",
    "TipCreate",
    "TipOut",
    "TipPage",
    "TipSubmitted",
    "TipSummary",
]
