"""The content demo data: published articles for each audience, loaded once."""

from __future__ import annotations

from typing import Any

import httpx

from backend.devidp.people import AGENCIES
from backend.identity.schemas import Agency
from backend.identity.service import do_upsert_agency
from seed.content import ARTICLES, seed_content


async def test_the_demo_articles_are_published_for_their_audiences_once(
    client: httpx.AsyncClient, settings: Any
) -> None:
    for agency in AGENCIES:  # the identity demo data, loaded before content's
        await do_upsert_agency(Agency(code=agency.code, name=agency.name))
    await seed_content(settings)
    await seed_content(settings)  # a second run changes nothing

    public = (await client.get("/api/v1/articles")).json()["items"]
    assert {a["slug"] for a in public} == {a["slug"] for a in ARTICLES if a["audience"] == "public"}
    found = (await client.get("/api/v1/articles", params={"q": "an ninh trat tu"})).json()
    assert "an-ninh-trat-tu-dip-cuoi-nam" in {a["slug"] for a in found["items"]}
    with_cover = next(a for a in public if a["cover"])
    assert (await client.get(with_cover["cover"]["thumbnail_url"])).status_code == 302
    article = (await client.get("/api/v1/articles/trien-khai-de-an-06-tren-dia-ban-tinh")).json()
    assert "<strong>C-ThaiNguyen</strong>" in article["body_html"]
