"""Roster import: people from a CSV or XLSX file, validated whole before anything is written.

The header may be in Vietnamese (mã điểm cầu, chi bộ, họ và tên, chức vụ, số điện thoại) or the English codes
(endpoint_code, cell, full_name, role, phone), in any order, matched ignoring case and diacritics; roles likewise
(bí thư, phó bí thư, đảng viên or secretary, deputy, member). A template is offered by roster_template.py.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers.expat import ExpatError

import sqlalchemy as sa
from flask_babel import gettext as _

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.extensions import db
from meeting_hub.network.models import Cell, CellKind, Endpoint, Person, PersonRole
from meeting_hub.network.services import PHONE_PATTERN
from meeting_hub.network.xlsx_limits import XlsxTooLarge, check_xlsx
from meeting_hub.notifications.contacts import message_phone
from meeting_hub.vietnamese import fold, normalize_name

HEADER = ("endpoint_code", "cell", "full_name", "role", "phone")
#: The header the template file uses, in the order of HEADER.
VIETNAMESE_HEADER = ("mã điểm cầu", "chi bộ", "họ và tên", "chức vụ", "số điện thoại")
#: Every accepted spelling of each column, folded (lower case, no diacritics, single spaces).
HEADER_ALIASES: dict[str, frozenset[str]] = {
    "endpoint_code": frozenset({"endpoint_code", "ma diem cau", "ma diem", "ma don vi"}),
    "cell": frozenset({"cell", "chi bo", "ten chi bo"}),
    "full_name": frozenset({"full_name", "ho va ten", "ho ten"}),
    "role": frozenset({"role", "chuc vu", "vai tro"}),
    "phone": frozenset({"phone", "so dien thoai", "dien thoai", "sdt", "so dt"}),
}
#: Columns a file may leave out (every phone then counts as not given).
OPTIONAL_COLUMNS = frozenset({"phone"})
#: Every accepted word for each role, folded.
ROLE_WORDS: dict[str, PersonRole] = {
    "secretary": PersonRole.SECRETARY,
    "bi thu": PersonRole.SECRETARY,
    "bi thu chi bo": PersonRole.SECRETARY,
    "deputy": PersonRole.DEPUTY,
    "pho bi thu": PersonRole.DEPUTY,
    "pho bi thu chi bo": PersonRole.DEPUTY,
    "member": PersonRole.MEMBER,
    "dang vien": PersonRole.MEMBER,
}
#: Rows a file may have (the header aside, blank rows included), through the CLI.
MAX_ROWS = 100_000
#: Rows through the web page, which runs the import inside the request: about 1 s per 1,000 rows on two cores, and
#: with gevent workers every socket of the worker waits meanwhile. Bigger files go through `meeting-hub import-roster`.
WEB_MAX_ROWS = 10_000
MAX_COLUMNS = 50
MAX_CELL_LENGTH = 300
#: How much of a cell an error message repeats.
SHOWN_CELL_LENGTH = 60
#: Checking stops after this many errors: the report stays a page, not megabytes, when every row is wrong.
MAX_REPORTED_ERRORS = 500


@dataclass(frozen=True)
class RowError:
    """One problem in the file: the line number (header = 1), the column and what is wrong."""

    line: int
    column: str
    message: str


@dataclass(frozen=True)
class RosterRow:
    """A validated row."""

    line: int
    endpoint_id: int
    cell_name: str
    full_name: str
    role: PersonRole
    phone: str | None


@dataclass
class ImportResult:
    """What an import did, or the errors that stopped it."""

    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    created_cells: int = 0
    created_people: int = 0
    updated_people: int = 0
    unchanged_people: int = 0
    #: Lines whose phone was kept as typed but is no Vietnamese mobile number: no SMS or Zalo reaches it.
    unusable_phones: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether the file was valid (and so imported)."""
        return not self.errors


class RosterFileError(Exception):
    """The file cannot be read at all (wrong format, wrong header)."""


