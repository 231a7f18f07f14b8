"""The least demo data bench.http's routes need, loaded through the services when
`ctn seed` cannot be used: the public demo articles of `seed.content` (written by the demo
communications officer, published by the demo approver), without their cover image (no
upload, no media processing). Administrative units are loaded by `ctn migrate`.

Run as a script by path (`python bench/http_data.py`) with PYTHONPATH set to the tree whose
code loads the data; settings (DATABASE_URL, CTN_SECRET_KEY, …) from the environment. Prints
the slugs of the published articles, one a line.
"""

from __future__ import annotations

import asyncio


async def load() -> list[str]:
    from backend.access import Principal, Role
    from backend.db import unit_of_work
    from backend.identity.service import do_provision_person
    from backend.settings import load_settings
    from content.articles import service as articles
    from content.articles.schemas import ArticleCreate, Audience
    from seed.content import ARTICLES, COMMS_APPROVER, COMMS_OFFICER

    settings = load_settings()
    async with unit_of_work():
        officer = await do_provision_person(*COMMS_OFFICER)
        approver = await do_provision_person(*COMMS_APPROVER)
    writer = Principal(id=officer.id, roles=frozenset({Role.COMMS_OFFICER}))
    publisher = Principal(id=approver.id, roles=frozenset({Role.COMMS_APPROVER}))
    slugs = []
    for spec in ARTICLES:
        if spec["audience"] != Audience.PUBLIC:
            continue
        async with unit_of_work():
            if not await articles.find_article_slug(spec["slug"]):
                draft = ArticleCreate(
                    title=spec["title"],
                    summary=spec["summary"],
                    body=spec["body"],
                    slug=spec["slug"],
                    topic=spec["topic"],
                    byline=spec["byline"],
                    audience=spec["audience"],
                )
                await articles.do_create_article(settings, writer, draft)
                # The two-person workflow: the officer submits, the approver publishes.
                await articles.do_submit_article(writer, spec["slug"])
                await articles.do_publish_article(settings, publisher, spec["slug"])
        slugs.append(spec["slug"])
    return slugs


if __name__ == "__main__":
    for slug in asyncio.run(load()):
        print(slug)
