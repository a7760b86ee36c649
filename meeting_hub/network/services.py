"""Operations on the network: endpoints (and their merging), cells, people and agencies."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from meeting_hub.accounts import audit, live_access
from meeting_hub.accounts.models import User
from meeting_hub.accounts.policy import require_endpoint
from meeting_hub.accounts.roles import Role
from meeting_hub.database import Base, utcnow
from meeting_hub.errors import Conflict, NotFound, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.network.models import Agency, Cell, CellKind, Endpoint, EndpointKind, Person, PersonRole
from meeting_hub.notifications.contacts import channel_list, message_phone
from meeting_hub.notifications.models import Channel
from meeting_hub.vietnamese import fold, normalize_name, search_terms, sort_key

ENDPOINT_CODE_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 .-]{8,20}$")

_Model = TypeVar("_Model", bound=Base)


def slugify(name: str) -> str:
    """Return the ASCII slug of a Vietnamese name: "Hoàng Hoa Thám" -> "hoang-hoa-tham"."""
    return "-".join(re.findall(r"[a-z0-9]+", fold(name)))


def _get_or_not_found(model: type[_Model], object_id: int, message: str) -> _Model:
    found = db.session.get(model, object_id)
    if found is None:
        raise NotFound(message)
    return found


# Endpoints


@dataclass
class EndpointData:
    """What an admin fills in for an endpoint."""

    code: str
    name: str
    kind: EndpointKind
    party_committee_name: str = ""
    active: bool = True
    #: The channels ("sms", "zalo") carrying briefing reminders to the cell secretaries; None keeps what is stored.
    secretary_channels: list[str] | None = None


def list_endpoints(
    viewer: User | None = None, query: str | None = None, include_inactive: bool = False
) -> list[Endpoint]:
    """Return the endpoints the viewer may see (operators: their own), matching a diacritics-free query."""
    statement = sa.select(Endpoint)
    if not include_inactive:
        statement = statement.where(Endpoint.active.is_(True))
    if viewer is not None and viewer.role == Role.OPERATOR:
        statement = statement.where(Endpoint.id == viewer.endpoint_id)
    for term in search_terms(query):
        statement = statement.where(Endpoint.search_text.contains(term))
    # Wards first, then communes, each in Vietnamese alphabetical order (the database sorts "Đ" after "Z").
    return sorted(db.session.scalars(statement), key=lambda e: (e.kind != EndpointKind.WARD, sort_key(e.name)))


def get_endpoint(endpoint_id: int, viewer: User | None = None) -> Endpoint:
    """Return an endpoint, refusing an operator who asks for another endpoint's."""
    endpoint = _get_or_not_found(Endpoint, endpoint_id, _("Không tìm thấy điểm cầu."))
    if viewer is not None:
        require_endpoint(viewer, endpoint_id)
    return endpoint


def _validate_endpoint(data: EndpointData, existing: Endpoint | None) -> None:
    errors: dict[str, str] = {}
    if not ENDPOINT_CODE_PATTERN.match(data.code):
        errors["code"] = _("Mã điểm cầu chỉ gồm chữ thường không dấu, số và gạch ngang (vd. sao-do).")
    else:
        clash = db.session.scalar(sa.select(Endpoint.id).where(Endpoint.code == data.code))
        if clash is not None and (existing is None or clash != existing.id):
            errors["code"] = _("Mã điểm cầu này đã được dùng.")
    if not data.name.strip():
        errors["name"] = _("Cần nhập tên điểm cầu.")
    if data.secretary_channels is not None:
        try:
            data.secretary_channels = secretary_channel_list(data.secretary_channels)
        except ValueError:
            errors["secretary_channels"] = _("Bí thư chi bộ chỉ nhận nhắc lịch qua SMS hoặc Zalo.")
    if errors:
        raise ValidationFailed(_("Thông tin điểm cầu chưa hợp lệ."), details=errors)


def secretary_channel_list(chosen: Iterable[str]) -> list[str]:
    """Return the chosen secretaries' channels in the usual order, once each; raise ValueError for any channel but
    SMS and Zalo (people on a roster have no e-mail address)."""
    channels = channel_list(chosen)
    if Channel.EMAIL in channels:
        raise ValueError("secretaries have no e-mail address")
    return [channel.value for channel in channels]


def default_party_committee_name(kind: EndpointKind, name: str) -> str:
    """Return "Đảng ủy phường Sao Đỏ" style names."""
    return f"Đảng ủy {'phường' if kind == EndpointKind.WARD else 'xã'} {name}"


