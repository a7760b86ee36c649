"""Backup and restore: the database and the uploaded files come back exactly, and a damaged archive changes nothing."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub import create_app
from meeting_hub.backups import BackupError, create_backup, restore_backup
from meeting_hub.extensions import db
from meeting_hub.network.models import Endpoint
from tests import factories
from tests.conftest import base_config


def _material(app: Flask, name: str, content: bytes) -> Path:
    folder = Path(app.instance_path) / "materials"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return path


def _endpoint_codes() -> list[str]:
    return sorted(db.session.scalars(sa.select(Endpoint.code)))


def _round_trip(app: Flask, tmp_path: Path) -> None:
    archive = tmp_path / "backup.tar.gz"
    with app.app_context():
        factories.make_small_network()
        kept = _material(app, "bulletin.pdf", b"%PDF-1.4 ban tin thang 12 %%EOF")
        report = create_backup(archive)
        assert report.files == 1 and archive.stat().st_mode & 0o077 == 0
        codes_at_backup = _endpoint_codes()

        # Life goes on after the backup: a new endpoint, a deleted file, a new file.
        factories.make_endpoint(code="nhan-hue", name="Nhân Huệ")
        db.session.commit()
        kept.unlink()
        added = _material(app, "later.pdf", b"%PDF-1.4 later %%EOF")

        with pytest.raises(BackupError, match="--overwrite"):
            restore_backup(archive)
        assert "nhan-hue" in _endpoint_codes()

        restore_backup(archive, overwrite=True)
        assert _endpoint_codes() == codes_at_backup
        assert kept.read_bytes() == b"%PDF-1.4 ban tin thang 12 %%EOF"
        assert not added.exists()


def test_sqlite_backup_and_restore_bring_back_the_database_and_the_files(app: Flask, tmp_path: Path) -> None:
    _round_trip(app, tmp_path)


@pytest.mark.postgres
def test_postgresql_backup_and_restore_bring_back_the_database_and_the_files(tmp_path: Path, postgres_url: str) -> None:
    app = create_app(base_config(tmp_path, postgres_url))
    with app.app_context():
        db.create_all()
    try:
        _round_trip(app, tmp_path)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_damaged_archive_is_refused_and_changes_nothing(app: Flask, tmp_path: Path) -> None:
    archive, damaged = tmp_path / "backup.tar.gz", tmp_path / "damaged.tar.gz"
    with app.app_context():
        factories.make_small_network()
        _material(app, "bulletin.pdf", b"%PDF-1.4 original %%EOF")
        create_backup(archive)
        with tarfile.open(archive, "r:gz") as source, tarfile.open(damaged, "w:gz") as target:
            for member in source.getmembers():
                content = source.extractfile(member)
                data = content.read() if content else b""
                if member.name.endswith("bulletin.pdf"):
                    data = data.replace(b"original", b"tampered")
                target.addfile(member, io.BytesIO(data))
        codes = _endpoint_codes()
        with pytest.raises(BackupError, match="checksum"):
            restore_backup(damaged, overwrite=True)
        assert _endpoint_codes() == codes
        assert (Path(app.instance_path) / "materials" / "bulletin.pdf").read_bytes() == b"%PDF-1.4 original %%EOF"


def test_the_commands_back_up_and_restore(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        factories.make_small_network()
    runner = app.test_cli_runner()
    archive = tmp_path / "nightly.tar.gz"
    backed_up = runner.invoke(args=["backup", str(archive)])
    assert backed_up.exit_code == 0, backed_up.output
    refused = runner.invoke(args=["restore", str(archive)])
    assert refused.exit_code != 0 and "--overwrite" in refused.output
    restored = runner.invoke(args=["restore", str(archive), "--overwrite"])
    assert restored.exit_code == 0, restored.output
