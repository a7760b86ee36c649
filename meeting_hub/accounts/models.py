"""Users, their API tokens, and the append-only audit log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meeting_hub.accounts.roles import Role
from meeting_hub.database import Base, UTCDateTime, string_enum, utcnow
from meeting_hub.network.models import Agency, Endpoint
from meeting_hub.vietnamese import fold


class User(Base):
    """Someone who signs in: staff of the department, an endpoint's operator, an agency's responder."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    #: argon2id hash, never the password.
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(string_enum(Role, "user_role"))
    #: The endpoint an operator acts for; empty for every other role.
    endpoint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("endpoints.id"), index=True)
    #: The agency a responder answers for; empty for every other role.
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    #: Set when someone else chose the password (an admin, the demo): every page leads to the change form until done.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Part of the session id (get_id): raising it ends every session and remember-me cookie signed before.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    #: Raised (in the same transaction) by every change that ends or narrows what the user's credentials authorise:
    #: a token revoked, a sign-out, the session version, deactivation, a new role, endpoint or agency. Open sockets
    #: compare it with the value they were opened under (see accounts/live_access.py).
    auth_epoch: Mapped[int] = mapped_column(default=1, server_default="1")
    #: Created by `meeting-hub demo` with the published demo password (the sign-in page of a demo install says so).
    demo_account: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    language: Mapped[str] = mapped_column(sa.String(8), default="vi")
    #: Where messages reach the user (notifications/): an e-mail address, a phone number as typed, and the channels
    #: the user chose among "email", "sms", "zalo" (in that order).
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    channels: Mapped[list[str]] = mapped_column(sa.JSON(), default=lambda: ["email"])
    #: Secret part of the personal calendar feed URL; replaced when the user resets it.
    feed_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    search_text: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    endpoint: Mapped[Endpoint | None] = relationship()
    agency: Mapped[Agency | None] = relationship()

    # Flask-Login's user protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Return the user part of the session id: the user id and the session version (a raised version ends older
        sessions); accounts.access.sign_in_session adds the sign-in, so that one sign-out ends one session."""
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """End every session and remember-me cookie of the user (the caller signs the current one in again)."""
        self.session_version = (self.session_version or 1) + 1

    def has_role(self, *roles: Role) -> bool:
        """Tell whether the user holds one of the given roles."""
        return self.role in roles

    def refresh_search_text(self) -> None:
        """Recompute the folded search text from the username and display name."""
        self.search_text = f"{self.username} {fold(self.display_name)}"


class SignInSession(Base):
    """One sign-in of a browser: its session and remember-me cookies name it, and stop working once it is ended."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Set at sign-out: a saved copy of the cookie is refused from then on.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """A bearer token for the API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """One line of the append-only audit log: who did what, to what, when, from where.

    Rows are never updated or deleted: database triggers (see the first migration) refuse both.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: Kept as text too, so the line still reads after the account is renamed, or when sign-in failed.
    actor_name: Mapped[str] = mapped_column(sa.String(64), default="")
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target: Mapped[str] = mapped_column(sa.String(200), default="")
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    ip_address: Mapped[str] = mapped_column(sa.String(64), default="")
