"""The HTTP contract around the API's operations: 405 with Allow, one shape for validation details, exact types."""

from __future__ import annotations

from flask import Flask

from meeting_hub.extensions import db
from meeting_hub.validation_messages import flat_details
from tests import factories
from tests.attendance.conftest import token_for


def _bearer(app: Flask, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(app, username)}"}


def test_a_405_names_the_allowed_methods(app: Flask, network: factories.SmallNetwork) -> None:
    client = app.test_client()
    response = client.delete("/api/v1/endpoints", headers=_bearer(app, "admin"))
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET"}
    assert response.json["error"]["code"] == "method_not_allowed"
    page = client.put("/sign-in")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]


def test_validation_details_are_flat_and_in_the_callers_language(app: Flask, network: factories.SmallNetwork) -> None:
    client = app.test_client()
    url = "/api/v1/series"
    body = {"title": "Giao ban", "rule": {"day": 40}, "start_time": "08:00", "first_month": "2027-01"}
    vietnamese = client.post(url, json=body, headers=_bearer(app, "organizer"))
    assert vietnamese.status_code == 422
    details = vietnamese.json["error"]["details"]
    assert all(isinstance(message, str) for message in details.values())
    assert details["duration_minutes"] == "Thông tin này là bắt buộc."
    with app.app_context():
        organizer = db.session.get(type(network.organizer), network.organizer.id)
        assert organizer is not None
        organizer.language = "en"
        db.session.commit()
    english = client.post(url, json=body, headers=_bearer(app, "organizer"))
    assert english.json["error"]["details"]["duration_minutes"] == "This field is required."


def test_nested_and_located_messages_flatten_to_dotted_fields(app: Flask) -> None:
    with app.test_request_context():
        flat = flat_details({"json": {"endpoint_ids": {2: ["Not a valid integer."]}, "title": ["Unknown field."]}})
        assert flat == {"endpoint_ids.2": "Phải là một số nguyên.", "title": "Trường này không được hỗ trợ."}
        assert flat_details({"months": ["Must be greater than or equal to 1 and less than or equal to 120."]}) == {
            "months": "Phải từ 1 đến 120."
        }


def test_csv_exports_say_their_charset_once(app: Flask, network: factories.SmallNetwork) -> None:
    response = app.test_client().get("/api/v1/issues.csv", headers=_bearer(app, "leader"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_ids_in_request_bodies_are_bounded_like_path_ids(app: Flask, network: factories.SmallNetwork) -> None:
    # A huge id used to overflow SQLite inside the query and answer 500.
    body = {"title": "X", "starts_at": "2027-01-12T08:00:00+07:00", "ends_at": "2027-01-12T10:00:00+07:00"}
    response = app.test_client().post(
        "/api/v1/briefings", json={**body, "endpoint_ids": [2**63]}, headers=_bearer(app, "organizer")
    )
    assert response.status_code == 422
    assert "endpoint_ids.0" in response.json["error"]["details"]


def test_an_empty_video_link_means_none_on_create_and_on_change(app: Flask, network: factories.SmallNetwork) -> None:
    client, headers = app.test_client(), _bearer(app, "organizer")
    body = {"starts_at": "2027-01-12T08:00:00+07:00", "ends_at": "2027-01-12T10:00:00+07:00", "video_link": ""}
    created = client.post("/api/v1/briefings", json=body, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["video_link"] == ""
    url = f"/api/v1/briefings/{created.json['id']}"
    linked = client.patch(url, json={"video_link": "https://meet.example.vn/giao-ban"}, headers=headers)
    assert linked.status_code == 200
    assert client.patch(url, json={"video_link": "javascript:alert(1)"}, headers=headers).status_code == 422
    cleared = client.patch(url, json={"video_link": ""}, headers=headers)
    assert cleared.status_code == 200 and cleared.json["video_link"] == ""