@dataclass(frozen=True)
class Columns:
    """Where each column is in the file (None: not there), and its title as the file writes it."""

    positions: dict[str, int | None]
    titles: dict[str, str]

    def pick(self, row: list[str]) -> list[str]:
        """Return the row's values in the order of HEADER ("" for a missing column or cell)."""
        values = []
        for name in HEADER:
            position = self.positions[name]
            values.append(row[position].strip() if position is not None and position < len(row) else "")
        return values


def match_header(header: list[str]) -> Columns:
    """Find the columns in a header row, in Vietnamese or English, ignoring case, diacritics and order."""
    positions: dict[str, int | None] = dict.fromkeys(HEADER)
    titles = dict(zip(HEADER, HEADER, strict=True))
    for index, title in enumerate(header):
        folded = fold(title)
        for name, aliases in HEADER_ALIASES.items():
            if folded in aliases and positions[name] is None:
                positions[name], titles[name] = index, title.strip()
    missing = [name for name in HEADER if positions[name] is None and name not in OPTIONAL_COLUMNS]
    if missing:
        names = ", ".join(VIETNAMESE_HEADER[HEADER.index(name)] for name in missing)
        raise RosterFileError(
            _(
                "Dòng tiêu đề thiếu cột: %(missing)s. Dòng tiêu đề cần có: %(vi)s (hoặc %(en)s).",
                missing=names,
                vi=", ".join(VIETNAMESE_HEADER),
                en=",".join(HEADER),
            )
        )
    return Columns(positions, titles)


