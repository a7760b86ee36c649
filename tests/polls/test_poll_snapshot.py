"""The polls in a live snapshot: the same tally as poll_results, an operator's cut, who gets it, and few queries."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.api.attendance import AttendanceSchema
from meeting_hub.attendance.snapshot import attendance_snapshot
from meeting_hub.extensions import db
from meeting_hub.polls import services
from meeting_hub.polls.models import Poll, PollKind
from meeting_hub.polls.snapshot import polls_section
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.attendance.conftest import make_live_briefing_with_pha_lai, received_events, socket_client
from tests.polls.conftest import PollSetting, answer, make_poll, take_roll_call, token_for


def _answer_all_kinds(setting: PollSetting) -> dict[PollKind, int]:
    """Open one poll of each kind (and a draft) and answer them at both endpoints; return the polls' ids by kind."""
    named = make_poll(setting.briefing_id, PollKind.NAMED, multiple=True)
    secret = make_poll(setting.briefing_id, PollKind.SECRET, allow_other=True)
    endpoint = make_poll(setting.briefing_id, PollKind.ENDPOINT, allow_other=True)
    make_poll(setting.briefing_id, PollKind.NAMED, opened=False)  # a draft: never in a snapshot
    first, second = setting.present_ids
    answer(named, "op-sao-do", person_id=first, choices=(0,))
    answer(named, "op-sao-do", person_id=first, choices=(0, 2))  # replaces the first answer
    answer(named, "op-sao-do", person_id=second, choices=(1,))
    answer(named, "organizer", person_id=setting.hht_person_id, choices=(2,))
    answer(secret, "op-sao-do", person_id=second, choices=(3,), other_text="Đề nghị làm vào Chủ nhật")
    answer(secret, "op-hoang-hoa-tham", person_id=setting.hht_person_id, choices=(0,))
    answer(endpoint, "op-sao-do", counts=(1, 0, 0, 0))
    answer(endpoint, "op-sao-do", counts=(1, 0, 0, 1))  # replaces the endpoint's counts
    return {PollKind.NAMED: named, PollKind.SECRET: secret, PollKind.ENDPOINT: endpoint}


def _answered_rows(results: dict[str, Any], only_endpoint: int | None = None) -> list[dict[str, Any]]:
    """Return poll_results' per-endpoint rows the snapshot lists: endpoints with answers, without `eligible`."""
    return [
        {"endpoint_id": row["endpoint_id"], "answered": row["answered"], "counts": row["counts"]}
        for row in results["by_endpoint"]
        if row["answered"] and only_endpoint in (None, row["endpoint_id"])
    ]


