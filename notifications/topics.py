"""The FCM topics a device is subscribed to, and the conditions broadcasts are sent to.

A device follows: `citizens` (everyone), `lang-<language>` (the language its notifications come
in), `commune-<code>` (the commune its person follows, if any) and `muted-<category>` for each
category its person muted. A public campaign goes out as one condition message per target
(all citizens or a commune) and language, e.g.
`'commune-05443' in topics && 'lang-vi' in topics && !('muted-health' in topics)` — at most
three topics, within FCM's limit of five per condition.
"""

from __future__ import annotations

from collections.abc import Iterable

from notifications.categories import LANGUAGES, is_mutable

ALL_CITIZENS = "citizens"


def commune_topic(code: str) -> str:
    return f"commune-{code}"


def language_topic(language: str) -> str:
    return f"lang-{language if language in LANGUAGES else 'vi'}"


def muted_topic(category: str) -> str:
    return f"muted-{category}"


def device_topics(
    *, language: str, commune_code: str | None, muted_categories: Iterable[str]
) -> set[str]:
    """The topics a device of a person with these settings should be subscribed to."""
    topics = {ALL_CITIZENS, language_topic(language)}
    if commune_code:
        topics.add(commune_topic(commune_code))
    topics.update(muted_topic(c) for c in muted_categories if is_mutable(c))
    return topics


def broadcast_condition(*, commune_code: str | None, language: str, category: str) -> str:
    """The condition of one broadcast message: everyone (or one commune's followers) whose
    notifications come in `language`, except those who muted `category` when it can be."""
    place = commune_topic(commune_code) if commune_code else ALL_CITIZENS
    condition = f"'{place}' in topics && '{language_topic(language)}' in topics"
    if is_mutable(category):
        condition += f" && !('{muted_topic(category)}' in topics)"
    return condition
