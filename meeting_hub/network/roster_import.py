"""Roster import: people from a CSV or XLSX file, validated whole before anything is written."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.extensions import db
from meeting_hub.network.models import Cell, CellKind, Endpoint, Person, PersonRole
from meeting_hub.network.services import PHONE_PATTERN
from meeting_hub.vietnamese import fold, normalize_name

HEADER = ("endpoint_code", "cell", "full_name", "role", "phone")
MAX_ROWS = 100_000


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

    @property
    def ok(self) -> bool:
        """Tell whether the file was valid (and so imported)."""
        return not self.errors


class RosterFileError(Exception):
    """The file cannot be read at all (wrong format, wrong header)."""


def read_rows(filename: str, content: bytes) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, cells) of a CSV or XLSX file after checking its header."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(content)
    elif suffix == ".xlsx":
        rows = _xlsx_rows(content)
    else:
        raise RosterFileError(_("Chỉ nhận tệp .csv hoặc .xlsx."))
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None or tuple(cell.strip().lower() for cell in header[: len(HEADER)]) != HEADER:
        raise RosterFileError(_("Dòng tiêu đề phải là: %(header)s", header=",".join(HEADER)))
    for line_number, row in enumerate(iterator, start=2):
        if any(cell.strip() for cell in row):
            yield line_number, row


def _csv_rows(content: bytes) -> Iterable[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RosterFileError(_("Tệp CSV phải được lưu với mã hóa UTF-8.")) from error
    return csv.reader(io.StringIO(text))


def _xlsx_rows(content: bytes) -> Iterable[list[str]]:
    from openpyxl import load_workbook  # imported here: only imports need it, and it is slow to load

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds of errors on a damaged file
        raise RosterFileError(_("Không đọc được tệp Excel (.xlsx).")) from error
    sheet = workbook.worksheets[0]
    for values in sheet.iter_rows(values_only=True):
        yield ["" if value is None else _cell_text(value) for value in values]


def _cell_text(value: object) -> str:
    # Excel turns phone numbers into numbers and drops the leading 0; keep integers as digits.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def validate_rows(rows: Iterable[tuple[int, list[str]]]) -> tuple[list[RosterRow], list[RowError]]:
    """Check every row against the network; return the good rows and every error found."""
    endpoints = {endpoint.code: endpoint for endpoint in db.session.scalars(sa.select(Endpoint))}
    valid: list[RosterRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[int, str, str], int] = {}
    for line, raw in rows:
        if len(valid) + len(errors) >= MAX_ROWS:
            errors.append(RowError(line, "", _("Tệp có quá %(n)d dòng.", n=MAX_ROWS)))
            break
        cells = [value.strip() for value in raw] + [""] * (len(HEADER) - len(raw))
        code, cell_name, full_name, role_text, phone = cells[: len(HEADER)]
        row_errors: list[RowError] = []
        endpoint = endpoints.get(code.lower())
        if not code:
            row_errors.append(RowError(line, "endpoint_code", _("Thiếu mã điểm cầu.")))
        elif endpoint is None:
            row_errors.append(RowError(line, "endpoint_code", _("Không có điểm cầu mã “%(code)s”.", code=code)))
        elif not endpoint.active:
            row_errors.append(RowError(line, "endpoint_code", _("Điểm cầu “%(code)s” đã ngừng hoạt động.", code=code)))
        if not cell_name:
            row_errors.append(RowError(line, "cell", _("Thiếu tên chi bộ.")))
        if not full_name:
            row_errors.append(RowError(line, "full_name", _("Thiếu họ và tên.")))
        role = _parse_role(role_text)
        if role is None:
            row_errors.append(
                RowError(
                    line, "role", _("Vai trò “%(role)s” không hợp lệ (secretary, deputy, member).", role=role_text)
                )
            )
        if phone and not PHONE_PATTERN.match(phone):
            row_errors.append(RowError(line, "phone", _("Số điện thoại “%(phone)s” không hợp lệ.", phone=phone)))
        if row_errors or endpoint is None or role is None:
            errors.extend(row_errors)
            continue
        key = (endpoint.id, fold(cell_name), fold(full_name))
        if key in seen:
            errors.append(RowError(line, "full_name", _("Trùng với dòng %(line)d.", line=seen[key])))
            continue
        seen[key] = line
        valid.append(
            RosterRow(line, endpoint.id, normalize_name(cell_name), normalize_name(full_name), role, phone or None)
        )
    return valid, errors


def _parse_role(text: str) -> PersonRole | None:
    try:
        return PersonRole(text.strip().lower())
    except ValueError:
        return None


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
) -> ImportResult:
    """Validate the whole file, then write it in one transaction; a file with any bad row writes nothing.

    People are matched on (endpoint, cell, name without diacritics), so importing the same file twice changes nothing.
    The caller commits when the result is ok.
    """
    result = ImportResult()
    try:
        rows, errors = validate_rows(read_rows(filename, content))
    except RosterFileError as error:
        result.errors.append(RowError(1, "", str(error)))
        return result
    result.rows = len(rows) + len({error.line for error in errors})
    if errors:
        result.errors = errors
        return result

    cells = {(cell.endpoint_id, fold(cell.name)): cell for cell in db.session.scalars(sa.select(Cell))}
    people: dict[tuple[int, str], list[Person]] = {}
    for person in db.session.scalars(sa.select(Person)):
        people.setdefault((person.cell_id, fold(person.full_name)), []).append(person)

    for done, row in enumerate(rows, start=1):
        cell = cells.get((row.endpoint_id, fold(row.cell_name)))
        if cell is None:
            cell = Cell(endpoint_id=row.endpoint_id, name=row.cell_name, kind=guess_cell_kind(row.cell_name))
            cell.refresh_search_text()
            db.session.add(cell)
            db.session.flush()
            cells[(row.endpoint_id, fold(row.cell_name))] = cell
            result.created_cells += 1
        matches = people.get((cell.id, fold(row.full_name)), [])
        if not matches:
            person = Person(cell_id=cell.id, full_name=row.full_name, role=row.role, phone=row.phone)
            person.refresh_search_text()
            db.session.add(person)
            people[(cell.id, fold(row.full_name))] = [person]
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
    )
    return result
