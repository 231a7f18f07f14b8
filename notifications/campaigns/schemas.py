"""What crosses HTTP for campaigns."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    """Waiting for an approver."""
    APPROVED = "approved"
    """Approved to go out now: the sender starts it within moments."""
    SCHEDULED = "scheduled"
    """Approved to go out at `send_after` (the time asked for, or the end of quiet hours)."""
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class AudienceKind(enum.StrEnum):
    CITIZENS = "citizens"
    """Every citizen of the province (public: FCM topics)."""
    COMMUNES = "communes"
    """The citizens following the listed communes (public: FCM topics)."""
    CIVIL_SERVANTS = "civil_servants"
    """Every civil servant (internal: device by device, one inbox row each)."""
    AGENCIES = "agencies"
    """The civil servants of the listed agencies (internal)."""
    LIST = "list"
    """The people of an uploaded list of personal identification numbers."""


PUBLIC_AUDIENCES = frozenset({AudienceKind.CITIZENS, AudienceKind.COMMUNES})


class SurveyKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    RATING = "rating"
    """1 to 5 stars; no options."""


Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Body = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
CommuneCode = Annotated[str, msgspec.Meta(pattern=r"^\d{5}$")]
AgencyCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
Category = Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{1,40}$")]
Language = Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2,8}$")]
DeepLink = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Comment = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Question = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
OptionLabel = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
"""With its offset (`2026-12-01T08:00:00+07:00`)."""


class Translation(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    title: Title
    body: Body


class SurveyOption(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    label: OptionLabel
    """Vietnamese."""
    label_en: OptionLabel | None = None


class Survey(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One question to evaluate the campaign, answered from the inbox."""

    question: Question
    """Vietnamese."""
    question_en: Question | None = None
    kind: SurveyKind
    options: list[SurveyOption] = []
    """2–6 for single and multiple choice; none for a rating."""


class CampaignCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    """Vietnamese (required); other languages in `translations`."""
    body: Body
    translations: dict[Language, Translation] = {}
    """By language code (`en`, `tay`, `nung`, `hmn`, `dao`); a device whose language has none
    gets the Vietnamese text."""
    category: Category
    """A notification category (`notifications.categories`); mandatory ones
    (emergency, circular) reach people who muted everything else."""
    urgent: bool = False
    """Public campaigns only: pushed at once even in quiet hours, at high priority."""
    requires_ack: bool = False
    """Internal audiences only (civil servants, agencies, list): each recipient confirms."""
    article_id: uuid.UUID | None = None
    """A published article the campaign links to."""
    image_asset_id: uuid.UUID | None = None
    """A ready image uploaded through `POST /api/v1/media` (a purpose fit for public use)."""
    deep_link: DeepLink | None = None
    """Where a tap leads: one of the app's links or an https address."""
    survey: Survey | None = None
    audience_kind: AudienceKind
    audience_communes: list[CommuneCode] = []
    """For `communes`: commune (ward) codes of the province."""
    audience_agencies: list[AgencyCode] = []
    """For `agencies`: agency codes."""
    scheduled_for: AwareDatetime | None = None
    """When to send (none: as soon as approved); moved out of quiet hours when it must."""


class CampaignUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields to change; absent fields stay, `null` clears an optional one. Editing a
    submitted, approved or scheduled campaign brings it back to draft."""

    title: Title | msgspec.UnsetType = msgspec.UNSET
    body: Body | msgspec.UnsetType = msgspec.UNSET
    translations: dict[Language, Translation] | msgspec.UnsetType = msgspec.UNSET
    category: Category | msgspec.UnsetType = msgspec.UNSET
    urgent: bool | msgspec.UnsetType = msgspec.UNSET
    requires_ack: bool | msgspec.UnsetType = msgspec.UNSET
    article_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    image_asset_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    deep_link: DeepLink | msgspec.UnsetType | None = msgspec.UNSET
    survey: Survey | msgspec.UnsetType | None = msgspec.UNSET
    audience_kind: AudienceKind | msgspec.UnsetType = msgspec.UNSET
    audience_communes: list[CommuneCode] | msgspec.UnsetType = msgspec.UNSET
    audience_agencies: list[AgencyCode] | msgspec.UnsetType = msgspec.UNSET
    scheduled_for: AwareDatetime | msgspec.UnsetType | None = msgspec.UNSET


class CampaignReturn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An approver sends a campaign back to its writers."""

    comment: Comment
    """What to change (shown to the writers until they submit again)."""


