"""The `meeting-hub` command: the Flask CLI over the app factory, plus the project's own commands."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from meeting_hub.accounts.roles import Role
from meeting_hub.errors import ServiceError, ValidationFailed


def _create_app() -> Flask:
    from meeting_hub import create_app
    from meeting_hub.settings import SettingsError

    try:
        return create_app()
    except SettingsError as error:  # a wrong setting stops every command with the variable's name, no traceback
        raise click.ClickException(str(error)) from None


# Flask's own `run` would start the plain Werkzeug server; ours serves websockets through Flask-SocketIO.
main = FlaskGroup(create_app=_create_app, add_default_commands=False, help="Meeting Hub command line.")
main.add_command(shell_command)
main.add_command(routes_command)


@main.command("config", with_appcontext=False)
def config_command() -> None:
    """Print the effective settings (secrets masked); * marks the ones set in the environment."""
    from meeting_hub.settings import ENV_PREFIX, SettingsError, load_settings, printable

    try:
        settings = load_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    from_environment = {name.upper() for name in settings.model_fields_set}
    for name, value in sorted(settings.as_config().items()):
        marker = "*" if name in from_environment else " "
        click.echo(f"{marker} {ENV_PREFIX}{name}={printable(name, value)}")


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--debug/--no-debug", default=False, help="Reload on code changes and show tracebacks.")
@click.option(
    "--worker/--no-worker",
    "with_worker",
    default=None,
    help="Run background jobs in this process (default: yes with the embedded SQLite queue, no with Redis).",
)
@with_appcontext
def run_command(host: str, port: int, debug: bool, with_worker: bool | None) -> None:
    """Serve the app with websocket support (development and small installations)."""
    from flask import current_app

    from meeting_hub.extensions import socketio
    from meeting_hub.jobs.queue import queue_of
    from meeting_hub.jobs.worker import start_in_process

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Flask ignores app.run() inside its CLI unless this marker is gone; here serving is the whole point.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    if with_worker is None:
        with_worker = queue_of(app).backend == "sqlite"
    # With the reloader, the first process only watches files: the worker belongs in the one that serves.
    serving = not debug or os.environ.get("WERKZEUG_RUN_MAIN") == "true"
    consumer = start_in_process(app) if with_worker and serving else None
    click.echo(f"Meeting Hub: http://{host}:{port}/" + (" (with the job worker)" if consumer else ""))
    if not with_worker:
        click.echo("Việc nền (biên bản, thông báo quá hạn) chạy ở tiến trình riêng: `meeting-hub worker`.")
    try:
        socketio.run(app, host=host, port=port, debug=debug, use_reloader=debug, allow_unsafe_werkzeug=True)
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)


@click.command("worker")
@click.option(
    "--threads", type=click.IntRange(min=1), default=None, help="Jobs run at once (default: JOBS_WORKER_THREADS)."
)
@click.option(
    "--periodic/--no-periodic",
    default=True,
    help="Also run the minute tick: daily jobs and recovery of lost runs (keep it on at least one worker).",
)
@with_appcontext
def worker_command(threads: int | None, periodic: bool) -> None:
    """Run background jobs until SIGTERM (finishes the running jobs first) or Ctrl-C."""
    from flask import current_app

    from meeting_hub.jobs.worker import run_worker

    try:
        run_worker(current_app._get_current_object(), threads=threads, periodic=periodic)  # type: ignore[attr-defined]
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error


@click.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def backup_command(archive: Path) -> None:
    """Write the database and the uploaded files to ARCHIVE (.tar.gz), with checksums."""
    from meeting_hub.backups import BackupError, create_backup

    try:
        report = create_backup(archive)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Đã sao lưu cơ sở dữ liệu ({report.database}, phiên bản {report.revision}) và {report.files} tệp "
        f"vào {archive} ({report.size_bytes:,} byte)."
    )


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace a database that already holds users.")
@with_appcontext
def restore_command(archive: Path, overwrite: bool) -> None:
    """Replace the database and the uploaded files with those of ARCHIVE (stop the app first)."""
    from meeting_hub.backups import BackupError, restore_backup

    try:
        report = restore_backup(archive, overwrite=overwrite)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Đã khôi phục cơ sở dữ liệu (phiên bản {report.revision}) và {report.files} tệp. "
        "Chạy `meeting-hub db upgrade` nếu bản sao lưu cũ hơn phần mềm."
    )


@click.command("demo")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing when the database already has users; for setup scripts: the demo accounts it creates must "
    "change their password at first sign-in.",
)
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load the Chí Linh demo network, accounts (password demo12345) and briefings.

    Loaded on purpose (without --if-empty), the demo accounts keep the published password.
    """
    from meeting_hub.demo import DemoRefused, has_users, load_demo
    from meeting_hub.extensions import db

    if if_empty and has_users():
        click.echo("Cơ sở dữ liệu đã có người dùng: bỏ qua dữ liệu demo.")
        return
    try:
        report = load_demo(require_password_change=if_empty)
    except DemoRefused as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    for line in report:
        click.echo(line)


