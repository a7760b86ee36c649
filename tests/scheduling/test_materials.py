"""Briefing materials: PDF checks and storage, downloads and their count, share links, QR codes, permissions."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.test import TestResponse

from meeting_hub import create_app, qr_codes
from meeting_hub.accounts.models import AuditEvent, User
from meeting_hub.errors import NotFound, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.scheduling import materials
from meeting_hub.scheduling.models import Briefing, Material
from meeting_hub.scheduling.services import BriefingData, create_briefing
from tests import factories
from tests.conftest import AuthActions, base_config

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
TITLE = "Thông tin tuyên giáo tháng 3/2026 — Đảng bộ"


def make_pdf(body: bytes = b"Thong tin tuyen giao") -> bytes:
    """Return a small but well-formed one-page PDF."""
    stream = b"BT /F1 12 Tf 72 720 Td (" + body + b") Tj ET"
    return (
        b"%PDF-1.4\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >> endobj\n"
        b"4 0 obj << /Length " + str(len(stream)).encode() + b" >> stream\n" + stream + b"\nendstream endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def make_png() -> bytes:
    """Return a real PNG image (what a user might rename to .pdf)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def stored_files(app: Flask) -> list[Path]:
    """Return every file in the materials folder, temporary ones included."""
    folder = Path(app.instance_path) / materials.MATERIALS_FOLDER
    return sorted(folder.iterdir()) if folder.exists() else []


def material_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Material)) or 0


def make_briefing(actor: User, endpoint_ids: list[int] | None = None) -> Briefing:
    starts_at = datetime(2026, 3, 10, 8, 0, tzinfo=HANOI)
    briefing = create_briefing(
        BriefingData(starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), endpoint_ids=endpoint_ids), actor
    )
    db.session.commit()
    return briefing


def decode_qr(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(results[0].text)


# Services


@pytest.fixture
def organizer(app_ctx: Flask, network: factories.SmallNetwork) -> User:
    user = db.session.get(User, network.organizer.id)
    assert user is not None
    return user


@pytest.fixture
def briefing(organizer: User) -> Briefing:
    return make_briefing(organizer)


def attach_committed(briefing: Briefing, organizer: User) -> Material:
    """Attach a small PDF to the briefing and commit."""
    material = materials.attach_material(briefing, TITLE, "a.pdf", make_pdf(), organizer)
    db.session.commit()
    return material


def test_a_pdf_is_stored_under_a_generated_name_outside_static(
    app_ctx: Flask, briefing: Briefing, organizer: User
) -> None:
    content = make_pdf()
    material = materials.attach_material(briefing, f"  {TITLE} ", "../../etc/bản tin.pdf", content, organizer)
    db.session.commit()

    assert material.title == TITLE
    assert material.original_filename == "bản tin.pdf"
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", material.stored_name)
    assert material.size_bytes == len(content)
    assert len(material.share_token) >= 43
    path = materials.stored_path(material)
    assert path.parent == Path(app_ctx.instance_path) / "materials"
    assert path.read_bytes() == content
    assert stored_files(app_ctx) == [path]  # the temporary file is gone
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.target == f"material:{material.id}")) == (
        "material.upload"
    )


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (make_png(), "thong-tin-tuyen-giao.pdf"),  # a PNG renamed .pdf
        (make_pdf()[:-7], "cut-short.pdf"),  # a download cut short: no %%EOF at the end
        (b"hello %PDF-1.4 " + make_pdf(), "late-header.pdf"),  # the header must open the file
        (b"", "empty.pdf"),
    ],
)
def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_stored(
    app_ctx: Flask, briefing: Briefing, organizer: User, content: bytes, filename: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        materials.attach_material(briefing, TITLE, filename, content, organizer)
    db.session.rollback()
    assert error.value.message in ("Tệp không phải PDF hợp lệ.", "Tệp trống.")
    assert material_count() == 0
    assert stored_files(app_ctx) == []


def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(
    app_ctx: Flask, briefing: Briefing, organizer: User
) -> None:
    assert app_ctx.config["MATERIAL_MAX_BYTES"] == 20 * 1024 * 1024
    pdf = make_pdf()
    oversized = pdf[:-6] + b" " * (20 * 1024 * 1024 - len(pdf) + 1) + b"%%EOF\n"
    with pytest.raises(ValidationFailed) as error:
        materials.attach_material(briefing, TITLE, "big.pdf", io.BytesIO(oversized), organizer)
    db.session.rollback()
    assert error.value.message == "Tệp vượt quá giới hạn 20 MB."
    assert material_count() == 0
    assert stored_files(app_ctx) == []


def test_a_file_exactly_at_the_limit_is_accepted(app_ctx: Flask, briefing: Briefing, organizer: User) -> None:
    pdf = make_pdf()
    app_ctx.config["MATERIAL_MAX_BYTES"] = len(pdf)
    materials.attach_material(briefing, TITLE, "a.pdf", pdf, organizer)
    db.session.commit()
    assert material_count() == 1


def test_the_file_is_removed_when_the_database_write_fails(
    app_ctx: Flask, briefing: Briefing, organizer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = attach_committed(briefing, organizer)
    # A clashing share token makes the INSERT fail on its unique constraint.
    monkeypatch.setattr(materials.secrets, "token_urlsafe", lambda _n: first.share_token)
    with pytest.raises(sa.exc.IntegrityError):
        materials.attach_material(briefing, TITLE, "b.pdf", make_pdf(b"other"), organizer)
    db.session.rollback()
    assert stored_files(app_ctx) == [materials.stored_path(first)]


def test_the_file_is_removed_when_the_upload_is_rolled_back(
    app_ctx: Flask, briefing: Briefing, organizer: User
) -> None:
    materials.attach_material(briefing, TITLE, "a.pdf", make_pdf(), organizer)
    assert len(stored_files(app_ctx)) == 1
    db.session.rollback()
    assert stored_files(app_ctx) == []
    assert material_count() == 0


def test_delete_removes_row_and_file_only_once_committed(app_ctx: Flask, briefing: Briefing, organizer: User) -> None:
    material = attach_committed(briefing, organizer)
    material_id = material.id
    path = materials.stored_path(material)

    materials.delete_material(material, organizer)
    db.session.rollback()  # a failed deletion keeps the file with its row
    assert path.exists()
    material = materials.get_material(material_id, organizer)

    materials.delete_material(material, organizer)
    db.session.commit()
    assert not path.exists()
    assert material_count() == 0
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.target == f"material:{material_id}"))
    assert "material.delete" in set(actions)


