"""Every model of the app, imported in one place so the metadata (Alembic, create_all) sees all tables."""

from meeting_hub.accounts.models import ApiToken, AuditEvent, User
from meeting_hub.network.models import Agency, Cell, Endpoint, Person

__all__ = ["Agency", "ApiToken", "AuditEvent", "Cell", "Endpoint", "Person", "User"]
