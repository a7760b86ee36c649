"""The append-only audit log: who did what, to what, when and from where."""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from meeting_hub.accounts.models import AuditEvent
from meeting_hub.extensions import db

if TYPE_CHECKING:
    from meeting_hub.accounts.models import User

#: Set by the transport (HTTP request or socket event) so services can log the address without seeing the request.
client_address: ContextVar[str] = ContextVar("client_address", default="")


def record(action: str, actor: User | None = None, *, target: str = "", actor_name: str = "", **detail: Any) -> None:
    """Append an audit event to the current transaction; the caller commits."""
    db.session.add(
        AuditEvent(
            actor_id=actor.id if actor is not None else None,
            actor_name=actor.username if actor is not None else actor_name,
            action=action,
            target=target,
            detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else "",
            ip_address=client_address.get(),
        )
    )