@click.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_roster_command(file: Path) -> None:
    """Import people from a CSV or XLSX file headed "mã điểm cầu,chi bộ,họ và tên,chức vụ,số điện thoại" (or the
    English endpoint_code,cell,full_name,role,phone)."""
    from meeting_hub.extensions import db
    from meeting_hub.network.roster_import import import_roster

    content = file.read_bytes()
    with click.progressbar(length=max(content.count(b"\n"), 1), label="Đang nhập", file=sys.stderr) as bar:
        last = 0

        def advance(done: int) -> None:
            nonlocal last
            bar.update(done - last)
            last = done

        result = import_roster(file.name, content, None, progress=advance)
    if not result.ok:
        db.session.rollback()
        for error in result.errors:
            column = f" [{error.column}]" if error.column else ""
            click.echo(f"Dòng {error.line}{column}: {error.message}", err=True)
        raise click.ClickException(f"{len(result.errors)} lỗi: không dòng nào được nhập.")
    db.session.commit()
    click.echo(
        f"Đã nhập {result.rows} dòng: {result.created_people} người mới, {result.updated_people} cập nhật, "
        f"{result.unchanged_people} không đổi, {result.created_cells} chi bộ mới."
    )
    if result.unusable_phones:
        lines = ", ".join(str(line) for line in result.unusable_phones[:20])
        more = ", ..." if len(result.unusable_phones) > 20 else ""
        click.echo(
            f"{len(result.unusable_phones)} số điện thoại không phải số di động Việt Nam, không nhận được tin nhắn "
            f"SMS hay Zalo (dòng {lines}{more})."
        )


