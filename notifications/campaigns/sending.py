"""The sender's steps. Each `do_*` runs in the caller's unit of work; `notifications.campaigns
.jobs` commits between them, so no transaction is open while FCM answers and every claim is
committed before its push leaves.

- Start (`do_start`): an approved or scheduled campaign whose time has come becomes `sending`
  (its row locked, so two starts never both run); its audience size and devices are fixed.
  Internal and list audiences get one `campaign_reads` row per recipient, written in one
  statement (their inbox rows, and who must acknowledge). A public non-urgent campaign found
  due inside quiet hours is put off to their end instead (a worker that was down must not push
  at night).
- Device sends (internal, list): batches of `push_batch_size` devices in installation-id
  order. A batch claims its `push_deliveries` rows (`INSERT … ON CONFLICT DO NOTHING
  RETURNING`), is sent through the gateway, and its outcomes recorded; devices FCM reports
  gone are deleted. Rows a killed run left `sending` are in doubt: the next run sends them
  once more (same collapse key: the phone shows one notification), and gives up on them as
  `in_doubt` if that run dies too. Each device gets the campaign in its person's language
  (their settings; else the device's locale), in Vietnamese when it has no such translation.
- Broadcasts (citizens, communes): one condition message per target (everyone, or each
  commune) × language, each claimed in `topic_sends` (unique per campaign and target) the
  same way.
- The campaign is `sent` when nothing is left to claim. Its status is read before each batch
  or chunk: a cancelled campaign stops there.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from backend.audit.service import do_record
from backend.settings import Settings
from notifications.campaigns import audience, repository
from notifications.campaigns.repository import (
    CampaignRow,
    Claim,
    DeliveryResult,
    TopicResult,
    TopicTarget,
)
from notifications.campaigns.schedule import QuietHours
from notifications.campaigns.schemas import PUBLIC_AUDIENCES, AudienceKind, CampaignStatus
from notifications.categories import LANGUAGES
from notifications.devices.service import do_remove_gone_devices, language_of_locale
from notifications.push import (
    DEVICE_GONE,
    DeviceSend,
    Outcome,
    PushGateway,
    PushMessage,
    SendResult,
)
from notifications.topics import broadcast_condition

PUSH_BODY_CHARACTERS = 300
"""A notification shows a few lines; the whole text is in the inbox."""
TOPIC_CONCURRENCY = 8


def is_public(row: CampaignRow) -> bool:
    return AudienceKind(row.audience_kind) in PUBLIC_AUDIENCES


# --- messages ---------------------------------------------------------------------------------


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def push_message(row: CampaignRow, language: str) -> PushMessage:
    """The campaign in `language` (Vietnamese when it has no such translation)."""
    translated = row.translations.get(language) if language != "vi" else None
    title = translated["title"] if translated else row.title
    body = translated["body"] if translated else row.body
    data = {"kind": "campaign", "campaign_id": str(row.id), "category": row.category}
    if row.deep_link:
        data["deep_link"] = row.deep_link
    return PushMessage(
        title=title,
        body=_shorten(body, PUSH_BODY_CHARACTERS),
        data=data,
        collapse_key=str(row.id),
        urgent=row.urgent,
    )


# --- start -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    state: Literal["sending", "not_due", "stopped", "gone"]
    """`sending`: go on with batches; `not_due`: wait (its time, or quiet hours); `stopped`:
    nothing to send (draft, cancelled, sent)."""
    row: CampaignRow | None = None


async def do_start(settings: Settings, campaign_id: uuid.UUID, now: datetime) -> Started:
    """Start the campaign if its time has come (idempotent: a campaign already sending is
    returned as it is). Audited (`campaign.send_start`, by the system)."""
    row = await repository.get(campaign_id, for_update=True)
    if row is None:
        return Started("gone")
    if row.status == CampaignStatus.SENDING:
        return Started("sending", row)
    if row.status not in (CampaignStatus.APPROVED, CampaignStatus.SCHEDULED):
        return Started("stopped", row)
    if row.send_after is None or row.send_after > now:
        return Started("not_due", row)
    quiet = QuietHours.parse(settings.quiet_hours)
    if is_public(row) and not row.urgent and quiet.contains(now):
        later = quiet.end_after(now)
        await repository.update_if(
            row.id,
            [row.status],
            {"status": str(CampaignStatus.SCHEDULED), "send_after": later},
        )
        await do_record(
            "campaign.send_postponed",
            actor_id=None,
            object_type="campaign",
            object_id=str(row.id),
            details={"send_after": later.isoformat(), "quiet_hours": True},
        )
        return Started("not_due", row)
    kind = AudienceKind(row.audience_kind)
    muted = audience.muted_filter(row.category)
    if kind in PUBLIC_AUDIENCES:
        reach = await audience.reach(
            kind,
            communes=row.audience_communes,
            agencies=row.audience_agencies,
            category=row.category,
            campaign_id=row.id,
        )
        people, devices = reach.people, reach.devices
    else:
        if kind is AudienceKind.LIST:
            # Agencies of the civil servants among the list (analytics by agency).
            persons, agencies = await audience.internal_members(AudienceKind.CIVIL_SERVANTS, [])
            await repository.prepare_list_recipients(row.id, persons, agencies, muted=muted)
        else:
            persons, agencies = await audience.internal_members(kind, row.audience_agencies)
            await repository.insert_recipients(row.id, persons, agencies, muted=muted, now=now)
        people, devices = await repository.count_recipients(row.id)
    ranges = (
        []
        if kind in PUBLIC_AUDIENCES
        else await repository.range_starts(row.id, settings.push_send_parts)
    )
    started = await repository.update_if(
        row.id,
        [row.status],
        {
            "status": str(CampaignStatus.SENDING),
            "sending_started_at": now,
            "audience_size": people,
            "devices_targeted": devices,
            "send_ranges": ranges,
        },
    )
    assert started is not None  # the row is locked
    await do_record(
        "campaign.send_start",
        actor_id=None,
        object_type="campaign",
        object_id=str(row.id),
        details={"audience_size": people, "devices_targeted": devices},
    )
    return Started("sending", started)


async def do_finish(campaign_id: uuid.UUID, now: datetime) -> bool:
    """`sent`, when nothing is left to send (False: it was cancelled meanwhile). Audited with
    what was accepted and failed."""
    finished = await repository.update_if(
        campaign_id,
        [CampaignStatus.SENDING],
        {"status": str(CampaignStatus.SENT), "sent_at": now},
    )
    if finished is None:
        return False
    counts: dict[str, int] = {}
    rows = [
        *await repository.delivery_counts(campaign_id),
        *await repository.target_counts(campaign_id),
    ]
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + r.n
    await do_record(
        "campaign.sent",
        actor_id=None,
        object_type="campaign",
        object_id=str(campaign_id),
        details={"accepted": counts.get("accepted", 0), "failed": counts.get("failed", 0)},
    )
    return True


# --- device sends ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceBatch:
    row: CampaignRow
    claims: list[Claim]
    resent: bool
    """These are in-doubt rows of a killed run, sent a second time."""
    scanned_to: str | None = None
    """The last installation id the claim looked at (None: nothing left in the range); the
    next batch starts after it. Claims may be empty while it is not (all already claimed)."""


async def do_claim_devices(
    settings: Settings,
    campaign_id: uuid.UUID,
    *,
    after: str | None,
    now: datetime,
    until: str | None = None,
) -> DeviceBatch | None:
    """The next batch of the range (after, until] of installation ids, claimed (commit before
    sending it); None when the campaign is no longer sending (cancelled). In-doubt rows of
    the range come first: the range's jobs run one at a time (one lock), so a row of the
    range found `sending` was left by a run that died. Nothing claimed and nothing scanned:
    the range is done."""
    row = await repository.get(campaign_id)
    if row is None or row.status != CampaignStatus.SENDING:
        return None
    size = settings.push_batch_size
    await repository.fail_exhausted_claims(campaign_id, now, after=after, until=until)
    claims = await repository.reclaim_in_doubt(campaign_id, size, now, after=after, until=until)
    if claims:
        return DeviceBatch(row=row, claims=claims, resent=True)
    claims, scanned_to = await repository.claim_batch(
        campaign_id, after=after, until=until, limit=size, now=now
    )
    return DeviceBatch(row=row, claims=claims, resent=False, scanned_to=scanned_to)


async def do_finish_if_done(campaign_id: uuid.UUID, now: datetime) -> bool | None:
    """`sent` once no range has anything left in flight, in doubt or to claim (True); None
    while another range is still at work; False if it was cancelled meanwhile. Each range
    checks after committing its last results, so the last one to finish sees them all."""
    if not await repository.nothing_left(campaign_id):
        return None
    return await do_finish(campaign_id, now)


def device_sends(batch: DeviceBatch) -> list[DeviceSend]:
    messages: dict[str, PushMessage] = {}
    sends = []
    for claim in batch.claims:
        language = claim.language or language_of_locale(claim.locale or "")
        if language not in batch.row.translations:
            language = "vi"
        if language not in messages:
            messages[language] = push_message(batch.row, language)
        sends.append(DeviceSend(installation_id=claim.installation_id, message=messages[language]))
    return sends


def _result(outcome: SendResult) -> tuple[str, str | None, str | None]:
    if outcome.outcome is Outcome.ACCEPTED:
        return "accepted", None, outcome.message_id
    return "failed", str(outcome.outcome), None


@dataclass(frozen=True)
class BatchReport:
    accepted: int
    failed: int
    gone: int


async def do_record_devices(
    campaign_id: uuid.UUID,
    claims: Sequence[Claim],
    results: Sequence[SendResult],
    now: datetime,
) -> BatchReport:
    """Record each push's outcome and delete the devices FCM says are gone."""
    recorded = []
    gone = []
    for claim, outcome in zip(claims, results, strict=True):
        status, error, message_id = _result(outcome)
        recorded.append(
            DeliveryResult(
                installation_id=claim.installation_id,
                status=status,
                error=error,
                message_id=message_id,
            )
        )
        if outcome.outcome in DEVICE_GONE:
            gone.append(claim.installation_id)
    await repository.record_deliveries(campaign_id, recorded, now)
    deleted = await do_remove_gone_devices(gone)
    accepted = sum(1 for r in recorded if r.status == "accepted")
    return BatchReport(accepted=accepted, failed=len(recorded) - accepted, gone=deleted)


