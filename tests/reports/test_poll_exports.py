"""Poll exports: the results per option and per endpoint (CSV and XLSX), the per-person list of a named poll, no
person anywhere in a secret poll's files, formula-like text neutralised, and who may download them."""

from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.roles import Role
from meeting_hub.extensions import db
from meeting_hub.network.models import Endpoint, Person
from meeting_hub.polls import services as polls
from meeting_hub.polls.models import PollKind
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.attendance.conftest import signed_in_client
from tests.reports.conftest import (
    NAMED_OTHER_TEXT,
    NAMED_QUESTION,
    SECRET_OTHER_TEXT,
    PolledBriefing,
    hold_briefing,
)
from tests.reports.test_exports import read_csv

ANSWERED = ("Nguyễn Văn Đức", "Lê Quang Thắng")


def workbook_cells(data: bytes) -> dict[str, list[tuple[object, ...]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}


def test_results_csv_has_each_endpoint_the_totals_and_the_shares(app: Flask, polled: PolledBriefing) -> None:
    response = signed_in_client(app, "leader").get(f"/api/v1/polls/{polled.named_id}/results.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        "tham-do-" in response.headers["Content-Disposition"]
        and "attachment" in response.headers["Content-Disposition"]
    )
    rows = read_csv(response.data)
    assert rows[0] == [
        "Điểm cầu", "Mã điểm cầu", "Đã trả lời", "Có mặt", "Tỉ lệ trả lời",
        "1. Rất hữu ích", "2. Hữu ích", "3. =Chưa hữu ích", "Khác",
    ]  # fmt: skip
    by_name = {row[0]: row[1:] for row in rows[1:]}
    assert by_name["Hoàng Hoa Thám"] == ["hoang-hoa-tham", "1", "1", "100,0%", "0", "0", "0", "1"]
    assert by_name["Sao Đỏ"] == ["sao-do", "1", "1", "100,0%", "1", "0", "0", "0"]
    assert by_name["Phả Lại"] == ["pha-lai", "0", "0", "", "0", "0", "0", "0"]
    assert by_name["Tổng cộng"] == ["", "2", "2", "100,0%", "1", "0", "0", "1"]
    assert by_name["Tỉ lệ chọn"] == ["", "", "", "", "50,0%", "0,0%", "0,0%", "50,0%"]


def test_formula_like_text_is_neutralised_in_the_csv_and_a_string_in_the_xlsx(
    app: Flask, polled: PolledBriefing
) -> None:
    with app.app_context():
        endpoint = db.session.get_one(Endpoint, polled.held.network.sao_do.id)
        endpoint.name = "@SUM(1+1)"
        db.session.commit()
    client = signed_in_client(app, "organizer")
    results = client.get(f"/api/v1/polls/{polled.named_id}/results.csv").data.decode("utf-8-sig")
    assert "\n'@SUM(1+1)," in results.replace("\r\n", "\n")
    people = read_csv(client.get(f"/api/v1/polls/{polled.named_id}/people.csv").data)
    thang = next(row for row in people if row[3] == "Lê Quang Thắng")
    assert thang[5] == "Khác" and thang[6] == "'" + NAMED_OTHER_TEXT
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"/api/v1/polls/{polled.named_id}/results.xlsx").data))
    cells = [
        workbook["Ket qua"]["F4"],  # the option "=Chưa hữu ích"
        workbook["Y kien khac"]["C2"],
        workbook["Theo nguoi"]["G3"],  # Lê Quang Thắng's, after Sao Đỏ's row (now "@SUM(1+1)", sorted first)
        workbook["Theo nguoi"]["B2"],
    ]
    assert [cell.value for cell in cells] == ["=Chưa hữu ích", NAMED_OTHER_TEXT, NAMED_OTHER_TEXT, "@SUM(1+1)"]
    assert all(cell.data_type == "s" for cell in cells)


def test_the_workbook_has_options_endpoints_and_for_a_named_poll_the_people(app: Flask, polled: PolledBriefing) -> None:
    response = signed_in_client(app, "organizer").get(f"/api/v1/polls/{polled.named_id}/results.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Ket qua", "Theo diem cau", "Y kien khac", "Theo nguoi"]
    options = list(workbook["Ket qua"].iter_rows(values_only=True))
    assert options[1] == (
        NAMED_QUESTION, "Theo từng người, ghi tên", "Không", "Đã đóng", 1, "Rất hữu ích", 1, 0.5, 2, 2,
    )  # fmt: skip
    assert workbook["Ket qua"]["H2"].number_format == "0.0%"
    endpoints = list(workbook["Theo diem cau"].iter_rows(values_only=True))
    assert endpoints[-2] == ("Tổng cộng", None, 2, 2, 1.0, 1, 0, 0, 1)
    assert endpoints[-1] == ("Tỉ lệ chọn", None, None, None, None, 0.5, 0.0, 0.0, 0.5)
    assert list(workbook["Y kien khac"].iter_rows(values_only=True)) == [
        ("STT", "Điểm cầu", "Nội dung", "Số người"),
        (1, "Hoàng Hoa Thám", NAMED_OTHER_TEXT, 1),
    ]
    people = list(workbook["Theo nguoi"].iter_rows(values_only=True))
    assert people[0] == (
        "STT", "Điểm cầu", "Chi bộ", "Họ và tên", "Mã người", "Lựa chọn", "Ý kiến khác", "Cách ghi nhận",
    )  # fmt: skip
    assert [row[1:4] + row[5:] for row in people[1:]] == [
        ("Hoàng Hoa Thám", "Thôn Đông Xá", "Lê Quang Thắng", "Khác", NAMED_OTHER_TEXT, "Cán bộ ghi nhận"),
        ("Sao Đỏ", people[2][2], "Nguyễn Văn Đức", "1. Rất hữu ích", None, "Cán bộ ghi nhận"),
    ]
    assert isinstance(people[1][4], int)