def _refusal_text(error: ValidationFailed) -> str:
    """Return a refusal with the reason of each field, as the command line shows it."""
    details = "; ".join(f"{field}: {message}" for field, message in (error.details or {}).items())
    return f"{error.message} {details}".strip()


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--display-name", default=None, help="Full name shown in the app (default: the username).")
@click.option("--endpoint", "endpoint_code", default=None, help="Endpoint code, for an operator.")
@click.option("--agency", "agency_name", default=None, help="Agency name, for a responder.")
@click.option("--password", default=None, help="Password (asked for when omitted).")
@click.option("--email", default=None, help="E-mail address for notices (e.g. ten@chilinh.gov.vn).")
@click.option("--phone", default=None, help="Vietnamese mobile number for SMS and Zalo (e.g. 0912345678).")
@click.option(
    "--must-change-password",
    is_flag=True,
    help="Make the user replace this password at first sign-in (when you chose it for someone else).",
)
@with_appcontext
def create_user_command(
    username: str,
    role: str,
    display_name: str | None,
    endpoint_code: str | None,
    agency_name: str | None,
    password: str | None,
    email: str | None,
    phone: str | None,
    must_change_password: bool,
) -> None:
    """Create a user account; --email and --phone follow the profile page's rules."""
    import sqlalchemy as sa

    from meeting_hub.accounts import services
    from meeting_hub.accounts.contact_details import ContactChange, checked_details
    from meeting_hub.extensions import db
    from meeting_hub.network.models import Agency, Endpoint

    endpoint_id = agency_id = None
    if endpoint_code:
        endpoint_id = db.session.scalar(sa.select(Endpoint.id).where(Endpoint.code == endpoint_code))
        if endpoint_id is None:
            raise click.ClickException(f"Không có điểm cầu mã {endpoint_code}.")
    if agency_name:
        agency_id = db.session.scalar(sa.select(Agency.id).where(Agency.name == agency_name))
        if agency_id is None:
            raise click.ClickException(f"Không có cơ quan {agency_name}.")
    contacts = ContactChange(email=email, phone=phone)
    try:  # before asking for the password: a mistyped address should not cost typing it
        checked_details(contacts)
    except ValidationFailed as error:
        raise click.ClickException(_refusal_text(error)) from error
    if password is None:
        password = getpass.getpass("Mật khẩu: ")
    data = services.UserData(
        username=username,
        display_name=display_name or username,
        role=Role(role),
        endpoint_id=endpoint_id,
        agency_id=agency_id,
        password=password,
        must_change_password=must_change_password,
        contacts=contacts,
    )
    try:
        user = services.create_user(data, None)
    except ValidationFailed as error:
        db.session.rollback()
        raise click.ClickException(_refusal_text(error)) from error
    db.session.commit()
    click.echo(f"Đã tạo tài khoản {user.username} ({user.role.value}).")


@click.command("create-token")
@click.argument("username")
@click.option("--label", default="cli", show_default=True, help="A label to recognise the token by.")
@with_appcontext
def create_token_command(username: str, label: str) -> None:
    """Create an API token for a user; the token is the last line printed."""
    from meeting_hub.accounts import services
    from meeting_hub.extensions import db

    try:
        user = services.find_user(username)
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    if not user.active:
        raise click.ClickException(f"Tài khoản {username} đang bị khóa.")
    token = services.issue_api_token(user, label, None)
    db.session.commit()
    click.echo(f"Mã truy cập API của {user.username} (chỉ hiện một lần):")
    click.echo(token)


@click.group("holidays")
def holidays_group() -> None:
    """Vietnam's public holidays and Tết days."""


@holidays_group.command("seed")
@click.option("--years", default=5, show_default=True, type=click.IntRange(1, 50), help="How many years to fill.")
@click.option("--from-year", type=click.IntRange(2000, 2100), help="The first year (default: this year).")
@with_appcontext
def seed_holidays_command(years: int, from_year: int | None) -> None:
    """Add the official holidays (Tết by the lunar calendar) of the years not seeded before; safe to run again."""
    from meeting_hub.clock import local_today
    from meeting_hub.extensions import db
    from meeting_hub.scheduling.holidays import seed_official_holidays

    first = from_year or local_today().year
    added = seed_official_holidays(first, years)
    db.session.commit()
    for holiday in added:
        click.echo(f"{holiday.day.strftime('%d/%m/%Y')}  {holiday.name}")
    click.echo(f"Đã thêm {len(added)} ngày lễ cho các năm {first}–{first + years - 1} (năm đã có sẵn được giữ nguyên).")


def init_app(app: Flask) -> None:
    """Register the project's commands on the app's CLI (`db` comes from Flask-Migrate)."""
    from meeting_hub.notifications.cli import send_test_message_command

    commands = (
        run_command,
        worker_command,
        demo_command,
        import_roster_command,
        create_user_command,
        create_token_command,
        holidays_group,
        backup_command,
        restore_command,
        send_test_message_command,
    )
    for command in commands:
        app.cli.add_command(command)
