"""Statistics of the police (counts, weeks, medians computed by PostgreSQL) and the CSV
export (no content, audited)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx

from backend.tips.tables import Tip
from tests.tips.police_fixtures import (
    COMMUNE_A,
    COMMUNE_B,
    POLICE_API,
    audit_trail,
    file_anonymous,
    file_confidential,
    tip_id_of,
    two_units,
)

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # 16:00 in Hà Nội, a Monday


async def set_times(
    tip_id: str, created: datetime, triaged: datetime | None, closed: datetime | None
) -> None:
    await Tip.raw(
        "UPDATE tips SET created_at = {}, triaged_at = {}, closed_at = {} WHERE id = {}::uuid",
        created,
        triaged,
        closed,
        tip_id,
    )


async def test_statistics_count_by_offence_commune_status_week_and_give_the_medians(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    sup = units.a_supervisor
    ids = []
    for offences in (["drugs", "theft"], ["drugs"], ["fraud"]):
        filed, _ = await file_confidential(tips_client, COMMUNE_A, offences=offences)
        ids.append(await tip_id_of(tips_client, sup, filed["reference"]))
    elsewhere, _ = await file_confidential(tips_client, COMMUNE_B, offences=["drugs"])
    for tip_id, close in ((ids[0], True), (ids[1], False)):
        triaged = await tips_client.post(
            f"{POLICE_API}/{tip_id}/triage",
            json={"urgency": "normal", "version": 1},
            headers=sup.headers,
        )
        assert triaged.status_code == 200
        if close:
            closed = await tips_client.post(
                f"{POLICE_API}/{tip_id}/close",
                json={"outcome": "resolved", "version": 2},
                headers=sup.headers,
            )
            assert closed.status_code == 200
    await set_times(ids[0], MONDAY, MONDAY + timedelta(hours=1), MONDAY + timedelta(hours=10))
    await set_times(ids[1], MONDAY + timedelta(days=1), MONDAY + timedelta(days=1, hours=3), None)
    await set_times(ids[2], MONDAY + timedelta(days=7), None, None)

    answer = await tips_client.get(f"{POLICE_API}/statistics", headers=sup.headers)
    assert answer.status_code == 200, answer.text
    figures = answer.json()
    assert figures["units"] == ["CA-TEST-A"]
    assert figures["total"] == 3
    assert figures["by_offence"] == [
        {"key": "drugs", "count": 2},
        {"key": "fraud", "count": 1},
        {"key": "theft", "count": 1},
    ]
    assert figures["by_commune"] == [{"key": COMMUNE_A, "count": 3}]
    assert {c["key"]: c["count"] for c in figures["by_status"]} == {
        "closed": 1,
        "triaged": 1,
        "received": 1,
    }
    assert {c["key"]: c["count"] for c in figures["by_outcome"]} == {"resolved": 1, None: 2}
    assert figures["by_week"] == [
        {"week": "2026-11-02", "received": 2, "closed": 1},
        {"week": "2026-11-09", "received": 1, "closed": 0},
    ]
    assert figures["median_hours_to_triage"] == 2.0  # percentile_cont of 1 h and 3 h
    assert figures["median_hours_to_close"] == 10.0

    period = await tips_client.get(
        f"{POLICE_API}/statistics",
        params={"from": (MONDAY + timedelta(days=6)).isoformat()},
        headers=sup.headers,
    )
    assert period.json()["total"] == 1
    other = await tips_client.get(
        f"{POLICE_API}/statistics", params={"unit": "CA-TEST-B"}, headers=sup.headers
    )
    assert (other.status_code, other.json()["code"]) == (422, "tip_filter_invalid")
    b_figures = (
        await tips_client.get(f"{POLICE_API}/statistics", headers=units.b_officer.headers)
    ).json()
    assert b_figures["total"] == 1
    assert elsewhere["reference"]


async def test_the_csv_export_lists_reports_without_content_and_is_audited(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    filed, _ = await file_confidential(tips_client, COMMUNE_A, ongoing_danger=True)
    anonymous = await file_anonymous(tips_client, COMMUNE_A)
    answer = await tips_client.get(f"{POLICE_API}/export.csv", headers=units.a_supervisor.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == 'attachment; filename="tin-bao.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {r["reference"] for r in rows} == {filed["reference"], anonymous["reference"]}
    mine = next(r for r in rows if r["reference"] == filed["reference"])
    assert (mine["kind"], mine["ongoing_danger"], mine["unit_code"], mine["status"]) == (
        "confidential",
        "yes",
        "CA-TEST-A",
        "received",
    )
    assert mine["received_at"].endswith("+07:00")
    assert "ma túy" not in answer.text and "Nguyễn" not in answer.text
    # This supervisor's exports only: tests that really commit leave other units' entries.
    exports = [
        e for e in await audit_trail("tip.export") if e.actor_id == str(units.a_supervisor.id)
    ]
    assert [(e.details["rows"], e.details["units"]) for e in exports] == [(2, ["CA-TEST-A"])]
