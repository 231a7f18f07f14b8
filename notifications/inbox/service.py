"""The in-app inbox: campaigns addressed to the person and their personal notifications
(`notify`), what they opened, acknowledged and answered.

Storage: a province-wide campaign is one `campaigns` row, in everyone's inbox by the rule
below, with no per-person row until the person opens it (`campaign_reads`, unique per
campaign and person, which is what analytics count). Campaigns addressed person by person
(civil servants, agencies, uploaded lists) have their rows written by the campaigns sender.
Personal notifications are `inbox_items`, one per person.

Who sees a campaign (the contract with the campaigns sender): a campaign is in person P's
inbox when sending has started (status `sending` or `sent`) and either its audience is all
citizens, or communes including P's current commune (`notification_profiles.commune_code`),
or P has a `campaign_reads` row for it — except when its category is one P muted (mutable
categories only). A campaign **cancelled before sending started** is in nobody's inbox. One
**cancelled mid-send** stays where it had gone out: for people with a `campaign_reads` row
(addressed by name, or who opened it), and, for public audiences, for the people of the
places (the whole province, or a commune) a topic message of it was accepted for — or may
have been (left `sending` by a killed worker); elsewhere it disappears.
Personal items are always in their person's inbox: muting a category silences their push,
not the record (a payment made, a report's message).

Unread = in the inbox and not opened (`campaign_reads.opened_at`, `inbox_items.read_at`),
computed from the rows each time, never kept as a counter, so it cannot drift: a read, an
acknowledgement (which implies the read), a new campaign, a new item, muting, a change of
commune, a cancellation all show in the next count. An entry P cannot see is 404 for every
action, as if it did not exist.

Reads, acknowledgements and answers are a person's own state at citizen scale: not audited
(the audit chain serialises its appends); they are the analytics' own records.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from backend.access import Principal
from backend.http.pagination import PageRequest, decode_cursor, encode_cursor
from backend.identity.service import members_with_role
from backend.jobs import defer
from backend.settings import Settings
from content.errors import MediaNotFound
from content.service import get_asset
from notifications.categories import BY_CODE, CATEGORIES, is_mutable
from notifications.devices import service as devices
from notifications.inbox import repository, templates
from notifications.inbox.errors import (
    AcknowledgementNotRequired,
    InboxEntryNotFound,
    InboxImageNotFound,
    SurveyAnswerInvalid,
    SurveyNotAvailable,
)
from notifications.inbox.repository import DeliveryRow, EntryRow, ItemRow, NewItem
from notifications.inbox.schemas import (
    EntryKind,
    InboxEntry,
    InboxImage,
    InboxPage,
    Survey,
    SurveyAnswerCreate,
    SurveyKind,
    UnreadCount,
)
from notifications.push import DEVICE_GONE, DeviceSend, Outcome, PushMessage, SendResult

INBOX_ROUTE = "/api/v1/inbox"
CURSOR_KIND = "inbox"
MUTABLE = tuple(c.code for c in CATEGORIES if c.mutable)
PUSH_JOB_ITEMS = 500
"""Items per push job deferred by `notify` (one job per 500 recipients)."""
MAX_PUSH_ATTEMPTS = 2
"""A push left in doubt by a killed worker is sent once more, never a third time."""


def _now() -> datetime:
    return datetime.now(UTC)


# --- reading ----------------------------------------------------------------------------------


async def list_inbox(person_id: uuid.UUID, page: PageRequest) -> InboxPage:
    """A page of the person's inbox, newest first, with the unread count of the whole inbox."""
    after = None
    if page.cursor:
        at, last_id = decode_cursor(page.cursor, CURSOR_KIND, (datetime, uuid.UUID))
        after = (at, last_id)
    rows = await repository.page(person_id, MUTABLE, after=after, limit=page.limit + 1)
    shown = rows[: page.limit]
    next_cursor = None
    if len(rows) > page.limit:
        next_cursor = encode_cursor(CURSOR_KIND, (shown[-1].at, shown[-1].id))
    return InboxPage(
        items=[_entry(row) for row in shown],
        next_cursor=next_cursor,
        unread_count=await repository.unread_count(person_id, MUTABLE),
    )


