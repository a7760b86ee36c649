"""Charts as inline SVG, drawn on the server: horizontal bars and a trend line, readable on a phone and in print.

No chart library and no script: the page works on a closed network and prints as it shows. Positions across the
chart are percentages of its width and heights are pixels, so the chart stretches to any screen while its text keeps
its size (a scaled viewBox would shrink the labels to nothing on a phone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: Colours that stay apart in greyscale print too.
BLUE = "#1f5fa8"
LIGHT_BLUE = "#8db4e2"
GREEN = "#2e7d32"
ORANGE = "#e08a00"
RED = "#c62828"
GREY = "#9e9e9e"
TRACK = "#eceff1"
TEXT = "#212529"
#: Bootstrap's link colour: a label that leads somewhere looks like a link.
LINK = "#0a58ca"

ROW_HEIGHT = 40
LABEL_SIZE = 13
TREND_HEIGHT = 230
TREND_TOP, TREND_BOTTOM = 18, 190


@dataclass(frozen=True)
class Segment:
    """A part of a bar: its value, colour and what it stands for (shown on hover and read by screen readers)."""

    value: float
    color: str
    label: str


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: a label, its segments, the figure written at the right, and an optional link."""

    label: str
    segments: tuple[Segment, ...]
    value_text: str
    href: str | None = None


@dataclass(frozen=True)
class Series:
    """One line of a trend chart: a name, a colour, and a value per point (None where there is no data)."""

    name: str
    color: str
    values: tuple[float | None, ...]
    dashed: bool = False


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _legend(items: Sequence[tuple[str, str]]) -> str:
    if not items:
        return ""
    spans = "".join(
        f'<span class="me-3 text-nowrap"><span class="chart-swatch" style="background:{color}"></span>'
        f"{escape(name)}</span>"
        for name, color in items
    )
    return f'<div class="chart-legend small mb-1">{spans}</div>'


def _pos(percent: float, width: int | None) -> str:
    """Place across the chart: a percentage of its width on a page, pixels in a standalone document."""
    return f"{_number(percent)}%" if width is None else _number(width * percent / 100)


def _bar_rows(bars: Sequence[Bar], top: float, width: int | None) -> list[str]:
    """Return the rows of a bar chart: label and figure on a line, the stacked bar below."""
    linked = any(bar.href for bar in bars)
    rows = []
    for n, bar in enumerate(bars):
        y = n * ROW_HEIGHT
        row = [
            f'<text x="0" y="{y + 14}" font-size="{LABEL_SIZE}" fill="{LINK if bar.href else TEXT}">'
            f"{escape(bar.label)}</text>",
            f'<text x="{_pos(100, width)}" y="{y + 14}" font-size="{LABEL_SIZE}" font-weight="bold" '
            f'text-anchor="end" fill="{TEXT}">{escape(bar.value_text)}</text>',
            f'<rect x="0" y="{y + 20}" width="{_pos(100, width)}" height="12" rx="2" fill="{TRACK}"/>',
        ]
        x = 0.0
        for segment in bar.segments:
            if segment.value <= 0 or top <= 0:
                continue
            share = 100 * segment.value / top
            row.append(
                f'<rect class="chart-bar" x="{_pos(x, width)}" y="{y + 20}" width="{_pos(share, width)}" '
                f'height="12" fill="{segment.color}"><title>{escape(bar.label)}: {escape(segment.label)}</title></rect>'
            )
            x += share
        body = "".join(row)
        if bar.href:
            # Named by its content (label, figure, each segment's title), as a sighted reader sees it.
            body = f'<a href="{escape(bar.href)}">{body}</a>'
        elif linked:
            body = f'<g role="img" aria-label="{escape(bar.label)}: {escape(bar.value_text)}">{body}</g>'
        rows.append(f"<g>{body}</g>")
    return rows


