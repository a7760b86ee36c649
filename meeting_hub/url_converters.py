"""URL converters: `<int:...>` ids bounded to what the databases can store."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from werkzeug.routing import IntegerConverter, Map

#: Ids are positive and fit a 32-bit signed integer: a larger number would overflow SQLite's and PostgreSQL's
#: integer columns and fail inside the database instead of answering 404.
MAX_ID = 2**31 - 1


def id_field(*, strict: bool = True, **kwargs: Any) -> ma.fields.Integer:
    """An id in a request body or query (bounded like path ids): strict in JSON; query strings carry text."""
    return ma.fields.Integer(strict=strict, validate=ma.validate.Range(1, MAX_ID), **kwargs)


class IdConverter(IntegerConverter):
    """`<int:...>` that matches 1..2^31-1 only; other numbers are simply not found."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_parameter_schema(converter: IdConverter) -> dict[str, Any]:
    """Document an id path parameter in the OpenAPI document."""
    return {"type": "integer", "format": "int32", "minimum": converter.min, "maximum": converter.max}
