"""Vietnamese order on the server: the same as Intl.Collator("vi") in the browsers, on every list of names."""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata

import pytest
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.roles import Role
from meeting_hub.extensions import db
from meeting_hub.network import services as network
from meeting_hub.network.models import EndpointKind
from meeting_hub.vietnamese import sort_key
from tests import factories
from tests.conftest import AuthActions

NAMES = [
    "Đồng Lạc", "Dương", "Ân Thi", "Ăn", "An Lạc", "Bắc An", "Hoàng Tân", "Hoàng Hoa Thám", "Ơn", "Ôn", "Pha",
    "Lê Lợi", "Le", "Lé", "Lè", "Lẹ", "Lẻ", "Lẽ", "An", "an", "Anh", "Ánh", "Ư", "U", "Z", "1 A", "10", "2",
    "Thôn Đông Xá", "Thôn Dương Xá", "Khu dân cư 3", "Khu dân cư 10", "Đ", "D", "E", "Ê", "Ê-đê", "Zô",
]  # fmt: skip


def test_d_stroke_after_d_and_breve_circumflex_after_a() -> None:
    assert sorted(["Đồng Lạc", "Dương", "Duy Tân"], key=sort_key) == ["Duy Tân", "Dương", "Đồng Lạc"]
    assert sorted(["Ân", "Ăn", "An", "Bắc"], key=sort_key) == ["An", "Ăn", "Ân", "Bắc"]
    assert sorted(["Ơn", "Ôn", "On", "Pha"], key=sort_key) == ["On", "Ôn", "Ơn", "Pha"]
    assert sorted(["Ư", "U", "V"], key=sort_key) == ["U", "Ư", "V"]
    # Tones only break ties, in the order none, huyền, hỏi, ngã, sắc, nặng.
    assert sorted(["Lẹ", "Lé", "Lẽ", "Lẻ", "Lè", "Le", "Lê"], key=sort_key) == [
        "Le",
        "Lè",
        "Lẻ",
        "Lẽ",
        "Lé",
        "Lẹ",
        "Lê",
    ]
    # A shorter word first: "Hoàng Hoa Thám" before "Hoàng Tân"; NFD input sorts as NFC.
    assert sorted(["Hoàng Tân", "Hoàng Hoa Thám"], key=sort_key) == ["Hoàng Hoa Thám", "Hoàng Tân"]
    assert sort_key("Đồng Lạc") == sort_key(unicodedata.normalize("NFD", "Đồng Lạc"))


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_same_order_as_intl_collator_vi() -> None:
    script = "const n=JSON.parse(process.argv[1]);console.log(JSON.stringify(n.sort(new Intl.Collator('vi').compare)))"
    result = subprocess.run(["node", "-e", script, json.dumps(NAMES)], capture_output=True, text=True, check=True)
    assert sorted(NAMES, key=sort_key) == json.loads(result.stdout)


def test_lists_of_the_network_are_in_vietnamese_order(app_ctx: Flask) -> None:
    for name in ("Đồng Lạc", "Dương Kinh", "An Lạc", "Ân Thi"):
        endpoint = factories.make_endpoint(name=name, kind=EndpointKind.WARD)
    for name in ("Thôn Đông", "Thôn Dương"):
        factories.make_cell(endpoint, name=name)
    for name in ("Đội Quản lý trật tự", "Dương Kinh", "Ban Dân vận"):
        factories.make_agency(name=name)
    for name in ("Đỗ An", "Dương Lan", "Âu Cơ"):
        factories.make_user(Role.LEADER, display_name=name)
    db.session.flush()
    assert [e.name for e in network.list_endpoints()] == ["An Lạc", "Ân Thi", "Dương Kinh", "Đồng Lạc"]
    assert [a.name for a in network.list_agencies()] == ["Ban Dân vận", "Dương Kinh", "Đội Quản lý trật tự"]
    assert [c.name for c in network.sorted_cells(endpoint.cells)] == ["Thôn Dương", "Thôn Đông"]
    assert [u.display_name for u in accounts.list_users()] == ["Âu Cơ", "Dương Lan", "Đỗ An"]


def test_people_page_lists_in_vietnamese_order(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        cell = factories.make_cell(name="Thôn Thử")
        for name in ("Đặng Văn Thử", "Dương Văn Thử", "Ấn Văn Thử"):
            factories.make_person(cell, full_name=name)
        db.session.commit()
    auth.sign_in("admin")
    page = client.get("/people?q=van thu").text
    positions = [page.index(name) for name in ("Ấn Văn Thử", "Dương Văn Thử", "Đặng Văn Thử")]
    assert positions == sorted(positions)


def test_admin_selects_start_on_choose(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("admin")
    user_form = client.get("/admin/users/new").text
    assert '<option selected value="">— Chọn —</option>' in user_form.split('name="role"')[1].split("</select>")[0]
    refused = client.post(
        "/admin/users/new",
        data={"username": "khongvaitro", "display_name": "Không Vai Trò", "role": "", "language": "vi",
              "password": "mot-mat-khau-dai", "active": "y"},
    )  # fmt: skip
    assert "Cần chọn vai trò." in refused.text
    person_form = client.get("/admin/people/new").text
    assert '<option selected value="">— Chọn —</option>' in person_form.split('name="cell_id"')[1]
    refused = client.post("/admin/people/new", data={"full_name": "Lê Văn Mới", "cell_id": "", "role": "member"})
    assert "Cần chọn chi bộ." in refused.text
    agency_form = client.get("/admin/agencies/new").text
    assert "— Không thuộc điểm cầu nào —" in agency_form
