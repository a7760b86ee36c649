"""What every API module needs: the calling user."""

from __future__ import annotations

from meeting_hub.accounts.access import signed_in_user
from meeting_hub.accounts.models import User


def caller() -> User:
    """Return the signed-in caller; the access policy lets no anonymous request reach an API operation that asks."""
    user = signed_in_user()
    assert user is not None
    return user
