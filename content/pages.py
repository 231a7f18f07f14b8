"""Staff console pages of content (see backend.console.shell): articles (content.articles.pages)
and the media library (content.media_pages); templates in content/templates/."""

from __future__ import annotations

from typing import Any

from backend.access import Principal
from backend.console.shell import Attention, MenuEntry
from content import media_pages
from content.articles import pages as article_pages

PAGES: list[Any] = [*article_pages.PAGES, *media_pages.PAGES]
MENU: list[MenuEntry] = [*article_pages.MENU, *media_pages.MENU]


async def attention(principal: Principal) -> list[Attention]:
    return [*await article_pages.attention(principal), *await media_pages.attention(principal)]
