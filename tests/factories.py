"""Factories: make_x(**overrides) builds a valid object with defaults, adds it and flushes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.network import services as network
from meeting_hub.network.models import Agency, Cell, CellKind, Endpoint, EndpointKind, Person, PersonRole
from meeting_hub.scheduling import lifecycle
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing

PASSWORD = "secret-pass-1"
_counter = itertools.count(1)


def make_endpoint(**overrides: object) -> Endpoint:
    """Create an endpoint."""
    n = next(_counter)
    values: dict[str, object] = {"code": f"ep-{n}", "name": f"Phường Thử {n}", "kind": EndpointKind.WARD}
    values.update(overrides)
    return network.create_endpoint(network.EndpointData(**values), None)  # type: ignore[arg-type]


def make_cell(endpoint: Endpoint | None = None, **overrides: object) -> Cell:
    """Create a cell (and an endpoint when none is given)."""
    endpoint = endpoint or make_endpoint()
    name = str(overrides.get("name", f"Thôn Thử {next(_counter)}"))
    kind = overrides.get("kind", CellKind.VILLAGE)
    return network.create_cell(endpoint, name, kind, None)  # type: ignore[arg-type]


def make_person(cell: Cell | None = None, **overrides: object) -> Person:
    """Create a person (and a cell when none is given)."""
    cell = cell or make_cell()
    values: dict[str, object] = {
        "cell_id": cell.id,
        "full_name": f"Nguyễn Văn Thử {next(_counter)}",
        "role": PersonRole.SECRETARY,
    }
    values.update(overrides)
    return network.create_person(network.PersonData(**values), None)  # type: ignore[arg-type]


def make_agency(**overrides: object) -> Agency:
    """Create a handling agency."""
    values: dict[str, object] = {"name": f"Phòng Thử {next(_counter)}"}
    values.update(overrides)
    return network.create_agency(network.AgencyData(**values), None)  # type: ignore[arg-type]


def make_user(role: Role = Role.ORGANIZER, **overrides: object) -> User:
    """Create a user; operators get an endpoint and responders an agency unless given."""
    values: dict[str, object] = {
        "username": f"user{next(_counter)}",
        "display_name": "Người Dùng Thử",
        "role": role,
        "password": PASSWORD,
    }
    if role == Role.OPERATOR and "endpoint_id" not in overrides:
        values["endpoint_id"] = make_endpoint().id
    if role == Role.RESPONDER and "agency_id" not in overrides:
        values["agency_id"] = make_agency().id
    values.update(overrides)
    return accounts.create_user(accounts.UserData(**values), None)  # type: ignore[arg-type]


@dataclass
class SmallNetwork:
    """Two endpoints (a ward and a commune) with people, an agency, and a user of every role."""

    sao_do: Endpoint
    hoang_hoa_tham: Endpoint
    sao_do_people: list[Person]
    hht_people: list[Person]
    agency: Agency
    other_agency: Agency
    admin: User
    organizer: User
    leader: User
    operator: User
    other_operator: User
    responder: User


def make_small_network() -> SmallNetwork:
    """Create the small network most view and API tests use, and commit it."""
    sao_do = make_endpoint(code="sao-do", name="Sao Đỏ", kind=EndpointKind.WARD)
    hht = make_endpoint(code="hoang-hoa-tham", name="Hoàng Hoa Thám", kind=EndpointKind.COMMUNE)
    cell_a = make_cell(sao_do, name="Khu dân cư Hàn Giang", kind=CellKind.RESIDENTIAL_AREA)
    cell_b = make_cell(hht, name="Thôn Đông Xá")
    sao_do_people = [
        make_person(cell_a, full_name="Nguyễn Văn Đức"),
        make_person(cell_a, full_name="Trần Thị Hạnh", role=PersonRole.DEPUTY),
    ]
    hht_people = [make_person(cell_b, full_name="Lê Quang Thắng")]
    agency = make_agency(name="Phòng Tài nguyên và Môi trường")
    other_agency = make_agency(name="Phòng Quản lý đô thị")
    result = SmallNetwork(
        sao_do=sao_do,
        hoang_hoa_tham=hht,
        sao_do_people=sao_do_people,
        hht_people=hht_people,
        agency=agency,
        other_agency=other_agency,
        admin=make_user(Role.ADMIN, username="admin"),
        organizer=make_user(Role.ORGANIZER, username="organizer"),
        leader=make_user(Role.LEADER, username="leader"),
        operator=make_user(Role.OPERATOR, username="op-sao-do", endpoint_id=sao_do.id),
        other_operator=make_user(Role.OPERATOR, username="op-hoang-hoa-tham", endpoint_id=hht.id),
        responder=make_user(Role.RESPONDER, username="responder", agency_id=agency.id),
    )
    db.session.commit()
    return result


def load_all(network: SmallNetwork) -> None:
    """Load every attribute of the network's objects so tests can read them after the session closes."""
    for value in vars(network).values():
        for obj in value if isinstance(value, list) else [value]:
            db.session.refresh(obj)


def make_live_briefing(endpoint_ids: list[int] | None = None, *, hours: int = 2) -> Briefing:
    """Create a briefing that started five minutes ago (every endpoint invited unless given), have the organizer
    open it, and commit."""
    organizer = accounts.find_user("organizer")
    start = utcnow() - timedelta(minutes=5)
    briefing = scheduling.create_briefing(
        scheduling.BriefingData(starts_at=start, ends_at=start + timedelta(hours=hours), endpoint_ids=endpoint_ids),
        organizer,
    )
    lifecycle.open_briefing(briefing, organizer)
    db.session.commit()
    return briefing


def open_briefing(briefing: Briefing, actor: User) -> Briefing:
    """Open a briefing as an organizer who confirmed opening it early when it is; the caller commits."""
    return lifecycle.open_briefing(briefing, actor, confirm_early=True)


def close_briefing(briefing: Briefing, actor: User) -> Briefing:
    """Close a briefing as an organizer who confirmed leaving its unrecorded people so; the caller commits."""
    return lifecycle.close_briefing(briefing, actor, confirm_unrecorded=lifecycle.unrecorded_count(briefing))
