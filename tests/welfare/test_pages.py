"""The welfare pages of the console over real HTTP (`ctn serve`, the demo officers signed in
through the web flow), on the demo data made by seed.welfare through the service: who may
open them, what a commune-limited officer sees (another commune's record is the same 404 as
the API's), the beneficiaries' search without diacritics, an import's per-row report with
its filter and xlsx download, a mismatch flag resolved, a period's reconciliation and a
result recorded from the page; reads and downloads audited."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from python_calamine import CalamineWorkbook

from backend.db import unit_of_work
from backend.http.pagination import PageRequest
from backend.settings import get_settings
from backend.welfare import service
from backend.welfare.schemas import BeneficiaryFilters
from seed.identity import seed_people
from seed.welfare import PROVINCIAL_OFFICER, provincial_officer, seed_welfare
from tests.console.test_articles_pages import post_form
from tests.identity.conftest import LiveServer, running_server, web_sign_in
from tests.tips.police_fixtures import audit_trail
from tests.welfare.conftest import csv_bytes, personal_id, row

PAGES = "/console/welfare"
QUYNH = "019184041111"  # welfare officer limited to 05569 (Định Hóa), 05581 (Trung Hội)
DUC = PROVINCIAL_OFFICER  # welfare officer of the whole province (seed.welfare)
CITIZEN = "019090001234"
POLICE = "019086021111"
LINK = re.compile(r'href="/console/welfare/beneficiaries/([0-9a-f-]{36})">([^<]+)</a>')


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`ctn serve` on the database this process writes to. (It is the worker's own, unless
    `pytest tests/welfare` loaded tests/welfare/conftest.py before the worker's database
    was chosen: backend.jobs reads the settings when imported, and they are then cached.)"""
    with running_server(
        tmp_path_factory.mktemp("welfare-live"), get_settings().database_url
    ) as server:
        yield server


@pytest.fixture
async def welfare(live: LiveServer, committed: None) -> AsyncIterator[Any]:
    """The demo people and the welfare demo data (really committed); `welfare(personal_id)`
    is a browser signed in as one of them."""
    async with unit_of_work():
        await seed_people()
    async with unit_of_work():
        await seed_welfare(get_settings())
    clients: list[httpx.AsyncClient] = []

    async def browser(personal_id: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=live.url, timeout=30)
        clients.append(client)
        await web_sign_in(client, personal_id, return_to="/console/")
        return client

    yield browser
    for client in clients:
        await client.aclose()


def names_listed(page: httpx.Response) -> list[str]:
    assert page.status_code == 200, page.text
    return [name for _, name in LINK.findall(page.text)]


async def beneficiary_id(pid: str) -> uuid.UUID:
    async with unit_of_work():
        officer = await provincial_officer()
        found = await service.search_beneficiaries(
            officer, BeneficiaryFilters(query=pid), service_page()
        )
    assert found.items, pid
    return found.items[0].id


def service_page() -> Any:
    from backend.http.pagination import PageRequest

    return PageRequest(limit=10)


async def test_only_welfare_officers_open_the_pages(welfare: Any) -> None:
    police = await welfare(POLICE)
    refused = await police.get(PAGES)
    assert refused.status_code == 403
    assert "text/html" in refused.headers["content-type"]
    citizen = await welfare(CITIZEN)
    assert (await citizen.get(f"{PAGES}/imports")).status_code == 403
    officer = await welfare(DUC)
    home = await officer.get("/console/")
    assert "Trợ cấp xã hội" in home.text
    assert "Sai lệch với dữ liệu định danh cần xử lý" in home.text
    for path in ("", "/imports", "/flags", "/periods"):
        page = await officer.get(PAGES + path)
        assert page.status_code == 200, (path, page.text[:500])
        assert page.headers["content-security-policy"].startswith("default-src 'self'")


