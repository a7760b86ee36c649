"""Selects that route work (an agency, an endpoint, a category, a cell): they start on "— Chọn —", never on the
first item, so a hurried click cannot send work to whichever name sorts first; left there, a required one is refused
with a Vietnamese message naming what to choose."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectField
from wtforms.fields.choices import Choice
from wtforms.validators import StopValidation, ValidationError

PLACEHOLDER_LABEL = _l("— Chọn —")


def _lenient(coerce: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Wrap a coerce function so the placeholder (and anything unreadable) reads as "nothing chosen"."""

    def coerce_or_none(value: Any) -> Any:
        if value is None or value == "":
            return None
        try:
            return coerce(value)
        except (TypeError, ValueError):
            return None

    return coerce_or_none


class ChosenSelectField(SelectField):  # type: ignore[misc]  # wtforms ships no type hints
    """A select with a leading "— Chọn —" option whose data is None until the user picks an item.

    `required` is the message shown when the field is left on "— Chọn —"; without it, nothing chosen is allowed.
    """

    def __init__(
        self,
        label: str | LazyString | None = None,
        validators: Any = None,
        *,
        required: str | LazyString | None = None,
        coerce: Callable[[Any], Any] = int,
        placeholder: str | LazyString = PLACEHOLDER_LABEL,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, coerce=_lenient(coerce), **kwargs)
        self.required_message = required
        self.placeholder = placeholder

    def iter_choices(self) -> Iterator[Choice]:
        """Yield the placeholder first (selected while nothing is chosen), then the choices."""
        yield Choice(value="", label=str(self.placeholder), selected=self.data is None, render_kw=None)
        yield from super().iter_choices()

    def pre_validate(self, form: Form) -> None:
        """Refuse the placeholder when a choice is required, and a value that is not among the choices."""
        if self.data is None:
            if self.required_message is not None:
                raise StopValidation(str(self.required_message))
            return
        if not any(choice.selected for choice in super().iter_choices()):
            raise ValidationError(str(_l("Lựa chọn không hợp lệ. Vui lòng chọn lại trong danh sách.")))
