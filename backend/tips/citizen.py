"""The citizen's side of crime reports: submitting, following up, messaging.

Guarantees:
- a confidential report names its reporter (`reporter_id`) and nothing else about them; an
  anonymous one names nobody: no person, address, user agent, token, device or session is
  written anywhere by its routes, and the times its rows keep are rounded down
  (`CTN_TIPS_ANONYMOUS_TIME_MINUTES`);
- everything the reporter says is sealed with the report's data key before it is written;
- a report is routed to the police unit of its commune (else the provincial queue) and the
  police side is told after commit (`police.on_new_report`);
- the submission is not audited: the audit log is read by auditors, who are not the handling
  unit, and an entry naming the reporter would tell them who reported.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from backend.access import Principal
from backend.db import after_commit
from backend.errors import ValidationFailed
from backend.geo.errors import AdministrativeUnitNotFound
from backend.geo.service import get_unit
from backend.http.pagination import PageRequest, decode_cursor, encode_cursor
from backend.settings import Settings
from backend.tips import abuse, challenge, crypto, offences, receipts, repository, routing
from backend.tips.citizen_schemas import (
    EMERGENCY,
    AttachmentOut,
    EmergencyNotice,
    IncidentTime,
    MessageOut,
    OffenceOut,
    PersonIn,
    TipCreate,
    TipOut,
    TipPage,
    TipSubmitted,
    TipSummary,
)
from backend.tips.content import (
    Person,
    ReportContent,
    coarse_time,
    data_key_of,
    open_content,
    open_filename,
    open_message,
    seal_content,
    seal_message,
)
from backend.tips.errors import (
    CommuneUnknown,
    IncidentTimeInvalid,
    OffenceUnknown,
    PlaceMissing,
    PlaceOutsideProvince,
    ProofOfWorkRequired,
    ReceiptInvalid,
    ReceiptRequired,
    SignInForConfidential,
    TipNotFound,
    TipPurged,
)
from backend.tips.repository import AttachmentRow, MessageRow, NewTip, TipRow

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
CURSOR_KIND = "tips_mine"
CLOCK_SKEW = timedelta(minutes=10)

NOTICE_ANONYMOUS_VI = (
    "Tin báo ẩn danh đã được gửi. Hãy ghi lại mã biên nhận: mã chỉ hiện một lần, chúng tôi"
    " không lưu và không thể cấp lại. Dùng mã để xem tiến trình và trao đổi với công an."
)
NOTICE_ANONYMOUS_EN = (
    "Your anonymous report was sent. Write the receipt down: it is shown once; we do not keep"
    " it and cannot issue it again. Use it to follow the report and talk with the police."
)
NOTICE_CONFIDENTIAL_VI = (
    "Tin báo đã được gửi. Chỉ đơn vị công an thụ lý biết danh tính của bạn. Bạn sẽ nhận"
    " thông báo khi có tin nhắn mới hoặc tin báo được xử lý."
)
NOTICE_CONFIDENTIAL_EN = (
    "Your report was sent. Only the handling police unit knows who you are. You will be"
    " notified of new messages and when the report moves on."
)


@dataclass(frozen=True)
class Caller:
    """Who follows up on a report: its confidential reporter, or whoever holds the receipt
    of an anonymous one."""

    tip: TipRow
    anonymous: bool


# --- submitting -------------------------------------------------------------------------------


def _person(p: PersonIn) -> Person:
    return Person(name=p.name, description=p.description, phone=p.phone, address=p.address)


def check_incident_time(value: IncidentTime, now: datetime) -> tuple[datetime | None, ...]:
    latest = now + CLOCK_SKEW
    if value.kind == "unknown":
        if value.at or value.start or value.end:
            raise IncidentTimeInvalid()
        return (None, None)
    if value.kind == "exact":
        if value.at is None or value.start or value.end or value.at.tzinfo is None:
            raise IncidentTimeInvalid()
        if value.at > latest:
            raise IncidentTimeInvalid("Thời gian không được ở tương lai.", "Not in the future.")
        return (value.at, value.at)
    if value.start is None or value.end is None or value.at:
        raise IncidentTimeInvalid()
    if value.start.tzinfo is None or value.end.tzinfo is None or value.start > value.end:
        raise IncidentTimeInvalid()
    if value.start > latest:
        raise IncidentTimeInvalid("Thời gian không được ở tương lai.", "Not in the future.")
    return (value.start, value.end)


async def check_place(settings: Settings, create: TipCreate) -> None:
    place = create.place
    has_coordinates = place.latitude is not None or place.longitude is not None
    if has_coordinates and (place.latitude is None or place.longitude is None):
        raise PlaceMissing()
    if place.unknown:
        if has_coordinates or place.commune_code or place.address:
            raise PlaceMissing(
                "“Tôi không nhớ địa điểm” không đi kèm vị trí hay địa chỉ.",
                "“I don't remember the place” goes with no location or address.",
            )
        return
    if not has_coordinates and not place.commune_code:
        raise PlaceMissing()
    if (
        place.latitude is not None
        and place.longitude is not None
        and not routing.in_province(settings.province_code, place.latitude, place.longitude)
    ):
        raise PlaceOutsideProvince()
    if place.commune_code:
        try:
            unit = await get_unit(place.commune_code)
        except AdministrativeUnitNotFound:
            raise CommuneUnknown() from None
        if int(unit.province_code) != int(settings.province_code):
            raise CommuneUnknown()


def check_content(settings: Settings, create: TipCreate) -> list[str]:
    known = offences.codes(settings)
    chosen = list(dict.fromkeys(create.offences))
    if any(code not in known for code in chosen):
        raise OffenceUnknown()
    limit = settings.tips_description_max_chars
    if not create.description.strip() or len(create.description) > limit:
        raise ValidationFailed(
            errors=[
                {
                    "field": "description",
                    "source": "body",
                    "message_vi": f"Mô tả cần từ 1 đến {limit} ký tự",
                    "message_en": f"The description needs 1 to {limit} characters",
                }
            ]
        )
    return chosen


async def do_submit_tip(
    settings: Settings,
    create: TipCreate,
    *,
    reporter: Principal | None,
    client_address: str | None,
) -> TipSubmitted:
    """File a report, in the caller's transaction. Anonymous: counted against the client
    address's limit (by keyed hash only), proof of work spent, a receipt made; the address
    goes nowhere else. Confidential: needs `reporter`."""
    now = datetime.now(UTC)
    anonymous = create.anonymous
    if not anonymous and reporter is None:
        raise SignInForConfidential(headers={"WWW-Authenticate": "Bearer"})
    if anonymous:
        await abuse.count_anonymous_submission(settings, client_address)
    chosen = check_content(settings, create)
    incident_from, incident_to = check_incident_time(create.incident_time, now)
    await check_place(settings, create)
    if anonymous:
        if create.proof is None:
            raise ProofOfWorkRequired()
        await challenge.do_spend(settings, create.proof)

    tip_id = uuid.uuid4()
    created_at = coarse_time(now, settings.tips_anonymous_time_minutes) if anonymous else now
    number = await repository.next_reference_number()
    reference = f"TN-{now.astimezone(LOCAL).year}-{number:06d}"
    data_key = crypto.new_data_key()
    wrapped, key_id = crypto.wrap_key(data_key, settings)
    place = create.place
    content = ReportContent(
        description=create.description.strip(),
        address=place.address,
        latitude=place.latitude,
        longitude=place.longitude,
        people=[_person(p) for p in create.people],
        victims=[_person(p) for p in create.victims],
        organisation_name=create.organisation.name if create.organisation else None,
        organisation_tax_code=create.organisation.tax_code if create.organisation else None,
    )
    receipt = receipts.new_receipt() if anonymous else None
    receipt_hash = await receipts.receipt_hash(settings, receipt) if receipt else None
    unit_code = await routing.unit_for_commune(place.commune_code)
    await repository.insert_tip(
        NewTip(
            id=tip_id,
            reference=reference,
            kind="anonymous" if anonymous else "confidential",
            reporter_id=None if anonymous or reporter is None else reporter.id,
            receipt_hash=receipt_hash,
            offences=chosen,
            ongoing_danger=create.ongoing_danger,
            commune_code=place.commune_code,
            place_known=not place.unknown,
            has_coordinates=place.latitude is not None,
            incident_time_kind=create.incident_time.kind,
            incident_from=incident_from,
            incident_to=incident_to,
            on_behalf_of_organisation=create.organisation is not None,
            sealed=seal_content(data_key, tip_id, content),
            data_key=wrapped,
            key_id=key_id,
            unit_code=unit_code,
            created_at=created_at,
        )
    )
    await repository.insert_event(
        tip_id,
        action="received",
        at=created_at,
        to_status="received",
        detail={"unit": unit_code, "routed_by": "commune" if unit_code else "province"},
    )

    async def tell_police() -> None:
        from backend.tips.police import on_new_report

        await on_new_report(tip_id)

    await after_commit(tell_police)
    return TipSubmitted(
        reference=reference,
        kind="anonymous" if anonymous else "confidential",
        status="received",
        created_at=created_at,
        receipt=receipt,
        receipt_formatted=receipts.formatted(receipt) if receipt else None,
        notice_vi=NOTICE_ANONYMOUS_VI if anonymous else NOTICE_CONFIDENTIAL_VI,
        notice_en=NOTICE_ANONYMOUS_EN if anonymous else NOTICE_CONFIDENTIAL_EN,
        emergency=EMERGENCY if create.ongoing_danger else None,
    )


# --- who follows up ---------------------------------------------------------------------------


async def access_own_tip(principal: Principal, reference: str) -> Caller:
    """The signed-in reporter's own confidential report; 404 for anything else."""
    row = await repository.tip_of_reporter(principal.id, reference)
    if row is None or row.kind != "confidential":
        raise TipNotFound()
    return Caller(row, anonymous=False)