def create_endpoint(data: EndpointData, actor: User | None) -> Endpoint:
    """Create an endpoint; the caller commits."""
    data.code = data.code.strip().lower() or slugify(data.name)
    data.name = normalize_name(data.name)
    _validate_endpoint(data, None)
    endpoint = Endpoint(
        code=data.code,
        name=data.name,
        kind=data.kind,
        party_committee_name=normalize_name(data.party_committee_name)
        or default_party_committee_name(data.kind, data.name),
        active=data.active,
        secretary_channels=data.secretary_channels or [],
    )
    endpoint.refresh_search_text()
    db.session.add(endpoint)
    db.session.flush()
    audit.record("endpoint.create", actor, target=f"endpoint:{endpoint.code}")
    return endpoint


def update_endpoint(endpoint: Endpoint, data: EndpointData, actor: User) -> Endpoint:
    """Rename or re-code an endpoint, or (de)activate it; the caller commits."""
    data.code = data.code.strip().lower()
    data.name = normalize_name(data.name)
    _validate_endpoint(data, endpoint)
    if endpoint.merged_into_id is not None and data.active:
        raise Conflict(_("Điểm cầu đã sáp nhập không thể kích hoạt lại."))
    endpoint.code = data.code
    endpoint.name = data.name
    endpoint.kind = data.kind
    endpoint.party_committee_name = normalize_name(data.party_committee_name) or default_party_committee_name(
        data.kind, data.name
    )
    endpoint.active = data.active
    if data.secretary_channels is not None:
        endpoint.secretary_channels = data.secretary_channels
    endpoint.refresh_search_text()
    audit.record(
        "endpoint.update",
        actor,
        target=f"endpoint:{endpoint.code}",
        active=endpoint.active,
        secretary_channels=endpoint.secretary_channels,
    )
    return endpoint


@dataclass(frozen=True)
class MergeConsequence:
    """What merging an endpoint moves: its cells with their people, and its operators' accounts."""

    cells: int
    people: int
    operators: int


def merge_consequence(source: Endpoint) -> MergeConsequence:
    """Count what merging the endpoint into another would move, for its confirmation and the audit log."""
    cell_ids = [cell.id for cell in source.cells]
    people = db.session.scalar(sa.select(sa.func.count(Person.id)).where(Person.cell_id.in_(cell_ids))) or 0
    operators = db.session.scalar(
        sa.select(sa.func.count(User.id)).where(User.endpoint_id == source.id, User.role == Role.OPERATOR)
    )
    return MergeConsequence(len(cell_ids), people, operators or 0)


def merge_endpoint(source: Endpoint, target: Endpoint, actor: User) -> None:
    """Merge one endpoint into another: cells and operators move, the old endpoint stays with its history.

    Past briefings keep pointing at the old endpoint, so their attendance still reads as it was.
    """
    if source.id == target.id:
        raise ValidationFailed(_("Không thể sáp nhập một điểm cầu vào chính nó."))
    if not target.active:
        raise Conflict(_("Điểm cầu nhận sáp nhập phải đang hoạt động."))
    if source.merged_into_id is not None:
        raise Conflict(_("Điểm cầu này đã được sáp nhập trước đó."))
    moved = merge_consequence(source)
    target_cell_names = {cell.name for cell in target.cells}
    for cell in list(source.cells):
        if cell.name in target_cell_names:
            # Same village name in both units: keep it distinguishable after the move.
            cell.name = f"{cell.name} ({source.name})"
            cell.refresh_search_text()
        cell.endpoint_id = target.id
    moved_operators = db.session.scalars(
        sa.update(User)
        .where(User.endpoint_id == source.id, User.role == Role.OPERATOR)
        .values(endpoint_id=target.id, auth_epoch=live_access.raised_epoch())
        .returning(User.id)
    ).all()
    # Their open consoles were authorised for the old endpoint: they end, and connect again for the new one.
    live_access.note_bulk_changes([live_access.AccessChange(user_id, everything=True) for user_id in moved_operators])
    source.active = False
    source.merged_into_id = target.id
    source.merged_at = utcnow()
    audit.record(
        "endpoint.merge",
        actor,
        target=f"endpoint:{source.code}",
        into=target.code,
        cells=moved.cells,
        people=moved.people,
        operators=moved.operators,
    )


# Cells


def _cell_name(endpoint_id: int, name: str, cell: Cell | None) -> str:
    """Return the normalized cell name, refusing an empty one or one another cell of the endpoint has."""
    name = normalize_name(name)
    if not name:
        raise ValidationFailed(_("Cần nhập tên chi bộ."), details={"name": _("Cần nhập tên chi bộ.")})
    clash = sa.select(Cell.id).where(Cell.endpoint_id == endpoint_id, Cell.name == name)
    if cell is not None:
        clash = clash.where(Cell.id != cell.id)
    if db.session.scalar(clash):
        raise ValidationFailed(_("Điểm cầu đã có chi bộ này."), details={"name": _("Điểm cầu đã có chi bộ này.")})
    return name