def test_the_snapshot_tallies_equal_poll_results(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        ids = _answer_all_kinds(setting)
        services.close_poll(db.session.get(Poll, ids[PollKind.ENDPOINT]), accounts.find_user("organizer"))
        db.session.commit()
        snapshot = attendance_snapshot(scheduling.get_briefing(setting.briefing_id))
        assert [entry["id"] for entry in snapshot["polls"]] == sorted(ids.values())
        for entry in snapshot["polls"]:
            results = services.poll_results(db.session.get(Poll, entry["id"]))
            assert entry["counts"] == [option["count"] for option in results["options"]]
            assert (entry["answered"], entry["eligible"]) == (results["answered"], results["eligible"])
            assert entry["by_endpoint"] == _answered_rows(results)
        by_id = {entry["id"]: entry for entry in snapshot["polls"]}
        assert by_id[ids[PollKind.NAMED]]["counts"] == [1, 1, 2]
        assert by_id[ids[PollKind.NAMED]]["answered"] == 3
        assert by_id[ids[PollKind.SECRET]]["counts"] == [1, 0, 0, 1]  # the last: "other"
        closed = by_id[ids[PollKind.ENDPOINT]]
        assert (closed["status"], closed["counts"]) == ("closed", [1, 0, 0, 1])
        assert all(entry["eligible"] == 3 for entry in snapshot["polls"])


@pytest.mark.postgres
def test_the_snapshot_tallies_equal_poll_results_on_postgresql(postgres_app: Flask) -> None:
    with postgres_app.app_context():
        network = factories.make_small_network()
        factories.load_all(network)
        setting = take_roll_call(make_live_briefing_with_pha_lai(network))
        _answer_all_kinds(setting)
        briefing = scheduling.get_briefing(setting.briefing_id)
        for only_endpoint in (None, setting.sao_do_id):
            for entry in attendance_snapshot(briefing, only_endpoint)["polls"]:
                results = services.poll_results(db.session.get(Poll, entry["id"]))
                assert entry["by_endpoint"] == _answered_rows(results, only_endpoint)


def test_an_operators_snapshot_carries_only_their_endpoints_share(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        ids = _answer_all_kinds(setting)
        briefing = scheduling.get_briefing(setting.briefing_id)
        cut = attendance_snapshot(briefing, setting.hht_id)
        for entry in cut["polls"]:
            results = services.poll_results(db.session.get(Poll, entry["id"]))
            mine = next(row for row in results["by_endpoint"] if row["endpoint_id"] == setting.hht_id)
            assert entry["by_endpoint"] == _answered_rows(results, setting.hht_id)
            assert (entry["answered"], entry["eligible"], entry["counts"]) == (
                mine["answered"],
                mine["eligible"],
                mine["counts"],
            )
        by_id = {entry["id"]: entry for entry in cut["polls"]}
        assert by_id[ids[PollKind.NAMED]]["counts"] == [0, 0, 1]
        # 1,052 consoles ask for their cut: every query of the answers is filtered to the endpoint.
        statements: list[tuple[str, Any]] = []

        def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
            statements.append((statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", capture)
        try:
            polls_section(setting.briefing_id, setting.hht_id)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", capture)
        answer_reads = [(s, p) for s, p in statements if "FROM polls" not in s]
        assert len(answer_reads) == 5, statements  # ballots, participants, tallies, endpoint reports, eligible
        for statement, parameters in answer_reads:
            assert setting.hht_id in (parameters.values() if isinstance(parameters, dict) else parameters), statement
        assert by_id[ids[PollKind.ENDPOINT]]["by_endpoint"] == []  # Hoàng Hoa Thám gave no counts
        assert by_id[ids[PollKind.ENDPOINT]]["counts"] == [0, 0, 0, 0]


def test_the_snapshot_takes_a_few_queries_whatever_the_polls(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        _answer_all_kinds(setting)
        for kind in (PollKind.NAMED, PollKind.SECRET, PollKind.ENDPOINT) * 3:
            make_poll(setting.briefing_id, kind)
        briefing = scheduling.get_briefing(setting.briefing_id)
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        def statements_of(build: Any) -> tuple[Any, int]:
            statements.clear()
            sa.event.listen(db.engine, "before_cursor_execute", count)
            try:
                return build(), len(statements)
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", count)

        section, section_statements = statements_of(lambda: polls_section(setting.briefing_id))
        assert len(section) == 12
        # The polls, one per answer table (two for the secret polls), the eligible people: whatever the polls.
        assert section_statements <= 6, statements
        snapshot, snapshot_statements = statements_of(lambda: attendance_snapshot(briefing))
        assert snapshot["polls"] == section
        assert snapshot_statements <= section_statements + 4, statements  # the seq, the records, the endpoints


def test_only_watchers_get_the_tallies_and_operators_only_their_share(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        ids = _answer_all_kinds(setting)
    watch = {"briefing_id": setting.briefing_id}
    for username in ("organizer", "leader"):
        ack = socket_client(app, username=username).emit("watch", watch, namespace="/live", callback=True)
        assert ack["ok"] is True
        named = next(entry for entry in ack["snapshot"]["polls"] if entry["id"] == ids[PollKind.NAMED])
        assert {row["endpoint_id"] for row in named["by_endpoint"]} == {setting.sao_do_id, setting.hht_id}
    ack = socket_client(app, username="op-sao-do").emit("watch", watch, namespace="/live", callback=True)
    assert ack["ok"] is True
    for entry in ack["snapshot"]["polls"]:
        assert {row["endpoint_id"] for row in entry["by_endpoint"]} <= {setting.sao_do_id}
    refused = socket_client(app, username="responder").emit("watch", watch, namespace="/live", callback=True)
    assert refused["ok"] is False and "snapshot" not in refused
    # The REST snapshot carries the same section, in the documented shape.
    headers = {"Authorization": f"Bearer {token_for(app, 'organizer')}"}
    body = app.test_client().get(f"/api/v1/briefings/{setting.briefing_id}/attendance", headers=headers).json
    assert AttendanceSchema().validate(body) == {}
    assert [entry["id"] for entry in body["polls"]] == sorted(ids.values())


def test_live_tallies_reach_leaders_and_only_the_endpoints_own_console(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED)
    watch = {"briefing_id": setting.briefing_id}
    watchers = {name: socket_client(app, username=name) for name in ("leader", "op-sao-do", "op-hoang-hoa-tham")}
    for client in watchers.values():
        assert client.emit("watch", watch, namespace="/live", callback=True)["ok"] is True
        client.get_received("/live")
    with app.app_context():
        answer(poll_id, "op-sao-do", person_id=setting.present_ids[0], choices=(1,))
        answer(poll_id, "op-hoang-hoa-tham", person_id=setting.hht_person_id, choices=(0,))
    seen = {
        name: [(e["endpoint_id"], e["tally"]["counts"]) for e in received_events(client) if e["type"] == "poll"]
        for name, client in watchers.items()
    }
    assert seen == {
        "leader": [(setting.sao_do_id, [0, 1, 0]), (setting.hht_id, [1, 0, 0])],
        "op-sao-do": [(setting.sao_do_id, [0, 1, 0])],
        "op-hoang-hoa-tham": [(setting.hht_id, [1, 0, 0])],
    }
