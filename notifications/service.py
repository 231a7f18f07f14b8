"""Communications' service: what other domains, the campaigns sender and the console call.
The logic lives in sub-packages; this module is their table of contents.

For every domain:

- `notify(recipients, template, data, *, deep_link=None, category)` — a personal
  notification: an inbox item per person, written in the caller's transaction, pushed to their
  devices after commit (not to people who muted a mutable `category`). `recipients` is a
  person id, a list of them, or a `RoleInUnit(role, agency=…, police_unit=…, commune=…)`.
  Templates (vi/en) are in `notifications.inbox.templates`; an unknown one raises
  `TemplateUnknown`, a missing data value `TemplateDataMissing`.

Devices and settings (`notifications.devices.service`):

- `devices_of(person_ids)` — (installation_id, person_id, locale) of their devices;
- `do_remove_gone_devices(installation_ids)` — delete devices FCM reported gone;
- `profiles_of(person_ids)` — people's notification settings (commune, language, muted);
- `get_notification_settings`, `list_categories`, `language_of_locale`, `wanted_topics`;
- `defer_topic_sync(installation_ids)` — re-sync devices' topics after commit.

Inbox (`notifications.inbox.service`):

- `unread_count(person_id)`, `list_inbox(person_id, page)`, `access_entry` — the person's
  inbox by the visibility rule documented there (the campaigns sender relies on it);
- `check_survey_answer(survey, answer)` — whether an answer fits a survey.

The province's schematic tile map of communes (`province_map()`, `ProvinceMap`) is the
console's: other domains' pages draw places on it (crime reports).

Campaigns (`notifications.campaigns`): see the campaigns section below.
"""

from __future__ import annotations

from notifications.devices.repository import ProfileRow
from notifications.devices.schemas import DeviceTarget
from notifications.devices.service import (
    defer_topic_sync,
    devices_of,
    do_remove_gone_devices,
    get_notification_settings,
    language_of_locale,
    list_categories,
    profiles_of,
    wanted_topics,
)
from notifications.inbox.service import (
    Recipients,
    RoleInUnit,
    access_entry,
    check_survey_answer,
    list_inbox,
    notify,
    resolve_recipients,
    unread_count,
)
from notifications.inbox.templates import TEMPLATES, TemplateDataMissing, TemplateUnknown
from notifications.province_map import ProvinceMap, province_map

__all__ = [
    "TEMPLATES",
    "DeviceTarget",
    "ProfileRow",
    "ProvinceMap",
    "Recipients",
    "RoleInUnit",
    "TemplateDataMissing",
    "TemplateUnknown",
    "access_entry",
    "check_survey_answer",
    "defer_topic_sync",
    "devices_of",
    "do_remove_gone_devices",
    "get_notification_settings",
    "language_of_locale",
    "list_categories",
    "list_inbox",
    "notify",
    "profiles_of",
    "province_map",
    "resolve_recipients",
    "unread_count",
    "wanted_topics",
]

# --- campaigns (the campaigns helper adds its exports here) -----------------------------------
