"""What crosses HTTP for devices and notification settings."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated, Literal, NamedTuple, get_args

import msgspec

from notifications.categories import LANGUAGES

INSTALLATION_ID_PATTERN = r"^[A-Za-z0-9._~-]{1,255}$"
"""A Firebase Installation ID is 22 characters of base64url today, but any 1–255 characters
unreserved in a URL (RFC 3986: letters, digits, `-._~`) are accepted: the column holds 255,
the id is put as-is into FCM's per-device topic URL (`…/registrations/<id>/…`), so it must
need no escaping, and pinning today's length would refuse a future format (or the ids of
emulators and test builds) for nothing we gain."""

InstallationId = Annotated[str, msgspec.Meta(pattern=INSTALLATION_ID_PATTERN)]
AppVersion = Annotated[str, msgspec.Meta(pattern=r"^[\x21-\x7e]{1,40}$")]
"""Printable ASCII without spaces (`3.2.1`, `3.2.1+204`)."""
Locale = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,2}$")]
"""The language the app shows: `vi`, `en`, `tay`, `nung`, `hmn`, `dao`, or a BCP 47 tag
(`vi-VN`) whose first part is used."""
CommuneCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{5}$")]
CategoryCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{1,40}$")]
LanguageCode = Literal["vi", "en", "tay", "nung", "hmn", "dao"]
# The settings' language is one of `categories.LANGUAGES`: kept equal by this check.
assert set(get_args(LanguageCode)) == set(LANGUAGES)


class Platform(enum.StrEnum):
    ANDROID = "android"
    IOS = "ios"
    WEB = "web"


class DeviceRegistration(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    platform: Platform
    app_version: AppVersion
    locale: Locale


class Device(msgspec.Struct, frozen=True, kw_only=True):
    installation_id: str
    platform: str
    app_version: str
    locale: str
    topics: list[str]
    """The FCM topics this device is subscribed to, as last synced."""
    topics_synced_at: datetime | None
    """None while its topics are not yet (or not fully) in step with the person's settings."""
    created_at: datetime
    refreshed_at: datetime


class DeviceList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Device]


class DeviceTarget(NamedTuple):
    """A device to push to (for the campaigns sender and `notify`)."""

    installation_id: str
    person_id: uuid.UUID
    locale: str


# --- notification settings ------------------------------------------------------------------


class NotificationSettings(msgspec.Struct, frozen=True, kw_only=True):
    commune_code: str | None
    """The commune whose news the person follows (campaigns to communes)."""
    language: str
    """The language notifications come in (Vietnamese when a campaign has no translation)."""
    muted_categories: list[str]
    updated_at: datetime | None
    """None while the person has never changed the defaults."""


class NotificationSettingsUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The whole settings (PUT replaces them)."""

    commune_code: CommuneCode | None
    """A commune of the province (`GET /api/v1/admin-units`), or null for none."""
    language: LanguageCode
    muted_categories: Annotated[list[CategoryCode], msgspec.Meta(max_length=40)]
    """Codes from `GET /api/v1/notification-categories`; only `mutable` ones may be muted."""


class NotificationCategory(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name_vi: str
    name_en: str
    mutable: bool
    """False for emergency alerts, internal circulars and one's own crime reports."""


class NotificationLanguage(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name_vi: str
    name_en: str


class NotificationCategoryList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[NotificationCategory]
    languages: list[NotificationLanguage]
    """The languages notifications may come in."""
