"""Search ignores diacritics and case over title, content, cell, person, endpoint and category, the same on SQLite
and PostgreSQL; the filters and pages of the list; no query per row."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub import create_app
from meeting_hub.accounts import services as accounts
from meeting_hub.extensions import db
from meeting_hub.follow_up import search, services
from meeting_hub.follow_up.models import IssueStatus
from meeting_hub.network import services as network
from tests import factories
from tests.conftest import POSTGRES_URL, base_config
from tests.follow_up.conftest import make_issue


@contextmanager
def _fresh_database(engine: str, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty SQLite file or PostgreSQL database, dropped afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'search.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("MEETING_HUB_TEST_POSTGRES_URL is not set")
    name = f"mh_search_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app with a few issues, on SQLite and on PostgreSQL (the same tests run on both; built once per module)."""
    tmp_path = tmp_path_factory.mktemp(request.param)
    with _fresh_database(request.param, tmp_path) as url:
        yield from _app_with_issues(url, tmp_path)


def _app_with_issues(url: str, tmp_path: Path) -> Iterator[Flask]:
    with pytest.MonkeyPatch.context() as patch:  # module scope: the per-test instance folder is not set yet
        patch.setenv("MEETING_HUB_INSTANCE_PATH", str(tmp_path / "instance"))
        app = create_app(base_config(tmp_path, url))
    with app.app_context():
        db.create_all()
        services.seed_default_categories()
        net = factories.make_small_network()
        briefing = factories.make_live_briefing()
        make_issue(briefing.id, net.hoang_hoa_tham.id, title="Lấn chiếm đất nông nghiệp", content="Đề nghị xử lý")
        make_issue(briefing.id, net.sao_do.id, title="Cấp giấy chứng nhận quyền sử dụng đất chậm")
        make_issue(
            briefing.id,
            net.hoang_hoa_tham.id,
            category="moi-truong",
            title="Rác thải ven đường liên thôn",
            content="Bãi rác tự phát gây ô nhiễm 100% hộ dân phản ánh",
        )
        make_issue(
            briefing.id,
            net.sao_do.id,
            category="ha-tang-giao-thong",
            title="Đường ĐT 398 xuống cấp",
            person_id=net.sao_do_people[0].id,
        )
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _titles(app: Flask, q: str, **filters: object) -> list[str]:
    with app.app_context():
        page = search.list_issues(
            accounts.find_user("leader"),
            search.IssueFilters(q=q, **filters),
            sort="raised_at",  # type: ignore[arg-type]
        )
        return [issue.title for issue in page.items]


def test_words_match_across_title_endpoint_and_category(any_db_app: Flask) -> None:
    assert _titles(any_db_app, "dat dai hoang hoa tham") == ["Lấn chiếm đất nông nghiệp"]


def test_diacritics_and_case_are_ignored_both_ways(any_db_app: Flask) -> None:
    assert _titles(any_db_app, "ĐẤT ĐAI   Hoàng Hoa Thám") == ["Lấn chiếm đất nông nghiệp"]
    assert _titles(any_db_app, "chung nhan") == ["Cấp giấy chứng nhận quyền sử dụng đất chậm"]
    assert _titles(any_db_app, "DT 398") == ["Đường ĐT 398 xuống cấp"]


def test_category_cell_and_person_names_are_searched(any_db_app: Flask) -> None:
    assert _titles(any_db_app, "moi truong") == ["Rác thải ven đường liên thôn"]
    assert _titles(any_db_app, "giao thong") == ["Đường ĐT 398 xuống cấp"]
    assert _titles(any_db_app, "nguyen van duc") == ["Đường ĐT 398 xuống cấp"]
    assert _titles(any_db_app, "han giang") == ["Đường ĐT 398 xuống cấp"]  # the person's cell
    assert _titles(any_db_app, "dat dai", endpoint_id=None) == [
        "Lấn chiếm đất nông nghiệp",
        "Cấp giấy chứng nhận quyền sử dụng đất chậm",
    ]


def test_like_wildcards_in_the_query_are_plain_characters(any_db_app: Flask) -> None:
    assert _titles(any_db_app, "100%") == ["Rác thải ven đường liên thôn"]
    assert _titles(any_db_app, "%") == ["Rác thải ven đường liên thôn"]
    assert _titles(any_db_app, "_") == []


def test_a_renamed_endpoint_is_found_by_its_new_name(any_db_app: Flask) -> None:
    with any_db_app.app_context():
        endpoint = network.get_endpoint(
            db.session.scalar(sa.text("SELECT id FROM endpoints WHERE code = 'hoang-hoa-tham'"))
        )
        data = network.EndpointData(code=endpoint.code, name="Chí Linh Mới", kind=endpoint.kind)
        network.update_endpoint(endpoint, data, accounts.find_user("admin"))
        db.session.commit()
        endpoint_id = endpoint.id
    try:
        assert _titles(any_db_app, "chi linh moi dat") == ["Lấn chiếm đất nông nghiệp"]
    finally:  # the module's data is shared: put the name back
        with any_db_app.app_context():
            endpoint = network.get_endpoint(endpoint_id)
            data = network.EndpointData(code=endpoint.code, name="Hoàng Hoa Thám", kind=endpoint.kind)
            network.update_endpoint(endpoint, data, accounts.find_user("admin"))
            db.session.commit()


def test_search_combines_with_filters_and_pages(any_db_app: Flask) -> None:
    with any_db_app.app_context():
        leader = accounts.find_user("leader")
        page = search.list_issues(leader, search.IssueFilters(q="dat"), per_page=1, sort="raised_at")
        assert page.total == 2
        assert page.pages == 2
        second = search.list_issues(leader, search.IssueFilters(q="dat"), per_page=1, page=2, sort="raised_at")
        assert [i.title for i in page.items + second.items] == [
            "Lấn chiếm đất nông nghiệp",
            "Cấp giấy chứng nhận quyền sử dụng đất chậm",
        ]
        assert search.list_issues(leader, search.IssueFilters(q="dat", status=IssueStatus.CLOSED)).total == 0
        assert search.list_issues(leader, search.IssueFilters(category="moi-truong")).total == 1
