"""Fault F6: the PostgreSQL server restarted in the middle of a roll-call.

The server is one the test owns (tests/private_postgres.py), stopped as if it crashed while a console keeps sending
check-ins through the socket layer's group-commit writer, then started again. What must hold: every check-in acked
`ok` is stored exactly once; the ones refused meanwhile were answered `try_again` and are stored once when sent
again; and the same process goes on writing, without a restart.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from meeting_hub import create_app
from meeting_hub.attendance import group_commit
from meeting_hub.event_log.models import BriefingEvent, ClientOperation
from meeting_hub.extensions import db
from tests import factories
from tests.attendance.conftest import make_live_briefing_with_pha_lai, socket_client
from tests.conftest import base_config
from tests.private_postgres import PrivatePostgres

pytestmark = pytest.mark.postgres

#: Events read their account again this often (5 s in production), so that the outage meets that read as well as
#: the writer's transaction: it lasts at least twice this.
RECHECK_SECONDS = 0.3
#: How long the test waits for what it expects from the sender (acks before the stop, refusals, acks after).
WAIT_SECONDS = 10.0


@dataclass
class Roll:
    app: Flask
    briefing_id: int
    person_ids: list[int]


@pytest.fixture
def roll(private_postgres: PrivatePostgres, tmp_path: Path) -> Iterator[Roll]:
    """A migrated database of its own on the private server, with a live briefing on the small network."""
    name = f"roll_{tmp_path.name[-20:].replace('-', '_').lower()}"
    admin = sa.create_engine(private_postgres.url.replace("postgresql://", "postgresql+psycopg://", 1),
                             isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = private_postgres.url.rsplit("/", 1)[0] + f"/{name}"
    # The console sends faster than a person does (and fastest while refused): the budget is not what is tested.
    app = create_app(
        base_config(tmp_path, url)
        | {"LIVE_USER_RECHECK_SECONDS": RECHECK_SECONDS, "LIVE_EVENTS_PER_SECOND": 1000, "LIVE_EVENTS_BURST": 1000}
    )
    with app.app_context():
        upgrade()
        network = factories.make_small_network()
        live = make_live_briefing_with_pha_lai(network)
        made = Roll(app, live.briefing_id, [person.id for person in network.sao_do_people])
    yield made
    with app.app_context():
        db.engine.dispose()


@dataclass
class Sender:
    """A console sending check-ins one after the other (alternating people and statuses), each with a new op id."""

    roll: Roll
    console: Any
    sent: list[tuple[dict[str, Any], Any]] = field(default_factory=list)
    failure: BaseException | None = None
    stopping: threading.Event = field(default_factory=threading.Event)

    def message(self, number: int) -> dict[str, Any]:
        return {
            "briefing_id": self.roll.briefing_id,
            "person_id": self.roll.person_ids[number % len(self.roll.person_ids)],
            "status": ("present", "late")[number // len(self.roll.person_ids) % 2],
            "client_op_id": f"op-restart-{number:05d}",
        }

    def run(self) -> None:
        try:
            number = 0
            while not self.stopping.is_set():
                message = self.message(number)
                self.sent.append((message, self.console.emit("check_in", message, namespace="/live", callback=True)))
                number += 1
                time.sleep(0.01)
        except BaseException as error:  # noqa: BLE001 - the test thread re-raises it
            self.failure = error

    def count(self, ok: bool) -> int:
        return sum(1 for _message, ack in list(self.sent) if isinstance(ack, dict) and ack.get("ok") is ok)

    def wait_for(self, ok: bool, at_least: int) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while self.count(ok) < at_least and self.failure is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.failure is None, f"the sender failed: {self.failure!r}"
        assert self.count(ok) >= at_least, f"waited for {at_least} acks ok={ok}: {self.sent[-3:]}"


def test_a_postgresql_restart_mid_roll_call_loses_no_acked_check_in_and_the_writer_recovers(
    private_postgres: PrivatePostgres, roll: Roll
) -> None:
    assert group_commit.writer(roll.app) is not None  # the socket layer writes through the group-commit writer
    sender = Sender(roll, socket_client(roll.app, username="op-sao-do"))
    thread = threading.Thread(target=sender.run)
    thread.start()
    try:
        sender.wait_for(ok=True, at_least=5)
        private_postgres.stop("immediate")  # as if it crashed: the next start recovers from the WAL
        try:
            stopped_at = time.monotonic()
            sender.wait_for(ok=False, at_least=3)
            time.sleep(max(0.0, stopped_at + 2 * RECHECK_SECONDS - time.monotonic()))
        finally:
            private_postgres.start()
        acked_before = sender.count(ok=True)
        sender.wait_for(ok=True, at_least=acked_before + 5)  # the same process writes again, nothing restarted
    finally:
        sender.stopping.set()
        thread.join()
    assert sender.failure is None, f"the sender failed: {sender.failure!r}"

    refused = [(message, ack) for message, ack in sender.sent if not ack["ok"]]
    assert refused
    assert {ack["error"]["code"] for _message, ack in refused} == {"try_again"}, refused
    # Sent again after the restart, each refused check-in is answered ok (a replay if it had committed after all).
    resent = [(message, sender.console.emit("check_in", message, namespace="/live", callback=True))
              for message, _ack in refused]  # fmt: skip
    assert all(ack["ok"] for _message, ack in resent), resent
    sender.console.disconnect(namespace="/live")

    answered = {message["client_op_id"]: (message, ack) for message, ack in sender.sent if ack["ok"]}
    answered |= {message["client_op_id"]: (message, ack) for message, ack in resent}
    with roll.app.app_context():
        events = {
            event.seq: json.loads(event.payload)
            for event in db.session.scalars(
                sa.select(BriefingEvent).where(
                    BriefingEvent.briefing_id == roll.briefing_id, BriefingEvent.type == "attendance"
                )
            )
        }
        operations = {
            operation.client_op_id: json.loads(operation.result)
            for operation in db.session.scalars(sa.select(ClientOperation).where(ClientOperation.kind == "check_in"))
        }
    # One event per operation, none lost and none doubled; each ack's seq is its operation's stored event.
    assert len(events) == len(answered) == len(operations), (len(events), len(answered), len(operations))
    for op_id, (message, ack) in answered.items():
        assert operations[op_id]["seq"] == ack["seq"]
        event = events[ack["seq"]]
        assert (event["person_id"], event["status"]) == (message["person_id"], message["status"])
