"""What crosses HTTP for the inbox."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated

import msgspec


class EntryKind(enum.StrEnum):
    CAMPAIGN = "campaign"
    """From communications staff (an announcement, a circular), maybe with a survey."""
    ITEM = "item"
    """A personal notification from another part of the app (a report, a payment, a course)."""


class SurveyKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    RATING = "rating"


class Survey(msgspec.Struct, frozen=True, kw_only=True):
    kind: SurveyKind
    question: str
    options: list[str]
    """The choices (single, multiple), by index; empty for a 1–5 rating."""
    answer: list[int] | None
    """The person's answer: option indexes, or the rating as one number; None if none yet."""
    answered_at: datetime | None


class InboxImage(msgspec.Struct, frozen=True, kw_only=True):
    asset_id: uuid.UUID
    url: str
    """A stable link that redirects to a freshly signed image URL."""


class InboxEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    kind: EntryKind
    title: str
    body: str
    language: str
    """The language `title` and `body` are in: the person's, or Vietnamese when the entry
    has no translation into it."""
    category: str
    urgent: bool
    deep_link: str | None
    article_id: uuid.UUID | None
    image: InboxImage | None
    requires_ack: bool
    survey: Survey | None
    created_at: datetime
    """When it reached the inbox (a campaign: when its sending started)."""
    opened_at: datetime | None
    acknowledged_at: datetime | None


class InboxPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[InboxEntry]
    next_cursor: str | None
    unread_count: int
    """Entries in the whole inbox not opened yet."""


class UnreadCount(msgspec.Struct, frozen=True, kw_only=True):
    unread_count: int


class SurveyAnswerCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """`choices` (option indexes: exactly one for a single-choice survey, one or more for
    multiple choice) or `rating` (1–5). Answering again replaces the earlier answer."""

    # Ranges are checked against the survey (`inbox_survey_answer_invalid`), not here, so that
    # every answer that does not fit is refused with the same code.
    choices: Annotated[list[int], msgspec.Meta(max_length=100)] | None = None
    rating: int | None = None
