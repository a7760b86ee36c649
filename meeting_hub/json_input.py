"""Reading JSON that clients send: too deep a nesting is invalid JSON (400), not a crash (500).

Python's json parser recurses once per level: `[[[[...]]]]` 100,000 deep raises RecursionError, which nothing
expected. No message of ours nests more than a few levels.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask.json.provider import DefaultJSONProvider


def loads(text: str | bytes, *, parse: Callable[..., Any] = json.loads, **options: Any) -> Any:
    """Parse JSON with `parse` (json.loads, or a variant of it); a nesting too deep to parse is a JSONDecodeError
    (a ValueError) like any other invalid document."""
    try:
        return parse(text, **options)
    except RecursionError:
        document = text if isinstance(text, str) else text.decode("utf-8", "replace")
        raise json.JSONDecodeError("JSON nested too deeply", document[:100], 0) from None


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON (request.get_json: Flask-WTF reads JSON bodies with it) through loads above."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)