async def test_the_search_finds_names_without_diacritics_and_keeps_to_the_officers_communes(
    welfare: Any,
) -> None:
    province = await welfare(DUC)
    found = names_listed(await province.get(PAGES, params={"q": "nguyen van an"}))
    assert "Nguyễn Văn An" in found
    by_id = names_listed(await province.get(PAGES, params={"q": "019185004321"}))
    assert by_id == ["Trần Thị Bình"]
    flagged = names_listed(await province.get(PAGES, params={"flagged": "yes"}))
    assert flagged == ["Lý Thu Dung"]

    quynh = await welfare(QUYNH)
    everyone = names_listed(await quynh.get(PAGES))
    assert "Trần Thị Bình" in everyone  # Định Hóa
    assert "Nguyễn Văn An" not in everyone  # Phan Đình Phùng
    assert names_listed(await quynh.get(PAGES, params={"q": "nguyen van an"})) == []
    elsewhere = await beneficiary_id(CITIZEN)
    outside = await quynh.get(f"{PAGES}/beneficiaries/{elsewhere}")
    assert outside.status_code == 404
    assert "text/html" in outside.headers["content-type"]
    refused = await quynh.get(PAGES, params={"commune": "05443"})
    assert refused.status_code == 400

    hers = await beneficiary_id("019185004321")
    inside = await quynh.get(f"{PAGES}/beneficiaries/{hers}")
    assert inside.status_code == 200
    assert "Trần Thị Bình" in inside.text
    assert "0912345678" in inside.text  # the officer sees the account in full (audited)
    assert len(await audit_trail("welfare.beneficiary.read", str(hers))) == 1
    assert await audit_trail("welfare.beneficiary.read", str(elsewhere)) == []  # refused
    assert await audit_trail("welfare.beneficiary.search")


async def test_an_imports_report_filters_rejected_rows_with_their_reasons_and_downloads(
    welfare: Any,
) -> None:
    from datetime import date

    good = personal_id(date(1940, 5, 6))
    content = csv_bytes(
        [
            row(good, name="Đặng Văn Thử", birth="06/05/1940", commune="05569", programme="BTXH"),
            row("019A40123456", name="Sai Số", commune="05569", programme="BTXH"),
            row(
                personal_id(date(1941, 1, 1)),
                name="Ngoài Xã",
                birth="01/01/1941",
                commune="05443",
                programme="BTXH",
            ),
        ]
    )
    async with unit_of_work():
        officer = await provincial_officer()
    quynh_id = await _person_id(QUYNH)
    from backend.access import Principal, Role

    quynh = Principal(
        id=quynh_id,
        roles=frozenset({Role.WELFARE_OFFICER}),
        communes=frozenset({"05569", "05581"}),
    )

    async def once() -> AsyncIterator[bytes]:
        yield content

    settings = get_settings()
    started = await service.do_start_import(
        settings, quynh, kind="beneficiaries", filename="xa-dinh-hoa.csv", chunks=once()
    )
    await service.run_import(settings, started.id)

    client = await welfare(QUYNH)
    listing = await client.get(f"{PAGES}/imports")
    assert "xa-dinh-hoa.csv" in listing.text
    page = await client.get(f"{PAGES}/imports/{started.id}")
    assert page.status_code == 200
    assert "Hoàn tất" in page.text
    assert 'data-count="rejected">2<' in page.text
    rejected = await client.get(f"{PAGES}/imports/{started.id}", params={"outcome": "rejected"})
    assert "Đặng Văn Thử" not in rejected.text
    assert "Ngoài Xã" in rejected.text
    assert "ngoài phạm vi cán bộ được giao" in rejected.text
    assert "Sai Số" in rejected.text

    report = await client.get(
        f"{PAGES}/imports/{started.id}/report.xlsx", params={"outcome": "rejected"}
    )
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(report.content)).get_sheet_by_index(0)
    cells = sheet.to_python()
    assert len(cells) == 3  # the header and the two rejected rows
    assert any("ngoài phạm vi" in str(value) for value in cells[2] + cells[1])
    assert await audit_trail("welfare.import.report_export")

    # The province's import is not Quỳnh's to read.
    async with unit_of_work():
        imports = await service.list_imports(officer, service_page())
    others = [i for i in imports.items if i.created_by != quynh_id]
    assert others
    assert (await client.get(f"{PAGES}/imports/{others[0].id}")).status_code == 404


async def _person_id(pid: str) -> uuid.UUID:
    from backend.identity.service import person_ids_by_personal_id

    async with unit_of_work():
        found = await person_ids_by_personal_id([pid])
    return found[pid]


