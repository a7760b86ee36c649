"""What an uploaded .xlsx may hold, checked before openpyxl reads a byte of it.

An .xlsx is a zip of XML. A 1.6 KB file can unpack to gigabytes (one shared string a gigabyte long), or to rows of
thousands of empty cells that openpyxl parses one by one even when it returns only the first columns, or to a last
row numbered 1,048,576 that read-only mode reaches through a million padded blank rows. So, in this order:

1. the sizes the zip declares (which zipfile enforces when unpacking: a member that unpacks to more fails its CRC):
   MAX_UNPACKED_BYTES in all, MAX_OTHER_PART_BYTES for any part but xl/worksheets/*.xml and xl/sharedStrings.xml
   (openpyxl parses styles and the workbook part whole);
2. a streaming pass of expat (C, no tree kept) over every XML part, which stops at the first row wider than
   max_columns cells, a row numbered past max_rows, more than MAX_CELLS cells in all, or a cell text or shared
   string longer than MAX_TEXT_LENGTH characters.

A roster of 100,000 rows written by openpyxl unpacks to about 34 MB (Excel's, with shared strings, to less); the
pass over it takes about a second and a half of CPU.
"""

from __future__ import annotations

import io
import zipfile
from typing import IO
from xml.parsers import expat

from flask_babel import gettext as _

#: Everything in the zip, unpacked.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: Styles, theme, workbook, relationships, images...: a roster has little of each.
MAX_OTHER_PART_BYTES = 4 * 1024 * 1024
#: Cells in all worksheets (100,000 rows of 5 columns use half a million).
MAX_CELLS = 2_000_000
#: Excel's own limit on the characters of a cell.
MAX_TEXT_LENGTH = 32_767
_CHUNK = 256 * 1024


class XlsxTooLarge(Exception):
    """The file holds more than a roster ever does; the message says what, in the user's language."""


def _may_be_large(name: str) -> bool:
    return (name.startswith("xl/worksheets/") and name.endswith(".xml")) or name == "xl/sharedStrings.xml"


def check_xlsx(content: bytes, *, max_rows: int, max_columns: int) -> None:
    """Raise XlsxTooLarge when the .xlsx unpacks, or claims rows, cells or texts, beyond a roster's size;
    zipfile.BadZipFile when it is no zip, expat.ExpatError when a sheet is not well-formed XML."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = archive.infolist()
        if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
            raise XlsxTooLarge(
                _(
                    "Tệp Excel giải nén ra hơn %(mb)d MB: đây không phải một danh sách thông thường.",
                    mb=MAX_UNPACKED_BYTES // (1024 * 1024),
                )
            )
        if any(member.file_size > MAX_OTHER_PART_BYTES for member in members if not _may_be_large(member.filename)):
            raise XlsxTooLarge(_("Tệp Excel có phần nội dung lạ, quá lớn: đây không phải một danh sách thông thường."))
        scan = _Scan(max_rows=max_rows, max_columns=max_columns)
        for member in members:
            if member.filename.endswith((".xml", ".rels")):  # a sheet may sit at any path its relationship names
                with archive.open(member) as stream:
                    scan.feed(stream)


class _Scan:
    """Count rows, cells and text lengths of SpreadsheetML parts as they stream by."""

    def __init__(self, *, max_rows: int, max_columns: int) -> None:
        self.max_rows, self.max_columns = max_rows, max_columns
        self.cells = 0
        self.row_cells = 0
        self.row_number = 0
        #: Characters of the current cell value or string item (a rich-text string comes in several runs).
        self.text_length = 0
        self.in_text = False

    def feed(self, stream: IO[bytes]) -> None:
        """Read one XML part to the end (or to the first limit passed)."""
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.buffer_text = True
        self.row_number = 0
        while chunk := stream.read(_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(" ")[2]
        if local == "row":
            self.row_cells = 0
            number = attributes.get("r", "")
            if not number:
                self.row_number += 1
            else:  # a number too long to read is past any limit too
                short = number.isascii() and number.isdigit() and len(number) <= 9
                self.row_number = int(number) if short else self.max_rows + 2
            if self.row_number > self.max_rows + 1:  # the header is row 1
                raise XlsxTooLarge(
                    _(
                        "Trang tính có dòng số %(row)d, vượt giới hạn %(n)d dòng (kể cả dòng trống).",
                        row=self.row_number,
                        n=self.max_rows,
                    )
                )
        elif local == "c":
            self.row_cells += 1
            self.cells += 1
            if self.row_cells > self.max_columns:
                raise XlsxTooLarge(
                    _(
                        "Dòng %(row)d của trang tính có hơn %(n)d ô.",
                        row=self.row_number,
                        n=self.max_columns,
                    )
                )
            if self.cells > MAX_CELLS:
                raise XlsxTooLarge(_("Tệp Excel có hơn %(n)d ô.", n=MAX_CELLS))
        if local in ("c", "si", "is", "v", "f"):
            self.text_length = 0
        self.in_text = local in ("t", "v", "f")

    def _end(self, name: str) -> None:
        self.in_text = False

    def _text(self, data: str) -> None:
        if not self.in_text:
            return
        self.text_length += len(data)
        if self.text_length > MAX_TEXT_LENGTH:
            raise XlsxTooLarge(
                _("Tệp Excel có một ô dài hơn %(n)d ký tự, giới hạn của chính Excel.", n=MAX_TEXT_LENGTH)
            )
