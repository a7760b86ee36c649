"""`meeting-hub demo`: the Chí Linh network and accounts; it refuses a database with real users."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts.models import User
from meeting_hub.bulletins.models import Bulletin, BulletinOpen
from meeting_hub.clock import local_zone
from meeting_hub.demo import ENDPOINTS
from meeting_hub.extensions import db
from meeting_hub.network.models import Cell, Endpoint, Person, PersonRole
from tests import factories


def test_demo_loads_the_19_endpoints_cells_secretaries_and_accounts(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "demo12345" in result.output
    with app.app_context():
        endpoints = {e.code: e for e in db.session.scalars(sa.select(Endpoint))}
        assert sorted(endpoints) == sorted(code for code, _name, _kind in ENDPOINTS)
        assert endpoints["hoang-hoa-tham"].name == "Hoàng Hoa Thám"
        assert endpoints["hoang-hoa-tham"].kind.value == "commune"
        for endpoint in endpoints.values():
            cells = list(db.session.scalars(sa.select(Cell).where(Cell.endpoint_id == endpoint.id)))
            assert 6 <= len(cells) <= 12
            for cell in cells:
                roles = [p.role for p in db.session.scalars(sa.select(Person).where(Person.cell_id == cell.id))]
                assert roles.count(PersonRole.SECRETARY) == 1
        usernames = set(db.session.scalars(sa.select(User.username)))
        assert {"admin", "organizer", "leader", "responder", "op-sao-do", "op-hoang-hoa-tham"} <= usernames
        assert len(usernames) == 4 + 19
        # The demo bulletin's opens all come after its publication.
        bulletin = db.session.scalars(sa.select(Bulletin)).one()
        assert bulletin.published_at is not None
        first_open = db.session.scalar(sa.select(sa.func.min(BulletinOpen.day)))
        assert first_open is not None and bulletin.published_at.astimezone(local_zone()).date() <= first_open


def test_demo_twice_adds_nothing(app: Flask) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["demo"])
    with app.app_context():
        counts = [db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in (Endpoint, Cell, Person, User)]
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        assert counts == [
            db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in (Endpoint, Cell, Person, User)
        ]


def test_demo_refuses_a_database_with_non_demo_users(app: Flask) -> None:
    with app.app_context():
        factories.make_user(username="real-person")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "real-person" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Endpoint.id))) == 0


def test_demo_if_empty_skips_a_database_with_users(app: Flask) -> None:
    with app.app_context():
        factories.make_user(username="real-person")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Endpoint.id))) == 0


def test_create_token_prints_the_token_as_last_line(app: Flask) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["demo"])
    result = runner.invoke(args=["create-token", "organizer"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    client = app.test_client()
    response = client.get("/api/v1/endpoints", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert len(response.json) == 19
    assert runner.invoke(args=["create-token", "nobody"]).exit_code != 0


def test_create_user_validates_and_creates(app: Flask) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["demo"])
    bad = runner.invoke(args=["create-user", "op-new", "--role", "operator", "--password", "longenough1"])
    assert bad.exit_code != 0
    assert "điểm cầu" in bad.output
    ok = runner.invoke(
        args=["create-user", "op-new", "--role", "operator", "--endpoint", "sao-do", "--password", "longenough1"]
    )
    assert ok.exit_code == 0, ok.output
