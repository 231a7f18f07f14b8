"""A certificate as a PDF (fpdf2): the learner's name, the course, the date in Vietnamese, the
issuing authority and a QR code (segno) of the public verification page. Text is set in DejaVu
Sans, shipped in `mooc/fonts/` with its licence, whose glyphs cover Vietnamese (every
diacritic, precomposed), and embedded as a subset with its Unicode map, so the PDF's text can
be searched and copied with its diacritics."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from mooc.certificate_repository import CertificateRow

FONTS = Path(__file__).parent / "fonts"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
AUTHORITY = "ỦY BAN NHÂN DÂN TỈNH THÁI NGUYÊN"
ISSUER = "Chương trình bồi dưỡng cán bộ, công chức trực tuyến"
NAVY = (22, 52, 110)
GOLD = (176, 133, 38)


def date_vi(moment: datetime) -> str:
    """`ngày 27 tháng 11 năm 2026` (in Thái Nguyên's time)."""
    local = moment.astimezone(LOCAL)
    return f"ngày {local.day:02d} tháng {local.month:02d} năm {local.year}"


def _qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """The QR code drawn as vector squares from segno's matrix (with its quiet zone)."""
    qr = segno.make(data, error="m", micro=False)
    matrix = [list(row) for row in qr.matrix_iter(scale=1, border=2)]
    module = size / len(matrix)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if row[column]:
                start = column
                while column < len(row) and row[column]:
                    column += 1
                pdf.rect(
                    x + start * module,
                    y + row_index * module,
                    (column - start) * module,
                    module,
                    style="F",
                )
            else:
                column += 1


def certificate_pdf(certificate: CertificateRow, verification_url: str) -> bytes:
    """The certificate's PDF (A4 landscape)."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"Chứng nhận hoàn thành khóa học — {certificate.course_title}")
    pdf.set_author(AUTHORITY)
    pdf.set_creator("C-ThaiNguyen")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    width, height = pdf.w, pdf.h

    # Frame.
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(1.6)
    pdf.rect(8, 8, width - 16, height - 16)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.5)
    pdf.rect(12, 12, width - 24, height - 24)

    def line(
        text: str,
        size: float,
        *,
        bold: bool = False,
        color: tuple[int, int, int] = NAVY,
        gap: float = 2,
    ) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.set_text_color(*color)
        pdf.multi_cell(width - 60, size * 0.5, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(gap)

    pdf.set_left_margin(30)
    pdf.set_y(22)
    line(AUTHORITY, 13, bold=True, gap=0)
    line(ISSUER, 10, color=(60, 60, 60), gap=8)
    line("GIẤY CHỨNG NHẬN", 26, bold=True, gap=1)
    line("HOÀN THÀNH KHÓA HỌC", 16, bold=True, color=GOLD, gap=1)
    line("Certificate of course completion", 10, color=(90, 90, 90), gap=8)
    line("Chứng nhận ông/bà", 12, color=(40, 40, 40), gap=2)
    line(certificate.learner_name, 24, bold=True, gap=5)
    line("đã hoàn thành khóa học", 12, color=(40, 40, 40), gap=2)
    line(certificate.course_title, 17, bold=True, color=(40, 40, 40), gap=8)
    line(f"Thái Nguyên, {date_vi(certificate.issued_at)}", 11, color=(40, 40, 40), gap=0)

    # The QR code to the public verification page, with the code written out.
    size = 34.0
    x, y = width - 30 - size, height - 26 - size
    _qr(pdf, verification_url, x, y, size)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_text_color(60, 60, 60)
    pdf.set_xy(30, height - 36)
    pdf.multi_cell(
        width - 60 - size - 8,
        4,
        f"Mã xác thực / Verification code: {certificate.code}\n"
        f"Kiểm tra tính hợp lệ tại / Verify at: {verification_url}",
        align="L",
    )
    return bytes(pdf.output())
