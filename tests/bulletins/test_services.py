"""Bulletin services: the PDF check and its cover, the draft → published life, links and their revocation, open
counts (privacy, preview fetchers, concurrency) and receipts."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image

from meeting_hub import create_app
from meeting_hub.accounts.models import User
from meeting_hub.bulletins import files, links, services
from meeting_hub.bulletins.models import Bulletin, BulletinLink, BulletinOpen, BulletinStatus
from meeting_hub.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from meeting_hub.extensions import db
from tests import factories
from tests.bulletins.conftest import MONTH, bulletin_pdf, make_bulletin
from tests.conftest import base_config

PHONE = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Mobile Safari/537.36"
ZALO_IN_APP = PHONE + " Zalo android/12100657 ZaloTheme/light ZaloLanguage/vi"


def _user(network: factories.SmallNetwork, name: str) -> User:
    user = db.session.get(User, getattr(network, name).id)
    assert user is not None
    return user


def _folder(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / files.BULLETINS_FOLDER
    return sorted(p for p in folder.iterdir()) if folder.exists() else []


def test_create_stores_the_pdf_and_a_cover_of_its_first_page(app_ctx: Flask, network: factories.SmallNetwork) -> None:
    bulletin = make_bulletin(_user(network, "organizer"), publish=False)
    assert bulletin.status == BulletinStatus.DRAFT and bulletin.page_count == 2
    cover = Image.open(files.pdf_path(bulletin.cover_name))
    assert cover.format == "PNG" and cover.width == files.COVER_WIDTH
    # The cover is the red header of the first page, not a blank image.
    assert cover.convert("RGB").getpixel((10, 10)) == (164, 22, 26)
    assert files.pdf_path(bulletin.stored_name).read_bytes().startswith(b"%PDF-")


#: Uploads that are no readable PDF, with the start of their refusal.
NOT_PDFS = [
    (b"", "Tệp trống."),
    (b"GIF89a not a pdf at all", "Tệp không phải PDF hợp lệ."),
    (b"%PDF-1.4\nthis is no pdf body\n%%EOF\n", "Không đọc được tệp PDF"),
]


def test_a_file_that_is_no_readable_pdf_is_refused_and_nothing_stays(
    app_ctx: Flask, network: factories.SmallNetwork
) -> None:
    organizer = _user(network, "organizer")
    for content, message in NOT_PDFS:
        with pytest.raises(ValidationFailed) as refused:
            services.create_bulletin(MONTH, "Bản tin", services.BulletinUpload("x.pdf", content), organizer)
        assert message in refused.value.message and "file" in refused.value.details
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Bulletin.id))) == 0
    assert [p for p in _folder(app_ctx) if not p.name.startswith(".")] == []


def test_an_upload_over_the_limit_is_refused_in_vietnamese(app_ctx: Flask, network: factories.SmallNetwork) -> None:
    app_ctx.config["MATERIAL_MAX_BYTES"] = 10_000
    upload = services.BulletinUpload("x.pdf", bulletin_pdf())
    with pytest.raises(ValidationFailed, match="Tệp vượt quá giới hạn"):
        services.create_bulletin(MONTH, "Bản tin", upload, _user(network, "organizer"))


def test_one_bulletin_a_month_and_only_organizers_manage(app_ctx: Flask, network: factories.SmallNetwork) -> None:
    make_bulletin(_user(network, "organizer"))
    with pytest.raises(ValidationFailed, match="11/2026 đã có bản tin"):
        make_bulletin(_user(network, "admin"))
    db.session.rollback()
    for name in ("leader", "operator", "responder"):
        with pytest.raises(AccessDenied):
            make_bulletin(_user(network, name), month=date(2026, 12, 1))
        db.session.rollback()


def test_drafts_are_hidden_from_operators_and_leaders(app_ctx: Flask, network: factories.SmallNetwork) -> None:
    draft = make_bulletin(_user(network, "organizer"), publish=False)
    for name in ("operator", "leader"):
        assert services.list_bulletins(_user(network, name)) == []
        with pytest.raises(NotFound):
            services.get_bulletin(draft.id, _user(network, name))
    with pytest.raises(AccessDenied):
        services.publish(draft, _user(network, "leader"))
    services.publish(draft, _user(network, "organizer"))
    assert services.list_bulletins(_user(network, "operator")) == [draft]
    with pytest.raises(Conflict):
        services.publish(draft, _user(network, "organizer"))
    with pytest.raises(AccessDenied):
        services.get_bulletin(draft.id, _user(network, "responder"))


def test_publishing_issues_a_public_link_and_one_per_endpoint(app_ctx: Flask, network: factories.SmallNetwork) -> None:
    bulletin = make_bulletin(_user(network, "organizer"))
    rows = db.session.scalars(sa.select(BulletinLink).where(BulletinLink.bulletin_id == bulletin.id)).all()
    assert sorted((row.endpoint_id or 0) for row in rows) == sorted([0, network.sao_do.id, network.hoang_hoa_tham.id])
    assert len({row.token for row in rows}) == 3
    assert links.link_for(bulletin, network.sao_do.id) is not None


def test_revoked_and_replaced_links_are_gone_and_new_ones_work(app_ctx: Flask, network: factories.SmallNetwork) -> None:
    organizer = _user(network, "organizer")
    bulletin = make_bulletin(organizer)
    old = links.link_for(bulletin)
    assert old is not None and links.find_link(old.token) == old
    services.revoke_links(bulletin, organizer)
    assert links.link_for(bulletin) is None
    with pytest.raises(links.LinkGone):
        links.find_link(old.token)
    services.issue_new_links(bulletin, organizer)
    new = links.link_for(bulletin)
    assert new is not None and new.token != old.token
    assert links.find_link(new.token) == new
    with pytest.raises(links.LinkGone):  # the old QR code stays dead after new links are issued
        links.find_link(old.token)
    with pytest.raises(NotFound):
        links.find_link("never-issued")


@pytest.mark.parametrize(
    "agent",
    [
        None,
        "",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "TelegramBot (like TwitterBot)",
        "WhatsApp/2.23.20.0 A",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120",
        "Zalo link preview",
    ],
)
def test_link_previews_and_crawlers_are_not_counted(agent: str | None) -> None:
    assert links.is_preview_agent(agent)


@pytest.mark.parametrize("agent", [PHONE, ZALO_IN_APP, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1"])
def test_readers_browsers_are_counted(agent: str) -> None:
    assert not links.is_preview_agent(agent)


def test_opens_are_counted_per_link_and_day_and_nothing_else(app_ctx: Flask, network: factories.SmallNetwork) -> None:
    bulletin = make_bulletin(_user(network, "organizer"))
    endpoint_link = links.link_for(bulletin, network.sao_do.id)
    public = links.link_for(bulletin)
    assert endpoint_link is not None and public is not None
    today = date(2026, 12, 3)
    for _n in range(3):
        assert links.count_open(endpoint_link, method="GET", user_agent=ZALO_IN_APP, day=today)
    links.count_open(endpoint_link, method="GET", user_agent=PHONE, day=today - timedelta(days=1))
    assert not links.count_open(endpoint_link, method="HEAD", user_agent=PHONE, day=today)
    assert not links.count_open(endpoint_link, method="GET", user_agent="TelegramBot (like TwitterBot)", day=today)
    links.count_open(public, method="GET", user_agent=PHONE, day=today)
    db.session.commit()
    reach = links.reach(bulletin)
    sao_do = next(row for row in reach.endpoints if row.endpoint and row.endpoint.id == network.sao_do.id)
    assert sao_do.by_day == {today: 3, today - timedelta(days=1): 1} and sao_do.opens == 4
    assert reach.public.by_day == {today: 1}
    assert reach.total_opens == 5
    # Only (link, day, count) is stored: no column could hold an address, a cookie or a user agent.
    assert {column.name for column in BulletinOpen.__table__.columns} == {"link_id", "day", "opens"}


def test_opens_of_revoked_links_still_count_for_their_endpoint(app_ctx: Flask, network: factories.SmallNetwork) -> None:
    organizer = _user(network, "organizer")
    bulletin = make_bulletin(organizer)
    first = links.link_for(bulletin, network.sao_do.id)
    assert first is not None
    links.count_open(first, method="GET", user_agent=PHONE, day=date(2026, 12, 1))
    services.issue_new_links(bulletin, organizer)
    second = links.link_for(bulletin, network.sao_do.id)
    assert second is not None and second.id != first.id
    links.count_open(second, method="GET", user_agent=PHONE, day=date(2026, 12, 1))
    db.session.commit()
    rows = links.reach(bulletin, network.sao_do.id).endpoints
    assert [(row.endpoint.id if row.endpoint else None, row.opens) for row in rows] == [(network.sao_do.id, 2)]


def _open_at_once(app: Flask, link_id: int, threads: int = 8, each: int = 10) -> None:
    """Open a link `each` times in each of `threads` threads at once, committing every open."""
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            with app.app_context():
                row = db.session.get(BulletinLink, link_id)
                assert row is not None
                for _n in range(each):
                    links.count_open(row, method="GET", user_agent=PHONE, day=date(2026, 12, 3))
                    db.session.commit()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    workers = [threading.Thread(target=reader) for _n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []


def _counted(app: Flask, link_id: int) -> int | None:
    with app.app_context():
        return db.session.scalar(sa.select(BulletinOpen.opens).where(BulletinOpen.link_id == link_id))


def _published_link(network: factories.SmallNetwork) -> int:
    bulletin = make_bulletin(db.session.get(User, network.organizer.id))
    link = links.link_for(bulletin, network.sao_do.id)
    assert link is not None
    db.session.commit()
    return link.id


def test_concurrent_opens_are_all_counted(app: Flask, network: factories.SmallNetwork) -> None:
    """Eight threads each open the link ten times at once: one upsert per open, none lost."""
    with app.app_context():
        link_id = _published_link(network)
    _open_at_once(app, link_id)
    assert _counted(app, link_id) == 80


def test_concurrent_opens_are_all_counted_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    pg_app = create_app(base_config(tmp_path, postgres_url))
    with pg_app.app_context():
        db.create_all()
        link_id = _published_link(factories.make_small_network())
    try:
        _open_at_once(pg_app, link_id)
        assert _counted(pg_app, link_id) == 80
    finally:
        with pg_app.app_context():
            db.engine.dispose()


def test_receipts_once_per_endpoint_by_its_operator(app_ctx: Flask, network: factories.SmallNetwork) -> None:
    organizer = _user(network, "organizer")
    bulletin = make_bulletin(organizer)
    operator = _user(network, "operator")
    first = services.confirm_receipt(bulletin, operator)
    assert services.confirm_receipt(bulletin, operator).id == first.id
    with pytest.raises(AccessDenied):
        services.confirm_receipt(bulletin, organizer)
    db.session.commit()
    reach = links.reach(bulletin)
    assert reach.received == 1
    received = {row.endpoint.id: row.receipt for row in reach.endpoints if row.endpoint}
    assert received[network.sao_do.id] is not None and received[network.hoang_hoa_tham.id] is None


def test_replacing_the_pdf_renders_a_new_cover_and_drops_the_old_files(
    app_ctx: Flask, network: factories.SmallNetwork
) -> None:
    organizer = _user(network, "organizer")
    bulletin = make_bulletin(organizer, publish=False)
    old_pdf, old_cover = files.pdf_path(bulletin.stored_name), files.pdf_path(bulletin.cover_name)
    services.update_bulletin(
        bulletin,
        organizer,
        month=MONTH,
        title="Số đặc biệt",
        briefing_id=None,
        upload=services.BulletinUpload("moi.pdf", bulletin_pdf("Số đặc biệt", pages=3)),
    )
    db.session.commit()
    assert bulletin.page_count == 3 and bulletin.title == "Số đặc biệt"
    assert not old_pdf.exists() and not old_cover.exists()
    assert files.pdf_path(bulletin.cover_name).is_file()
    services.delete_draft(bulletin, organizer)
    db.session.commit()
    assert [p for p in _folder(app_ctx)] == []


def test_a_published_bulletin_cannot_be_deleted(app_ctx: Flask, network: factories.SmallNetwork) -> None:
    bulletin = make_bulletin(_user(network, "organizer"))
    with pytest.raises(Conflict):
        services.delete_draft(bulletin, _user(network, "organizer"))


def test_cover_of_a_poster_sized_page_stays_bounded(app_ctx: Flask, tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format=(210, 3000))
    pdf.add_page()
    path = tmp_path / "tall.pdf"
    path.write_bytes(bytes(pdf.output()))
    png, pages = files.render_cover(path)
    image = Image.open(io.BytesIO(png))
    assert pages == 1 and image.width * image.height <= files.MAX_COVER_PIXELS * 1.01


def test_the_zalo_message_names_the_bulletin_and_ends_with_the_link(
    app_ctx: Flask, network: factories.SmallNetwork
) -> None:
    bulletin = make_bulletin(_user(network, "organizer"))
    url = "https://bantin.chilinh.vn/b/abc"
    message = links.share_message(bulletin, url, "Ban Tuyên giáo Thành ủy Chí Linh")
    assert message.startswith("Ban Tuyên giáo Thành ủy Chí Linh trân trọng giới thiệu bản tin “Thông tin tuyên giáo")
    assert message.endswith(url) and message.count("11/2026") == 1
    bulletin.title = "Số đặc biệt"
    assert "“Số đặc biệt” (tháng 11/2026)" in links.share_message(bulletin, url, "Ban")