def read_rows(
    filename: str, content: bytes, max_rows: int = MAX_ROWS
) -> tuple[Columns, Iterator[tuple[int, list[str]]]]:
    """Return the columns of a CSV or XLSX file and its non-empty rows as (line number, values in HEADER order)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(content)
    elif suffix == ".xlsx":
        rows = _xlsx_rows(content, max_rows)
    else:
        raise RosterFileError(_("Chỉ nhận tệp .csv hoặc .xlsx."))
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise RosterFileError(_("Tệp trống."))
    columns = match_header(header)

    def values() -> Iterator[tuple[int, list[str]]]:
        for line_number, row in enumerate(iterator, start=2):
            if line_number > max_rows + 1:  # blank lines count too: a file of blank lines is no roster either
                raise RosterFileError(_("Tệp có quá %(n)d dòng (kể cả dòng trống).", n=max_rows))
            if any(cell.strip() for cell in row):
                yield line_number, columns.pick(row)

    return columns, values()


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RosterFileError(_("Tệp CSV phải được lưu với mã hóa UTF-8.")) from error
    reader = csv.reader(io.StringIO(text))
    try:
        yield from reader
    except csv.Error as error:
        # The csv module refuses a field over csv.field_size_limit() (131,072 characters) with an English message.
        if "field larger than field limit" not in str(error):
            raise
        raise RosterFileError(
            _(
                "Dòng %(line)d có một ô dài quá %(n)d ký tự: đây không phải một danh sách thông thường.",
                line=reader.line_num,
                n=MAX_CELL_LENGTH,
            )
        ) from error


def _xlsx_rows(content: bytes, max_rows: int) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # imported here: only imports need it, and it is slow to load

    try:
        check_xlsx(content, max_rows=max_rows, max_columns=MAX_COLUMNS)
    except XlsxTooLarge as error:
        raise RosterFileError(str(error)) from error
    except (zipfile.BadZipFile, ExpatError) as error:
        raise RosterFileError(_("Không đọc được tệp Excel (.xlsx).")) from error
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # read_only pads every row to the declared <dimension>: a tiny file may claim 16,384 columns by 1,048,576
        # rows. Refuse a declared size no roster has before reading a row.
        declared_rows, declared_columns = sheet.max_row or 0, sheet.max_column or 0
    except Exception as error:  # openpyxl raises many kinds of errors on a damaged file
        raise RosterFileError(_("Không đọc được tệp Excel (.xlsx).")) from error
    if declared_rows > max_rows + 1 or declared_columns > MAX_COLUMNS:
        raise RosterFileError(
            _(
                "Trang tính khai báo %(rows)d dòng × %(columns)d cột, "
                "vượt giới hạn %(max_rows)d dòng, %(max_columns)d cột.",
                rows=declared_rows,
                columns=declared_columns,
                max_rows=max_rows,
                max_columns=MAX_COLUMNS,
            )
        )
    for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
        yield ["" if value is None else _cell_text(value) for value in values]


def _cell_text(value: object) -> str:
    # Excel turns phone numbers into numbers and drops the leading 0; keep integers as digits.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def validate_rows(
    rows: Iterable[tuple[int, list[str]]], columns: Columns | None = None
) -> tuple[list[RosterRow], list[RowError]]:
    """Check every row (values in HEADER order) against the network; return the good rows and every error found,
    each naming its column as the file's header does."""
    titles = columns.titles if columns is not None else dict(zip(HEADER, HEADER, strict=True))
    endpoints = {endpoint.code: endpoint for endpoint in db.session.scalars(sa.select(Endpoint))}
    valid: list[RosterRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[int, str, str], int] = {}
    for line, raw in rows:
        if len(valid) + len(errors) >= MAX_ROWS:
            errors.append(RowError(line, "", _("Tệp có quá %(n)d dòng.", n=MAX_ROWS)))
            break
        if len(errors) >= MAX_REPORTED_ERRORS:
            errors.append(
                RowError(
                    line, "", _("Đã dừng kiểm tra sau %(n)d lỗi: hãy sửa các lỗi trên rồi nhập lại.", n=len(errors))
                )
            )
            break
        cells = [value.strip() for value in raw] + [""] * (len(HEADER) - len(raw))
        code, cell_name, full_name, role_text, phone = cells[: len(HEADER)]
        row_errors: list[RowError] = [
            RowError(line, name, _("Ô dài quá %(n)d ký tự.", n=MAX_CELL_LENGTH))
            for name, value in zip(HEADER, cells, strict=False)
            if len(value) > MAX_CELL_LENGTH
        ]
        if row_errors:
            errors.extend(_titled(row_errors, titles))
            continue
        endpoint = endpoints.get(code.lower())
        if not code:
            row_errors.append(RowError(line, "endpoint_code", _("Thiếu mã điểm cầu.")))
        elif endpoint is None:
            row_errors.append(RowError(line, "endpoint_code", _("Không có điểm cầu mã “%(code)s”.", code=_shown(code))))
        elif not endpoint.active:
            row_errors.append(
                RowError(line, "endpoint_code", _("Điểm cầu “%(code)s” đã ngừng hoạt động.", code=_shown(code)))
            )
        if not cell_name:
            row_errors.append(RowError(line, "cell", _("Thiếu tên chi bộ.")))
        if not full_name:
            row_errors.append(RowError(line, "full_name", _("Thiếu họ và tên.")))
        role = _parse_role(role_text)
        if role is None:
            row_errors.append(
                RowError(
                    line,
                    "role",
                    _(
                        "Chức vụ “%(role)s” không hợp lệ: ghi bí thư, phó bí thư hoặc đảng viên "
                        "(hoặc secretary, deputy, member).",
                        role=_shown(role_text),
                    ),
                )
            )
        if phone and not PHONE_PATTERN.match(phone):
            row_errors.append(
                RowError(line, "phone", _("Số điện thoại “%(phone)s” không hợp lệ.", phone=_shown(phone)))
            )
        if row_errors or endpoint is None or role is None:
            errors.extend(_titled(row_errors, titles))
            continue
        key = (endpoint.id, fold(cell_name), fold(full_name))
        if key in seen:
            errors.append(RowError(line, titles["full_name"], _("Trùng với dòng %(line)d.", line=seen[key])))
            continue
        seen[key] = line
        valid.append(
            RosterRow(line, endpoint.id, normalize_name(cell_name), normalize_name(full_name), role, phone or None)
        )
    return valid, errors


def _shown(value: str) -> str:
    """Return a cell as an error message repeats it: its first SHOWN_CELL_LENGTH characters."""
    return value if len(value) <= SHOWN_CELL_LENGTH else value[: SHOWN_CELL_LENGTH - 1] + "…"


