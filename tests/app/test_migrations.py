"""The migration chain: upgrades an empty database on SQLite and PostgreSQL, matches the models, keeps the audit
log append-only."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade

from meeting_hub import create_app
from meeting_hub.database import Base
from meeting_hub.extensions import db
from tests.conftest import base_config


def _migrated_app(tmp_path: Path, database_url: str) -> Flask:
    app = create_app(base_config(tmp_path, database_url))
    with app.app_context():
        upgrade()
    return app


def _assert_schema_matches_models(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"render_as_batch": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"models and migrations differ: {differences}"


def _assert_audit_log_is_append_only(app: Flask) -> None:
    with app.app_context():
        db.session.execute(
            sa.text(
                "INSERT INTO audit_events (at, actor_name, action, target, detail, ip_address) "
                "VALUES (CURRENT_TIMESTAMP, 'x', 'test', '', '', '')"
            )
        )
        db.session.commit()
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(sa.text("UPDATE audit_events SET action = 'changed'"))
        db.session.rollback()
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(sa.text("DELETE FROM audit_events"))
        db.session.rollback()
        assert db.session.scalar(sa.text("SELECT action FROM audit_events")) == "test"


def _assert_downgrade_to_base_works(app: Flask) -> None:
    with app.app_context():
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()


def test_sqlite_migrations(tmp_path: Path) -> None:
    app = _migrated_app(tmp_path, f"sqlite:///{tmp_path / 'migrated.db'}")
    _assert_schema_matches_models(app)
    _assert_audit_log_is_append_only(app)
    _assert_downgrade_to_base_works(app)
    with app.app_context():
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(sa.text("PRAGMA busy_timeout")).scalar() >= 5000
        assert db.session.execute(sa.text("PRAGMA synchronous")).scalar() == 2  # FULL: acked commits survive power loss


@pytest.mark.postgres
def test_postgresql_migrations(tmp_path: Path, postgres_url: str) -> None:
    app = _migrated_app(tmp_path, postgres_url)
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
    _assert_schema_matches_models(app)
    _assert_audit_log_is_append_only(app)
    _assert_downgrade_to_base_works(app)
    with app.app_context():
        db.engine.dispose()