def _scale_top(bars: Sequence[Bar], scale_max: float | None) -> float:
    return max([scale_max or 0.0, *(sum(s.value for s in bar.segments) for bar in bars)])


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    scale_max: float | None = None,
    legend: Sequence[tuple[str, str]] = (),
    empty_text: str = "",
) -> Markup:
    """Return a horizontal bar chart: each row's label and figure on a line, its bar (stacked segments) below."""
    parts = [
        f'<figure class="chart chart-bars mb-4"><figcaption class="fw-semibold mb-1">{escape(title)}</figcaption>',
        _legend(legend),
    ]
    if not bars:
        parts.append(f'<p class="text-body-secondary small">{escape(empty_text)}</p></figure>')
        return Markup("".join(parts))
    height = len(bars) * ROW_HEIGHT
    # An image may not hold links (its content is hidden from assistive technology): a chart whose rows lead
    # somewhere is a group of links instead, each named by its row.
    linked = any(bar.href for bar in bars)
    parts.append(
        f'<svg class="chart-svg" width="100%" height="{height}" role="{"group" if linked else "img"}" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif">'
    )
    parts.extend(_bar_rows(bars, _scale_top(bars, scale_max), None))
    parts.append("</svg></figure>")
    return Markup("".join(parts))


def _trend_body(labels: Sequence[str], series: Sequence[Series], width: int | None) -> list[str]:
    """Return the grid, month labels, lines and points of a trend chart."""
    parts = []
    span = TREND_BOTTOM - TREND_TOP

    def y_of(rate: float) -> float:
        return TREND_BOTTOM - span * max(0.0, min(1.0, rate))

    for rate in (0.0, 0.5, 1.0):
        y = y_of(rate)
        parts.append(f'<line x1="0" x2="{_pos(100, width)}" y1="{y}" y2="{y}" stroke="#dee2e6" stroke-width="1"/>')
        parts.append(f'<text x="0" y="{y - 3}" font-size="11" fill="#6c757d">{int(rate * 100)}%</text>')
    count = len(labels)

    def x_of(index: int) -> str:
        return _pos(50.0 if count == 1 else 4 + 92 * index / (count - 1), width)

    for index, label in enumerate(labels):
        # Every other month label hides on a phone (see .minor in the page's style) so the rest stay legible.
        minor = ' class="minor"' if (count - 1 - index) % 2 == 1 else ""
        parts.append(
            f'<text{minor} x="{x_of(index)}" y="{TREND_BOTTOM + 22}" font-size="11" text-anchor="middle" '
            f'fill="#495057">{escape(label)}</text>'
        )
    for line in series:
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        points = list(enumerate(line.values))
        for (i, a), (j, b) in zip(points, points[1:], strict=False):
            if a is not None and b is not None:
                parts.append(
                    f'<line class="chart-line" x1="{x_of(i)}" y1="{_number(y_of(a))}" '
                    f'x2="{x_of(j)}" y2="{_number(y_of(b))}" stroke="{line.color}" stroke-width="2.5"{dash}/>'
                )
        for i, value in points:
            if value is None:
                continue
            text = f"{line.name}, {labels[i]}: {_number(value * 100)}%"
            parts.append(
                f'<circle cx="{x_of(i)}" cy="{_number(y_of(value))}" r="4" fill="{line.color}">'
                f"<title>{escape(text)}</title></circle>"
            )
    return parts


def trend_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, empty_text: str = "") -> Markup:
    """Return a line chart of rates (0 to 1) over the labelled points, one line per series, with gaps for no data."""
    parts = [
        f'<figure class="chart chart-trend mb-4"><figcaption class="fw-semibold mb-1">{escape(title)}</figcaption>',
        _legend([(line.name, line.color) for line in series]),
    ]
    if not any(value is not None for line in series for value in line.values):
        parts.append(f'<p class="text-body-secondary small">{escape(empty_text)}</p></figure>')
        return Markup("".join(parts))
    parts.append(
        f'<svg class="chart-svg" width="100%" height="{TREND_HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif">'
    )
    parts.extend(_trend_body(labels, series, None))
    parts.append("</svg></figure>")
    return Markup("".join(parts))


