"""What an open live connection was authorised by, and how a later change of the account ends it.

A socket is authorised once, when it connects: by an API token or by a browser sign-in, for the user's role and
endpoint of that moment (a `LiveGrant`). Everything that later ends or narrows that authorisation - a token revoked,
a sign-out, a password change or reset (the session version), a deactivation, a new role, endpoint or agency -
raises `User.auth_epoch` in the same transaction. It is done here, as the change is flushed, so that no service can
forget it; statements that bypass the ORM (bulk UPDATEs) call `note_bulk_change` themselves.

Once the transaction commits, the `AccessChange`s go to this process's subscribers (the realtime transport closes the
affected sockets at once). Other processes never see that message: their sockets compare the epoch they were opened
under with the database's every LIVE_USER_RECHECK_SECONDS and `recheck` the grant when it moved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from meeting_hub.accounts.models import ApiToken, SignInSession, User
from meeting_hub.accounts.roles import Role
from meeting_hub.extensions import db

_PENDING = "meeting_hub.access_changes"
#: A change of one of these ends every live connection of the user (the client connects again under the new one).
_SCOPE_ATTRIBUTES = ("role", "endpoint_id", "agency_id")


@dataclass(frozen=True)
class LiveGrant:
    """What a live connection was opened under: the credential, the epoch, the role and endpoint it was allowed for."""

    user_id: int
    epoch: int
    role: Role
    endpoint_id: int | None
    agency_id: int | None
    #: The API token that opened it, or None for a browser session.
    token_id: int | None = None
    #: The browser sign-in (SignInSession) and the session version that opened it, or None for a token.
    sign_in_id: int | None = None
    session_version: int | None = None


@dataclass(frozen=True)
class AccessChange:
    """A committed change of what a user's credentials authorise."""

    user_id: int
    revoked_tokens: frozenset[int] = field(default_factory=frozenset)
    ended_sign_ins: frozenset[int] = field(default_factory=frozenset)
    #: Every browser session ended (password change or reset: the session version was raised); tokens stay valid.
    sessions_ended: bool = False
    #: Everything ended or narrowed: deactivation, or a new role, endpoint or agency.
    everything: bool = False

    def ends(self, grant: LiveGrant) -> bool:
        """Tell whether this change ends a connection opened under `grant`."""
        if grant.user_id != self.user_id:
            return False
        if self.everything:
            return True
        if grant.token_id is not None:
            return grant.token_id in self.revoked_tokens
        return self.sessions_ended or grant.sign_in_id in self.ended_sign_ins

    def merged(self, other: AccessChange) -> AccessChange:
        """Return the change that is both (the same user, in one transaction)."""
        return AccessChange(
            self.user_id,
            self.revoked_tokens | other.revoked_tokens,
            self.ended_sign_ins | other.ended_sign_ins,
            self.sessions_ended or other.sessions_ended,
            self.everything or other.everything,
        )


Subscriber = Callable[[list[AccessChange]], None]
_subscribers: list[Subscriber] = []


def subscribe(callback: Subscriber) -> None:
    """Call `callback` with the access changes of every committed transaction of this process."""
    if callback not in _subscribers:
        _subscribers.append(callback)


def grant_for_token(token: ApiToken) -> LiveGrant:
    """Return the grant of a live connection opened with this (valid) API token."""
    return _grant(token.user, token_id=token.id)


def grant_for_session(user: User, sign_in_id: int | None) -> LiveGrant | None:
    """Return the grant of a live connection opened by a signed-in browser, or None without a sign-in."""
    if sign_in_id is None or not user.active:
        return None
    return _grant(user, sign_in_id=sign_in_id, session_version=user.session_version)


def _grant(user: User, **credential: Any) -> LiveGrant:
    return LiveGrant(user.id, user.auth_epoch, user.role, user.endpoint_id, user.agency_id, **credential)


def current_epochs(user_ids: Iterable[int]) -> dict[int, int]:
    """Return the auth epoch of each of these users (one query; a deleted user is missing)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.auth_epoch).where(User.id.in_(ids)))
    return {user_id: epoch for user_id, epoch in rows}


def recheck(grant: LiveGrant) -> LiveGrant | None:
    """Return the grant brought up to the current epoch when it still holds, or None when it was ended."""
    user = db.session.get(User, grant.user_id)
    if user is None or not user.active:
        return None
    if any(getattr(user, name) != getattr(grant, name) for name in _SCOPE_ATTRIBUTES):
        return None
    if grant.token_id is not None:
        token = db.session.get(ApiToken, grant.token_id)
        if token is None or token.revoked_at is not None:
            return None
    else:
        sign_in = db.session.get(SignInSession, grant.sign_in_id) if grant.sign_in_id is not None else None
        if sign_in is None or sign_in.ended_at is not None or sign_in.user_id != user.id:
            return None
        if user.session_version != grant.session_version:
            return None
    return replace(grant, epoch=user.auth_epoch)


def note_bulk_changes(changes: Iterable[AccessChange]) -> None:
    """Note changes made by a bulk UPDATE, which raises the users' auth_epoch itself (with `raised_epoch`)."""
    session = db.session()
    for change in changes:
        _note(session, change)


def raised_epoch() -> Any:
    """Return the SQL value of a raised auth epoch, for bulk UPDATEs of users."""
    return User.auth_epoch + 1


def _note(session: Session, change: AccessChange) -> None:
    pending: dict[int, AccessChange] = session.info.setdefault(_PENDING, {})
    earlier = pending.get(change.user_id)
    pending[change.user_id] = change if earlier is None else earlier.merged(change)


def _changed(instance: object, name: str) -> bool:
    return bool(sa.inspect(instance).attrs[name].history.has_changes())


def _change_of(instance: object) -> AccessChange | None:
    """Return what a flushed change of a user, token or sign-in ends, if anything."""
    if isinstance(instance, User):
        if (_changed(instance, "active") and not instance.active) or any(
            _changed(instance, name) for name in _SCOPE_ATTRIBUTES
        ):
            return AccessChange(instance.id, everything=True)
        if _changed(instance, "session_version"):
            return AccessChange(instance.id, sessions_ended=True)
    elif isinstance(instance, ApiToken) and instance.revoked_at is not None and _changed(instance, "revoked_at"):
        return AccessChange(instance.user_id, revoked_tokens=frozenset({instance.id}))
    elif isinstance(instance, SignInSession) and instance.ended_at is not None and _changed(instance, "ended_at"):
        return AccessChange(instance.user_id, ended_sign_ins=frozenset({instance.id}))
    return None


@sa.event.listens_for(Session, "before_flush")
def _raise_epochs(session: Session, _context: object, _instances: object) -> None:
    """Raise the auth epoch of every user whose access a flushed change ends, and note the change."""
    for instance in list(session.dirty):
        change = _change_of(instance)
        if change is None:
            continue
        _note(session, change)
        with session.no_autoflush:
            user = session.get(User, change.user_id)
        if user is not None:
            # An SQL expression, not a Python sum: two processes raising it at once both count.
            user.auth_epoch = raised_epoch()


@sa.event.listens_for(Session, "after_commit")
def _tell_subscribers(session: Session) -> None:
    changes = list(session.info.pop(_PENDING, {}).values())
    for callback in _subscribers if changes else []:
        callback(changes)


@sa.event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
