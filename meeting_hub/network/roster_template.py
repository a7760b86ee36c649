"""The roster template offered for download: the Vietnamese header and an example row, as CSV or XLSX.

The XLSX also lists the endpoint codes and the role words on a second sheet, so whoever fills it in needs nothing else.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask_babel import gettext as _

from meeting_hub.network.models import Endpoint
from meeting_hub.network.roster_import import VIETNAMESE_HEADER
from meeting_hub.network.services import list_endpoints

EXAMPLE_CODE = "sao-do"


def _example_row(endpoints: list[Endpoint]) -> list[str]:
    code = endpoints[0].code if endpoints else EXAMPLE_CODE
    return [code, "Thôn Đông Xá", "Nguyễn Văn An", "bí thư", "0912345678"]


def template_csv() -> bytes:
    """Return the template as CSV in UTF-8 with a byte order mark (Excel then shows the Vietnamese right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(VIETNAMESE_HEADER)
    writer.writerow(_example_row(list_endpoints()))
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    """Return the template as an XLSX workbook: the roster sheet, then a sheet of instructions and endpoint codes."""
    from openpyxl import Workbook  # imported here: slow to load, and only this download needs it
    from openpyxl.styles import Font

    endpoints = list_endpoints()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Danh sách"
    _append_text(sheet, list(VIETNAMESE_HEADER))
    _append_text(sheet, _example_row(endpoints))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDE", (18, 28, 28, 14, 16), strict=True):
        sheet.column_dimensions[column].width = width
        # Text cells: Excel would otherwise drop a phone number's leading 0.
        for row in range(2, 1001):
            sheet[f"{column}{row}"].number_format = "@"

    guide = workbook.create_sheet("Hướng dẫn")
    for line in (
        [_("Mỗi dòng một người. Dòng đầu của trang “Danh sách” là tiêu đề, giữ nguyên.")],
        [_("Chức vụ: bí thư, phó bí thư hoặc đảng viên.")],
        [_("Số điện thoại không bắt buộc; chi bộ chưa có sẽ được tạo mới.")],
        [_("Nếu có dòng lỗi, không dòng nào được ghi; nhập lại cùng tệp không tạo bản ghi trùng.")],
        [],
        [_("Mã điểm cầu"), _("Tên điểm cầu")],
    ):
        _append_text(guide, line)
    for endpoint in endpoints:
        _append_text(guide, [endpoint.code, endpoint.display_name])
    guide.column_dimensions["A"].width = 22
    guide.column_dimensions["B"].width = 40
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _append_text(sheet: Any, values: list[str]) -> None:
    """Append a row of plain text cells (never formulas, whatever a name starts with)."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
