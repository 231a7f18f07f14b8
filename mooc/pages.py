"""The MOOC's console pages, gathered from its parts: learning (catalogue, course, lessons,
certificates), quizzes, authoring and mandatory training with the managers' reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from backend.access import Principal, Role
from backend.console.shell import Attention, MenuEntry
from backend.console.shell import url as console_url
from mooc import assignment_pages, course_pages, courses, learning_pages, quiz_pages

PAGES: list[Any] = [
    *course_pages.PAGES,
    *learning_pages.PAGES,
    *quiz_pages.PAGES,
    *assignment_pages.PAGES,
]

MENU: list[MenuEntry] = [
    *course_pages.MENU,
    *learning_pages.MENU,
    *quiz_pages.MENU,
    *assignment_pages.MENU,
]

DUE_SOON = timedelta(days=7)


async def attention(principal: Principal) -> list[Attention]:
    """A learner's mandatory courses overdue or due within a week; for managers and course
    admins, the learners overdue in their agencies."""
    cards = await assignment_pages.attention(principal)
    if Role.CIVIL_SERVANT not in principal.roles:
        return cards
    now = datetime.now(UTC)
    mine = await courses.list_my_courses(principal.id, now=now)
    pending = [c for c in mine.items if c.due_at is not None and c.completed_at is None]
    overdue = [c for c in pending if c.overdue]
    soon = [c for c in pending if not c.overdue and c.due_at and c.due_at - now <= DUE_SOON]
    if overdue:
        cards.append(
            Attention(
                title_vi="Khoá học bắt buộc đã quá hạn",
                title_en="Mandatory courses overdue",
                href=console_url("/learn"),
                count=len(overdue),
                detail_vi=", ".join(c.title for c in overdue[:3]),
                detail_en=", ".join(c.title for c in overdue[:3]),
                tone="bad",
            )
        )
    if soon:
        cards.append(
            Attention(
                title_vi="Khoá học bắt buộc sắp đến hạn",
                title_en="Mandatory courses due within a week",
                href=console_url("/learn"),
                count=len(soon),
                detail_vi=", ".join(c.title for c in soon[:3]),
                detail_en=", ".join(c.title for c in soon[:3]),
                tone="warn",
            )
        )
    return cards
