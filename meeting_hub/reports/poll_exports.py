"""A poll's results as CSV and XLSX: per option, per endpoint, the "other" texts, and (named polls only) who chose
what.

The CSV holds the table per endpoint, one column per option, then the total and the share of each option; the
per-person list of a named poll is a CSV of its own. The workbook holds every table, one sheet each. Formula-like
text is neutralised as in the other exports (exports.attendance_csv, exports.to_workbook).

A secret poll's export has tallies only, and no list of who took part either: next to the per-endpoint tallies, a
list of names would tell the choice of anyone who was the only one to answer at their endpoint, or of everyone at an
endpoint that answered as one. Who took part stays in the database (it is what refuses a second answer); the
participation figures (answered of present) say what the reports need of it.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from meeting_hub.clock import local_zone
from meeting_hub.errors import Conflict
from meeting_hub.follow_up.exports import Cell
from meeting_hub.polls.models import (
    POLL_KIND_LABELS,
    POLL_STATUS_LABELS,
    AnswerSource,
    Poll,
    PollKind,
    PollStatus,
)
from meeting_hub.polls.reports import NamedBallot, PollReport, named_ballots, poll_report
from meeting_hub.reports.exports import Sheet, attendance_csv, to_workbook
from meeting_hub.scheduling.models import Briefing

SOURCE_LABELS = {AnswerSource.OPERATOR: _l("Cán bộ ghi nhận"), AnswerSource.SELF: _l("Tự trả lời (QR)")}


def reported_poll(poll: Poll) -> PollReport:
    """Return the results of a poll put to the endpoints; a draft has none (409)."""
    if poll.status == PollStatus.DRAFT:
        raise Conflict(_("Câu hỏi thăm dò còn là bản nháp, chưa đưa ra nên chưa có kết quả."))
    return poll_report(poll)


def _rate(count: int, of: int) -> float | None:
    return count / of if of else None


def _percent_text(rate: float | None) -> str:
    """Return "50,0%" (the CSV has no number formats)."""
    return "" if rate is None else f"{rate * 100:.1f}".replace(".", ",") + "%"


def _option_title(report: PollReport, index: int) -> str:
    option = report.options[index]
    return _("Khác") if option.other else f"{index + 1}. {option.text}"


def option_rows(report: PollReport) -> list[list[Cell]]:
    """Return the results per option: the question, its kind and status, each option's count and share."""
    poll = report.poll
    rows: list[list[Cell]] = [
        [
            _("Câu hỏi"),
            _("Hình thức"),
            _("Nhiều lựa chọn"),
            _("Trạng thái"),
            _("STT"),
            _("Phương án"),
            _("Số người chọn"),
            _("Tỉ lệ"),
            _("Đã trả lời"),
            _("Có mặt"),
        ]
    ]
    for option in report.options:
        rows.append(
            [
                poll.question,
                str(POLL_KIND_LABELS[poll.kind]),
                _("Có") if poll.multiple else _("Không"),
                str(POLL_STATUS_LABELS[poll.status]),
                option.index + 1,
                option.text,
                option.count,
                option.share(report.answered),
                report.answered,
                report.eligible,
            ]
        )
    return rows


def endpoint_rows(report: PollReport, *, shares_as_text: bool) -> list[list[Cell]]:
    """Return the results per endpoint (one column per option), then the total and each option's share."""
    header: list[Cell] = [_("Điểm cầu"), _("Mã điểm cầu"), _("Đã trả lời"), _("Có mặt"), _("Tỉ lệ trả lời")]
    header.extend(_option_title(report, option.index) for option in report.options)

    def share(value: float | None) -> Cell:
        return _percent_text(value) if shares_as_text else value

    rows: list[list[Cell]] = [header]
    for row in report.by_endpoint:
        rows.append(
            [
                row.endpoint.name,
                row.endpoint.code,
                row.answered,
                row.eligible,
                share(_rate(row.answered, row.eligible)),
                *row.counts,
            ]
        )
    rows.append(
        [
            _("Tổng cộng"),
            "",
            report.answered,
            report.eligible,
            share(_rate(report.answered, report.eligible)),
            *(option.count for option in report.options),
        ]
    )
    rows.append(
        [_("Tỉ lệ chọn"), "", None, None, None, *(share(option.share(report.answered)) for option in report.options)]
    )
    return rows


