"""What text a person may type: one rule for forms, API schemas and socket payloads.

Control characters (C0, DEL and C1) are never meant as text: a NUL byte cannot be stored by PostgreSQL at all (it
used to answer 500, and failed a whole batch of check-ins), and the others corrupt exports, .ics files and logs. A
single-line field (a title, a name, a note typed in one input) also refuses line breaks and the bidi
embedding/override/isolate controls, with which a title could reverse the text shown after it. Multi-line text
(notes, answers, reasons) keeps newlines and tabs. Passwords are exempt: they are hashed, never stored or shown.
"""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from flask import Flask, abort, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, StringField, TextAreaField
from wtforms.validators import StopValidation

#: C0 controls, DEL and the C1 controls (U+0080-U+009F: NEL is a line break to some readers, CSI starts a
#: terminal's escape sequence), but tab, line feed and carriage return.
_CONTROLS_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: The same plus tab and line breaks (U+2028/9 too), and the bidi embeddings, overrides and isolates
#: (U+202A-U+202E, U+2066-U+2069); the plain marks LRM/RLM stay allowed.
_CONTROLS_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

#: The same rules as JSON Schema patterns, for the API's OpenAPI document.
TEXT_PATTERN = f"^[^{_CONTROLS_IN_TEXT.pattern[1:-1]}]*$"
LINE_PATTERN = f"^[^{_CONTROLS_IN_LINE.pattern[1:-1]}]*$"

MULTILINE = "multiline"
EXEMPT = "any_text"
#: marshmallow field metadata of a multi-line text: `ma.fields.String(..., metadata=MULTILINE_TEXT)`.
MULTILINE_TEXT = {MULTILINE: True}
#: marshmallow field metadata of a field the rule leaves alone (a password).
ANY_TEXT = {EXEMPT: True}


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Return why this text cannot be taken (in the user's language), or None when it can."""
    found = (_CONTROLS_IN_TEXT if multiline else _CONTROLS_IN_LINE).search(value)
    if found is None:
        return None
    if found.group() in "\t\n\r\u2028\u2029":
        return str(_("Chỉ nhập trên một dòng."))
    return str(_("Không được chứa ký tự điều khiển."))


def one_line(value: str) -> str:
    """Return stored text fit for a single-line place (a calendar's title): controls and line breaks as spaces."""
    return " ".join(_CONTROLS_IN_LINE.sub(" ", value).split())


def printable(value: str) -> str:
    """Return stored text fit for a multi-line place (a calendar's description): lines kept, other controls gone."""
    return _CONTROLS_IN_TEXT.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


# marshmallow: API bodies, query strings and socket messages


class _PlainText(ma.validate.Validator):
    """marshmallow validator applying text_problem."""

    def __init__(self, *, multiline: bool) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str) and (problem := text_problem(value, multiline=self.multiline)):
            raise ma.ValidationError(problem)
        return value


def _check_text(field: ma.fields.Field[Any]) -> None:
    """Give a string field (or a list of strings) the text rule, single-line unless its metadata says otherwise."""
    if isinstance(field, ma.fields.List):
        _check_text(field.inner)
    elif isinstance(field, ma.fields.String) and not field.metadata.get(EXEMPT):
        multiline = bool(field.metadata.get(MULTILINE))
        field.validators = [*field.validators, _PlainText(multiline=multiline)]
        # The OpenAPI document says it too, unless a pattern of the field's own (stricter) already does.
        if "pattern" not in field.metadata and not any(isinstance(v, ma.validate.Regexp) for v in field.validators):
            field.metadata = {**field.metadata, "pattern": TEXT_PATTERN if multiline else LINE_PATTERN}


class InputSchema(ma.Schema):
    """The base of every schema that reads what a client sends: its string fields follow the text rule."""

    def on_bind_field(self, field_name: str, field_obj: ma.fields.Field[Any]) -> None:
        # Fields are copied for each schema instance before binding: the validator is added to this copy only.
        super().on_bind_field(field_name, field_obj)
        _check_text(field_obj)


# WTForms: the pages' forms


class _FormText:
    """WTForms validator applying text_problem."""

    field_flags: dict[str, Any] = {}

    def __init__(self, *, multiline: bool) -> None:
        self.multiline = multiline

    def __call__(self, form: FlaskForm, field: Field) -> None:
        data = field.data
        if isinstance(data, str) and (problem := text_problem(data, multiline=self.multiline)):
            raise StopValidation(problem)


class CheckedForm(FlaskForm):  # type: ignore[misc]
    """The base of every form: text fields follow the text rule (a text area may hold several lines)."""

    class Meta(FlaskForm.Meta):  # type: ignore[misc]
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                multiline = issubclass(field_class, TextAreaField)
                # First, so the message is the text rule's, not a length or format one about the same input; given
                # as a bind option, since the unbound field is the form class's, shared by every instance.
                validators = list(unbound_field.kwargs.get("validators") or [])
                options = {**options, "validators": [_FormText(multiline=multiline), *validators]}
            return super().bind_field(form, unbound_field, options)


# Requests: a backstop for pages that read the query string or a form without a form class


def _refuse_nul_bytes() -> None:
    """Answer 400 to a path, query string or form holding a NUL byte, which no text column can store or compare."""
    texts = [request.path, *request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        texts += [*request.form.keys(), *request.form.values()]
    if any("\x00" in text for text in texts):
        abort(400)


def init_app(app: Flask) -> None:
    """Refuse NUL bytes in every request's path, query string and form."""
    app.before_request(_refuse_nul_bytes)