async def unread_count(person_id: uuid.UUID) -> UnreadCount:
    """How many entries of the person's inbox they have not opened (one statement)."""
    return UnreadCount(unread_count=await repository.unread_count(person_id, MUTABLE))


async def _visible(person_id: uuid.UUID, entry_id: uuid.UUID) -> EntryRow:
    row = await repository.get(person_id, MUTABLE, entry_id)
    if row is None:
        raise InboxEntryNotFound()
    return row


async def access_entry(person_id: uuid.UUID, entry_id: uuid.UUID) -> InboxEntry:
    """One entry of the person's inbox (`InboxEntryNotFound` if it is not in it)."""
    return _entry(await _visible(person_id, entry_id))


async def access_image_url(
    settings: Settings, person_id: uuid.UUID, entry_id: uuid.UUID, rendition: str
) -> str:
    """A freshly signed URL of the entry's image, for a person whose inbox holds it."""
    row = await _visible(person_id, entry_id)
    if row.image_asset_id is None:
        raise InboxImageNotFound()
    try:
        asset = await get_asset(settings, row.image_asset_id)
    except MediaNotFound:
        raise InboxImageNotFound() from None
    for item in asset.renditions:
        if item.name == rendition:
            return item.url
    raise InboxImageNotFound()


def _text(row: EntryRow) -> tuple[str, str, str]:
    """Title, body and their language: the person's if translated, else Vietnamese."""
    if row.language != "vi":
        translated = row.translations.get(row.language) or {}
        if translated.get("title") and translated.get("body"):
            return translated["title"], translated["body"], row.language
    return row.title, row.body, "vi"


def _option_text(option: Any, language: str) -> str:
    if isinstance(option, dict):
        text = option.get(language) or option.get("vi") or option.get("text") or ""
        return str(text)
    return str(option)


def _survey(row: EntryRow, language: str) -> Survey | None:
    survey = row.survey
    if not survey:
        return None
    question = survey.get("question", "")
    if language != "vi":
        question = survey.get(f"question_{language}") or question
    options = list(survey.get("options") or [])
    translated = survey.get(f"options_{language}") if language != "vi" else None
    if isinstance(translated, list) and len(translated) == len(options):
        options = translated
    return Survey(
        kind=SurveyKind(survey.get("kind", "single")),
        question=str(question),
        options=[_option_text(o, language) for o in options],
        answer=list(row.answer) if row.answer is not None else None,
        answered_at=row.answered_at,
    )


def _entry(row: EntryRow) -> InboxEntry:
    title, body, language = _text(row)
    return InboxEntry(
        id=row.id,
        kind=EntryKind(row.kind),
        title=title,
        body=body,
        language=language,
        category=row.category,
        urgent=row.urgent,
        deep_link=row.deep_link,
        article_id=row.article_id,
        image=(
            InboxImage(asset_id=row.image_asset_id, url=f"{INBOX_ROUTE}/{row.id}/image")
            if row.image_asset_id is not None
            else None
        ),
        requires_ack=row.requires_ack,
        survey=_survey(row, row.language),
        created_at=row.at,
        opened_at=row.opened_at,
        acknowledged_at=row.acknowledged_at,
    )


# --- the person's actions ---------------------------------------------------------------------


def _agency(principal: Principal) -> str | None:
    """The agency a civil servant serves in (analytics by agency), if any."""
    return min(principal.agencies) if principal.agencies else None


async def _open(principal: Principal, row: EntryRow, *, acknowledge: bool = False) -> None:
    now = _now()
    if row.kind == EntryKind.CAMPAIGN:
        await repository.open_campaign(
            row.id,
            principal.id,
            agency_code=_agency(principal),
            commune_code=row.commune,
            now=now,
            acknowledge=acknowledge,
        )
    else:
        await repository.mark_item(row.id, principal.id, now, acknowledge=acknowledge)


async def do_read(principal: Principal, entry_id: uuid.UUID) -> InboxEntry:
    """Mark the entry opened. Idempotent: the first open is the one recorded (once per person
    and campaign: the unique `campaign_reads` row)."""
    row = await _visible(principal.id, entry_id)
    if row.opened_at is None:
        await _open(principal, row)
    return await access_entry(principal.id, entry_id)


