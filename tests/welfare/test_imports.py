"""Imports of beneficiary lists over HTTP, run as the job runs them: good, bad and mixed files
in both formats, each rejection reason, headers with and without diacritics and a mapping,
idempotence, and a failure midway leaving nothing."""

from __future__ import annotations

import io
import uuid
from datetime import date
from typing import Any

import httpx
import msgspec
import pytest
from python_calamine import CalamineWorkbook

from backend.audit.repository import search
from backend.settings import get_settings
from backend.welfare import service
from tests.welfare.conftest import (
    API,
    COMMUNE_A,
    COMMUNE_B,
    HEADER_PLAIN,
    csv_bytes,
    officer,
    personal_id,
    programme,
    row,
    rows_of,
    run,
    upload,
    xlsx_bytes,
)

BIRTH = date(1950, 3, 12)


@pytest.fixture
async def setup(client: httpx.AsyncClient) -> dict[str, str]:
    await programme()
    _, headers = await officer()
    return headers


def good_rows(n: int = 3) -> list[list[Any]]:
    return [row(personal_id(BIRTH), name="Nguyễn Văn " + "ABCDEFGHIJ"[i]) for i in range(n)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_a_good_file_is_accepted_row_by_row(
    client: httpx.AsyncClient, setup: dict[str, str], fmt: str
) -> None:
    rows = good_rows(3)
    content = csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows)
    started = await upload(client, setup, content, f"ds.{fmt}")
    assert started["status"] == "queued"
    assert started["file_format"] == fmt
    done = await run(started["id"])
    assert done["error"] is None
    assert done["rejected"] == 0, await rows_of(client, setup, started["id"])
    assert (done["status"], done["accepted"], done["rejected"], done["total_rows"]) == (
        "done",
        3,
        0,
        3,
    )
    answer = await client.get(f"{API}/imports/{started['id']}", headers=setup)
    assert answer.json()["processed_rows"] == 3
    assert [r["outcome"] for r in await rows_of(client, setup, started["id"])] == ["accepted"] * 3


BAD_ROWS: list[tuple[list[Any], str]] = [
    (row("01905012345"), "Số định danh cá nhân phải gồm đúng 12 chữ số"),
    (row("01905012345a"), "Số định danh cá nhân phải gồm đúng 12 chữ số"),
    (row("999050123456"), "Mã tỉnh 999 trong số định danh không tồn tại"),
    (row("019150123456"), "Số định danh không khớp giới tính"),
    (row("019251123456"), "Số định danh không khớp năm sinh"),
    (row(personal_id(BIRTH), birth="31/02/1950"), "Ngày sinh không đúng định dạng"),
    (row(personal_id(BIRTH), birth=""), "Thiếu ngày sinh"),
    (row(personal_id(date(2031, 1, 1)), birth="01/01/2031"), "Ngày sinh không hợp lệ"),
    (row(personal_id(BIRTH), gender="X"), "Giới tính phải là Nam hoặc Nữ"),
    (row(personal_id(BIRTH), name=""), "Thiếu họ và tên"),
    (row(personal_id(BIRTH), commune="99999"), "Mã xã 99999 không thuộc tỉnh"),
    (row(personal_id(BIRTH), programme="KHONGCO"), "Chương trình KHONGCO không tồn tại"),
    (row(personal_id(BIRTH), category="ZZ"), "Nhóm đối tượng ZZ không thuộc chương trình"),
    (row(personal_id(BIRTH), amount="-5"), "Số tiền hằng tháng phải là số nguyên dương"),
    (row(personal_id(BIRTH), amount="2000000"), "ngoài mức của nhóm đối tượng"),
    (row(personal_id(BIRTH), channel="séc"), "Hình thức chi trả phải là"),
    (row(personal_id(BIRTH), account="12AB"), "Số tài khoản ngân hàng phải gồm 6–19 chữ số"),
    (
        row(personal_id(BIRTH), channel="Ví điện tử", account="12345"),
        "phải là số điện thoại di động",
    ),
    (row(personal_id(BIRTH), account=""), "Thiếu số tài khoản nhận"),
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_each_bad_row_is_rejected_with_its_reason_in_vietnamese(
    client: httpx.AsyncClient, setup: dict[str, str], fmt: str
) -> None:
    good = good_rows(2)
    rows = [good[0], *(r for r, _ in BAD_ROWS), good[1]]
    content = csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows)
    done = await run((await upload(client, setup, content, f"ds.{fmt}"))["id"])
    assert (done["accepted"], done["rejected"]) == (2, len(BAD_ROWS))
    report: list[dict[str, Any]] = await rows_of(client, setup, done["id"])
    assert report[0]["outcome"] == "accepted" and report[-1]["outcome"] == "accepted"
    for got, (_, reason) in zip(report[1:-1], BAD_ROWS, strict=True):
        assert got["outcome"] == "rejected"
        assert reason in got["reason"], (got, reason)
    only = await client.get(
        f"{API}/imports/{done['id']}/rows", params={"outcome": "rejected"}, headers=setup
    )
    assert len(only.json()["items"]) == len(BAD_ROWS)


async def test_a_duplicate_row_in_one_file_is_rejected(
    client: httpx.AsyncClient, setup: dict[str, str]
) -> None:
    pid = personal_id(BIRTH)
    done = await run((await upload(client, setup, csv_bytes([row(pid), row(pid)]), "d.csv"))["id"])
    report = await rows_of(client, setup, done["id"])
    assert report[1]["outcome"] == "rejected" and "Trùng dòng 2" in report[1]["reason"]


