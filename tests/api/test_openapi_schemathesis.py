"""The OpenAPI document validates, and schemathesis drives every operation in-process: no 5xx, responses
conform to the document, invalid data is rejected."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import positive_data_acceptance

from meeting_hub.accounts import services as accounts
from meeting_hub.extensions import db


@pytest.fixture
def demo_app(app: Flask) -> Flask:
    """The app with the demo loaded and an organizer token in its config for the tests below."""
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        app.config["TEST_ORGANIZER_TOKEN"] = accounts.issue_api_token(accounts.find_user("organizer"), "fuzz", None)
        db.session.commit()
    return app


def test_openapi_document_is_valid_and_lists_the_contract(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").json
    validate(document)
    paths = set(document["paths"])
    assert {
        "/api/v1/me",
        "/api/v1/endpoints",
        "/api/v1/endpoints/{endpoint_id}/people",
        "/api/v1/agencies",
        "/api/v1/series",
        "/api/v1/briefings",
        "/api/v1/briefings/{briefing_id}",
        "/api/v1/briefings/{briefing_id}/cancel",
        "/api/v1/briefings/{briefing_id}/open",
        "/api/v1/briefings/{briefing_id}/close",
    } <= paths


def test_every_operation_conforms(demo_app: Flask) -> None:
    # schemathesis' pytest fixture loader does not run under pytest 9, so drive its strategies directly.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_app)
    # The in-process WSGI transport asks for gzip but does not decode it: ask for the body as it is.
    headers = {
        "Authorization": f"Bearer {demo_app.config['TEST_ORGANIZER_TOKEN']}",
        "Accept-Encoding": "identity",
    }
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def check(case: Any) -> None:
            # Schema-valid data may still be refused with 422 by the services (an endpoint id that does not exist,
            # a title of spaces): that is correct, so the "positive data accepted" check does not apply here.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as error:
            raise AssertionError(f"{operation.label}: {error}") from error