def test_download_counts_are_not_lost_by_concurrent_downloads(
    app_ctx: Flask, briefing: Briefing, organizer: User
) -> None:
    material = attach_committed(briefing, organizer)
    material_id, organizer_id = material.id, organizer.id
    assert material.download_count == 0
    db.session.close()  # keep this request's copy as it was (0), without holding SQLite's write lock
    # Another request loads the same row, still at 0, and counts its download first.
    with app_ctx.app_context():
        other = materials.get_material(material_id, db.session.get(User, organizer_id))  # type: ignore[arg-type]
        assert other.download_count == 0
        materials.open_material_for_download(other)
        db.session.commit()
    # This request's copy says 0: a read-modify-write would store 1 and lose a download.
    db.session.add(material)
    path = materials.open_material_for_download(material)
    db.session.commit()
    assert path.read_bytes() == make_pdf()
    assert material.download_count == 2
    materials.open_material_for_download(material, count=False)
    db.session.commit()
    assert material.download_count == 2


def test_revoked_link_is_not_found_and_a_renewed_one_works(app_ctx: Flask, briefing: Briefing, organizer: User) -> None:
    material = attach_committed(briefing, organizer)
    old_token = material.share_token
    assert materials.find_shared_material(old_token).id == material.id

    materials.revoke_share_link(material, organizer)
    db.session.commit()
    with pytest.raises(NotFound):
        materials.find_shared_material(old_token)

    materials.renew_share_link(material, organizer)
    db.session.commit()
    assert material.share_token != old_token
    assert materials.find_shared_material(material.share_token).id == material.id
    with pytest.raises(NotFound):
        materials.find_shared_material(old_token)
    with pytest.raises(NotFound):
        materials.find_shared_material("no-such-token")


def test_qr_codes_decode_to_the_link(app_ctx: Flask) -> None:
    url = "https://giaoban.chilinh.example/m/" + "A" * 43
    assert decode_qr(qr_codes.qr_png(url)) == url
    svg = qr_codes.qr_svg(url)
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg and "viewBox" in svg


def test_default_title_names_the_briefing_month(app_ctx: Flask, briefing: Briefing) -> None:
    assert materials.default_material_title(briefing) == "Thông tin tuyên giáo tháng 3/2026"


# Views


def _setup_briefing(app: Flask, network: factories.SmallNetwork) -> int:
    """A briefing that invites Sao Đỏ only."""
    with app.app_context():
        return make_briefing(db.session.get(User, network.organizer.id), [network.sao_do.id]).id  # type: ignore[arg-type]


def _upload(client: FlaskClient, briefing_id: int, content: bytes, filename: str = "ban-tin.pdf") -> TestResponse:
    return client.post(
        f"/briefings/{briefing_id}/materials",
        data={"title": TITLE, "file": (io.BytesIO(content), filename, "application/pdf")},
        content_type="multipart/form-data",
    )


