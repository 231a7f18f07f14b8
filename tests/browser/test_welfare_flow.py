"""Welfare status in a real browser, on the demo data of seed.welfare (made through the
service): the province's welfare officer uploads a generated .xlsx list with bad rows (the
upload's progress bar, then the import's progress while `ctn worker` runs the job), reads
the reasons of the rejected rows, resolves a mismatch flag by keeping the list's name with a
reason, opens this month's period, generates its payments, records a payment paid and one
failed, and reads the reconciliation's figures and chart. axe checks every page on the way,
and a commune-limited officer's pages too."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import xlsxwriter
from playwright.async_api import Page, expect

from backend.db import unit_of_work
from backend.settings import get_settings
from seed.welfare import PROVINCIAL_OFFICER, seed_welfare
from tests.browser.conftest import (
    WELFARE_OFFICER,
    Browsing,
    Console,
    JobWorker,
    check_a11y,
    no_horizontal_scroll,
)

IMPORT_PAGE = re.compile(r"/console/welfare/imports/(?P<id>[0-9a-f-]{36})")
PERIOD_PAGE = re.compile(r"/console/welfare/periods/(?P<id>[0-9a-f-]{36})$")
HEADER = [
    "So dinh danh ca nhan",  # headers without diacritics are recognised too
    "Ho va ten",
    "Ngay sinh",
    "Gioi tinh",
    "Ma xa",
    "Chuong trinh",
    "Nhom doi tuong",
    "So tien hang thang",
    "Hinh thuc chi tra",
    "So tai khoan",
]


def list_file(tmp_path: Path) -> Path:
    """Two good rows and three bad ones (a letter in the number, a commune of another
    province, an amount above the category's)."""
    rows = [
        ["019040111222", "Đinh Văn Tám", "03/04/1940", "Nam", "05569", "BTXH", "NCT80",
         500000, "Tiền mặt tại bưu điện", ""],
        ["019143222333", "Lò Thị Chín", "05/06/1943", "Nữ", "05581", "BTXH", "NCT80",
         600000, "Tài khoản ngân hàng", "1029384756"],
        ["01904X333444", "Sai Mã Số", "01/01/1940", "Nam", "05569", "BTXH", "NCT80",
         500000, "Tiền mặt tại bưu điện", ""],
        ["019041444555", "Khác Tỉnh", "01/01/1941", "Nam", "00001", "BTXH", "NCT80",
         500000, "Tiền mặt tại bưu điện", ""],
        ["019142555666", "Quá Mức", "01/01/1942", "Nữ", "05569", "BTXH", "NCT80",
         9000000, "Tiền mặt tại bưu điện", ""],
    ]  # fmt: skip
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("Danh sách")
    sheet.write_row(0, 0, HEADER)
    for number, values in enumerate(rows, start=1):
        sheet.write_row(number, 0, values)
    book.close()
    path = tmp_path / "danh-sach-thang-nay.xlsx"
    path.write_bytes(out.getvalue())
    return path


async def figure(page: Page, stat: str) -> int:
    text = await page.locator(f'[data-stat="{stat}"]').inner_text()
    return int(text.replace(".", ""))


async def test_an_officer_imports_a_list_resolves_a_mismatch_and_reconciles_a_period(
    browsing: Browsing, console: Console, job_worker: JobWorker, tmp_path: Path
) -> None:
    async with unit_of_work():
        await seed_welfare(get_settings())

    officer = await browsing.signed_in(PROVINCIAL_OFFICER)
    await (
        officer.get_by_role("navigation", name="Trình đơn chính")
        .get_by_role("link", name="Trợ cấp xã hội")
        .click()
    )
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Đối tượng hưởng trợ cấp")
    await check_a11y(officer, "the beneficiaries")
    await officer.get_by_label("Họ tên hoặc số định danh").fill("tran thi binh")
    await officer.get_by_role("button", name="Tìm").click()
    await expect(officer.get_by_role("link", name="Trần Thị Bình")).to_be_visible()
    await officer.get_by_role("link", name="Trần Thị Bình").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Trần Thị Bình")
    await check_a11y(officer, "a beneficiary's record")

    # The import: the file, its upload, the job's progress, then the report.
    await officer.get_by_role("link", name="Nhập dữ liệu").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Nhập dữ liệu trợ cấp")
    await check_a11y(officer, "the imports")
    await officer.get_by_label("Tệp .xlsx hoặc .csv").set_input_files(list_file(tmp_path))
    await officer.get_by_role("button", name="Tải lên và nhập").click()
    await officer.wait_for_url(IMPORT_PAGE)
    try:
        await expect(officer.locator("#import-state")).to_contain_text("Hoàn tất", timeout=30_000)
    except AssertionError as exc:
        raise AssertionError(job_worker.output()) from exc
    await expect(officer.locator('[data-count="accepted"]')).to_have_text("2")
    await expect(officer.locator('[data-count="rejected"]')).to_have_text("3")
    await check_a11y(officer, "an import's report")
    await officer.get_by_label("Kết quả", exact=True).select_option("rejected")
    await officer.get_by_role("button", name="Lọc").click()
    rows = officer.locator("#import-rows tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.filter(has_text="Sai Mã Số")).to_contain_text(
        "Số định danh cá nhân phải gồm đúng 12 chữ số"
    )
    await expect(rows.filter(has_text="Khác Tỉnh")).to_contain_text("Mã xã 00001 không thuộc tỉnh")
    await expect(rows.filter(has_text="Quá Mức")).to_contain_text("ngoài mức của nhóm đối tượng")
    download_link = officer.get_by_role("link", name="Tải báo cáo (.xlsx)")
    async with officer.expect_download() as waiting:
        await download_link.click()
    download = await waiting.value
    assert download.suggested_filename.endswith(".xlsx")

    # The mismatch flag of the demo list: the list's name kept, with a reason.
    await officer.get_by_role("link", name="Sai lệch cần xử lý").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text(
        "Sai lệch với dữ liệu định danh"
    )
    card = officer.locator(".flag-card").filter(has_text="Lý Thu Dung")
    await expect(card.locator('[data-value="identity"]')).to_have_text("Lý Thị Dung")
    await check_a11y(officer, "the mismatch flags")
    await card.get_by_label("Giữ giá trị của danh sách (cần nêu lý do)").check()
    await card.get_by_role("button", name="Xác nhận").click()
    await expect(officer.locator("#flash")).to_contain_text("lý do")
    await card.get_by_label("Lý do", exact=True).fill(
        "Giấy khai sinh ghi tên đệm là Thu; đã đối chiếu"
    )
    await card.get_by_role("button", name="Xác nhận").click()
    await expect(officer.locator(".flag-card").filter(has_text="Lý Thu Dung")).to_have_count(0)
    await expect(officer.get_by_text("Không có sai lệch nào.")).to_be_visible()

    # This month's period: opened, its payments generated, two results recorded.
    await officer.get_by_role("link", name="Kỳ chi trả").click()
    await check_a11y(officer, "the periods")
    today = date.today()
    await officer.get_by_label("Tháng (năm-tháng)").fill(f"{today.year}-{today.month:02d}")
    await officer.get_by_role("button", name="Mở kỳ").click()
    await officer.wait_for_url(PERIOD_PAGE)
    await officer.get_by_role(
        "button", name="Lập danh sách chi trả từ đối tượng đang hưởng"
    ).click()
    await expect(officer.locator("main")).to_contain_text("Danh sách chi trả lập lúc")
    expected = await figure(officer, "expected")
    assert expected > 0
    assert await figure(officer, "pending") == expected
    await check_a11y(officer, "a period")

    first = officer.locator("#payments tbody tr").first
    await first.get_by_label("Mã giao dịch").fill("GD-2026-0001")
    await first.get_by_role("button", name="Ghi nhận").click()
    await expect(officer.locator('[data-stat="paid"]')).to_have_text("1")
    second = officer.locator("#payments tbody tr").nth(1)
    await second.get_by_label("Kết quả", exact=True).select_option("failed")
    await second.get_by_label("Lý do (không thành công)").fill("Sai số tài khoản")
    await second.get_by_role("button", name="Ghi nhận").click()
    await expect(officer.locator('[data-stat="failed"]')).to_have_text("1")
    assert await figure(officer, "pending") == expected - 2
    total = officer.locator("#reconciliation-total")
    await expect(total.locator("td").nth(0)).to_have_text(str(expected))
    await expect(total.locator("td").nth(1)).to_have_text("1")
    await expect(total.locator("td").nth(2)).to_have_text("1")
    chart = officer.get_by_role("img", name="Khoản chi trả theo kết quả")
    await expect(chart).to_be_visible()
    await expect(chart.locator("desc")).to_contain_text("Đã chi trả: 1")
    await check_a11y(officer, "a period with results")


async def test_a_commune_limited_officer_sees_only_their_communes_on_a_phone(
    browsing: Browsing, console: Console
) -> None:
    async with unit_of_work():
        await seed_welfare(get_settings())
    officer = await browsing.signed_in(WELFARE_OFFICER, phone=True, to="/console/welfare")
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Đối tượng hưởng trợ cấp")
    await expect(officer.locator("main")).to_contain_text("Trần Thị Bình")  # Định Hóa
    await expect(officer.locator("main")).not_to_contain_text("Nguyễn Văn An")  # elsewhere
    await no_horizontal_scroll(officer)
    await check_a11y(officer, "the beneficiaries of two communes")
    await officer.goto("/console/welfare/periods")
    await officer.locator("main table a").first.click()
    await officer.wait_for_url(PERIOD_PAGE)
    table = officer.locator("#reconciliation tbody")
    await expect(table).not_to_contain_text("Phan Đình Phùng")
    await expect(table).to_contain_text("Định Hóa")
    await check_a11y(officer, "a period of two communes")
