"""Fill a fresh database for the benchmark fast: N endpoints x M people, an operator per endpoint, API tokens, and a
live briefing to which every endpoint is invited. Bulk INSERTs for the network; the services for the briefing."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

STATUSES = ("present", "present", "present", "present", "late", "late", "excused", "absent")


@dataclass
class Population:
    """What the clients need: the briefing, each operator's token and people, the dashboards' tokens."""

    briefing_id: int
    operators: list[dict[str, Any]]
    dashboard_tokens: list[str]
    organizer_token: str
    expected_checkins: int


def _token() -> tuple[str, str]:
    raw = "mh_" + secrets.token_urlsafe(32)
    return raw, hashlib.sha256(raw.encode()).hexdigest()


def open_live_briefing(organizer: Any, endpoint_ids: list[int], title: str) -> int:
    """Create a briefing that began five minutes ago with these endpoints, open it and commit; return its id. Needs
    an app context."""
    from meeting_hub.database import utcnow
    from meeting_hub.extensions import db
    from meeting_hub.scheduling import lifecycle
    from meeting_hub.scheduling import services as scheduling

    start = utcnow() - timedelta(minutes=5)
    briefing = scheduling.create_briefing(
        scheduling.BriefingData(
            title=title, starts_at=start, ends_at=start + timedelta(hours=3), endpoint_ids=endpoint_ids
        ),
        organizer,
    )
    lifecycle.open_briefing(briefing, organizer)
    db.session.commit()
    return int(briefing.id)


def populate(database_url: str, endpoints: int, people: int, dashboards: int) -> Population:
    """Create the network, accounts and a live briefing; return what the clients need."""
    import sqlalchemy as sa
    from argon2 import PasswordHasher

    from meeting_hub import create_app
    from meeting_hub.accounts import services as accounts
    from meeting_hub.accounts.models import ApiToken, User
    from meeting_hub.accounts.roles import Role
    from meeting_hub.extensions import db
    from meeting_hub.network.models import Cell, Endpoint, EndpointKind, Person

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench", "LIVE_COALESCE_MS": 0})
    # One cheap hash for every account: nobody signs in with a password here, the clients use API tokens.
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(secrets.token_hex(8))
    with app.app_context():
        db.session.execute(
            sa.insert(Endpoint),
            [
                {
                    "code": f"bench-{i:04d}",
                    "name": f"Điểm cầu {i:04d}",
                    "kind": EndpointKind.WARD if i % 4 else EndpointKind.COMMUNE,
                    "party_committee_name": f"Đảng ủy điểm cầu {i:04d}",
                    "search_text": f"diem cau {i:04d} bench-{i:04d}",
                }
                for i in range(1, endpoints + 1)
            ],
        )
        endpoint_ids = list(db.session.scalars(sa.select(Endpoint.id).order_by(Endpoint.id)))
        db.session.execute(
            sa.insert(Cell),
            [{"endpoint_id": e, "name": "Chi bộ khu dân cư số 1", "search_text": ""} for e in endpoint_ids],
        )
        cell_of = dict(db.session.execute(sa.select(Cell.endpoint_id, Cell.id)).all())
        db.session.execute(
            sa.insert(Person),
            [
                {"cell_id": cell_of[e], "full_name": f"Bí thư chi bộ {e}-{j}", "search_text": f"bi thu chi bo {e}-{j}"}
                for e in endpoint_ids
                for j in range(people)
            ],
        )
        people_of: dict[int, list[int]] = {e: [] for e in endpoint_ids}
        for person_id, endpoint_id in db.session.execute(
            sa.select(Person.id, Cell.endpoint_id).join(Person.cell).order_by(Person.id)
        ):
            people_of[endpoint_id].append(person_id)
        db.session.execute(
            sa.insert(User),
            [
                {
                    "username": "bench-organizer",
                    "display_name": "Ban Tổ chức",
                    "password_hash": password_hash,
                    "role": Role.ORGANIZER,
                }
            ]
            + [
                {
                    "username": f"op-bench-{i:04d}",
                    "display_name": f"Cán bộ điểm cầu {i:04d}",
                    "password_hash": password_hash,
                    "role": Role.OPERATOR,
                    "endpoint_id": e,
                }
                for i, e in enumerate(endpoint_ids, 1)
            ]
            # Each dashboard is someone watching (a leader at the centre or in a province), with an account of their
            # own: one account's sockets are capped (MEETING_HUB_LIVE_MAX_CONNECTIONS_PER_USER).
            + [
                {
                    "username": f"bench-leader-{i:04d}",
                    "display_name": f"Lãnh đạo {i:04d}",
                    "password_hash": password_hash,
                    "role": Role.LEADER,
                }
                for i in range(1, dashboards + 1)
            ],
        )
        organizer = accounts.find_user("bench-organizer")
        leader_ids = list(
            db.session.scalars(sa.select(User.id).where(User.username.like("bench-leader-%")).order_by(User.id))
        )
        operator_of = dict(
            db.session.execute(sa.select(User.endpoint_id, User.id).where(User.role == Role.OPERATOR)).all()
        )
        tokens: list[dict[str, Any]] = []
        organizer_token = _token()
        dashboard_tokens = [_token() for _ in leader_ids]
        operator_tokens = {e: _token() for e in endpoint_ids}
        tokens = [{"user_id": organizer.id, "token_hash": organizer_token[1], "label": "bench"}]
        tokens += [
            {"user_id": leader_id, "token_hash": h, "label": "bench"}
            for leader_id, (_raw, h) in zip(leader_ids, dashboard_tokens, strict=True)
        ]
        tokens += [
            {"user_id": operator_of[e], "token_hash": h, "label": "bench"} for e, (_raw, h) in operator_tokens.items()
        ]
        db.session.execute(sa.insert(ApiToken), tokens)

        briefing_id = open_live_briefing(organizer, endpoint_ids, "Giao ban trực tuyến (benchmark)")
        db.session.remove()
        db.engine.dispose()

    operators = [
        {
            "token": operator_tokens[e][0],
            "endpoint_id": e,
            "people": [(p, STATUSES[p % len(STATUSES)]) for p in people_of[e]],
        }
        for e in endpoint_ids
    ]
    return Population(
        briefing_id=briefing_id,
        operators=operators,
        dashboard_tokens=[raw for raw, _h in dashboard_tokens],
        organizer_token=organizer_token[0],
        expected_checkins=endpoints * people,
    )
