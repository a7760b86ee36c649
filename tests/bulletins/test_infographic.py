"""The bulletin's infographic page: the month's statistics charts as print-ready SVG, PNG and PDF, for staff only."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pypdfium2 as pdfium
from flask.testing import FlaskClient
from PIL import Image

from meeting_hub.reports.charts import BLUE, Bar, BarChart, Segment, Series, TrendChart
from tests.conftest import AuthActions

SLUGS = [
    "tham-du-theo-diem-cau",
    "xu-huong-tham-du",
    "y-kien-theo-diem-cau",
    "y-kien-theo-linh-vuc",
    "tra-loi-dung-han",
]


def test_a_chart_as_a_print_document_has_fixed_size_and_its_title_and_legend() -> None:
    chart = BarChart(
        "Tỉ lệ tham dự theo điểm cầu",
        (Bar("Hoàng Hoa Thám", (Segment(0.5, BLUE, "có mặt"),), "50%", href="/x"),),
        scale_max=1.0,
        legend=(("Có mặt", BLUE),),
    )
    root = ET.fromstring(chart.svg(800))
    assert root.get("width") == "832" and root.get("viewBox") == f"0 0 832 {root.get('height')}"
    texts = [element.text for element in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[:2] == ["Tỉ lệ tham dự theo điểm cầu", "Có mặt"] and "Hoàng Hoa Thám" in texts
    # Absolute positions (a print document has no page to be a percentage of), and no links.
    assert "%" not in chart.svg(800).split("<text", 1)[1].split("font-size")[0]
    assert 'width="400"' in chart.svg(800) and "<a " not in chart.svg(800)
    # On a page the same chart still stretches.
    assert 'width="50%"' in str(chart.html()) and 'href="/x"' in str(chart.html())
    trend = TrendChart("Xu hướng", ("10/26", "11/26"), (Series("Tham dự", BLUE, (None, None)),), empty_text="Chưa có")
    assert "Chưa có" in trend.svg(800)


def test_staff_download_every_chart_and_the_pdf(client: FlaskClient, auth: AuthActions, bulletin_id: int) -> None:
    auth.sign_in("leader")
    page = client.get(f"/bulletins/{bulletin_id}/infographic")
    assert page.status_code == 200 and "Số liệu tháng 11/2026 cho bản tin" in page.text
    for slug in SLUGS:
        assert f"/infographic/{slug}.svg" in page.text and f"/infographic/{slug}.png" in page.text
    svg = client.get(f"/bulletins/{bulletin_id}/infographic/tham-du-theo-diem-cau.svg")
    assert svg.mimetype == "image/svg+xml" and "attachment" in svg.headers["Content-Disposition"]
    ET.fromstring(svg.data)  # a well-formed document
    png = client.get(f"/bulletins/{bulletin_id}/infographic/y-kien-theo-linh-vuc.png")
    image = Image.open(io.BytesIO(png.data))
    assert image.format == "PNG" and image.width >= 2000
    pdf = client.get(f"/bulletins/{bulletin_id}/infographic.pdf")
    assert pdf.mimetype == "application/pdf"
    document = pdfium.PdfDocument(pdf.data)
    text = "".join(document[n].get_textpage().get_text_bounded() for n in range(len(document)))
    document.close()
    assert "Số liệu giao ban tuyên giáo tháng 11/2026" in text and "Ý kiến, kiến nghị theo lĩnh vực" in text
    assert client.get(f"/bulletins/{bulletin_id}/infographic/no-such-chart.svg").status_code == 404


def test_operators_and_responders_are_refused(client: FlaskClient, auth: AuthActions, bulletin_id: int) -> None:
    assert client.get(f"/bulletins/{bulletin_id}/infographic.pdf").status_code == 302
    for username in ("op-sao-do", "responder"):
        auth.sign_in(username)
        assert client.get(f"/bulletins/{bulletin_id}/infographic").status_code == 403
        assert client.get(f"/bulletins/{bulletin_id}/infographic.pdf").status_code == 403
        assert client.get(f"/bulletins/{bulletin_id}/infographic/xu-huong-tham-du.png").status_code == 403
        auth.sign_out()
