"""What every API module needs: its blueprint class, which reads bodies safely, and the calling user."""

from __future__ import annotations

import typing

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from meeting_hub.accounts.access import signed_in_user
from meeting_hub.accounts.models import User
from meeting_hub.json_input import loads


class ApiParser(FlaskParser):
    """webargs' parser, reading JSON bodies with json_input.loads: a body nested too deep answers 400, the
    usual invalid-JSON error, instead of a RecursionError's 500."""

    def _raw_load_json(self, req: flask.Request) -> typing.Any:
        if not is_json_request(req):
            return core.missing
        return loads(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """The API's blueprint: flask-smorest's, with ApiParser."""

    ARGUMENTS_PARSER = ApiParser()


def caller() -> User:
    """Return the signed-in caller; the access policy lets no anonymous request reach an API operation that asks."""
    user = signed_in_user()
    assert user is not None
    return user
