"""Campaigns: messages from communications staff (push + inbox, with an optional article,
image, deep link and one-question survey) to a public or internal audience, approved by a
second person, then sent in the background.

The workflow: draft → submitted (`do_submit_campaign`: its content and audience are kept as a
snapshot) → approved (`do_approve_campaign`) or scheduled (approved for a later time: the time
asked for, or the end of quiet hours for a public non-urgent campaign) → sending → sent. An
approver may return a campaign to draft with a comment (`do_return_campaign`); editing a
submitted, approved or scheduled campaign brings it back to draft. The author or an approver
cancels it (`do_cancel_campaign`) at any point before it is sent; while it is sending, the
remaining batches stop within seconds (the sender checks before each one).

Who does what: `comms_officer` writes (creates, edits, uploads lists, submits); a
`comms_approver` approves — never a campaign they wrote or were the last to change — and
returns; both read everything, including analytics. Every step is audited (ids and counts
only: never a personal identification number or a name).

The logic is split by what it does: `audience` (who is reached), `schedule` (quiet hours),
`sending` (the sender's steps, run by `notifications.campaigns.jobs`), `analytics`; this
module is the domain's entry point for campaigns and re-exports what endpoints, console pages
and demo data call.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import msgspec

from backend.access import Principal, Role
from backend.audit.service import do_record
from backend.errors import PermissionDenied
from backend.http.pagination import PageRequest, decode_cursor, encode_cursor
from backend.settings import Settings
from content import service as content
from content.errors import MediaNotForPublicUse, MediaNotFound
from notifications.campaigns import analytics, audience, repository
from notifications.campaigns.errors import (
    CampaignAckNotInternal,
    CampaignArticleInvalid,
    CampaignAudienceEmpty,
    CampaignCancelNotAllowed,
    CampaignCategoryInvalid,
    CampaignDeepLinkInvalid,
    CampaignImageInvalid,
    CampaignLastEditorApproval,
    CampaignNotCancellable,
    CampaignNotDraft,
    CampaignNotEditable,
    CampaignNotFound,
    CampaignNotListAudience,
    CampaignNotReturnable,
    CampaignNotSubmitted,
    CampaignScheduleInPast,
    CampaignSelfApproval,
    CampaignSurveyInvalid,
    CampaignTranslationInvalid,
)
from notifications.campaigns.repository import CampaignListRow, CampaignRow
from notifications.campaigns.schedule import QuietHours, plan_send
from notifications.campaigns.schemas import (
    PUBLIC_AUDIENCES,
    AudienceEstimate,
    AudienceKind,
    AudienceListResult,
    AudienceQuery,
    Campaign,
    CampaignAnalytics,
    CampaignCreate,
    CampaignPage,
    CampaignReturn,
    CampaignStatus,
    CampaignSummary,
    CampaignUpdate,
    FieldChange,
    SendPlan,
    Survey,
    SurveyKind,
    Translation,
    UnacknowledgedPage,
)
from notifications.categories import BY_CODE, LANGUAGES

WRITER_ROLES = frozenset({Role.COMMS_OFFICER})
APPROVER_ROLES = frozenset({Role.COMMS_APPROVER})
READER_ROLES = WRITER_ROLES | APPROVER_ROLES
CAMPAIGNS_ROUTE = "/api/v1/campaigns"
CURSOR_KIND = "campaigns"

EDITABLE = (
    CampaignStatus.DRAFT,
    CampaignStatus.SUBMITTED,
    CampaignStatus.APPROVED,
    CampaignStatus.SCHEDULED,
)
RETURNABLE = (CampaignStatus.SUBMITTED, CampaignStatus.APPROVED, CampaignStatus.SCHEDULED)
CANCELLABLE = (*EDITABLE, CampaignStatus.SENDING)
MIN_OPTIONS, MAX_OPTIONS = 2, 6


def _now() -> datetime:
    return datetime.now(UTC)


def quiet_hours(settings: Settings) -> QuietHours:
    return QuietHours.parse(settings.quiet_hours)


# --- who may do what ---------------------------------------------------------------------------


def check_may_read(principal: Principal | None) -> Principal:
    if principal is None or not principal.roles & READER_ROLES:
        raise PermissionDenied()
    return principal


def check_may_write(principal: Principal | None) -> Principal:
    if principal is None or not principal.roles & WRITER_ROLES:
        raise PermissionDenied()
    return principal


def check_may_approve(principal: Principal | None) -> Principal:
    if principal is None or not principal.roles & APPROVER_ROLES:
        raise PermissionDenied()
    return principal


async def _get(campaign_id: uuid.UUID) -> CampaignRow:
    row = await repository.get(campaign_id)
    if row is None:
        raise CampaignNotFound()
    return row


# --- reading -----------------------------------------------------------------------------------


async def list_campaigns(
    principal: Principal | None, page: PageRequest, *, status: CampaignStatus | None = None
) -> CampaignPage:
    """Campaigns newest first (of one status if asked), for communications staff."""
    check_may_read(principal)
    after = None
    if page.cursor:
        at, last_id = decode_cursor(page.cursor, CURSOR_KIND, (datetime, uuid.UUID))
        after = (at, last_id)
    rows = await repository.page(
        status=str(status) if status else None, after=after, limit=page.limit + 1
    )
    shown = rows[: page.limit]
    next_cursor = None
    if len(rows) > page.limit:
        next_cursor = encode_cursor(CURSOR_KIND, (shown[-1].created_at, shown[-1].id))
    return CampaignPage(items=[_summary(row) for row in shown], next_cursor=next_cursor)


async def access_campaign(
    settings: Settings,
    principal: Principal | None,
    campaign_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> Campaign:
    """One campaign, for communications staff, with what changed since the submission before
    and, until approved, when it would go out if approved now."""
    check_may_read(principal)
    return await _view(settings, await _get(campaign_id), now=now or _now())


async def count_submitted(principal: Principal) -> int:
    """How many campaigns wait for an approver (0 for anyone who is not one)."""
    if not principal.roles & APPROVER_ROLES:
        return 0
    return await repository.count_with_status(str(CampaignStatus.SUBMITTED))


async def count_by_status(principal: Principal | None) -> dict[str, int]:
    """Campaigns per status (every status present, 0 when none)."""
    check_may_read(principal)
    counts = await repository.count_by_status()
    return {str(status): counts.get(str(status), 0) for status in CampaignStatus}


async def count_returned_to(principal: Principal) -> int:
    """The caller's own drafts an approver returned with a comment."""
    if not principal.roles & WRITER_ROLES:
        return 0
    return await repository.count_returned_to(principal.id)


