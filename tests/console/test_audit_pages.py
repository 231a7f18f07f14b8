"""The auditor's pages over real HTTP: the audit log with filters in the URL (each read
recorded, as the API's), the chain verification status, the security events summary."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import msgspec

from backend.access import Role
from backend.audit.service import (
    do_check_chain,
    do_record,
    last_chain_check,
    summarize_security_log,
)
from backend.db import unit_of_work
from tests.console.test_admin_pages import ADMIN, form_headers
from tests.console.test_shell import grant
from tests.identity.conftest import CITIZEN, LiveServer, web_sign_in

AUDITOR = "019180061111"  # the demo auditor


async def sign_in_auditor(http: httpx.AsyncClient) -> None:
    await web_sign_in(http, AUDITOR, return_to="/console/")
    await grant(AUDITOR, Role.AUDITOR)


def row_actions(html: str) -> list[str]:
    return re.findall(r"<td><a href=\"[^\"]*\"><code>([a-z_.]+)</code></a></td>", html)


async def test_an_auditor_filters_the_log_and_the_filter_stays_in_the_url(
    http: httpx.AsyncClient,
) -> None:
    target = f"tip-{uuid.uuid4()}"
    async with unit_of_work():
        await do_record("tip.read", actor_id="p-1", object_type="tip", object_id=target)
        await do_record("tip.assign", actor_id="p-2", object_type="tip", object_id=target)
        await do_record("tip.read", actor_id="p-3", object_type="tip", object_id="other")
    await sign_in_auditor(http)

    page = await http.get("/console/audit", params={"object_id": target})
    assert page.status_code == 200, page.text
    assert row_actions(page.text) == ["tip.assign", "tip.read"]  # newest first
    assert f'value="{target}"' in page.text  # the filter is shown in its field
    assert f"object_id = {target}" in page.text

    page = await http.get("/console/audit", params={"object_id": target, "action": "tip.read"})
    assert row_actions(page.text) == ["tip.read"]
    assert ">p-1</code>" in page.text and ">p-3</code>" not in page.text

    # One entry a page: the next page's link keeps the filters and moves the cursor.
    page = await http.get("/console/audit", params={"object_id": target, "limit": 1})
    assert row_actions(page.text) == ["tip.assign"]
    found = re.search(r'<a rel="next" href="([^"]+)"', page.text)
    assert found is not None
    link = found.group(1).replace("&amp;", "&")
    assert f"object_id={target}" in link and "limit=1" in link and "cursor=" in link
    assert row_actions((await http.get(link)).text) == ["tip.read"]

    # A time range in Vietnam's time; the future holds nothing.
    later = (datetime.now(UTC) + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")
    page = await http.get("/console/audit", params={"object_id": target, "from": later})
    assert row_actions(page.text) == []
    assert "Không có mục nào khớp bộ lọc." in page.text

    bad = await http.get("/console/audit", params={"from": "yesterday"})
    assert bad.status_code == 400
    assert 'id="e-from"' in bad.text and 'value="yesterday"' in bad.text

    # Reading the log is itself recorded, with the filters used (as the API's reads are).
    api = await http.get("/api/v1/audit", params={"action": "audit.read", "limit": 20})
    reads = [e["details"] for e in api.json()["items"]]
    assert any(d.get("object_id") == target and d.get("action") == "tip.read" for d in reads)


async def test_the_auditor_checks_the_chain_and_sees_its_status(
    http: httpx.AsyncClient,
) -> None:
    await sign_in_auditor(http)
    page = await http.get("/console/audit")
    assert 'id="chain-status"' in page.text
    assert "Kiểm tra chuỗi" in page.text

    checked = await http.post("/console/audit/chain", headers=form_headers(http))
    assert checked.status_code == 200, checked.text
    status = checked.text
    assert status.lstrip().startswith('<section id="chain-status"')  # the part console.js swaps
    assert "Toàn vẹn" in status
    count = re.search(r"Số mục đã kiểm tra</dt>\s*<dd>([\d.]+)", status)
    assert count is not None and int(count.group(1).replace(".", "")) > 0
    key = re.search(r"Khóa kiểm toán hiện tại</dt><dd><code>([^<]+)</code>", status)
    assert key is not None and key.group(1) != "(chưa có khóa)"

    # The last outcome is kept (in the log) for the next visit and the home page.
    page = await http.get("/console/audit")
    assert "Toàn vẹn" in page.text and count.group(1) in page.text
    home = await http.get("/console/")
    assert "Chuỗi nhật ký toàn vẹn" in home.text
    api = await http.get("/api/v1/audit", params={"action": "audit.chain_checked"})
    assert api.json()["items"][0]["details"]["ok"] is True


async def test_the_security_summary_counts_events_of_the_day_and_the_week(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    await sign_in_auditor(http)
    now = datetime.now(UTC)
    kind = f"test_probe_{uuid.uuid4().hex[:8]}"
    other = f"test_other_{uuid.uuid4().hex[:8]}"

    def line(event: str, age: timedelta) -> str:
        moment = (now - age).isoformat(timespec="milliseconds")
        return json.dumps({"time": moment, "event": event, "actor": None}) + "\n"

    log = Path(live.security_log)
    with log.open("a") as out:
        out.write(line(kind, timedelta(hours=1)))
        out.write(line(kind, timedelta(hours=2)))
        out.write(line(kind, timedelta(days=3)))
        out.write(line(kind, timedelta(days=10)))  # older than a week: not counted
        out.write(line(other, timedelta(days=6)))
        out.write("not json\n")

    page = await http.get("/console/security")
    assert page.status_code == 200, page.text
    assert str(log) in page.text
    counts = dict(
        (event, (int(day), int(week)))
        for event, day, week in re.findall(
            r"<code>([a-z0-9_.]+)</code></th>\s*<td>(\d+)</td>\s*<td>(\d+)</td>", page.text
        )
    )
    assert counts[kind] == (2, 3)
    assert counts[other] == (0, 1)
    assert "<svg" in page.text and f"{kind}: 3" in page.text  # the chart reads the figures
    assert "dòng không đọc được" in page.text

    home = await http.get("/console/")
    assert "Sự kiện an ninh trong 24 giờ" in home.text


async def test_the_auditor_pages_are_for_auditors_only(http: httpx.AsyncClient) -> None:
    await web_sign_in(http, CITIZEN, return_to="/console/")
    for path in ("/console/audit", "/console/security"):
        assert (await http.get(path)).status_code == 403, path
    await web_sign_in(http, ADMIN, return_to="/console/")
    await grant(ADMIN, Role.SYSTEM_ADMIN)
    for path in ("/console/audit", "/console/security"):
        page = await http.get(path)
        assert page.status_code == 403, path
    refused = await http.post("/console/audit/chain", headers=form_headers(http))
    assert refused.status_code == 403
    assert 'href="/console/audit"' not in (await http.get("/console/")).text


async def test_a_check_from_the_console_is_bounded_and_says_so(db: None) -> None:
    for n in range(3):
        await do_record("tip.read", actor_id=f"p-{n}")
    check = await do_check_chain("auditor-1", limit=2)
    assert (check.ok, check.complete, check.checked) == (True, False, 2)
    last = await last_chain_check()
    assert last is not None and last.checked_at - check.checked_at < timedelta(seconds=5)
    assert msgspec.structs.replace(last, checked_at=check.checked_at) == check


async def test_the_summary_reads_only_the_end_of_a_large_log(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    log = tmp_path / "security.jsonl"
    old = {"time": (now - timedelta(hours=30)).isoformat(), "event": "throttled"}
    new = {"time": (now - timedelta(hours=1)).isoformat(), "event": "csrf_rejected"}
    log.write_text(json.dumps(old) + "\n" + (json.dumps(new) + "\n") * 3)
    summary = await summarize_security_log(
        log, configured=True, now=now, max_bytes=len(json.dumps(new)) * 2 + 10
    )
    # The first line read was cut: dropped, not counted as unreadable.
    assert summary.partial and summary.unreadable == 0
    assert [(c.event, c.last_day, c.last_week) for c in summary.counts] == [("csrf_rejected", 2, 2)]
    missing = await summarize_security_log(tmp_path / "none.jsonl", configured=False)
    assert not missing.exists and missing.counts == []