async def test_a_mismatch_flag_is_resolved_from_its_page_and_a_reason_is_needed_to_keep(
    welfare: Any,
) -> None:
    client = await welfare(DUC)
    page = await client.get(f"{PAGES}/flags")
    assert page.status_code == 200
    assert 'data-value="list">Lý Thu Dung<' in page.text
    assert 'data-value="identity">Lý Thị Dung<' in page.text
    flag_id = re.search(r'action="/console/welfare/flags/([0-9a-f-]{36})/resolve"', page.text)
    assert flag_id is not None
    target = f"{PAGES}/flags/{flag_id[1]}/resolve"
    no_reason = await post_form(client, target, {"resolution": "keep_list", "reason": ""})
    assert no_reason.status_code == 422
    assert "lý do" in no_reason.text
    done = await post_form(client, target, {"resolution": "accept_identity"})
    assert done.status_code == 204, done.text
    assert done.headers["HX-Redirect"] == f"{PAGES}/flags"
    assert "Lý Thu Dung" not in (await client.get(f"{PAGES}/flags")).text
    resolved = await client.get(f"{PAGES}/flags", params={"status": "resolved"})
    assert "Dùng giá trị của định danh" in resolved.text
    again = await post_form(client, target, {"resolution": "reject"})
    assert again.status_code == 409
    assert await audit_trail("welfare.flag.resolve")


async def test_a_period_reconciles_by_commune_and_a_result_recorded_on_the_page_counts(
    welfare: Any,
) -> None:
    client = await welfare(DUC)
    periods = await client.get(f"{PAGES}/periods")
    link = re.search(r'href="/console/welfare/periods/([0-9a-f-]{36})"', periods.text)
    assert link is not None
    period_id = link[1]
    async with unit_of_work():
        officer = await provincial_officer()
        before = await service.reconcile(officer, uuid.UUID(period_id))
        listed = await service.list_payments(officer, uuid.UUID(period_id), PageRequest(limit=1))
    page = await client.get(f"{PAGES}/periods/{period_id}")
    assert page.status_code == 200
    # Each payment names whom it is for: the name in force and the personal id.
    first = listed.items[0]
    assert f">{first.full_name}</a>" in page.text and first.personal_id in page.text
    assert "Hồ sơ 1" not in page.text
    assert f'data-stat="paid">{before.totals.paid}<' in page.text
    assert "<svg" in page.text and "Khoản chi trả theo kết quả" in page.text
    assert "Phường Phan Đình Phùng" in page.text

    pending = await client.get(f"{PAGES}/periods/{period_id}", params={"status": "pending"})
    payment = re.search(r'action="/console/welfare/payments/([0-9a-f-]{36})"', pending.text)
    assert payment is not None
    missing = await post_form(
        client, f"{PAGES}/payments/{payment[1]}", {"status": "paid", "paid_on": "2026-11-10"}
    )
    assert missing.status_code == 422
    recorded = await post_form(
        client,
        f"{PAGES}/payments/{payment[1]}",
        {
            "status": "paid",
            "paid_on": "2026-11-10",
            "transaction_ref": "GD-TEST-1",
            "back": f"{PAGES}/periods/{period_id}",
        },
    )
    assert recorded.status_code == 204, recorded.text
    after = await client.get(f"{PAGES}/periods/{period_id}")
    assert f'data-stat="paid">{before.totals.paid + 1}<' in after.text
    assert f'data-stat="pending">{before.totals.pending - 1}<' in after.text

    exported = await client.get(f"{PAGES}/periods/{period_id}/reconciliation/csv")
    assert exported.status_code == 200
    assert "05443" in exported.text or "Phan Đình Phùng" in exported.text
    assert await audit_trail("welfare.reconciliation.export")

    quynh = await welfare(QUYNH)
    limited = await quynh.get(f"{PAGES}/periods/{period_id}")
    assert limited.status_code == 200
    assert (
        "Phường Phan Đình Phùng"
        not in limited.text.split('id="reconciliation"')[1].split("</table>")[0]
    )


async def test_the_demo_citizens_see_their_welfare_and_the_seed_runs_twice(welfare: Any) -> None:
    an = await welfare(CITIZEN)
    mine = await an.get("/api/v1/welfare/me")
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert [p["programme_code"] for p in body["programmes"]] == ["KT"]
    assert body["programmes"][0]["account_masked"].endswith("9012")
    assert [p["status"] for p in body["programmes"][0]["payments"]] == ["paid"]

    binh = await welfare("019185004321")
    failed = (await binh.get("/api/v1/welfare/me")).json()["programmes"][0]["payments"][0]
    assert failed["status"] == "failed"
    assert failed["what_to_do_vi"]

    async with unit_of_work():
        officer = await provincial_officer()
        before = await service.statistics(officer)
        periods = await service.list_periods(officer)
    async with unit_of_work():
        await seed_welfare(get_settings())
    async with unit_of_work():
        assert await service.statistics(officer) == before
        assert [p.progress for p in await service.list_periods(officer)] == [
            p.progress for p in periods
        ]