def create_cell(endpoint: Endpoint, name: str, kind: CellKind, actor: User | None) -> Cell:
    """Add a Party cell to an endpoint; the caller commits."""
    name = _cell_name(endpoint.id, name, None)
    cell = Cell(endpoint_id=endpoint.id, name=name, kind=kind)
    cell.refresh_search_text()
    db.session.add(cell)
    db.session.flush()
    audit.record("cell.create", actor, target=f"cell:{cell.id}", endpoint=endpoint.code, name=name)
    return cell


def update_cell(cell: Cell, name: str, kind: CellKind, active: bool, actor: User) -> Cell:
    """Rename, re-kind or (de)activate a cell; the caller commits."""
    name = _cell_name(cell.endpoint_id, name, cell)
    cell.name, cell.kind, cell.active = name, kind, active
    cell.refresh_search_text()
    audit.record("cell.update", actor, target=f"cell:{cell.id}", name=name, active=active)
    return cell


def get_cell(cell_id: int) -> Cell:
    """Return a cell or raise NotFound."""
    return _get_or_not_found(Cell, cell_id, _("Không tìm thấy chi bộ."))


# People


@dataclass
class PersonData:
    """What an admin fills in for a person."""

    cell_id: int
    full_name: str
    role: PersonRole
    phone: str | None = None
    active: bool = True


def _clean_person(data: PersonData) -> None:
    """Normalize the name and phone in place, then refuse invalid data."""
    data.full_name = normalize_name(data.full_name)
    data.phone = (data.phone or "").strip() or None
    errors: dict[str, str] = {}
    if not data.full_name:
        errors["full_name"] = _("Cần nhập họ và tên.")
    if db.session.get(Cell, data.cell_id) is None:
        errors["cell_id"] = _("Chi bộ không tồn tại.")
    if data.phone and not PHONE_PATTERN.match(data.phone):
        errors["phone"] = _("Số điện thoại không hợp lệ.")
    if errors:
        raise ValidationFailed(_("Thông tin người chưa hợp lệ."), details=errors)


def create_person(data: PersonData, actor: User | None) -> Person:
    """Add a person to a cell; the caller commits."""
    _clean_person(data)
    person = Person(
        cell_id=data.cell_id, full_name=data.full_name, role=data.role, phone=data.phone, active=data.active
    )
    person.refresh_search_text()
    db.session.add(person)
    db.session.flush()
    audit.record("person.create", actor, target=f"person:{person.id}", name=person.full_name)
    return person


def update_person(person: Person, data: PersonData, actor: User) -> Person:
    """Change a person's details or move them to another cell; the caller commits."""
    _clean_person(data)
    person.cell_id, person.full_name, person.role = data.cell_id, data.full_name, data.role
    person.phone, person.active = data.phone, data.active
    person.refresh_search_text()
    audit.record("person.update", actor, target=f"person:{person.id}", name=person.full_name, active=data.active)
    return person


def get_person(person_id: int) -> Person:
    """Return a person or raise NotFound."""
    return _get_or_not_found(Person, person_id, _("Không tìm thấy người."))


def list_people(
    viewer: User,
    *,
    endpoint_id: int | None = None,
    query: str | None = None,
    include_inactive: bool = False,
    limit: int | None = None,
) -> list[Person]:
    """Return people the viewer may see, by endpoint, cell and name; operators see their own endpoint only."""
    if viewer.role == Role.OPERATOR:
        if endpoint_id is not None:
            require_endpoint(viewer, endpoint_id)
        endpoint_id = viewer.endpoint_id
    statement = (
        sa.select(Person)
        .join(Person.cell)
        .join(Cell.endpoint)
        .options(sa.orm.contains_eager(Person.cell).contains_eager(Cell.endpoint))
    )
    if endpoint_id is not None:
        statement = statement.where(Cell.endpoint_id == endpoint_id)
    if not include_inactive:
        statement = statement.where(Person.active.is_(True))
    for term in search_terms(query):
        statement = statement.where(
            sa.or_(
                Person.search_text.contains(term), Cell.search_text.contains(term), Endpoint.search_text.contains(term)
            )
        )
    role_order = {PersonRole.SECRETARY: 0, PersonRole.DEPUTY: 1, PersonRole.MEMBER: 2}
    people = sorted(
        db.session.scalars(statement),
        key=lambda p: (
            sort_key(p.cell.endpoint.name),
            sort_key(p.cell.name),
            role_order[p.role],
            sort_key(p.full_name),
        ),
    )
    # Cut after sorting: the database's order by name is not the Vietnamese one.
    return people if limit is None else people[:limit]


# Agencies


@dataclass
class AgencyData:
    """What an admin fills in for a handling agency."""

    name: str
    endpoint_id: int | None = None
    email: str | None = None
    phone: str | None = None
    active: bool = True


