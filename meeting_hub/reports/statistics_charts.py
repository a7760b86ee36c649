"""The statistics page's charts, drawn from the figures: the attendance trend, attendance per endpoint, the
follow-up per endpoint, category and agency, and the participation in polls."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask_babel import format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from meeting_hub.reports.charts import (
    BLUE,
    GREEN,
    GREY,
    LIGHT_BLUE,
    ORANGE,
    RED,
    Bar,
    BarChart,
    Segment,
    Series,
    TrendChart,
)
from meeting_hub.reports.poll_statistics import PollParticipation
from meeting_hub.reports.statistics import AttendanceStatistics, IssueFigures, IssueStatistics
from meeting_hub.vietnamese import sort_key


def percent(rate: float | None) -> str:
    """Format a rate as "86,4%" in the user's locale, or "—" when there is none."""
    return "—" if rate is None else format_percent(rate, format="#,##0.#%")


def attendance_trend(stats: AttendanceStatistics) -> Markup:
    """Return the trend of the attendance and on-time rates, month by month."""
    return attendance_trend_chart(stats).html()


def attendance_trend_chart(stats: AttendanceStatistics) -> TrendChart:
    """Return what the attendance trend shows, for a page or for print."""
    return TrendChart(
        _("Tỉ lệ tham dự và đúng giờ theo tháng"),
        tuple(row.month.strftime("%m/%y") for row in stats.months),
        (
            Series(_("Tỉ lệ tham dự"), BLUE, tuple(row.counts.attendance_rate for row in stats.months)),
            Series(_("Tỉ lệ đúng giờ"), ORANGE, tuple(row.counts.on_time_rate for row in stats.months), dashed=True),
        ),
        empty_text=_("Chưa có buổi giao ban nào đã diễn ra trong khoảng thời gian này."),
    )


def attendance_by_endpoint(stats: AttendanceStatistics, link: Callable[[int], str]) -> Markup:
    """Return each endpoint's attendance rate, highest first, with present and late stacked."""
    return attendance_by_endpoint_chart(stats, link).html()


def attendance_by_endpoint_chart(stats: AttendanceStatistics, link: Callable[[int], str] | None = None) -> BarChart:
    """Return what the attendance per endpoint shows (rows lead to `link`'s page, when given)."""
    rows = sorted(
        (row for row in stats.endpoints if row.counts.expected),
        key=lambda row: (-(row.counts.attendance_rate or 0), sort_key(row.endpoint.name)),
    )
    bars = [
        Bar(
            row.endpoint.name,
            (
                Segment(row.counts.present / row.counts.expected, BLUE, _("có mặt %(n)d", n=row.counts.present)),
                Segment(row.counts.late / row.counts.expected, LIGHT_BLUE, _("đến muộn %(n)d", n=row.counts.late)),
            ),
            percent(row.counts.attendance_rate),
            link(row.endpoint.id) if link else None,
        )
        for row in rows
    ]
    return BarChart(
        _("Tỉ lệ tham dự theo điểm cầu"),
        tuple(bars),
        scale_max=1.0,
        legend=((_("Có mặt đúng giờ"), BLUE), (_("Đến muộn"), LIGHT_BLUE)),
        empty_text=_("Chưa có số liệu điểm danh."),
    )


def _issue_bars(rows: Sequence[tuple[str, IssueFigures, str | None]]) -> list[Bar]:
    return [
        Bar(
            label,
            (
                Segment(figures.closed, GREEN, _("đã đóng %(n)d", n=figures.closed)),
                Segment(figures.answered - figures.closed, LIGHT_BLUE, _("đã trả lời, chờ duyệt")),
                Segment(figures.raised - figures.answered, GREY, _("chưa trả lời")),
            ),
            _("%(raised)d ý kiến · %(answered)d đã trả lời", raised=figures.raised, answered=figures.answered)
            + (" · " + _("%(n)d quá hạn", n=figures.overdue) if figures.overdue else ""),
            href,
        )
        for label, figures, href in rows
    ]


ISSUE_LEGEND = [(_l("Đã đóng"), GREEN), (_l("Đã trả lời, chờ duyệt"), LIGHT_BLUE), (_l("Chưa trả lời"), GREY)]


def _issue_legend() -> tuple[tuple[str, str], ...]:
    return tuple((str(name), color) for name, color in ISSUE_LEGEND)


