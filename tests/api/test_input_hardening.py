"""What a hostile or broken client may send: control characters, a failed flush, a busy database, JSON nested too
deep, a script for a link. Each answer is a 4xx in the contract's shape (or a 503 to retry), never a 500."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub import create_app, database, json_input, text_input
from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.models import User
from meeting_hub.errors import ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing
from meeting_hub.text_input import InputSchema
from tests import factories
from tests.attendance.conftest import make_live_briefing_with_pha_lai
from tests.conftest import AuthActions, base_config


@dataclass
class Site:
    """An app on SQLite or PostgreSQL with the small network, a live briefing and an organizer's token."""

    app: Flask
    briefing_id: int
    person_id: int
    endpoint_id: int
    headers: dict[str, str]


def _site(tmp_path: Path, url: str, **config: object) -> Site:
    app = create_app({**base_config(tmp_path, url), **config})
    with app.app_context():
        db.create_all()
        network = factories.make_small_network()
        live = make_live_briefing_with_pha_lai(network)
        token = accounts.issue_api_token(accounts.find_user("organizer"), "test", None)
        db.session.commit()
        return Site(
            app, live.briefing_id, network.sao_do_people[0].id, network.sao_do.id, {"Authorization": f"Bearer {token}"}
        )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite and PostgreSQL: PostgreSQL is where a NUL byte used to fail (SQLite stores it)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'input.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def site(tmp_path: Path, database_url: str) -> Iterator[Site]:
    made = _site(tmp_path, database_url)
    yield made
    with made.app.app_context():
        db.engine.dispose()


def _when() -> dict[str, str]:
    return {"starts_at": "2027-01-12T08:00:00+07:00", "ends_at": "2027-01-12T10:00:00+07:00"}


def test_control_characters_are_refused_by_the_api_in_the_field_they_are_in(site: Site) -> None:
    client, headers = site.app.test_client(), site.headers
    check_in = {"person_id": site.person_id, "status": "late", "client_op_id": "op-control-1"}
    answers = {
        "note": client.post(
            f"/api/v1/briefings/{site.briefing_id}/attendance", json={**check_in, "note": "a\x00b"}, headers=headers
        ),
        "title": client.post("/api/v1/briefings", json={**_when(), "title": "Giao ban\x00"}, headers=headers),
        "notes": client.patch(f"/api/v1/briefings/{site.briefing_id}", json={"notes": "x\x1by"}, headers=headers),
        "content": client.post(
            f"/api/v1/briefings/{site.briefing_id}/issues",
            json={
                "endpoint_id": site.endpoint_id,
                "category": "x",
                "title": "Đường",
                "content": "\x00",
                "client_op_id": "op-control-2",
            },
            headers=headers,
        ),
    }
    for field, answer in answers.items():
        assert answer.status_code == 422, (field, answer.get_data(as_text=True))
        assert answer.json["error"]["code"] == "invalid"
        assert answer.json["error"]["details"][field] == "Không được chứa ký tự điều khiển.", field


def test_c1_control_characters_are_refused_in_single_and_multi_line_fields(tmp_path: Path) -> None:
    # U+0080-U+009F: U+0085 is a line break to some readers, U+009B starts a terminal escape sequence (CSI). The rule
    # is the same whatever the database: SQLite only.
    made = _site(tmp_path, f"sqlite:///{tmp_path / 'c1.db'}")
    client, headers, url = made.app.test_client(), made.headers, f"/api/v1/briefings/{made.briefing_id}"
    for control in ("\x80", "\x85", "\x9b", "\x9f"):
        for field, value in (("title", f"Giao ban{control}tháng 1"), ("notes", f"Dòng một\n{control}")):
            answer = client.patch(url, json={field: value}, headers=headers)
            assert answer.status_code == 422, (field, hex(ord(control)), answer.get_data(as_text=True))
            assert answer.json["error"]["details"][field] == "Không được chứa ký tự điều khiển.", field
    # The characters right after the range are text: a no-break space, Vietnamese letters.
    kept = client.patch(url, json={"title": "Giao ban\xa0Đường ưu tiên"}, headers=headers)
    assert kept.status_code == 200 and kept.json["title"] == "Giao ban\xa0Đường ưu tiên"
    with made.app.app_context():
        db.engine.dispose()


