"""The OpenAPI document validates, and schemathesis drives every operation in-process: no 5xx, responses
conform to the document, invalid data is rejected, and data the document calls valid is accepted.

Some rules span several fields or the stored data (an end after the start, an endpoint invited to the briefing); JSON
Schema cannot state them, so the document states them in words, and `follow_the_documented_rules` below replaces
what breaks them in a generated request: every other schema-valid request must be accepted (2xx, or 401/403/404/409
for the caller's rights, missing objects and states)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import positive_data_acceptance

from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.contact_details import ContactDetails
from meeting_hub.extensions import db
from meeting_hub.follow_up.models import IssueCategory
from meeting_hub.network.models import Cell, Endpoint, Person
from meeting_hub.polls.models import Poll, PollKind
from meeting_hub.scheduling.models import Briefing


@pytest.fixture
def demo_app(app: Flask) -> Flask:
    """The app with the demo loaded and an organizer token in its config for the tests below."""
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        app.config["TEST_ORGANIZER_TOKEN"] = accounts.issue_api_token(accounts.find_user("organizer"), "fuzz", None)
        db.session.commit()
    return app


@dataclass
class DemoFacts:
    """What the documented rules need to know of the stored data (briefings are read when asked: the run adds some)."""

    app: Flask
    active_endpoints: set[int]
    person_endpoint: dict[int, int]
    cell_endpoint: dict[int, int]
    categories: set[str]

    @classmethod
    def read(cls, app: Flask) -> DemoFacts:
        with app.app_context():
            return cls(
                app=app,
                active_endpoints=set(db.session.scalars(sa.select(Endpoint.id).where(Endpoint.active))),
                person_endpoint=dict(
                    db.session.execute(sa.select(Person.id, Cell.endpoint_id).join(Person.cell)).all()
                ),
                cell_endpoint={
                    cell_id: endpoint_id
                    for cell_id, endpoint_id in db.session.execute(sa.select(Cell.id, Cell.endpoint_id))
                },
                categories=set(db.session.scalars(sa.select(IssueCategory.code).where(IssueCategory.active))),
            )

    def organizer_contacts(self) -> ContactDetails:
        """Return the organizer's contact details now (the run changes them through PATCH /me)."""
        with self.app.app_context():
            return ContactDetails.of(accounts.find_user("organizer"))

    def invited(self, briefing_id: int) -> set[int]:
        """Return the endpoints invited to a briefing (none when it does not exist)."""
        with self.app.app_context():
            briefing = db.session.get(Briefing, briefing_id)
            return {endpoint.id for endpoint in briefing.endpoints} if briefing is not None else set()

    def poll(self, poll_id: int) -> Poll | None:
        """Return a poll made during the run (detached), or None."""
        with self.app.app_context():
            poll = db.session.get(Poll, poll_id)
            if poll is not None:
                db.session.expunge(poll)
            return poll


#: Addresses put in place of none when a generated PATCH /me would leave a chosen channel without one.
VALID_EMAIL, VALID_PHONE = "thuha.btg@example.vn", "0912 345 678"
#: A briefing's times that keep the rules, put in place of generated ones that do not.
VALID_START, VALID_END = "2027-01-05T08:00:00+07:00", "2027-01-05T10:30:00+07:00"
#: Operations whose positive data cannot be generated: the caller's current password.
POSITIVE_CHECK_DOES_NOT_APPLY = {"POST /me/password"}


def _times_keep_the_rules(body: dict[str, Any]) -> bool:
    moments = [datetime.fromisoformat(body[key]) for key in ("starts_at", "ends_at") if isinstance(body.get(key), str)]
    if any(not 2000 <= moment.year <= 2100 for moment in moments):
        return False
    return len(moments) < 2 or moments[0] < moments[1] <= moments[0] + timedelta(hours=12)


