"""The home page of each role."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue

from meeting_hub.accounts.access import signed_in_user
from meeting_hub.home.summary import home_summary

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
def index() -> ResponseReturnValue:
    """Show the home page of the user's role."""
    user = signed_in_user()
    if user is None:
        abort(401)
    return render_template("home/index.html", summary=home_summary(user))
