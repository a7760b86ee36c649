"""A small, valid bulletin PDF drawn with fpdf2 for the demo and the tests (no binary file is kept in the
repository)."""

from __future__ import annotations

from fpdf import FPDF

from meeting_hub.reports.minutes_pdf import FONT_FAMILY, font_paths

BRAND = (164, 22, 26)


def sample_bulletin_pdf(title: str, month_text: str, department: str, pages: int = 2) -> bytes:
    """Return an A4 bulletin of `pages` pages: a red cover with the title and month, then pages of text."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    for style, path in font_paths().items():
        pdf.add_font(FONT_FAMILY, style, str(path))
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_fill_color(*BRAND)
    pdf.rect(0, 0, 210, 110, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT_FAMILY, "", 14)
    pdf.set_xy(15, 20)
    pdf.multi_cell(180, 8, department.upper(), align="L")
    pdf.set_font(FONT_FAMILY, "B", 34)
    pdf.set_xy(15, 45)
    pdf.multi_cell(180, 15, title, align="L")
    pdf.set_font(FONT_FAMILY, "", 16)
    pdf.set_xy(15, 92)
    pdf.cell(180, 10, f"Tháng {month_text}")
    pdf.set_text_color(33, 37, 41)
    for n, (heading, figure) in enumerate(
        [("Điểm cầu tham dự", "19/19"), ("Bí thư chi bộ có mặt", "92%"), ("Ý kiến đã trả lời", "7/9")]
    ):
        y = 130 + n * 45
        pdf.set_draw_color(*BRAND)
        pdf.set_line_width(0.8)
        pdf.rect(15, y, 180, 35)
        pdf.set_font(FONT_FAMILY, "B", 28)
        pdf.set_xy(20, y + 6)
        pdf.cell(70, 22, figure)
        pdf.set_font(FONT_FAMILY, "", 14)
        pdf.set_xy(90, y + 6)
        pdf.multi_cell(100, 11, heading, align="L")
    for page in range(2, pages + 1):
        pdf.add_page()
        pdf.set_font(FONT_FAMILY, "B", 16)
        pdf.set_xy(15, 20)
        pdf.cell(180, 10, f"Trang {page}")
        pdf.set_font(FONT_FAMILY, "", 12)
        pdf.set_xy(15, 35)
        pdf.multi_cell(
            180,
            7,
            "Bản tin được chia sẻ qua mã QR và các nhóm Zalo của điểm cầu. "
            "Mỗi điểm cầu có liên kết riêng để Ban Tuyên giáo biết bản tin đến được bao nhiêu người đọc.",
        )
    return bytes(pdf.output())