def follow_the_documented_rules(case: Any, facts: DemoFacts) -> None:
    """Make a generated request keep the rules the document states in words (see the module docstring): replace what
    breaks them (times, ids of other endpoints) with values that keep them; the rest of the request is as generated."""
    operation = f"{case.operation.method.upper()} {case.operation.path.removeprefix('/api/v1')}"
    body = case.body if isinstance(case.body, dict) else {}
    path = case.path_parameters or {}
    query = case.query if case.query is not None else {}
    first_endpoint = min(facts.active_endpoints)
    if operation == "GET /briefings":
        first = date.fromisoformat(query["from"]) if query.get("from") else None
        last = date.fromisoformat(query["to"]) if query.get("to") else None
        if last is not None and (first is None or not timedelta(0) <= last - first <= timedelta(days=400)):
            query["from"] = max(last - timedelta(days=30), date(2000, 1, 1)).isoformat()
    elif operation in ("POST /briefings", "PATCH /briefings/{briefing_id}"):
        if not _times_keep_the_rules(body):
            body.update(starts_at=VALID_START, ends_at=VALID_END)
        if body.get("endpoint_ids") is not None:
            body["endpoint_ids"] = sorted(set(body["endpoint_ids"]) & facts.active_endpoints) or [first_endpoint]
    elif operation == "PATCH /me":
        # A chosen channel keeps an address (docs of MeChange): give one to a channel the request would leave without.
        current = facts.organizer_contacts()
        channels = body.get("channels", current.channels)
        email = body.get("email", current.email)
        phone = body.get("phone", current.phone)
        if "email" in channels and not email:
            body["email"] = VALID_EMAIL
        if ("sms" in channels or "zalo" in channels) and not phone:
            body["phone"] = VALID_PHONE
    elif operation == "POST /series":
        if body.get("endpoint_ids") is not None:
            body["endpoint_ids"] = sorted(set(body["endpoint_ids"]) & facts.active_endpoints) or [first_endpoint]
    elif operation == "POST /briefings/{briefing_id}/attendance":
        invited = facts.invited(path.get("briefing_id", 0))
        if body.get("substitute_name") and body.get("status") not in ("present", "late"):
            body["substitute_name"] = ""
        if facts.person_endpoint.get(body.get("person_id", 0)) not in invited and invited:
            body["person_id"] = min(p for p, e in facts.person_endpoint.items() if e in invited)
    elif operation == "POST /briefings/{briefing_id}/issues":
        invited = facts.invited(path.get("briefing_id", 0))
        if invited and body.get("endpoint_id") not in invited:
            body["endpoint_id"] = min(invited)
        endpoint_id = body.get("endpoint_id")
        if body.get("person_id") is not None and facts.person_endpoint.get(body["person_id"]) != endpoint_id:
            body["person_id"] = None
        if body.get("cell_id") is not None and facts.cell_endpoint.get(body["cell_id"]) != endpoint_id:
            body["cell_id"] = None
        if body.get("category") not in facts.categories:
            body["category"] = min(facts.categories)
    elif operation == "POST /briefings/{briefing_id}/polls":
        if not str(body.get("question", "")).strip():
            body["question"] = "Đồng chí có đồng ý với kế hoạch?"
        options = body.get("options")
        if isinstance(options, list):
            distinct = {str(option).strip().casefold() for option in options}
            if "" in distinct or len(distinct) < len(options):
                body["options"] = [f"Phương án {number}" for number in range(1, len(options) + 1)]
    elif operation == "POST /polls/{poll_id}/answers":
        _answer_the_poll(body, facts.poll(path.get("poll_id", 0)), facts)


def _answer_the_poll(body: dict[str, Any], poll: Poll | None, facts: DemoFacts) -> None:
    """Fit a generated answer to the poll's kind and options (see PollAnswerBody); the rest stays as generated."""
    if poll is None:
        return
    if poll.kind == PollKind.ENDPOINT:
        body.update(person_id=None, choices=[], counts=[0] * len(poll.options))
        if body.get("endpoint_id") is None:
            body["endpoint_id"] = min(facts.active_endpoints)
        return
    choices = sorted({choice for choice in body.get("choices", []) if choice < len(poll.options)}) or [0]
    body.update(counts=None, endpoint_id=None, choices=choices if poll.multiple else choices[:1])
    if body.get("person_id") is None:
        body["person_id"] = min(facts.person_endpoint)


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
    facts = DemoFacts.read(demo_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def check(case: Any) -> None:
            follow_the_documented_rules(case, facts)
            label = f"{case.operation.method.upper()} {case.operation.path.removeprefix('/api/v1')}"
            skipped = [positive_data_acceptance] if label in POSITIVE_CHECK_DOES_NOT_APPLY else []
            case.call_and_validate(headers=headers, excluded_checks=skipped)

        try:
            check()
        except Exception as error:
            raise AssertionError(f"{operation.label}: {error}") from error