async def do_acknowledge(principal: Principal, entry_id: uuid.UUID) -> InboxEntry:
    """Acknowledge an entry that asks for it (internal circulars); it is opened too.
    Idempotent. `AcknowledgementNotRequired` (409) for any other entry."""
    row = await _visible(principal.id, entry_id)
    if not row.requires_ack:
        raise AcknowledgementNotRequired()
    if row.acknowledged_at is None or row.opened_at is None:
        await _open(principal, row, acknowledge=True)
    return await access_entry(principal.id, entry_id)


def check_survey_answer(survey: dict[str, Any], answer: SurveyAnswerCreate) -> list[int]:
    """The answer as stored (option indexes, or the rating as one element), or
    `SurveyAnswerInvalid`."""
    kind = survey.get("kind", "single")
    options = len(survey.get("options") or [])
    if kind == SurveyKind.RATING:
        if answer.rating is None or answer.choices is not None or not 1 <= answer.rating <= 5:
            raise SurveyAnswerInvalid(field="rating")
        return [answer.rating]
    choices = answer.choices
    if choices is None or answer.rating is not None or not choices:
        raise SurveyAnswerInvalid(field="choices")
    if len(set(choices)) != len(choices) or any(not 0 <= c < options for c in choices):
        raise SurveyAnswerInvalid(field="choices")
    if kind == SurveyKind.SINGLE and len(choices) != 1:
        raise SurveyAnswerInvalid(field="choices")
    return sorted(choices)


async def do_answer_survey(
    principal: Principal, entry_id: uuid.UUID, answer: SurveyAnswerCreate
) -> InboxEntry:
    """Answer the campaign's survey (replacing an earlier answer); the campaign is opened too.
    `SurveyNotAvailable` (409) when it has none, `SurveyAnswerInvalid` (422) for an answer
    that does not fit it."""
    row = await _visible(principal.id, entry_id)
    if row.kind != EntryKind.CAMPAIGN or not row.survey:
        raise SurveyNotAvailable()
    choices = check_survey_answer(row.survey, answer)
    await repository.answer_survey(
        row.id,
        principal.id,
        choices,
        agency_code=_agency(principal),
        commune_code=row.commune,
        now=_now(),
    )
    if row.opened_at is None:
        await _open(principal, row)
    return await access_entry(principal.id, entry_id)


# --- notify: personal notifications from other domains ----------------------------------------


@dataclass(frozen=True)
class RoleInUnit:
    """Everyone holding `role`, limited to an agency, a police unit or a commune when given
    (`backend.identity.service.members_with_role`)."""

    role: str
    agency: str | None = None
    police_unit: str | None = None
    commune: str | None = None


Recipients = uuid.UUID | Sequence[uuid.UUID] | RoleInUnit


async def resolve_recipients(recipients: Recipients) -> list[uuid.UUID]:
    """The people `recipients` names, each once, in order."""
    if isinstance(recipients, RoleInUnit):
        members = await members_with_role(
            recipients.role,
            agencies=[recipients.agency] if recipients.agency else None,
            police_units=[recipients.police_unit] if recipients.police_unit else None,
            communes=[recipients.commune] if recipients.commune else None,
        )
        return [m.person_id for m in members]
    if isinstance(recipients, uuid.UUID):
        return [recipients]
    return list(dict.fromkeys(recipients))


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


