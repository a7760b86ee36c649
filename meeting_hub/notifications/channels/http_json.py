"""One JSON POST to a provider (SMS gateway, Zalo ZNS), with timeouts and the moment the request is handed over."""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from meeting_hub.notifications.channels.base import HandingOver, SendFailure


@dataclass(frozen=True)
class JsonReply:
    """The provider's HTTP status and its JSON body (None when the body is not JSON)."""

    status: int
    body: Any
    text: str


def post_json(
    url: str, payload: dict[str, Any], *, headers: dict[str, str], timeout: float, handing_over: HandingOver
) -> JsonReply:
    """POST the payload as JSON and return the reply; raise SendFailure when no reply comes.

    Failing to connect is a passing failure and sent nothing; a timeout or a cut connection once the request is on
    its way leaves the message in doubt.
    """
    parts = urlsplit(url)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port or 443, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    try:
        try:
            connection.connect()
        except ssl.SSLError as error:
            raise SendFailure(
                f"Không thiết lập được kết nối an toàn tới nhà cung cấp: {error}", permanent=True
            ) from None
        except OSError as error:  # refused, unreachable, name not found, timeout while connecting
            raise SendFailure(f"Không kết nối được tới nhà cung cấp ({parts.netloc}): {error}") from None
        handing_over()
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={"Content-Type": "application/json; charset=utf-8", "Accept": "application/json", **headers},
            )
            response = connection.getresponse()
            raw = response.read(64 * 1024)
        except (OSError, http.client.HTTPException) as error:
            raise SendFailure(
                f"Nhà cung cấp không trả lời ({type(error).__name__}: {error}); không rõ tin đã được nhận chưa.",
                in_doubt=True,
            ) from None
    finally:
        connection.close()
    text = raw.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = None
    return JsonReply(response.status, parsed, text)


def passing_status(status: int) -> bool:
    """Tell whether an HTTP error status is worth trying again (timeouts, rate limits, server errors)."""
    return status in {408, 425, 429} or status >= 500
