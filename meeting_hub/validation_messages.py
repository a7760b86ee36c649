"""One shape for validation details everywhere: `{"field": "message"}`, in the user's language.

Services already answer so. Request bodies checked by webargs/marshmallow (the API) and socket messages come as
`{"json": {"field": ["Missing data for required field."]}}` or `{"field": [...]}`: they are flattened here (nested
fields as `options.2`) and marshmallow's English messages are said in the user's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _

#: Where webargs files its messages; dropped, since a field name is unique in practice across them.
_LOCATIONS = {"json", "query", "form", "files", "headers", "cookies", "view_args", "json_or_form"}


def _exact_messages() -> dict[str, str]:
    return {
        "Missing data for required field.": _("Thông tin này là bắt buộc."),
        "Field may not be null.": _("Không được để trống."),
        "Unknown field.": _("Trường này không được hỗ trợ."),
        "Not a valid integer.": _("Phải là một số nguyên."),
        "Not a valid string.": _("Phải là một chuỗi ký tự."),
        "Not a valid boolean.": _("Phải là true hoặc false."),
        "Not a valid number.": _("Phải là một số."),
        "Not a valid list.": _("Phải là một danh sách."),
        "Not a valid URL.": _("Địa chỉ liên kết không hợp lệ."),
        "Not a valid date.": _("Ngày không hợp lệ."),
        "Not a valid datetime.": _("Thời điểm không hợp lệ."),
        "Not a valid email address.": _("Địa chỉ thư điện tử không hợp lệ."),
        "Not a valid mapping type.": _("Phải là một đối tượng JSON."),
        "Invalid input type.": _("Kiểu dữ liệu không hợp lệ."),
        "Invalid value.": _("Giá trị không hợp lệ."),
        "String does not match expected pattern.": _("Không đúng định dạng."),
        "Number too large.": _("Số quá lớn."),
    }


_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        lambda m: _("Phải từ %(low)s đến %(high)s.", low=m[1], high=m[2]),
    ),
    (re.compile(r"Must be greater than or equal to (\S+)\.$"), lambda m: _("Phải từ %(low)s trở lên.", low=m[1])),
    (re.compile(r"Must be less than or equal to (\S+)\.$"), lambda m: _("Phải không quá %(high)s.", high=m[1])),
    (
        re.compile(r"Length must be between (\d+) and (\d+)\.$"),
        lambda m: _("Độ dài phải từ %(low)s đến %(high)s.", low=m[1], high=m[2]),
    ),
    (re.compile(r"Shorter than minimum length (\d+)\.$"), lambda m: _("Quá ngắn: tối thiểu %(low)s.", low=m[1])),
    (re.compile(r"Longer than maximum length (\d+)\.$"), lambda m: _("Quá dài: tối đa %(high)s.", high=m[1])),
    (re.compile(r"Must be one of: (.+)\.$"), lambda m: _("Phải là một trong: %(choices)s.", choices=m[1])),
]


def translate(message: str) -> str:
    """Say one of marshmallow's messages in the user's language (others, ours already, pass unchanged)."""
    exact = _exact_messages().get(message)
    if exact is not None:
        return exact
    for pattern, say in _PATTERNS:
        match = pattern.match(message)
        if match:
            return say(match)
    return message


def flat_details(messages: Any) -> dict[str, str]:
    """Flatten marshmallow/webargs messages to `{"field": "message"}` (nested fields joined by dots)."""
    flat: dict[str, str] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                name = str(key)
                walk(inner, name if not path else f"{path}.{name}")
        elif isinstance(value, list | tuple):
            texts = [translate(str(item)) for item in value if not isinstance(item, Mapping | list | tuple)]
            if texts:
                flat[path or "_schema"] = " ".join(texts)
            for item in value:
                if isinstance(item, Mapping | list | tuple):
                    walk(item, path)
        else:
            flat[path or "_schema"] = translate(str(value))

    if isinstance(messages, Mapping) and messages and set(messages) <= _LOCATIONS:
        for location_messages in messages.values():
            walk(location_messages, "")
    else:
        walk(messages, "")
    return flat
