"""The police queue: its order (urgency, then age), cursor pages, filters, the reference and
content searches (audited, bounded), the counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec

from backend.settings import get_settings, use_settings
from backend.tips.police_repository import QueueQuery, Scope, queue_page
from backend.tips.tables import Tip
from backend.tips.workflow import RANK_SQL, Urgency, queue_rank
from tests.tips.police_fixtures import (
    COMMUNE_A,
    POLICE_API,
    audit_trail,
    file_anonymous,
    file_confidential,
    queue,
    tip_id_of,
    two_units,
)


async def triage(client: httpx.AsyncClient, who: Any, tip_id: str, urgency: str) -> None:
    answer = await client.post(
        f"{POLICE_API}/{tip_id}/triage",
        json={"urgency": urgency, "version": 1},
        headers=who.headers,
    )
    assert answer.status_code == 200, answer.text


async def backdate(tip_id: str, hours: float) -> None:
    """Received `hours` ago (reports filed in one test are seconds apart)."""
    at = datetime.now(UTC) - timedelta(hours=hours)
    await Tip.raw("UPDATE tips SET created_at = {} WHERE id = {}::uuid", at, tip_id)


async def test_the_queue_is_most_urgent_first_then_oldest_and_pages_by_cursor(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    officer = units.a_officer
    made: dict[str, str] = {}
    for name, hours, urgency, danger in (
        ("low-old", 50, "low", False),
        ("normal", 40, "normal", False),
        ("untriaged-old", 30, None, False),
        ("untriaged-new", 1, None, False),
        ("danger-now", 2, None, True),
        ("high", 3, "high", False),
        ("emergency", 4, "emergency", False),
    ):
        filed, _ = await file_confidential(tips_client, COMMUNE_A, ongoing_danger=danger)
        tip_id = await tip_id_of(tips_client, officer, filed["reference"])
        if urgency:
            await triage(tips_client, officer, tip_id, urgency)
        await backdate(tip_id, hours)
        made[tip_id] = name
    expected = [
        "emergency",
        "danger-now",
        "high",
        "untriaged-old",
        "untriaged-new",
        "normal",
        "low-old",
    ]
    assert [made[t["id"]] for t in await queue(tips_client, officer)] == expected

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await tips_client.get(POLICE_API, params=params, headers=officer.headers)).json()
        seen += [made[t["id"]] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected

    bad = await tips_client.get(POLICE_API, params={"cursor": "nonsense"}, headers=officer.headers)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")


async def test_the_sql_order_is_the_rules_order() -> None:
    """`RANK_SQL` (what the repository sorts by) computes `queue_rank`."""
    for urgency in [*Urgency, None]:
        for danger in (False, True):
            rows = await Tip.raw(
                f"SELECT {RANK_SQL.replace('tips.', 't.')} AS rank"
                " FROM (SELECT {}::text AS urgency, {}::bool AS ongoing_danger) AS t",
                str(urgency) if urgency else None,
                danger,
            )
            assert rows[0]["rank"] == queue_rank(urgency, danger)


async def test_filters_narrow_the_queue(tips_client: httpx.AsyncClient) -> None:
    units = await two_units()
    officer, supervisor = units.a_officer, units.a_supervisor
    drugs, _ = await file_confidential(tips_client, COMMUNE_A, offences=["drugs"])
    theft, _ = await file_confidential(tips_client, COMMUNE_A, offences=["theft"])
    drugs_id = await tip_id_of(tips_client, officer, drugs["reference"])
    theft_id = await tip_id_of(tips_client, officer, theft["reference"])
    await triage(tips_client, officer, theft_id, "high")
    assign = await tips_client.post(
        f"{POLICE_API}/{theft_id}/assign",
        json={"officer_id": str(officer.id), "version": 2},
        headers=supervisor.headers,
    )
    assert assign.status_code == 200
    await backdate(drugs_id, 72)

    async def ids(**params: Any) -> list[str]:
        return [t["id"] for t in await queue(tips_client, supervisor, **params)]

    assert await ids(offence="drugs") == [drugs_id]
    assert await ids(offence=["drugs", "theft"]) == [theft_id, drugs_id]
    assert await ids(status="assigned") == [theft_id]
    assert await ids(urgency="high") == [theft_id]
    assert await ids(urgency="none") == [drugs_id]
    assert await ids(assigned="none") == [drugs_id]
    assert await ids(assigned=str(officer.id)) == [theft_id]
    assert [t["id"] for t in await queue(tips_client, officer, assigned="me")] == [theft_id]
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert await ids(**{"from": since}) == [theft_id]
    assert await ids(to=since) == [drugs_id]
    assert await ids(commune=COMMUNE_A, unit="CA-TEST-A") == [theft_id, drugs_id]
    assert await ids(unit="CA-TEST-B") == []
    bad = await tips_client.get(
        POLICE_API, params={"from": since, "to": since}, headers=supervisor.headers
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "tip_filter_invalid")
    closed = await tips_client.post(
        f"{POLICE_API}/{drugs_id}/close",
        json={"outcome": "unfounded", "version": 1},
        headers=supervisor.headers,
    )
    assert closed.status_code == 200
    assert await ids() == [theft_id]
    assert await ids(status="closed") == [drugs_id]


async def test_a_reference_is_found_whole_or_by_its_last_digits(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    filed = await file_anonymous(tips_client, COMMUNE_A)
    reference = filed["reference"]
    digits = reference.rsplit("-", 1)[1].lstrip("0")
    for q in (reference, reference.lower(), digits):
        found = await queue(tips_client, units.a_officer, q=q)
        assert [t["reference"] for t in found] == [reference], q
    assert await audit_trail("tip.search") == []


async def test_words_are_searched_in_the_decrypted_content_and_the_search_is_audited(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    market, _ = await file_confidential(
        tips_client, COMMUNE_A, description="Trộm xe máy ở chợ Đồng Quang lúc sáng sớm."
    )
    await file_confidential(tips_client, COMMUNE_A, description="Đánh bạc ở quán nước.")
    named, _ = await file_confidential(
        tips_client, COMMUNE_A, people=[{"name": "Hoàng Văn Quang", "phone": "0912345678"}]
    )
    market_id = await tip_id_of(tips_client, units.a_officer, market["reference"])
    named_id = await tip_id_of(tips_client, units.a_officer, named["reference"])

    answer = await tips_client.get(
        POLICE_API, params={"q": "cho dong quang"}, headers=units.a_officer.headers
    )
    page = answer.json()
    assert [t["id"] for t in page["items"]] == [market_id]
    assert page["search"]["complete"] is True
    assert page["search"]["scanned"] == 3
    assert [t["id"] for t in await queue(tips_client, units.a_officer, q="QUANG")] == [
        market_id,
        named_id,
    ]
    assert [t["id"] for t in await queue(tips_client, units.a_officer, q="0912345678")] == [
        named_id
    ]
    assert await queue(tips_client, units.b_officer, q="quang") == []
    searches = await audit_trail("tip.search")
    assert searches[0].actor_id == str(units.a_officer.id)
    assert searches[0].details["matched"] == [market_id]
    assert "quang" not in str(searches[0].details).lower()


async def test_a_search_stops_at_its_bound_and_goes_on_from_its_cursor(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    for _ in range(11):
        await file_confidential(tips_client, COMMUNE_A)
    target, _ = await file_confidential(tips_client, COMMUNE_A, description="Khói lạ ở kho.")
    before = get_settings()
    use_settings(msgspec.structs.replace(before, tips_search_scan_limit=10))
    try:
        first = (
            await tips_client.get(POLICE_API, params={"q": "khoi"}, headers=units.a_officer.headers)
        ).json()
        assert first["items"] == []
        assert first["search"] == {"scanned": 10, "scan_limit": 10, "complete": False}
        assert first["next_cursor"]
        second = (
            await tips_client.get(
                POLICE_API,
                params={"q": "khoi", "cursor": first["next_cursor"]},
                headers=units.a_officer.headers,
            )
        ).json()
    finally:
        use_settings(before)
    assert [t["reference"] for t in second["items"]] == [target["reference"]]
    assert second["search"] == {"scanned": 2, "scan_limit": 10, "complete": True}
    assert second["next_cursor"] is None
    assert [e.details["scanned"] for e in await audit_trail("tip.search")] == [10, 2]


async def test_counts_of_the_open_queue(tips_client: httpx.AsyncClient) -> None:
    units = await two_units()
    first, _ = await file_confidential(tips_client, COMMUNE_A, ongoing_danger=True)
    second, _ = await file_confidential(tips_client, COMMUNE_A)
    second_id = await tip_id_of(tips_client, units.a_officer, second["reference"])
    await triage(tips_client, units.a_officer, second_id, "normal")
    answer = await tips_client.get(f"{POLICE_API}/counts", headers=units.a_officer.headers)
    counts = answer.json()
    assert counts["by_status"] == {"received": 1, "triaged": 1, "assigned": 0, "investigating": 0}
    assert counts["by_urgency"]["none"] == 1 and counts["by_urgency"]["normal"] == 1
    assert counts["emergencies_untriaged"] == 1
    assert answer.headers["etag"]
    again = await tips_client.get(
        f"{POLICE_API}/counts",
        headers={**units.a_officer.headers, "If-None-Match": answer.headers["etag"]},
    )
    assert again.status_code == 304
    assert first["reference"]


async def test_the_repository_never_returns_another_units_report(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    await file_confidential(tips_client, COMMUNE_A)
    scope = Scope(person_id=units.b_officer.id, units=("CA-TEST-B",), provincial=False)
    assert await queue_page(scope, QueueQuery(), after=None, limit=10) == []