def other_text_rows(report: PollReport) -> list[list[Cell]]:
    """Return the texts given with the "Khác" option, with their endpoint (never who gave them)."""
    rows: list[list[Cell]] = [[_("STT"), _("Điểm cầu"), _("Nội dung"), _("Số người")]]
    rows.extend(
        [n, item.endpoint.name if item.endpoint else "", item.text, item.count]
        for n, item in enumerate(report.other_texts, start=1)
    )
    return rows


def people_rows(report: PollReport, ballots: list[NamedBallot]) -> list[list[Cell]]:
    """Return who chose what in a named poll: the person, their endpoint and cell, their choices, their other text,
    and whether an operator entered it or the person answered from their phone."""
    rows: list[list[Cell]] = [
        [
            _("STT"),
            _("Điểm cầu"),
            _("Chi bộ"),
            _("Họ và tên"),
            _("Mã người"),
            _("Lựa chọn"),
            _("Ý kiến khác"),
            _("Cách ghi nhận"),
        ]
    ]
    for n, ballot in enumerate(ballots, start=1):
        choices = "; ".join(
            _option_title(report, index) for index in ballot.choices if 0 <= index < len(report.options)
        )
        rows.append(
            [
                n,
                ballot.endpoint.name,
                ballot.cell.name,
                ballot.person.full_name,
                ballot.person.id,
                choices,
                ballot.other_text,
                str(SOURCE_LABELS[ballot.source]),
            ]
        )
    return rows


def results_csv(poll: Poll) -> bytes:
    """Write a poll's results per endpoint, with the totals and the options' shares, as CSV."""
    return attendance_csv(endpoint_rows(reported_poll(poll), shares_as_text=True))


def people_csv(poll: Poll, only_endpoint: int | None = None) -> bytes:
    """Write who chose what in a named poll (or at one endpoint) as CSV; refused for other kinds (409)."""
    report = reported_poll(poll)
    return attendance_csv(people_rows(report, named_ballots(poll, only_endpoint)))


def results_xlsx(poll: Poll, only_endpoint: int | None = None) -> bytes:
    """Write a poll's results as a workbook: per option, per endpoint, the other texts, and for a named poll who
    chose what (or, with only_endpoint, who at that endpoint)."""
    report = reported_poll(poll)
    sheets = [
        Sheet("Ket qua", option_rows(report), percent_columns=frozenset({8})),
        Sheet("Theo diem cau", endpoint_rows(report, shares_as_text=False), percent_columns=_endpoint_percent(report)),
    ]
    if report.other_texts or any(option.other for option in report.options):
        sheets.append(Sheet("Y kien khac", other_text_rows(report)))
    if poll.kind == PollKind.NAMED:
        sheets.append(Sheet("Theo nguoi", people_rows(report, named_ballots(poll, only_endpoint))))
    return to_workbook(sheets)


def _endpoint_percent(report: PollReport) -> frozenset[int]:
    # The answered rate, and every option column (its last row holds the shares).
    return frozenset({5, *range(6, 6 + len(report.options))})


def export_name(briefing: Briefing, poll: Poll, extension: str, *, people: bool = False) -> str:
    """Return "tham-do-2026-03-10-12.csv" (ASCII: every browser and chat app keeps it)."""
    day = briefing.starts_at.astimezone(local_zone()).date().isoformat()
    suffix = "-theo-nguoi" if people else ""
    return f"tham-do-{day}-{poll.id}{suffix}.{extension}"
