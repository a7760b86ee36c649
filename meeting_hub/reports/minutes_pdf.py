"""The layout of the minutes as an A4 PDF (fpdf2), in the DejaVu Sans font embedded for the Vietnamese diacritics.

The header follows the Party's document layout: the committee and the department on the left, "ĐẢNG CỘNG SẢN VIỆT NAM"
and the place and date on the right; then the title, the sections, and the signature blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from fpdf import FPDF, FontFace
from fpdf.enums import Align, XPos, YPos

from meeting_hub.attendance.models import ATTENDANCE_STATUS_LABELS, LINK_STATUS_LABELS
from meeting_hub.clock import local_zone
from meeting_hub.errors import ServiceError
from meeting_hub.polls.models import POLL_KIND_LABELS, PollKind
from meeting_hub.reports.attendance_counts import Counts
from meeting_hub.reports.minutes import MinutesData
from meeting_hub.reports.minutes_polls import PollMinutes
from meeting_hub.scheduling.recurrence import format_long_date
from meeting_hub.web import format_datetime, format_end_time, format_time

FONT_FAMILY = "DejaVuSans"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
TEXT_SIZE = 11
SMALL_SIZE = 9
LINE = 5.6
HEADINGS = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
TOTAL_ROW = FontFace(emphasis="BOLD")
#: Room kept for the signature blocks: they never start at the foot of a page.
SIGNATURE_HEIGHT = 45.0
#: How many endpoints a poll's table lists before the minutes give a summary instead (config REPORT_POLL_ENDPOINT_ROWS):
#: 19 endpoints fit, a thousand would make pages of figures; the export has every endpoint.
DEFAULT_POLL_ENDPOINT_ROWS = 40


class FontMissing(ServiceError):
    """The Unicode font the minutes embed is not installed where REPORT_FONT_DIR says."""

    code = "font_missing"
    http_status = 500


def font_paths() -> dict[str, Path]:
    """Return the regular and bold DejaVu Sans files, or raise FontMissing telling how to install them."""
    folder = Path(current_app.config["REPORT_FONT_DIR"])
    paths = {style: folder / name for style, name in FONT_FILES.items()}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise FontMissing(
            _(
                "Thiếu phông chữ DejaVu Sans để lập biên bản PDF (%(files)s). Chạy `make setup` để cài đặt, "
                "hoặc đặt MEETING_HUB_REPORT_FONT_DIR về thư mục chứa các tệp này.",
                files=", ".join(missing),
            )
        )
    return paths


def _local(value: datetime) -> datetime:
    return value.astimezone(local_zone())


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}".replace(".", ",") + "%"


class MinutesDocument(FPDF):
    """An A4 page set with the minutes' footer: the version, when it was made, and the page number."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.set_margins(left=25, top=15, right=15)
        self.set_auto_page_break(auto=True, margin=18)
        for style, path in font_paths().items():
            self.add_font(FONT_FAMILY, style, str(path))
        self.set_font(FONT_FAMILY, size=TEXT_SIZE)

    def footer(self) -> None:
        """Write the version line and "Trang x/y" at the foot of each page."""
        self.set_y(-13)
        self.set_font(FONT_FAMILY, size=8)
        self.set_text_color(90)
        self.cell(0, 5, self.footer_text, align=Align.L)
        self.set_x(self.l_margin)
        self.cell(0, 5, _("Trang %(page)s/%(pages)s", page=self.page_no(), pages="{nb}"), align=Align.R)
        self.set_text_color(0)
        self.set_font(FONT_FAMILY, size=TEXT_SIZE)

    # Building blocks

    def text_line(self, text: str, *, bold: bool = False, size: float = TEXT_SIZE, align: Align = Align.L) -> None:
        """Write a paragraph across the page."""
        self.set_font(FONT_FAMILY, "B" if bold else "", size)
        self.multi_cell(0, LINE, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT_FAMILY, "", TEXT_SIZE)

    def heading(self, text: str) -> None:
        """Write a section heading, never alone at the foot of a page."""
        if self.will_page_break(LINE * 4):
            self.add_page()
        self.ln(2)
        self.text_line(text, bold=True, size=12)
        self.ln(1)

    def table_of(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        align: Sequence[str],
        *,
        last_row_bold: bool = False,
    ) -> None:
        """Write a table with a grey heading row repeated on each page."""
        self.set_font(FONT_FAMILY, size=SMALL_SIZE)
        with self.table(
            col_widths=tuple(widths),
            text_align=tuple(align),
            headings_style=HEADINGS,
            line_height=4.6,
            padding=(0.8, 1.2),
            repeat_headings=1,
        ) as table:
            heading_row = table.row()
            for text in headings:
                heading_row.cell(text, align=Align.C)
            for index, values in enumerate(rows):
                style = TOTAL_ROW if last_row_bold and index == len(rows) - 1 else None
                row = table.row()
                for value in values:
                    row.cell(value, style=style)
        self.set_font(FONT_FAMILY, size=TEXT_SIZE)
        self.ln(2)


