"""Per-account sign-in backoff across addresses, the office address kept open, and equal work for unknown names."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts import services, sign_in_throttle
from meeting_hub.accounts.models import AuditEvent
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from tests import factories


def _sign_in(client: FlaskClient, username: str, password: str, address: str) -> Any:
    return client.post(
        "/sign-in", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def _count(app: Flask, action: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == action)) or 0


class Clock:
    """The throttle's "now", moved forward by the test; the audit lines keep the real time, so every failure the
    test makes happened at (about) the same real moment, and `ahead` is the time since then."""

    def __init__(self) -> None:
        self.ahead = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.ahead


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(sign_in_throttle, "utcnow", fake)
    return fake


@pytest.mark.parametrize("username", ["organizer", "no-such-user"])
def test_guesses_spread_over_many_addresses_are_limited_per_account(
    app: Flask, client: FlaskClient, network: factories.SmallNetwork, username: str
) -> None:
    # Thirty addresses, one guess each: only the first few are tried; the name's existence changes nothing.
    answers = [_sign_in(client, username, f"guess-{n}", f"198.51.100.{n}").status_code for n in range(30)]
    free = sign_in_throttle.FREE_FAILURES
    assert answers == [200] * free + [429] * (30 - free)
    assert _count(app, "sign_in.failed") == free
    assert _count(app, "sign_in.throttled") == 30 - free
    # Even the right password waits (from yet another address).
    if username == "organizer":
        blocked = _sign_in(client, username, factories.PASSWORD, "198.51.100.200")
        assert blocked.status_code == 429
        assert "quá nhiều lần" in blocked.text


def test_the_wait_doubles_with_each_failure_and_passes_with_time(
    app: Flask, client: FlaskClient, network: factories.SmallNetwork, clock: Clock
) -> None:
    for n in range(sign_in_throttle.FREE_FAILURES):
        _sign_in(client, "organizer", "wrong", f"203.0.113.{n}")
    assert sign_in_throttle.delay_after(5) == timedelta(seconds=30)
    assert sign_in_throttle.delay_after(6) == timedelta(seconds=60)
    assert sign_in_throttle.delay_after(50) == sign_in_throttle.MAX_DELAY
    clock.ahead = timedelta(seconds=25)
    assert _sign_in(client, "organizer", "wrong", "203.0.113.50").status_code == 429
    clock.ahead = timedelta(seconds=35)
    assert _sign_in(client, "organizer", "wrong", "203.0.113.51").status_code == 200  # the sixth failure
    clock.ahead = timedelta(seconds=55)  # the sixth failure asks for 60 s
    assert _sign_in(client, "organizer", "wrong", "203.0.113.52").status_code == 429
    clock.ahead = timedelta(seconds=65)
    assert _sign_in(client, "organizer", factories.PASSWORD, "203.0.113.53").status_code == 302
    # The success clears the count: the next typo is free again.
    assert _sign_in(client, "organizer", "typo", "203.0.113.54").status_code == 200
    assert _sign_in(client, "organizer", factories.PASSWORD, "203.0.113.55").status_code == 302


def test_failures_elsewhere_never_delay_the_user_at_their_usual_address(
    app: Flask, client: FlaskClient, network: factories.SmallNetwork
) -> None:
    office = "192.0.2.10"
    assert _sign_in(client, "leader", factories.PASSWORD, office).status_code == 302
    client.post("/sign-out")
    for n in range(12):
        _sign_in(client, "leader", "guess", f"198.51.100.{n}")
    assert _sign_in(client, "leader", factories.PASSWORD, "198.51.100.99").status_code == 429
    assert _sign_in(client, "leader", factories.PASSWORD, office).status_code == 302


def test_an_unknown_or_inactive_name_costs_one_password_verification(
    app: Flask, network: factories.SmallNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002  # argon2's own name
            verified.append(str(password))
            return super().verify(hash, password)

    monkeypatch.setattr(services, "_password_hasher", CountingHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with app.app_context():
        factories.make_user(username="gone", active=False)
        db.session.commit()
        assert services.authenticate("organizer", "wrong-1") is None
        assert services.authenticate("no-such-user", "wrong-2") is None
        assert services.authenticate("gone", factories.PASSWORD) is None
    assert verified == ["wrong-1", "wrong-2", factories.PASSWORD]
