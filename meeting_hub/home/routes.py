"""The home page of each role."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from meeting_hub.accounts.access import acting_user
from meeting_hub.home.summary import home_summary

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
def index() -> ResponseReturnValue:
    """Show the home page of the user's role."""
    return render_template("home/index.html", summary=home_summary(acting_user()))
