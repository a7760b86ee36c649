"""Charts as SVG: what assistive technology is told about them."""

from __future__ import annotations

import re

from meeting_hub.reports.charts import Bar, Segment, Series, bar_chart, trend_chart

BLUE = "#1f5fa8"


def _bar(label: str, value: float, href: str | None = None) -> Bar:
    return Bar(label, (Segment(value, BLUE, f"có mặt {value:g}"),), f"{value:g}%", href)


def test_a_chart_without_links_is_one_image_named_by_its_title() -> None:
    svg = str(bar_chart("Tỉ lệ tham dự", [_bar("Sao Đỏ", 80), _bar("Phả Lại", 60)]))
    assert 'role="img" aria-label="Tỉ lệ tham dự"' in svg
    assert "<a " not in svg


def test_a_chart_whose_rows_link_is_a_group_never_an_image_holding_links() -> None:
    svg = str(bar_chart("Tỉ lệ tham dự", [_bar("Sao Đỏ", 80, "/statistics/endpoints/1"), _bar("Phả Lại", 60)]))
    opening = re.search(r"<svg [^>]*>", svg)
    assert opening and 'role="group"' in opening.group(0) and 'aria-label="Tỉ lệ tham dự"' in opening.group(0)
    # The link is named by its visible text (no aria-label that could differ from it).
    link = re.search(r'<a href="/statistics/endpoints/1">(.*?)</a>', svg)
    assert link and "Sao Đỏ" in link.group(1) and "80%" in link.group(1)
    # A row without a link in a linked chart is an image of its own, named by its label and figure.
    assert '<g role="img" aria-label="Phả Lại: 60%">' in svg


def test_the_trend_chart_is_an_image_with_a_title_per_point() -> None:
    svg = str(trend_chart("Theo tháng", ["11/2026", "12/2026"], [Series("Tham dự", BLUE, (0.5, 0.75))]))
    assert 'role="img" aria-label="Theo tháng"' in svg
    assert "<title>Tham dự, 12/2026: 75%</title>" in svg
