"""Upgrading an installed release: `meeting-hub db upgrade` carries a database holding real data to the new schema."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from meeting_hub import create_app
from meeting_hub.demo import load_demo
from meeting_hub.extensions import db
from tests.conftest import base_config

#: The schema of the last release administrators installed (0.1.0): an upgrade starts from here.
RELEASED_REVISION = "f93143f2a91c"
COUNTED_TABLES = ("users", "endpoints", "people", "briefings", "attendance_records", "issues", "audit_events")


def _counts() -> dict[str, int]:
    counts = {table: int(db.session.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0) for table in COUNTED_TABLES}
    db.session.remove()  # the migration runs on its own connection: no transaction of ours may hold SQLite's lock
    return counts


def test_an_upgrade_from_the_released_schema_keeps_every_row(tmp_path: Path) -> None:
    app = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'release.db'}"))
    with app.app_context():
        upgrade()
        load_demo()
        db.session.commit()
        before = _counts()
        # Back to the released schema with its data, as an installed 0.1.0 holds it, then the upgrade an admin runs.
        downgrade(revision=RELEASED_REVISION)
        upgrade()
        assert _counts() == before
        assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == _head()
    client = app.test_client()
    client.post("/sign-in", data={"username": "organizer", "password": "demo12345"})
    assert client.get("/").status_code == 200


def _head() -> str:
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head