class AudienceQuery(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An audience to estimate before a campaign is saved (the editor's live estimate)."""

    audience_kind: AudienceKind
    audience_communes: list[CommuneCode] = []
    audience_agencies: list[AgencyCode] = []
    category: Category = "announcement"


class FieldChange(msgspec.Struct, frozen=True, kw_only=True):
    """One field that differs from the version submitted before."""

    field: str
    before: Any
    after: Any


class SendPlan(msgspec.Struct, frozen=True, kw_only=True):
    """When the campaign would go out if approved at `computed_at`."""

    computed_at: datetime
    send_at: datetime
    quiet_hours: bool
    """The time was moved to the end of quiet hours (public, non-urgent campaigns)."""


class CampaignSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    title: str
    status: CampaignStatus
    category: str
    urgent: bool
    requires_ack: bool
    audience_kind: AudienceKind
    author_id: uuid.UUID
    scheduled_for: datetime | None
    send_after: datetime | None
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime


class Campaign(CampaignSummary, frozen=True, kw_only=True):
    body: str
    translations: dict[str, Translation]
    article_id: uuid.UUID | None
    image_asset_id: uuid.UUID | None
    deep_link: str | None
    survey: Survey | None
    audience_communes: list[str]
    audience_agencies: list[str]
    audience_list_size: int
    """People found from the uploaded list."""
    quiet_hours_delayed: bool
    """`send_after` is the end of quiet hours, later than the time asked for."""
    updated_by: uuid.UUID
    """The last person to change its content (who may not approve it)."""
    submitted_by: uuid.UUID | None
    submitted_at: datetime | None
    approved_by: uuid.UUID | None
    approved_at: datetime | None
    review_comment: str | None
    """Why an approver returned it to draft (until it is submitted again)."""
    returned_by: uuid.UUID | None
    returned_at: datetime | None
    cancelled_by: uuid.UUID | None
    cancelled_at: datetime | None
    sending_started_at: datetime | None
    audience_size: int | None
    """People addressed, fixed when sending started."""
    devices_targeted: int | None
    changes: list[FieldChange] | None
    """What differs from the version submitted before: for a draft, what was changed since it
    was last submitted; once submitted, what changed since the submission before (what the
    approver must look at again). None when there is no earlier submission."""
    plan: SendPlan | None
    """Before approval: when it would go out if approved now (quiet hours shown)."""


class CampaignPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[CampaignSummary]
    next_cursor: str | None


class AudienceListResult(msgspec.Struct, frozen=True, kw_only=True):
    """Counts only: the numbers themselves are never echoed."""

    found: int
    """Distinct people found: the campaign's list now."""
    unknown: int
    """Well-formed numbers of nobody known here."""
    invalid: int
    """Lines that are not a 12-digit number."""
    duplicates: int


class AudienceEstimate(msgspec.Struct, frozen=True, kw_only=True):
    people: int
    """People the campaign would reach (those who muted a mutable category left out)."""
    devices: int
    """Their registered devices."""
    muted_excluded: int
    """People left out because they muted the category (0 for mandatory categories)."""


# --- analytics ---------------------------------------------------------------------------------


class PushCounts(msgspec.Struct, frozen=True, kw_only=True):
    accepted: int
    """Accepted by FCM (device sends), or topic/condition messages accepted (public)."""
    failed: dict[str, int]
    """By reason (FCM error class, or `in_doubt`)."""
    pending: int
    """Claimed and not answered yet."""


class OptionTally(msgspec.Struct, frozen=True, kw_only=True):
    option: int
    """Option index (0-based), or the rating (1–5)."""
    label: str
    count: int


class SurveyResults(msgspec.Struct, frozen=True, kw_only=True):
    kind: SurveyKind
    question: str
    respondents: int
    tallies: list[OptionTally]
    """Per option (choices; a multiple-choice answer counts once per option chosen), or the
    rating distribution."""
    average_rating: float | None = None


class HourPoint(msgspec.Struct, frozen=True, kw_only=True):
    hour: datetime
    """Start of the hour (UTC)."""
    accepted: int
    opened: int
    acknowledged: int


class PlaceCounts(msgspec.Struct, frozen=True, kw_only=True):
    code: str | None
    """Commune or agency code (None: unknown)."""
    recipients: int
    """People addressed there (internal campaigns); for public ones, people who opened."""
    opened: int
    acknowledged: int


class CampaignAnalytics(msgspec.Struct, frozen=True, kw_only=True):
    campaign_id: uuid.UUID
    status: CampaignStatus
    audience_kind: AudienceKind
    audience_size: int | None
    devices_targeted: int | None
    push: PushCounts
    """Device sends (internal and list audiences)."""
    topic_messages: PushCounts
    """Topic/condition messages (public audiences; FCM fans them out to devices)."""
    opened: int
    """People who opened it (unique per person)."""
    acknowledged: int
    unacknowledged: int | None
    """Recipients who have not acknowledged (campaigns requiring it)."""
    survey: SurveyResults | None
    hourly: list[HourPoint]
    by_commune: list[PlaceCounts]
    by_agency: list[PlaceCounts]


class UnacknowledgedPerson(msgspec.Struct, frozen=True, kw_only=True):
    person_id: uuid.UUID
    full_name: str | None = None
    """As the identity provider gave it (None if it gave none)."""
    agency_code: str | None
    commune_code: str | None
    opened_at: datetime | None
    """Opened without confirming, or never opened (None)."""


class UnacknowledgedPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[UnacknowledgedPerson]
    next_cursor: str | None
    total: int
    """Recipients (of the agency, if one was asked) who have not acknowledged."""