async def access_tip_by_receipt(
    settings: Settings, receipt: str | None, *, client_address: str | None, route: str
) -> Caller:
    """The anonymous report whose receipt this is. Wrong receipts are counted (per receipt,
    per address by keyed hash, overall) and recorded as security events without any address;
    while a limit is reached every receipt waits (429)."""
    digits = receipts.normalised(receipt)
    if receipt is None or not receipt.strip():
        raise ReceiptRequired()
    await abuse.check_receipt_allowed(settings, client_address, digits or receipt, route)
    row = None
    if digits is not None:
        row = await repository.tip_by_receipt(await receipts.receipt_hash(settings, digits))
    if row is None:
        await abuse.count_wrong_receipt(settings, client_address, digits or receipt, route)
        raise ReceiptInvalid()
    return Caller(row, anonymous=True)


# --- reading ----------------------------------------------------------------------------------


def _offences_out(settings: Settings, codes: list[str]) -> list[OffenceOut]:
    return [
        OffenceOut(
            code=code,
            label_vi=offences.label(settings, code, "vi"),
            label_en=offences.label(settings, code, "en"),
        )
        for code in codes
    ]


def _incident_time(row: TipRow) -> IncidentTime:
    if row.incident_time_kind == "exact":
        return IncidentTime(kind="exact", at=row.incident_from)
    if row.incident_time_kind == "approximate":
        return IncidentTime(kind="approximate", start=row.incident_from, end=row.incident_to)
    return IncidentTime(kind="unknown")