async def notify(
    recipients: Recipients,
    template: str,
    data: dict[str, Any],
    *,
    deep_link: str | None = None,
    category: str,
) -> list[uuid.UUID]:
    """Put a notification in each recipient's inbox and push it to their devices.

    The inbox items are written in the caller's transaction (a rolled-back caller leaves
    none); the pushes are jobs deferred after its commit, skipping people who muted a mutable
    `category`, one push per item and device ever (`push_deliveries`). `template` names one of
    `notifications.inbox.templates` (`TemplateUnknown` otherwise); `data` must hold every
    value it uses (`TemplateDataMissing`). The ids of the items written, one per person."""
    if category not in BY_CODE:
        raise ValueError(f"unknown notification category {category!r}")
    rendered = templates.get(template).render(data)
    person_ids = await resolve_recipients(recipients)
    if not person_ids:
        return []
    now = _now()
    kept = {"template": template, **{k: _plain(v) for k, v in data.items()}}
    items = [
        NewItem(
            id=uuid.uuid4(),
            person_id=person_id,
            category=category,
            title=rendered.title,
            body=rendered.body,
            translations=rendered.translations,
            deep_link=deep_link,
            data=kept,
            requires_ack=templates.get(template).requires_ack,
            created_at=now,
        )
        for person_id in person_ids
    ]
    await repository.insert_items(items)
    from notifications.inbox import jobs

    for start in range(0, len(items), PUSH_JOB_ITEMS):
        chunk = [str(item.id) for item in items[start : start + PUSH_JOB_ITEMS]]
        await defer(jobs.push_inbox_items.configure(lock=f"inbox-push:{chunk[0]}"), item_ids=chunk)
    return [item.id for item in items]


# --- pushing items (the job's steps) ----------------------------------------------------------


@dataclass(frozen=True)
class ItemPushes:
    deliveries: list[DeliveryRow]
    messages: dict[tuple[uuid.UUID, str], PushMessage]
    """By (item id, installation id)."""


def push_message(item: ItemRow, language: str) -> PushMessage:
    """The phone's notification for an item, in `language` when translated."""
    text = item.translations.get(language) if language != "vi" else None
    title, body = item.title, item.body
    if text and text.get("title") and text.get("body"):
        title, body = text["title"], text["body"]
    data = {"kind": "item", "id": str(item.id), "category": item.category}
    if item.deep_link:
        data["deep_link"] = item.deep_link
    return PushMessage(title=title, body=body, data=data, collapse_key=str(item.id))


async def do_claim_item_pushes(item_ids: Sequence[uuid.UUID]) -> ItemPushes:
    """Claim (insert `sending`) the pushes of these items to their people's devices, except
    for people who muted the item's category (when it can be muted); pushes left in doubt by
    a killed run are claimed once more. Committed before anything is sent."""
    items = await repository.items_by_id(item_ids)
    people = sorted({item.person_id for item in items})
    devices_by_person: dict[uuid.UUID, list[str]] = {}
    for target in await devices.devices_of(people):
        devices_by_person.setdefault(target.person_id, []).append(target.installation_id)
    profiles = await devices.profiles_of(people)
    wanted = []
    for item in items:
        profile = profiles.get(item.person_id)
        if profile and is_mutable(item.category) and item.category in profile.muted_categories:
            continue
        for installation_id in devices_by_person.get(item.person_id, []):
            wanted.append((item.id, installation_id, item.person_id))
    claimed = await repository.claim_item_deliveries(wanted, _now(), max_attempts=MAX_PUSH_ATTEMPTS)
    by_id = {item.id: item for item in items}
    messages = {}
    for delivery in claimed:
        item = by_id[delivery.item_id]
        profile = profiles.get(item.person_id)
        language = profile.language if profile else "vi"
        messages[(delivery.item_id, delivery.installation_id)] = push_message(item, language)
    return ItemPushes(deliveries=claimed, messages=messages)


async def do_record_item_pushes(
    deliveries: Sequence[DeliveryRow], results: Sequence[SendResult]
) -> dict[str, int]:
    """Record each push's outcome and delete the devices FCM reported gone; counts by outcome."""
    now = _now()
    counts: dict[str, int] = {}
    gone = []
    for delivery, result in zip(deliveries, results, strict=True):
        accepted = result.outcome == Outcome.ACCEPTED
        await repository.record_delivery(
            delivery.item_id,
            delivery.installation_id,
            status="accepted" if accepted else "failed",
            error=None if accepted else str(result.outcome),
            message_id=result.message_id,
            now=now,
        )
        counts[str(result.outcome)] = counts.get(str(result.outcome), 0) + 1
        if result.outcome in DEVICE_GONE:
            gone.append(delivery.installation_id)
    await devices.do_remove_gone_devices(gone)
    return counts


def device_sends(pushes: ItemPushes) -> list[DeviceSend]:
    return [
        DeviceSend(
            installation_id=d.installation_id,
            message=pushes.messages[(d.item_id, d.installation_id)],
        )
        for d in pushes.deliveries
    ]