def test_the_text_rule_refuses_c0_and_c1_controls_and_keeps_the_letters_around_them(app_ctx: Flask) -> None:
    for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]:
        for multiline in (False, True):
            assert text_input.text_problem(f"a{chr(code)}b", multiline=multiline) == (
                "Không được chứa ký tự điều khiển."
            ), (hex(code), multiline)
    for text in ("Nguyễn Văn Đức", "\xa0", "~", "Ê-đê", "Dòng một\n\tDòng hai"):
        assert text_input.text_problem(text, multiline=True) is None, text
    assert text_input.one_line("Giao\x85ban\x9b") == "Giao ban"
    assert text_input.printable("Dòng\x85 một\n\x9fhai") == "Dòng một\nhai"


def test_single_line_fields_refuse_line_breaks_and_bidi_controls_multi_line_ones_keep_lines(site: Site) -> None:
    client, headers, url = site.app.test_client(), site.headers, f"/api/v1/briefings/{site.briefing_id}"
    newline = client.patch(url, json={"title": "Giao ban\ntháng 1"}, headers=headers)
    assert newline.status_code == 422
    assert newline.json["error"]["details"]["title"] == "Chỉ nhập trên một dòng."
    override = client.patch(url, json={"title": "Giao ban \u202etháng 1"}, headers=headers)
    assert override.json["error"]["details"]["title"] == "Không được chứa ký tự điều khiển."
    lines = client.patch(url, json={"notes": "Dòng một\n\tDòng hai"}, headers=headers)
    assert lines.status_code == 200 and lines.json["notes"] == "Dòng một\n\tDòng hai"


def test_a_nul_byte_in_a_query_or_a_form_answers_400_not_500(site: Site) -> None:
    client = site.app.test_client()
    for url in ("/api/v1/issues?q=a%00b", f"/api/v1/endpoints/{site.endpoint_id}/people?q=%00", "/issues?q=%00"):
        answer = client.get(url, headers=site.headers)
        assert answer.status_code == 400, url
        assert answer.json["error"]["code"] == "bad_request", url
    sign_in = AuthActions(client).sign_in("organizer\x00")
    assert sign_in.status_code == 400


def test_a_form_field_says_what_is_wrong_with_a_control_character(site: Site) -> None:
    client = site.app.test_client()
    AuthActions(client).sign_in("organizer")
    page = client.post(
        f"/briefings/{site.briefing_id}/edit",
        data={"title": "Giao ban\x07", "day": "12/01/2027", "start_time": "08:00", "end_time": "10:00"},
    )
    assert page.status_code == 200  # the form again, with the field's message
    assert "Không được chứa ký tự điều khiển." in page.text
    c1 = client.post(
        f"/briefings/{site.briefing_id}/edit",
        data={"title": "Giao ban\x85", "day": "12/01/2027", "start_time": "08:00", "end_time": "10:00"},
    )
    assert c1.status_code == 200 and "Không được chứa ký tự điều khiển." in c1.text
    with site.app.app_context():
        assert "\x07" not in scheduling.get_briefing(site.briefing_id).title


def test_a_socket_check_in_with_a_nul_byte_gets_an_invalid_ack(site: Site) -> None:
    from tests.attendance.conftest import socket_client

    console = socket_client(site.app, username="organizer")
    message = {"briefing_id": site.briefing_id, "person_id": site.person_id, "status": "present"}
    ack = console.emit(
        "check_in", {**message, "note": "\x00", "client_op_id": "op-socket-nul"}, namespace="/live", callback=True
    )
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"
    assert ack["error"]["details"] == {"note": "Không được chứa ký tự điều khiển."}
    ack = console.emit(
        "check_in", {**message, "note": "Đến\x9b", "client_op_id": "op-socket-c1"}, namespace="/live", callback=True
    )
    assert ack["ok"] is False and ack["error"]["details"] == {"note": "Không được chứa ký tự điều khiển."}
    console.disconnect(namespace="/live")


