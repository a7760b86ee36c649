"""The one rule for a link a person enters (a briefing's video link): an http(s) address, nothing else.

A `javascript:` or `data:` link would run or show whatever it holds when someone clicks it on a briefing's page; a
line break or a control character in it would break the .ics files and exports it goes into. The API schemas, the
forms and the scheduling services all ask web_link_problem.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from wtforms import Field
from wtforms.validators import ValidationError

from meeting_hub.text_input import text_problem

MAX_LINK_LENGTH = 500

#: What the URL check accepts, as the API's schema documents it: nothing, or http(s), a host name with a dot, a path.
WEB_LINK_PATTERN = r"^$|^https?://([A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,10}(:[1-9][0-9]{1,3})?(/[!-~]{0,200})?$"

#: marshmallow's URL check, for the forms and the services too: http or https, a host with a domain, no spaces.
_URL = ma.validate.URL(schemes={"http", "https"}, require_tld=True)


def web_link_problem(value: str) -> str | None:
    """Return why this link cannot be taken (in the user's language), or None; "" means no link and is fine."""
    if value == "":
        return None
    if len(value) > MAX_LINK_LENGTH:
        return str(_("Quá dài: tối đa %(high)s.", high=MAX_LINK_LENGTH))
    try:
        _URL(value)
    except ma.ValidationError:
        return str(_("Cần một đường dẫn http:// hoặc https:// hợp lệ."))
    # The URL check lets other control characters and bidi controls through in the path.
    return text_problem(value)


class WebLinkField(ma.fields.String):
    """An API field holding a web link, or "" for none."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"description": 'An http(s) link, or "" for none.', "pattern": WEB_LINK_PATTERN})
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
