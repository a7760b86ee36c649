"""The one rule for a link a person enters (a briefing's video link): an http(s) address, nothing else.

A `javascript:` or `data:` link would run or show whatever it holds when someone clicks it on a briefing's page; a
line break or a control character in it would break the .ics files and exports it goes into. The API schemas, the
forms and the scheduling services all ask web_link_problem.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma
from flask_babel import gettext as _
from wtforms import Field
from wtforms.validators import ValidationError

MAX_LINK_LENGTH = 500

#: http:// or https://, then a host and anything without spaces, controls or backslashes (which browsers read as /).
_WEB_LINK = re.compile(r"https?://[^\s\x00-\x1f\x7f\\/?#@]+(?:[/?#][^\s\x00-\x1f\x7f\\]*)?", re.IGNORECASE)


def web_link_problem(value: str) -> str | None:
    """Return why this link cannot be taken (in the user's language), or None; "" means no link and is fine."""
    if value == "":
        return None
    if len(value) > MAX_LINK_LENGTH:
        return str(_("Quá dài: tối đa %(high)s.", high=MAX_LINK_LENGTH))
    if not _WEB_LINK.fullmatch(value) or not urlsplit(value).hostname:
        return str(_("Đường dẫn phải bắt đầu bằng http:// hoặc https://."))
    return None


class WebLinkField(ma.fields.String):
    """An API field holding a web link, or "" for none."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"format": "uri", "description": 'An http(s) link, or "" for none.'})
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text: str = super()._deserialize(value, attr, data, **kwargs)
        problem = web_link_problem(text.strip())
        if problem:
            raise ma.ValidationError(problem)
        return text.strip()


class WebLink:
    """A form validator applying web_link_problem (an empty field passes: no link)."""

    field_flags: dict[str, Any] = {}

    def __call__(self, form: Any, field: Field) -> None:
        problem = web_link_problem((field.data or "").strip())
        if problem:
            raise ValidationError(problem)
