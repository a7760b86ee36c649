"""A secret poll pairs no person with a choice: not in any table, the event log, stored replays, the audit log or
the logs."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.extensions import db
from meeting_hub.polls.models import PollKind
from tests.attendance.conftest import socket_client
from tests.polls.conftest import PollSetting, make_poll, stamp, token_for

#: Names under which a choice could be stored or sent.
CHOICE_KEYS = {"choices", "choice", "option_index", "options_chosen"}


def _json_values(value: Any) -> list[Any]:
    """Return the value and, when it is JSON text, what it holds (nested objects flattened)."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    found = [value]
    if isinstance(value, dict):
        for inner in value.values():
            found.extend(_json_values(inner))
    elif isinstance(value, list):
        for inner in value:
            found.extend(_json_values(inner))
    return found


def _pairs_a_person_with_a_choice(row: dict[str, Any], person_ids: set[int]) -> bool:
    """Tell whether a row (or a JSON document it holds) names a voter and a choice together."""
    documents = [row] + [value for value in _json_values(list(row.values())) if isinstance(value, dict)]
    for document in documents:
        names_voter = any(k.endswith("person_id") and document[k] in person_ids for k in document)
        if names_voter and CHOICE_KEYS & set(document):
            return True
    return False


def test_a_secret_poll_pairs_nobody_with_a_choice(
    app: Flask, setting: PollSetting, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.SECRET)
    voters = {setting.present_ids[0]: 0, setting.present_ids[1]: 2, setting.hht_person_id: 1}
    # Through each way in: the socket, REST, and an organizer's REST answer for another endpoint.
    console = socket_client(app, username="op-sao-do")
    ack = console.emit(
        "answer",
        {"poll_id": poll_id, "person_id": setting.present_ids[0], "choices": [0], "client_op_id": stamp()},
        namespace="/live",
        callback=True,
    )
    assert ack["ok"] is True and "person_id" not in json.dumps(ack["result"])
    client = app.test_client()
    for username, person_id in (("op-sao-do", setting.present_ids[1]), ("organizer", setting.hht_person_id)):
        body = {"person_id": person_id, "choices": [voters[person_id]], "client_op_id": stamp()}
        response = client.post(
            f"/api/v1/polls/{poll_id}/answers",
            json=body,
            headers={"Authorization": f"Bearer {token_for(app, username)}"},
        )
        assert response.status_code == 201
        assert "person_id" not in response.json and "choices" not in response.json
    # A second answer is refused, and the refusal is logged and audited without the choice.
    again = client.post(
        f"/api/v1/polls/{poll_id}/answers",
        json={"person_id": setting.present_ids[1], "choices": [1], "client_op_id": stamp()},
        headers={"Authorization": f"Bearer {token_for(app, 'op-sao-do')}"},
    )
    assert again.status_code == 409
    closed = client.post(
        f"/api/v1/polls/{poll_id}/close", headers={"Authorization": f"Bearer {token_for(app, 'organizer')}"}
    )
    assert [o["count"] for o in closed.json["poll"]["results"]["options"]] == [1, 1, 1]

    with app.app_context():
        rows_checked = 0
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)).mappings():
                rows_checked += 1
                assert not _pairs_a_person_with_a_choice(dict(row), set(voters)), (table.name, dict(row))
        assert rows_checked > 20
        # The who-answered table has no column that could order or time the answers either (the source says only
        # who entered the ballot: the operator or the person).
        participants = db.metadata.tables["poll_participants"]
        assert set(participants.columns.keys()) == {"poll_id", "person_id", "endpoint_id", "source"}
        payloads = db.session.scalars(sa.text("SELECT payload FROM briefing_events WHERE type = 'poll'")).all()
        assert payloads and all("person_id" not in payload for payload in payloads)
        results = db.session.scalars(sa.text("SELECT result FROM client_operations WHERE kind = 'poll_answer'")).all()
        assert len(results) == 3 and all("person_id" not in result for result in results)
    for record in caplog.records:
        text = record.getMessage() + json.dumps(
            {k: v for k, v in vars(record).items() if isinstance(v, str | int)}, ensure_ascii=False
        )
        assert "choices" not in text and "person_id" not in text, text


def test_the_check_finds_a_pairing_when_there_is_one() -> None:
    # The detector above must be able to fail: a named ballot's row and event do pair a person with a choice.
    assert _pairs_a_person_with_a_choice({"poll_id": 1, "person_id": 7, "choices": "[2]"}, {7})
    assert _pairs_a_person_with_a_choice({"payload": json.dumps({"event": {"person_id": 7, "choices": [1]}})}, {7})
    assert not _pairs_a_person_with_a_choice({"poll_id": 1, "person_id": 7, "endpoint_id": 2}, {7})