async def estimate_campaign(
    principal: Principal | None, campaign_id: uuid.UUID
) -> AudienceEstimate:
    """How many people and devices the campaign's audience reaches now (people who muted a
    mutable category left out)."""
    check_may_read(principal)
    row = await _get(campaign_id)
    found = await audience.reach(
        AudienceKind(row.audience_kind),
        communes=row.audience_communes,
        agencies=row.audience_agencies,
        category=row.category,
        campaign_id=row.id,
    )
    return AudienceEstimate(people=found.people, devices=found.devices, muted_excluded=found.muted)


async def estimate_audience(principal: Principal | None, query: AudienceQuery) -> AudienceEstimate:
    """The reach of an audience before the campaign is saved (the editor's live estimate; a
    list's reach is known once it is uploaded)."""
    check_may_read(principal)
    kind = query.audience_kind
    communes, agencies = await audience.check_audience(
        kind, query.audience_communes, query.audience_agencies
    )
    if query.category not in BY_CODE:
        raise CampaignCategoryInvalid()
    found = await audience.reach(
        kind, communes=communes, agencies=agencies, category=query.category, campaign_id=None
    )
    return AudienceEstimate(people=found.people, devices=found.devices, muted_excluded=found.muted)


# --- checks on content -------------------------------------------------------------------------


def check_deep_link(settings: Settings, link: str) -> None:
    """An https address, or a link in one of the app's own schemes (those of its redirect
    URIs, e.g. `vn.gov.thainguyen.cthainguyen:/tin-tuc/…`)."""
    parts = urlsplit(link)
    app_schemes = {urlsplit(uri).scheme.lower() for uri in settings.mobile_redirects}
    scheme = parts.scheme.lower()
    if scheme == "https" and parts.hostname:
        return
    if scheme and scheme in app_schemes and link[len(scheme) + 1 :].strip("/"):
        return
    raise CampaignDeepLinkInvalid()


