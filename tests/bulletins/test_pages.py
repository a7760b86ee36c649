"""Bulletin pages: roles on every page, the form, the public page and its counting, revocation (410), QR codes, the
share block without inline scripts, and the API."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from meeting_hub.accounts import services as accounts
from meeting_hub.bulletins import links
from meeting_hub.bulletins.models import Bulletin, BulletinLink, BulletinOpen
from meeting_hub.extensions import db
from tests import factories
from tests.bulletins.conftest import bulletin_pdf
from tests.conftest import AuthActions

PHONE = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Mobile Safari/537.36"


def _link(app: Flask, bulletin_id: int, endpoint_id: int | None = None) -> str:
    with app.app_context():
        bulletin = db.session.get(Bulletin, bulletin_id)
        assert bulletin is not None
        link = links.link_for(bulletin, endpoint_id)
        db.session.commit()
        assert link is not None
        return link.token


def _opens(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(BulletinOpen.opens), 0))))


SIGNED_IN_PAGES = [
    "/bulletins",
    "/bulletins/{id}",
    "/bulletins/{id}/cover.png",
    "/bulletins/{id}/bulletin.pdf",
    "/bulletins/{id}/qr-public.svg",
    "/bulletins/{id}/qr-public.png",
]


#: Actions refused to a role: (username, path, method).
REFUSED_ACTIONS = [
    ("leader", "/bulletins/new", "get"),
    ("op-sao-do", "/bulletins/{id}/edit", "get"),
    ("op-sao-do", "/bulletins/{id}/revoke", "post"),
    ("leader", "/bulletins/{id}/renew", "post"),
    ("op-sao-do", "/bulletins/{id}/publish", "post"),
    ("leader", "/bulletins/{id}/delete", "post"),
    ("organizer", "/bulletins/{id}/receipt", "post"),
]


def test_pages_need_sign_in_and_refuse_the_wrong_roles(
    client: FlaskClient, auth: AuthActions, bulletin_id: int
) -> None:
    for path in [*SIGNED_IN_PAGES, "/bulletins/new", "/bulletins/{id}/edit"]:
        response = client.get(path.format(id=bulletin_id))
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], path
    auth.sign_in("responder")
    for path in SIGNED_IN_PAGES:
        assert client.get(path.format(id=bulletin_id)).status_code == 403, path
    auth.sign_out()
    for username, path, method in REFUSED_ACTIONS:
        auth.sign_in(username)
        assert getattr(client, method)(path.format(id=bulletin_id)).status_code == 403, (username, path)
        auth.sign_out()


def test_an_operator_may_not_fetch_another_endpoints_qr(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, bulletin_id: int
) -> None:
    auth.sign_in("op-sao-do")
    assert client.get(f"/bulletins/{bulletin_id}/qr-{network.sao_do.id}.png").status_code == 200
    assert client.get(f"/bulletins/{bulletin_id}/qr-{network.hoang_hoa_tham.id}.png").status_code == 403


def test_the_organizer_creates_edits_and_publishes_from_the_form(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    with app.app_context():  # the sample PDF reads the font folder from the app's settings
        content = bulletin_pdf()
    auth.sign_in("organizer")
    page = client.get("/bulletins/new")
    assert page.status_code == 200 and "Tệp PDF" in page.text
    refused = client.post(
        "/bulletins/new",
        data={"month": "12/2026", "title": "Bản tin", "briefing_id": "", "file": (io.BytesIO(b"GIF89a"), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 200 and "Tệp không phải PDF hợp lệ." in refused.text
    missing = client.post("/bulletins/new", data={"month": "12/2026", "title": "Bản tin", "briefing_id": ""})
    assert "Vui lòng chọn một tệp PDF để tải lên." in missing.text
    created = client.post(
        "/bulletins/new",
        data={
            "month": "12/2026",
            "title": "Thông tin tuyên giáo tháng 12/2026",
            "briefing_id": "",
            "file": (io.BytesIO(content), "ban-tin.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert created.status_code == 302
    with app.app_context():
        bulletin = db.session.scalars(sa.select(Bulletin)).one()
        bulletin_id = bulletin.id
        assert bulletin.month == date(2026, 12, 1) and not bulletin.is_published
    edited = client.post(
        f"/bulletins/{bulletin_id}/edit", data={"month": "12/2026", "title": "Số Tết", "briefing_id": ""}
    )
    assert edited.status_code == 302
    detail = client.get(f"/bulletins/{bulletin_id}")
    assert "Số Tết" in detail.text and "Phát hành" in detail.text and "data-confirm" in detail.text
    assert client.post(f"/bulletins/{bulletin_id}/publish").status_code == 302
    detail = client.get(f"/bulletins/{bulletin_id}")
    assert "Tiếp nhận và lượt mở theo điểm cầu" in detail.text and "Sao Đỏ" in detail.text


def test_the_public_page_needs_no_sign_in_and_counts_readers_only(
    app: Flask, client: FlaskClient, network: factories.SmallNetwork, bulletin_id: int
) -> None:
    token = _link(app, bulletin_id, network.sao_do.id)
    page = client.get(f"/b/{token}", headers={"User-Agent": PHONE})
    assert page.status_code == 200
    assert "Thông tin tuyên giáo tháng 11/2026" in page.text and "Tháng 11/2026" in page.text
    assert "Đọc bản tin" in page.text and "Chia sẻ" in page.text and "Sao chép tin nhắn" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert 'property="og:image"' in page.text
    # No inline script: the share block's behaviour comes from a static file the CSP allows.
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) is None
    assert "js/bulletin_share.js" in page.text
    assert _opens(app) == 1
    client.head(f"/b/{token}", headers={"User-Agent": PHONE})
    client.get(f"/b/{token}", headers={"User-Agent": "facebookexternalhit/1.1"})
    client.get(f"/b/{token}", headers={"User-Agent": "TelegramBot (like TwitterBot)"})
    assert _opens(app) == 1
    with client.get(f"/b/{token}/bulletin.pdf") as pdf:
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and pdf.mimetype == "application/pdf"
    with client.get(f"/b/{token}/bulletin.pdf?download=1") as download:
        assert "attachment" in download.headers["Content-Disposition"]
    with client.get(f"/b/{token}/cover.png") as cover:
        assert cover.status_code == 200 and Image.open(io.BytesIO(cover.data)).format == "PNG"


def test_revoked_links_answer_410_in_vietnamese_and_new_ones_work(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, bulletin_id: int
) -> None:
    old = _link(app, bulletin_id)
    auth.sign_in("organizer")
    assert client.post(f"/bulletins/{bulletin_id}/revoke").status_code == 302
    gone = client.get(f"/b/{old}", headers={"User-Agent": PHONE})
    assert gone.status_code == 410 and "Liên kết này đã bị thu hồi" in gone.text
    assert client.get(f"/b/{old}/bulletin.pdf").status_code == 410
    assert client.get(f"/bulletins/{bulletin_id}/qr-public.png").status_code == 404
    assert client.post(f"/bulletins/{bulletin_id}/renew").status_code == 302
    new = _link(app, bulletin_id)
    assert new != old
    assert client.get(f"/b/{new}", headers={"User-Agent": PHONE}).status_code == 200
    assert client.get(f"/b/{old}").status_code == 410
    unknown = client.get("/b/no-such-link")
    assert unknown.status_code == 404 and "không tồn tại" in unknown.text
    assert _opens(app) == 1


def test_share_links_and_qr_codes_use_the_public_base_url(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, bulletin_id: int
) -> None:
    app.config["PUBLIC_BASE_URL"] = "https://bantin.chilinh.vn/hub"
    auth.sign_in("op-sao-do")
    page = client.get(f"/bulletins/{bulletin_id}")
    assert page.status_code == 200 and "Đã nhận" in page.text
    found = re.search(r'data-share-url="(https://bantin\.chilinh\.vn/hub/b/[^"]+)"', page.text)
    assert found, page.text
    png = client.get(f"/bulletins/{bulletin_id}/qr-{network.sao_do.id}.png")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [code.text for code in decoded] == [found.group(1)]
    assert Image.open(io.BytesIO(png.data)).width >= 500  # large enough to print
    svg = client.get(f"/bulletins/{bulletin_id}/qr-{network.sao_do.id}.svg?download=1")
    assert svg.mimetype == "image/svg+xml" and "attachment" in svg.headers["Content-Disposition"]


def test_the_operator_confirms_receipt_and_the_organizer_sees_it_beside_the_opens(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, bulletin_id: int
) -> None:
    token = _link(app, bulletin_id, network.sao_do.id)
    for _n in range(3):
        client.get(f"/b/{token}", headers={"User-Agent": PHONE})
    auth.sign_in("op-sao-do")
    assert client.post(f"/bulletins/{bulletin_id}/receipt").status_code == 302
    own = client.get(f"/bulletins/{bulletin_id}")
    assert "Đã nhận lúc" in own.text and "đã được mở 3 lần" in own.text
    assert "Hoàng Hoa Thám" not in own.text  # an operator sees their own endpoint only
    auth.sign_out()
    auth.sign_in("organizer")
    page = client.get(f"/bulletins/{bulletin_id}")
    row = re.search(r"Sao Đỏ</th>(.*?)</tr>", page.text, re.S)
    assert row is not None and "✓" in row.group(1) and ">3</span>" in row.group(1)
    other = re.search(r"Hoàng Hoa Thám</th>(.*?)</tr>", page.text, re.S)
    assert other is not None and "Chưa xác nhận" in other.group(1)
    assert "Lượt mở theo ngày" in page.text


def test_dates_stay_day_month_year_in_english(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, bulletin_id: int
) -> None:
    token = _link(app, bulletin_id, network.sao_do.id)
    client.get(f"/b/{token}", headers={"User-Agent": PHONE})
    with app.app_context():
        user = accounts.find_user("organizer")
        assert user is not None
        user.language = "en"
        db.session.commit()
    auth.sign_in("organizer")
    page = client.get(f"/bulletins/{bulletin_id}", headers={"Accept-Language": "en-US,en"})
    assert re.search(r"\b\d{2}/\d{2}/\d{4}\b", page.text)
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b(?!\d)", page.text.replace("11/2026", ""))


def test_the_menu_shows_bulletins_to_the_roles_that_use_them(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    for username, shown in [("organizer", True), ("leader", True), ("op-sao-do", True), ("responder", False)]:
        auth.sign_in(username)
        assert ('href="/bulletins"' in client.get("/").text) is shown, username
        auth.sign_out()


def test_api_lists_and_details_with_receipts_and_opens(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, bulletin_id: int
) -> None:
    assert client.get("/api/v1/bulletins").status_code == 401
    assert client.get(f"/api/v1/bulletins/{bulletin_id}").status_code == 401
    token = _link(app, bulletin_id, network.sao_do.id)
    client.get(f"/b/{token}", headers={"User-Agent": PHONE})
    auth.sign_in("op-sao-do")
    client.post(f"/bulletins/{bulletin_id}/receipt")
    own = client.get(f"/api/v1/bulletins/{bulletin_id}").json
    assert [row["endpoint_id"] for row in own["endpoints"]] == [network.sao_do.id]
    assert own["share_url"].endswith(f"/b/{token}")
    auth.sign_out()
    auth.sign_in("responder")
    assert client.get("/api/v1/bulletins").status_code == 403
    assert client.get(f"/api/v1/bulletins/{bulletin_id}").status_code == 403
    auth.sign_out()
    auth.sign_in("leader")
    listed = client.get("/api/v1/bulletins").json
    assert [item["id"] for item in listed] == [bulletin_id] and listed[0]["month"] == "2026-11"
    detail = client.get(f"/api/v1/bulletins/{bulletin_id}").json
    sao_do = next(row for row in detail["endpoints"] if row["endpoint_id"] == network.sao_do.id)
    assert sao_do["receipt"]["confirmed_by"] == "op-sao-do" and sao_do["opens"] == 1
    assert sao_do["opens_by_day"][0]["opens"] == 1 and detail["public"]["opens"] == 0
    assert client.get("/api/v1/bulletins/999999").status_code == 404


def test_links_rows_are_unique_per_endpoint_and_generation(
    app: Flask, network: factories.SmallNetwork, bulletin_id: int
) -> None:
    with app.app_context():
        bulletin = db.session.get(Bulletin, bulletin_id)
        assert bulletin is not None
        db.session.add(
            BulletinLink(bulletin_id=bulletin_id, endpoint_id=network.sao_do.id, share_generation=1, token="x")
        )
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()


def test_the_audit_log_names_the_bulletin_of_each_step(
    client: FlaskClient, auth: AuthActions, bulletin_id: int
) -> None:
    auth.sign_in("organizer")
    client.post(f"/bulletins/{bulletin_id}/revoke")
    auth.sign_out()
    auth.sign_in("admin")
    page = client.get("/admin/audit")
    assert page.status_code == 200
    for action in ("bulletin.create", "bulletin.publish", "bulletin.share_revoke"):
        assert action in page.text
    assert f'href="/bulletins/{bulletin_id}"' in page.text
