"""Errors raised by services; the web, API and socket layers turn them into responses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AuditEntry:
    """What the audit log keeps of a refusal: its action, its target (None: the request itself) and details."""

    action: str
    target: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class ServiceError(Exception):
    """A request the service refuses, with a machine code and a message for the user."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def audit_entry(self) -> AuditEntry | None:
        """Return what the audit log keeps of this refusal, if anything: the page, API and socket error handlers
        record it after rolling back the refused work."""
        return None


class NotFound(ServiceError):
    """The object does not exist, or the caller may not know that it does."""

    code = "not_found"
    http_status = 404


class AccessDenied(ServiceError):
    """The caller is signed in but acts outside their rights."""

    code = "forbidden"
    http_status = 403

    def audit_entry(self) -> AuditEntry | None:
        return AuditEntry("access.denied", detail={"reason": self.message})


class ValidationFailed(ServiceError):
    """The input is malformed; details map field names to messages."""

    code = "invalid"
    http_status = 422


class Conflict(ServiceError):
    """The input clashes with what is stored (a duplicate code, a state that forbids the action)."""

    code = "conflict"
    http_status = 409


class TryAgain(ServiceError):
    """A passing condition (the same operation is still being written): the client should send it again later."""

    code = "try_again"
    http_status = 409