def attachment_out(data_key: bytes | None, row: AttachmentRow) -> AttachmentOut:
    name = open_filename(data_key, row.id, row.sealed_filename) if data_key else ""
    return AttachmentOut(
        id=row.id,
        kind=row.kind,
        mime=row.view_mime or row.mime,
        size=row.view_size or 0,
        message_id=row.message_id,
        filename=name or None,
        created_at=row.created_at,
        status=row.status,
    )


def _message_out(
    data_key: bytes | None, message: MessageRow, files: list[AttachmentRow]
) -> MessageOut:
    return MessageOut(
        id=message.id,
        sender="police" if message.sender == "police" else "reporter",
        body=open_message(data_key, message.id, message.sealed) if data_key else "",
        created_at=message.created_at,
        read_at=message.read_at,
        attachments=[attachment_out(data_key, f) for f in files if f.message_id == message.id],
    )


async def view_tip(settings: Settings, caller: Caller) -> TipOut:
    """The report as its reporter sees it; the police's messages become read."""
    row = caller.tip
    purged = row.sealed is None or row.data_key is None
    data_key = None if purged else data_key_of(row, settings)
    now = datetime.now(UTC)
    seen = coarse_time(now, settings.tips_anonymous_time_minutes) if caller.anonymous else now
    await repository.mark_read(row.id, "police", seen)
    messages = await repository.messages_of(row.id)
    files = await repository.attachments_of(row.id)
    return TipOut(
        reference=row.reference,
        kind=row.kind,
        status=row.status,
        outcome=row.outcome,
        offences=_offences_out(settings, row.offences),
        created_at=row.created_at,
        updated_at=row.updated_at,
        incident_time=_incident_time(row),
        content=None if purged else open_content(row, settings),
        commune_code=row.commune_code,
        attachments=[attachment_out(data_key, f) for f in files if f.message_id is None],
        messages=[_message_out(data_key, m, files) for m in messages],
        emergency=emergency_of(row),
    )