def test_a_secret_polls_files_name_nobody(app: Flask, polled: PolledBriefing) -> None:
    client = signed_in_client(app, "organizer")
    workbook = client.get(f"/api/v1/polls/{polled.secret_id}/results.xlsx")
    sheets = workbook_cells(workbook.data)
    assert list(sheets) == ["Ket qua", "Theo diem cau", "Y kien khac"]
    assert sheets["Y kien khac"][1] == (1, "Hoàng Hoa Thám", SECRET_OTHER_TEXT, 1)
    texts = " ".join(str(value) for rows in sheets.values() for row in rows for value in row)
    texts += client.get(f"/api/v1/polls/{polled.secret_id}/results.csv").data.decode("utf-8-sig")
    assert "Tín nhiệm" in texts and SECRET_OTHER_TEXT in texts
    with app.app_context():
        everyone = list(db.session.scalars(sa.select(Person.full_name)))
    assert everyone
    for name in everyone:
        assert name not in texts
    refused = client.get(f"/api/v1/polls/{polled.secret_id}/people.csv")
    assert refused.status_code == 409
    assert refused.json["error"]["message"] == "Chỉ câu hỏi ghi tên mới có danh sách lựa chọn của từng người."
    assert client.get(f"/api/v1/polls/{polled.endpoint_id}/people.csv").status_code == 409


def test_an_operator_gets_the_results_but_only_their_own_endpoints_people(app: Flask, polled: PolledBriefing) -> None:
    client = signed_in_client(app, "op-sao-do")
    results = read_csv(client.get(f"/api/v1/polls/{polled.named_id}/results.csv").data)
    assert {row[0] for row in results[1:-2]} == {"Sao Đỏ", "Hoàng Hoa Thám", "Phả Lại"}
    people = read_csv(client.get(f"/api/v1/polls/{polled.named_id}/people.csv").data)
    assert [row[3] for row in people[1:]] == ["Nguyễn Văn Đức"]
    sheets = workbook_cells(client.get(f"/api/v1/polls/{polled.named_id}/results.xlsx").data)
    assert [row[3] for row in sheets["Theo nguoi"][1:]] == ["Nguyễn Văn Đức"]


@pytest.mark.parametrize("path", ["results.csv", "people.csv", "results.xlsx"])
def test_who_may_not_download(app: Flask, polled: PolledBriefing, path: str) -> None:
    url = f"/api/v1/polls/{polled.named_id}/{path}"
    assert app.test_client().get(url).status_code == 401
    assert signed_in_client(app, "responder").get(url).status_code == 403
    with app.app_context():
        elsewhere = factories.make_endpoint(code="bac-an", name="Bắc An")
        factories.make_user(Role.OPERATOR, username="op-bac-an", endpoint_id=elsewhere.id)
        db.session.commit()
    # An operator whose endpoint was not invited to the briefing.
    assert signed_in_client(app, "op-bac-an").get(url).status_code == 403
    assert signed_in_client(app, "leader").get(url).status_code == 200


def test_a_draft_has_no_results_to_export(app: Flask, network: factories.SmallNetwork) -> None:
    with app.app_context():
        held = hold_briefing(network, close=False)
        draft = polls.create_poll(
            scheduling.get_briefing(held.briefing_id),
            polls.PollDraft("Câu hỏi chưa đưa ra?", ["Có", "Không"], PollKind.NAMED),
            accounts.find_user("organizer"),
        )
        db.session.commit()
        draft_id = draft.id
    organizer = signed_in_client(app, "organizer")
    response = organizer.get(f"/api/v1/polls/{draft_id}/results.xlsx")
    assert response.status_code == 409
    assert "bản nháp" in response.json["error"]["message"]
    # Operators do not see drafts at all.
    assert signed_in_client(app, "op-sao-do").get(f"/api/v1/polls/{draft_id}/results.csv").status_code == 404


def test_the_briefing_page_links_each_polls_exports_for_those_who_may_download(
    app: Flask, polled: PolledBriefing
) -> None:
    links = [
        f"/api/v1/polls/{polled.named_id}/results.xlsx",
        f"/api/v1/polls/{polled.named_id}/people.csv",
        f"/api/v1/polls/{polled.secret_id}/results.csv",
    ]
    for username in ("organizer", "op-sao-do"):
        html = signed_in_client(app, username).get(f"/briefings/{polled.briefing_id}").get_data(as_text=True)
        assert "Kết quả thăm dò ý kiến" in html
        assert all(link in html for link in links), username
        assert f"/api/v1/polls/{polled.secret_id}/people.csv" not in html  # a secret poll has no per-person list
    page = signed_in_client(app, "responder").get(f"/briefings/{polled.briefing_id}")
    assert page.status_code == 200 and "/api/v1/polls/" not in page.get_data(as_text=True)