def _flashes(client: FlaskClient) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def _only_material(app: Flask) -> tuple[int, str]:
    with app.app_context():
        material = db.session.scalars(sa.select(Material)).one()
        return material.id, material.share_token


def _uploaded_material(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, role: str = "organizer"
) -> tuple[int, int, str]:
    """Sign in as `role`, upload a PDF to a new briefing; return (briefing id, material id, share token)."""
    briefing_id = _setup_briefing(app, network)
    auth.sign_in(role)
    _upload(client, briefing_id, make_pdf())
    material_id, token = _only_material(app)
    return briefing_id, material_id, token


def _download_count(app: Flask, material_id: int) -> int:
    with app.app_context():
        material = db.session.get(Material, material_id)
        assert material is not None
        return material.download_count


def _briefing_page(app: Flask, briefing_id: int) -> str:
    return f"/briefings/{briefing_id}" if "scheduling.briefing_detail" in app.view_functions else "/"


def test_upload_and_download_with_safe_headers(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    briefing_id = _setup_briefing(app, network)
    auth.sign_in("organizer")
    response = _upload(client, briefing_id, make_pdf())
    assert response.status_code == 302
    assert response.headers["Location"].split("#")[0].endswith(_briefing_page(app, briefing_id))
    assert _flashes(client)[0][0] == "success"
    material_id, _token = _only_material(app)

    download = client.get(f"/materials/{material_id}/download", buffered=True)
    assert download.status_code == 200
    assert download.data == make_pdf()
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("Thông tin tuyên giáo tháng 3-2026 — Đảng bộ.pdf", safe="") in disposition
    assert 'filename="thong-tin-tuyen-giao-thang-3-2026-dang-bo.pdf"' in disposition
    assert _download_count(app, material_id) == 1


def test_a_non_pdf_upload_comes_back_with_a_message_and_stores_nothing(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    briefing_id = _setup_briefing(app, network)
    auth.sign_in("organizer")
    response = _upload(client, briefing_id, make_png(), "anh-chup.pdf")
    assert response.status_code == 302
    assert _flashes(client) == [("danger", "Tệp không phải PDF hợp lệ.")]
    with app.app_context():
        assert material_count() == 0
    assert stored_files(app) == []


def test_a_request_over_max_content_length_gets_a_vietnamese_message_not_a_bare_413(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    briefing_id = _setup_briefing(app, network)
    app.config["MAX_CONTENT_LENGTH"] = 4096
    auth.sign_in("organizer")
    response = _upload(client, briefing_id, make_pdf(b"x" * 8000))
    assert response.status_code == 302
    assert _flashes(client) == [("danger", "Tệp vượt quá giới hạn 4 KB.")]
    with app.app_context():
        assert material_count() == 0
    assert stored_files(app) == []


def test_share_link_works_without_signing_in_until_revoked_and_renewed(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    briefing_id, material_id, token = _uploaded_material(app, client, auth, network)

    anonymous = app.test_client()
    shared = anonymous.get(f"/m/{token}", buffered=True)
    assert shared.status_code == 200
    assert shared.data == make_pdf()
    assert shared.headers["Content-Type"] == "application/pdf"
    assert client.get(f"/materials/{material_id}/download", buffered=True).status_code == 200
    assert _download_count(app, material_id) == 2

    assert client.post(f"/materials/{material_id}/revoke").status_code == 302
    gone = anonymous.get(f"/m/{token}", buffered=True)
    assert gone.status_code == 404
    assert "Liên kết tài liệu không tồn tại hoặc đã bị thu hồi." in gone.text
    assert client.get(f"/materials/{material_id}/qr.png").status_code == 404
    assert anonymous.get("/m/not-a-real-token").status_code == 404

    assert client.post(f"/materials/{material_id}/renew").status_code == 302
    _id, new_token = _only_material(app)
    assert new_token != token
    assert anonymous.get(f"/m/{new_token}", buffered=True).status_code == 200
    assert anonymous.get(f"/m/{token}", buffered=True).status_code == 404
    assert _download_count(app, material_id) == 3


def test_qr_png_and_print_page_carry_the_share_link(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    briefing_id, material_id, token = _uploaded_material(app, client, auth, network)
    link = f"http://localhost/m/{token}"

    png = client.get(f"/materials/{material_id}/qr.png")
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    assert decode_qr(png.data) == link
    svg = client.get(f"/materials/{material_id}/qr.svg")
    assert svg.status_code == 200 and svg.headers["Content-Type"].startswith("image/svg+xml")

    page = client.get(f"/materials/{material_id}/print")
    assert page.status_code == 200
    assert TITLE in page.text
    assert "10/03/2026" in page.text
    assert link in page.text
    assert "<svg" in page.text and "@page" in page.text


def test_an_operator_sees_materials_of_invited_briefings_only(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    briefing_id, material_id, _token = _uploaded_material(app, client, auth, network)

    invited = app.test_client()
    AuthActions(invited).sign_in("op-sao-do")
    assert invited.get(f"/materials/{material_id}/download", buffered=True).status_code == 200
    assert invited.get(f"/materials/{material_id}/print").status_code == 200

    outsider = app.test_client()
    AuthActions(outsider).sign_in("op-hoang-hoa-tham")
    for suffix in ("download", "qr.svg", "qr.png", "print"):
        response = outsider.get(f"/materials/{material_id}/{suffix}", buffered=True)
        assert response.status_code == 403, suffix
    assert _download_count(app, material_id) == 1


def test_a_responder_cannot_upload_revoke_or_delete(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    briefing_id = _setup_briefing(app, network)
    auth.sign_in("responder")
    assert _upload(client, briefing_id, make_pdf()).status_code == 403
    with app.app_context():
        assert material_count() == 0
    assert stored_files(app) == []

    organizer = app.test_client()
    AuthActions(organizer).sign_in("organizer")
    _upload(organizer, briefing_id, make_pdf())
    material_id, _token = _only_material(app)
    for action in ("revoke", "renew", "delete"):
        assert client.post(f"/materials/{material_id}/{action}").status_code == 403
    assert client.get(f"/materials/{material_id}/download", buffered=True).status_code == 200  # responders may read


def test_organizer_deletes_a_material(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    briefing_id, material_id, token = _uploaded_material(app, client, auth, network, "admin")
    assert client.post(f"/materials/{material_id}/delete").status_code == 302
    with app.app_context():
        assert material_count() == 0
    assert stored_files(app) == []
    assert app.test_client().get(f"/m/{token}", buffered=True).status_code == 404
    assert client.get(f"/materials/{material_id}/download", buffered=True).status_code == 404


def test_the_briefing_page_lists_materials(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    if "scheduling.briefing_detail" not in app.view_functions:
        pytest.skip("the briefing page is not there yet")
    briefing_id, material_id, token = _uploaded_material(app, client, auth, network)
    page = client.get(f"/briefings/{briefing_id}").text
    assert TITLE in page
    assert f"/materials/{material_id}/qr.svg" in page
    assert f"/m/{token}" in page
    assert 'enctype="multipart/form-data"' in page
    assert 'value="Thông tin tuyên giáo tháng 3/2026"' in page

    operator = app.test_client()
    AuthActions(operator).sign_in("op-sao-do")
    page = operator.get(f"/briefings/{briefing_id}").text
    assert f"/materials/{material_id}/download" in page
    assert f"/briefings/{briefing_id}/materials" not in page and f"/materials/{material_id}/delete" not in page


def test_with_csrf_on_the_upload_form_works_and_an_oversized_request_still_gets_the_message(
    tmp_path: Path,
) -> None:
    # In production the CSRF check parses the form first: the 413 is raised there, before the view runs.
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'csrf.db'}")
    config["WTF_CSRF_ENABLED"] = True
    app = create_app(config)
    with app.app_context():
        db.create_all()
        network = factories.make_small_network()
        briefing_id = make_briefing(network.organizer).id
    client = app.test_client()
    sign_in_page = client.get("/sign-in").text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', sign_in_page)
    assert token is not None
    client.post("/sign-in", data={"username": "organizer", "password": factories.PASSWORD, "csrf_token": token[1]})
    page = client.get(_briefing_page(app, briefing_id)).text
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert form_token is not None

    def upload(content: bytes) -> TestResponse:
        return client.post(
            f"/briefings/{briefing_id}/materials",
            data={"csrf_token": form_token[1], "title": TITLE, "file": (io.BytesIO(content), "a.pdf")},
            content_type="multipart/form-data",
        )

    assert upload(make_pdf()).status_code == 302
    assert _flashes(client)[0][0] == "success"
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = upload(make_pdf(b"x" * 8000))
    assert response.status_code == 302
    assert _flashes(client)[-1] == ("danger", "Tệp vượt quá giới hạn 4 KB.")
    with app.app_context():
        assert material_count() == 1
        db.engine.dispose()


def test_link_previews_and_resumed_downloads_are_not_counted(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    briefing_id, material_id, token = _uploaded_material(app, client, auth, network)
    anonymous = app.test_client()
    assert anonymous.head(f"/m/{token}", buffered=True).status_code == 200
    resumed = anonymous.get(f"/m/{token}", headers={"Range": "bytes=100-"}, buffered=True)
    assert resumed.status_code == 206
    assert resumed.data == make_pdf()[100:]
    assert _download_count(app, material_id) == 0
    assert anonymous.get(f"/m/{token}", headers={"Range": "bytes=0-"}, buffered=True).status_code == 206
    assert _download_count(app, material_id) == 1
