"""Retention: a closed report's content, messages and files are purged when its outcome's
period is over — storage objects included, once the purge commits — its statistics row
stays, and each purge is audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec

from backend.db import unit_of_work
from backend.tips import repository, retention
from backend.tips.tables import Tip
from content.service import get_storage
from tests.tips.conftest import photo_with_gps
from tests.tips.police_fixtures import (
    COMMUNE_A,
    POLICE_API,
    Units,
    audit_trail,
    file_confidential,
    tip_id_of,
    two_units,
)


async def closed_report(
    client: httpx.AsyncClient, units: Units, outcome: str, days_ago: int, *, photo: bool = False
) -> tuple[str, dict[str, Any], dict[str, str]]:
    filed, reporter = await file_confidential(client, COMMUNE_A)
    if photo:
        uploaded = await client.post(
            f"/api/v1/tips/mine/{filed['reference']}/attachments",
            files={"file": ("anh.jpg", photo_with_gps(), "image/jpeg")},
            headers=reporter,
        )
        assert uploaded.status_code == 201, uploaded.text
    tip_id = await tip_id_of(client, units.a_supervisor, filed["reference"])
    sent = await client.post(
        f"{POLICE_API}/{tip_id}/messages", json={"body": "Cảm ơn."}, headers=units.a_officer.headers
    )
    assert sent.status_code == 201
    closed = await client.post(
        f"{POLICE_API}/{tip_id}/close",
        json={"outcome": outcome, "note": "Ghi chú nội bộ", "version": 1},
        headers=units.a_supervisor.headers,
    )
    assert closed.status_code == 200, closed.text
    async with unit_of_work():
        await Tip.raw(
            "UPDATE tips SET closed_at = {} WHERE id = {}::uuid",
            datetime.now(UTC) - timedelta(days=days_ago),
            tip_id,
        )
    return tip_id, filed, reporter


async def test_the_purge_removes_content_files_and_objects_keeps_the_statistics_and_audits(
    committed_tips_client: httpx.AsyncClient, tips_settings: Any
) -> None:
    client = committed_tips_client
    units = await two_units()
    due, filed, reporter = await closed_report(client, units, "unfounded", 366, photo=True)
    kept_resolved, _, _ = await closed_report(client, units, "resolved", 366)
    kept_recent, _, _ = await closed_report(client, units, "unfounded", 300)
    async with unit_of_work():
        files = await repository.attachments_of(uuid.UUID(due))
    keys = [k for f in files for k in (f.view_key, f.original_key) if k]
    assert len(keys) == 2
    store = get_storage(tips_settings)
    assert all([await store.stat(key) for key in keys])

    assert await retention.purge_all_due(tips_settings) == 1

    assert [await store.stat(key) for key in keys] == [None, None]
    async with unit_of_work():
        rows = await Tip.raw(
            "SELECT sealed, data_key, key_id, reporter_id, receipt_hash, purged_at, status,"
            " outcome, offences, commune_code, unit_code, closed_at, created_at"
            " FROM tips WHERE id = {}::uuid",
            due,
        )
        left = await Tip.raw(
            "SELECT (SELECT count(*) FROM tip_messages WHERE tip_id = {}::uuid) AS messages,"
            " (SELECT count(*) FROM tip_attachments WHERE tip_id = {}::uuid) AS files,"
            " (SELECT count(*) FROM tips WHERE purged_at IS NOT NULL) AS purged,"
            " (SELECT count(*) FROM tip_events WHERE tip_id = {}::uuid AND detail ? 'sealed')"
            " AS sealed_texts",
            due,
            due,
            due,
        )
    row = rows[0]
    assert (row["sealed"], row["data_key"], row["key_id"], row["reporter_id"]) == (
        None,
        None,
        None,
        None,
    )
    assert row["purged_at"] is not None
    assert (row["status"], row["outcome"], row["offences"], row["commune_code"]) == (
        "closed",
        "unfounded",
        ["drugs", "gambling"],
        COMMUNE_A,
    )
    assert (left[0]["messages"], left[0]["files"], left[0]["purged"]) == (0, 0, 1)
    assert left[0]["sealed_texts"] == 0

    [purge] = await audit_trail("tip.purge", due)
    assert purge.actor_id is None
    assert (purge.details["reference"], purge.details["outcome"]) == (
        filed["reference"],
        "unfounded",
    )
    assert (purge.details["attachments"], purge.details["messages"], purge.details["objects"]) == (
        1,
        1,
        2,
    )

    report = await client.get(f"{POLICE_API}/{due}", headers=units.a_supervisor.headers)
    assert report.status_code == 200, report.text
    shown = report.json()
    assert (shown["content"], shown["reporter"], shown["attachments"], shown["messages"]) == (
        None,
        None,
        [],
        [],
    )
    assert shown["history"][-1]["action"] == "purge"
    assert "note" not in shown["history"][-2]["detail"]
    assert shown["allowed_actions"] == []
    figures = (
        await client.get(f"{POLICE_API}/statistics", headers=units.a_supervisor.headers)
    ).json()
    assert figures["total"] == 3
    assert {c["key"]: c["count"] for c in figures["by_outcome"]} == {"unfounded": 2, "resolved": 1}
    reopened = await client.post(
        f"{POLICE_API}/{due}/reopen",
        json={"reason": "Xem lại", "version": shown["version"]},
        headers=units.a_supervisor.headers,
    )
    assert (reopened.status_code, reopened.json()["code"]) == (409, "tip_purged")
    # Nothing ties it to its reporter any more: it is no longer among their reports.
    mine = await client.get(f"/api/v1/tips/mine/{filed['reference']}", headers=reporter)
    assert (mine.status_code, mine.json()["code"]) == (404, "tip_not_found")

    for kept in (kept_resolved, kept_recent):
        still = (
            await client.get(f"{POLICE_API}/{kept}", headers=units.a_supervisor.headers)
        ).json()
        assert still["content"]["description"]
        assert still["purged_at"] is None
    # Nothing more is due: the periodic job finds nothing.
    await retention.purge_due_tips(timestamp=0)
    assert len(await audit_trail("tip.purge")) == 1


async def test_retention_is_configured_per_outcome(
    tips_client: httpx.AsyncClient, tips_settings: Any
) -> None:
    units = await two_units()
    duplicate, _, _ = await closed_report(tips_client, units, "resolved", 40)
    short = msgspec.structs.replace(tips_settings, tips_retention_resolved_days=30)
    assert retention.retention_days(tips_settings)["resolved"] == 1825
    assert retention.retention_days(tips_settings)["unfounded"] == 365
    assert (await retention.do_purge_due(tips_settings)).purged == []
    result = await retention.do_purge_due(short)
    assert len(result.purged) == 1
    shown = (
        await tips_client.get(f"{POLICE_API}/{duplicate}", headers=units.a_officer.headers)
    ).json()
    assert shown["purged_at"] is not None
