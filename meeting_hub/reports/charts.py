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


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    scale_max: float | None = None,
    legend: Sequence[tuple[str, str]] = (),
    empty_text: str = "",
) -> Markup:
    """Return a horizontal bar chart: each row's label and figure on a line, its bar (stacked segments) below."""
    top = max([scale_max or 0.0, *(sum(s.value for s in bar.segments) for bar in bars)])
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
    for n, bar in enumerate(bars):
        y = n * ROW_HEIGHT
        row = [
            f'<text x="0" y="{y + 14}" font-size="{LABEL_SIZE}" fill="{LINK if bar.href else TEXT}">'
            f"{escape(bar.label)}</text>",
            f'<text x="100%" y="{y + 14}" font-size="{LABEL_SIZE}" font-weight="600" text-anchor="end" '
            f'fill="{TEXT}">{escape(bar.value_text)}</text>',
            f'<rect x="0" y="{y + 20}" width="100%" height="12" rx="2" fill="{TRACK}"/>',
        ]
        x = 0.0
        for segment in bar.segments:
            if segment.value <= 0 or top <= 0:
                continue
            width = 100 * segment.value / top
            row.append(
                f'<rect class="chart-bar" x="{_number(x)}%" y="{y + 20}" width="{_number(width)}%" height="12" '
                f'fill="{segment.color}"><title>{escape(bar.label)}: {escape(segment.label)}</title></rect>'
            )
            x += width
        body = "".join(row)
        if bar.href:
            # Named by its content (label, figure, each segment's title), as a sighted reader sees it.
            body = f'<a href="{escape(bar.href)}">{body}</a>'
        elif linked:
            body = f'<g role="img" aria-label="{escape(bar.label)}: {escape(bar.value_text)}">{body}</g>'
        parts.append(f"<g>{body}</g>")
    parts.append("</svg></figure>")
    return Markup("".join(parts))


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
    span = TREND_BOTTOM - TREND_TOP

    def y_of(rate: float) -> float:
        return TREND_BOTTOM - span * max(0.0, min(1.0, rate))

    for rate in (0.0, 0.5, 1.0):
        y = y_of(rate)
        parts.append(f'<line x1="0" x2="100%" y1="{y}" y2="{y}" stroke="#dee2e6" stroke-width="1"/>')
        parts.append(f'<text x="0" y="{y - 3}" font-size="11" fill="#6c757d">{int(rate * 100)}%</text>')
    count = len(labels)

    def x_of(index: int) -> float:
        return 50.0 if count == 1 else 4 + 92 * index / (count - 1)

    for index, label in enumerate(labels):
        # Every other month label hides on a phone (see .minor in the page's style) so the rest stay legible.
        minor = ' class="minor"' if (count - 1 - index) % 2 == 1 else ""
        parts.append(
            f'<text{minor} x="{_number(x_of(index))}%" y="{TREND_BOTTOM + 22}" font-size="11" text-anchor="middle" '
            f'fill="#495057">{escape(label)}</text>'
        )
    for line in series:
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        points = list(enumerate(line.values))
        for (i, a), (j, b) in zip(points, points[1:], strict=False):
            if a is not None and b is not None:
                parts.append(
                    f'<line class="chart-line" x1="{_number(x_of(i))}%" y1="{_number(y_of(a))}" '
                    f'x2="{_number(x_of(j))}%" y2="{_number(y_of(b))}" stroke="{line.color}" stroke-width="2.5"{dash}/>'
                )
        for i, value in points:
            if value is None:
                continue
            text = f"{line.name}, {labels[i]}: {_number(value * 100)}%"
            parts.append(
                f'<circle cx="{_number(x_of(i))}%" cy="{_number(y_of(value))}" r="4" fill="{line.color}">'
                f"<title>{escape(text)}</title></circle>"
            )
    parts.append("</svg></figure>")
    return Markup("".join(parts))
