"""The bulletin's infographic page: the month's attendance and follow-up charts (the statistics page's own charts),
exported for print as SVG, as PNG and together in one PDF, so the department can put them in the next bulletin.

The SVG is the source: fpdf2 draws it into the PDF (with DejaVu Sans embedded for the diacritics), and PDFium renders
that PDF to the PNG, so the three files show the same chart."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date

import pypdfium2 as pdfium
from flask_babel import gettext as _
from fpdf import FPDF

from meeting_hub.accounts.models import User
from meeting_hub.follow_up.search import IssueFilters
from meeting_hub.reports import statistics, statistics_charts
from meeting_hub.reports.charts import BarChart, TrendChart
from meeting_hub.reports.minutes_pdf import font_paths

#: The exported charts' width in SVG pixels (a column of an A4 page at print size).
CHART_WIDTH = 800
#: PNG pixels per SVG pixel: 2,000 pixels across, 17 cm at 300 dpi.
PNG_SCALE = 2.5
#: The PDF's page and margins, in millimetres.
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 210, 297, 15
#: The name the SVGs give the font (charts.EXPORT_FONT's first choice), under which the PDF embeds DejaVu Sans.
PDF_FONT = "DejaVu Sans"


@dataclass(frozen=True)
class InfographicChart:
    """One exportable chart: its file name part and what it shows."""

    slug: str
    chart: BarChart | TrendChart


def month_charts(month: date, viewer: User) -> list[InfographicChart]:
    """Return the charts of a month: attendance per endpoint and its trend, issues per endpoint and per category,
    and the agencies' answers on time (issues raised in the month)."""
    month_attendance = statistics.attendance_statistics(month, 1)
    trend = statistics.attendance_statistics(month)
    first_day, last_day = statistics.month_window(month, 1)
    issues = statistics.issue_statistics(viewer, IssueFilters(raised_from=first_day, raised_to=last_day))
    return [
        InfographicChart("tham-du-theo-diem-cau", statistics_charts.attendance_by_endpoint_chart(month_attendance)),
        InfographicChart("xu-huong-tham-du", statistics_charts.attendance_trend_chart(trend)),
        InfographicChart("y-kien-theo-diem-cau", statistics_charts.issues_by_endpoint_chart(issues)),
        InfographicChart("y-kien-theo-linh-vuc", statistics_charts.issues_by_category_chart(issues)),
        InfographicChart("tra-loi-dung-han", statistics_charts.agencies_on_time_chart(issues)),
    ]


def chart_svg(chart: BarChart | TrendChart) -> str:
    """Return a chart as a standalone, print-ready SVG document."""
    return chart.svg(CHART_WIDTH)


def _for_pdf(svg: str) -> bytes:
    """Return the SVG for fpdf2, without the <title> elements (tooltips) it does not draw and warns about."""
    return re.sub(r"<title>.*?</title>", "", svg, flags=re.S).encode("utf-8")


def _svg_size(svg: str) -> tuple[float, float]:
    # The documents charts.py writes start with width="..." height="..."; read them back rather than recompute.
    head = svg[: svg.index(">")]
    width = float(head.split(' width="', 1)[1].split('"', 1)[0])
    height = float(head.split(' height="', 1)[1].split('"', 1)[0])
    return width, height


def _document(unit: str, page: tuple[float, float] | str) -> FPDF:
    pdf = FPDF(unit=unit, format=page)
    for style, path in font_paths().items():
        pdf.add_font(PDF_FONT, style, str(path))
    pdf.set_font(PDF_FONT, size=12)
    pdf.set_auto_page_break(auto=False)
    return pdf


def chart_png(chart: BarChart | TrendChart) -> bytes:
    """Return a chart as a PNG PNG_SCALE times its SVG size (about 2,000 pixels wide, for print)."""
    svg = chart_svg(chart)
    width, height = _svg_size(svg)
    pdf = _document("pt", (width, height))
    pdf.set_margin(0)
    pdf.add_page()
    pdf.image(io.BytesIO(_for_pdf(svg)), x=0, y=0, w=width)
    document = pdfium.PdfDocument(bytes(pdf.output()))
    try:
        image = document[0].render(scale=PNG_SCALE).to_pil()
    finally:
        document.close()
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def infographic_pdf(month: date, charts: list[InfographicChart], department: str) -> bytes:
    """Return every chart of the month in one A4 PDF, each kept whole on a page, under a heading."""
    pdf = _document("mm", "A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_page()
    pdf.set_font(PDF_FONT, "", 10)
    pdf.cell(0, 6, department.upper(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(PDF_FONT, "B", 16)
    pdf.multi_cell(0, 9, _("Số liệu giao ban tuyên giáo tháng %(month)s", month=month.strftime("%m/%Y")), align="L")
    pdf.ln(4)
    usable = PAGE_WIDTH - 2 * MARGIN
    for item in charts:
        svg = chart_svg(item.chart)
        width, height = _svg_size(svg)
        shown = height * usable / width
        if pdf.get_y() + shown > PAGE_HEIGHT - MARGIN:
            pdf.add_page()
        top = pdf.get_y()
        pdf.image(io.BytesIO(_for_pdf(svg)), x=MARGIN, y=top, w=usable)
        pdf.set_y(top + shown + 6)
    return bytes(pdf.output())