async def test_headers_without_diacritics_and_a_mapping_are_recognised(
    client: httpx.AsyncClient, setup: dict[str, str]
) -> None:
    plain = await run(
        (await upload(client, setup, csv_bytes(good_rows(2), HEADER_PLAIN), "a.csv"))["id"]
    )
    assert (plain["status"], plain["accepted"]) == ("done", 2)
    odd = ["Số CC", *HEADER_PLAIN[1:]]
    refused = await run((await upload(client, setup, csv_bytes(good_rows(1), odd), "b.csv"))["id"])
    assert refused["status"] == "failed"
    assert "Thiếu cột bắt buộc: Số định danh cá nhân" in refused["error"]
    mapped = await upload(
        client, setup, csv_bytes(good_rows(1), odd), "c.csv", mapping='{"so cc": "personal_id"}'
    )
    assert (await run(mapped["id"]))["accepted"] == 1


async def test_the_same_file_twice_changes_nothing(
    client: httpx.AsyncClient, setup: dict[str, str]
) -> None:
    content = xlsx_bytes(good_rows(3))
    first = await upload(client, setup, content, "ds.xlsx")
    await run(first["id"])
    again = await upload(client, setup, content, "ds-copy.xlsx")
    assert again["id"] == first["id"] and again["duplicate"] is True
    # the same rows in another file (another format): every row unchanged
    same_rows = await run(
        (await upload(client, setup, csv_bytes(_read_back(content)), "ds.csv"))["id"]
    )
    assert (same_rows["unchanged"], same_rows["accepted"], same_rows["updated"]) == (3, 0, 0)


def _read_back(content: bytes) -> list[list[Any]]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return [list(r) for r in list(workbook.get_sheet_by_index(0).iter_rows())[1:]]


async def test_a_changed_row_is_updated(client: httpx.AsyncClient, setup: dict[str, str]) -> None:
    pid = personal_id(BIRTH)
    await run((await upload(client, setup, csv_bytes([row(pid)]), "a.csv"))["id"])
    changed = await run(
        (await upload(client, setup, csv_bytes([row(pid, amount="600000")]), "b.csv"))["id"]
    )
    assert changed["updated"] == 1


async def test_a_failure_midway_leaves_no_row(
    client: httpx.AsyncClient, setup: dict[str, str]
) -> None:
    """Bytes that are not UTF-8 past the first batches: the rows already written go too."""
    good = csv_bytes(good_rows(6))
    broken = good + "\n".join(["\xff"]).encode("latin-1") + b"\n"
    started = await upload(client, setup, broken, "broken.csv")
    settings = msgspec.structs.replace(get_settings(), welfare_import_batch_rows=2)
    done = msgspec.to_builtins(await service.run_import(settings, uuid.UUID(started["id"])))
    assert done["status"] == "failed"
    assert "Không có dữ liệu nào được ghi" in done["error"]
    listed = await client.get(f"{API}/beneficiaries", headers=setup)
    assert listed.json()["items"] == []
    assert await rows_of(client, setup, started["id"]) == []


async def test_a_commune_limited_officer_cannot_import_other_communes(
    client: httpx.AsyncClient, setup: dict[str, str]
) -> None:
    _, limited = await officer((COMMUNE_A,))
    rows = [row(personal_id(BIRTH)), row(personal_id(BIRTH), commune=COMMUNE_B)]
    done = await run((await upload(client, limited, csv_bytes(rows), "x.csv"))["id"])
    report = await rows_of(client, limited, done["id"])
    assert [r["outcome"] for r in report] == ["accepted", "rejected"]
    assert "ngoài phạm vi" in report[1]["reason"]
    # another officer's import is not theirs to read
    other = await upload(client, setup, csv_bytes(good_rows(1)), "o.csv")
    assert (await client.get(f"{API}/imports/{other['id']}", headers=limited)).status_code == 404


async def test_the_report_downloads_as_xlsx_and_is_audited(
    client: httpx.AsyncClient, setup: dict[str, str]
) -> None:
    rows = [*good_rows(1), BAD_ROWS[2][0]]
    done = await run((await upload(client, setup, csv_bytes(rows), "r.csv"))["id"])
    answer = await client.get(f"{API}/imports/{done['id']}/report.xlsx", headers=setup)
    assert answer.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(answer.content)).get_sheet_by_index(0)
    lines = list(sheet.iter_rows())
    assert lines[0][:3] == ["Dòng", "Kết quả", "Lý do"]
    assert lines[2][1] == "Bị từ chối" and "Mã tỉnh 999" in lines[2][2]
    entries = await search(
        actor_id=None,
        action="welfare.import.report_export",
        object_type=None,
        object_id=done["id"],
        since=None,
        until=None,
        before_id=None,
        limit=5,
    )
    assert len(entries) == 1


async def test_a_file_that_is_not_a_spreadsheet_is_refused(
    client: httpx.AsyncClient, setup: dict[str, str]
) -> None:
    response = await client.post(
        f"{API}/imports",
        params={"kind": "beneficiaries"},
        content=b"\x00\x01\x02binary",
        headers={**setup, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "welfare_import_file_invalid"
