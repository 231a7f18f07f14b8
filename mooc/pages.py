"""The MOOC's console pages, gathered from its parts: learning (catalogue, course, lessons,
certificates), quizzes, authoring and mandatory training with the managers' reports."""

from __future__ import annotations

from typing import Any

from backend.console.shell import MenuEntry
from mooc import assignment_pages, course_pages, learning_pages, quiz_pages

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