# --- broadcasts ---------------------------------------------------------------------------------


def topic_targets(row: CampaignRow) -> list[TopicTarget]:
    """One condition per place (everyone, or each commune) and language, in a fixed order."""
    places: list[str | None] = (
        list(row.audience_communes) if row.audience_kind == AudienceKind.COMMUNES else [None]
    )
    return [
        TopicTarget(
            target=broadcast_condition(
                commune_code=place, language=language, category=row.category
            ),
            commune_code=place,
            language=language,
        )
        for place in places
        for language in LANGUAGES
    ]


@dataclass(frozen=True)
class TopicChunk:
    row: CampaignRow
    targets: list[TopicTarget]
    resent: bool


async def do_claim_topics(campaign_id: uuid.UUID, *, size: int, now: datetime) -> TopicChunk | None:
    """The next targets, claimed; None when the campaign is no longer sending (cancelled).
    In-doubt targets come first. An empty chunk: nothing is left."""
    row = await repository.get(campaign_id)
    if row is None or row.status != CampaignStatus.SENDING:
        return None
    await repository.fail_exhausted_targets(campaign_id, now)
    again = await repository.reclaim_targets_in_doubt(campaign_id, now)
    if again:
        return TopicChunk(row=row, targets=again, resent=True)
    done = await repository.claimed_targets(campaign_id)
    wanted = [t for t in topic_targets(row) if t.target not in done][:size]
    claimed = await repository.claim_targets(campaign_id, wanted, now)
    return TopicChunk(row=row, targets=claimed, resent=False)


async def send_topic_chunk(gateway: PushGateway, chunk: TopicChunk) -> list[SendResult]:
    """Send each target's message (a few at a time); one result per target, in order."""
    gate = asyncio.Semaphore(TOPIC_CONCURRENCY)

    async def one(target: TopicTarget) -> SendResult:
        async with gate:
            return await gateway.send_to_condition(
                target.target, push_message(chunk.row, target.language)
            )

    return list(await asyncio.gather(*(one(t) for t in chunk.targets)))


async def do_record_topics(
    campaign_id: uuid.UUID,
    targets: Sequence[TopicTarget],
    results: Sequence[SendResult],
    now: datetime,
) -> None:
    recorded = []
    for target, outcome in zip(targets, results, strict=True):
        status, error, message_id = _result(outcome)
        recorded.append(
            TopicResult(target=target.target, status=status, error=error, message_id=message_id)
        )
    await repository.record_targets(campaign_id, recorded, now)