def test_an_unexpected_error_after_a_failed_flush_answers_json_under_the_api(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Outside TESTING the catch-all handler is on, as in production. It used to read the user (for the language)
    # through the session the failed flush had left unusable: the handler failed too, and Werkzeug's HTML page
    # went out, under /api.
    made = _site(tmp_path, database_url, TESTING=False)

    def failed_flush(*_args: object) -> None:
        db.session.add(User(username="organizer", display_name="Trùng", role="organizer", password_hash="x"))
        db.session.flush()  # IntegrityError: the session now refuses every use until rolled back

    monkeypatch.setattr(scheduling, "get_briefing", failed_flush)
    answer = made.app.test_client().get(f"/api/v1/briefings/{made.briefing_id}", headers=made.headers)
    assert answer.status_code == 500
    assert answer.json == {"error": {"code": "server_error", "message": "Hệ thống gặp lỗi. Vui lòng thử lại sau."}}
    with made.app.app_context():
        db.engine.dispose()


def test_a_check_in_under_a_held_database_lock_answers_503_with_retry_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "locked.db"
    made = _site(tmp_path, f"sqlite:///{path}")
    # The lock is held longer than the busy timeout, made short here (10 s in production).
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 100)
    with made.app.app_context():
        db.engine.dispose()  # new connections take the short timeout
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        answer = made.app.test_client().post(
            f"/api/v1/briefings/{made.briefing_id}/attendance",
            json={"person_id": made.person_id, "status": "present", "client_op_id": "op-locked-1"},
            headers=made.headers,
        )
        assert time.monotonic() - started < 5
    finally:
        holder.rollback()
        holder.close()
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.json["error"]["code"] == "try_again"
    # Once the lock is gone, the same request is written.
    again = made.app.test_client().post(
        f"/api/v1/briefings/{made.briefing_id}/attendance",
        json={"person_id": made.person_id, "status": "present", "client_op_id": "op-locked-1"},
        headers=made.headers,
    )
    assert again.status_code == 201
    with made.app.app_context():
        db.engine.dispose()


@contextmanager
def _seq_row_locked(database_url: str, briefing_id: int, release_after: float) -> Iterator[None]:
    """Hold the briefing's seq row as another process's writer does mid-transaction; let go after `release_after`
    seconds at the latest (code that waits for the lock then goes on, and its test fails instead of hanging)."""
    holder = psycopg.connect(database_url)
    holder.execute("SELECT 1 FROM briefing_sequences WHERE briefing_id = %s FOR UPDATE", (briefing_id,))
    release = threading.Timer(release_after, holder.rollback)
    release.start()
    try:
        yield
    finally:
        release.cancel()
        release.join()
        holder.rollback()
        holder.close()


@pytest.mark.postgres
def test_a_check_in_waiting_for_a_postgresql_lock_answers_503_or_try_again_in_bounded_time(
    tmp_path: Path, postgres_url: str
) -> None:
    from tests.attendance.conftest import socket_client

    made = _site(tmp_path, postgres_url, DATABASE_LOCK_TIMEOUT_SECONDS=0.5)
    check_in = {"person_id": made.person_id, "status": "present", "client_op_id": "op-pg-locked-1"}
    console = socket_client(made.app, username="op-sao-do")
    with _seq_row_locked(postgres_url, made.briefing_id, release_after=4.0):
        started = time.monotonic()
        answer = made.app.test_client().post(
            f"/api/v1/briefings/{made.briefing_id}/attendance", json=check_in, headers=made.headers
        )
        rest_seconds = time.monotonic() - started
        # The socket layer's group-commit writer meets the same lock: its batch fails, and is answered try_again.
        started = time.monotonic()
        message = {"briefing_id": made.briefing_id, "person_id": made.person_id, "status": "late"}
        ack = console.emit("check_in", {**message, "client_op_id": "op-pg-locked-2"}, namespace="/live", callback=True)
        socket_seconds = time.monotonic() - started
    assert (answer.status_code, rest_seconds < 3) == (503, True), (answer.status_code, rest_seconds)
    assert answer.headers["Retry-After"] == "5"
    assert answer.json["error"]["code"] == "try_again"
    assert (ack["ok"], ack.get("error", {}).get("code"), socket_seconds < 3) == (False, "try_again", True), ack
    # Once the lock is gone, both are written when sent again.
    again = made.app.test_client().post(
        f"/api/v1/briefings/{made.briefing_id}/attendance", json=check_in, headers=made.headers
    )
    assert again.status_code == 201
    ack = console.emit("check_in", {**message, "client_op_id": "op-pg-locked-2"}, namespace="/live", callback=True)
    assert ack["ok"] is True and ack["replayed"] is False
    console.disconnect(namespace="/live")
    with made.app.app_context():
        db.engine.dispose()


