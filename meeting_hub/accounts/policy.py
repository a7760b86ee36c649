"""The access policy, as data in one place: which roles may reach each route, and the ownership rules.

Every registered route must have an entry (a test walks the URL map); a route without one is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.errors import AccessDenied


@dataclass(frozen=True)
class Rule:
    """Who may reach a route: anyone (public), or signed-in users holding one of the roles."""

    roles: frozenset[Role]
    public: bool = False

    def allows(self, user: User | None) -> bool:
        """Tell whether this user (None when not signed in) may reach the route."""
        if self.public:
            return True
        return user is not None and user.role in self.roles


def only(*roles: Role) -> Rule:
    """Allow signed-in users with one of these roles."""
    return Rule(frozenset(roles))


PUBLIC = Rule(frozenset(), public=True)
SIGNED_IN = Rule(frozenset(Role))
STAFF = only(Role.ADMIN, Role.ORGANIZER, Role.LEADER)
ADMIN = only(Role.ADMIN)
#: Who may see an endpoint's roster (operators: their own endpoint only, checked by can_see_endpoint).
ROSTER_READERS = only(Role.ADMIN, Role.ORGANIZER, Role.LEADER, Role.OPERATOR)

ROUTE_POLICY: dict[str, Rule] = {
    # Infrastructure
    "static": PUBLIC,
    "health.healthz": PUBLIC,
    "api-docs.openapi_json": PUBLIC,
    # Accounts
    "accounts.sign_in": PUBLIC,
    "accounts.sign_out": SIGNED_IN,
    "accounts.home": SIGNED_IN,
    "accounts.profile": SIGNED_IN,
    "accounts.set_language": SIGNED_IN,
    "accounts.create_token": SIGNED_IN,
    "accounts.revoke_token": SIGNED_IN,
    "accounts.user_list": ADMIN,
    "accounts.user_create": ADMIN,
    "accounts.user_edit": ADMIN,
    "accounts.user_deactivate": ADMIN,
    "accounts.audit_log": ADMIN,
    # Network (the roster pages are read by staff and operators, edited by admins)
    "network.endpoint_list": ROSTER_READERS,
    "network.endpoint_detail": ROSTER_READERS,
    "network.endpoint_create": ADMIN,
    "network.endpoint_edit": ADMIN,
    "network.endpoint_merge": ADMIN,
    "network.cell_create": ADMIN,
    "network.cell_edit": ADMIN,
    "network.person_list": ROSTER_READERS,
    "network.person_create": ADMIN,
    "network.person_edit": ADMIN,
    "network.agency_list": SIGNED_IN,
    "network.agency_create": ADMIN,
    "network.agency_edit": ADMIN,
    "network.roster_import": ADMIN,
    # API
    "api_accounts.me": SIGNED_IN,
    "api_network.endpoints": SIGNED_IN,
    "api_network.endpoint_people": ROSTER_READERS,
    "api_network.agencies": SIGNED_IN,
}


def rule_for(route_name: str | None) -> Rule | None:
    """Return the rule of a route, or None when the route has no entry (and must be refused)."""
    if route_name is None:
        return None
    return ROUTE_POLICY.get(route_name)


# Ownership rules: which objects a user may act on within the routes their role reaches.


def can_see_endpoint(user: User, endpoint_id: int) -> bool:
    """Operators see their own endpoint only; staff see every endpoint."""
    if user.role == Role.OPERATOR:
        return user.endpoint_id == endpoint_id
    return user.role in STAFF.roles


def require_endpoint(user: User, endpoint_id: int) -> None:
    """Refuse unless the user may act for this endpoint."""
    if not can_see_endpoint(user, endpoint_id):
        raise AccessDenied(_("Bạn chỉ được thao tác với điểm cầu của mình."))


def can_act_for_agency(user: User, agency_id: int) -> bool:
    """Responders act for their own agency only; leaders and organizers for any."""
    if user.role == Role.RESPONDER:
        return user.agency_id == agency_id
    return user.role in (Role.LEADER, Role.ORGANIZER, Role.ADMIN)


def require_agency(user: User, agency_id: int) -> None:
    """Refuse unless the user may act for this agency."""
    if not can_act_for_agency(user, agency_id):
        raise AccessDenied(_("Bạn chỉ được xử lý các ý kiến giao cho cơ quan của mình."))
