"""The access policy: every route has an entry, and every role gets exactly what the entry says."""

from __future__ import annotations

import re

from flask import Flask

from meeting_hub.accounts.policy import ROUTE_POLICY, rule_for
from meeting_hub.accounts.roles import Role
from meeting_hub.extensions import db
from tests import factories
from tests.conftest import AuthActions

ROLES = list(Role)


def test_every_registered_route_has_a_policy_entry(app: Flask) -> None:
    missing = sorted(rule.endpoint for rule in app.url_map.iter_rules() if rule_for(rule.endpoint) is None)
    assert missing == [], f"routes without an access policy entry: {missing}"


def test_policy_has_no_stale_entries(app: Flask) -> None:
    registered = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(set(ROUTE_POLICY) - registered) == []


def _route_cases(app: Flask) -> list[tuple[str, str, str]]:
    cases = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in (rule.methods or set()) else sorted((rule.methods or set()) - {"OPTIONS", "HEAD"})[0]
        cases.append((rule.endpoint, rule.rule, method))
    return sorted(cases)


def _concrete_url(rule: str, network: factories.SmallNetwork, spare_user_id: int) -> str:
    """Fill a URL rule's arguments with ids the operator of Sao Đỏ owns (so ownership never hides the role check)."""
    values = {
        "endpoint_id": network.sao_do.id,
        "cell_id": network.sao_do_people[0].cell_id,
        "person_id": network.sao_do_people[0].id,
        "agency_id": network.agency.id,
        "user_id": spare_user_id,  # admin routes may deactivate it
        "token_id": 1,
    }

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[-1]
        return str(values.get(name, 1))

    return re.sub(r"<([^>]+)>", fill, rule)


def test_each_role_reaches_exactly_the_routes_its_policy_allows(app: Flask, network: factories.SmallNetwork) -> None:
    users = {
        Role.ADMIN: network.admin,
        Role.ORGANIZER: network.organizer,
        Role.LEADER: network.leader,
        Role.OPERATOR: network.operator,
        Role.RESPONDER: network.responder,
    }
    with app.app_context():
        spare_user_id = factories.make_user(Role.LEADER).id
        db.session.commit()
    failures = []
    for endpoint, rule, method in _route_cases(app):
        url = _concrete_url(rule, network, spare_user_id)
        policy = ROUTE_POLICY[endpoint]
        for role, user in users.items():
            client = app.test_client()
            AuthActions(client).sign_in(user.username)
            response = client.open(url, method=method)
            allowed = policy.allows(user)
            denied = response.status_code in (401, 403)
            if allowed == denied:
                failures.append(f"{method} {url} as {role.value}: {response.status_code} (allowed={allowed})")
        anonymous = app.test_client().open(url, method=method)
        if not policy.public and anonymous.status_code not in (401, 302):
            failures.append(f"{method} {url} anonymous: {anonymous.status_code}")
        if not policy.public and anonymous.status_code == 302:
            assert "/sign-in" in anonymous.headers["Location"]
    assert failures == []


def test_route_without_policy_entry_is_refused(
    app: Flask, network: factories.SmallNetwork, auth: AuthActions, client: object
) -> None:
    @app.get("/forgotten-route")
    def forgotten_route() -> str:
        return "should never be served"

    auth.sign_in("admin")
    response = app.test_client()
    assert response is not None
    signed_in = app.test_client()
    AuthActions(signed_in).sign_in("admin")
    assert signed_in.get("/forgotten-route").status_code == 403