def test_a_database_error_is_transient_only_when_waiting_can_help() -> None:
    locked = sa.exc.OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))
    no_table = sa.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: users"))
    nul = sa.exc.DataError("INSERT", {}, ValueError("PostgreSQL text fields cannot contain NUL (0x00) bytes"))
    assert database.is_transient(locked) and not database.is_caused_by_data(locked)
    assert not database.is_transient(no_table) and not database.is_caused_by_data(no_table)
    assert database.is_caused_by_data(nul) and not database.is_transient(nul)


def test_json_nested_too_deep_answers_400_in_the_usual_shape(app: Flask, network: factories.SmallNetwork) -> None:
    from tests.attendance.conftest import token_for

    deep = "[" * 100_000 + "]" * 100_000
    answer = app.test_client().post(
        "/api/v1/briefings",
        data=deep,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_for(app, 'organizer')}"},
    )
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "bad_request"
    # Socket packets and Flask's own get_json read through the same function.
    with pytest.raises(json.JSONDecodeError):
        json_input.loads(deep)
    assert json_input.loads('{"a": [1]}') == {"a": [1]}


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript://example.vn/%0Aalert(1)",
        "data:text/html,x",
        "https://hop.vn/a b",
        "https://",
    ],
)
def test_a_video_link_is_http_or_https_on_create_change_forms_and_services(
    app: Flask, network: factories.SmallNetwork, link: str
) -> None:
    from tests.attendance.conftest import token_for

    client, headers = app.test_client(), {"Authorization": f"Bearer {token_for(app, 'organizer')}"}
    created = client.post(
        "/api/v1/briefings", json={**_when(), "video_link": "https://hop.vn/giao-ban"}, headers=headers
    )
    url = f"/api/v1/briefings/{created.json['id']}"
    assert client.post("/api/v1/briefings", json={**_when(), "video_link": link}, headers=headers).status_code == 422
    patched = client.patch(url, json={"video_link": link}, headers=headers)
    assert patched.status_code == 422 and "video_link" in patched.json["error"]["details"]
    assert client.get(url, headers=headers).json["video_link"] == "https://hop.vn/giao-ban"

    page_client = app.test_client()
    AuthActions(page_client).sign_in("organizer")
    form = {"title": "Giao ban", "day": "12/01/2027", "start_time": "08:00", "end_time": "10:00", "video_link": link}
    page = page_client.post(f"/briefings/{created.json['id']}/edit", data=form)
    assert page.status_code == 200 and "Cần một đường dẫn http:// hoặc https:// hợp lệ." in page.text

    with app.app_context():
        briefing = scheduling.get_briefing(created.json["id"])
        with pytest.raises(ValidationFailed):
            scheduling.update_briefing(
                briefing, scheduling.BriefingData(video_link=link), accounts.find_user("organizer")
            )
        db.session.rollback()
        assert scheduling.get_briefing(created.json["id"]).video_link == "https://hop.vn/giao-ban"


def test_agenda_rows_and_material_titles_sent_outside_a_form_class_follow_the_text_rule(site: Site) -> None:
    client = site.app.test_client()
    AuthActions(client).sign_in("organizer")
    form = {"title": "Giao ban", "day": "12/01/2027", "start_time": "08:00", "end_time": "10:00"}
    row = {"endpoint_ids": str(site.endpoint_id), "agenda_title": "Thời sự\x0b", "agenda_presenter": ""}
    page = client.post("/briefings/new", data={**form, **row})
    assert page.status_code == 200 and "Không được chứa ký tự điều khiển." in page.text
    with site.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Briefing.id))) == 1  # only the live one
        from meeting_hub.scheduling import materials

        with pytest.raises(ValidationFailed) as refused:
            materials.attach_material(
                scheduling.get_briefing(site.briefing_id),
                "Bản tin\x1b",
                "ban-tin.pdf",
                b"%PDF-1.4",
                accounts.find_user("organizer"),
            )
        assert refused.value.details == {"title": "Không được chứa ký tự điều khiển."}


def test_every_api_argument_schema_follows_the_text_rule(app: Flask) -> None:
    # A new operation whose schema forgot the base class would take control characters again.
    checked = 0
    for name, view in app.view_functions.items():
        for parameter in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
            schema = parameter["schema"]
            assert issubclass(schema if isinstance(schema, type) else type(schema), InputSchema), name
            checked += 1
    assert checked >= 20
