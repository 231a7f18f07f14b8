"""Anonymous means anonymous: everything an anonymous reporter's requests leave behind — every
column of every row of every table, every stored object and its metadata, every log line and
every security-log line — is searched for the client's address, user agent, bearer token and
person id (and the usual ways of hashing them). The requests really commit, so whatever runs
after commit (the police being told) is searched too."""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend import security_events
from backend.db import engine
from tests.support.auth import bearer_for, create_person
from tests.tips.conftest import photo_with_gps, proof, report

ADDRESS = "198.51.100.23"
AGENT = "CThaiNguyen/3.1 (Android 14; Xiaomi 2201117TG) device-7c1e9b"
REQUEST_ID = "anon-request-0001"


async def _snapshot() -> dict[str, set[str]]:
    """Every row of every table of the database, as JSON text."""
    connection = await engine().get_new_connection()
    try:
        tables = [
            r["tablename"]
            for r in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        rows: dict[str, set[str]] = {}
        for table in tables:
            fetched = await connection.fetch(f'SELECT row_to_json(t)::text AS j FROM "{table}" t')
            rows[table] = {r["j"] for r in fetched}
        return rows
    finally:
        await connection.close()


def _files(root: Path) -> dict[str, os.stat_result]:
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.stat() for p in root.rglob("*") if p.is_file()}


def _needles(token: str, person_id: uuid.UUID) -> dict[str, str]:
    """What must appear nowhere, in clear and in the forms a careless change would store."""
    found = {
        "address": ADDRESS,
        "address (hex)": ADDRESS.encode().hex(),
        "address sha256": hashlib.sha256(ADDRESS.encode()).hexdigest(),
        "address as the security log hashes it": str(security_events.client_hash(ADDRESS)),
        "user agent": AGENT,
        "user agent's device": "device-7c1e9b",
        "token": token,
        "token sha256": hashlib.sha256(token.encode()).hexdigest(),
        "person id": str(person_id),
        "person id (hex)": person_id.hex,
    }
    return found


def _hits(text: str, needles: dict[str, str]) -> list[str]:
    lowered = text.lower()
    return [name for name, needle in needles.items() if needle.lower() in lowered]


@pytest.mark.usefixtures("committed")
async def test_nothing_an_anonymous_report_leaves_behind_identifies_its_reporter(
    tips_app: Any, tips_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    person = await create_person()
    headers = await bearer_for(person)
    token = headers["Authorization"].removeprefix("Bearer ")
    needles = _needles(token, person)
    # Everything the app would send: the token of the signed-in person, its user agent, a
    # request id of the device's making.
    sent = {**headers, "User-Agent": AGENT, "X-Request-Id": REQUEST_ID}
    media = Path(tips_settings.media_path)
    security_log = Path(tips_settings.security_log_path)
    log_before = security_log.read_bytes() if security_log.exists() else b""
    files_before = _files(media)
    before = await _snapshot()
    caplog.set_level(logging.DEBUG)

    transport = httpx.ASGITransport(app=tips_app, client=(ADDRESS, 40123))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        body = report(ongoing_danger=True)
        body["proof"] = await proof(client)
        submitted = await client.post("/api/v1/tips", json=body, headers=sent)
        assert submitted.status_code == 201, submitted.text
        receipt = {**sent, "X-Tip-Receipt": submitted.json()["receipt"]}
        uploaded = await client.post(
            "/api/v1/tips/anonymous/attachments",
            files={"file": ("IMG_20260101_Tran.jpg", photo_with_gps(), "image/jpeg")},
            headers=receipt,
        )
        assert uploaded.status_code == 201, uploaded.text
        replied = await client.post(
            "/api/v1/tips/anonymous/messages", json={"body": "Thêm chi tiết"}, headers=receipt
        )
        assert replied.status_code == 201, replied.text
        followed = await client.get("/api/v1/tips/anonymous", headers=receipt)
        assert followed.status_code == 200
        wrong = await client.get(
            "/api/v1/tips/anonymous", headers={**sent, "X-Tip-Receipt": "1" * 20}
        )
        assert wrong.status_code == 401

    after = await _snapshot()
    written = {table: sorted(after[table] - before.get(table, set())) for table in after}
    assert written["tips"], "the report was written"
    assert written["tip_attachments"] and written["tip_messages"] and written["tip_counters"]
    for table, rows in written.items():
        for row in rows:
            assert _hits(row, needles) == [], f"{table}: {row}"

    # Stored objects: only sealed bytes under ids, at the row's coarse time.
    files_after = _files(media)
    new_files = {name: stat for name, stat in files_after.items() if name not in files_before}
    assert new_files and all(name.startswith("tips/") for name in new_files)
    minutes = tips_settings.tips_anonymous_time_minutes
    for name, stat in new_files.items():
        assert name.endswith("/view.bin"), name  # no original of an anonymous report
        content = (media / name).read_bytes()
        assert _hits(name, needles) == [] and _hits(content.hex(), needles) == []
        assert b"\xff\xd8\xff" not in content[:64]  # sealed, not a JPEG
        assert int(stat.st_mtime) % (minutes * 60) == 0
        if hasattr(os, "listxattr"):
            assert os.listxattr(media / name) == []

    # Log lines (the access log included) and security-log lines.
    lines = []
    for record in caplog.records:
        fields = getattr(record, "fields", {})
        lines.append(f"{record.getMessage()} {fields} {getattr(record, 'request_id', '')}")
        assert "client" not in fields or fields["client"] is None, fields
        assert "user_agent" not in fields, fields
    assert any("request" in line and "/api/v1/tips" in line for line in lines)
    for line in lines:
        assert _hits(line, needles) == [], line
    log_after = security_log.read_bytes() if security_log.exists() else b""
    events = [line for line in log_after[len(log_before) :].decode().splitlines() if line]
    assert any('"tip_receipt_rejected"' in e for e in events)
    for event in events:
        assert _hits(event, needles) == [], event
        assert '"client":null' in event.replace(" ", ""), event
        assert '"actor":null' in event.replace(" ", ""), event


@pytest.mark.usefixtures("committed")
async def test_an_anonymous_report_keeps_only_coarse_times(
    committed_tips_client: httpx.AsyncClient, tips_settings: Any
) -> None:
    body = report()
    body["proof"] = await proof(committed_tips_client)
    submitted = await committed_tips_client.post("/api/v1/tips", json=body)
    assert submitted.status_code == 201
    step = tips_settings.tips_anonymous_time_minutes * 60
    connection = await engine().get_new_connection()
    try:
        row = await connection.fetchrow(
            "SELECT created_at, updated_at, last_reporter_activity_at, reporter_id, receipt_hash"
            " FROM tips WHERE reference = $1",
            submitted.json()["reference"],
        )
        events = await connection.fetch(
            "SELECT e.at, e.actor_id FROM tip_events e JOIN tips t ON t.id = e.tip_id"
            " WHERE t.reference = $1",
            submitted.json()["reference"],
        )
    finally:
        await connection.close()
    assert row["reporter_id"] is None and row["receipt_hash"]
    for at in (row["created_at"], row["updated_at"], row["last_reporter_activity_at"]):
        assert int(at.timestamp()) % step == 0
    assert events and all(int(e["at"].timestamp()) % step == 0 for e in events)
    assert all(e["actor_id"] is None for e in events)