def _titled(errors: list[RowError], titles: dict[str, str]) -> list[RowError]:
    """Name each error's column as the file's header does (chức vụ, or role)."""
    return [RowError(error.line, titles.get(error.column, error.column), error.message) for error in errors]


def _parse_role(text: str) -> PersonRole | None:
    """Read a role in Vietnamese or as the English code, ignoring case and diacritics."""
    return ROLE_WORDS.get(fold(text))


def guess_cell_kind(name: str) -> CellKind:
    """Guess a new cell's kind from its name ("Thôn ..." is a village, "Khu dân cư ..." a residential area)."""
    folded = fold(name)
    if folded.startswith(("thon ", "lang ", "ban ")):
        return CellKind.VILLAGE
    if folded.startswith(("khu dan cu", "kdc ", "khu pho", "to dan pho")):
        return CellKind.RESIDENTIAL_AREA
    return CellKind.OTHER


def import_roster(
    filename: str,
    content: bytes,
    actor: User | None,
    progress: Callable[[int], None] | None = None,
    max_rows: int = MAX_ROWS,
) -> ImportResult:
    """Validate the whole file, then write it in one transaction; a file with any bad row writes nothing.

    People are matched on (endpoint, cell, name without diacritics), so importing the same file twice changes nothing.
    The caller commits when the result is ok.
    """
    result = ImportResult()
    try:
        columns, raw_rows = read_rows(filename, content, max_rows)
        rows, errors = validate_rows(raw_rows, columns)
    except RosterFileError as error:
        result.errors.append(RowError(1, "", str(error)))
        return result
    except csv.Error as error:  # a NUL byte, an unclosed quote at the end
        result.errors.append(RowError(1, "", _("Tệp CSV hỏng, không đọc được: %(reason)s", reason=str(error))))
        return result
    result.rows = len(rows) + len({error.line for error in errors})
    if errors:
        result.errors = errors
        return result

    all_cells = list(db.session.scalars(sa.select(Cell)))
    cells = {(cell.endpoint_id, fold(cell.name)): cell for cell in all_cells}
    cells_by_id = {cell.id: cell for cell in all_cells}
    # Keyed by the cell object: new cells get their id only at the one flush of the commit (a flush per new cell
    # made a 10,000-row import take minutes).
    people: dict[tuple[Cell, str], list[Person]] = {}
    for person in db.session.scalars(sa.select(Person)):
        people.setdefault((cells_by_id[person.cell_id], fold(person.full_name)), []).append(person)

    for done, row in enumerate(rows, start=1):
        if row.phone and message_phone(row.phone) is None:
            result.unusable_phones.append(row.line)
        cell = cells.get((row.endpoint_id, fold(row.cell_name)))
        if cell is None:
            cell = Cell(endpoint_id=row.endpoint_id, name=row.cell_name, kind=guess_cell_kind(row.cell_name))
            cell.refresh_search_text()
            db.session.add(cell)
            cells[(row.endpoint_id, fold(row.cell_name))] = cell
            result.created_cells += 1
        matches = people.get((cell, fold(row.full_name)), [])
        if not matches:
            person = Person(full_name=row.full_name, role=row.role, phone=row.phone)
            if cell.id is None:
                person.cell = cell  # a new cell: its (empty) people list needs no loading
            else:
                person.cell_id = cell.id  # an existing cell: do not load its people to append one
            person.refresh_search_text()
            db.session.add(person)
            people[(cell, fold(row.full_name))] = [person]
            result.created_people += 1
        else:
            person = matches[0]
            # An empty phone cell means "not given", never "erase the number we have".
            phone = row.phone or person.phone
            if (person.role, person.phone, person.active) != (row.role, phone, True):
                person.role, person.phone, person.active = row.role, phone, True
                person.refresh_search_text()
                result.updated_people += 1
            else:
                result.unchanged_people += 1
        if progress is not None:
            progress(done)
    audit.record(
        "roster.import",
        actor,
        target=f"file:{Path(filename).name}",
        rows=result.rows,
        created_people=result.created_people,
        updated_people=result.updated_people,
        created_cells=result.created_cells,
        unusable_phones=len(result.unusable_phones),
    )
    return result
