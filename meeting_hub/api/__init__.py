"""The JSON API under /api/v1, documented by an OpenAPI 3 document built from the same schemas that validate it."""

from __future__ import annotations

import marshmallow as ma
from flask import Flask
from flask_smorest import Api

from meeting_hub.url_converters import IdConverter, id_parameter_schema


class ErrorBody(ma.Schema):
    """The body of an error: a machine code, a message for people, and per-field details."""

    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    details = ma.fields.Raw()


class ErrorSchema(ma.Schema):
    """Every 4xx/5xx answer of the API."""

    error = ma.fields.Nested(ErrorBody, required=True)


class MeetingHubApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, with errors in the contract's shape, handled by meeting_hub.http_errors."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """Leave error handling to http_errors, which answers JSON under /api and pages elsewhere."""


api = MeetingHubApi()


def register_api(app: Flask) -> None:
    """Bind the API and its blueprints to the app."""
    from meeting_hub.api import (
        accounts,
        attendance,
        bulletins,
        follow_up,
        network,
        notifications,
        polls,
        reports,
        scheduling,
    )

    api.register_converter(IdConverter, id_parameter_schema)
    api.init_app(
        app,
        spec_kwargs={
            "info": {"description": "Meeting Hub: briefings, live attendance and raised issues."},
            "servers": [{"url": "/"}],
        },
    )
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "session"})
    api.spec.options["security"] = [{"bearer": []}, {"session": []}]
    for blueprint in (
        accounts.blueprint,
        network.blueprint,
        scheduling.blueprint,
        attendance.blueprint,
        follow_up.blueprint,
        reports.blueprint,
        notifications.blueprint,
        bulletins.blueprint,
        polls.blueprint,
    ):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