# Charts as documents of their own, for print: the bulletin's infographic page exports them as SVG, PNG and PDF.

#: A font print shops and fpdf2 both know (the PDF embeds DejaVu Sans under this name).
EXPORT_FONT = "DejaVu Sans, Arial, sans-serif"
EXPORT_TITLE_SIZE = 18
EXPORT_HEADER = 64
EXPORT_EMPTY_HEIGHT = 40
#: White space around a printed chart, in SVG pixels.
EXPORT_MARGIN = 16


@dataclass(frozen=True)
class BarChart:
    """What a bar chart shows, drawn on a page (`html`) or as a print document (`svg`)."""

    title: str
    bars: tuple[Bar, ...]
    scale_max: float | None = None
    legend: tuple[tuple[str, str], ...] = ()
    empty_text: str = ""

    def html(self) -> Markup:
        """Return the chart for a page."""
        return bar_chart(
            self.title, self.bars, scale_max=self.scale_max, legend=self.legend, empty_text=self.empty_text
        )

    def svg(self, width: int) -> str:
        """Return the chart as a standalone SVG document `width` pixels wide, its title and legend drawn in it."""
        if not self.bars:
            return _document(self.title, self.legend, width, [_empty(self.empty_text)], EXPORT_EMPTY_HEIGHT)
        rows = _bar_rows([Bar(bar.label, bar.segments, bar.value_text) for bar in self.bars], self._top, width)
        return _document(self.title, self.legend, width, rows, len(self.bars) * ROW_HEIGHT)

    @property
    def _top(self) -> float:
        return _scale_top(self.bars, self.scale_max)


@dataclass(frozen=True)
class TrendChart:
    """What a trend chart shows, drawn on a page (`html`) or as a print document (`svg`)."""

    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    empty_text: str = ""

    def html(self) -> Markup:
        """Return the chart for a page."""
        return trend_chart(self.title, self.labels, self.series, empty_text=self.empty_text)

    def svg(self, width: int) -> str:
        """Return the chart as a standalone SVG document `width` pixels wide, its title and legend drawn in it."""
        legend = tuple((line.name, line.color) for line in self.series)
        if not any(value is not None for line in self.series for value in line.values):
            return _document(self.title, legend, width, [_empty(self.empty_text)], EXPORT_EMPTY_HEIGHT)
        return _document(self.title, legend, width, _trend_body(self.labels, self.series, width), TREND_HEIGHT)


def _empty(text: str) -> str:
    return f'<text x="0" y="20" font-size="{LABEL_SIZE}" fill="#6c757d">{escape(text)}</text>'


def _document(title: str, legend: Sequence[tuple[str, str]], width: int, body: list[str], height: int) -> str:
    """Wrap a chart's body in an SVG document with a white margin, its title and its legend."""
    pad = EXPORT_MARGIN
    total_width, total_height = width + 2 * pad, EXPORT_HEADER + height + 2 * pad
    keys = []
    x = 0
    for name, color in legend:
        keys.append(
            f'<rect x="{x}" y="34" width="12" height="12" fill="{color}"/>'
            f'<text x="{x + 18}" y="45" font-size="{LABEL_SIZE}" fill="{TEXT}">{escape(name)}</text>'
        )
        x += 18 + 8 * len(name) + 24  # a legend entry's width, roughly, at 13 px
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width}" height="{total_height}" '
        f'viewBox="0 0 {total_width} {total_height}" font-family="{EXPORT_FONT}">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{total_width}" height="{total_height}" fill="#ffffff"/>'
        f'<g transform="translate({pad},{pad})">'
        f'<text x="0" y="{EXPORT_TITLE_SIZE + 2}" font-size="{EXPORT_TITLE_SIZE}" font-weight="bold" fill="{TEXT}">'
        f"{escape(title)}</text>"
        f"{''.join(keys)}"
        f'<g transform="translate(0,{EXPORT_HEADER})">{"".join(body)}</g>'
        "</g></svg>"
    )