def issues_by_endpoint(stats: IssueStatistics, link: Callable[[int], str]) -> Markup:
    """Return each endpoint's issues: closed, answered and waiting, stacked."""
    return issues_by_endpoint_chart(stats, link).html()


def issues_by_endpoint_chart(stats: IssueStatistics, link: Callable[[int], str] | None = None) -> BarChart:
    """Return what the issues per endpoint show (rows lead to `link`'s page, when given)."""
    rows = [(endpoint.name, figures, link(endpoint.id) if link else None) for endpoint, figures in stats.by_endpoint]
    return BarChart(
        _("Ý kiến, kiến nghị theo điểm cầu"),
        tuple(_issue_bars(rows)),
        legend=_issue_legend(),
        empty_text=_("Không có ý kiến nào trong khoảng thời gian này."),
    )


def issues_by_category(stats: IssueStatistics) -> Markup:
    """Return each category's issues: closed, answered and waiting, stacked."""
    return issues_by_category_chart(stats).html()


def issues_by_category_chart(stats: IssueStatistics) -> BarChart:
    """Return what the issues per category show."""
    rows = [(category.name, figures, None) for category, figures in stats.by_category]
    return BarChart(
        _("Ý kiến, kiến nghị theo lĩnh vực"),
        tuple(_issue_bars(rows)),
        legend=_issue_legend(),
        empty_text=_("Không có ý kiến nào trong khoảng thời gian này."),
    )


def agencies_on_time(stats: IssueStatistics) -> Markup:
    """Return each agency's share of answers given by the due date."""
    return agencies_on_time_chart(stats).html()


def agencies_on_time_chart(stats: IssueStatistics) -> BarChart:
    """Return what the agencies' answers on time show."""
    bars = []
    for row in stats.by_agency:
        rate = row.answered_on_time / row.answered if row.answered else 0.0
        late = 1 - rate if row.answered else 0.0
        text = percent(rate) if row.answered else _("chưa trả lời ý kiến nào")
        bars.append(
            Bar(
                row.agency.name,
                (
                    Segment(rate, GREEN, _("đúng hạn %(n)d", n=row.answered_on_time)),
                    Segment(late, RED, _("trễ hạn %(n)d", n=row.answered - row.answered_on_time)),
                ),
                text,
            )
        )
    return BarChart(
        _("Tỉ lệ trả lời đúng hạn của cơ quan xử lý"),
        tuple(bars),
        scale_max=1.0,
        legend=((_("Đúng hạn"), GREEN), (_("Trễ hạn"), RED)),
        empty_text=_("Chưa có ý kiến nào được giao xử lý."),
    )


def poll_participation_trend(stats: PollParticipation) -> Markup:
    """Return the share of present people who answered the polls, month by month."""
    return TrendChart(
        _("Tỉ lệ trả lời thăm dò ý kiến theo tháng"),
        tuple(month.strftime("%m/%y") for month, _figures in stats.months),
        (Series(_("Tỉ lệ trả lời"), GREEN, tuple(figures.rate for _month, figures in stats.months)),),
        empty_text=_("Chưa có câu hỏi thăm dò nào trong khoảng thời gian này."),
    ).html()


def poll_participation_by_endpoint(stats: PollParticipation, link: Callable[[int], str]) -> Markup:
    """Return each endpoint's share of answers to the polls over the window, highest first."""
    rows = sorted(
        (row for row in stats.endpoints if row.total.eligible),
        key=lambda row: (-(row.total.rate or 0), sort_key(row.endpoint.name)),
    )
    bars = [
        Bar(
            row.endpoint.name,
            (
                Segment(
                    row.total.rate or 0.0,
                    GREEN,
                    _(
                        "%(answered)d/%(eligible)d lượt trả lời",
                        answered=row.total.answered,
                        eligible=row.total.eligible,
                    ),
                ),
            ),
            percent(row.total.rate),
            link(row.endpoint.id),
        )
        for row in rows
    ]
    return BarChart(
        _("Tỉ lệ trả lời thăm dò ý kiến theo điểm cầu"),
        tuple(bars),
        scale_max=1.0,
        empty_text=_("Chưa có câu hỏi thăm dò nào trong khoảng thời gian này."),
    ).html()