def check_survey(survey: Survey) -> None:
    if survey.kind is SurveyKind.RATING:
        if survey.options:
            raise CampaignSurveyInvalid()
        return
    if not MIN_OPTIONS <= len(survey.options) <= MAX_OPTIONS:
        raise CampaignSurveyInvalid()


def check_translations(translations: dict[str, Translation]) -> None:
    for language in translations:
        if language == "vi" or language not in LANGUAGES:
            raise CampaignTranslationInvalid(language=language)


async def check_article(article_id: uuid.UUID, kind: AudienceKind) -> None:
    """A published article; a public campaign links only to a public one (its readers could
    not open anything else)."""
    article = await content.get_published_article(article_id)
    if article is None or (kind in PUBLIC_AUDIENCES and article.audience != "public"):
        raise CampaignArticleInvalid()


async def check_image(settings: Settings, principal: Principal | None, asset_id: uuid.UUID) -> None:
    """A ready image the writer may read, of a purpose fit for public use (with no
    `principal`, at approval, only the asset itself is checked again)."""
    try:
        asset = await content.check_public_use(settings, principal, asset_id)
    except (MediaNotFound, MediaNotForPublicUse):
        raise CampaignImageInvalid() from None
    if asset.kind != "image" or asset.status != "ready":
        raise CampaignImageInvalid()


def _check_schedule(scheduled_for: datetime | None, now: datetime) -> None:
    if scheduled_for is not None and scheduled_for < now:
        raise CampaignScheduleInPast()


async def _check_content(
    settings: Settings, principal: Principal | None, merged: dict[str, Any], changed: set[str]
) -> None:
    """Check the fields of `merged` (the campaign as it would be) that `changed` names, and
    the rules between fields."""
    kind = AudienceKind(merged["audience_kind"])
    if "category" in changed and merged["category"] not in BY_CODE:
        raise CampaignCategoryInvalid()
    if "translations" in changed:
        check_translations(merged["translations"])
    if merged["requires_ack"] and kind in PUBLIC_AUDIENCES:
        raise CampaignAckNotInternal()
    if merged["article_id"] is not None and changed & {"article_id", "audience_kind"}:
        await check_article(merged["article_id"], kind)
    if merged["image_asset_id"] is not None and "image_asset_id" in changed:
        await check_image(settings, principal, merged["image_asset_id"])
    if merged["deep_link"] is not None and "deep_link" in changed:
        check_deep_link(settings, merged["deep_link"])
    if merged["survey"] is not None and "survey" in changed:
        check_survey(merged["survey"])


# --- writing -----------------------------------------------------------------------------------


def _stored(value: Any) -> Any:
    """A Struct value as its row value (JSON columns as plain data)."""
    if isinstance(value, msgspec.Struct):
        return msgspec.to_builtins(value)
    if isinstance(value, dict):
        return {k: _stored(v) for k, v in value.items()}
    return value


async def do_create_campaign(
    settings: Settings,
    principal: Principal | None,
    data: CampaignCreate,
    *,
    now: datetime | None = None,
) -> Campaign:
    """A new draft by the caller (a communications officer)."""
    author = check_may_write(principal)
    now = now or _now()
    communes, agencies = await audience.check_audience(
        data.audience_kind, data.audience_communes, data.audience_agencies
    )
    merged = msgspec.structs.asdict(data)
    await _check_content(settings, author, merged, set(merged))
    _check_schedule(data.scheduled_for, now)
    row = await repository.insert(
        CampaignRow(
            id=uuid.uuid4(),
            title=data.title,
            body=data.body,
            translations=_stored(data.translations),
            category=data.category,
            urgent=data.urgent,
            requires_ack=data.requires_ack,
            article_id=data.article_id,
            image_asset_id=data.image_asset_id,
            deep_link=data.deep_link,
            survey=_stored(data.survey),
            audience_kind=str(data.audience_kind),
            audience_communes=communes,
            audience_agencies=agencies,
            audience_list_size=0,
            status=str(CampaignStatus.DRAFT),
            scheduled_for=data.scheduled_for,
            send_after=None,
            sent_at=None,
            author_id=author.id,
            updated_by=author.id,
            created_at=now,
            updated_at=now,
        )
    )
    await do_record(
        "campaign.create",
        actor_id=str(author.id),
        object_type="campaign",
        object_id=str(row.id),
        details={"audience_kind": row.audience_kind, "category": row.category},
    )
    return await _view(settings, row, now=now)