def _header(pdf: MinutesDocument, data: MinutesData) -> None:
    width = pdf.epw
    left, right = width * 0.5, width * 0.5
    top = pdf.get_y()
    pdf.set_font(FONT_FAMILY, "", 10)
    pdf.multi_cell(left, LINE, data.organization_name.upper(), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, "B", 10)
    pdf.multi_cell(left, LINE, data.department_name.upper(), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.multi_cell(left, LINE, "*", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + left, top)
    pdf.set_font(FONT_FAMILY, "B", 11)
    pdf.cell(right, LINE, _("ĐẢNG CỘNG SẢN VIỆT NAM"), align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    # The short rule under the name, as on the Party's documents.
    middle = pdf.l_margin + left + right / 2
    pdf.line(middle - 25, pdf.get_y() + 0.5, middle + 25, pdf.get_y() + 0.5)
    pdf.ln(3)
    pdf.set_x(pdf.l_margin + left)
    pdf.set_font(FONT_FAMILY, "", 10)
    day = _local(data.briefing.starts_at).date()
    dated = _(
        "%(place)s, ngày %(d)02d tháng %(m)02d năm %(y)d", place=data.place_name, d=day.day, m=day.month, y=day.year
    )
    pdf.multi_cell(right, LINE, dated.lstrip(", "), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(bottom, pdf.get_y()) + 6)
    pdf.set_font(FONT_FAMILY, "", TEXT_SIZE)


def _title(pdf: MinutesDocument, data: MinutesData, version: int | None, reason: str, reopened: bool) -> None:
    pdf.text_line(_("BIÊN BẢN"), bold=True, size=15, align=Align.C)
    pdf.text_line(data.briefing.title, bold=True, size=12, align=Align.C)
    if version is None:
        pdf.text_line(_("(Bản nháp, chưa chốt: số liệu có thể còn thay đổi)"), size=SMALL_SIZE, align=Align.C)
    elif reopened:
        pdf.text_line(
            _(
                "(Phiên bản %(n)d, chốt khi kết thúc lại sau khi mở lại; lý do mở lại: %(reason)s)",
                n=version,
                reason=reason,
            ),
            size=SMALL_SIZE,
            align=Align.C,
        )
    elif version > 1:
        pdf.text_line(
            _("(Phiên bản %(n)d, đính chính: %(reason)s)", n=version, reason=reason), size=SMALL_SIZE, align=Align.C
        )
    pdf.ln(3)


def _time_and_place(pdf: MinutesDocument, data: MinutesData) -> None:
    briefing = data.briefing
    pdf.heading(_("I. THỜI GIAN, HÌNH THỨC"))
    pdf.text_line(
        _(
            "Thời gian: từ %(start)s đến %(end)s, %(day)s.",
            start=format_time(briefing.starts_at),
            end=format_end_time(briefing.starts_at, briefing.ends_at),
            day=format_long_date(_local(briefing.starts_at).date()),
        )
    )
    pdf.text_line(_("Hình thức: trực tuyến, kết nối %(n)d điểm cầu.", n=len(data.endpoints)))
    if briefing.room:
        pdf.text_line(_("Điểm cầu chính: %(room)s.", room=briefing.room))
    if briefing.video_link:
        pdf.text_line(_("Đường dẫn phòng họp: %(link)s", link=briefing.video_link))


def _agenda(pdf: MinutesDocument, data: MinutesData) -> None:
    pdf.heading(_("II. CHƯƠNG TRÌNH"))
    if not data.briefing.agenda_items:
        pdf.text_line(_("Không ghi chương trình."))
    for n, item in enumerate(data.briefing.agenda_items, start=1):
        parts = [f"{n}. {item.title}"]
        if item.presenter:
            parts.append(f" — {item.presenter}")
        if item.duration_minutes:
            parts.append(" " + _("(%(n)d phút)", n=item.duration_minutes))
        pdf.text_line("".join(parts))


def _count_cells(counts: Counts) -> list[str]:
    return [
        str(counts.expected),
        str(counts.present),
        str(counts.late),
        str(counts.excused),
        str(counts.absent),
        str(counts.unrecorded),
    ]


def _attendance(pdf: MinutesDocument, data: MinutesData) -> None:
    pdf.heading(_("III. THÀNH PHẦN THAM DỰ"))
    totals = data.totals
    pdf.text_line(
        _(
            "Triệu tập %(expected)d người; có mặt %(attended)d (trong đó đến muộn %(late)d); "
            "vắng có lý do %(excused)d; vắng %(absent)d; chưa điểm danh %(unrecorded)d. "
            "Tỉ lệ tham dự %(rate)s; tỉ lệ đúng giờ %(on_time)s.",
            expected=totals.expected,
            attended=totals.attended,
            late=totals.late,
            excused=totals.excused,
            absent=totals.absent,
            unrecorded=totals.unrecorded,
            rate=_percent(totals.attendance_rate),
            on_time=_percent(totals.on_time_rate),
        )
    )
    pdf.ln(1)
    rows = [[str(n), row.endpoint.display_name, *_count_cells(row.counts)] for n, row in enumerate(data.endpoints, 1)]
    rows.append(["", _("Tổng cộng"), *_count_cells(totals)])
    pdf.table_of(
        [
            _("STT"),
            _("Điểm cầu"),
            _("Triệu tập"),
            _("Có mặt"),
            _("Đến muộn"),
            _("Vắng có lý do"),
            _("Vắng"),
            _("Chưa điểm danh"),
        ],
        rows,
        widths=(11, 45, 18, 16, 18, 21, 16, 25),
        align=("C", "L", "R", "R", "R", "R", "R", "R"),
        last_row_bold=True,
    )

    pdf.text_line(_("Người vắng mặt và lý do:"), bold=True)
    absentees = [
        [row.endpoint.name, a.name, a.cell, str(ATTENDANCE_STATUS_LABELS[a.status]), a.note or "—"]
        for row in data.endpoints
        for a in row.absentees
    ]
    if absentees:
        pdf.table_of(
            [_("Điểm cầu"), _("Họ và tên"), _("Chi bộ"), _("Tình trạng"), _("Lý do")],
            absentees,
            widths=(28, 38, 38, 24, 42),
            align=("L", "L", "L", "L", "L"),
        )
    else:
        pdf.text_line(_("Không có."))
        pdf.ln(1)

    pdf.text_line(_("Người dự thay:"), bold=True)
    substitutes = [[row.endpoint.name, s.name, s.instead_of, s.cell] for row in data.endpoints for s in row.substitutes]
    if substitutes:
        pdf.table_of(
            [_("Điểm cầu"), _("Người dự thay"), _("Dự thay cho"), _("Chi bộ")],
            substitutes,
            widths=(34, 45, 45, 46),
            align=("L", "L", "L", "L"),
        )
    else:
        pdf.text_line(_("Không có."))


def _moment(value: datetime, day: datetime) -> str:
    return format_time(value) if _local(value).date() == _local(day).date() else format_datetime(value)


def _links(pdf: MinutesDocument, data: MinutesData) -> None:
    pdf.heading(_("IV. TÌNH TRẠNG ĐƯỜNG TRUYỀN"))
    if not data.link_problems:
        pdf.text_line(_("Không điểm cầu nào báo sự cố đường truyền."))
        return
    start = data.briefing.starts_at
    rows = [
        [
            problem.endpoint.name,
            str(LINK_STATUS_LABELS[problem.status]),
            _moment(problem.since, start),
            _moment(problem.until, start) if problem.until else _("đến khi kết thúc"),
        ]
        for problem in data.link_problems
    ]
    pdf.table_of(
        [_("Điểm cầu"), _("Tình trạng"), _("Từ"), _("Đến")],
        rows,
        widths=(60, 40, 35, 35),
        align=("L", "L", "C", "C"),
    )


def _issues(pdf: MinutesDocument, data: MinutesData) -> None:
    pdf.heading(_("V. Ý KIẾN, KIẾN NGHỊ"))
    if not data.issues:
        pdf.text_line(_("Không có ý kiến, kiến nghị."))
        return
    rows = []
    for n, issue in enumerate(data.issues, start=1):
        person = issue.person_name or "—"
        if issue.cell_name is not None:
            person += f"\n({issue.cell_name})"
        content = issue.title + (f"\n{issue.content}" if issue.content else "")
        rows.append([str(n), issue.endpoint_name, person, issue.category_name, content])
    pdf.table_of(
        [_("STT"), _("Điểm cầu"), _("Người nêu"), _("Lĩnh vực"), _("Nội dung")],
        rows,
        widths=(11, 27, 34, 26, 72),
        align=("C", "L", "L", "L", "L"),
    )


def poll_endpoint_rows() -> int:
    """Return how many endpoints a poll's table in the minutes lists at most."""
    return int(current_app.config.get("REPORT_POLL_ENDPOINT_ROWS", DEFAULT_POLL_ENDPOINT_ROWS))


def _share(count: int, answered: int) -> str:
    return _percent(count / answered if answered else None)


def _option_heading(n: int, option_is_other: bool) -> str:
    return _("Khác") if option_is_other else str(n)


def _poll_description(poll: PollMinutes, start: datetime) -> str:
    choice = _("nhiều lựa chọn") if poll.multiple else _("một lựa chọn")
    parts = [_("Hình thức: %(kind)s; %(choice)s.", kind=POLL_KIND_LABELS[poll.kind], choice=choice)]
    if poll.closed and poll.closed_at is not None:
        parts.append(_("Đã đóng lúc %(at)s.", at=_moment(poll.closed_at, start)))
    elif not poll.closed:
        parts.append(_("Câu hỏi chưa đóng khi lập biên bản: số liệu tính đến lúc lập biên bản."))
    return " ".join(parts)


def _poll_answered(poll: PollMinutes) -> str:
    rate = _share(poll.answered, poll.eligible)
    if poll.kind == PollKind.ENDPOINT:
        text: str = _(
            "Số người trả lời (theo số liệu các điểm cầu báo): %(answered)d/%(eligible)d người có mặt (%(rate)s).",
            answered=poll.answered,
            eligible=poll.eligible,
            rate=rate,
        )
    else:
        text = _(
            "Số người trả lời: %(answered)d/%(eligible)d người có mặt (%(rate)s).",
            answered=poll.answered,
            eligible=poll.eligible,
            rate=rate,
        )
    return text


def _poll_endpoints(pdf: MinutesDocument, poll: PollMinutes, limit: int) -> None:
    """Write the endpoints that answered (a table, or a summary past `limit`), then those that did not."""
    if not poll.responding:
        pdf.text_line(_("Chưa điểm cầu nào có câu trả lời."))
    elif len(poll.responding) > limit:
        pdf.text_line(
            _(
                "Có câu trả lời từ %(n)d/%(total)d điểm cầu. Số liệu từng điểm cầu có trong tệp kết quả thăm dò "
                "(Excel, CSV).",
                n=len(poll.responding),
                total=poll.endpoint_count,
            )
        )
    else:
        pdf.text_line(
            _(
                "Theo điểm cầu (%(n)d/%(total)d điểm cầu có câu trả lời):",
                n=len(poll.responding),
                total=poll.endpoint_count,
            )
        )
        columns = len(poll.options)
        # STT, the endpoint, "answered/present", then one narrow column per option, named by its number.
        option_width = min(14.0, (pdf.epw - 10 - 46 - 28) / columns)
        name_width = pdf.epw - 10 - 28 - option_width * columns
        rows = [
            [str(n), row.display_name, f"{row.answered}/{row.eligible}", *(str(count) for count in row.counts)]
            for n, row in enumerate(poll.responding, start=1)
        ]
        pdf.table_of(
            [
                _("STT"),
                _("Điểm cầu"),
                _("Trả lời/có mặt"),
                *(_option_heading(n, option.other) for n, option in enumerate(poll.options, start=1)),
            ],
            rows,
            widths=(10, name_width, 28, *([option_width] * columns)),
            align=("C", "L", "R", *(["R"] * columns)),
        )
    if poll.silent:
        if len(poll.silent) > limit:
            pdf.text_line(_("%(n)d điểm cầu có người dự nhưng chưa trả lời.", n=len(poll.silent)))
        else:
            pdf.text_line(_("Điểm cầu có người dự nhưng chưa trả lời: %(names)s.", names=", ".join(poll.silent)))


def _poll_other_texts(pdf: MinutesDocument, poll: PollMinutes, limit: int) -> None:
    if not poll.other_texts:
        return
    pdf.text_line(_("Ý kiến khác:"), bold=True)
    shown = poll.other_texts[:limit]
    pdf.table_of(
        [_("Điểm cầu"), _("Nội dung")],
        [
            [item.endpoint_name or "—", item.text if item.count == 1 else f"{item.text} (×{item.count})"]
            for item in shown
        ],
        widths=(45, pdf.epw - 45),
        align=("L", "L"),
    )
    if len(poll.other_texts) > len(shown):
        pdf.text_line(
            _(
                "Còn %(n)d ý kiến khác nữa, có trong tệp kết quả thăm dò (Excel).",
                n=len(poll.other_texts) - len(shown),
            )
        )


def _polls(pdf: MinutesDocument, data: MinutesData) -> None:
    """Write each poll's results: its options with counts and shares, then per endpoint. Tallies only."""
    if not data.polls:
        return
    if pdf.will_page_break(LINE * 12):  # the heading and the start of the first poll stay together
        pdf.add_page()
    pdf.heading(_("VI. KẾT QUẢ THĂM DÒ Ý KIẾN"))
    limit = poll_endpoint_rows()
    start = data.briefing.starts_at
    for n, poll in enumerate(data.polls, start=1):
        if n > 1 and pdf.will_page_break(LINE * 8):
            pdf.add_page()
        pdf.text_line(_("Câu %(n)d. %(question)s", n=n, question=poll.question), bold=True)
        pdf.text_line(_poll_description(poll, start), size=SMALL_SIZE)
        pdf.text_line(_poll_answered(poll))
        if poll.kind == PollKind.SECRET:
            pdf.text_line(_("Bỏ phiếu kín: chỉ ghi số phiếu, không ghi ai chọn phương án nào."), size=SMALL_SIZE)
        if poll.multiple:
            pdf.text_line(_("Mỗi người được chọn nhiều phương án: tổng các tỉ lệ có thể vượt 100%."), size=SMALL_SIZE)
        pdf.ln(1)
        pdf.table_of(
            [_("STT"), _("Phương án"), _("Số người chọn"), _("Tỉ lệ")],
            [
                [
                    str(index),
                    _("Khác") if option.other else option.text,  # in the minutes' language, whoever froze them
                    str(option.count),
                    _share(option.count, poll.answered),
                ]
                for index, option in enumerate(poll.options, start=1)
            ],
            widths=(14, pdf.epw - 14 - 30 - 24, 30, 24),
            align=("C", "L", "R", "R"),
        )
        _poll_endpoints(pdf, poll, limit)
        _poll_other_texts(pdf, poll, limit)
        pdf.ln(2)


def _closing(pdf: MinutesDocument, data: MinutesData) -> None:
    briefing = data.briefing
    pdf.ln(2)
    if briefing.ended_at is not None:
        pdf.text_line(_("Buổi giao ban kết thúc lúc %(at)s.", at=_moment(briefing.ended_at, briefing.starts_at)))
    if pdf.will_page_break(SIGNATURE_HEIGHT):
        pdf.add_page()
    pdf.ln(4)
    half = pdf.epw / 2
    top = pdf.get_y()
    for n, title in enumerate((_("THƯ KÝ"), _("CHỦ TRÌ"))):
        pdf.set_xy(pdf.l_margin + n * half, top)
        pdf.set_font(FONT_FAMILY, "B", TEXT_SIZE)
        pdf.cell(half, LINE, title, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT_FAMILY, "", SMALL_SIZE)
        pdf.cell(half, LINE, _("(Ký, ghi rõ họ tên)"), align=Align.C)
    pdf.set_y(top + SIGNATURE_HEIGHT - 10)
    pdf.set_font(FONT_FAMILY, "", TEXT_SIZE)


def render(data: MinutesData, *, version: int | None, reason: str = "", reopened: bool = False) -> bytes:
    """Lay the minutes out as an A4 PDF and return its bytes."""
    made = format_datetime(data.generated_at)
    if version is None:
        footer = _("Bản nháp biên bản, lập lúc %(at)s", at=made)
    else:
        footer = _("Biên bản phiên bản %(n)d, chốt lúc %(at)s", n=version, at=made)
    pdf = MinutesDocument(footer)
    pdf.set_title(f"{_('Biên bản')} — {data.briefing.title}")
    pdf.set_author(data.department_name)
    pdf.set_creator("Meeting Hub")
    # The same content gives the same bytes, whenever it is laid out (a job may run again after a crash).
    pdf.set_creation_date(data.generated_at)
    pdf.add_page()
    _header(pdf, data)
    _title(pdf, data, version, reason, reopened)
    _time_and_place(pdf, data)
    _agenda(pdf, data)
    _attendance(pdf, data)
    _links(pdf, data)
    _issues(pdf, data)
    _polls(pdf, data)
    _closing(pdf, data)
    return bytes(pdf.output())