async def list_mine(settings: Settings, principal: Principal, page: PageRequest) -> TipPage:
    """The signed-in person's confidential reports, newest first (anonymous ones are never
    theirs to list: nothing ties them to anyone)."""
    before = None
    if page.cursor:
        at, tip_id = decode_cursor(page.cursor, CURSOR_KIND, (str, str))
        before = (datetime.fromisoformat(at), uuid.UUID(tip_id))
    rows = await repository.tips_of_reporter(principal.id, before=before, limit=page.limit + 1)
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    unread = {}
    for row in rows:
        messages = await repository.messages_of(row.id)
        unread[row.id] = sum(1 for m in messages if m.sender == "police" and m.read_at is None)
    items = [
        TipSummary(
            reference=row.reference,
            kind=row.kind,
            status=row.status,
            outcome=row.outcome,
            offences=_offences_out(settings, row.offences),
            created_at=row.created_at,
            updated_at=row.updated_at,
            unread_messages=unread[row.id],
            emergency=emergency_of(row),
        )
        for row in rows
    ]
    cursor = (
        encode_cursor(CURSOR_KIND, (rows[-1].created_at.isoformat(), str(rows[-1].id)))
        if more and rows
        else None
    )
    return TipPage(items=items, next_cursor=cursor)


# --- messages ---------------------------------------------------------------------------------


async def do_post_reporter_message(settings: Settings, caller: Caller, body: str) -> MessageOut:
    """The reporter's message on their report, sealed; the police see it in the thread."""
    row = caller.tip
    if row.sealed is None or row.data_key is None:
        raise TipPurged()
    text = body.strip()
    if not text:
        from backend.tips.errors import MessageEmpty

        raise MessageEmpty()
    data_key = data_key_of(row, settings)
    now = datetime.now(UTC)
    at = coarse_time(now, settings.tips_anonymous_time_minutes) if caller.anonymous else now
    message_id = uuid.uuid4()
    await repository.insert_message(
        message_id,
        row.id,
        sender="reporter",
        author_id=None,
        sealed=seal_message(data_key, message_id, text),
        created_at=at,
    )
    await repository.touch_reporter_activity(row.id, at)
    return MessageOut(
        id=message_id,
        sender="reporter",
        body=text,
        created_at=at,
        read_at=None,
        attachments=[],
        emergency=emergency_of(row),
    )


def emergency_of(row: TipRow) -> EmergencyNotice | None:
    """The reminder to call 113, for every answer about a report of ongoing danger (until it
    is closed)."""
    return EMERGENCY if row.ongoing_danger and row.status != "closed" else None


async def check_attachment_of(caller: Caller, attachment_id: uuid.UUID) -> None:
    """`TipAttachmentNotFound` unless the attachment belongs to the caller's report."""
    from backend.tips.errors import TipAttachmentNotFound

    files = await repository.attachments_of(caller.tip.id)
    if not any(f.id == attachment_id for f in files):
        raise TipAttachmentNotFound()
