"""Backups: the database and the uploaded files (materials, answer attachments, minutes) in one checked archive.

`meeting-hub backup FILE` writes a .tar.gz holding `manifest.json` (format, time, schema revision, database kind,
SHA-256 of every member), the database (SQLite through its online backup API, consistent while the app runs;
PostgreSQL as a `pg_dump` custom-format dump) and `files/<folder>/...`. `meeting-hub restore FILE` checks every
checksum first, then replaces the database and the file folders; it refuses a database that already holds users
unless told to overwrite it. Sits on top of the domains, like demo.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import make_url

from meeting_hub.extensions import db
from meeting_hub.follow_up.attachments import ANSWERS_FOLDER
from meeting_hub.reports.minutes import MINUTES_FOLDER
from meeting_hub.scheduling.materials import MATERIALS_FOLDER

ARCHIVE_FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
POSTGRES_MEMBER = "database.pgdump"
#: Folders of the instance path that hold uploaded or generated files.
FILE_FOLDERS = (MATERIALS_FOLDER, ANSWERS_FOLDER, MINUTES_FOLDER)


class BackupError(Exception):
    """A backup or a restore could not be done; nothing was changed."""


@dataclass(frozen=True)
class BackupReport:
    """What an archive holds."""

    database: str
    revision: str | None
    files: int
    size_bytes: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _database_kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Unsupported database for backups: {backend}")
    return backend


def _schema_revision() -> str | None:
    try:
        revision = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        return str(revision) if revision is not None else None
    except sa.exc.DatabaseError:
        db.session.rollback()
        return None


def _libpq_url(url: str) -> str:
    """Return the URL as pg_dump/pg_restore read it (no SQLAlchemy driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _dump_database(url: str, kind: str, target: Path) -> None:
    if kind == "sqlite":
        source_path = make_url(url).database
        if not source_path or not Path(source_path).exists():
            raise BackupError(f"SQLite database not found: {source_path}")
        # The online backup API copies a consistent snapshot while other connections keep writing.
        with sqlite3.connect(source_path) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return
    result = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", _libpq_url(url)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")


def create_backup(archive: Path) -> BackupReport:
    """Write the database and the uploaded files to `archive` (.tar.gz), with a manifest of checksums."""
    url = current_app.config["DATABASE_URL"]
    kind = _database_kind(url)
    instance = Path(current_app.instance_path)
    with tempfile.TemporaryDirectory(prefix="meeting-hub-backup-") as tmp:
        staging = Path(tmp)
        member = SQLITE_MEMBER if kind == "sqlite" else POSTGRES_MEMBER
        _dump_database(url, kind, staging / member)
        members = {member: staging / member}
        for folder in FILE_FOLDERS:
            for path in sorted((instance / folder).rglob("*")) if (instance / folder).is_dir() else []:
                if path.is_file():
                    members[f"files/{folder}/{path.relative_to(instance / folder).as_posix()}"] = path
        checksums = {name: _sha256(path) for name, path in members.items()}
        revision = _schema_revision()
        manifest = {
            "format": ARCHIVE_FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "app_version": _app_version(),
            "revision": revision,
            "database": kind,
            "members": checksums,
        }
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            manifest_bytes = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(manifest_bytes), int(datetime.now(UTC).timestamp()), 0o600
            tar.addfile(info, io.BytesIO(manifest_bytes))
            for name, path in members.items():
                tar.add(path, arcname=name, recursive=False)
        os.chmod(partial, 0o600)  # the archive holds everyone's data: readable by its owner only
        partial.replace(archive)
    files = sum(1 for name in checksums if name.startswith("files/"))
    return BackupReport(kind, revision, files, archive.stat().st_size)


def _app_version() -> str:
    try:
        return version("meeting-hub")
    except PackageNotFoundError:
        return "unknown"


def _read_checked(archive: Path, into: Path) -> dict[str, Any]:
    """Extract the archive into `into` and check the manifest and every checksum; return the manifest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, filter="data")  # refuses absolute paths, links out of the folder, devices
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"Not a readable backup archive: {error}") from error
    try:
        manifest: dict[str, Any] = json.loads((into / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError("The archive has no readable manifest.json") from error
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}")
    for name, expected in manifest.get("members", {}).items():
        path = into / name
        if not path.is_file() or _sha256(path) != expected:
            raise BackupError(f"The archive is damaged: {name} does not match its checksum")
    return manifest


def restore_backup(archive: Path, *, overwrite: bool = False) -> BackupReport:
    """Replace the database and the uploaded files with the archive's, after checking it whole.

    The app must be stopped meanwhile (docs/deployment.md). A database that already holds users is only replaced
    with `overwrite`.
    """
    url = current_app.config["DATABASE_URL"]
    kind = _database_kind(url)
    instance = Path(current_app.instance_path)
    with tempfile.TemporaryDirectory(prefix="meeting-hub-restore-") as tmp:
        staging = Path(tmp)
        manifest = _read_checked(archive, staging)
        if manifest["database"] != kind:
            raise BackupError(f"The archive holds a {manifest['database']} database; this app uses {kind}")
        if not overwrite and _has_users():
            raise BackupError("The database already holds users: restore with --overwrite to replace it")
        db.session.remove()
        db.engine.dispose()
        if kind == "sqlite":
            _restore_sqlite(url, staging / SQLITE_MEMBER)
        else:
            _restore_postgresql(url, staging / POSTGRES_MEMBER)
        for folder in FILE_FOLDERS:
            _replace_folder(staging / "files" / folder, instance / folder)
    files = sum(1 for name in manifest["members"] if name.startswith("files/"))
    return BackupReport(kind, manifest.get("revision"), files, archive.stat().st_size)


def _has_users() -> bool:
    try:
        return bool(db.session.scalar(sa.text("SELECT count(*) FROM users")))
    except sa.exc.DatabaseError:  # no schema yet
        db.session.rollback()
        return False


def _restore_sqlite(url: str, dump: Path) -> None:
    target = Path(make_url(url).database or "")
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(target.name + ".restoring")
    shutil.copyfile(dump, incoming)
    for suffix in ("-wal", "-shm"):  # the old database's journal must not be replayed onto the restored one
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    incoming.replace(target)


def _restore_postgresql(url: str, dump: Path) -> None:
    result = subprocess.run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            f"--dbname={_libpq_url(url)}",
            str(dump),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def _replace_folder(source: Path, target: Path) -> None:
    """Put `source`'s files in place of `target`'s; the old folder goes only once the new one is there."""
    previous = target.with_name(target.name + ".before-restore")
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        target.replace(previous)
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        target.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(previous, ignore_errors=True)
