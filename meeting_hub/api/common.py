"""What every API module needs: its blueprint class (which reads bodies safely), the calling user, and the date field
every module shares."""

from __future__ import annotations

from datetime import date
from typing import Any

import flask
import flask_smorest
import marshmallow as ma
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from meeting_hub.accounts.access import signed_in_user
from meeting_hub.accounts.models import User
from meeting_hub.date_fields import EARLIEST_YEAR, LATEST_YEAR
from meeting_hub.json_input import loads

#: A date in the years the app accepts, as the schema documents it (JSON Schema cannot bound a date's value).
BOUNDED_DATE_PATTERN = rf"^(20[0-9]{{2}}|{LATEST_YEAR})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
assert EARLIEST_YEAR == 2000 and LATEST_YEAR == 2100, "BOUNDED_DATE_PATTERN spells these years out"


class ApiParser(FlaskParser):
    """webargs' parser, reading JSON bodies with json_input.loads: a body nested too deep answers 400, the
    usual invalid-JSON error, instead of a RecursionError's 500."""

    def _raw_load_json(self, req: flask.Request) -> Any:
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


def bounded_date(**kwargs: Any) -> ma.fields.Date:
    """Return an ISO date field limited to the years EARLIEST_YEAR to LATEST_YEAR, the bound said in the schema."""
    kwargs.setdefault("metadata", {})
    kwargs["metadata"] = {"pattern": BOUNDED_DATE_PATTERN} | kwargs["metadata"]
    return ma.fields.Date(validate=ma.validate.Range(date(EARLIEST_YEAR, 1, 1), date(LATEST_YEAR, 12, 31)), **kwargs)
