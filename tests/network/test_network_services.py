"""Network services: search without diacritics, merging endpoints, validation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts.models import User
from meeting_hub.errors import AccessDenied, Conflict, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.network import services
from meeting_hub.network.models import EndpointKind
from meeting_hub.vietnamese import fold
from tests import factories


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Hoàng Hoa Thám", "hoang hoa tham"),
        ("ĐẤT ĐAI", "dat dai"),
        ("  Nguyễn   Văn  ", "nguyen van"),
        ("Thôn Đông Xá", "thon dong xa"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold_removes_diacritics_and_case(text: str | None, folded: str) -> None:
    assert fold(text) == folded


def test_slug_of_vietnamese_names() -> None:
    assert services.slugify("Hoàng Hoa Thám") == "hoang-hoa-tham"
    assert services.slugify("Đồng Lạc") == "dong-lac"


def test_search_ignores_diacritics_and_case(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    assert [e.code for e in services.list_endpoints(None, "hoang hoa tham")] == ["hoang-hoa-tham"]
    assert [e.code for e in services.list_endpoints(None, "SAO DO")] == ["sao-do"]
    people = services.list_people(network.admin, query="nguyen van")
    assert [p.full_name for p in people] == ["Nguyễn Văn Đức"]
    assert [p.full_name for p in services.list_people(network.admin, query="dong xa")] == ["Lê Quang Thắng"]


def test_operator_only_lists_their_own_endpoint(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    assert [e.code for e in services.list_endpoints(network.operator)] == ["sao-do"]
    people = services.list_people(network.operator)
    assert {p.cell.endpoint_id for p in people} == {network.sao_do.id}
    with pytest.raises(AccessDenied):
        services.list_people(network.operator, endpoint_id=network.hoang_hoa_tham.id)


def test_merge_moves_cells_and_operators_and_keeps_the_old_endpoint(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    # A cell with the same name on both sides stays distinguishable after the merge.
    factories.make_cell(network.sao_do, name="Thôn Đông Xá")
    services.merge_endpoint(network.hoang_hoa_tham, network.sao_do, network.admin)
    db.session.commit()
    old = services.get_endpoint(network.hoang_hoa_tham.id)
    assert old.active is False
    assert old.merged_into_id == network.sao_do.id
    assert old.merged_at is not None
    cell_names = sorted(cell.name for cell in services.get_endpoint(network.sao_do.id).cells)
    assert "Thôn Đông Xá (Hoàng Hoa Thám)" in cell_names
    assert "Thôn Đông Xá" in cell_names
    operator = db.session.scalars(sa.select(User).where(User.username == "op-hoang-hoa-tham")).one()
    assert operator.endpoint_id == network.sao_do.id
    assert [e.code for e in services.list_endpoints()] == ["sao-do"]
    assert {e.code for e in services.list_endpoints(include_inactive=True)} == {"sao-do", "hoang-hoa-tham"}


def test_merge_refuses_self_inactive_target_and_second_merge(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    with pytest.raises(ValidationFailed):
        services.merge_endpoint(network.sao_do, network.sao_do, network.admin)
    services.merge_endpoint(network.hoang_hoa_tham, network.sao_do, network.admin)
    with pytest.raises(Conflict):
        services.merge_endpoint(network.hoang_hoa_tham, network.sao_do, network.admin)
    third = factories.make_endpoint()
    with pytest.raises(Conflict):
        services.merge_endpoint(third, network.hoang_hoa_tham, network.admin)


def test_endpoint_code_must_be_a_unique_slug(app_ctx: Flask) -> None:
    factories.make_endpoint(code="sao-do", name="Sao Đỏ")
    with pytest.raises(ValidationFailed) as duplicate:
        services.create_endpoint(services.EndpointData(code="sao-do", name="Khác", kind=EndpointKind.WARD), None)
    assert "code" in duplicate.value.details
    with pytest.raises(ValidationFailed):
        services.create_endpoint(services.EndpointData(code="Sao Đỏ!", name="X", kind=EndpointKind.WARD), None)


def test_endpoint_code_defaults_to_the_slug_of_the_name(app_ctx: Flask) -> None:
    endpoint = services.create_endpoint(services.EndpointData(code="", name="Văn Đức", kind=EndpointKind.WARD), None)
    assert endpoint.code == "van-duc"
    assert endpoint.party_committee_name == "Đảng ủy phường Văn Đức"


def test_an_agency_email_is_checked_and_normalised(app_ctx: Flask) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.create_agency(services.AgencyData(name="Phòng Văn hóa", email="phong van hoa@"), None)
    assert refused.value.details is not None and "email" in refused.value.details
    agency = services.create_agency(services.AgencyData(name="Phòng Văn hóa", email="VanHoa@ChiLinh.GOV.vn"), None)
    assert agency.email == "VanHoa@chilinh.gov.vn"