def _validate_agency(data: AgencyData, existing: Agency | None) -> None:
    errors: dict[str, str] = {}
    if not data.name:
        errors["name"] = _("Cần nhập tên cơ quan.")
    else:
        clash = db.session.scalar(sa.select(Agency.id).where(Agency.name == data.name))
        if clash is not None and (existing is None or clash != existing.id):
            errors["name"] = _("Đã có cơ quan với tên này.")
    if data.endpoint_id is not None and db.session.get(Endpoint, data.endpoint_id) is None:
        errors["endpoint_id"] = _("Điểm cầu không tồn tại.")
    if data.phone and not PHONE_PATTERN.match(data.phone):
        errors["phone"] = _("Số điện thoại không hợp lệ.")
    if data.email:
        try:
            # Syntax only: the closed networks the app runs on often cannot look up mail servers.
            data.email = validate_email(data.email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = _("Địa chỉ thư điện tử không hợp lệ.")
    if errors:
        raise ValidationFailed(_("Thông tin cơ quan chưa hợp lệ."), details=errors)


def create_agency(data: AgencyData, actor: User | None) -> Agency:
    """Create a handling agency; the caller commits."""
    data.name = normalize_name(data.name)
    _validate_agency(data, None)
    agency = Agency(
        name=data.name,
        endpoint_id=data.endpoint_id,
        email=data.email or None,
        phone=data.phone or None,
        active=data.active,
    )
    agency.refresh_search_text()
    db.session.add(agency)
    db.session.flush()
    audit.record("agency.create", actor, target=f"agency:{agency.id}", name=agency.name)
    return agency


def update_agency(agency: Agency, data: AgencyData, actor: User) -> Agency:
    """Change a handling agency; the caller commits."""
    data.name = normalize_name(data.name)
    _validate_agency(data, agency)
    agency.name, agency.endpoint_id, agency.active = data.name, data.endpoint_id, data.active
    agency.email, agency.phone = data.email or None, data.phone or None
    agency.refresh_search_text()
    audit.record("agency.update", actor, target=f"agency:{agency.id}", name=agency.name, active=agency.active)
    return agency


def get_agency(agency_id: int) -> Agency:
    """Return an agency or raise NotFound."""
    return _get_or_not_found(Agency, agency_id, _("Không tìm thấy cơ quan."))


def list_agencies(query: str | None = None, include_inactive: bool = False) -> list[Agency]:
    """Return agencies matching a diacritics-free query, in Vietnamese order of name."""
    statement = sa.select(Agency)
    if not include_inactive:
        statement = statement.where(Agency.active.is_(True))
    for term in search_terms(query):
        statement = statement.where(Agency.search_text.contains(term))
    return sorted(db.session.scalars(statement), key=lambda agency: sort_key(agency.name))


def sorted_cells(cells: Iterable[Cell]) -> list[Cell]:
    """Return cells in Vietnamese order of name."""
    return sorted(cells, key=lambda cell: sort_key(cell.name))


def endpoint_counts(endpoint_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """Return {endpoint id: {cells, people, secretaries}} for active cells and people, in two queries."""
    cells = sa.select(Cell.endpoint_id, sa.func.count(Cell.id)).where(Cell.active.is_(True)).group_by(Cell.endpoint_id)
    people = (
        sa.select(
            Cell.endpoint_id,
            sa.func.count(Person.id),
            sa.func.count(Person.id).filter(Person.role == PersonRole.SECRETARY),
        )
        .join(Person.cell)
        .where(Person.active.is_(True), Cell.active.is_(True))
        .group_by(Cell.endpoint_id)
    )
    if endpoint_ids is not None:
        cells = cells.where(Cell.endpoint_id.in_(endpoint_ids))
        people = people.where(Cell.endpoint_id.in_(endpoint_ids))
    counts: dict[int, dict[str, int]] = {}
    for endpoint_id, n_cells in db.session.execute(cells):
        counts.setdefault(endpoint_id, {"cells": 0, "people": 0, "secretaries": 0})["cells"] = n_cells
    for endpoint_id, n_people, n_secretaries in db.session.execute(people):
        entry = counts.setdefault(endpoint_id, {"cells": 0, "people": 0, "secretaries": 0})
        entry["people"], entry["secretaries"] = n_people, n_secretaries
    return counts


def unreachable_secretaries(endpoint: Endpoint) -> set[int] | None:
    """Return the ids of the endpoint's active cell secretaries without a usable mobile number, or None when the
    endpoint sends secretaries no reminders (then nobody is missing one)."""
    if not endpoint.secretary_channels:
        return None
    secretaries = db.session.execute(
        sa.select(Person.id, Person.phone)
        .join(Person.cell)
        .where(Cell.endpoint_id == endpoint.id, Cell.active, Person.active, Person.role == PersonRole.SECRETARY)
    )
    return {person_id for person_id, phone in secretaries if message_phone(phone) is None}