_CONTENT = (
    "title",
    "body",
    "translations",
    "category",
    "urgent",
    "requires_ack",
    "article_id",
    "image_asset_id",
    "deep_link",
    "survey",
    "audience_kind",
    "audience_communes",
    "audience_agencies",
    "scheduled_for",
)
"""What a writer edits (and what a submission snapshots, with the uploaded list)."""

_BACK_TO_DRAFT = {
    "status": str(CampaignStatus.DRAFT),
    "approved_by": None,
    "approved_at": None,
    "send_after": None,
}


async def do_update_campaign(
    settings: Settings,
    principal: Principal | None,
    campaign_id: uuid.UUID,
    data: CampaignUpdate,
    *,
    now: datetime | None = None,
) -> Campaign:
    """Change a campaign not yet sending. An edit that changes anything makes the caller its
    last editor (who may then not approve it), brings a submitted, approved or scheduled
    campaign back to draft, and is audited with the names of the fields changed; an edit that
    changes nothing writes nothing. Leaving the `list` audience drops the uploaded list."""
    editor = check_may_write(principal)
    now = now or _now()
    row = await _get(campaign_id)
    if row.status not in EDITABLE:
        raise CampaignNotEditable(status=row.status)
    changes = {f: v for f, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    current = {column: getattr(row, column) for column in _CONTENT}
    current["survey"] = msgspec.convert(row.survey, Survey) if row.survey is not None else None
    current["translations"] = msgspec.convert(row.translations, dict[str, Translation])
    current["audience_kind"] = AudienceKind(row.audience_kind)
    for codes in ("audience_communes", "audience_agencies"):
        if codes in changes:
            changes[codes] = sorted(set(changes[codes]))
    merged = {**current, **changes}
    if "audience_kind" in changes:
        kind = merged["audience_kind"]
        # Leaving an audience drops the codes that belonged to it.
        if kind is not AudienceKind.COMMUNES and "audience_communes" not in changes:
            merged["audience_communes"] = []
        if kind is not AudienceKind.AGENCIES and "audience_agencies" not in changes:
            merged["audience_agencies"] = []
    changed = {f for f in _CONTENT if _stored(merged[f]) != _stored(current[f])}
    if not changed:
        return await _view(settings, row, now=now)
    if changed & {"audience_kind", "audience_communes", "audience_agencies"}:
        merged["audience_communes"], merged["audience_agencies"] = await audience.check_audience(
            merged["audience_kind"], merged["audience_communes"], merged["audience_agencies"]
        )
    await _check_content(settings, editor, merged, changed)
    if "scheduled_for" in changed:
        _check_schedule(merged["scheduled_for"], now)
    values: dict[str, Any] = {f: _stored(merged[f]) for f in changed}
    if "audience_kind" in values:
        values["audience_kind"] = str(merged["audience_kind"])
    leaving_list = (
        row.audience_kind == AudienceKind.LIST and merged["audience_kind"] is not AudienceKind.LIST
    )
    if leaving_list:
        await repository.replace_list(row.id, [], now)
        values["audience_list_size"] = 0
    values |= {"updated_by": editor.id, "updated_at": now}
    back_to_draft = row.status != CampaignStatus.DRAFT
    if back_to_draft:
        values |= _BACK_TO_DRAFT
    updated = await repository.update_if(row.id, [row.status], values)
    if updated is None:  # its status moved on meanwhile (approved, started, cancelled)
        raise CampaignNotEditable()
    await do_record(
        "campaign.update",
        actor_id=str(editor.id),
        object_type="campaign",
        object_id=str(row.id),
        details={
            "fields": sorted(changed),
            **({"back_to_draft": True, "from_status": row.status} if back_to_draft else {}),
        },
    )
    return await _view(settings, updated, now=now)


async def do_upload_audience_list(
    principal: Principal | None,
    campaign_id: uuid.UUID,
    raw: bytes,
    *,
    now: datetime | None = None,
) -> AudienceListResult:
    """Replace the recipients of a `list` campaign with the people these personal
    identification numbers name (CSV or plain text, one per line). Answers and audits counts
    only. Like any edit, it makes the caller the last editor and brings a campaign that was
    submitted, approved or scheduled back to draft."""
    editor = check_may_write(principal)
    now = now or _now()
    row = await _get(campaign_id)
    if row.status not in EDITABLE:
        raise CampaignNotEditable(status=row.status)
    if row.audience_kind != AudienceKind.LIST:
        raise CampaignNotListAudience()
    parsed = audience.parse_list(raw)
    result = await audience.do_replace_list(row.id, parsed, now)
    values: dict[str, Any] = {
        "audience_list_size": result.found,
        "updated_by": editor.id,
        "updated_at": now,
    }
    back_to_draft = row.status != CampaignStatus.DRAFT
    if back_to_draft:
        values |= _BACK_TO_DRAFT
    if await repository.update_if(row.id, [row.status], values) is None:
        raise CampaignNotEditable()
    await do_record(
        "campaign.audience_list",
        actor_id=str(editor.id),
        object_type="campaign",
        object_id=str(row.id),
        details={
            "found": result.found,
            "unknown": result.unknown,
            "invalid": result.invalid,
            "duplicates": result.duplicates,
            **({"back_to_draft": True, "from_status": row.status} if back_to_draft else {}),
        },
    )
    return result


async def _snapshot(row: CampaignRow) -> dict[str, Any]:
    """The content and audience as JSON data (what a submission keeps)."""
    content = msgspec.to_builtins({c: getattr(row, c) for c in _CONTENT})
    content["audience_list_size"] = row.audience_list_size
    if row.audience_kind == AudienceKind.LIST:
        content["audience_list"] = await repository.list_digest(row.id)
    return dict(content)


def _diff(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    fields = [f for f in dict.fromkeys([*before, *after]) if before.get(f) != after.get(f)]
    return [FieldChange(field=f, before=before.get(f), after=after.get(f)) for f in fields]


async def do_submit_campaign(
    settings: Settings,
    principal: Principal | None,
    campaign_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> Campaign:
    """Send a draft to the approvers (draft → submitted). Its content and audience are kept
    as a snapshot, with what changed since the submission before (what the approver must look
    at again). A list campaign needs a list; a time asked for must not be past. A comment an
    approver left is cleared (it stays in the audit log)."""
    writer = check_may_write(principal)
    now = now or _now()
    row = await _get(campaign_id)
    if row.status != CampaignStatus.DRAFT:
        raise CampaignNotDraft(status=row.status)
    if row.audience_kind == AudienceKind.LIST and row.audience_list_size == 0:
        raise CampaignAudienceEmpty()
    _check_schedule(row.scheduled_for, now)
    content = await _snapshot(row)
    previous = (row.submitted_snapshot or {}).get("content")
    changes = _diff(previous, content) if previous is not None else None
    updated = await repository.update_if(
        row.id,
        [CampaignStatus.DRAFT],
        {
            "status": str(CampaignStatus.SUBMITTED),
            "submitted_by": writer.id,
            "submitted_at": now,
            "submitted_snapshot": {
                "content": content,
                "changes": msgspec.to_builtins(changes) if changes is not None else None,
            },
            "review_comment": None,
        },
    )
    if updated is None:
        raise CampaignNotDraft()
    await do_record(
        "campaign.submit",
        actor_id=str(writer.id),
        object_type="campaign",
        object_id=str(row.id),
        details={"changed": [c.field for c in changes] if changes is not None else None},
    )
    return await _view(settings, updated, now=now)


async def do_approve_campaign(
    settings: Settings,
    principal: Principal | None,
    campaign_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> Campaign:
    """Approve a submitted campaign: an approver who is neither its author nor the last to
    change it. It goes out at the time asked for, or now; a public non-urgent campaign whose
    time falls in quiet hours waits for their end (`scheduled`, `send_after` shown). A
    campaign to send now is handed to the sender at once (a job deferred after commit)."""
    approver = check_may_approve(principal)
    now = now or _now()
    row = await _get(campaign_id)
    if row.status != CampaignStatus.SUBMITTED:
        raise CampaignNotSubmitted(status=row.status)
    if row.author_id == approver.id:
        raise CampaignSelfApproval()
    if row.updated_by == approver.id:
        raise CampaignLastEditorApproval()
    kind = AudienceKind(row.audience_kind)
    if row.article_id is not None:
        await check_article(row.article_id, kind)
    if row.image_asset_id is not None:
        await check_image(settings, None, row.image_asset_id)
    plan = plan_send(
        now=now,
        scheduled_for=row.scheduled_for,
        public=kind in PUBLIC_AUDIENCES,
        urgent=row.urgent,
        quiet_hours=quiet_hours(settings),
    )
    immediate = plan.send_at <= now
    status = CampaignStatus.APPROVED if immediate else CampaignStatus.SCHEDULED
    updated = await repository.update_if(
        row.id,
        [CampaignStatus.SUBMITTED],
        {
            "status": str(status),
            "approved_by": approver.id,
            "approved_at": now,
            "send_after": plan.send_at,
        },
    )
    if updated is None:
        raise CampaignNotSubmitted()
    await do_record(
        "campaign.approve",
        actor_id=str(approver.id),
        object_type="campaign",
        object_id=str(row.id),
        details={
            "author": str(row.author_id),
            "status": str(status),
            "send_after": plan.send_at.isoformat(),
            "quiet_hours": plan.quiet_hours,
        },
    )
    if immediate:
        from notifications.campaigns.jobs import defer_send

        await defer_send(row.id)
    return await _view(settings, updated, now=now)


async def do_return_campaign(
    settings: Settings,
    principal: Principal | None,
    campaign_id: uuid.UUID,
    data: CampaignReturn,
    *,
    now: datetime | None = None,
) -> Campaign:
    """An approver sends a submitted, approved or scheduled campaign back to draft with a
    comment its writers see until they submit it again (audited with the comment)."""
    approver = check_may_approve(principal)
    now = now or _now()
    row = await _get(campaign_id)
    if row.status not in RETURNABLE:
        raise CampaignNotReturnable(status=row.status)
    updated = await repository.update_if(
        row.id,
        [row.status],
        {
            **_BACK_TO_DRAFT,
            "review_comment": data.comment,
            "returned_by": approver.id,
            "returned_at": now,
        },
    )
    if updated is None:
        raise CampaignNotReturnable()
    await do_record(
        "campaign.return",
        actor_id=str(approver.id),
        object_type="campaign",
        object_id=str(row.id),
        details={"from_status": row.status, "comment": data.comment},
    )
    return await _view(settings, updated, now=now)


async def do_cancel_campaign(
    settings: Settings,
    principal: Principal | None,
    campaign_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> Campaign:
    """Cancel a campaign before it is sent: its author or an approver. A campaign being sent
    stops before its next batch (what was pushed stays pushed)."""
    actor = check_may_read(principal)
    now = now or _now()
    row = await _get(campaign_id)
    if row.author_id != actor.id and not actor.roles & APPROVER_ROLES:
        raise CampaignCancelNotAllowed()
    if row.status not in CANCELLABLE:
        raise CampaignNotCancellable(status=row.status)
    updated = await repository.update_if(
        row.id,
        [row.status],
        {"status": str(CampaignStatus.CANCELLED), "cancelled_by": actor.id, "cancelled_at": now},
    )
    if updated is None:  # it finished (or was cancelled) meanwhile
        raise CampaignNotCancellable()
    await do_record(
        "campaign.cancel",
        actor_id=str(actor.id),
        object_type="campaign",
        object_id=str(row.id),
        details={"from_status": row.status},
    )
    return await _view(settings, updated, now=now)


# --- analytics ---------------------------------------------------------------------------------


async def campaign_analytics(
    principal: Principal | None, campaign_id: uuid.UUID
) -> CampaignAnalytics:
    """Reach, pushes, opens, acknowledgements, survey results, per hour and by place."""
    check_may_read(principal)
    return await analytics.build_analytics(await _get(campaign_id))


async def list_unacknowledged(
    principal: Principal | None,
    campaign_id: uuid.UUID,
    page: PageRequest,
    *,
    agency: str | None = None,
) -> UnacknowledgedPage:
    """Who has not acknowledged a campaign requiring it (person id and name, agency and
    commune), of one agency if asked. Audited: it names who did not read an instruction."""
    reader = check_may_read(principal)
    row = await _get(campaign_id)
    result = await analytics.unacknowledged_page(row, page, agency=agency)
    await do_record(
        "campaign.unacknowledged_read",
        actor_id=str(reader.id),
        object_type="campaign",
        object_id=str(row.id),
        details={"agency": agency, "results": len(result.items)},
    )
    return result


async def export_unacknowledged_csv(
    principal: Principal | None, campaign_id: uuid.UUID, *, agency: str | None = None
) -> str:
    """`list_unacknowledged` whole, as CSV. Audited."""
    reader = check_may_read(principal)
    row = await _get(campaign_id)
    text, count = await analytics.unacknowledged_csv(row, agency=agency)
    await do_record(
        "campaign.unacknowledged_export",
        actor_id=str(reader.id),
        object_type="campaign",
        object_id=str(row.id),
        details={"agency": agency, "rows": count},
    )
    return text


async def export_analytics_csv(principal: Principal | None, campaign_id: uuid.UUID) -> str:
    """`campaign_analytics` as CSV (`section,key,value`). Audited as an export."""
    reader = check_may_read(principal)
    row = await _get(campaign_id)
    text = analytics.analytics_csv(await analytics.build_analytics(row))
    await do_record(
        "campaign.analytics_export",
        actor_id=str(reader.id),
        object_type="campaign",
        object_id=str(row.id),
    )
    return text


async def find_campaign_by_title(title: str) -> uuid.UUID | None:
    """A campaign with exactly this title (demo data idempotency)."""
    return await repository.find_by_title(title)


# --- views ------------------------------------------------------------------------------------


def _summary(row: CampaignListRow) -> CampaignSummary:
    return CampaignSummary(
        id=row.id,
        title=row.title,
        status=CampaignStatus(row.status),
        category=row.category,
        urgent=row.urgent,
        requires_ack=row.requires_ack,
        audience_kind=AudienceKind(row.audience_kind),
        author_id=row.author_id,
        scheduled_for=row.scheduled_for,
        send_after=row.send_after,
        sent_at=row.sent_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _changes(row: CampaignRow) -> list[FieldChange] | None:
    snapshot = row.submitted_snapshot or {}
    if row.status == CampaignStatus.DRAFT:
        previous = snapshot.get("content")
        return _diff(previous, await _snapshot(row)) if previous is not None else None
    stored = snapshot.get("changes")
    return msgspec.convert(stored, list[FieldChange]) if stored is not None else None


def _quiet_hours_delayed(row: CampaignRow) -> bool:
    if row.send_after is None or row.approved_at is None:
        return False
    asked = row.approved_at
    if row.scheduled_for is not None and row.scheduled_for > asked:
        asked = row.scheduled_for
    return row.send_after > asked


async def _view(settings: Settings, row: CampaignRow, *, now: datetime) -> Campaign:
    plan = None
    if row.status in (CampaignStatus.DRAFT, CampaignStatus.SUBMITTED):
        planned = plan_send(
            now=now,
            scheduled_for=row.scheduled_for,
            public=AudienceKind(row.audience_kind) in PUBLIC_AUDIENCES,
            urgent=row.urgent,
            quiet_hours=quiet_hours(settings),
        )
        plan = SendPlan(computed_at=now, send_at=planned.send_at, quiet_hours=planned.quiet_hours)
    return Campaign(
        **msgspec.structs.asdict(_summary(row)),
        body=row.body,
        translations=msgspec.convert(row.translations, dict[str, Translation]),
        article_id=row.article_id,
        image_asset_id=row.image_asset_id,
        deep_link=row.deep_link,
        survey=msgspec.convert(row.survey, Survey) if row.survey is not None else None,
        audience_communes=list(row.audience_communes),
        audience_agencies=list(row.audience_agencies),
        audience_list_size=row.audience_list_size,
        quiet_hours_delayed=_quiet_hours_delayed(row),
        updated_by=row.updated_by,
        submitted_by=row.submitted_by,
        submitted_at=row.submitted_at,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
        review_comment=row.review_comment,
        returned_by=row.returned_by,
        returned_at=row.returned_at,
        cancelled_by=row.cancelled_by,
        cancelled_at=row.cancelled_at,
        sending_started_at=row.sending_started_at,
        audience_size=row.audience_size,
        devices_targeted=row.devices_targeted,
        changes=await _changes(row),
        plan=plan,
    )
